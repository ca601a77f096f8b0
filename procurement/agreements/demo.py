"""Demo agreements and orders (`flask demo seed`, order 75, after the awards at 70): for every
awarded demo lot whose contract may be signed, the centre prepares and signs a framework
agreement and publishes it; each contributing project then orders part of its quota, so quota use
shows on the pages. Idempotent: a lot with an agreement and a project with orders are skipped.

`sign_lot(centre, lot, now=...)` and `order_share(...)` are the services' calls other demos
(the closed-loop demo) reuse with their own clocks.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.errors import ServiceError
from core.extensions import db
from core.timeutil import CHINA, utcnow
from procurement.agreements import services
from procurement.agreements.models import Agreement
from procurement.agreements.states import DRAFT, LIVE_STATES, SIGNED
from procurement.orders import services as orders

VALID_DAYS = 365
#: Share of each project's quota the demo orders (in percent): quota bars half full.
DEMO_SHARE = 50


def sign_lot(centre, lot, *, kind: str = "framework", now: dt.datetime | None = None, publish: bool = True):
    """Prepare (if needed), sign and publish the lot's agreement at `now`; returns it."""
    now = now or utcnow()
    agreement = db.session.execute(select(Agreement).where(Agreement.lot_id == lot.id,
                                                           Agreement.status.in_(LIVE_STATES))).scalar_one_or_none()
    if agreement is None:
        start = now.astimezone(CHINA).date()
        agreement = services.prepare(centre, lot.id, {"kind": kind, "valid_from": start.isoformat(),
                                                      "valid_until": (start + dt.timedelta(days=VALID_DAYS)).isoformat(),
                                                      "retention_bp": 300}, now=now)
    if agreement.status == DRAFT:
        agreement = services.sign(centre, agreement.id, now=now)
    if publish and agreement.status == SIGNED:
        agreement = services.publish(centre, agreement.id, now=now + dt.timedelta(hours=2))
    return agreement


def order_share(purchaser, agreement, project_id: int, *, percent: int = DEMO_SHARE, now: dt.datetime | None = None,
                request_id: str | None = None):
    """Order `percent` of each of the project's quota lines in the agreement (one order)."""
    lines = [{"bom_line_id": q.bom_line_id, "quantity_milli": max(1, q.remaining_milli * percent // 100)}
             for q in agreement.quotas if q.project_id == project_id and q.remaining_milli > 0]
    if not lines:
        return None
    return orders.place_order(purchaser, agreement.id, project_id,
                              {"request_id": request_id or f"demo-{agreement.id}-{project_id}", "lines": lines},
                              now=now)


def _signable_awards(ctx):
    """The awards the awards demo (order 70, `award_demo_tender`) left signable: notice published,
    standstill over, nothing pending. Tenders it stopped earlier on purpose are left alone."""
    from procurement.awards.gate import can_sign_contract
    from procurement.awards.models import Award
    from procurement.awards.states import NOTIFIED

    awards = db.session.execute(select(Award).where(Award.status == NOTIFIED).order_by(Award.id)).unique().scalars()
    return [a for a in awards if can_sign_contract(a.lot)[0]]


def _purchaser_of(project):
    from core import roles as R
    from core.notifications import recipients_in

    users = recipients_in(project.purchaser_org_id, R.PURCHASER)
    return users[0] if users else None


def _centre_of(agreement_or_tender):
    from core import roles as R
    from core.notifications import recipients_in

    users = recipients_in(agreement_or_tender.centre_org_id, R.PROCUREMENT_OFFICER)
    return users[0] if users else None


def seed_agreements(ctx) -> None:
    """Agreements from the demo's signable awards, and half of each project's quota ordered."""
    for award in _signable_awards(ctx):
        lot = award.lot
        centre = _centre_of(award.tender)
        if centre is None:
            continue
        try:
            agreement = sign_lot(centre, lot)
        except ServiceError:
            continue
        for project_id in sorted({q.project_id for q in agreement.quotas}):
            project = next(q.project for q in agreement.quotas if q.project_id == project_id)
            purchaser = _purchaser_of(project)
            if purchaser is None:
                continue
            try:
                order_share(purchaser, services.get_agreement(agreement.id), project_id)
            except ServiceError:
                continue
