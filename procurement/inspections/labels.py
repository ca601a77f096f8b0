"""Names of the package's code words, in the reader's language (templates: the `label` filter,
groups `inspections_<group>`; draw pages: purposes and exclusion reasons)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

CAMPAIGN_STATUS = {"planned": _l("Planned (seed committed)"), "active": _l("Targets drawn"),
                   "closed": _l("Closed (all results published)"), "cancelled": _l("Cancelled")}
INSPECTION_STATUS = {"team_pending": _l("Team to draw"), "scheduled": _l("Team drawn"),
                     "recorded": _l("Results recorded"), "published": _l("Published")}
SEAT_STATUS = {"active": _l("On the team"), "recused": _l("Recused")}
RECTIFICATION_STATUS = {"open": _l("Open"), "responded": _l("Responded"), "escalated": _l("Escalated"),
                        "closed": _l("Closed")}
TARGET_KINDS = {"project": _l("Project under construction"), "firm": _l("Supplier firm"),
                "product": _l("Product")}
ITEM_CLASSES = {"key": _l("Key item (uncapped)"), "general": _l("General item (capped share)")}
OUTCOMES = {"pass": _l("Pass"), "fail": _l("Fail"), "not_applicable": _l("Not applicable"),
            "pending": _l("Lab result pending")}
TIE_REASONS = {"employer": _l("Employer"), "former_employer": _l("Former employer"), "relative": _l("Relative"),
               "financial_interest": _l("Financial interest"), "other": _l("Other tie")}
PUBLICATION = {"due": _l("Publication due"), "overdue": _l("Publication overdue"),
               "published": _l("Published in time"), "published_late": _l("Published late")}
EXCLUSION_LABELS = {"recently_inspected": _l("Inspected recently"), "own_organisation": _l("Own organisation"),
                    "recorded_tie": _l("Recorded tie to the target")}
DRAW_PURPOSES = {"inspection_targets": _l("Inspection targets"), "inspection_team": _l("Inspection team")}
RECORD_KINDS = {
    "inspection_drawn": _l("Drawn for a random inspection"),
    "inspection_recorded": _l("Inspection results recorded"),
    "inspection_published": _l("Inspection results published"),
    "rectification_issued": _l("Rectification notice issued"),
    "rectification_responded": _l("Rectification answered with evidence"),
    "rectification_closed": _l("Rectification closed after re-inspection"),
    "rectification_escalated": _l("Rectification escalated after re-inspection"),
}
#: Code words shown through `Term` in messages (conflict reasons, states).
TERMS = [_l("own_organisation"), _l("recorded_tie"), _l("planned"), _l("active"), _l("team_pending"),
         _l("scheduled"), _l("recorded"), _l("published"), _l("responded"), _l("escalated"), _l("open")]

GROUPS = {"campaign_status": CAMPAIGN_STATUS, "inspection_status": INSPECTION_STATUS, "seat_status": SEAT_STATUS,
          "rectification_status": RECTIFICATION_STATUS, "target_kind": TARGET_KINDS, "item_class": ITEM_CLASSES,
          "outcome": OUTCOMES, "tie_reason": TIE_REASONS, "publication": PUBLICATION,
          "exclusion": EXCLUSION_LABELS}
