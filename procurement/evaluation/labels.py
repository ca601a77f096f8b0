"""Names of the package's code words, in the reader's language (templates use the
`label` filter (groups `evaluation_<group>`); draw pages get the purpose and reason names through
`core.draws_views.register_labels`)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

PANEL_STATUS_LABELS = {"requested": _l("Requested (seed committed)"), "inviting": _l("Experts invited"),
                       "complete": _l("Complete"), "cancelled": _l("Cancelled")}
MEMBER_STATUS_LABELS = {"invited": _l("Invited"), "accepted": _l("Accepted"), "declined": _l("Declined"),
                        "released": _l("Released")}
DECLINE_REASON_LABELS = {"conflict_of_interest": _l("Conflict of interest"), "unavailable": _l("Not available"),
                         "other": _l("Other reason")}
EXCLUSION_LABELS = {
    "already_drawn": _l("Already drawn for this panel"), "inactive": _l("Deactivated in the pool"),
    "account_not_active": _l("Account not active"), "speciality_mismatch": _l("Speciality does not match"),
    "bidder_affiliation": _l("Employed by a bidder"), "purchaser_affiliation": _l("Employed by a purchaser"),
    "recent_service": _l("Served the same purchaser recently"),
}
DRAW_PURPOSES = {"evaluation_panel": _l("Evaluation panel")}
RECORD_KINDS = {
    "evaluation_panel_requested": _l("Evaluation panel requested (draw committed)"),
    "evaluation_panel_drawn": _l("Evaluation panel drawn"),
    "evaluation_panel_seat_declined": _l("Panel seat declined (replacement committed)"),
    "evaluation_panel_replacement_drawn": _l("Panel replacement drawn"),
    "evaluation_panel_completed": _l("Evaluation panel complete"),
    "evaluation_panel_cancelled": _l("Evaluation panel cancelled"),
}
#: Code words shown through `Term` in messages (the role, the organisation kind, panel states).
TERMS = [_l("expert"), _l("expert_pool"), _l("requested"), _l("inviting"), _l("complete")]

GROUPS = {"panel_status": PANEL_STATUS_LABELS, "member_status": MEMBER_STATUS_LABELS,
          "decline_reason": DECLINE_REASON_LABELS, "exclusion": EXCLUSION_LABELS}


