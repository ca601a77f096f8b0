"""The dated oversight rules (`OversightRule`): the one lookup (`rule_for`, through
`core.dated_rules.in_force`, with the national defaults when no row exists yet) and the use case
that adds a row (platform staff; a new row takes effect from its date, history is kept)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from sqlalchemy import select

from core import audit
from core.dated_rules import in_force
from core.errors import PermissionDenied
from core.extensions import db
from core.i18n import N_
from core.models import City
from core.services import unit_of_work
from core.timeutil import today_cn
from core.validation import REQUIRED, Errors, date, integer, text
from procurement.oversight import policy
from procurement.oversight.models import RULE_FIELDS, OversightRule

# The national defaults, also seeded by the migration: used until a row exists.
DEFAULTS = {"lagging_share_bp": 8000, "lagging_from_month": 3, "near_ceiling_bp": 9900, "repeat_wins": 3,
            "repeat_window_days": 365, "amendment_bp": 1000, "max_range_years": 10}
# Bounds of each field (as entered): shares in bp, months, counts, days, years.
BOUNDS = {"lagging_share_bp": (0, 10000), "lagging_from_month": (1, 12), "near_ceiling_bp": (0, 10000),
          "repeat_wins": (2, 1000), "repeat_window_days": (1, 3660), "amendment_bp": (0, 100000),
          "max_range_years": (1, 50)}


def rule_for(city_id: int | None, on: dt.date | None = None):
    """The oversight rule in force for `city_id` on `on` (China today by default)."""
    row = in_force(OversightRule, city_id, on or today_cn())
    return row if row is not None else SimpleNamespace(id=None, city_id=None, effective_from=None, **DEFAULTS)


def add_rule(actor, data: dict) -> OversightRule:
    """Add a dated rule row (national when no city is given). Bad input: ValidationError naming
    every field; the same city and date twice: Conflict."""
    if not policy.can_manage_oversight(actor):
        raise PermissionDenied(N_("Only platform oversight staff change the oversight rules."))
    errors = Errors()
    city = _city(data, errors, required=False)
    effective_from = date(data, "effective_from", errors)
    values = {name: integer(data, name, errors, minimum=lo, maximum=hi, as_range=True)
              for name, (lo, hi) in BOUNDS.items()}
    note = text(data, "note", errors, max_len=300, required=False)
    errors.raise_if_any()
    with unit_of_work(N_("A rule of this city from this date exists already.")):
        row = OversightRule(city_id=city.id if city else None, effective_from=effective_from, note=note,
                            created_by_id=actor.id, **values)
        db.session.add(row)
        db.session.flush()
        audit.record("oversight.rule_add", row, after=row.snapshot(), actor=actor)
    return row


def _city(data: dict, errors: Errors, *, required: bool = True, key: str = "city"):
    """The city named by its code (or id) in `data[key]`; a clear message when unknown."""
    raw = data.get(key)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            errors.add(key, REQUIRED)
        return None
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        errors.add(key, N_("Give the city's code."))
        return None
    ref = str(raw).strip()
    if len(ref) > 40:
        errors.add(key, N_("No city has the code %(code)s."), code=ref[:40])
        return None
    found = db.session.execute(select(City).where(City.code == ref)).scalar_one_or_none()
    if found is None and ref.isdigit() and int(ref) < 2**31:
        found = db.session.get(City, int(ref))
    if found is None:
        errors.add(key, N_("No city has the code %(code)s."), code=ref)
    return found


def rule_json(row) -> dict:
    """A rule as JSON (defaults included when no row exists)."""
    return {"id": row.id, "city_id": row.city_id,
            "effective_from": row.effective_from.isoformat() if row.effective_from else None,
            **{name: getattr(row, name) for name in RULE_FIELDS}}
