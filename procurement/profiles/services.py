"""Looking up and adding procedure profiles (dated rule rows)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select

from core import audit, dated_rules
from core.errors import NotFound
from core.extensions import db
from core.i18n import N_, Term
from core.services import unit_of_work
from core.timeutil import today_cn
from core.validation import Errors, choice, date, integer, text
from procurement.profiles.models import METHODS, RULE_FIELDS, TRACKS, ProcedureProfile

#: Bounds for each number a profile holds (a typo such as 2000 % is refused, not stored).
BOUNDS = {name: (0, 365) for name in RULE_FIELDS}
BOUNDS.update(bond_cap_bp=(0, 10000), price_weight_floor_goods_bp=(0, 10000),
              price_weight_floor_services_bp=(0, 10000), min_valid_bidders=(1, 50), panel_min_size=(1, 51),
              panel_large_size=(1, 51), panel_large_budget_fen=(0, 10**15), min_negotiation_rounds=(0, 20))


class NoProfile(NotFound):
    """No procedure profile is in force for that method, track, city and date."""


def profile_for(method: str, track: str, city_id: int | None, on: dt.date | None = None) -> ProcedureProfile:
    """The profile in force on `on` (China date, default today) for `city_id`: the city's own
    row with the latest effective date not after `on`, else the national row likewise.
    Raises `NoProfile` when neither exists."""
    on = on or today_cn()
    rows = dated_rules.in_force(ProcedureProfile, city_id, on, ProcedureProfile.method == method,
                                ProcedureProfile.track == track)
    if rows is None:
        raise NoProfile(N_("No procedure rules are in force for %(method)s on %(date)s."),
                        method=Term(method), date=on.isoformat())
    return rows


def profiles(method: str | None = None, city_id: int | None = None) -> list[ProcedureProfile]:
    """Every stored row (optionally of one method; national rows plus those of `city_id`),
    newest first within each method and track."""
    stmt = select(ProcedureProfile)
    if method:
        stmt = stmt.where(ProcedureProfile.method == method)
    if city_id is not None:
        stmt = stmt.where(or_(ProcedureProfile.city_id.is_(None), ProcedureProfile.city_id == city_id))
    return list(db.session.execute(stmt.order_by(ProcedureProfile.method, ProcedureProfile.track,
                                                 ProcedureProfile.city_id.nulls_first(),
                                                 ProcedureProfile.effective_from.desc())).scalars())


def clean_profile(data: dict) -> dict:
    """Validate a new row: method, track, effective_from (ISO date), optional city_id, legal_basis,
    note and every number of `RULE_FIELDS` (missing numbers are taken from `base`, if given)."""
    errors = Errors()
    out = {"method": choice(data, "method", errors, METHODS), "track": choice(data, "track", errors, TRACKS),
           "legal_basis": text(data, "legal_basis", errors, required=False, max_len=300),
           "note": text(data, "note", errors, required=False, max_len=2000)}
    out["effective_from"] = date(data, "effective_from", errors)
    out["city_id"] = integer(data, "city_id", errors, minimum=1, required=False) if data.get("city_id") else None
    for name in RULE_FIELDS:
        low, high = BOUNDS[name]
        out[name] = integer(data, name, errors, minimum=low, maximum=high)
    if not errors and out["panel_large_size"] < out["panel_min_size"]:
        errors.add("panel_large_size", N_("Must be at least the minimum panel size."))
    errors.raise_if_any(N_("The procedure rules were not accepted."))
    return out


def add_profile(actor, data: dict, *, base: ProcedureProfile | None = None) -> ProcedureProfile:
    """Store a new dated row (numbers missing from `data` are copied from `base`). Rows already
    stored never change: a rule change is a row with a later effective date."""
    merged = dict(base.rules()) if base is not None else {}
    if base is not None:
        merged.update(method=base.method, track=base.track)
    merged.update({k: v for k, v in data.items() if v is not None})
    clean = clean_profile(merged)
    with unit_of_work(N_("Procedure rules for that method, track, city and date already exist; "
                         "choose another effective date.")):
        row = ProcedureProfile(**clean, created_by_id=getattr(actor, "id", None))
        db.session.add(row)
        db.session.flush()
        audit.record("profile.add", row, after=row.snapshot(), actor=actor)
    return row

