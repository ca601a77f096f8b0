"""The opening session and lot-outcome lifecycles as explicit transition tables
(`core.statemachine`), and the code words of opening and qualification. Pure: no database.

Opening session (one per tender, made at the first unlock after the deadline)::

    collecting --complete--> opened            (the k-th share: bids decrypted, shares wiped)
    collecting --expire--> expired             (OPENING_SESSION_MINUTES after the first unlock:
    expired --restart--> collecting             shares wiped; the next unlock starts again)

Lot outcome (one per active lot at opening)::

    qualifying --confirm--> qualified          (enough bids pass every check: to scoring)
    qualifying --fail--> failed                (too few valid bids at opening, or too few
    qualifying --override--> qualifying         qualified bids when the centre confirms)
    failed --retender--> retender              (the centre's choice of the profile's next step)
    failed --negotiate--> negotiation
"""

from __future__ import annotations

from core.statemachine import Move, StateMachine

COLLECTING, OPENED, EXPIRED = "collecting", "opened", "expired"
SESSION_STATES = (COLLECTING, OPENED, EXPIRED)
SESSION = StateMachine("opening_session", SESSION_STATES, [
    Move("complete", (COLLECTING,), OPENED),
    Move("expire", (COLLECTING,), EXPIRED),
    Move("restart", (EXPIRED,), COLLECTING),
], final=(OPENED,))

QUALIFYING, QUALIFIED, FAILED, RETENDER, NEGOTIATION = "qualifying", "qualified", "failed", "retender", "negotiation"
LOT_OUTCOMES = (QUALIFYING, QUALIFIED, FAILED, RETENDER, NEGOTIATION)
LOT_OPENING = StateMachine("lot_opening", LOT_OUTCOMES, [
    Move("confirm", (QUALIFYING,), QUALIFIED),
    Move("fail", (QUALIFYING,), FAILED),
    # An override changes no status; the conditional UPDATE makes it lose cleanly to a confirm
    # that came first (the row is no longer qualifying).
    Move("override", (QUALIFYING,), QUALIFYING),
    Move("retender", (FAILED,), RETENDER),
    Move("negotiate", (FAILED,), NEGOTIATION),
], final=(RETENDER, NEGOTIATION))

#: An opened bid is valid (its envelope matched its commitment and opened) or void.
VALID, VOID = "valid", "void"
OPENED_BID_STATES = (VALID, VOID)

#: The automatic qualification checks, in the order pages show them.
CHECK_SUPPLIER, CHECK_PRODUCT, CHECK_COMPLIANCE, CHECK_PRICE, CHECK_BOND = (
    "supplier", "product", "compliance", "price", "bond")
CHECKS = (CHECK_SUPPLIER, CHECK_PRODUCT, CHECK_COMPLIANCE, CHECK_PRICE, CHECK_BOND)

#: The next steps offered when a lot fails, by the tender's procurement method (DOMAIN.md 9:
#: fewer than 3 qualifying suppliers: re-tender or, with approval, a negotiation procedure).
RETENDER_STEP, NEGOTIATION_STEP = "retender", "competitive_negotiation"
NEXT_STEPS = {
    "public_tender": (RETENDER_STEP, NEGOTIATION_STEP),
    "competitive_negotiation": (RETENDER_STEP,),
    "competitive_consultation": (RETENDER_STEP,),
    "framework_agreement": (RETENDER_STEP,),
    "call_off": (RETENDER_STEP,),
}
#: The lot-outcome move each next step makes.
STEP_MOVES = {RETENDER_STEP: "retender", NEGOTIATION_STEP: "negotiate"}

#: Chronograph kind: an opening session whose time is up wipes its unlocked shares.
DEADLINE_SESSION = "opening.session_expiry"


def _l(text):  # extraction marker: the words are translated where a Term is shown
    return text


TERMS = [_l("collecting"), _l("opened"), _l("qualifying"), _l("qualified"), _l("retender"), _l("negotiation"),
         _l("valid"), _l("void"), _l("competitive_negotiation")]
