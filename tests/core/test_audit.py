from sqlalchemy import text

from core import audit
from core.audit import verify_chain
from core.extensions import db
from core.models import AuditEvent
from core.services import unit_of_work
from tests.factories import make_city


def _make_events(n=5):
    city = make_city("nanjing")
    for i in range(n):
        with unit_of_work():
            audit.record("test.event", city, before={"i": i}, after={"i": i + 1})


def test_intact_chain_verifies():
    _make_events(5)
    ok, message, count = verify_chain()
    assert ok, message
    assert count == 5
    seqs = db.session.execute(db.select(AuditEvent.seq).order_by(AuditEvent.seq)).scalars().all()
    assert seqs == [1, 2, 3, 4, 5]


def test_each_event_links_to_the_previous_hash():
    _make_events(3)
    events = db.session.execute(db.select(AuditEvent).order_by(AuditEvent.seq)).scalars().all()
    assert events[0].prev_hash == audit.GENESIS_HASH
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash


def test_update_with_sql_is_detected_and_named():
    _make_events(5)
    db.session.execute(text("UPDATE audit_events SET after = :a WHERE seq = 3"), {"a": '{"i": 999}'})
    db.session.commit()
    ok, message, _ = verify_chain()
    assert not ok
    assert "seq 3" in message and "altered" in message


def test_deleted_row_is_detected():
    _make_events(5)
    db.session.execute(text("DELETE FROM audit_events WHERE seq = 2"))
    db.session.commit()
    ok, message, _ = verify_chain()
    assert not ok
    assert "seq 2 is missing" in message


def test_deleted_tail_is_detected_through_the_chain_head():
    _make_events(4)
    db.session.execute(text("DELETE FROM audit_events WHERE seq = 4"))
    db.session.commit()
    ok, message, _ = verify_chain()
    assert not ok
    assert "removed" in message


def test_orm_refuses_to_modify_events():
    _make_events(1)
    ev = db.session.execute(db.select(AuditEvent)).scalar_one()
    ev.action = "forged"
    try:
        db.session.commit()
        raised = False
    except RuntimeError as exc:
        raised = "append-only" in str(exc)
        db.session.rollback()
    assert raised


def test_rolled_back_change_leaves_no_event():
    city = make_city("qingdao")
    try:
        with unit_of_work():
            audit.record("test.rollback", city)
            raise ValueError("boom")
    except ValueError:
        pass
    assert db.session.execute(db.select(db.func.count(AuditEvent.id)).where(AuditEvent.action == "test.rollback")).scalar() == 0
    assert verify_chain()[0]


def test_cli_verify_exit_codes(app):
    _make_events(3)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "intact: 3 events" in result.output
    db.session.execute(text("UPDATE audit_events SET action = 'x' WHERE seq = 2"))
    db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "seq 2" in result.output
