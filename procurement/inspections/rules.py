"""The numbers of inspection campaigns, as dated rows (`core.dated_rules`): recent-target
exclusion period, the largest share of a general item's pool, the smallest team and the
publication period. The national default is seeded by the migration; cities add their own rows."""

from __future__ import annotations

import datetime as dt

from core import audit, dated_rules
from core.errors import NotFound
from core.extensions import db
from core.i18n import N_
from core.services import unit_of_work
from core.timeutil import today_cn
from core.validation import Errors, integer, text
from procurement.inspections.models import InspectionRule


def rule_for(city_id: int | None, on: dt.date | None = None) -> InspectionRule:
    """The inspection rule in force on `on` (China date) for the city, else the national one."""
    on = on or today_cn()
    row = dated_rules.in_force(InspectionRule, city_id, on)
    if row is None:
        raise NotFound(N_("No inspection rule is in force on %(date)s."), date=on.isoformat())
    return row


def rules(city_id: int | None = None) -> list[InspectionRule]:
    """National rows and those of `city_id`, newest first."""
    return dated_rules.history(InspectionRule, city_id)


def add_rule(actor, data: dict, *, effective_from: dt.date, city_id: int | None = None) -> InspectionRule:
    """A new dated row (rows already stored never change). `data`: recent_exclusion_days,
    max_general_share_bp, min_team_size, publication_working_days, note."""
    errors = Errors()
    values = {"recent_exclusion_days": integer(data, "recent_exclusion_days", errors, minimum=0, maximum=3650),
              "max_general_share_bp": integer(data, "max_general_share_bp", errors, minimum=1, maximum=10000),
              "min_team_size": integer(data, "min_team_size", errors, minimum=2, maximum=9),
              "publication_working_days": integer(data, "publication_working_days", errors, minimum=1, maximum=60)}
    note = text(data, "note", errors, required=False, max_len=300)
    errors.raise_if_any(N_("The rule was not accepted."))
    with unit_of_work(N_("A rule for that city and date already exists; choose another effective date.")):
        row = InspectionRule(city_id=city_id, effective_from=effective_from, note=note,
                             created_by_id=getattr(actor, "id", None), **values)
        db.session.add(row)
        db.session.flush()
        audit.record("inspection_rule.add", row, actor=actor,
                     after={"city_id": city_id, "effective_from": effective_from.isoformat(), "note": note, **values})
    return row
