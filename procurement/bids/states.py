"""The bid lifecycle as an explicit transition table (`core.statemachine`). Pure: no database.

    submitted --replace--> replaced         (a new bid row, sequence + 1, takes its place)
    submitted --withdraw--> withdrawn
    submitted --amended--> needs_reconfirmation --reconfirm--> submitted
    needs_reconfirmation --withdraw--> withdrawn
    needs_reconfirmation --replace--> replaced   (a new bid is a re-confirmation too)
    needs_reconfirmation --seal--> not_opened    (at the deadline: never decrypted, never counted)

"Not opened" is a status of its own: at the deadline a bid still waiting for re-confirmation
moves to `not_opened`; opening (next issue) reads only `submitted` bids (`LIVE_AT_OPENING`).
"""

from __future__ import annotations

from core.statemachine import Move, StateMachine

SUBMITTED = "submitted"
REPLACED = "replaced"
WITHDRAWN = "withdrawn"
NEEDS_RECONFIRMATION = "needs_reconfirmation"
NOT_OPENED = "not_opened"
BID_STATES = (SUBMITTED, REPLACED, WITHDRAWN, NEEDS_RECONFIRMATION, NOT_OPENED)
#: A supplier has at most one live bid per lot (a partial unique index backs this).
LIVE_STATES = (SUBMITTED, NEEDS_RECONFIRMATION)
#: The bids that go into the deadline's Merkle root and are opened.
LIVE_AT_OPENING = (SUBMITTED,)

BID = StateMachine("bid", BID_STATES, [
    Move("replace", (SUBMITTED, NEEDS_RECONFIRMATION), REPLACED),
    Move("withdraw", (SUBMITTED, NEEDS_RECONFIRMATION), WITHDRAWN),
    Move("amended", (SUBMITTED,), NEEDS_RECONFIRMATION),
    Move("reconfirm", (NEEDS_RECONFIRMATION,), SUBMITTED),
    Move("seal", (NEEDS_RECONFIRMATION,), NOT_OPENED),
], final=(REPLACED, WITHDRAWN, NOT_OPENED))

#: What a receipt says happened.
RECEIPT_KINDS = ("submitted", "replaced", "withdrawn", "reconfirmed")

#: Scheduler kind: at the bid deadline, seal the round (Merkle root, not-opened bids).
DEADLINE_SEAL = "bids.seal_round"
