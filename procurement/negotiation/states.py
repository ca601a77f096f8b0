"""The lifecycles of a negotiation and of its rounds (transition tables through
`core.statemachine`), the kinds of procedure, the tie rules and the chronograph's deadline kind.

A negotiation is `open` while its improvement rounds run, `final` once its final-offer round is
opened, then `concluded` (a winner), `failed` (fewer participants offered than the minimum, or
no final offer) or `cancelled` by the centre. A round is `open` until its deadline, then
`closed` (its sealed offers opened and ranked).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.statemachine import Move, StateMachine

OPEN, FINAL, CONCLUDED, FAILED, CANCELLED = "open", "final", "concluded", "failed", "cancelled"
NEGOTIATION_STATES = (OPEN, FINAL, CONCLUDED, FAILED, CANCELLED)
LIVE_STATES = (OPEN, FINAL)
NEGOTIATION = StateMachine("negotiation", NEGOTIATION_STATES, [
    Move("finalise", (OPEN,), FINAL),
    Move("conclude", (FINAL,), CONCLUDED),
    Move("fail", (OPEN, FINAL), FAILED),
    Move("cancel", (OPEN, FINAL), CANCELLED),
], final=(CONCLUDED, FAILED, CANCELLED))

ROUND_OPEN, ROUND_CLOSED = "open", "closed"
ROUND_STATES = (ROUND_OPEN, ROUND_CLOSED)
ROUND = StateMachine("negotiation_round", ROUND_STATES, [
    Move("close", (ROUND_OPEN,), ROUND_CLOSED),
], final=(ROUND_CLOSED,))

SEALED, OPENED, VOID = "sealed", "opened", "void"
OFFER_STATES = (SEALED, OPENED, VOID)

COMPETITIVE_NEGOTIATION, COMPETITIVE_CONSULTATION, MINI_COMPETITION = (
    "competitive_negotiation", "competitive_consultation", "mini_competition")
KINDS = (COMPETITIVE_NEGOTIATION, COMPETITIVE_CONSULTATION, MINI_COMPETITION)

#: published tie rules: equal lowest final offers are decided by ...
EARLIEST_OFFER = "earliest_offer"      # ... the final offer received first
LOWER_FIRST_OFFER = "lower_first_offer"  # ... the lower first-round offer, then the earliest final offer
TIE_RULES = (EARLIEST_OFFER, LOWER_FIRST_OFFER)

MIN_PARTICIPANTS = 3
DEADLINE_ROUND = "negotiation.round_due"   # the chronograph closes a round at its deadline
ROUND_OBJECT = "negotiation_rounds"

TERMS = [_l("open"), _l("final"), _l("concluded"), _l("failed"), _l("cancelled"), _l("closed"), _l("sealed"),
         _l("opened"), _l("void"), _l("competitive_negotiation"), _l("competitive_consultation"),
         _l("mini_competition"), _l("earliest_offer"), _l("lower_first_offer")]
