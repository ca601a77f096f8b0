"""Results and their publication: 20 working days after the inspection ends (holidays do not
count: Golden Week 2026), flagged overdue by the chronograph and by the clock on read, only the
campaign's own city's authority publishes; the campaign closes and its draws are revealed."""

from __future__ import annotations

import datetime as dt

import pytest

from core import draws, scheduler
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.models import Notification
from core.timeutil import CHINA, utcnow
from procurement.inspections import results
from procurement.inspections.models import Campaign, Inspection
from procurement.records.models import ProjectRecord
from tests.procurement.inspections.helpers import (
    city_world,
    drawn_with_team,
    member_of,
    other_city_inspector,
    recorded,
    result_data,
    under_construction,
)


@pytest.fixture
def ctx(app):
    return city_world(inspectors=3)


@pytest.fixture
def one(ctx):
    (project,) = under_construction(ctx.world, 1)
    campaign, (inspection,) = drawn_with_team(ctx)
    return project, campaign, inspection


def test_the_deadline_counts_working_days_across_golden_week(one):
    _project, _campaign, inspection = one
    # Ended Wednesday 30 September 2026: 1-7 October are holidays, Saturday 10 October is a working
    # day; counted by hand, the 20th working day after is Tuesday 3 November (28 calendar days
    # would give 28 October).
    recorded(inspection, ended_on=dt.date(2026, 9, 30))
    inspection = db.session.get(Inspection, inspection.id)
    assert inspection.publish_due_on == dt.date(2026, 11, 3)
    assert results.publication_state(inspection, dt.date(2026, 11, 3)) == "due"
    assert results.publication_state(inspection, dt.date(2026, 11, 4)) == "overdue"
    deadline = scheduler.deadline_for("inspection_publication_due", "inspection", inspection.id)
    assert deadline.due_at == dt.datetime(2026, 11, 4, tzinfo=CHINA).astimezone(dt.timezone.utc)


def test_an_overdue_publication_is_flagged_once_and_publishing_late_says_so(ctx, one):
    _project, _campaign, inspection = one
    recorded(inspection, ended_on=dt.date(2026, 9, 30))     # due 3 November, today is later
    scheduler.run_due(utcnow())
    scheduler.run_due(utcnow())                              # idempotent
    inspection = db.session.get(Inspection, inspection.id)
    assert inspection.overdue_flagged_at is not None
    notes = db.session.execute(db.select(Notification).where(Notification.kind == "inspection.overdue")).scalars().all()
    assert {n.user_id for n in notes} == {u.id for u in ctx.inspectors}
    assert [i.id for i in results.overdue(ctx.world.city.id)] == [inspection.id]
    results.publish(ctx.chief, inspection.id)
    assert results.publication_state(db.session.get(Inspection, inspection.id)) == "published_late"
    assert results.overdue(ctx.world.city.id) == []


def test_publication_in_time_closes_the_campaign_and_reveals_every_draw(ctx, one, client):
    project, campaign, inspection = one
    today = utcnow().astimezone(CHINA).date()
    recorded(inspection, ended_on=today)
    results.publish(ctx.chief, inspection.id)
    inspection = db.session.get(Inspection, inspection.id)
    assert results.publication_state(inspection) == "published"
    assert db.session.get(Campaign, campaign.id).status == "closed"
    for draw_id in (campaign.target_draw_id, inspection.team_draw_id):
        draw = db.session.get(draws.Draw, draw_id)
        assert draw.status == draws.REVEALED and draws.verify(draw).ok
        assert draws.public_view(draw)["seed"] == draw.seed
    kinds = [r.kind for r in db.session.execute(db.select(ProjectRecord).where(ProjectRecord.project_id == project.id)
                                               .order_by(ProjectRecord.seq)).scalars()]
    assert kinds[-3:] == ["inspection_drawn", "inspection_recorded", "inspection_published"]
    page = client.get(f"/public/inspections/{inspection.id}")
    assert page.status_code == 200 and "Materials on site match" in page.get_data(as_text=True)


def test_another_citys_authority_cannot_publish_and_nothing_changes(ctx, one):
    _project, _campaign, inspection = one
    recorded(inspection, ended_on=dt.date(2026, 11, 20))
    with pytest.raises(PermissionDenied) as err:
        results.publish(other_city_inspector("hangzhou"), inspection.id)
    assert "inspection authority" in str(err.value)
    inspection = db.session.get(Inspection, inspection.id)
    assert inspection.status == "recorded" and inspection.published_at is None
    with pytest.raises(PermissionDenied):   # nor the inspected organisation
        results.publish(ctx.world.purchaser, inspection.id)


def test_only_the_team_records_and_every_drawn_item_needs_an_outcome(ctx, one):
    _project, _campaign, inspection = one
    outsider = next(u for u in ctx.inspectors if u.id not in {s.inspector_id for s in inspection.seats})
    with pytest.raises(PermissionDenied):
        results.record_results(outsider, inspection.id, result_data(inspection))
    bad = result_data(inspection)
    bad["items_checked"] = [{"code": "g9", "outcome": "pass"}]
    with pytest.raises(ValidationError) as err:
        results.record_results(member_of(inspection), inspection.id, bad)
    assert "items_checked" in err.value.fields
    bad = result_data(inspection, samples=[{"batch": "", "product": "Glass", "outcome": "maybe"}])
    with pytest.raises(ValidationError) as err:
        results.record_results(member_of(inspection), inspection.id, bad)
    assert {"samples.0.batch", "samples.0.outcome"} <= set(err.value.fields)
    bad = result_data(inspection, ended_on=dt.date(2026, 8, 1))   # before the campaign starts
    with pytest.raises(ValidationError):
        results.record_results(member_of(inspection), inspection.id, bad)
    assert db.session.get(Inspection, inspection.id).status == "scheduled"
    recorded(inspection)
    with pytest.raises(Conflict):   # recorded once
        recorded(db.session.get(Inspection, inspection.id))


def test_unpublished_results_are_not_public(one, client):
    _project, _campaign, inspection = one
    recorded(inspection)
    with pytest.raises(NotFound):
        results.public_inspection(inspection.id)
    assert client.get(f"/public/inspections/{inspection.id}").status_code == 404
    assert client.get("/api/v1/public/inspections").get_json() == {"inspections": []}
