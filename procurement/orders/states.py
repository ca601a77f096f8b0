"""The call-off order lifecycle as an explicit transition table (`core.statemachine`). Pure.

::

    placed --confirm--> confirmed                          (the supplier confirms)
    confirmed | partly_delivered --deliver_part--> partly_delivered   (accepted deliveries,
    confirmed | partly_delivered --deliver_all--> delivered            `fulfilment.note_fulfilment`)
    delivered --accept--> accepted                         (the purchaser accepts the order)
    placed | confirmed --cancel--> cancelled               (with a reason; quota given back)
"""

from __future__ import annotations

from core.statemachine import Move, StateMachine

PLACED, CONFIRMED, PARTLY_DELIVERED, DELIVERED, ACCEPTED, CANCELLED = (
    "placed", "confirmed", "partly_delivered", "delivered", "accepted", "cancelled")
ORDER_STATES = (PLACED, CONFIRMED, PARTLY_DELIVERED, DELIVERED, ACCEPTED, CANCELLED)
#: Orders in these states count against the quota and the agreement's total.
COUNTING_STATES = (PLACED, CONFIRMED, PARTLY_DELIVERED, DELIVERED, ACCEPTED)

ORDER = StateMachine("order", ORDER_STATES, [
    Move("confirm", (PLACED,), CONFIRMED),
    Move("deliver_part", (CONFIRMED, PARTLY_DELIVERED), PARTLY_DELIVERED),
    Move("deliver_all", (CONFIRMED, PARTLY_DELIVERED), DELIVERED),
    Move("accept", (DELIVERED,), ACCEPTED),
    Move("cancel", (PLACED, CONFIRMED), CANCELLED),
], final=(ACCEPTED, CANCELLED))

DIRECT, MINI_COMPETITION = "direct", "mini_competition"
SELECTION_METHODS = (DIRECT, MINI_COMPETITION)


def _l(text):  # extraction marker
    return text


TERMS = [_l("placed"), _l("confirmed"), _l("partly_delivered"), _l("delivered"), _l("accepted"),
         _l("cancelled"), _l("direct"), _l("mini_competition")]
