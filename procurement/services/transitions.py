"""Moving a project through the stage machine.

The service locks the project row, checks the stage the caller expects (so a transition
requested twice at once moves the project once and the second request gets a Conflict), asks
``procurement.stages`` to classify the move and run its gates, and then either moves the project
and records the gate results, or records the refusal and raises :class:`GateRefused` listing every
failed check.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable

from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.services import unit_of_work
from core.timeutil import utcnow
from procurement import gates as _gates  # noqa: F401  (registers this package's gate checks)
from procurement import policy, stages
from procurement.models import Budget, BomLine, Project
from procurement.services.records import append_record, lock_project


class GateRefused(Conflict):
    """A forward move whose gate checks failed; ``checks`` holds every result (failed and passed)."""

    code = "gate_refused"

    def __init__(self, message, checks: list[dict]):
        failed = [c for c in checks if not c["passed"]]
        super().__init__(message, {c["name"]: c["message"] for c in failed})
        self.checks = checks

    def to_dict(self):
        body = super().to_dict()
        body["error"]["checks"] = self.checks
        return body


@dataclass
class GateContext:
    """What gate checks may look at. Attributes load lazily from the current session."""

    project: Project
    actor: Any = None
    today: dt.date = field(default_factory=dt.date.today)

    @cached_property
    def budget(self) -> Budget | None:
        return db.session.execute(db.select(Budget).where(Budget.project_id == self.project.id)
            .execution_options(populate_existing=True)).scalar_one_or_none()

    @cached_property
    def lines(self) -> list[BomLine]:
        return list(db.session.execute(
            db.select(BomLine).where(BomLine.project_id == self.project.id).order_by(BomLine.line_no)
            .execution_options(populate_existing=True)).scalars())


#: Side effects applied with a successful move: (from, to, kind) -> func(project, decision, actor).
_EFFECTS: dict[tuple[str, str, str], list[Callable]] = {}


def on_transition(from_stage: str, to_stage: str, kind: str = stages.ADVANCE):
    """Register a side effect of a move (e.g. reopening the budget when design is returned)."""

    def deco(func):
        _EFFECTS.setdefault((from_stage, to_stage, kind), []).append(func)
        return func

    return deco


@on_transition(stages.DESIGN, stages.BUDGET, stages.RETURN)
def _reopen_budget(project, decision, actor):
    budget = db.session.execute(db.select(Budget).where(Budget.project_id == project.id)).scalar_one_or_none()
    if budget is not None:
        budget.status = "returned"
        budget.review_comment = decision.reason
        budget.reviewed_by_id = actor.id
        budget.reviewed_at = utcnow()


def request_transition(actor, project_id, *, to_stage: str, expected_stage: str, kind: str = stages.ADVANCE,
                       reason: str | None = None, today: dt.date | None = None) -> Project:
    """Move the project from ``expected_stage`` to ``to_stage`` (advance, or return with a reason).

    Raises NotFound/PermissionDenied/ValidationError (illegal move), Conflict (the project is no
    longer in ``expected_stage``) or GateRefused (gates failed; the refusal is recorded).
    """
    if kind not in (stages.ADVANCE, stages.RETURN):
        raise ValidationError("Unknown transition kind.", {"kind": "Use 'advance' or 'return'."})
    if reason is not None and not isinstance(reason, str):
        raise ValidationError("The reason must be text.", {"reason": "Must be text."})
    if not isinstance(to_stage, str):
        raise ValidationError("Say which stage to move to.", {"to": "Give a stage name."})
    if expected_stage not in stages.STAGES:
        raise ValidationError("Say which stage the project is in now.", {"from": "Unknown or missing stage."})
    refusal: GateRefused | None = None
    with unit_of_work():
        project = lock_project(project_id)
        if not policy.can_view_project(actor, project):
            raise NotFound("No such project.")
        if project.stage != expected_stage:
            raise Conflict(f"The project is now in the {project.stage} stage, not {expected_stage}; "
                           "it was moved meanwhile. Reload and try again.")
        try:
            transition = stages.classify(project.stage, to_stage, kind)
        except stages.IllegalTransition as exc:
            raise ValidationError(exc.message, {"to": exc.message}) from None
        if not policy.can_request_transition(actor, project, transition):
            raise PermissionDenied("Your role or organisation may not request this move.")
        ctx = GateContext(project=project, actor=actor, today=today or dt.date.today())
        try:
            decision = stages.evaluate(project.stage, to_stage, ctx, kind=kind, reason=reason)
        except stages.IllegalTransition as exc:
            raise ValidationError(exc.message, {"reason": exc.message}) from None
        checks = [r.to_dict() for r in decision.results]
        payload = {"from": transition.from_stage, "to": transition.to_stage, "kind": transition.kind,
                   "checks": checks}
        if decision.reason:
            payload["reason"] = decision.reason
        if not decision.ok:
            append_record(project, "transition_refused", payload, actor=actor, action="project.transition_refused")
            names = ", ".join(f.name for f in decision.failures)
            refusal = GateRefused(f"The move to {to_stage} was refused: {len(decision.failures)} check(s) failed "
                                  f"({names}).", checks)
        else:
            before = {"stage": project.stage}
            project.stage = transition.to_stage
            project.stage_changed_at = utcnow()
            for effect in _EFFECTS.get((transition.from_stage, transition.to_stage, transition.kind), []):
                effect(project, decision, actor)
            db.session.flush()
            kind_name = "stage_advanced" if transition.kind == stages.ADVANCE else "stage_returned"
            append_record(project, kind_name, payload, actor=actor, action=f"project.{kind_name}",
                          before=before, after={"stage": project.stage})
    if refusal is not None:
        raise refusal  # raised after the commit: the refusal itself is part of the record
    return project


def preview_gates(actor, project: Project, today: dt.date | None = None) -> list[stages.CheckResult]:
    """Run the gates of the project's next forward move without recording anything (for pages)."""
    nxt = stages.next_stage(project.stage)
    if nxt is None:
        return []
    ctx = GateContext(project=project, actor=actor, today=today or dt.date.today())
    return stages.registry.run(project.stage, nxt, ctx)
