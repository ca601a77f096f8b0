"""Reading pooling rounds: one round for whoever may see it, the list, a round's lines and summary
(per project, per category, the proposed lots), the bill lines a project can still contribute,
and the counts of the worklists. (The use cases that change rounds are `services`.)"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import selectinload

from core.errors import NotFound, ValidationError
from core.extensions import db
from core.i18n import N_
from core.timeutil import utcnow
from procurement.design.models import BomLine
from procurement.machine.stages import PROCUREMENT
from procurement.pooling.models import (LINE_CONTRIBUTED, LIVE_LINE_STATES, ROUND_CLOSED, ROUND_OPEN, ROUND_STATES,
                                        PooledLine, PoolingRound)
from procurement.projects.models import Project
from procurement.tendering import lots, policy


def round_id_of(round_id) -> int:
    """A round id given by a person (a path, a form): a whole number an INTEGER column holds, else
    NotFound."""
    try:
        rid = int(round_id)
    except (TypeError, ValueError):
        raise NotFound(N_("No such pooling round.")) from None
    if rid < 1 or rid > 2**31 - 1:
        raise NotFound(N_("No such pooling round."))
    return rid


def get_round(actor, round_id) -> PoolingRound:
    """The round if `actor` may see it; NotFound otherwise (no hint that it exists)."""
    found = db.session.get(PoolingRound, round_id_of(round_id), populate_existing=True)
    if found is None or not policy.can_view_round(actor, found):
        raise NotFound(N_("No such pooling round."))
    return found


def list_rounds(actor, *, status: str | None = None, page: int = 1, per_page: int = 25):
    """(rounds, total) visible to `actor`, newest first; optionally of one status."""
    query = select(PoolingRound).where(policy.visible_rounds_filter(actor))
    if status:
        if status not in ROUND_STATES:
            raise ValidationError(N_("Unknown status “%(status)s”."), {"status": N_("Unknown status.")},
                                  status=str(status)[:20])
        now = utcnow()
        if status == ROUND_OPEN:  # by the clock: a round past its closing time is closed
            query = query.where(PoolingRound.status == ROUND_OPEN, PoolingRound.closes_at > now)
        elif status == ROUND_CLOSED:
            query = query.where(or_(PoolingRound.status == ROUND_CLOSED,
                                    and_(PoolingRound.status == ROUND_OPEN, PoolingRound.closes_at <= now)))
        else:
            query = query.where(PoolingRound.status == status)
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    page = max(1, int(page or 1))
    per_page = min(max(1, int(per_page or 25)), 100)
    rows = db.session.execute(query.order_by(PoolingRound.id.desc()).offset((page - 1) * per_page).limit(per_page)
                              .options(selectinload(PoolingRound.categories))).scalars().all()
    return rows, total


def shown_status(pooling_round, now: dt.datetime | None = None) -> str:
    """The round's status by the clock: an open round past its closing time shows as closed."""
    if pooling_round.status == ROUND_OPEN and not policy.is_collecting(pooling_round, now):
        return ROUND_CLOSED
    return pooling_round.status


def line_counts(round_ids) -> dict[int, tuple[int, int]]:
    """{round id: (live lines, their estimated amount)} for several rounds (one query)."""
    ids = list(round_ids)
    if not ids:
        return {}
    rows = db.session.execute(select(PooledLine.round_id, func.count(PooledLine.id), func.sum(PooledLine.est_amount_fen))
                              .where(PooledLine.round_id.in_(ids), PooledLine.status.in_(LIVE_LINE_STATES))
                              .group_by(PooledLine.round_id)).all()
    return {rid: (n, int(total or 0)) for rid, n, total in rows}


def round_lines(pooling_round, *, statuses=LIVE_LINE_STATES) -> list[PooledLine]:
    """The round's pooled lines in these states, by project and bill line (one query, projects,
    bill lines and categories loaded with them)."""
    return list(db.session.execute(
        select(PooledLine).where(PooledLine.round_id == pooling_round.id, PooledLine.status.in_(statuses))
        .options(selectinload(PooledLine.bom_line))
        .order_by(PooledLine.project_id, PooledLine.bom_line_id)).scalars())


