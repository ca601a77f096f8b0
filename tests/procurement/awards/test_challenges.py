"""Challenges and complaints, in working days across National Day 2026 (1-7 October holiday,
Saturday 10 October a make-up working day): the challenge window from the notice, a challenge at
its end refused with the end in China time, answer deadlines flagged by the chronograph, the
complaint window from the answer or from the answer deadline, and a calendar override moving a
window. A live challenge or complaint blocks the contract."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core import scheduler
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.models import Notification
from core.workdays import set_day
from procurement.awards import challenges, gate
from procurement.awards.models import Award, Challenge
from tests.procurement.awards.helpers import MS, NOTICE_AT, award_in, china, supplier_of

TEXT = "The winning product's certificate had lapsed on the deadline day."
ANSWER = "The certificate was renewed on 1 September; see the opening record."


def test_the_window_ends_seven_working_days_after_the_notice_across_national_day(app):
    ctx, award = award_in("notified")
    loser = supplier_of(ctx, 1)
    # Notice Wednesday 30 September; working days 8, 9, 10 (Saturday, make-up), 12, 13, 14, 15 October.
    assert award.challenge_until == china(2026, 10, 16)
    last = challenges.lodge(loser, award.id, TEXT, now=china(2026, 10, 16) - MS)
    # Answer within 7 working days of Thursday 15 October: 16, 19, 20, 21, 22, 23, 26 October.
    assert last.answer_due_at == china(2026, 10, 27)
    # Unanswered: complaints within 15 working days of the answer deadline's last day (26 October).
    assert last.complaint_until == china(2026, 11, 17)
    with pytest.raises(Conflict) as exc:
        challenges.lodge(supplier_of(ctx, 2), award.id, TEXT, now=china(2026, 10, 16))
    assert exc.value.message == ("The challenge period for this award ended at 2026-10-16 00:00 (UTC+8) "
                                 "(its last day was 2026-10-15).")
    assert db.session.execute(select(Challenge)).scalars().all() == [last]


def test_only_bidders_of_the_lot_challenge_and_the_text_is_checked(app):
    from tests.procurement.bonds.helpers import supplier

    ctx, award = award_in("notified")
    with pytest.raises(PermissionDenied):
        challenges.lodge(supplier(), award.id, TEXT, now=NOTICE_AT + dt.timedelta(days=1))
    with pytest.raises(PermissionDenied):
        challenges.lodge(ctx.world.centre, award.id, TEXT, now=NOTICE_AT + dt.timedelta(days=1))
    with pytest.raises(ValidationError):
        challenges.lodge(supplier_of(ctx, 1), award.id, "too short", now=NOTICE_AT + dt.timedelta(days=1))
    assert db.session.execute(select(Challenge)).first() is None


def test_a_calendar_override_moves_the_window(app):
    ctx, _award = award_in("approved")
    set_day(dt.date(2026, 10, 12), working=False, name="Typhoon day")
    from procurement.awards import services

    award = services.publish(ctx.world.centre, ctx.award.id, now=NOTICE_AT)
    assert award.challenge_until == china(2026, 10, 17)  # 8, 9, 10, 13, 14, 15, 16 October


def test_an_unanswered_challenge_is_flagged_and_the_complaint_window_runs_from_its_deadline(app):
    ctx, award = award_in("notified")
    loser = supplier_of(ctx, 1)
    challenge = challenges.lodge(loser, award.id, TEXT, now=china(2026, 10, 9, 9, 0))
    assert challenge.answer_due_at == china(2026, 10, 20)  # 10 (Sat), 12, 13, 14, 15, 16, 19 October
    with pytest.raises(Conflict) as exc:  # neither answered nor overdue yet
        challenges.complain(loser, challenge.id, TEXT, now=china(2026, 10, 19, 12, 0))
    assert "after the answer deadline, 2026-10-20 00:00 (UTC+8)" in exc.value.message

    scheduler.run_due(now=china(2026, 10, 20))
    db.session.expire_all()
    flagged = db.session.get(Challenge, challenge.id)
    assert flagged.answer_overdue_at == china(2026, 10, 20) and flagged.status == "lodged"
    kinds = {(n.user_id, n.kind) for n in db.session.execute(select(Notification)).scalars()}
    assert {(ctx.world.centre.id, "awards.challenge_overdue"), (loser.id, "awards.challenge_overdue")} <= kinds
    scheduler.run_due(now=china(2026, 10, 21))  # flagged once
    assert len([n for n in db.session.execute(select(Notification).where(
        Notification.kind == "awards.challenge_overdue")).scalars() if n.user_id == loser.id]) == 1

    # 15 working days from Monday 19 October: 20 October ... 9 November.
    assert flagged.complaint_until == china(2026, 11, 10)
    with pytest.raises(Conflict) as exc:
        challenges.complain(loser, challenge.id, TEXT, now=china(2026, 11, 10))
    assert "ended at 2026-11-10 00:00 (UTC+8)" in exc.value.message
    complaint = challenges.complain(loser, challenge.id, TEXT, now=china(2026, 11, 10) - MS)
    # 30 working days from Monday 9 November: 10 November ... 21 December.
    assert complaint.decision_due_at == china(2026, 12, 22)


def test_the_complaint_window_runs_from_the_answer(app):
    ctx, award = award_in("notified")
    loser = supplier_of(ctx, 1)
    challenge = challenges.lodge(loser, award.id, TEXT, now=china(2026, 10, 9, 9, 0))
    with pytest.raises(PermissionDenied):
        challenges.answer(ctx.world.finance, challenge.id, ANSWER, now=china(2026, 10, 13, 9, 0))
    answered = challenges.answer(ctx.world.centre, challenge.id, ANSWER, now=china(2026, 10, 13, 9, 0))
    # 15 working days from Tuesday 13 October: 14 October ... 3 November.
    assert answered.complaint_until == china(2026, 11, 4)
    assert scheduler.deadline_for("awards.challenge_answer_due", "award_challenges", challenge.id).status == "cancelled"
    with pytest.raises(Conflict):
        challenges.answer(ctx.world.centre, challenge.id, ANSWER)
    with pytest.raises(NotFound):  # only the challenger complains: another firm does not even see it
        challenges.complain(supplier_of(ctx, 2), challenge.id, TEXT, now=china(2026, 10, 14))
    with pytest.raises(Conflict):
        challenges.complain(loser, challenge.id, TEXT, now=china(2026, 11, 4))
    complaint = challenges.complain(loser, challenge.id, TEXT, now=china(2026, 11, 4) - MS)
    with pytest.raises(Conflict):  # one complaint per challenge
        challenges.complain(loser, challenge.id, TEXT, now=china(2026, 11, 4) - MS)
    with pytest.raises(PermissionDenied):  # another city's finance office
        challenges.decide(ctx.other_finance, complaint.id, "dismissed", ANSWER)
    decided = challenges.decide(ctx.world.finance, complaint.id, "dismissed", ANSWER)
    assert decided.status == "dismissed"


def test_a_live_challenge_or_complaint_blocks_the_contract(app):
    ctx, award = award_in("notified")
    loser = supplier_of(ctx, 1)
    ok, reasons = gate.can_sign_contract(ctx.lot, now=china(2026, 10, 12))
    assert not ok and [r["key"] for r in reasons] == [
        "The standstill period after the award notice runs until %(until)s."]
    assert gate.can_sign_contract(ctx.lot, now=china(2026, 10, 16)) == (True, [])

    challenge = challenges.lodge(loser, award.id, TEXT, now=china(2026, 10, 15, 9, 0))
    ok, reasons = gate.can_sign_contract(ctx.lot, now=china(2026, 10, 16))
    assert not ok and reasons[0]["params"] == {"number": 1, "deadline": "2026-10-27 00:00 (UTC+8)"}
    assert gate.contract_award(ctx.lot, now=china(2026, 10, 16)) is None

    challenges.answer(ctx.world.centre, challenge.id, ANSWER, now=china(2026, 10, 16, 9, 0))
    assert gate.can_sign_contract(ctx.lot, now=china(2026, 10, 17))[0] is True
    complaint = challenges.complain(loser, challenge.id, TEXT, now=china(2026, 10, 19, 9, 0))
    ok, reasons = gate.can_sign_contract(ctx.lot, now=china(2026, 10, 20))
    assert not ok and "waits for the finance office's decision" in reasons[0]["key"]

    challenges.decide(ctx.world.finance, complaint.id, "upheld", "The certificate had lapsed: the award fails.")
    db.session.expire_all()
    failed = db.session.get(Award, award.id)
    assert failed.status == "failed" and failed.fail_reason["params"] == {"number": 1}
    ok, reasons = gate.can_sign_contract(ctx.lot, now=china(2026, 10, 20))
    assert not ok and reasons[0]["params"]["status"] == {"term": "failed"}


def test_a_challenge_is_withdrawn_by_its_firm_only(app):
    ctx, award = award_in("notified")
    challenge = challenges.lodge(supplier_of(ctx, 1), award.id, TEXT, now=china(2026, 10, 9, 9, 0))
    with pytest.raises(PermissionDenied):
        challenges.withdraw_challenge(ctx.world.centre, challenge.id)
    done = challenges.withdraw_challenge(supplier_of(ctx, 1), challenge.id)
    assert done.status == "withdrawn"
    assert gate.can_sign_contract(ctx.lot, now=china(2026, 10, 16)) == (True, [])
