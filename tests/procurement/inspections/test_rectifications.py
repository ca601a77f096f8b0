"""Rectification notices: issue, respond with evidence, re-inspect to close or escalate; open
notices block acceptance (`gate.open_rectifications`); bad input refused, nothing half-written."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from core import scheduler
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.models import Notification
from core.timeutil import today_cn, utcnow
from procurement.inspections import gate, rectifications
from procurement.inspections.models import Rectification
from procurement.records.models import ProjectRecord
from tests.procurement.inspections.helpers import city_world, drawn_with_team, member_of, recorded, under_construction

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def ctx(app):
    return city_world(inspectors=3)


@pytest.fixture
def notice(ctx):
    (project,) = under_construction(ctx.world, 1)
    _campaign, (inspection,) = drawn_with_team(ctx)
    recorded(inspection, outcome="fail")
    rect = rectifications.issue(member_of(inspection), inspection.id, {
        "required_actions": "Replace the uncertified insulation boards of block B.",
        "deadline": (today_cn() + dt.timedelta(days=30)).isoformat()})
    return project, inspection, rect


def _evidence(name="report.pdf", data=PDF):
    return [(io.BytesIO(data), name)]


def test_the_lifecycle_open_responded_escalated_closed(ctx, notice):
    project, inspection, rect = notice
    assert [r["id"] for r in gate.open_rectifications(project.id)] == [rect.id]
    assert db.session.execute(db.select(Notification).where(Notification.kind == "rectification.issued",
                                                            Notification.user_id == ctx.world.purchaser.id)).first()
    rectifications.respond(ctx.world.purchaser, rect.id, "Boards replaced, see the delivery note.", _evidence())
    rect = db.session.get(Rectification, rect.id)
    assert rect.status == "responded" and len(rect.evidence_document_ids) == 1
    rectifications.reinspect(ctx.chief, rect.id, {"outcome": "escalate", "note": "Block C still has them."})
    assert db.session.get(Rectification, rect.id).status == "escalated"
    assert [r["status"] for r in gate.open_rectifications(project.id)] == ["escalated"]   # still blocks
    rectifications.respond(ctx.world.purchaser, rect.id, "Block C replaced as well.",
                           _evidence("photo.png", b"\x89PNG\r\n\x1a\n" + b"0" * 32))
    rectifications.reinspect(ctx.chief, rect.id, {"outcome": "close", "note": "All boards certified now."})
    assert db.session.get(Rectification, rect.id).status == "closed"
    assert gate.open_rectifications(project.id) == []
    assert gate.project_inspections(project.id)[0]["rectifications"][0]["status"] == "closed"
    kinds = [r.kind for r in db.session.execute(db.select(ProjectRecord).where(ProjectRecord.project_id == project.id)
                                               .order_by(ProjectRecord.seq)).scalars()]
    assert kinds[-5:] == ["rectification_issued", "rectification_responded", "rectification_escalated",
                          "rectification_responded", "rectification_closed"]
    with pytest.raises(Conflict):   # closed is final
        rectifications.reinspect(ctx.chief, rect.id, {"outcome": "escalate", "note": "Again please."})


@pytest.mark.parametrize("response,files,field", [
    ("Done.", "none", "evidence"), ("", "pdf", "response"), ("Boards replaced.", "txt", "evidence")])
def test_a_bad_response_is_refused_and_nothing_is_written(ctx, notice, response, files, field):
    _project, _inspection, rect = notice
    files = {"none": [], "pdf": _evidence(), "txt": _evidence("notes.txt", b"just text")}[files]
    with pytest.raises(ValidationError) as err:
        rectifications.respond(ctx.world.purchaser, rect.id, response, files)
    assert field in err.value.fields
    rect = db.session.get(Rectification, rect.id)
    assert rect.status == "open" and rect.evidence_document_ids == [] and rect.responded_at is None


def test_only_the_addressee_responds_and_only_the_authority_reinspects(ctx, notice):
    _project, _inspection, rect = notice
    with pytest.raises(PermissionDenied):
        rectifications.respond(ctx.chief, rect.id, "I am the inspector.", _evidence())
    from tests.procurement.inspections.helpers import other_city_inspector

    with pytest.raises(NotFound):
        rectifications.reinspect(other_city_inspector(), rect.id, {"outcome": "close", "note": "Looks fine."})
    with pytest.raises(PermissionDenied):
        rectifications.reinspect(ctx.world.purchaser, rect.id, {"outcome": "close", "note": "We did it."})
    assert db.session.get(Rectification, rect.id).status == "open"


def test_a_notice_needs_recorded_results_actions_and_a_future_deadline(ctx):
    under_construction(ctx.world, 1)
    _campaign, (inspection,) = drawn_with_team(ctx)
    data = {"required_actions": "Fix the windows.", "deadline": (today_cn() + dt.timedelta(days=5)).isoformat()}
    with pytest.raises(ValidationError):    # results not recorded yet
        rectifications.issue(member_of(inspection), inspection.id, data)
    recorded(inspection)
    with pytest.raises(ValidationError) as err:
        rectifications.issue(member_of(inspection), inspection.id,
                             dict(data, deadline=(today_cn() - dt.timedelta(days=1)).isoformat()))
    assert "deadline" in err.value.fields
    with pytest.raises(ValidationError) as err:
        rectifications.issue(member_of(inspection), inspection.id, dict(data, required_actions=""))
    assert "required_actions" in err.value.fields
    assert db.session.execute(db.select(Rectification)).first() is None


def test_a_passed_deadline_is_noted_for_the_authority(ctx, notice):
    _project, _inspection, rect = notice
    db.session.execute(db.update(Rectification).where(Rectification.id == rect.id)
                       .values(deadline=today_cn() - dt.timedelta(days=1)))
    scheduler.schedule("rectification_deadline", "rectification", rect.id, utcnow() - dt.timedelta(minutes=1))
    db.session.commit()
    scheduler.run_due(utcnow())
    rect = db.session.get(Rectification, rect.id)
    assert rect.deadline_passed_at is not None and rectifications.is_past_deadline(rect)
    assert db.session.execute(db.select(Notification).where(Notification.kind == "rectification.deadline")).first()
