"""The close of a round at its deadline (the chronograph's handler, also run on read) and the
centre's cancellation.

Closing a round: the signed Merkle root over its offers' receipts is published first, then each
envelope is opened with the round's private key (an envelope that does not match its receipt is
void), the key is wiped, and every firm is told its own rank and the best price. After round 1,
fewer firms with an offer than the minimum fails the negotiation; after the final round the
lowest standing offer wins (ties by the published rule) and the negotiation is concluded.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from core import scheduler
from core.errors import NotFound, PermissionDenied
from core.extensions import db
from core.i18n import N_, message_payload
from core.money import format_fen
from core.notifications import notify_organisation
from core.services import unit_of_work
from core.timeutil import utcnow
from core.validation import Errors, text
from procurement.bids import sealing
from procurement.negotiation import policy, ranking, sealed
from procurement.negotiation.models import (
    Negotiation,
    NegotiationOffer,
    NegotiationRound,
)
from procurement.negotiation.services import REASON_MAX, REASON_MIN, locked, record_step
from procurement.negotiation.states import (
    DEADLINE_ROUND,
    MIN_PARTICIPANTS,
    NEGOTIATION,
    OPENED,
    ROUND,
    ROUND_OBJECT,
    ROUND_OPEN,
    SEALED,
    VOID,
)

CHRONOGRAPH = None  # the close runs as the platform (no person)


def close_due(round_id: int, due_at: dt.datetime) -> None:
    """Chronograph handler of `DEADLINE_ROUND` (no commit): close the round if still open."""
    rnd = db.session.get(NegotiationRound, int(round_id))
    if rnd is None or rnd.status != ROUND_OPEN or utcnow() < rnd.deadline_at:
        return
    negotiation = locked(rnd.negotiation_id)
    db.session.refresh(rnd)
    if rnd.status != ROUND_OPEN:
        return
    _close(negotiation, rnd, max(rnd.deadline_at, min(due_at, utcnow())))


def _close(negotiation, rnd, now: dt.datetime) -> None:
    offers = [o for o in rnd.offers if o.status == SEALED]
    root, statement, signature = sealed.root_of(negotiation, rnd, offers)
    try:
        key = sealed.private_key_of(rnd)
    except sealing.SealingError:
        key = None
    for offer in offers:
        total = sealed.open_offer(rnd, offer, bytes(key)) if key is not None else None
        if total is None:
            db.session.execute(update(NegotiationOffer).where(NegotiationOffer.id == offer.id).values(
                status=VOID, void_reason=message_payload(N_("The sealed offer does not match its receipt."))))
        else:
            db.session.execute(update(NegotiationOffer).where(NegotiationOffer.id == offer.id)
                               .values(status=OPENED, total_fen=total))
    ROUND.apply(NegotiationRound, rnd.id, "close", closed_at=now, merkle_root=root, root_statement=statement,
                root_signature=signature, wrapped_private_key=None, key_salt=None)
    db.session.flush()
    db.session.expire_all()
    negotiation = db.session.get(Negotiation, negotiation.id)
    rnd = db.session.get(NegotiationRound, rnd.id)
    rows = ranking.standings(negotiation, rnd.number)
    best = rows[0].total_fen if rows else None
    db.session.execute(update(NegotiationRound).where(NegotiationRound.id == rnd.id).values(best_total_fen=best))
    opened = sum(1 for o in rnd.offers if o.status == OPENED)
    record_step(negotiation, "negotiation_round_closed", {"round": rnd.number, "final": rnd.final, "offers": len(offers),
                                                       "opened": opened, "merkle_root": root,
                                                       "best_total_fen": best}, actor=CHRONOGRAPH)
    _tell_ranks(negotiation, rnd, rows)
    if rnd.number == 1 and len(rows) < MIN_PARTICIPANTS:
        _fail(negotiation, N_("Only %(n)s firms made a valid offer in round 1; a negotiation needs at least %(min)s."),
              {"n": len(rows), "min": MIN_PARTICIPANTS}, now)
    elif rnd.final:
        if not rows:
            _fail(negotiation, N_("No valid final offer was made."), {}, now)
        else:
            _conclude(negotiation, rows[0], now)


def _tell_ranks(negotiation, rnd, rows) -> None:
    """Each firm hears its own rank and the best price only (no names, no other prices)."""
    from procurement.blueprints import page_path

    link = page_path("negotiation.page", negotiation_id=negotiation.id)
    ranks = {s.supplier_org_id: i + 1 for i, s in enumerate(rows)}
    for p in negotiation.participants:
        rank = ranks.get(p.supplier_org_id)
        if rank is None:
            notify_organisation(p.supplier_org_id, "negotiation.ranking",
                                N_("Round %(round)s of %(reference)s closed; your firm has no valid offer yet. The "
                                   "best offer is %(best)s."),
                                {"round": rnd.number, "reference": negotiation.reference,
                                 "best": format_fen(rows[0].total_fen) if rows else "—"}, link=link)
        else:
            notify_organisation(p.supplier_org_id, "negotiation.ranking",
                                N_("Round %(round)s of %(reference)s closed: your firm ranks %(rank)s of %(count)s; the "
                                   "best offer is %(best)s."),
                                {"round": rnd.number, "reference": negotiation.reference, "rank": rank,
                                 "count": len(rows), "best": format_fen(rows[0].total_fen)}, link=link)


def _fail(negotiation, template: str, params: dict, now) -> None:
    before = negotiation.snapshot()
    NEGOTIATION.apply(Negotiation, negotiation.id, "fail", fail_reason=message_payload(template, params),
                      concluded_at=now, updated_at=now)
    db.session.refresh(negotiation)
    _cancel_open_rounds(negotiation)
    record_step(negotiation, "negotiation_failed", {"reason": message_payload(template, params)}, actor=CHRONOGRAPH,
            before=before)


def _conclude(negotiation, winner, now) -> None:
    before = negotiation.snapshot()
    NEGOTIATION.apply(Negotiation, negotiation.id, "conclude", winner_org_id=winner.supplier_org_id,
                      winner_offer_id=winner.offer_id, total_fen=winner.total_fen, concluded_at=now, updated_at=now)
    db.session.refresh(negotiation)
    record_step(negotiation, "negotiation_concluded", {"winner_org_id": winner.supplier_org_id,
                                                   "total_fen": winner.total_fen,
                                                   "ceiling_fen": negotiation.ceiling_fen,
                                                   "saving_bp": ranking.saving_bp(negotiation),
                                                   "tie_rule": negotiation.tie_rule}, actor=CHRONOGRAPH, before=before)
    from procurement.blueprints import page_path

    for p in negotiation.participants:
        won = p.supplier_org_id == winner.supplier_org_id
        notify_organisation(p.supplier_org_id, "negotiation.result",
                            N_("Your firm's final offer of %(total)s won negotiation %(reference)s.") if won else
                            N_("Negotiation %(reference)s is concluded: the winning final offer is %(total)s."),
                            {"reference": negotiation.reference, "total": format_fen(winner.total_fen)},
                            link=page_path("negotiation.result_page", negotiation_id=negotiation.id))


def _cancel_open_rounds(negotiation) -> None:
    for rnd in negotiation.rounds:
        if rnd.status == ROUND_OPEN:
            scheduler.cancel(DEADLINE_ROUND, ROUND_OBJECT, rnd.id)


def cancel(actor, negotiation_id, reason) -> Negotiation:
    """The centre cancels a live negotiation with a reason: open rounds stop (their offers stay
    sealed, and are never opened), every firm is told."""
    errors = Errors()
    reason = text({"reason": reason}, "reason", errors, max_len=REASON_MAX)
    if not errors and len(reason) < REASON_MIN:
        errors.add("reason", N_("At least %(n)s characters."), n=REASON_MIN)
    errors.raise_if_any(N_("Give a reason for the cancellation."))
    now = utcnow()
    with unit_of_work():
        negotiation = locked(negotiation_id)
        if not policy.can_view(actor, negotiation):
            raise NotFound(N_("No such negotiation."))
        if not policy.can_manage(actor, negotiation):
            raise PermissionDenied(N_("Only the negotiation's procurement centre cancels it."))
        before = negotiation.snapshot()
        NEGOTIATION.apply(Negotiation, negotiation.id, "cancel", cancel_reason=reason, concluded_at=now,
                          updated_at=now)
        db.session.refresh(negotiation)
        _cancel_open_rounds(negotiation)
        record_step(negotiation, "negotiation_cancelled", {"reason": reason}, actor=actor, before=before)
        for p in negotiation.participants:
            notify_organisation(p.supplier_org_id, "negotiation.cancelled",
                                N_("Negotiation %(reference)s was cancelled."), {"reference": negotiation.reference})
    return negotiation


