"""What pages and the API read about awards. Reads only.

- `award_view(viewer, award)`: the award with its offers, the ranking kept with it (staff only),
  the challenges as the viewer may see them, the contract gate, and what the viewer may do;
- `public_challenges(award)`: number, dates and status of each challenge and its complaint
  (no text, no firm): what everyone sees;
- `tender_awards(viewer, tender)`: per lot of a tender, its award if the viewer may see it.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from sqlalchemy import select

from core.extensions import db
from core.models import Organisation
from core.timeutil import utcnow
from procurement.awards import gate, policy
from procurement.awards.models import Award, Challenge
from procurement.awards.states import OFFERED


def score_text(score) -> str:
    """An exact score ("1751/20") as points with two decimals ("87.55"); '' when none."""
    if score in (None, ""):
        return ""
    try:
        return f"{float(Fraction(str(score))):.2f}"
    except (ValueError, ZeroDivisionError):
        return str(score)


def _orgs(ids) -> dict[int, Organisation]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {o.id: o for o in db.session.execute(select(Organisation).where(Organisation.id.in_(ids))).scalars()}


def challenges_of(award_id: int) -> list[Challenge]:
    return list(db.session.execute(select(Challenge).where(Challenge.award_id == award_id)
                                   .order_by(Challenge.number)).unique().scalars())


def public_challenge(c: Challenge) -> dict:
    complaint = c.complaint
    return {"number": c.number, "notice_number": c.notice_number, "lodged_at": c.lodged_at, "status": c.status,
            "answer_due_at": c.answer_due_at, "answered_at": c.answered_at, "overdue": c.answer_overdue_at is not None,
            "complaint_until": c.complaint_until,
            "complaint": None if complaint is None else {
                "status": complaint.status, "lodged_at": complaint.lodged_at,
                "decision_due_at": complaint.decision_due_at, "decided_at": complaint.decided_at,
                "overdue": complaint.decision_overdue_at is not None}}


def public_challenges(award) -> list[dict]:
    return [public_challenge(c) for c in challenges_of(award.id)]


def candidate_rows(award) -> list[dict]:
    """The ranking kept with the award, with firm names and what became of each offer."""
    orgs = _orgs(c.get("supplier_org_id") for c in award.candidates)
    offers = {o.supplier_org_id: o for o in award.offers}
    rows = []
    for c in sorted(award.candidates, key=lambda c: (c.get("rank") is None, c.get("rank") or 0)):
        rows.append({**c, "firm": orgs.get(c.get("supplier_org_id")), "score_text": score_text(c.get("score")),
                     "offer": offers.get(c.get("supplier_org_id"))})
    return rows


def award_view(viewer, award, now: dt.datetime | None = None) -> dict:
    """Everything the award pages show, as `viewer` may see it."""
    now = now or utcnow()
    tender = award.tender
    staff = policy.is_staff(viewer, tender)
    challenges = challenges_of(award.id)
    visible = [c for c in challenges if policy.can_see_challenge(viewer, c)]
    ok, reasons = gate.can_sign_contract(award.lot, now)
    return {
        "award": award, "tender": tender, "lot": award.lot, "staff": staff,
        "centre": policy.can_manage_award(viewer, tender), "reviewer": policy.is_award_reviewer(viewer, tender),
        "candidates": candidate_rows(award) if staff else [],
        "offers": list(award.offers) if staff else [],
        "my_offer": next((o for o in award.offers if o.status == OFFERED and policy.owns_offer(viewer, o)), None),
        "public_challenges": [public_challenge(c) for c in challenges],
        "challenges": visible,
        "can_challenge": policy.can_challenge(viewer, award, now),
        "window_open": policy.challenge_window_open(award, now),
        "can_sign": ok, "sign_reasons": reasons, "now": now,
    }


def tender_awards(viewer, tender) -> list[dict]:
    """Per lot of the tender, its award when the viewer may see it (public once notified)."""
    awards = {a.lot_id: a for a in db.session.execute(select(Award).where(Award.tender_id == tender.id))
              .unique().scalars()}
    out = []
    for lot in tender.lots:
        award = awards.get(lot.id)
        out.append({"lot": lot, "award": award if award is not None and policy.can_view_award(viewer, award)
                    else None})
    return out
