"""The award, offer, challenge and complaint lifecycles as explicit transition tables
(`core.statemachine`), and the code words of awards. Pure: no database.

Award (one per lot, made when the centre sends the evaluation's recommendation for review)::

    finance_review --approve--> approved --publish--> notified        (award notice; standstill)
    finance_review --return--> returned --resubmit--> finance_review
    finance_review | approved | notified --withdraw--> offering      (the winner withdrew or
    offering --accept--> finance_review                               refused: next-ranked offered;
    offering --offer_next--> offering                                 accepted: reviewed again)
    (any live state) --fail--> failed                                 (nobody left; complaint upheld)
    failed --retender--> retender      failed --negotiate--> negotiation   (the centre's next step)

Offer (the award held by, or offered to, one firm; number 1 is the recommended winner)::

    offered --accept--> accepted      offered --decline--> declined     offered --lapse--> lapsed
    accepted --withdraw--> withdrawn  (the firm withdrew or refused to sign: its bond is forfeited)

Challenge (质疑, a bidder of the lot to the centre) and complaint (投诉, the challenger to the
city's finance office)::

    lodged --answer--> answered       lodged --withdraw--> withdrawn
    lodged --uphold--> upheld         lodged --dismiss--> dismissed     lodged --withdraw--> withdrawn
"""

from __future__ import annotations

from core.statemachine import Move, StateMachine

FINANCE_REVIEW, RETURNED, APPROVED, NOTIFIED, OFFERING, FAILED, RETENDER, NEGOTIATION = (
    "finance_review", "returned", "approved", "notified", "offering", "failed", "retender", "negotiation")
AWARD_STATES = (FINANCE_REVIEW, RETURNED, APPROVED, NOTIFIED, OFFERING, FAILED, RETENDER, NEGOTIATION)
#: An award in these states still decides who gets the lot.
LIVE_AWARD_STATES = (FINANCE_REVIEW, RETURNED, APPROVED, NOTIFIED, OFFERING)
AWARD = StateMachine("award", AWARD_STATES, [
    Move("approve", (FINANCE_REVIEW,), APPROVED),
    Move("return", (FINANCE_REVIEW,), RETURNED),
    Move("resubmit", (RETURNED,), FINANCE_REVIEW),
    Move("publish", (APPROVED,), NOTIFIED),
    Move("withdraw", (FINANCE_REVIEW, RETURNED, APPROVED, NOTIFIED), OFFERING),
    Move("offer_next", (OFFERING,), OFFERING),   # an offer declined or lapsed: the next one is made
    Move("accept", (OFFERING,), FINANCE_REVIEW),
    Move("fail", LIVE_AWARD_STATES, FAILED),
    Move("retender", (FAILED,), RETENDER),
    Move("negotiate", (FAILED,), NEGOTIATION),
], final=(RETENDER, NEGOTIATION))

OFFERED, ACCEPTED, DECLINED, LAPSED, WITHDRAWN = "offered", "accepted", "declined", "lapsed", "withdrawn"
OFFER_STATES = (OFFERED, ACCEPTED, DECLINED, LAPSED, WITHDRAWN)
OFFER = StateMachine("award_offer", OFFER_STATES, [
    Move("accept", (OFFERED,), ACCEPTED),
    Move("decline", (OFFERED,), DECLINED),
    Move("lapse", (OFFERED,), LAPSED),
    Move("withdraw", (ACCEPTED,), WITHDRAWN),
], final=(DECLINED, LAPSED, WITHDRAWN))

LODGED, ANSWERED = "lodged", "answered"
CHALLENGE_STATES = (LODGED, ANSWERED, WITHDRAWN)
CHALLENGE = StateMachine("award_challenge", CHALLENGE_STATES, [
    Move("answer", (LODGED,), ANSWERED),
    Move("withdraw", (LODGED,), WITHDRAWN),
], final=(ANSWERED, WITHDRAWN))

UPHELD, DISMISSED = "upheld", "dismissed"
COMPLAINT_STATES = (LODGED, UPHELD, DISMISSED, WITHDRAWN)
COMPLAINT = StateMachine("award_complaint", COMPLAINT_STATES, [
    Move("uphold", (LODGED,), UPHELD),
    Move("dismiss", (LODGED,), DISMISSED),
    Move("withdraw", (LODGED,), WITHDRAWN),
], final=(UPHELD, DISMISSED, WITHDRAWN))
#: The finance office's decisions and the complaint move each makes.
DECISIONS = {UPHELD: "uphold", DISMISSED: "dismiss"}

#: Why the holder of an award gives it up (the bond's forfeiture reasons, MOF Order 87).
WITHDRAWAL_KINDS = ("winner_withdrew", "refused_to_sign")

#: The next steps of a failed award: the opening's table by method (re-tender, or with approval
#: a negotiation procedure), and the award move each makes.
STEP_MOVES = {"retender": "retender", "competitive_negotiation": "negotiate"}

#: Chronograph kinds.
DEADLINE_REVIEW = "awards.review_due"              # the finance office's confirmation period ends: flagged
DEADLINE_OFFER = "awards.offer_due"                # an offer not answered in time lapses: next one
DEADLINE_ANSWER = "awards.challenge_answer_due"    # a challenge unanswered in time: flagged
DEADLINE_DECISION = "awards.complaint_decision_due"  # a complaint undecided in time: flagged


def _l(text):  # extraction marker: the words are translated where a Term is shown
    return text


TERMS = [_l("finance_review"), _l("returned"), _l("approved"), _l("notified"), _l("offering"), _l("failed"),
         _l("retender"), _l("negotiation"), _l("offered"), _l("accepted"), _l("declined"), _l("lapsed"),
         _l("withdrawn"), _l("lodged"), _l("answered"), _l("upheld"), _l("dismissed"), _l("winner_withdrew"),
         _l("refused_to_sign")]
