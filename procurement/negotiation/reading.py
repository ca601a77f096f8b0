"""What each reader sees of a negotiation, as plain data for pages and the API: the rules and
rounds for everyone allowed to see it; the invited firms and every opened offer for its centre
and overseers only, once their round closed (who offered in an open round is hidden, like bids
before their deadline); for an invited firm its own offers and anonymised ranking; the public result
(winner, amount, ceiling, saving, rounds with their signed roots) once concluded."""

from __future__ import annotations

from core.extensions import db
from core.models import Organisation
from procurement.negotiation import policy, ranking
from procurement.negotiation.states import CONCLUDED, OPENED


def firm(org_id) -> dict | None:
    org = db.session.get(Organisation, org_id) if org_id else None
    return None if org is None else {"id": org.id, "name_en": org.name_en, "name_zh": org.name_zh}


def view(viewer, negotiation) -> dict:
    """The negotiation as `viewer` may see it."""
    staff = policy.can_manage(viewer, negotiation) or policy.is_overseer(viewer, negotiation)
    org_id = policy.participant_org(viewer, negotiation)
    rnd = policy.open_round(negotiation)
    out = {"negotiation": negotiation, "staff": staff, "participant_org_id": org_id,
           "rounds": ranking.round_summary(negotiation), "open_round": rnd,
           "winner": firm(negotiation.winner_org_id) if negotiation.status == CONCLUDED else None,
           "saving_bp": ranking.saving_bp(negotiation), "participants": None, "offers": None,
           "my_rounds": None, "my_offers": None}
    if staff:
        out["participants"] = [firm(p.supplier_org_id) for p in negotiation.participants]
        out["offers"] = [{"round": r.number, "firm": firm(o.supplier_org_id), "status": o.status,
                          "received_at": o.received_at, "envelope_sha256": o.envelope_sha256,
                          "total_fen": o.total_fen if o.status == OPENED else None}
                         for r in negotiation.rounds if r.status != "open" for o in r.offers]
    if org_id is not None:
        out["my_rounds"] = ranking.firm_view(negotiation, org_id)
        out["my_offers"] = [{"round": r.number, "received_at": o.received_at, "status": o.status,
                             "envelope_sha256": o.envelope_sha256, "receipt_statement": o.receipt_statement,
                             "receipt_signature": o.receipt_signature,
                             "total_fen": o.total_fen if o.status == OPENED else None}
                            for r in negotiation.rounds for o in r.offers if o.supplier_org_id == org_id]
        out["previous_total_fen"] = ranking.previous_total(negotiation, org_id)
    return out
