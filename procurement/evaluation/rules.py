"""The numbers of panel draws, as dated data: the panel size from the tender's procedure profile
(`procurement.profiles`) and the recent-service period from `ExpertRule` rows."""

from __future__ import annotations

import datetime as dt


from core import audit, dated_rules
from core.errors import NotFound, ValidationError
from core.extensions import db
from core.i18n import N_
from core.services import unit_of_work
from core.timeutil import today_cn
from procurement.evaluation.models import ExpertRule
from procurement.profiles.services import profile_for


def panel_size(profile, budget_fen: int) -> int:
    """The panel size the procedure profile asks for: `panel_large_size` when the budget is at
    least `panel_large_budget_fen` (CNY 10 M: 7), else `panel_min_size` (5); always odd (the
    law asks for an odd number, so an even number in a profile is rounded up)."""
    size = profile.panel_large_size if budget_fen >= profile.panel_large_budget_fen else profile.panel_min_size
    return size if size % 2 else size + 1


def profile_of(tender):
    """The profile the tender was published under (else the one in force today)."""
    return tender.profile or profile_for(tender.method, tender.track, tender.city_id)


def rule_for(city_id: int | None, on: dt.date | None = None) -> ExpertRule:
    """The expert-draw rule in force on `on` (China date): the city's own latest row not after
    `on`, else the national one. NotFound when neither exists."""
    on = on or today_cn()
    row = dated_rules.in_force(ExpertRule, city_id, on)
    if row is None:
        raise NotFound(N_("No expert draw rule is in force on %(date)s."), date=on.isoformat())
    return row


def rules(city_id: int | None = None) -> list[ExpertRule]:
    """National rows and those of `city_id`, newest first."""
    return dated_rules.history(ExpertRule, city_id)


def add_rule(actor, *, effective_from: dt.date, recent_service_days: int, city_id: int | None = None,
             note: str = "") -> ExpertRule:
    """A new dated row (rows already stored never change)."""
    if not 0 <= int(recent_service_days) <= 3650:
        raise ValidationError(N_("The rule was not accepted."),
                              {"recent_service_days": N_("Give a number of days from 0 to 3650.")})
    with unit_of_work(N_("A rule for that city and date already exists; choose another effective date.")):
        row = ExpertRule(city_id=city_id, effective_from=effective_from, recent_service_days=int(recent_service_days),
                         note=(note or "")[:300], created_by_id=getattr(actor, "id", None))
        db.session.add(row)
        db.session.flush()
        audit.record("expert_rule.add", row, actor=actor,
                     after={"city_id": city_id, "effective_from": effective_from.isoformat(),
                            "recent_service_days": row.recent_service_days, "note": row.note})
    return row
