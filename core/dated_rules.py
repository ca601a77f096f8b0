"""Rules kept as dated rows (procedure profiles, expert-draw rules, abnormal-price rules): a
national row (``city_id`` NULL) or a city's own, each in force from its ``effective_from`` date
until a later row of the same kind replaces it. One lookup for every such table."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select

from core.extensions import db


def in_force(model, city_id: int | None, on: dt.date, *conditions):
    """The row of `model` in force on `on` for `city_id`: the city's own latest row not after
    `on`, else the national one likewise; None when neither exists. `conditions` narrow the kind
    (e.g. a procedure's method and track)."""
    scope = (or_(model.city_id.is_(None), model.city_id == city_id) if city_id is not None
             else model.city_id.is_(None))
    return db.session.execute(
        select(model).where(model.effective_from <= on, scope, *conditions)
        .order_by(model.city_id.is_(None), model.effective_from.desc()).limit(1)).scalar_one_or_none()


def history(model, city_id: int | None = None) -> list:
    """National rows and those of `city_id` (every city's when None), national first, newest
    first within each."""
    stmt = select(model)
    if city_id is not None:
        stmt = stmt.where(or_(model.city_id.is_(None), model.city_id == city_id))
    return list(db.session.execute(stmt.order_by(model.city_id.nulls_first(), model.effective_from.desc())).scalars())
