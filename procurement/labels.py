"""Readable, translatable labels for the codes stored on projects (stages, kinds, statuses, units).

`procurement.register` adds `GROUPS` to the one label registry (`core.labels`): templates use the
``label`` filter, ``{{ project.stage|label('stage') }}``, code `core.labels.label`; unknown codes
show as is.
`TERMS` are the code words messages carry as `core.i18n.Term` parameters (stage names inside a
sentence), translated when the message is shown.
"""

from flask_babel import lazy_gettext as _l

from core.i18n import render_payload, translate_message
from core.labels import label
from procurement.quantities import UNIT_NAMES

STAGES = {
    "budget": _l("Budget"), "design": _l("Design"), "procurement": _l("Procurement"),
    "construction": _l("Construction"), "acceptance": _l("Completion acceptance"), "closed": _l("Closed"),
}
TERMS = [_l("budget"), _l("design"), _l("procurement"), _l("construction"), _l("acceptance"), _l("closed")]
UNITS = {unit: _l(name) for unit, name in UNIT_NAMES.items()}  # the words quantities' messages use
TRANSITION_KINDS = {"advance": _l("advance"), "return": _l("return")}
BUILDING_TYPES = {
    "school": _l("School"), "hospital": _l("Hospital"), "office": _l("Office building"), "complex": _l("Complex"),
    "exhibition_centre": _l("Exhibition centre"), "stadium": _l("Stadium"),
    "affordable_housing": _l("Affordable housing"), "urban_renewal": _l("Urban renewal"),
}
STARS = {0: _l("Basic grade"), 1: _l("One star"), 2: _l("Two stars"), 3: _l("Three stars")}
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
    "pooled_line_contributed": _l("Lines contributed to a pooling round"),
    "pooled_line_withdrawn": _l("Pooled lines withdrawn"), "pooled_line_released": _l("Pooled lines released"),
    "tender_lot_assigned": _l("Lines put in a tender lot"),
    "tender_lot_unassigned": _l("Lines taken out of a tender lot"),
    "tender_amended": _l("Tender amended"),
    "tender_submitted": _l("Tender sent for finance review"), "tender_returned": _l("Tender returned by finance"),
    "tender_approved": _l("Tender approved by finance"), "tender_published": _l("Tender published"),
    "tender_closed": _l("Tendering closed"), "tender_cancelled": _l("Tender cancelled"),
    "tender_failed": _l("Tender failed"), "tender_approval_withdrawn": _l("Tender back to draft"),
}

#: Gate checks by name (shown instead of the name; later capabilities add their checks here).
CHECKS = {
    "no_checks_defined": _l("Checks for this stage"),
    "budget_approved": _l("Budget approved by the finance office"),
    "bill_not_empty": _l("Bill of materials not empty"),
    "categories_in_edition": _l("Categories covered by the edition"),
    "mandatory_green_available": _l("Green products for mandatory lines"),
    "optional_green_available": _l("Green products for optional green lines"),
    "optional_share": _l("Share of green optional kinds"),
    "bill_within_budget": _l("Bill within the approved budget"),
}

#: Fields named in change records ("Changed: ...") and in error messages.
FIELDS = {
    "name": _l("Name"), "description": _l("Description"), "building_type": _l("Building type"),
    "floor_area_m2": _l("Floor area"), "green_star_target": _l("Green building target"),
    "people": _l("Responsible people"), "stage": _l("Stage"), "category_id": _l("Category"),
    "specification": _l("Specification"), "quantity_milli": _l("Quantity"), "unit": _l("Unit"),
    "est_unit_price_fen": _l("Estimated unit price"), "green_required": _l("Green product required"),
    "tightenings": _l("Tightened limits"), "line_no": _l("Line"), "comment": _l("Comment"), "title": _l("Title"),
    "kind": _l("Kind"), "reason": _l("Reason"),
}

GROUPS = {
    "stage": STAGES, "transition": TRANSITION_KINDS, "building": BUILDING_TYPES, "person": PERSON_ROLES,
    "funding": FUNDING_KINDS, "budget": BUDGET_STATUSES, "level": REQUIREMENT_LEVELS, "document": DOCUMENT_KINDS,
    "rule": RULE_KINDS, "record": RECORD_KINDS, "unit": UNITS, "check": CHECKS,
    "field": FIELDS, "star": STARS,
}


def plural(n: int, one: str, other: str) -> str:
    """The template for a count `n` in a message that is stored or raised (key and parameters,
    rendered later in the reader's language): `one` for 1, `other` otherwise, as ngettext picks
    English forms. Mark both with N_(); each is translated on its own (Chinese has one form).
    Templates and views use ngettext directly."""
    return one if n == 1 else other


def check_title(name: str) -> str:
    """A gate check's readable title (its name when the check has none)."""
    return label(name, "check")


def check_message(check) -> str:
    """A check result's message in the current locale: a stored result (dict, new records keep
    the template and parameters, older ones plain English) or a `CheckResult`."""
    if isinstance(check, dict):
        return render_payload(check.get("message"))
    return translate_message(check.text)
