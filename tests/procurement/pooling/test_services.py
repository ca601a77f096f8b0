"""Pooling use cases (issue 10, pooling): the centre opens, closes and cancels rounds; purchasers
contribute and withdraw their projects' uncovered bill lines; the chronograph closes a round at
its closing time; a project leaving procurement takes its lines with it (or may not leave)."""

import datetime as dt
import re

import pytest

from core import scheduler
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.models import AuditEvent, Deadline, Notification
from core.timeutil import CHINA, today_cn, utcnow
from procurement.machine.services import request_transition
from procurement.pooling import queries, services
from procurement.pooling.models import PooledLine, PoolingRound
from procurement.records.models import ProjectRecord
from procurement.records.services import verify_project
from procurement.tendering import lots
from tests.factories import make_user
from tests.procurement.helpers import World, field_text, line, project_in_design, stock_products
from tests.procurement.pooling.helpers import bill_line, contribute, open_round, past_closing, round_data
from tests.procurement.tendering_helpers import make_tender, procurement_world, project_in_procurement


@pytest.fixture
def world(app):
    """Nanjing with two projects in procurement: a concrete line and a wall-coatings line each."""
    w, projects = procurement_world(2, line(), line("wall_coatings", specification="Interior paint"))
    w.projects = projects
    return w


def records(project, kind):
    return db.session.execute(db.select(ProjectRecord).filter_by(project_id=project.id, kind=kind)
                              .order_by(ProjectRecord.seq)).scalars().all()


# --------------------------------------------------------------------------- opening


def test_centre_opens_a_round_with_reference_deadline_audit_and_notice(world):
    r = open_round(world, "ready_mixed_concrete", "wall_coatings")
    assert re.fullmatch(rf"PR-NANJING-{today_cn().year}-001", r.reference)
    assert r.status == "open" and r.centre_org_id == world.centre.organisation_id and r.city_id == world.city.id
    assert sorted(c.code for c in r.categories) == ["ready_mixed_concrete", "wall_coatings"]
    deadline = scheduler.deadline_for(services.CLOSE_KIND, services.OBJECT_TYPE, r.id)
    assert deadline.status == "pending" and deadline.due_at == r.closes_at
    assert db.session.execute(db.select(AuditEvent).filter_by(action="pooling_round.open")).scalar_one()
    note = db.session.execute(db.select(Notification).filter_by(user_id=world.purchaser.id,
                                                                kind="pooling.round_opened")).scalar_one()
    assert r.reference in str(note.message)
    assert open_round(world).reference.endswith("-002")


def test_categories_by_id_or_code_and_a_time_without_zone_is_china_time(world):
    from tests.procurement.helpers import category

    closes = (dt.datetime.now(CHINA) + dt.timedelta(days=3)).replace(tzinfo=None, second=0, microsecond=0)
    r = services.open_round(world.centre, round_data(category("wall_coatings").id, "ready_mixed_concrete",
                                                     closes_at=closes.isoformat()))
    assert r.closes_at == closes.replace(tzinfo=CHINA)
    assert {c.code for c in r.categories} == {"wall_coatings", "ready_mixed_concrete"}


@pytest.mark.parametrize("change, field", [
    ({"categories": []}, "categories"),
    ({"categories": ["no_such_category"]}, "categories"),
    ({"categories": [True]}, "categories"),
    ({"title": ""}, "title"),
    ({"closes_at": "next week"}, "closes_at"),
    ({"closes_at": (utcnow() - dt.timedelta(hours=1)).isoformat()}, "closes_at"),
    ({"closes_at": (utcnow() + dt.timedelta(days=91)).isoformat()}, "closes_at"),
])
def test_bad_round_input_is_a_field_error_and_nothing_is_written(world, change, field):
    with pytest.raises(ValidationError) as exc:
        services.open_round(world.centre, round_data(**change) if "categories" not in change
                            else {**round_data(), **change})
    assert field in exc.value.fields
    assert db.session.execute(db.select(db.func.count(PoolingRound.id))).scalar() == 0


@pytest.mark.parametrize("who", ["purchaser", "finance", "inspector"])
def test_only_a_centre_officer_opens_rounds(world, who):
    with pytest.raises(PermissionDenied):
        services.open_round(getattr(world, who), round_data())


# --------------------------------------------------------------------------- contributing


