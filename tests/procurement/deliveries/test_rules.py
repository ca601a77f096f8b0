"""Test-report validity is a dated rule row (national default seeded by 0026_delivery_gaps; a
city's own row from its effective day replaces it for deliveries on or after that day)."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import ValidationError
from procurement.deliveries import rules
from tests.procurement.deliveries.helpers import TODAY, add_test_report, deliver, site
from tests.procurement.helpers import field_text


def test_national_default_is_seeded_and_a_report_365_days_old_still_counts():
    assert rules.rule_for(None, TODAY).test_report_valid_days == 365
    s = site()
    product = s.products[s.lines[0].bom_line_id]
    edge = add_test_report(product, issued=TODAY - dt.timedelta(days=365))
    d = deliver(s, s.lines[0], accept=False, evidence_kind="test_report", evidence_number=edge.number, quantity="5")
    assert d.checks[1]["passed"]
    old = add_test_report(product, issued=TODAY - dt.timedelta(days=366))
    with pytest.raises(ValidationError) as exc:
        deliver(s, s.lines[0], accept=False, evidence_kind="test_report", evidence_number=old.number, quantity="5")
    assert "older than 365 days" in field_text(exc.value, "evidence_number")


def test_a_city_row_shortens_the_validity_from_its_effective_day():
    s = site()
    rules.add_rule(None, {"test_report_valid_days": "100", "note": "stricter"}, effective_from=TODAY,
                   city_id=s.project.city_id)
    assert rules.rule_for(s.project.city_id, TODAY - dt.timedelta(days=1)).test_report_valid_days == 365
    assert rules.rule_for(s.project.city_id, TODAY).test_report_valid_days == 100
    assert rules.rule_for(None, TODAY).test_report_valid_days == 365  # other cities keep the national rule
    product = s.products[s.lines[0].bom_line_id]
    report = add_test_report(product, issued=TODAY - dt.timedelta(days=150))
    with pytest.raises(ValidationError) as exc:
        deliver(s, s.lines[0], accept=False, evidence_kind="test_report", evidence_number=report.number)
    assert "older than 100 days" in field_text(exc.value, "evidence_number")
    # the day before the city's row, the national 365 days still apply
    d = deliver(s, s.lines[0], accept=False, evidence_kind="test_report", evidence_number=report.number,
                delivered_on=(TODAY - dt.timedelta(days=1)).isoformat())
    assert d.checks[1]["passed"]


def test_a_bad_rule_is_refused():
    with pytest.raises(ValidationError):
        rules.add_rule(None, {"test_report_valid_days": "0"}, effective_from=TODAY)
