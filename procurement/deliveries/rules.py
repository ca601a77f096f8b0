"""The dated rule of the delivery checks (`core.dated_rules`): how long a third-party test
report proves compliance. The national default (365 days) is seeded by migration
`0026_delivery_gaps`; a city adds its own row from a date with `add_rule`."""

from __future__ import annotations

import datetime as dt

from core import audit, dated_rules
from core.errors import NotFound
from core.extensions import db
from core.i18n import N_
from core.services import unit_of_work
from core.validation import Errors, integer, text
from procurement.deliveries.models import DeliveryRule


def rule_for(city_id: int | None, on: dt.date) -> DeliveryRule:
    """The delivery rule in force on `on` (the delivery day) for the city, else the national one."""
    row = dated_rules.in_force(DeliveryRule, city_id, on)
    if row is None:
        raise NotFound(N_("No delivery rule is in force on %(date)s."), date=on.isoformat())
    return row


def add_rule(actor, data: dict, *, effective_from: dt.date, city_id: int | None = None) -> DeliveryRule:
    """A new dated row (stored rows never change). `data`: test_report_valid_days, note."""
    errors = Errors()
    days = integer(data, "test_report_valid_days", errors, minimum=1, maximum=3650)
    note = text(data, "note", errors, required=False, max_len=300)
    errors.raise_if_any(N_("The rule was not accepted."))
    with unit_of_work(N_("A rule for that city and date already exists; choose another effective date.")):
        row = DeliveryRule(city_id=city_id, effective_from=effective_from, test_report_valid_days=days, note=note,
                           created_by_id=getattr(actor, "id", None))
        db.session.add(row)
        db.session.flush()
        audit.record("delivery_rule.add", row, actor=actor,
                     after={"city_id": city_id, "effective_from": effective_from.isoformat(),
                            "test_report_valid_days": days, "note": note})
    return row
