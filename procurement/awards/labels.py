"""Names of the package's code words in the reader's language (templates use the `label`
filter), and the names of its project record kinds (added to the timeline's labels at wiring)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

AWARD_STATUS = {
    "finance_review": _l("Waiting for the finance office's review"), "returned": _l("Returned by the finance office"),
    "approved": _l("Approved: award notice to be published"), "notified": _l("Award notice published"),
    "offering": _l("Offered to the next-ranked firm"), "failed": _l("Failed: next step to be chosen"),
    "retender": _l("Failed: to be re-tendered"), "negotiation": _l("Failed: to continue by competitive negotiation"),
}
OFFER_STATUS = {"offered": _l("Offered, waiting for the answer"), "accepted": _l("Holds the award"),
                "declined": _l("Declined"), "lapsed": _l("Lapsed (no answer in time)"),
                "withdrawn": _l("Withdrew or refused to sign")}
CHALLENGE_STATUS = {"lodged": _l("Waiting for the answer"), "answered": _l("Answered"), "withdrawn": _l("Withdrawn")}
COMPLAINT_STATUS = {"lodged": _l("Waiting for the finance office's decision"), "upheld": _l("Upheld"),
                    "dismissed": _l("Dismissed"), "withdrawn": _l("Withdrawn")}
WITHDRAWAL = {"winner_withdrew": _l("The winner withdrew"), "refused_to_sign": _l("The winner refused to sign")}
STEPS = {"retender": _l("Re-tender the lot"),
         "competitive_negotiation": _l("Switch to competitive negotiation (with approval)")}
OUTCOMES = {"upheld": _l("Upheld: the award fails"), "dismissed": _l("Dismissed: the award stands")}
RECORD_KINDS = {
    "award_submitted": _l("Award recommendation sent to the finance office"),
    "award_returned": _l("Award recommendation returned by the finance office"),
    "award_approved": _l("Award recommendation approved by the finance office"),
    "award_published": _l("Award notice published"),
    "award_withdrawn": _l("Winner withdrew or refused to sign (bond forfeited)"),
    "award_offered": _l("Award offered to the next-ranked firm"),
    "award_offer_accepted": _l("Award offer accepted"),
    "award_offer_declined": _l("Award offer declined or lapsed"),
    "award_failed": _l("Award failed"),
    "award_next_step": _l("Next step chosen for a failed award"),
    "award_challenged": _l("Award challenged"),
    "award_challenge_answered": _l("Challenge answered"),
    "award_challenge_withdrawn": _l("Challenge withdrawn"),
    "award_complaint_lodged": _l("Complaint lodged with the finance office"),
    "award_complaint_decided": _l("Complaint decided"),
    "award_complaint_withdrawn": _l("Complaint withdrawn"),
}
GROUPS = {"award": AWARD_STATUS, "offer": OFFER_STATUS, "challenge": CHALLENGE_STATUS, "complaint": COMPLAINT_STATUS,
          "withdrawal": WITHDRAWAL, "step": STEPS, "outcome": OUTCOMES}