def eligible_lines(project, pooling_round) -> list[BomLine]:
    """The project's bill lines of the round's categories that are in no live pooled line
    ("uncovered"), by line number."""
    category_ids = [c.id for c in pooling_round.categories]
    if not category_ids:
        return []
    live = exists().where(PooledLine.bom_line_id == BomLine.id, PooledLine.status.in_(LIVE_LINE_STATES))
    return list(db.session.execute(
        select(BomLine).where(BomLine.project_id == project.id, BomLine.category_id.in_(category_ids), ~live)
        .order_by(BomLine.line_no)).scalars())


def contributing_projects(actor, pooling_round) -> list[Project]:
    """The projects of `actor`'s organisation that may contribute to the round now: in the
    procurement stage, of the round's city (empty for anyone else)."""
    if policy.pooling_purchaser_city(actor) != pooling_round.city_id:
        return []
    return list(db.session.execute(
        select(Project).where(Project.purchaser_org_id == actor.organisation_id, Project.stage == PROCUREMENT,
                              Project.city_id == pooling_round.city_id).order_by(Project.code)).scalars())


def own_lines(actor, pooling_round) -> list[PooledLine]:
    """The round's pooled lines (any state) of `actor`'s organisation's projects."""
    org_id = getattr(actor, "organisation_id", None)
    if org_id is None:
        return []
    return list(db.session.execute(
        select(PooledLine).join(Project, Project.id == PooledLine.project_id)
        .where(PooledLine.round_id == pooling_round.id, Project.purchaser_org_id == org_id)
        .options(selectinload(PooledLine.bom_line))
        .order_by(PooledLine.project_id, PooledLine.bom_line_id, PooledLine.id)).scalars())


def round_summary(pooling_round, *, plans: bool = True) -> dict:
    """What the round page shows: live lines per project (with amounts), totals per category,
    and (`plans`) the proposed lots of the contributed lines."""
    lines = round_lines(pooling_round)
    per_project: dict[int, dict] = {}
    per_category: dict[int, dict] = {}
    for ln in lines:
        entry = per_project.setdefault(ln.project_id, {"project": ln.project, "lines": [], "amount_fen": 0})
        entry["lines"].append(ln)
        entry["amount_fen"] += ln.est_amount_fen
        cat = per_category.setdefault(ln.category_id, {"category_id": ln.category_id, "lines": 0, "amount_fen": 0,
                                                       "projects": set()})
        cat["lines"] += 1
        cat["amount_fen"] += ln.est_amount_fen
        cat["projects"].add(ln.project_id)
    order = {c.id: i for i, c in enumerate(pooling_round.categories)}
    contributed = [ln for ln in lines if ln.status == LINE_CONTRIBUTED]
    return {"lines": lines, "projects": list(per_project.values()),
            "categories": sorted(per_category.values(), key=lambda c: order.get(c["category_id"], len(order))),
            "total_fen": sum(ln.est_amount_fen for ln in lines),
            "plans": lots.group_lines(contributed) if plans else []}


def count_open_rounds_for(user, now: dt.datetime | None = None) -> int:
    """Purchasers: rounds of their city taking lines now while their organisation has a project
    in procurement there (one query)."""
    city = policy.pooling_purchaser_city(user)
    if city is None:
        return 0
    has_project = exists().where(Project.purchaser_org_id == user.organisation_id, Project.stage == PROCUREMENT,
                                 Project.city_id == PoolingRound.city_id)
    return db.session.execute(select(func.count(PoolingRound.id)).where(
        PoolingRound.city_id == city, PoolingRound.status == ROUND_OPEN,
        PoolingRound.closes_at > (now or utcnow()), has_project)).scalar_one()


def count_ready_to_tender(user) -> int:
    """Centres: their rounds closed and not yet tendered (one query)."""
    centre = policy.centre_of(user)
    if centre is None:
        return 0
    return db.session.execute(select(func.count(PoolingRound.id)).where(
        PoolingRound.centre_org_id == centre.id, PoolingRound.status == ROUND_CLOSED)).scalar_one()
