"""Words that templates translate from data (stage names, kinds, statuses).

Marked with ``N_`` so `pybabel extract` collects them; templates call ``_(value)`` at render time.
"""


def N_(text: str) -> str:
    return text


STAGE_LABELS = [N_("budget"), N_("design"), N_("procurement"), N_("construction"), N_("acceptance"), N_("closed")]
TRANSITION_KINDS = [N_("advance"), N_("return")]
BUILDING_TYPES = [N_("school"), N_("hospital"), N_("office"), N_("complex"), N_("exhibition_centre"), N_("stadium"),
                  N_("affordable_housing"), N_("urban_renewal")]
PERSON_ROLES = [N_("project_manager"), N_("designer"), N_("finance_contact"), N_("site_manager"), N_("supervisor")]
FUNDING_KINDS = [N_("general_budget"), N_("government_fund"), N_("special_bond"), N_("central_transfer"),
                 N_("self_raised"), N_("other")]
BUDGET_STATUSES = [N_("submitted"), N_("approved"), N_("returned")]
REQUIREMENT_LEVELS = [N_("mandatory"), N_("optional"), N_("unknown")]
RULE_KINDS = [N_("green"), N_("quality")]
RECORD_KINDS = [N_("project_registered"), N_("project_updated"), N_("budget_submitted"), N_("budget_approved"),
                N_("budget_returned"), N_("stage_advanced"), N_("stage_returned"), N_("transition_refused"),
                N_("bom_line_added"), N_("bom_line_changed"), N_("bom_line_removed"), N_("bom_imported")]
