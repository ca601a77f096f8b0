"""A project leaving the procurement stage (returned to design): what happens to its pooled lines.

Refused while one of its lines is in a lot of a live tender; otherwise its contributed lines are
withdrawn and lines left in a tender that has ended are released, each with a record on the
project's chain, written in the stage the project is leaving.
"""

from __future__ import annotations

from sqlalchemy import select

from core.errors import Conflict
from core.extensions import db
from core.i18n import N_
from procurement.pooling.models import LINE_ASSIGNED, LINE_CONTRIBUTED, PooledLine
from procurement.pooling.services import WITHDRAWN_PROJECT_LEFT, withdraw_lines
from procurement.tendering import lots


def _live_tender_lines(project_id: int) -> tuple[list[PooledLine], list[PooledLine]]:
    """The project's assigned lines: (in a live tender, in a tender that has ended)."""
    from procurement.tendering.states import CANCELLED, FAILED, LOT_ACTIVE

    assigned = db.session.execute(select(PooledLine).where(PooledLine.project_id == project_id,
                                                           PooledLine.status == LINE_ASSIGNED)).scalars().all()
    live, ended = [], []
    for ln in assigned:
        lot = ln.lot
        dead = lot is None or lot.status != LOT_ACTIVE or lot.tender.status in (CANCELLED, FAILED)
        (ended if dead else live).append(ln)
    return live, ended


class _InStage:
    """Write records in the stage the project is leaving: the machine has already set the new
    stage when its effects run, and its own `stage_returned` record comes after them."""

    def __init__(self, project, stage: str):
        self.project, self.stage = project, stage

    def __enter__(self):
        self.new_stage = self.project.stage
        self.project.stage = self.stage

    def __exit__(self, *exc):
        self.project.stage = self.new_stage
        return False


def on_return_to_design(project, decision, actor) -> None:
    """Effect of returning a project from procurement to design (installed by `wiring.register`).

    Refused (409, nothing changes) while one of its lines is in a lot of a live tender: the
    centre must first take the line out of the draft or cancel the tender. Contributed lines
    are withdrawn, and lines left assigned in a tender that has ended are released, each with a
    record on the project's chain written before the stage change.
    """
    live, ended = _live_tender_lines(project.id)
    if live:
        ln = live[0]
        raise Conflict(N_("Line %(line)s is in lot %(lot)s of tender %(tender)s; the project cannot return to "
                          "design while its lines are being tendered."), line=ln.bom_line.line_no,
                       lot=ln.lot.number, tender=ln.lot.tender.reference)
    contributed = db.session.execute(select(PooledLine).where(PooledLine.project_id == project.id,
                                                              PooledLine.status == LINE_CONTRIBUTED)).scalars().all()
    if not contributed and not ended:
        return
    with _InStage(project, decision.transition.from_stage):
        withdraw_lines(contributed, actor, WITHDRAWN_PROJECT_LEFT, note=decision.reason or "")
        if ended:
            lots.release_lines(ended, actor, reason=WITHDRAWN_PROJECT_LEFT)
        db.session.flush()
