"""Campaigns and their draws: commitment before the draw, reproducible and verified results
(`core.draws`, `flask draws verify`), key items uncapped and general items capped by the dated
rule, recent targets excluded, teams of at least two with conflicts of interest excluded and
redrawn; bad input refused with nothing written."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from core import draws
from core.errors import Conflict, PermissionDenied, ValidationError
from core.extensions import db
from procurement.inspections import campaigns, gate, results, rules, teams
from procurement.inspections.models import Campaign, Inspection, TeamSeat
from tests.factories import make_org
from tests.procurement.inspections.helpers import (
    ITEM,
    campaign_data,
    city_world,
    drawn_with_team,
    member_of,
    opened,
    result_data,
    under_construction,
)


@pytest.fixture
def ctx(app):
    return city_world(inspectors=5)


def _snapshot(draw_id) -> dict:
    return json.loads(db.session.get(draws.Draw, draw_id).pool_snapshot)


def _count(model) -> int:
    return db.session.execute(select(func.count(model.id))).scalar_one()


def test_the_commitment_is_public_before_the_draw_and_the_result_verifies(ctx, app):
    under_construction(ctx.world, 8)
    campaign = opened(ctx, [dict(ITEM, share_bp=5000)])
    draw = db.session.get(draws.Draw, campaign.target_draw_id)
    assert draw.status == draws.COMMITTED and draw.commitment == draws.commitment_of(draw.seed)
    assert draws.public_view(draw)["seed"] is None
    campaign = campaigns.draw_targets(ctx.chief, campaign.id)
    draw = db.session.get(draws.Draw, campaign.target_draw_id)
    assert len(campaign.inspections) == 4 == len(draw.result)           # ceil(8 x 50 %)
    assert draws.compute(draw.seed, _snapshot(draw.id)) == draw.result  # reproducible from seed and snapshot
    assert {i.target_ref for i in campaign.inspections} == {cid.split(":", 1)[1] for cid in draw.result}
    assert draws.verify(draw).ok
    out = app.test_cli_runner().invoke(args=["draws", "verify", str(draw.id)])
    assert out.exit_code == 0 and f"OK draw {draw.id}" in out.output
    # a forged result is found by the same command
    draw.result = list(reversed(draw.result))
    db.session.commit()
    out = app.test_cli_runner().invoke(args=["draws", "verify", str(draw.id)])
    assert out.exit_code == 1


def test_key_items_are_uncapped_and_general_items_capped_by_the_rule(ctx):
    under_construction(ctx.world, 6)
    items = [dict(ITEM), {"name": "Site records", "class": "general", "target": "project", "share_bp": 500}]
    campaign = campaigns.draw_targets(ctx.chief, opened(ctx, items).id)
    snap = _snapshot(campaign.target_draw_id)
    assert snap["strata"] == [["k1", None], ["g1", 1]]   # all of the key pool; ceil(6 x 5 %) of the general one
    assert len(campaign.inspections) == 6                  # each target inspected once, on both items if drawn twice
    assert sorted(len(i.item_codes) for i in campaign.inspections) == [1, 1, 1, 1, 1, 2]
    # a general share above the rule's cap (500 bp nationally) is refused, nothing written
    before = (_count(Campaign), _count(draws.Draw))
    with pytest.raises(ValidationError) as err:
        opened(ctx, [{"name": "x", "class": "general", "target": "project", "share_bp": 501}])
    assert "items.0.share_bp" in err.value.fields
    assert (_count(Campaign), _count(draws.Draw)) == before


def test_a_city_rule_row_raises_the_general_cap_from_its_date(ctx):
    rules.add_rule(ctx.chief, {"recent_exclusion_days": 30, "max_general_share_bp": 2000, "min_team_size": 3,
                               "publication_working_days": 15}, effective_from=dt.date(2026, 1, 1),
                   city_id=ctx.world.city.id)
    campaign = opened(ctx, [{"name": "x", "class": "general", "target": "project", "share_bp": 2000}], team_size=3)
    assert (campaign.max_general_share_bp, campaign.min_team_size, campaign.publication_working_days,
            campaign.recent_exclusion_days) == (2000, 3, 15, 30)
    with pytest.raises(ValidationError) as err:
        opened(ctx, team_size=2)   # below the city's minimum team
    assert "team_size" in err.value.fields


@pytest.mark.parametrize("over,field", [
    ({"team_size": 1}, "team_size"), ({"items": []}, "items"), ({"ends_on": "2026-08-01"}, "ends_on"),
    ({"title": ""}, "title"), ({"items": [dict(ITEM, target="bridge")]}, "items.0.target"),
    ({"items": [dict(ITEM, share_bp=0)]}, "items.0.share_bp"), ({"starts_on": "soon"}, "starts_on"),
])
def test_bad_campaign_input_is_refused_with_nothing_written(ctx, over, field):
    before = (_count(Campaign), _count(draws.Draw))
    with pytest.raises(ValidationError) as err:
        campaigns.open_campaign(ctx.chief, campaign_data(**over))
    assert field in err.value.fields
    assert (_count(Campaign), _count(draws.Draw)) == before


def test_only_an_inspection_authority_opens_and_draws(ctx):
    with pytest.raises(PermissionDenied):
        campaigns.open_campaign(ctx.world.purchaser, campaign_data())
    under_construction(ctx.world, 2)
    campaign = opened(ctx)
    from tests.procurement.inspections.helpers import other_city_inspector

    with pytest.raises(Exception) as err:   # another city's authority does not even see it
        campaigns.draw_targets(other_city_inspector(), campaign.id)
    assert type(err.value).__name__ == "NotFound"
    assert db.session.get(Campaign, campaign.id).status == "planned"


def test_recently_inspected_targets_are_excluded_with_their_reason(ctx):
    projects = under_construction(ctx.world, 3)
    first = campaigns.draw_targets(ctx.chief, opened(ctx, [dict(ITEM, share_bp=5000)]).id)   # 2 of 3
    inspected = {i.target_ref for i in first.inspections}
    second = campaigns.draw_targets(ctx.chief, opened(ctx).id)
    snap = _snapshot(second.target_draw_id)
    assert {e["id"].split(":", 1)[1] for e in snap["excluded"]} == inspected
    assert {e["reason"] for e in snap["excluded"]} == {"recently_inspected"}
    assert {i.target_ref for i in second.inspections} == {f"project:{p.id}" for p in projects} - inspected
    # nothing left to draw: a clear 409, the campaign stays planned
    third = opened(ctx)
    with pytest.raises(Conflict):
        campaigns.draw_targets(ctx.chief, third.id)
    assert db.session.get(Campaign, third.id).status == "planned"


def test_teams_have_two_inspectors_none_with_a_conflict(ctx):
    projects = under_construction(ctx.world, 1)
    employer, relative = ctx.inspectors[1], ctx.inspectors[2]
    org_id = projects[0].purchaser_org_id
    teams.record_tie(ctx.chief, {"inspector_id": employer.id, "org_id": org_id, "reason": "employer"})
    teams.record_tie(ctx.chief, {"inspector_id": relative.id, "org_id": org_id, "reason": "relative"})
    campaign, (inspection,) = drawn_with_team(ctx)
    seated = {s.inspector_id for s in inspection.seats if s.status == "active"}
    assert len(seated) == 2 and not seated & {employer.id, relative.id}
    excluded = {e["id"]: e["reason"] for e in _snapshot(inspection.team_draw_id)["excluded"]}
    assert excluded == {f"inspector:{employer.id}": "own_organisation", f"inspector:{relative.id}": "recorded_tie"}
    assert draws.verify(db.session.get(draws.Draw, inspection.team_draw_id)).ok


def test_too_few_eligible_inspectors_draws_nothing(app):
    ctx = city_world(inspectors=2)
    (project,) = under_construction(ctx.world, 1)
    teams.record_tie(ctx.chief, {"inspector_id": ctx.inspectors[1].id, "org_id": project.purchaser_org_id,
                                 "reason": "former_employer"})
    campaign = campaigns.draw_targets(ctx.chief, opened(ctx).id)
    (inspection,) = campaign.inspections
    with pytest.raises(draws.PoolTooSmall):
        teams.draw_team(ctx.chief, inspection.id)
    assert _count(TeamSeat) == 0 and db.session.get(Inspection, inspection.id).status == "team_pending"
    assert db.session.get(draws.Draw, inspection.team_draw_id).status == draws.COMMITTED


def test_an_inspector_tied_to_the_target_after_the_draw_must_recuse_and_is_redrawn(ctx):
    under_construction(ctx.world, 1)
    campaign, (inspection,) = drawn_with_team(ctx)
    conflicted, colleague = [db.session.get(type(ctx.chief), s.inspector_id) for s in inspection.seats]
    teams.record_tie(ctx.chief, {"inspector_id": conflicted.id, "org_id": inspection.org_id, "reason": "employer"})
    with pytest.raises(Conflict) as err:   # an inspector inspecting their own organisation: refused
        results.record_results(colleague, inspection.id, result_data(inspection))
    assert conflicted.name in str(err.value.params.get("name"))
    fresh = db.session.get(Inspection, inspection.id)
    assert fresh.status == "scheduled" and fresh.recorded_at is None and fresh.items_checked == []
    teams.recuse(conflicted, inspection.id, "I used to work for this purchaser.")
    fresh = db.session.get(Inspection, inspection.id)
    assert fresh.status == "team_pending" and fresh.pending_draw_id is not None
    child = db.session.get(draws.Draw, fresh.pending_draw_id)
    assert child.parent_id == inspection.team_draw_id and child.status == draws.COMMITTED
    teams.draw_team(ctx.chief, inspection.id)
    fresh = db.session.get(Inspection, inspection.id)
    active = {s.inspector_id for s in fresh.seats if s.status == "active"}
    assert len(active) == 2 and conflicted.id not in active and colleague.id in active
    assert draws.verify(db.session.get(draws.Draw, child.id)).ok
    results.record_results(colleague, inspection.id, result_data(fresh))
    assert db.session.get(Inspection, inspection.id).status == "recorded"


def test_project_inspections_for_acceptance(ctx):
    (project,) = under_construction(ctx.world, 1)
    campaign, (inspection,) = drawn_with_team(ctx)
    results.record_results(member_of(inspection), inspection.id,
                           result_data(inspection, outcome="fail",
                                       samples=[{"batch": "B-1", "product": "Window", "outcome": "fail"}]))
    (row,) = gate.project_inspections(project.id)
    assert row["compliant"] is False and row["items"][0]["outcome"] == "fail" and row["samples"][0]["batch"] == "B-1"
    assert gate.project_inspections(project.id + 1000) == []


def test_a_planned_campaign_can_be_cancelled_and_its_seed_is_published(ctx):
    campaign = opened(ctx)
    campaigns.cancel_campaign(ctx.chief, campaign.id)
    assert db.session.get(Campaign, campaign.id).status == "cancelled"
    draw = db.session.get(draws.Draw, campaign.target_draw_id)
    assert draw.status == draws.CANCELLED and draws.public_view(draw)["seed"] == draw.seed
    with pytest.raises(Conflict):
        campaigns.cancel_campaign(ctx.chief, campaign.id)


def test_firms_and_products_are_targets_too(ctx):
    from tests.procurement.helpers import GOOD_VALUES, make_product

    supplier = make_org("supplier")
    for _ in range(2):
        make_product(ctx.world.city, "ready_mixed_concrete", GOOD_VALUES["ready_mixed_concrete"], supplier=supplier)
    campaign = campaigns.draw_targets(ctx.chief, opened(ctx, [
        {"name": "Certificates", "class": "key", "target": "firm", "share_bp": 10_000},
        {"name": "Product samples", "class": "key", "target": "product", "share_bp": 5000}]).id)
    kinds = sorted(i.target_kind for i in campaign.inspections)
    assert kinds == ["firm", "product"] and all(i.org_id == supplier.id for i in campaign.inspections)
