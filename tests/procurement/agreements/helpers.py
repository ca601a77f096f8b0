"""Builders for agreement and order tests: a pooled lot of three projects, awarded through the
real services (ranking from the opening, see conftest), its notice published and standstill
over; then an agreement prepared (and signed) through the agreements' services."""

from __future__ import annotations

import datetime as dt

from core.extensions import db
from procurement.agreements import services as agreements
from procurement.awards import services as awards
from tests.procurement.awards.helpers import pooled_qualified_lot

DAY = dt.timedelta(days=1)


def notified_lot(n_bidders: int = 3):
    """(ctx, projects, award): the award notice published at ctx.notice_at; ctx.sign_at is 20 days
    later (standstill over, within the 30 signing days)."""
    ctx, projects = pooled_qualified_lot(n_bidders)
    world, t = ctx.world, ctx.after
    award = awards.submit(world.centre, ctx.tender.id, ctx.lot.id, now=t + dt.timedelta(hours=1))
    awards.approve(world.finance, award.id, "", now=t + dt.timedelta(hours=2))
    awards.publish(world.centre, award.id, now=t + dt.timedelta(hours=3))
    db.session.expire_all()
    ctx.award = awards.get_award(award.id)
    ctx.notice_at = ctx.award.notice_at
    ctx.sign_at = ctx.notice_at + 20 * DAY
    return ctx, projects, ctx.award


def terms(ctx, **extra) -> dict:
    start = (ctx.sign_at).date()
    data = {"kind": "framework", "valid_from": start.isoformat(),
            "valid_until": (start + dt.timedelta(days=365)).isoformat(), "retention_bp": 300}
    data.update(extra)
    return data


def signed_agreement(n_bidders: int = 3, **extra):
    """(ctx, projects, agreement) signed at ctx.sign_at."""
    ctx, projects, _award = notified_lot(n_bidders)
    draft = agreements.prepare(ctx.world.centre, ctx.lot.id, terms(ctx, **extra), now=ctx.sign_at - DAY)
    agreement = agreements.sign(ctx.world.centre, draft.id, now=ctx.sign_at)
    db.session.expire_all()
    return ctx, projects, agreements.get_agreement(agreement.id)
