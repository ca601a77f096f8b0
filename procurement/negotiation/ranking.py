"""Reading offers after their round closed: each firm's previous offer (for the minimal step),
the standings and ranking after a round, the anonymised view each firm gets (its own rank and
offer, the number of firms ranked and the best price: never another firm's identity or price),
and the public result. Only opened offers are read: a sealed offer has no amount yet."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from core.extensions import db
from procurement.negotiation.models import NegotiationOffer, NegotiationRound
from procurement.negotiation.rules import Standing, ranked
from procurement.negotiation.states import OPENED, ROUND_CLOSED


def _opened(negotiation_id: int, upto: int | None = None) -> list[tuple[int, NegotiationOffer]]:
    """(round number, offer) of every opened offer, round by round."""
    stmt = (select(NegotiationRound.number, NegotiationOffer)
            .join(NegotiationRound, NegotiationRound.id == NegotiationOffer.round_id)
            .where(NegotiationOffer.negotiation_id == negotiation_id, NegotiationOffer.status == OPENED,
                   NegotiationRound.status == ROUND_CLOSED)
            .order_by(NegotiationRound.number, NegotiationOffer.id))
    if upto is not None:
        stmt = stmt.where(NegotiationRound.number <= upto)
    return list(db.session.execute(stmt).all())


def previous_total(negotiation, org_id: int) -> int | None:
    """The firm's latest opened offer, None before its first."""
    rows = [o for _n, o in _opened(negotiation.id) if o.supplier_org_id == org_id]
    return rows[-1].total_fen if rows else None


def standings(negotiation, upto: int | None = None) -> list[Standing]:
    """Each firm's standing offer after round `upto` (default: every closed round), ranked."""
    latest: dict[int, NegotiationOffer] = {}
    first: dict[int, int] = {}
    for _n, offer in _opened(negotiation.id, upto):
        latest[offer.supplier_org_id] = offer
        first.setdefault(offer.supplier_org_id, offer.total_fen)
    rows = [Standing(org, o.id, o.total_fen, o.received_at, first[org]) for org, o in latest.items()]
    return ranked(rows, negotiation.tie_rule)


@dataclass(frozen=True)
class RoundView:
    """What one firm sees of one closed round."""

    number: int
    final: bool
    rank: int | None           # None: the firm has no offer yet
    ranked: int                # firms ranked
    best_total_fen: int | None
    own_total_fen: int | None
    offered_this_round: bool


def firm_view(negotiation, org_id: int) -> list[RoundView]:
    """The firm's anonymised ranking after each closed round."""
    out = []
    for rnd in negotiation.rounds:
        if rnd.status != ROUND_CLOSED:
            continue
        rows = standings(negotiation, rnd.number)
        mine = next((i for i, s in enumerate(rows) if s.supplier_org_id == org_id), None)
        out.append(RoundView(number=rnd.number, final=rnd.final, rank=None if mine is None else mine + 1,
                             ranked=len(rows), best_total_fen=rows[0].total_fen if rows else None,
                             own_total_fen=None if mine is None else rows[mine].total_fen,
                             offered_this_round=any(o.supplier_org_id == org_id and o.status == OPENED
                                                    for o in rnd.offers)))
    return out


def round_summary(negotiation) -> list[dict]:
    """Per round: number, final, status, deadline, offers received, best price and the signed root
    (counts and amounts only once closed)."""
    out = []
    for rnd in negotiation.rounds:
        closed = rnd.status == ROUND_CLOSED
        out.append({"number": rnd.number, "final": rnd.final, "status": rnd.status, "deadline_at": rnd.deadline_at,
                    "closed_at": rnd.closed_at, "offers": len(rnd.offers) if closed else None,
                    "best_total_fen": rnd.best_total_fen if closed else None,
                    "merkle_root": rnd.merkle_root, "root_statement": rnd.root_statement,
                    "root_signature": rnd.root_signature})
    return out


def saving_bp(negotiation) -> int | None:
    """The saving against the ceiling, in basis points (rounded down), once concluded."""
    if negotiation.total_fen is None:
        return None
    return (negotiation.ceiling_fen - negotiation.total_fen) * 10_000 // negotiation.ceiling_fen
