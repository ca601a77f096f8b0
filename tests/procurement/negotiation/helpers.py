"""Builders for negotiation tests: a published tender pooling projects into one lot (the
subject), four verified supplier firms with a supplier person each, and a negotiation started
with a past clock (round deadlines in the past, so the chronograph's catch-up closes them)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from core import roles as R
from core import scheduler
from core.extensions import db
from core.timeutil import utcnow
from procurement.negotiation import services
from procurement.negotiation.states import ROUND_OBJECT
from tests.factories import make_org, make_user
from tests.procurement.tendering.tender_builders import tender_in

HOUR = dt.timedelta(hours=1)
CEILING = 10_000_000   # CNY 100,000


def world(n_firms: int = 4, **rules):
    """ctx: world, projects, tender, lot, firms (supplier users), t0 (the start, 20 days ago) and
    the negotiation (round 1 until t0 + 1 day)."""
    w, projects, tender = tender_in("published", 2, method="competitive_negotiation")
    firms = [make_user(make_org(R.ORG_SUPPLIER, city=w.city), roles=(R.SUPPLIER,)) for _ in range(n_firms)]
    t0 = (utcnow() - dt.timedelta(days=20)).replace(microsecond=0)
    data = {"kind": "competitive_negotiation", "title": "Concrete negotiation", "lot_id": tender.lots[0].id,
            "supplier_org_ids": [f.organisation_id for f in firms], "ceiling_fen": CEILING, "step_bp": 100,
            "step_min_fen": 10_000, "min_rounds": 2, "tie_rule": "earliest_offer",
            "first_deadline_at": (t0 + dt.timedelta(days=1)).isoformat()}
    data.update(rules)
    negotiation = services.start(w.centre, data, now=t0)
    return SimpleNamespace(world=w, projects=projects, tender=tender, lot=tender.lots[0], firms=firms, t0=t0,
                           negotiation=negotiation, id=negotiation.id)


def current_round(ctx):
    db.session.expire_all()
    return services.get(ctx.id).rounds[-1]


def offer(ctx, i: int, fen: int, *, after: dt.timedelta = HOUR):
    rnd = current_round(ctx)
    return services.submit_offer(ctx.firms[i], ctx.id, {"total_fen": fen}, now=rnd.opened_at + after)


def close(ctx):
    """The chronograph closes the current round (its deadline is in the past)."""
    scheduler.catch_up(ROUND_OBJECT, current_round(ctx).id)
    db.session.expire_all()
    return services.get(ctx.id)


def next_round(ctx, *, final: bool = False):
    rnd = current_round(ctx)
    opens = rnd.deadline_at + HOUR
    return services.open_round(ctx.world.centre, ctx.id, {"deadline_at": (opens + dt.timedelta(days=1)).isoformat(),
                                                           "final": final}, now=opens)


def round_with(ctx, prices: dict[int, int], *, close_it: bool = True):
    """Offers of firm i at prices[i] (one hour apart, in firm order), then the close."""
    for n, (i, fen) in enumerate(sorted(prices.items())):
        offer(ctx, i, fen, after=HOUR * (n + 1))
    return close(ctx) if close_it else services.get(ctx.id)


def free_lot(ctx):
    """Cancel the world's negotiation so that its lot may be negotiated again (a lot has at most
    one live or concluded negotiation)."""
    from procurement.negotiation import closing

    closing.cancel(ctx.world.centre, ctx.id, "Started again with other rules")
    db.session.expire_all()
