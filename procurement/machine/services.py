"""Moving a project through the stage machine.

The service locks the project row, checks the stage the caller expects (so a transition
requested twice at once moves the project once and the second request gets a Conflict), asks
the transition table whether the move exists and the policy whether the actor may request it,
runs the move's gates (registered on the app, see `procurement.machine.gates`) and then either
moves the project and records the gate results, or records the refusal and raises
:class:`GateRefused` listing every failed check.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

from core.errors import Conflict, PermissionDenied, ValidationError, render_message
from core.extensions import db
from core.i18n import N_, Term
from core.services import unit_of_work
from core.timeutil import today_cn, utcnow
from procurement.labels import plural
from procurement.machine import gates as machine_gates
from procurement.machine import policy
from procurement.machine.stages import ADVANCE, KINDS, STAGES, Transition, classify, legal_transitions
from procurement.projects.models import Project
from procurement.records.services import append_record, lock_visible_project


def _english(message) -> str:
    """A stored message (`core.i18n.message_payload`, or plain text in older records) in English."""
    if not isinstance(message, dict) or "key" not in message:
        return str(message or "")
    params = {k: v["term"] if isinstance(v, dict) and set(v) == {"term"} else v
              for k, v in (message.get("params") or {}).items()}
    return render_message((message["key"], params))


def check_json(check: dict) -> dict:
    """A stored check result for API clients, its message in English (like every API message)."""
    return {"name": check["name"], "passed": check["passed"], "message": _english(check["message"]),
            "details": check.get("details") or {}}


class GateRefused(Conflict):
    """A forward move whose gate checks failed; ``checks`` holds every result (failed and passed)."""

    code = "gate_refused"

    def __init__(self, message, results: list[machine_gates.CheckResult], **params):
        super().__init__(message, {r.name: r.text for r in results if not r.passed}, **params)
        self.checks = [r.to_dict() for r in results]

    def to_dict(self):
        body = super().to_dict()
        body["error"]["checks"] = [check_json(c) for c in self.checks]
        return body


@dataclass
class GateContext:
    """What gate checks may look at: the (locked) project, the actor and the day of the check.

    Capabilities load their evidence once per run through :meth:`cached` (e.g. the budget gate's
    ``ctx.cached("budget", ...)``), so several gates share one query.
    """

    project: Project
    actor: Any = None
    today: dt.date = field(default_factory=today_cn)
    _cache: dict = field(default_factory=dict, repr=False)

    def cached(self, key: str, load: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = load()
        return self._cache[key]


def _clean_request(to_stage, expected_stage, kind, reason) -> None:
    if kind not in KINDS:
        raise ValidationError(N_("Unknown transition kind."), {"kind": N_("Use 'advance' or 'return'.")})
    if reason is not None and not isinstance(reason, str):
        raise ValidationError(N_("The reason must be text."), {"reason": N_("Must be text.")})
    if not isinstance(to_stage, str):
        raise ValidationError(N_("Say which stage to move to."), {"to": N_("Give a stage name.")})
    if expected_stage not in STAGES:
        raise ValidationError(N_("Say which stage the project is in now."), {"from": N_("Unknown or missing stage.")})


def _move(project: Project, decision: machine_gates.Decision, payload: dict, actor, hooks) -> None:
    transition = decision.transition
    before = {"stage": project.stage}
    project.stage = transition.to_stage
    project.stage_changed_at = utcnow()
    for effect in hooks.effects(transition.from_stage, transition.to_stage, transition.kind):
        effect(project, decision, actor)
    db.session.flush()
    kind_name = "stage_advanced" if transition.kind == ADVANCE else "stage_returned"
    append_record(project, kind_name, payload, actor=actor, action=f"project.{kind_name}",
                  before=before, after={"stage": project.stage})


def request_transition(actor, project_id, *, to_stage: str, expected_stage: str, kind: str = ADVANCE,
                       reason: str | None = None, today: dt.date | None = None) -> Project:
    """Move the project from ``expected_stage`` to ``to_stage`` (advance, or return with a reason).

    Raises NotFound/PermissionDenied/ValidationError (illegal move), Conflict (the project is no
    longer in ``expected_stage``) or GateRefused (gates failed; the refusal is recorded).
    """
    _clean_request(to_stage, expected_stage, kind, reason)
    hooks = machine_gates.hooks()
    refusal: GateRefused | None = None
    with unit_of_work():
        project = lock_visible_project(actor, project_id)
        if project.stage != expected_stage:
            raise Conflict(N_("The project is now in the %(stage)s stage, not %(expected)s; it was moved meanwhile. "
                              "Reload and try again."), stage=Term(project.stage), expected=Term(expected_stage))
        transition = classify(project.stage, to_stage, kind)
        if not policy.can_request_transition(actor, project, transition):
            raise PermissionDenied(N_("Your role or organisation may not request this move."))
        ctx = GateContext(project=project, actor=actor, today=today or today_cn())
        decision = machine_gates.evaluate(transition, ctx, hooks.gates, reason=reason)
        payload = {"from": transition.from_stage, "to": transition.to_stage, "kind": transition.kind,
                   "checks": [r.to_dict() for r in decision.results]}
        if decision.reason:
            payload["reason"] = decision.reason
        if decision.ok:
            _move(project, decision, payload, actor, hooks)
        else:
            append_record(project, "transition_refused", payload, actor=actor, action="project.transition_refused")
            failed = len(decision.failures)
            message = plural(failed, N_("The move to %(stage)s was refused: %(n)s check failed."),
                             N_("The move to %(stage)s was refused: %(n)s checks failed."))
            refusal = GateRefused(message, list(decision.results), stage=Term(to_stage), n=failed)
    if refusal is not None:
        raise refusal  # raised after the commit: the refusal itself is part of the record
    return project


def preview_gates(actor, project: Project, transition: Transition | None = None,
                  today: dt.date | None = None) -> list[machine_gates.CheckResult]:
    """Run the gates of a forward move (default: the next stage) without recording anything."""
    if transition is None:
        nxt = [t for t in legal_transitions(project.stage) if t.kind == ADVANCE]
        if not nxt:
            return []
        transition = nxt[0]
    if transition.kind != ADVANCE:
        return []
    ctx = GateContext(project=project, actor=actor, today=today or today_cn())
    return machine_gates.hooks().gates.run(transition.from_stage, transition.to_stage, ctx)


@dataclass(frozen=True)
class MoveOption:
    """A move the user may request, with the checks it would run now (forward moves only)."""

    transition: Transition
    checks: list

    @property
    def blocked(self) -> bool:
        return any(not c.passed for c in self.checks)

    @property
    def failing(self) -> list:
        return [c for c in self.checks if not c.passed]


def move_options(actor, project: Project, today: dt.date | None = None) -> list[MoveOption]:
    """The moves ``actor`` may request from the project's stage, each with its gate preview, so
    pages can show which checks would fail and disable the button while any would."""
    return [MoveOption(t, preview_gates(actor, project, t, today))
            for t in policy.available_transitions(actor, project)]
