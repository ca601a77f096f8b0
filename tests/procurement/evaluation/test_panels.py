"""Evaluation panels: size from the procedure profile, the commitment before the draw, conflicts
excluded with a reason, replacements, completion and reveal, cancellation, records, policies."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select, update

from core import draws
from core.errors import Conflict, PermissionDenied, ValidationError
from core.extensions import db
from core.models import Organisation
from procurement.evaluation import policy, services
from procurement.evaluation.models import Panel, PanelMember
from procurement.tendering.models import Tender
from tests.procurement.evaluation.helpers import (
    closed_tender,
    expert_user,
    make_expert,
    make_pool,
    set_ceiling,
)
from tests.procurement.tendering.tender_builders import record_kinds

TEN_MILLION_FEN = 1_000_000_000


@pytest.fixture
def ctx(app):
    return closed_tender()


def _snapshot(draw_id) -> dict:
    return json.loads(db.session.get(draws.Draw, draw_id).pool_snapshot)


def _exclusions(draw_id) -> dict:
    return {e["id"]: e["reason"] for e in _snapshot(draw_id)["excluded"]}


def _request(ctx, **data):
    return services.request_panel(ctx.world.centre, ctx.tender.id, {"lot_id": ctx.lot.id, **data})


@pytest.mark.parametrize("ceiling,size", [(TEN_MILLION_FEN - 1, 5), (TEN_MILLION_FEN, 7), (TEN_MILLION_FEN + 1, 7)])
def test_panel_size_follows_the_profile_at_the_ten_million_boundary(ctx, ceiling, size):
    set_ceiling(ctx.lot, ceiling)
    panel = _request(ctx)
    assert (panel.size, panel.budget_fen) == (size, ceiling)


def test_a_whole_tender_panel_sizes_on_the_sum_of_its_lots(ctx):
    set_ceiling(ctx.lot, TEN_MILLION_FEN - 1)
    panel = services.request_panel(ctx.world.centre, ctx.tender.id, {})
    assert panel.lot_id is None and panel.scope == f"tender:{ctx.tender.id}" and panel.size == 5
    with pytest.raises(Conflict):  # a lot panel while the whole-tender panel is live
        _request(ctx)


@pytest.mark.pure
def test_an_even_size_in_a_profile_is_rounded_up_to_odd():
    from types import SimpleNamespace

    from procurement.evaluation.rules import panel_size

    profile = SimpleNamespace(panel_min_size=4, panel_large_size=7, panel_large_budget_fen=TEN_MILLION_FEN)
    assert panel_size(profile, 1) == 5 and panel_size(profile, TEN_MILLION_FEN) == 7


def test_no_panel_before_the_deadline_and_only_by_the_centre(app):
    ctx = closed_tender(bid=False)
    db.session.execute(update(Tender).where(Tender.id == ctx.tender.id)
                       .values(bid_deadline_at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)))
    db.session.commit()
    with pytest.raises(Conflict) as exc:
        _request(ctx)
    assert "after the bid deadline" in exc.value.message
    with pytest.raises(PermissionDenied):
        services.request_panel(ctx.world.finance, ctx.tender.id, {"lot_id": ctx.lot.id})


def test_one_live_panel_per_lot(ctx):
    _request(ctx)
    with pytest.raises(Conflict) as exc:
        _request(ctx)
    assert "already requested" in exc.value.message
    assert db.session.execute(select(Panel)).scalars().all().__len__() == 1


def test_the_commitment_is_public_before_the_draw_and_the_seed_only_after(ctx, client):
    make_pool(ctx.world, 5)
    panel = _request(ctx)
    draw = db.session.get(draws.Draw, panel.draw_id)
    seed = draw.seed
    public = client.get(f"/api/v1/draws/{draw.id}").get_json()["draw"]
    assert public["commitment"] == draws.commitment_of(seed) and public["seed"] is None
    assert public["drawn_at"] is None
    services.draw_panel(ctx.world.centre, panel.id)
    public = client.get(f"/api/v1/draws/{draw.id}").get_json()["draw"]
    assert public["status"] == "drawn" and public["seed"] is None and public["result"] is None
    assert seed not in client.get(f"/draws/{draw.id}").get_data(as_text=True)
    for member in db.session.get(Panel, panel.id).members:
        services.accept(expert_user(member.expert), panel.id)
    panel = db.session.get(Panel, panel.id)
    assert panel.status == "complete"
    public = client.get(f"/api/v1/draws/{draw.id}").get_json()["draw"]
    assert public["seed"] == seed and public["status"] == "revealed"
    assert draws.verify(db.session.get(draws.Draw, draw.id)).ok


def test_conflicts_are_excluded_each_with_its_reason(ctx):
    w = ctx.world
    purchaser = db.session.get(Organisation, ctx.projects[0].purchaser_org_id)
    eligible = make_pool(w, 5)
    by_bidder_code = make_expert(w, employer_name="Somewhere else", employer_credit_code=ctx.bidder_org.credit_code)
    by_bidder_name = make_expert(w, employer_name=f" {ctx.bidder_org.name_zh} ")
    by_purchaser = make_expert(w, employer_name=purchaser.name_en)
    wrong_field = make_expert(w, specialities=("wall_coatings",))
    deactivated = make_expert(w)
    from procurement.evaluation import experts as expert_svc

    expert_svc.update_expert(w.finance, deactivated.id, {"active": False})
    not_signed_up = make_expert(w, active_account=False)
    panel = services.draw_panel(w.centre, _request(ctx).id)
    reasons = _exclusions(panel.draw_id)
    assert reasons == {by_bidder_code.candidate_id: "bidder_affiliation", by_bidder_name.candidate_id: "bidder_affiliation",
                       by_purchaser.candidate_id: "purchaser_affiliation", wrong_field.candidate_id: "speciality_mismatch",
                       deactivated.candidate_id: "inactive", not_signed_up.candidate_id: "account_not_active"}
    assert {m.expert_id for m in panel.members} == {e.id for e in eligible}


def test_same_credit_code_as_a_purchaser_is_excluded(ctx):
    import random

    from core import uscc

    purchaser = db.session.get(Organisation, ctx.projects[0].purchaser_org_id)
    code = uscc.generate(random.Random("purchaser-code"))
    db.session.execute(update(Organisation).where(Organisation.id == purchaser.id).values(credit_code=code))
    db.session.commit()
    make_pool(ctx.world, 5)
    colleague = make_expert(ctx.world, employer_name="Another name", employer_credit_code=code)
    panel = services.draw_panel(ctx.world.centre, _request(ctx).id)
    assert _exclusions(panel.draw_id) == {colleague.candidate_id: "purchaser_affiliation"}


def test_recent_service_for_the_same_purchaser_is_excluded(ctx):
    w = ctx.world
    make_pool(w, 6)
    first = services.draw_panel(w.centre, _request(ctx).id)
    served = first.members[0]
    services.accept(expert_user(served.expert), first.id)
    second = _second_tender(ctx)  # its lot holds a line of the same purchaser's project

    def draw_second():
        return services.draw_panel(w.centre, services.request_panel(w.centre, second.id,
                                                                    {"lot_id": second.lots[0].id}).id)

    _served_days_ago(served, 89)
    panel = draw_second()
    assert _exclusions(panel.draw_id) == {served.expert.candidate_id: "recent_service"}
    services.cancel_panel(w.centre, panel.id, "Draw once more")
    _served_days_ago(served, 91)  # the national rule: 90 days
    panel = draw_second()
    assert _exclusions(panel.draw_id) == {}
    assert panel.recent_service_days == 90


def _served_days_ago(member, days: int) -> None:
    db.session.execute(update(PanelMember).where(PanelMember.id == member.id)
                       .values(responded_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)))
    db.session.commit()


def _second_tender(first):
    """Another tender of the same centre whose lot holds one of the first lot's pooled lines (so
    the same purchaser), its deadline passed."""
    from procurement.pooling.models import PooledLine
    from procurement.tendering.models import Lot
    from tests.procurement.evaluation.helpers import past_deadline

    tender = Tender(reference="T-EVAL-2", title="Second", city_id=first.tender.city_id,
                    centre_org_id=first.tender.centre_org_id, method="public_tender", track="gpl",
                    profile_id=first.tender.profile_id, status="published",
                    bid_deadline_at=first.tender.bid_deadline_at, published_at=first.tender.published_at)
    tender.lots.append(Lot(number=1, title="Concrete", category_id=first.lot.category_id, specification="C35",
                           unit="m3", quantity_milli=1000, ceiling_fen=100_000, bond_fen=0, requirements=[]))
    db.session.add(tender)
    db.session.commit()
    line = db.session.execute(select(PooledLine).where(PooledLine.lot_id == first.lot.id)).scalars().first()
    db.session.execute(update(PooledLine).where(PooledLine.id == line.id).values(lot_id=tender.lots[0].id))
    db.session.commit()
    past_deadline(tender)
    return db.session.get(Tender, tender.id)


def test_a_declined_seat_is_drawn_again_from_a_pool_without_anyone_drawn_before(ctx, client):
    make_pool(ctx.world, 7)
    panel = services.draw_panel(ctx.world.centre, _request(ctx).id)
    first_draw = panel.draw_id
    decliner = panel.members[1]
    services.decline(expert_user(decliner.expert), panel.id, "conflict_of_interest", "My brother works for a bidder.")
    panel = db.session.get(Panel, panel.id)
    child = db.session.get(draws.Draw, panel.pending_draw_id)
    assert child.status == "committed" and child.parent_id == first_draw and child.commitment
    assert services.open_seats(panel) == [decliner.seat]
    panel = services.draw_panel(ctx.world.centre, panel.id)
    assert panel.pending_draw_id is None
    replacement = services.seated(panel)[decliner.seat]
    assert replacement.replaces_id == decliner.id and replacement.draw_id == child.id
    drawn_before = {m.expert.candidate_id for m in panel.members if m.draw_id == first_draw}
    assert {k for k, v in _exclusions(child.id).items() if v == "already_drawn"} == drawn_before
    assert draws.verify(db.session.get(draws.Draw, child.id)).ok
    for member in services.seated(panel).values():
        services.accept(expert_user(member.expert), panel.id)
    panel = db.session.get(Panel, panel.id)
    assert panel.status == "complete"
    assert [d.status for d in services.draws_of(panel)] == ["revealed", "revealed"]
    kinds = record_kinds(ctx.projects[0])
    assert kinds[-5:] == ["evaluation_panel_requested", "evaluation_panel_drawn", "evaluation_panel_seat_declined",
                          "evaluation_panel_replacement_drawn", "evaluation_panel_completed"]


def test_an_expert_answering_for_a_panel_they_are_not_on_gets_a_clear_error(ctx):
    make_pool(ctx.world, 5)
    outsider = make_expert(ctx.world, specialities=("wall_coatings",))
    panel = services.draw_panel(ctx.world.centre, _request(ctx).id)
    with pytest.raises(PermissionDenied) as exc:
        services.accept(expert_user(outsider), panel.id)
    assert "You have no invitation to this panel" in exc.value.message
    with pytest.raises(PermissionDenied):
        services.decline(expert_user(outsider), panel.id, "unavailable", "Not me at all.")
    with pytest.raises(PermissionDenied):  # not even the centre can answer for an expert
        services.accept(ctx.world.centre, panel.id)
    assert all(m.status == "invited" for m in db.session.get(Panel, panel.id).members)


def test_declining_needs_a_reason(ctx):
    make_pool(ctx.world, 5)
    panel = services.draw_panel(ctx.world.centre, _request(ctx).id)
    with pytest.raises(ValidationError) as exc:
        services.decline(expert_user(panel.members[0].expert), panel.id, "sick", "")
    assert set(exc.value.fields) == {"reason_type", "reason"}


def test_too_small_a_pool_draws_nothing(ctx):
    make_pool(ctx.world, 4)
    panel = _request(ctx)
    with pytest.raises(draws.PoolTooSmall):
        services.draw_panel(ctx.world.centre, panel.id)
    panel = db.session.get(Panel, panel.id)
    assert panel.status == "requested" and not panel.members
    assert db.session.get(draws.Draw, panel.draw_id).status == "committed"


def test_cancelling_releases_the_seats_and_publishes_every_seed(ctx):
    make_pool(ctx.world, 6)
    panel = services.draw_panel(ctx.world.centre, _request(ctx).id)
    services.decline(expert_user(panel.members[0].expert), panel.id, "unavailable", "Abroad that week.")
    with pytest.raises(PermissionDenied):
        services.cancel_panel(ctx.world.finance, panel.id, "Not the finance office's call")
    panel = services.cancel_panel(ctx.world.centre, panel.id, "The lot failed at opening.")
    assert panel.status == "cancelled"
    assert {m.status for m in panel.members} == {"released", "declined"}
    assert [d.status for d in services.draws_of(panel)] == ["revealed", "cancelled"]
    assert all(d.seed_public for d in services.draws_of(panel))
    assert _request(ctx).status == "requested"  # a new panel for the lot


def test_policies_for_the_scoring_piece(ctx):
    make_pool(ctx.world, 5)
    assert policy.panel_for(ctx.lot) is None
    panel = services.draw_panel(ctx.world.centre, _request(ctx).id)
    assert policy.panel_for(ctx.lot).id == panel.id
    member = panel.members[0]
    user = expert_user(member.expert)
    assert not policy.is_panel_member(user, ctx.lot)  # invited, not yet accepted
    services.accept(user, panel.id)
    assert policy.is_panel_member(user, ctx.lot)
    assert not policy.is_panel_member(expert_user(panel.members[1].expert), ctx.lot)
    assert not policy.is_panel_member(ctx.world.centre, ctx.lot)


def test_project_records_stay_verifiable(ctx):
    from procurement.records.services import verify_project

    make_pool(ctx.world, 5)
    panel = services.draw_panel(ctx.world.centre, _request(ctx).id)
    services.cancel_panel(ctx.world.centre, panel.id, "Testing the chain")
    for project in ctx.projects:
        result = verify_project(project)
        assert result.ok, result.problem
        assert "evaluation_panel_cancelled" in record_kinds(project)