def test_purchaser_contributes_lines_copied_with_a_record_on_the_project_chain(world):
    r = open_round(world, "ready_mixed_concrete", "wall_coatings")
    p = world.projects[0]
    pooled = contribute(world, r, p, 1, 2)
    concrete = bill_line(p, 1)
    first = next(x for x in pooled if x.bom_line_id == concrete.id)
    assert (first.status, first.quantity_milli, first.unit, first.est_unit_price_fen, first.est_amount_fen) == \
        ("contributed", concrete.quantity_milli, "m3", concrete.est_unit_price_fen, concrete.total_fen)
    assert first.project_id == p.id and first.round_id == r.id and first.contributed_by_id == world.purchaser.id
    (rec,) = records(p, "pooled_line_contributed")
    assert rec.payload["reference"] == r.reference and [e["line_no"] for e in rec.payload["lines"]] == [1, 2]
    assert verify_project(p).ok
    assert queries.eligible_lines(p, r) == []
    assert [ln.line_no for ln in queries.eligible_lines(world.projects[1], r)] == [1, 2]


def test_eligible_lines_are_the_uncovered_lines_of_the_rounds_categories(world):
    concrete_only = open_round(world, "ready_mixed_concrete")
    p = world.projects[0]
    assert [ln.line_no for ln in queries.eligible_lines(p, concrete_only)] == [1]
    contribute(world, concrete_only, p, 1)
    assert queries.eligible_lines(p, concrete_only) == []


def test_a_line_of_another_category_is_refused(world):
    r = open_round(world, "ready_mixed_concrete")
    with pytest.raises(ValidationError) as exc:
        contribute(world, r, world.projects[0], 1, 2)
    assert "not pool" in exc.value.message and "bom_line_ids" in exc.value.fields
    assert db.session.execute(db.select(db.func.count(PooledLine.id))).scalar() == 0


def test_a_line_already_live_in_another_open_round_is_a_409_naming_it(world):
    first, second = open_round(world), open_round(world)
    p = world.projects[0]
    contribute(world, first, p, 1)
    with pytest.raises(Conflict) as exc:
        contribute(world, second, p, 1)
    assert f"Line 1 of project {p.code} is already pooled in round {first.reference}" in exc.value.message
    assert db.session.execute(db.select(db.func.count(PooledLine.id))).scalar() == 1


def test_the_unique_index_backs_up_the_check(world):
    """Were the service's check skipped, the partial unique index still refuses a second live line."""
    from sqlalchemy.exc import IntegrityError

    first = contribute(world, open_round(world), world.projects[0], 1)[0]
    second = open_round(world)
    db.session.add(PooledLine(round_id=second.id, project_id=first.project_id, bom_line_id=first.bom_line_id,
                              category_id=first.category_id, specification="x", quantity_milli=1, unit="m3",
                              est_unit_price_fen=1, est_amount_fen=1))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_unknown_or_foreign_line_ids_are_refused(world):
    r = open_round(world)
    other = bill_line(world.projects[1])
    for ids in ([other.id], [999999], [], ["1"], [0]):
        with pytest.raises(ValidationError):
            services.contribute_lines(world.purchaser, r.id, world.projects[0].id, ids)


def test_only_the_projects_own_purchaser_contributes(world):
    r = open_round(world)
    p = world.projects[0]
    ids = [bill_line(p).id]
    for official in (world.centre, world.finance):  # they see the project, but it is not theirs
        with pytest.raises(PermissionDenied):
            services.contribute_lines(official, r.id, p.id, ids)
    from core import roles as R
    from tests.factories import make_org

    stranger = make_user(make_org(R.ORG_PURCHASER, city=world.city), roles=(R.PURCHASER,))
    with pytest.raises(NotFound):  # another purchaser of the city does not see the project
        services.contribute_lines(stranger, r.id, p.id, ids)


def test_another_citys_purchaser_and_project_cannot_reach_the_round(world):
    r = open_round(world)
    qingdao = World("qingdao")
    stock_products(qingdao.city)
    q_project = project_in_procurement(qingdao)
    with pytest.raises(NotFound):  # the round is not visible outside its city
        services.contribute_lines(qingdao.purchaser, r.id, q_project.id, [bill_line(q_project).id])
    with pytest.raises(NotFound):
        services.close_round(qingdao.centre, r.id)
    with pytest.raises(NotFound):
        queries.get_round(qingdao.purchaser, r.id)


def test_a_project_not_in_procurement_cannot_contribute(world):
    r = open_round(world)
    designing = project_in_design(world)
    from procurement.design.services import add_line

    add_line(world.purchaser, designing.id, line())
    with pytest.raises(Conflict) as exc:
        contribute(world, r, designing, 1)
    assert "design stage" in exc.value.message


def test_a_closed_round_takes_no_lines(world):
    r = open_round(world)
    services.close_round(world.centre, r.id)
    with pytest.raises(Conflict) as exc:
        contribute(world, r, world.projects[0], 1)
    assert "takes no more lines" in exc.value.message


