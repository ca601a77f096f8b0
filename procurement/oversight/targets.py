"""Annual targets per city and year: the use case that sets them (platform oversight staff; a
second entry for the same city and year replaces the figures, audited with before and after) and
their reading."""

from __future__ import annotations

from sqlalchemy import select

from core import audit
from core.errors import PermissionDenied
from core.extensions import db
from core.i18n import N_
from core.services import unit_of_work
from core.timeutil import utcnow
from core.validation import Errors, integer, text
from procurement.oversight import policy
from procurement.oversight.models import BP_COLUMNS, Target
from procurement.oversight.rules import _city

FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_AMOUNT_FEN = 10**17  # 1 000 trillion yuan: beyond any city's programme, within BIGINT


def set_target(actor, data: dict) -> Target:
    """Create or replace the targets of `data["city"]` (code) for `data["year"]`: the amount in
    fen (`green_amount_fen`) and the four shares in basis points (0-10000). An unknown city, a
    negative figure or a share above 100 %: ValidationError naming each field."""
    if not policy.can_manage_oversight(actor):
        raise PermissionDenied(N_("Only platform oversight staff set the annual targets."))
    errors = Errors()
    city = _city(data, errors)
    year = integer(data, "year", errors, minimum=FIRST_YEAR, maximum=LAST_YEAR, as_range=True)
    amount = integer(data, "green_amount_fen", errors, minimum=0, maximum=MAX_AMOUNT_FEN)
    shares = {name: integer(data, name, errors, minimum=0, maximum=10000, as_range=True) for name in BP_COLUMNS}
    note = text(data, "note", errors, max_len=500, required=False)
    errors.raise_if_any()
    with unit_of_work(N_("The targets of this city and year were entered at the same moment; please reload.")):
        target = db.session.execute(select(Target).where(Target.city_id == city.id, Target.year == year)
                                    .with_for_update()).scalar_one_or_none()
        before = target.snapshot() if target else None
        if target is None:
            target = Target(city_id=city.id, year=year)
            db.session.add(target)
        target.green_amount_fen = amount
        for name, value in shares.items():
            setattr(target, name, value)
        target.note = note
        target.updated_by_id = actor.id
        target.updated_at = utcnow()
        db.session.flush()
        audit.record("oversight.target_set", target, before=before, after=target.snapshot(), actor=actor)
    return target


def targets_for(year: int, city_ids=None) -> dict[int, Target]:
    """The targets of `year` by city id (of `city_ids` when given)."""
    stmt = select(Target).where(Target.year == year)
    if city_ids is not None:
        stmt = stmt.where(Target.city_id.in_(list(city_ids)))
    return {t.city_id: t for t in db.session.execute(stmt).scalars()}


def target_json(t: Target) -> dict:
    """A target as JSON."""
    return {"id": t.id, "city": t.city.code if t.city else None, "year": t.year,
            "green_amount_fen": t.green_amount_fen, **{c: getattr(t, c) for c in BP_COLUMNS}, "note": t.note}
