"""The evaluation method and criteria, set by the centre while the tender is a draft: the price
weight's floor from the procedure profile, weights adding up to 100, lowest price by default,
a lot's own method, the tendering check ``evaluation`` and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.i18n import render_payload_english
from core.models import AuditEvent
from core.timeutil import today_cn
from procurement.evaluation.scoring import criteria
from procurement.evaluation.scoring.models import ScoringCriterion, ScoringPlan
from procurement.profiles.services import add_profile, profile_for
from procurement.tendering import checks as tender_checks
from procurement.tendering import services as tender_svc
from tests.factories import api_token, auth_header, make_role_user
from tests.procurement.evaluation.scoring.helpers import COMPREHENSIVE
from tests.procurement.tendering.tender_builders import closed_round, draft


@pytest.fixture
def drafted(app):
    world, projects, rnd = closed_round(2)
    return world, draft(world, rnd)


def _h(user) -> dict:
    return auth_header(api_token(user))


def _count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar()


def test_no_plan_is_lowest_evaluated_price(drafted):
    _world, tender = drafted
    assert criteria.plan_for(tender.lots[0]) is None
    assert criteria.effective(None) == {"method": "lowest_price", "subject": "goods", "price_weight_bp": 10000,
                                        "criteria": []}


def test_the_centre_sets_comprehensive_scoring_on_a_draft(drafted):
    world, tender = drafted
    plan = criteria.set_plan(world.centre, tender.id, COMPREHENSIVE)
    assert (plan.method, plan.subject, plan.price_weight_bp) == ("comprehensive", "goods", 4000)
    assert [(c.position, c.name, c.weight_bp, c.max_score_cp) for c in plan.criteria] == [
        (1, "Technical merit", 4000, 1000), (2, "Service", 2000, 500)]
    assert criteria.plan_for(tender.lots[0]).id == plan.id
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "scoring.plan_set")).scalar_one()
    assert event.after["price_weight_bp"] == 4000 and event.before is None
    # Saved again: replaced, not added to.
    again = criteria.set_plan(world.centre, tender.id, dict(COMPREHENSIVE, price_weight="50", criteria=[
        {"name": "Technical merit", "weight": "50", "max_score": "100"}]))
    assert again.id == plan.id and _count(ScoringCriterion) == 1 and _count(ScoringPlan) == 1


def test_a_price_weight_below_the_profiles_floor_is_refused_and_nothing_is_written(drafted):
    world, tender = drafted
    body = dict(COMPREHENSIVE, price_weight="25", criteria=[
        {"name": "Technical merit", "weight": "55", "max_score": "10"}, {"name": "Service", "weight": "20",
                                                                          "max_score": "5"}])
    with pytest.raises(ValidationError) as exc:
        criteria.set_plan(world.centre, tender.id, body)
    assert exc.value.status == 400 and "price_weight" in exc.value.fields
    assert "at least 30 %" in exc.value.fields["price_weight"][0] % {
        k: str(v) for k, v in exc.value.fields["price_weight"][1].items()}
    assert _count(ScoringPlan) == 0 and _count(ScoringCriterion) == 0
    # Services have their own floor (10 %): the same 25 % is accepted there.
    plan = criteria.set_plan(world.centre, tender.id, dict(body, subject="services"))
    assert plan.price_weight_bp == 2500


@pytest.mark.parametrize("change,field", [
    ({"price_weight": "40", "criteria": [{"name": "Technical merit", "weight": "50", "max_score": "10"}]}, "criteria"),
    ({"criteria": []}, "criteria"),
    ({"criteria": [{"name": "", "weight": "60", "max_score": "10"}]}, "criteria.0.name"),
    ({"criteria": [{"name": "T", "weight": "0", "max_score": "10"}, {"name": "S", "weight": "60",
                                                                     "max_score": "10"}]}, "criteria.0.weight"),
    ({"criteria": [{"name": "T", "weight": "60", "max_score": "0"}]}, "criteria.0.max_score"),
    ({"criteria": [{"name": "T", "weight": "60", "max_score": "1.234"}]}, "criteria.0.max_score"),
    ({"price_weight": "abc"}, "price_weight"),
    ({"method": "auction"}, "method"),
    ({"criteria": "lots"}, "criteria"),
])
def test_bad_plans_are_refused_with_the_field_named(drafted, change, field):
    world, tender = drafted
    with pytest.raises(ValidationError) as exc:
        criteria.set_plan(world.centre, tender.id, dict(COMPREHENSIVE, **change))
    assert field in exc.value.fields, exc.value.fields
    assert _count(ScoringPlan) == 0


def test_lowest_price_has_no_criteria(drafted):
    world, tender = drafted
    with pytest.raises(ValidationError) as exc:
        criteria.set_plan(world.centre, tender.id, {"method": "lowest_price", "criteria": COMPREHENSIVE["criteria"]})
    assert "criteria" in exc.value.fields
    plan = criteria.set_plan(world.centre, tender.id, {"method": "lowest_price"})
    assert (plan.price_weight_bp, plan.criteria) == (10000, [])


def test_only_the_centre_and_only_on_a_draft(drafted):
    world, tender = drafted
    with pytest.raises(PermissionDenied):
        criteria.set_plan(world.finance, tender.id, COMPREHENSIVE)
    with pytest.raises(NotFound):
        criteria.set_plan(make_role_user("procurement_officer", city="qingdao"), tender.id, COMPREHENSIVE)
    tender_svc.submit(world.centre, tender.id)
    with pytest.raises(Conflict):
        criteria.set_plan(world.centre, tender.id, COMPREHENSIVE)
    assert _count(ScoringPlan) == 0


def test_a_lot_of_its_own_and_back(drafted):
    world, tender = drafted
    lot = tender.lots[0]
    criteria.set_plan(world.centre, tender.id, COMPREHENSIVE)
    own = criteria.set_plan(world.centre, tender.id, {"lot_id": lot.id, "method": "lowest_price"})
    assert criteria.plan_for(lot).id == own.id and own.lot_id == lot.id
    criteria.clear_plan(world.centre, tender.id, lot.id)
    assert criteria.plan_for(lot).method == "comprehensive"
    with pytest.raises(NotFound):
        criteria.clear_plan(world.centre, tender.id, lot.id)
    with pytest.raises(ValidationError):
        criteria.set_plan(world.centre, tender.id, {"lot_id": 999999, "method": "lowest_price"})


def test_the_tendering_check_reads_the_profile_in_force(drafted):
    """A city row raising the goods floor to 50 % from today: the draft's 40 % fails the named
    check, and the tender cannot be sent for review."""
    world, tender = drafted
    criteria.set_plan(world.centre, tender.id, COMPREHENSIVE)
    results = {c["check"]: c for c in tender_checks.run_checks(tender)}
    assert results["evaluation"]["ok"], results["evaluation"]
    assert list(results) == list(tender_checks.CHECKS) and tender_checks.CHECKS[-1] == "evaluation"
    base = profile_for("public_tender", "gpl", world.city.id)
    add_profile(None, {"effective_from": today_cn() - dt.timedelta(days=1), "city_id": world.city.id,
                       "price_weight_floor_goods_bp": 5000}, base=base)
    db.session.expire_all()
    failed = {c["check"]: c for c in tender_checks.run_checks(db.session.merge(tender))}["evaluation"]
    assert not failed["ok"]
    assert render_payload_english(failed["problems"][0]).startswith(
        "The tender: The price weight must be at least 50 % for goods under the procedure rules in force (it is 40 %)")
    with pytest.raises(Conflict):
        tender_svc.submit(world.centre, tender.id)


def test_the_api_sets_and_reads_the_plan(drafted, client):
    world, tender = drafted
    bad = client.put(f"/api/v1/tenders/{tender.id}/scoring-plan", json=dict(COMPREHENSIVE, price_weight="20"),
                     headers=_h(world.centre))
    assert bad.status_code == 400 and "price_weight" in bad.get_json()["error"]["fields"]
    ok = client.put(f"/api/v1/tenders/{tender.id}/scoring-plan", json=COMPREHENSIVE, headers=_h(world.centre))
    assert ok.status_code == 200, ok.get_json()
    body = ok.get_json()
    assert body["tender"]["method"] == "comprehensive" and body["lots"][0]["plan"]["price_weight_percent"] == "40"
    assert [c["max_score"] for c in body["lots"][0]["plan"]["criteria"]] == ["10", "5"]
    assert client.put(f"/api/v1/tenders/{tender.id}/scoring-plan", json=COMPREHENSIVE,
                      headers=_h(world.finance)).status_code == 403
    assert client.get(f"/api/v1/tenders/{tender.id}/scoring-plan").status_code == 404  # a draft is not public
    assert client.delete(f"/api/v1/tenders/{tender.id}/scoring-plan", headers=_h(world.centre)).status_code == 204
    assert _count(ScoringPlan) == 0
