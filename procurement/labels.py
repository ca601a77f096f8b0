"""Readable, translatable labels for the codes stored on projects (stages, kinds, statuses).

Templates use the ``label`` filter: ``{{ project.stage|label('stage') }}``; unknown codes show as is.
"""

from flask_babel import lazy_gettext as _l

STAGES = {
    "budget": _l("Budget"), "design": _l("Design"), "procurement": _l("Procurement"),
    "construction": _l("Construction"), "acceptance": _l("Completion acceptance"), "closed": _l("Closed"),
}
TRANSITION_KINDS = {"advance": _l("advance"), "return": _l("return")}
BUILDING_TYPES = {
    "school": _l("School"), "hospital": _l("Hospital"), "office": _l("Office building"), "complex": _l("Complex"),
    "exhibition_centre": _l("Exhibition centre"), "stadium": _l("Stadium"),
    "affordable_housing": _l("Affordable housing"), "urban_renewal": _l("Urban renewal"),
}
PERSON_ROLES = {
    "project_manager": _l("Project manager"), "designer": _l("Lead designer"),
    "finance_contact": _l("Finance contact"), "site_manager": _l("Site manager"), "supervisor": _l("Supervising engineer"),
}
FUNDING_KINDS = {
    "general_budget": _l("General public budget"), "government_fund": _l("Government fund budget"),
    "special_bond": _l("Special-purpose bond"), "central_transfer": _l("Central transfer payment"),
    "self_raised": _l("Self-raised funds"), "other": _l("Other"),
}
BUDGET_STATUSES = {"submitted": _l("Awaiting review"), "approved": _l("Approved"), "returned": _l("Returned")}
REQUIREMENT_LEVELS = {"mandatory": _l("mandatory"), "optional": _l("optional"), None: _l("not in the edition")}
DOCUMENT_KINDS = {
    "budget_approval": _l("Budget approval letter"), "design_drawings": _l("Design drawings"),
    "design_review": _l("Design review report"), "bill_of_quantities": _l("Bill of quantities"), "other": _l("Other"),
}
RULE_KINDS = {"green": _l("green attribute"), "quality": _l("quality attribute")}
RECORD_KINDS = {
    "project_registered": _l("Project registered"), "project_updated": _l("Project details changed"),
    "budget_submitted": _l("Budget submitted"), "budget_approved": _l("Budget approved"),
    "budget_returned": _l("Budget returned"), "stage_advanced": _l("Stage advanced"),
    "stage_returned": _l("Stage returned"), "transition_refused": _l("Move refused by gate checks"),
    "bom_line_added": _l("Bill line added"), "bom_line_changed": _l("Bill line changed"),
    "bom_line_removed": _l("Bill line removed"), "bom_imported": _l("Bill imported"),
    "document_attached": _l("Document attached"),
}

GROUPS = {
    "stage": STAGES, "transition": TRANSITION_KINDS, "building": BUILDING_TYPES, "person": PERSON_ROLES,
    "funding": FUNDING_KINDS, "budget": BUDGET_STATUSES, "level": REQUIREMENT_LEVELS, "document": DOCUMENT_KINDS,
    "rule": RULE_KINDS, "record": RECORD_KINDS,
}


def label(value, group: str) -> str:
    """The translated label of ``value`` in ``group`` (the code itself when unknown)."""
    found = GROUPS[group].get(value)
    return str(found) if found is not None else ("" if value is None else str(value))
