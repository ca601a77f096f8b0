"""Every (stage, target, kind) through the service: illegal moves are refused with a clear 400 and
write nothing; legal ones get past the machine (then roles and gates decide: without gates, a
forward move is refused and the refusal recorded)."""

import itertools

import pytest
from sqlalchemy import update

from core.errors import PermissionDenied, ValidationError
from core.extensions import db
from procurement.machine.services import GateRefused, request_transition
from procurement.machine.stages import ADVANCE, RETURN, STAGES
from procurement.projects.models import Project
from procurement.records.models import ProjectRecord
from procurement.records.chain import verify_chain
from tests.procurement.helpers import World, make_standard, new_project
from tests.procurement.machine.test_stage_table import LEGAL_ADVANCES, LEGAL_RETURNS


@pytest.mark.parametrize("current", STAGES)
def test_every_move_from(app, current):
    make_standard()
    w = World()
    p = new_project(w)
    db.session.execute(update(Project).where(Project.id == p.id).values(stage=current))
    db.session.commit()
    actors = {ADVANCE: w.purchaser, RETURN: {"design": w.finance, "procurement": w.centre,
                                            "construction": w.centre, "acceptance": w.inspector}.get(current, w.finance)}
    for target, kind in itertools.product(STAGES, (ADVANCE, RETURN)):
        legal = (current, target) in (LEGAL_ADVANCES if kind == ADVANCE else LEGAL_RETURNS)
        before = db.session.execute(db.select(db.func.count(ProjectRecord.id))).scalar()
        try:
            request_transition(actors[kind], p.id, to_stage=target, expected_stage=current, kind=kind,
                               reason="Checked by the table test")
            outcome = "moved"
        except GateRefused:
            outcome = "gates"
        except PermissionDenied:
            outcome = "forbidden"
        except ValidationError as exc:
            outcome = "illegal"
            assert exc.message
        after = db.session.execute(db.select(db.func.count(ProjectRecord.id))).scalar()
        if legal:
            assert outcome in ("moved", "gates"), (current, target, kind, outcome)
            assert after == before + 1  # moved or refused: either way it is on the record
        else:
            assert outcome == "illegal", (current, target, kind, outcome)
            assert after == before  # nothing written
        if outcome == "moved":  # put it back for the next case
            db.session.execute(update(Project).where(Project.id == p.id).values(stage=current))
            db.session.commit()
    db.session.expire_all()
    # The stage was put back by hand between cases, which `verify_project` (it replays the records
    # against the live rows) rightly calls tampering: check the hash chain and its head only.
    project = db.session.get(Project, p.id)
    rows = db.session.execute(db.select(ProjectRecord).filter_by(project_id=p.id).order_by(ProjectRecord.id)).scalars()
    assert verify_chain(list(rows), head_count=project.record_count, head_hash=project.record_head_hash) is None