def test_a_round_past_its_closing_time_takes_no_lines_even_before_the_chronograph_runs(world):
    r = open_round(world)
    past_closing(r)
    assert db.session.get(PoolingRound, r.id).status == "open"
    with pytest.raises(Conflict) as exc:
        contribute(world, r, world.projects[0], 1)
    assert "takes no more lines (closed" in exc.value.message
    assert queries.shown_status(db.session.get(PoolingRound, r.id)) == "closed"


# --------------------------------------------------------------------------- withdrawing


def test_purchaser_withdraws_a_line_which_becomes_uncovered_again(world):
    r = open_round(world)
    p = world.projects[0]
    (pooled,) = contribute(world, r, p, 1)
    assert services.withdraw_line(world.purchaser, pooled.id).status == "withdrawn"
    (rec,) = records(p, "pooled_line_withdrawn")
    assert rec.payload["reason"] == "by_purchaser" and rec.payload["lines"][0]["pooled_line_id"] == pooled.id
    assert [ln.line_no for ln in queries.eligible_lines(p, r)] == [1]
    (again,) = contribute(world, r, p, 1)  # a withdrawn line is no longer live: it may be pooled again
    assert again.id != pooled.id
    with pytest.raises(Conflict):
        services.withdraw_line(world.purchaser, pooled.id)  # already withdrawn
    assert verify_project(p).ok


def test_only_the_own_purchaser_withdraws(world):
    (pooled,) = contribute(world, open_round(world), world.projects[0], 1)
    with pytest.raises(PermissionDenied):
        services.withdraw_line(world.centre, pooled.id)
    with pytest.raises(NotFound):
        services.withdraw_line(World("qingdao").purchaser, pooled.id)


def _assign(world, pooled_lines):
    tender = make_tender(world, status="draft")
    lot = tender.lots[0]
    lots.assign_lines(lot, pooled_lines, world.centre)
    db.session.commit()
    return tender, lot


def test_a_line_in_a_lot_can_no_longer_be_withdrawn(world):
    (pooled,) = contribute(world, open_round(world), world.projects[0], 1)
    tender, _lot = _assign(world, [pooled])
    with pytest.raises(Conflict) as exc:
        services.withdraw_line(world.purchaser, pooled.id)
    assert tender.reference in exc.value.message
    assert db.session.get(PooledLine, pooled.id).status == "assigned"


# --------------------------------------------------------------------------- closing and cancelling


def test_centre_closes_its_round_once_and_the_deadline_is_disarmed(world):
    r = open_round(world)
    closed = services.close_round(world.centre, r.id)
    assert closed.status == "closed" and closed.closed_at is not None
    assert scheduler.deadline_for(services.CLOSE_KIND, services.OBJECT_TYPE, r.id).status == "cancelled"
    with pytest.raises(Conflict):
        services.close_round(world.centre, r.id)
    assert queries.count_ready_to_tender(world.centre) == 1


def test_purchasers_and_other_officers_do_not_close_or_cancel(world):
    r = open_round(world)
    for user in (world.purchaser, world.finance):
        with pytest.raises(PermissionDenied):
            services.close_round(user, r.id)
        with pytest.raises(PermissionDenied):
            services.cancel_round(user, r.id, "no longer needed")
    from core import roles as R
    from tests.factories import make_org

    other_centre = make_user(make_org(R.ORG_CENTRE, city=world.city), roles=(R.PROCUREMENT_OFFICER,))
    with pytest.raises(PermissionDenied):  # a second centre of the city sees the round, but it is not its own
        services.close_round(other_centre, r.id)


def test_the_chronograph_closes_the_round_at_its_closing_time_idempotently(world):
    r = open_round(world)
    assert scheduler.run_due(now=r.closes_at - dt.timedelta(seconds=1)).done == 0
    counts = scheduler.run_due(now=r.closes_at + dt.timedelta(seconds=1))
    assert counts.done == 1 and counts.failed == 0
    db.session.expire_all()
    closed = db.session.get(PoolingRound, r.id)
    assert closed.status == "closed" and closed.closed_at == r.closes_at
    event = db.session.execute(db.select(AuditEvent).filter_by(action="pooling_round.close")).scalar_one()
    assert event.after["closed_by"] == "chronograph"
    services.close_when_due(r.id, r.closes_at)  # run again: a quiet no-op
    assert db.session.execute(db.select(db.func.count(AuditEvent.id))
                              .filter_by(action="pooling_round.close")).scalar() == 1


def test_catch_up_on_read_closes_a_round_past_its_time(world):
    r = open_round(world)
    past_closing(r)
    db.session.execute(db.update(Deadline).where(Deadline.object_id == r.id)
                       .values(due_at=utcnow() - dt.timedelta(minutes=1)))
    db.session.commit()
    scheduler.catch_up(services.OBJECT_TYPE, r.id)
    assert queries.get_round(world.centre, r.id).status == "closed"


