"""Annual targets: platform staff enter them; bad input is a clear error and writes nothing."""

from __future__ import annotations

import pytest

from core import roles as R
from core.errors import PermissionDenied, ValidationError
from core.extensions import db
from procurement.oversight import targets
from procurement.oversight.models import Target
from tests.factories import api_token, auth_header, make_city, make_org, make_user

GOOD = {"city": "nanjing", "year": 2026, "green_amount_fen": 12_000_000_00, "coverage_bp": 8000,
        "green_share_bp": 6000, "batch_share_bp": 3000, "prefab_share_bp": 2500}


@pytest.fixture
def admin():
    make_city("nanjing")
    return make_user(make_org(R.ORG_PLATFORM), roles=(R.PLATFORM_ADMIN,))


def test_set_and_replace_target(admin):
    first = targets.set_target(admin, GOOD)
    again = targets.set_target(admin, dict(GOOD, green_amount_fen=5))
    assert again.id == first.id and again.green_amount_fen == 5
    assert db.session.query(Target).count() == 1


@pytest.mark.parametrize("change, field", [
    ({"city": "atlantis"}, "city"),
    ({"green_amount_fen": -1}, "green_amount_fen"),
    ({"coverage_bp": -5}, "coverage_bp"),
    ({"prefab_share_bp": 10001}, "prefab_share_bp"),
    ({"year": 1800}, "year"),
    ({"batch_share_bp": "lots"}, "batch_share_bp"),
])
def test_bad_targets_are_refused(admin, change, field):
    with pytest.raises(ValidationError) as caught:
        targets.set_target(admin, dict(GOOD, **change))
    assert field in caught.value.fields
    assert db.session.query(Target).count() == 0


def test_only_platform_staff_set_targets(admin):
    finance = make_user(make_org(R.ORG_FINANCE, city="nanjing"), roles=(R.FINANCE_REVIEWER,))
    with pytest.raises(PermissionDenied):
        targets.set_target(finance, GOOD)


def test_api_unknown_city_and_negative_figure_are_400(client, admin):
    headers = auth_header(api_token(admin))
    answer = client.post("/api/v1/oversight/targets", json=dict(GOOD, city="atlantis", green_amount_fen=-3),
                         headers=headers)
    assert answer.status_code == 400
    fields = answer.get_json()["error"]["fields"]
    assert "atlantis" in fields["city"] and "green_amount_fen" in fields
    ok = client.post("/api/v1/oversight/targets", json=GOOD, headers=headers)
    assert ok.status_code == 201 and ok.get_json()["target"]["coverage_bp"] == 8000


def test_target_form_shows_errors(client, admin):
    from tests.factories import login_as

    login_as(client, admin)
    page = client.post("/oversight/targets", data={"city": "nanjing", "year": "2026", "green_amount_fen": "-5",
                                                   "coverage_bp": "120", "green_share_bp": "60",
                                                   "batch_share_bp": "30", "prefab_share_bp": "25"})
    assert page.status_code == 400
    assert db.session.query(Target).count() == 0
    saved = client.post("/oversight/targets", data={"city": "nanjing", "year": "2026", "green_amount_fen": "1,000",
                                                    "coverage_bp": "62.5", "green_share_bp": "60",
                                                    "batch_share_bp": "30", "prefab_share_bp": "25"})
    assert saved.status_code == 302
    target = db.session.query(Target).one()
    assert (target.green_amount_fen, target.coverage_bp) == (100_000, 6250)
    listed = client.get("/oversight/targets?year=2026").get_data(as_text=True)
    assert "62.50 %" in listed and "¥1,000.00" in listed
