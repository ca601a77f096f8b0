"""The bid bond lifecycle as an explicit transition table (`core.statemachine`). Pure.

pending -> held -> refunded | forfeited; a pending bond may instead fail (card declined, guarantee
rejected) or be cancelled (payment intent cancelled). The provider may report a refund before we
saw the payment succeed (webhooks arrive in any order): `provider_refund` moves pending or held
straight to refunded, and a later success finds the bond no longer pending and changes nothing.
"""

from __future__ import annotations

from core.statemachine import Move, StateMachine

PENDING, HELD, REFUNDED, FORFEITED, FAILED, CANCELLED = "pending", "held", "refunded", "forfeited", "failed", "cancelled"
BOND_STATES = (PENDING, HELD, REFUNDED, FORFEITED, FAILED, CANCELLED)
#: A supplier has at most one bond in these states per lot (partial unique index).
LIVE_STATES = (PENDING, HELD)
#: States in which the bond was held at some moment (`held_at` is set).
SECURED_STATES = (HELD, REFUNDED, FORFEITED)

BOND = StateMachine("bond", BOND_STATES, [
    Move("hold", (PENDING,), HELD),                    # payment succeeded / guarantee verified
    Move("fail", (PENDING,), FAILED),                  # payment failed / guarantee rejected
    Move("cancel", (PENDING,), CANCELLED),             # payment intent cancelled
    Move("refund", (HELD,), REFUNDED),                 # refunded by us (or guarantee released)
    Move("provider_refund", (PENDING, HELD), REFUNDED),  # the provider reports the money returned
    Move("forfeit", (HELD,), FORFEITED),
], final=(REFUNDED, FORFEITED, FAILED, CANCELLED))

CARD, BANK_GUARANTEE = "card", "bank_guarantee"
METHODS = (CARD, BANK_GUARANTEE)

#: Why a bond is forfeited (MOF Order 87): the winner withdrew or refused to sign.
FORFEIT_REASONS = ("winner_withdrew", "refused_to_sign")

#: Chronograph kind: a refund not made by its due date is flagged (once).
REFUND_OVERDUE = "bonds.refund_overdue"

#: Chronograph kind of an automatic return (`procurement.bonds.refunds`): a held bond refunded
#: (card, through the provider) or released (guarantee), a pending one cancelled. Its own object
#: type, so that showing a bond page (`catch_up("bonds", id)`) never waits for the provider.
REFUND_DUE = "bonds.refund"
REFUND_OBJECT_TYPE = "bond_refunds"

#: Why a bond is returned automatically: the tender or the lot ended without an award, or the
#: firm has no bid the bond could secure (its bid withdrawn, or none).
REFUND_CAUSES = ("tender_cancelled", "tender_failed", "lot_cancelled", "lot_failed", "bid_withdrawn", "no_bid")

#: Stripe's test payment methods offered on the embedded (test-mode) payment page.
TEST_METHODS = ("pm_card_visa", "pm_card_visa_chargeDeclined")

#: Code words shown inside messages (`Term`: statuses in IllegalMove, forfeiture reasons),
#: translated when shown. Marked here for extraction only.
def _l(text):  # extraction marker; the words are translated where the Term is rendered
    return text


TERMS = [_l("pending"), _l("held"), _l("refunded"), _l("forfeited"), _l("failed"), _l("cancelled"),
         _l("winner_withdrew"), _l("refused_to_sign"),
         _l("tender_cancelled"), _l("tender_failed"), _l("lot_cancelled"), _l("lot_failed"), _l("bid_withdrawn"),
         _l("no_bid")]
