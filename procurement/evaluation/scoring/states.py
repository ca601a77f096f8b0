"""The lifecycles of scoring as explicit transition tables (`core.statemachine`) and the code words
of the package. Pure: no database.

Lot evaluation (one per lot, started by the centre once the lot is qualified and its panel complete)::

    scoring --issue--> signing          (every member's scores in, every price flag decided:
    signing --reopen--> scoring          the report is frozen; the centre may take it back)
    signing --sign--> signing            (one member's signature: a self-loop, so a signature
    signing --complete--> signed          that races a reopen lands first or gets a 409)

Price flag (one per abnormally low bid)::

    awaiting --justify--> justified     (the bidder explains, before the deadline)
    awaiting --lapse--> lapsed          (no justification by the deadline: the bid is excluded)
    justified --accept--> accepted      (the panel, with a reason: the bid stays in)
    justified --reject--> rejected      (the panel, with a reason: the bid is excluded)
"""

from __future__ import annotations

from core.statemachine import Move, StateMachine

LOWEST_PRICE, COMPREHENSIVE = "lowest_price", "comprehensive"
METHODS = (LOWEST_PRICE, COMPREHENSIVE)
GOODS, SERVICES = "goods", "services"
SUBJECTS = (GOODS, SERVICES)

SCORING, SIGNING, SIGNED = "scoring", "signing", "signed"
EVALUATION_STATES = (SCORING, SIGNING, SIGNED)
EVALUATION = StateMachine("lot_evaluation", EVALUATION_STATES, [
    Move("issue", (SCORING,), SIGNING),
    Move("reopen", (SIGNING,), SCORING),
    Move("sign", (SIGNING,), SIGNING),
    Move("complete", (SIGNING,), SIGNED),
], final=(SIGNED,))

AWAITING, JUSTIFIED, ACCEPTED, REJECTED, LAPSED = "awaiting", "justified", "accepted", "rejected", "lapsed"
FLAG_STATES = (AWAITING, JUSTIFIED, ACCEPTED, REJECTED, LAPSED)
#: Flags still waiting for the bidder or the panel: the report cannot be issued while one is.
OPEN_FLAG_STATES = (AWAITING, JUSTIFIED)
#: A bid whose flag ended so is excluded from the ranking.
EXCLUDING_FLAG_STATES = (REJECTED, LAPSED)
FLAG = StateMachine("price_flag", FLAG_STATES, [
    Move("justify", (AWAITING,), JUSTIFIED),
    Move("lapse", (AWAITING,), LAPSED),
    Move("accept", (JUSTIFIED,), ACCEPTED),
    Move("reject", (JUSTIFIED,), REJECTED),
], final=(ACCEPTED, REJECTED, LAPSED))

#: Chronograph kind: the justification deadline of a lot evaluation's flags.
DEADLINE_JUSTIFICATION = "scoring.justification_due"
OBJECT_TYPE = "lot_evaluations"

#: Bounds of what people type.
REASON_MIN, REASON_MAX = 5, 2000
JUSTIFICATION_MIN, JUSTIFICATION_MAX = 20, 5000
MAX_CRITERIA = 20
#: A criterion's maximum score, in hundredths of a point (0.01 .. 1000 points).
MAX_SCORE_CP = 100_000


def _l(text):  # extraction marker: the words are translated where a Term is shown
    return text


TERMS = [_l("scoring"), _l("signing"), _l("signed"), _l("awaiting"), _l("justified"), _l("accepted"),
         _l("lapsed"), _l("lowest_price"), _l("comprehensive"), _l("goods"), _l("services")]
