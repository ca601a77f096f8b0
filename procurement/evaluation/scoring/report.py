"""The evaluation report of a lot, computed from the stored scores: each expert's scores per bid,
averages, price scores, totals, the ranking, the price flags and justifications. Reads only.

`compute(evaluation)` is the live (provisional) computation; `build(...)` turns it into the JSON
document frozen at the report's issue (exact values as "n/d" text, times as ISO UTC) whose
SHA-256 every member's signature names. The printable page and `results` read the frozen one.
"""

from __future__ import annotations

from fractions import Fraction

from sqlalchemy import select

from core.extensions import db
from core.hashchain import canonical_json, canonical_time, sha256_hex
from core.i18n import N_, message_payload
from core.models import Organisation
from core.timeutil import china_time
from procurement.bids.models import Bid
from procurement.evaluation.scoring import arithmetic
from procurement.evaluation.scoring.arithmetic import (
    BidInput,
    CriterionInput,
    display,
    exact,
)
from procurement.evaluation.scoring.states import EXCLUDING_FLAG_STATES, LAPSED
from procurement.opening.reading import qualified_bids


def exclusion_reason(flag) -> dict | None:
    """Why a flagged bid is out of the ranking (stored message), or None when it is not."""
    if flag is None or flag.status not in EXCLUDING_FLAG_STATES:
        return None
    if flag.status == LAPSED:
        return message_payload(N_("Abnormally low price: no justification was received by %(due)s."),
                               {"due": china_time(flag.due_at)})
    return message_payload(N_("Abnormally low price: the panel rejected the justification (%(reason)s)."),
                           {"reason": flag.decision_reason})


def bid_inputs(evaluation) -> list[BidInput]:
    """The lot's qualified bids with their receipt times and exclusions."""
    qualified = qualified_bids(evaluation.lot_id)
    received = dict(db.session.execute(select(Bid.id, Bid.received_at).where(
        Bid.id.in_([q.bid_id for q in qualified]))).all()) if qualified else {}
    flags = {f.opened_bid_id: f for f in evaluation.flags}
    out = []
    for q in qualified:
        reason = exclusion_reason(flags.get(q.opened_bid_id))
        out.append(BidInput(opened_bid_id=q.opened_bid_id, bid_id=q.bid_id, supplier_org_id=q.supplier_org_id,
                            total_fen=q.total_fen, received_at=received[q.bid_id], excluded=reason is not None,
                            exclusion_reason=reason))
    return out


def counted_sheets(evaluation, member_ids) -> list:
    """The submitted sheets of the given members (a member who left the panel no longer counts)."""
    members = set(member_ids)
    return [s for s in evaluation.sheets if s.expert_user_id in members]


def compute(evaluation, member_ids) -> list[arithmetic.Scored]:
    """Scores and ranks from the current rows, counting the sheets of `member_ids`."""
    criteria = [CriterionInput(c["id"], c["weight_bp"], c["max_score_cp"]) for c in evaluation.criteria or []]
    sheets = {s.expert_user_id: {(x.opened_bid_id, x.criterion_id): x.score_cp for x in s.scores}
              for s in counted_sheets(evaluation, member_ids)}
    return arithmetic.evaluate(bid_inputs(evaluation), price_weight_bp=evaluation.price_weight_bp,
                               criteria=criteria, sheets=sheets)


def _names(org_ids) -> dict:
    ids = sorted(set(org_ids))
    if not ids:
        return {}
    rows = db.session.execute(select(Organisation.id, Organisation.name_zh, Organisation.name_en)
                              .where(Organisation.id.in_(ids))).all()
    return {r.id: {"name_zh": r.name_zh, "name_en": r.name_en} for r in rows}


def _bid_row(item: arithmetic.Scored, names: dict, unit_prices: dict) -> dict:
    b = item.bid
    return {"rank": item.rank, "opened_bid_id": b.opened_bid_id, "bid_id": b.bid_id,
            "supplier_org_id": b.supplier_org_id, **names.get(b.supplier_org_id, {}),
            "unit_price_fen": unit_prices.get(b.opened_bid_id), "total_fen": b.total_fen,
            "received_at": canonical_time(b.received_at), "price_score": exact(item.price_score),
            "criteria": {str(cid): {"average": exact(item.averages[cid]), "points": exact(item.points[cid])}
                         for cid in item.points},
            "score": exact(item.score), "score_display": display(item.score), "excluded": b.excluded,
            "exclusion_reason": b.exclusion_reason}


def _flag_row(flag) -> dict:
    return {"id": flag.id, "opened_bid_id": flag.opened_bid_id, "supplier_org_id": flag.supplier_org_id,
            "status": flag.status, "reasons": list(flag.reasons or []), "due_at": canonical_time(flag.due_at),
            "justification": flag.justification or None, "justified_at": canonical_time(flag.justified_at),
            "decision_reason": flag.decision_reason or None, "decided_at": canonical_time(flag.decided_at),
            "decided_by": flag.decided_by_id}


def build(evaluation, members: list, *, issued_at, version: int) -> dict:
    """The report document of `evaluation` counting the sheets of `members` (Users, by seat)."""
    member_ids = [u.id for u in members]
    scored = compute(evaluation, member_ids)
    names = _names(s.bid.supplier_org_id for s in scored)
    unit_prices = {q.opened_bid_id: q.unit_price_fen for q in qualified_bids(evaluation.lot_id)}
    valid = [s.bid.total_fen for s in scored if not s.bid.excluded]
    lot = evaluation.lot
    by_id = {u.id: u for u in members}
    return {
        "version": version, "tender_id": evaluation.tender_id, "reference": lot.tender.reference,
        "lot_id": lot.id, "lot_number": lot.number, "lot_title": lot.title, "ceiling_fen": lot.ceiling_fen,
        "method": evaluation.method, "subject": evaluation.subject, "price_weight_bp": evaluation.price_weight_bp,
        "criteria": list(evaluation.criteria or []), "rule": evaluation.rule.snapshot() if evaluation.rule else None,
        "tie_rule": list(arithmetic.TIE_RULE), "lowest_valid_total_fen": min(valid) if valid else None,
        "members": [{"user_id": u.id, "name": u.name} for u in members],
        "bids": [_bid_row(s, names, unit_prices) for s in scored],
        "sheets": [{"user_id": s.expert_user_id, "name": by_id[s.expert_user_id].name,
                    "submitted_at": canonical_time(s.submitted_at),
                    "scores": _sheet_scores(s)} for s in counted_sheets(evaluation, member_ids)],
        "flags": [_flag_row(f) for f in evaluation.flags],
        "issued_at": canonical_time(issued_at),
    }


def _sheet_scores(sheet) -> dict:
    out: dict = {}
    for x in sheet.scores:
        out.setdefault(str(x.opened_bid_id), {})[str(x.criterion_id)] = x.score_cp
    return out


def digest(report: dict) -> str:
    """SHA-256 of the report's canonical JSON (what signatures name)."""
    return sha256_hex(canonical_json(report))


def fraction(text) -> Fraction:
    return Fraction(text)
