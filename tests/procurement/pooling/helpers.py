"""Builders for pooling tests: rounds of a world's centre, lines contributed by its purchaser."""

from __future__ import annotations

import datetime as dt

from core.extensions import db
from core.timeutil import utcnow
from procurement.pooling import services
from procurement.pooling.models import PooledLine, PoolingRound


def round_data(*categories, days: int = 7, **overrides) -> dict:
    data = {"title": "Concrete and coatings 2026", "description": "First batch",
            "categories": list(categories or ("ready_mixed_concrete",)),
            "closes_at": (utcnow() + dt.timedelta(days=days)).isoformat()}
    data.update(overrides)
    return data


def open_round(world, *categories, **overrides) -> PoolingRound:
    return services.open_round(world.centre, round_data(*categories, **overrides))


def bill_line(project, line_no: int = 1):
    from procurement.design.models import BomLine

    return db.session.execute(db.select(BomLine).filter_by(project_id=project.id, line_no=line_no)).scalar_one()


def contribute(world, pooling_round, project, *line_nos, user=None) -> list[PooledLine]:
    ids = [bill_line(project, n).id for n in (line_nos or (1,))]
    return services.contribute_lines(user or world.purchaser, pooling_round.id, project.id, ids)


def past_closing(pooling_round) -> None:
    """Move the round's closing time into the past, as if time had passed (status left open)."""
    now = utcnow()
    db.session.execute(db.update(PoolingRound).where(PoolingRound.id == pooling_round.id)
                       .values(opens_at=now - dt.timedelta(days=2), closes_at=now - dt.timedelta(minutes=1)))
    db.session.commit()
    db.session.expire_all()