def test_cancelling_withdraws_contributed_lines_with_records_and_tells_purchasers(world):
    r = open_round(world)
    p1, p2 = world.projects
    contribute(world, r, p1, 1)
    contribute(world, r, p2, 1)
    with pytest.raises(ValidationError) as exc:
        services.cancel_round(world.centre, r.id, "no")
    assert "reason" in exc.value.fields
    cancelled = services.cancel_round(world.centre, r.id, "Demand changed after the design review.")
    assert cancelled.status == "cancelled"
    statuses = db.session.execute(db.select(PooledLine.status)).scalars().all()
    assert statuses == ["withdrawn", "withdrawn"]
    for p in (p1, p2):
        (rec,) = records(p, "pooled_line_withdrawn")
        assert rec.payload["reason"] == "round_cancelled" and rec.payload["note"].startswith("Demand changed")
        assert verify_project(p).ok
    kinds = db.session.execute(db.select(Notification.kind).filter_by(user_id=world.purchaser.id)).scalars().all()
    assert "pooling.round_cancelled" in kinds
    with pytest.raises(Conflict):
        services.cancel_round(world.centre, r.id, "once more, please")


# --------------------------------------------------------------------------- a project leaving procurement


def test_returning_to_design_withdraws_contributed_lines_before_the_stage_record(world):
    r = open_round(world, "ready_mixed_concrete", "wall_coatings")
    p = world.projects[0]
    contribute(world, r, p, 1, 2)
    request_transition(world.centre, p.id, to_stage="design", expected_stage="procurement", kind="return",
                       reason="The structure changes after review.")
    db.session.expire_all()
    assert db.session.execute(db.select(PooledLine.status).filter_by(project_id=p.id)).scalars().all() == \
        ["withdrawn", "withdrawn"]
    (rec,) = records(p, "pooled_line_withdrawn")
    returned = records(p, "stage_returned")[-1]
    assert rec.payload["reason"] == "project_left_procurement" and rec.stage == "procurement"
    assert rec.seq == returned.seq - 1
    assert verify_project(p).ok  # the chain replays: the withdrawal was written in the procurement stage
    assert queries.count_open_rounds_for(world.purchaser) == 1  # the other project is still in procurement


def test_a_project_cannot_return_to_design_while_a_line_is_in_a_live_tender(world):
    r = open_round(world)
    p = world.projects[0]
    (pooled,) = contribute(world, r, p, 1)
    tender, lot = _assign(world, [pooled])
    with pytest.raises(Conflict) as exc:
        request_transition(world.centre, p.id, to_stage="design", expected_stage="procurement", kind="return",
                           reason="The structure changes after review.")
    assert tender.reference in exc.value.message
    db.session.expire_all()
    assert db.session.get(type(p), p.id).stage == "procurement"
    assert db.session.get(PooledLine, pooled.id).status == "assigned"
    lots.unassign_lines(lot, world.centre)  # the centre takes the line out of its draft ...
    db.session.commit()
    request_transition(world.centre, p.id, to_stage="design", expected_stage="procurement", kind="return",
                       reason="The structure changes after review.")  # ... and the project may go back
    db.session.expire_all()
    assert db.session.get(PooledLine, pooled.id).status == "withdrawn"
    assert verify_project(p).ok


# --------------------------------------------------------------------------- lists and worklists


def test_lists_and_worklist_counts_follow_role_and_city(world):
    open_round(world)
    closed = open_round(world)
    services.close_round(world.centre, closed.id)
    late = open_round(world)
    past_closing(late)
    assert queries.count_open_rounds_for(world.purchaser) == 1
    assert queries.count_ready_to_tender(world.centre) == 1
    assert queries.list_rounds(world.purchaser)[1] == 3
    assert queries.list_rounds(world.purchaser, status="open")[1] == 1
    assert queries.list_rounds(world.purchaser, status="closed")[1] == 2  # one by the clock
    qingdao = World("qingdao")
    assert queries.list_rounds(qingdao.purchaser)[1] == 0 and queries.list_rounds(qingdao.centre)[1] == 0
    assert queries.count_open_rounds_for(qingdao.purchaser) == 0
    with pytest.raises(ValidationError):
        queries.list_rounds(world.purchaser, status="bogus")


def test_field_messages_read_well(world):
    with pytest.raises(ValidationError) as exc:
        services.open_round(world.centre, round_data(closes_at=(utcnow() + dt.timedelta(days=100)).isoformat()))
    assert field_text(exc.value, "closes_at") == "A round collects for at most 90 days."
