"""The tender lifecycle through its services: a draft from a closed pooling round, edits checked
against the procedure profile, the finance office's review with named checks, publication (the
checks again, at the publication time, with the profile of that day), cancellation; every legal
and illegal transition; permissions per role and city; records on every contributing project and
in the audit chain; bad input refused with nothing half-written."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core import roles as R
from core import scheduler
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.models import AuditEvent, Deadline, Notification
from core.statemachine import IllegalMove
from core.timeutil import CHINA, utcnow
from core.workdays import add_working_days
from procurement.pooling.models import PooledLine, PoolingRound
from procurement.profiles.services import add_profile, profile_for
from procurement.records.models import ProjectRecord
from procurement.records.services import verify_project
from procurement.tendering import drafts as tender_drafts
from procurement.tendering import queries as tender_queries
from procurement.tendering import services as tender_svc
from procurement.tendering.checks import CHECKS, run_checks
from procurement.tendering.models import Lot, Tender
from procurement.tendering.states import DEADLINE_BIDS, DEADLINE_CUTOFF, TENDER, TENDER_STATES
from tests.factories import make_org, make_user
from tests.procurement.helpers import World
from tests.procurement.tendering.tender_builders import closed_round, deadline, draft, record_kinds, tender_in


def counts() -> dict:
    """What a refused use case must leave as it was."""
    def n(model):
        return db.session.execute(select(func.count()).select_from(model)).scalar()
    return {"tenders": n(Tender), "lots": n(Lot), "records": n(ProjectRecord), "audit": n(AuditEvent),
            "notifications": n(Notification), "deadlines": n(Deadline)}


def reload(tender) -> Tender:
    db.session.expire_all()
    return db.session.get(Tender, tender.id)


# ------------------------------------------------------------------ the draft

def test_a_draft_is_built_from_a_closed_round(app):
    world, projects, rnd = closed_round(3)
    tender = draft(world, rnd)
    assert tender.status == "draft" and tender.reference.startswith("NANJING-T")
    assert (tender.city_id, tender.centre_org_id, tender.pooling_round_id) == (world.city.id,
                                                                            world.centre.organisation_id, rnd.id)
    [lot] = tender.lots
    assert (lot.number, lot.unit, lot.quantity_milli, lot.ceiling_fen) == (1, "m3", 300_000, 15_000_000)
    assert lot.bond_fen == 300_000  # starts at the cap: 2 % of the ceiling
    assert lot.requirements and lot.requirements[0]["key"] == "radionuclide_ira"
    lines = db.session.execute(select(PooledLine).where(PooledLine.round_id == rnd.id)).scalars().all()
    assert {ln.status for ln in lines} == {"assigned"} and {ln.lot_id for ln in lines} == {lot.id}
    assert db.session.get(PoolingRound, rnd.id).status == "tendered"
    for project in projects:
        assert record_kinds(project)[-1] == "tender_lot_assigned"
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "tender.create")).scalar_one()


def test_a_draft_needs_a_closed_round_of_the_officers_own_centre(app):
    world, projects, rnd = closed_round(1)
    other = World("hangzhou")
    before = counts()
    with pytest.raises(PermissionDenied):
        draft(other, rnd)
    with pytest.raises(NotFound):
        tender_drafts.create_tender_from_round(world.centre, 999_999, {"title": "x", "bid_deadline_at": deadline()})
    draft(world, rnd)
    with pytest.raises(IllegalMove):  # tendered already
        draft(world, rnd)
    db.session.rollback()
    assert counts()["tenders"] == before["tenders"] + 1


def test_a_deadline_shorter_than_the_tender_period_is_a_field_error_and_nothing_is_written(app):
    world, projects, rnd = closed_round(2)
    before = counts()
    with pytest.raises(ValidationError) as refused:
        draft(world, rnd, bid_deadline_at=deadline(10).isoformat())
    assert set(refused.value.fields) == {"bid_deadline_at"}
    assert "less than 20 days" in refused.value.to_dict()["error"]["fields"]["bid_deadline_at"]
    db.session.rollback()
    assert counts() == before
    assert db.session.get(PoolingRound, rnd.id).status == "closed"
    assert {ln.status for ln in db.session.execute(select(PooledLine)).scalars()} == {"contributed"}
    for project in projects:
        assert verify_project(project).ok


@pytest.mark.parametrize("data, field", [
    ({"title": ""}, "title"), ({"method": "auction"}, "method"), ({"track": "x"}, "track"),
    ({"bid_deadline_at": "next tuesday"}, "bid_deadline_at"), ({"bid_deadline_at": "1999-01-01T09:00"}, "bid_deadline_at"),
    ({"title": "x" * 201}, "title"), ({"description": "\x00"}, "description"),
])
def test_bad_draft_input_is_a_field_error(app, data, field):
    world, _projects, rnd = closed_round(1)
    before = counts()
    with pytest.raises(ValidationError) as refused:
        draft(world, rnd, **data)
    assert field in refused.value.fields
    db.session.rollback()
    assert counts() == before


def test_update_draft_changes_header_and_lots_and_refuses_a_bond_above_the_cap(app):
    world, _projects, tender = tender_in("draft")
    new_deadline = deadline(40)
    local = new_deadline.astimezone(CHINA).strftime("%Y-%m-%dT%H:%M")
    tender = tender_drafts.update_draft(world.centre, tender.id, {
        "title": "Concrete 2027", "bid_deadline_at": local, "lots": [{"number": 1, "title": "C30 lot", "bond_fen": 100}]})
    assert tender.title == "Concrete 2027" and tender.bid_deadline_at == new_deadline.replace(second=0)
    assert (tender.lots[0].title, tender.lots[0].bond_fen) == ("C30 lot", 100)
    before = counts()
    with pytest.raises(ValidationError) as refused:
        tender_drafts.update_draft(world.centre, tender.id,
                                   {"title": "Changed", "lots": [{"number": 1, "bond_fen": 300_001}]})
    assert set(refused.value.fields) == {"lots.1.bond_fen"}
    assert "above the cap of ¥3,000.00" in refused.value.to_dict()["error"]["fields"]["lots.1.bond_fen"]
    with pytest.raises(ValidationError) as short:
        tender_drafts.update_draft(world.centre, tender.id, {"bid_deadline_at": deadline(19).isoformat()})
    assert set(short.value.fields) == {"bid_deadline_at"}
    tender = reload(tender)
    assert tender.title == "Concrete 2027" and tender.lots[0].bond_fen == 100  # nothing half-written
    assert counts() == before


@pytest.mark.parametrize("lots, field", [
    ("lot", "lots"), ([{"number": 7}], "lots.0.number"), ([{"number": 1, "bond_fen": -1}], "lots.0.bond_fen"),
    ([{"number": 1}, {"number": 1}], "lots"), (["x"], "lots.0"),
])
def test_bad_lot_changes_are_field_errors(app, lots, field):
    world, _projects, tender = tender_in("draft", n_projects=1)
    with pytest.raises(ValidationError) as refused:
        tender_drafts.update_draft(world.centre, tender.id, {"lots": lots})
    assert field in refused.value.fields


# ------------------------------------------------------------------ checks

def test_checks_are_named_and_all_pass_for_a_sound_draft(app):
    _world, _projects, tender = tender_in("draft")
    results = run_checks(tender)
    assert [c["check"] for c in results] == list(CHECKS)
    assert all(c["ok"] for c in results), results
    assert all(set(c["message"]) == {"key", "params"} for c in results)


def test_each_failing_check_is_named(app):
    world, projects, tender = tender_in("draft")
    lot = tender.lots[0]
    db.session.execute(Lot.__table__.update().where(Lot.id == lot.id).values(bond_fen=500_000, ceiling_fen=20_000_000))
    db.session.execute(Tender.__table__.update().where(Tender.id == tender.id)
                       .values(bid_deadline_at=utcnow() + dt.timedelta(days=5)))
    db.session.commit()
    results = {c["check"]: c for c in run_checks(reload(tender))}
    assert not results["bond"]["ok"] and not results["periods"]["ok"] and not results["ceilings"]["ok"]
    assert results["lots"]["ok"] and results["method"]["ok"] and results["budget"]["ok"]
    before = counts()
    with pytest.raises(Conflict) as refused:
        tender_svc.submit(world.centre, tender.id)
    assert set(refused.value.fields) == {"bond", "periods", "ceilings"}
    assert "Failing checks: 3." in refused.value.message
    assert reload(tender).status == "draft"
    assert counts() == before


def test_the_budget_check_names_a_project_whose_budget_no_longer_covers_its_lines(app):
    from procurement.budget.models import Budget

    world, projects, tender = tender_in("draft")
    db.session.execute(Budget.__table__.update().where(Budget.project_id == projects[1].id).values(total_fen=1_000))
    db.session.commit()
    budget = next(c for c in run_checks(reload(tender)) if c["check"] == "budget")
    assert not budget["ok"] and budget["message"]["params"]["code"] == projects[1].code


def test_a_method_without_rules_in_the_city_fails_the_method_check(app):
    world, _projects, tender = tender_in("draft")
    with pytest.raises(ValidationError) as refused:
        tender_drafts.update_draft(world.centre, tender.id, {"track": "tbl", "method": "competitive_consultation"})
    assert set(refused.value.fields) == {"method"}


# ------------------------------------------------------------------ review

def test_submit_approve_publish_write_a_record_on_every_contributing_project(app):
    world, projects, tender = tender_in("published")
    for project in projects:
        kinds = record_kinds(project)
        assert kinds[-4:] == ["tender_lot_assigned", "tender_submitted", "tender_approved", "tender_published"]
        assert verify_project(project).ok
    actions = set(db.session.execute(select(AuditEvent.action).where(AuditEvent.object_type == "tenders")).scalars())
    assert {"tender.create", "tender.submitted", "tender.approved", "tender.published"} <= actions
    assert tender.reviewed_by_id == world.finance.id and [c["ok"] for c in tender.review_checks] == [True] * 7


def test_submission_tells_the_citys_finance_office_and_approval_tells_the_centre(app):
    world, _projects, tender = tender_in("draft")
    tender_svc.submit(world.centre, tender.id)
    told = {n.user_id for n in db.session.execute(select(Notification).where(Notification.kind == "tender.submitted")).scalars()}
    assert told == {world.finance.id, world.finance2.id}
    tender_svc.approve(world.finance, tender.id, "Within budget")
    assert db.session.execute(select(Notification).where(Notification.kind == "tender.approved",
                                                         Notification.user_id == world.centre.id)).scalar_one()


def test_approval_is_refused_while_a_check_fails_and_return_needs_a_comment(app):
    world, _projects, tender = tender_in("finance_review")
    db.session.execute(Lot.__table__.update().where(Lot.tender_id == tender.id).values(bond_fen=999_999))
    db.session.commit()
    before = counts()
    with pytest.raises(Conflict) as refused:
        tender_svc.approve(world.finance, tender.id, "ok")
    assert set(refused.value.fields) == {"bond"}
    with pytest.raises(ValidationError):
        tender_svc.return_(world.finance, tender.id, "no")
    assert counts() == before and reload(tender).status == "finance_review"
    returned = tender_svc.return_(world.finance, tender.id, "The bond is above the 2 % cap.")
    assert returned.status == "draft" and returned.review_comment == "The bond is above the 2 % cap."
    assert [c["check"] for c in returned.review_checks if not c["ok"]] == ["bond"]


def test_publication_sets_the_timeline_from_the_profile_and_arms_the_chronograph(app):
    world, projects, tender = tender_in("approved")
    tender = tender_svc.publish(world.centre, tender.id)
    profile = profile_for("public_tender", "gpl", world.city.id)
    assert tender.status == "published" and tender.profile_id == profile.id
    assert tender.clarification_cutoff_at == tender.bid_deadline_at - dt.timedelta(days=15)
    published_day = tender.published_at.astimezone(CHINA).date()
    assert tender.documents_until.astimezone(CHINA).date() == add_working_days(published_day, 5)
    bids = scheduler.deadline_for(DEADLINE_BIDS, "tenders", tender.id)
    assert bids.status == "pending" and bids.due_at == tender.bid_deadline_at
    if DEADLINE_CUTOFF in scheduler.handlers():
        assert scheduler.deadline_for(DEADLINE_CUTOFF, "tenders", tender.id).due_at == tender.clarification_cutoff_at


def test_publication_checks_the_period_again_at_the_publication_time(app):
    world, _projects, tender = tender_in("approved")
    before = counts()
    late = tender.bid_deadline_at - dt.timedelta(days=19)  # published 19 days before the deadline
    with pytest.raises(Conflict) as refused:
        tender_svc.publish(world.centre, tender.id, now=late)
    assert set(refused.value.fields) == {"periods"}
    assert counts() == before and reload(tender).status == "approved"
    assert scheduler.deadline_for(DEADLINE_BIDS, "tenders", tender.id) is None


def test_publication_uses_the_profile_in_force_on_the_publication_day(app):
    world, _projects, tender = tender_in("approved")  # deadline 30 days ahead
    base = profile_for("public_tender", "gpl", world.city.id)
    stricter = add_profile(world.centre, {"method": "public_tender", "track": "gpl", "city_id": world.city.id,
                                          "effective_from": utcnow().astimezone(CHINA).date().isoformat(),
                                          "min_tender_days": 35}, base=base)
    with pytest.raises(Conflict) as refused:
        tender_svc.publish(world.centre, tender.id)
    assert "periods" in refused.value.fields and "35 days" in refused.value.to_dict()["error"]["fields"]["periods"]
    tender_svc.withdraw_approval(world.centre, tender.id)
    tender_drafts.update_draft(world.centre, tender.id, {"bid_deadline_at": deadline(36).isoformat()})
    tender_svc.submit(world.centre, tender.id)
    tender_svc.approve(world.finance, tender.id, "")
    assert tender_svc.publish(world.centre, tender.id).profile_id == stricter.id


# ------------------------------------------------------------------ cancellation

def test_cancelling_a_draft_returns_its_lines_to_the_round(app):
    world, projects, tender = tender_in("draft")
    tender = tender_svc.cancel(world.centre, tender.id, "requirements_changed", "The design changed the grade.")
    assert (tender.status, tender.cancel_reason_type) == ("cancelled", "requirements_changed")
    lines = db.session.execute(select(PooledLine)).scalars().all()
    assert {(ln.status, ln.lot_id) for ln in lines} == {("contributed", None)}
    assert db.session.get(PoolingRound, tender.pooling_round_id).status == "closed"  # can be tendered again
    for project in projects:
        assert record_kinds(project)[-2:] == ["tender_cancelled", "tender_lot_unassigned"]


def test_cancelling_a_published_tender_releases_its_lines_and_disarms_the_deadlines(app):
    world, projects, tender = tender_in("published")
    tender_svc.cancel(world.centre, tender.id, "irregularity", "A requirement named a brand.")
    assert {ln.status for ln in db.session.execute(select(PooledLine)).scalars()} == {"released"}
    assert scheduler.deadline_for(DEADLINE_BIDS, "tenders", tender.id).status == "cancelled"
    for project in projects:
        assert record_kinds(project)[-2:] == ["tender_cancelled", "pooled_line_released"]
        assert verify_project(project).ok


@pytest.mark.parametrize("reason_type, reason, field", [
    ("bored", "A good reason", "reason_type"), ("other", "", "reason"), ("other", "x" * 2001, "reason"),
    (None, "A good reason", "reason_type"),
])
def test_cancellation_needs_a_reason_type_and_a_reason(app, reason_type, reason, field):
    world, _projects, tender = tender_in("draft")
    before = counts()
    with pytest.raises(ValidationError) as refused:
        tender_svc.cancel(world.centre, tender.id, reason_type, reason)
    assert field in refused.value.fields
    assert counts() == before


# ------------------------------------------------------------------ every transition

def _act(world, tender, action):
    return {
        "submit": lambda: tender_svc.submit(world.centre, tender.id),
        "return": lambda: tender_svc.return_(world.finance, tender.id, "Please change the bond."),
        "approve": lambda: tender_svc.approve(world.finance, tender.id, ""),
        "withdraw_approval": lambda: tender_svc.withdraw_approval(world.centre, tender.id),
        "publish": lambda: tender_svc.publish(world.centre, tender.id),
        "close": lambda: tender_svc.close_tendering(tender.id, tender.bid_deadline_at),
        "cancel": lambda: tender_svc.cancel(world.centre, tender.id, "other", "Testing every move"),
    }[action]()


SERVICE_ACTIONS = ("submit", "return", "approve", "withdraw_approval", "publish", "cancel")


@pytest.mark.parametrize("state", TENDER_STATES)
@pytest.mark.parametrize("action", SERVICE_ACTIONS)
def test_every_legal_and_illegal_transition(app, state, action):
    world, _projects, tender = tender_in("draft", n_projects=1)
    db.session.execute(Tender.__table__.update().where(Tender.id == tender.id).values(status=state))
    db.session.commit()
    tender = reload(tender)
    if TENDER.allows(state, action):
        _act(world, tender, action)
        assert reload(tender).status == TENDER.move(action).target
    else:
        before = counts()
        with pytest.raises(IllegalMove) as refused:
            _act(world, tender, action)
        assert refused.value.status == 409
        assert reload(tender).status == state and counts() == before


def test_the_machine_table_is_the_documented_lifecycle():
    assert set(TENDER.table()) == {
        ("draft", "submit", "finance_review"), ("finance_review", "return", "draft"),
        ("finance_review", "approve", "approved"), ("approved", "withdraw_approval", "draft"),
        ("approved", "publish", "published"), ("published", "close", "closed"),
        *(((s, "cancel", "cancelled") for s in ("draft", "finance_review", "approved", "published", "closed"))),
        ("published", "fail", "failed"), ("closed", "fail", "failed")}


# ------------------------------------------------------------------ who may act

def _other_city_world():
    return World("hangzhou")


@pytest.mark.parametrize("who, action, error", [
    ("purchaser", "submit", NotFound), ("finance", "submit", PermissionDenied),
    ("other_centre", "submit", NotFound), ("inspector", "submit", NotFound),
    ("centre", "approve", PermissionDenied), ("other_finance", "approve", NotFound),
    ("purchaser", "approve", NotFound), ("centre", "return", PermissionDenied),
    ("finance", "publish", PermissionDenied), ("other_centre", "publish", NotFound),
    ("finance", "cancel", PermissionDenied), ("supplier", "cancel", NotFound),
])
def test_permissions_per_role_and_city(app, who, action, error):
    world, _projects, tender = tender_in(n_projects=1, status={"submit": "draft", "approve": "finance_review", "return": "finance_review",
                                          "publish": "approved", "cancel": "approved"}[action])
    other = _other_city_world()
    users = {"purchaser": world.purchaser, "finance": world.finance, "centre": world.centre,
             "inspector": world.inspector, "other_centre": other.centre, "other_finance": other.finance,
             "supplier": make_user(make_org(R.ORG_SUPPLIER, status="verified"), roles=(R.SUPPLIER,))}
    actor = users[who]
    call = {"submit": lambda: tender_svc.submit(actor, tender.id),
            "approve": lambda: tender_svc.approve(actor, tender.id, ""),
            "return": lambda: tender_svc.return_(actor, tender.id, "Not like this"),
            "publish": lambda: tender_svc.publish(actor, tender.id),
            "cancel": lambda: tender_svc.cancel(actor, tender.id, "other", "Not like this")}[action]
    before = counts()
    status = tender.status
    with pytest.raises(error):
        call()
    assert reload(tender).status == status and counts() == before


def test_once_published_anyone_reads_the_tender_but_a_draft_is_seen_by_its_offices_only(app):
    world, _projects, tender = tender_in("draft")
    other = _other_city_world()
    for user in (world.centre, world.finance):
        assert tender_queries.get_tender(user, tender.id).id == tender.id
    for user in (None, world.purchaser, other.centre, other.finance):
        with pytest.raises(NotFound):
            tender_queries.get_tender(user, tender.id)
    tender_svc.submit(world.centre, tender.id)
    tender_svc.approve(world.finance, tender.id, "")
    tender_svc.publish(world.centre, tender.id)
    for user in (None, world.purchaser, other.centre, other.finance):
        assert tender_queries.get_tender(user, tender.id).id == tender.id
