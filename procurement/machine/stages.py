"""The project stage machine: one explicit transition table for the whole closed loop.

budget -> design -> procurement -> construction -> acceptance -> closed

Pure (no database, no Flask app): the stages, the table of legal moves (built on
`core.statemachine`) and the checks on a requested move. Who may request a move is a policy
rule (`procurement.machine.policy`); what must hold before a forward move is decided by the gates
registered from `procurement.register(app)` (`procurement.machine.gates`).

Rules:
- forward moves go exactly one stage ahead ("advance"); no skipping;
- a stage is never re-entered by asking for it again; the only way back is a "return" to the
  immediately previous stage, with a reason;
- ``closed`` is final.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import ValidationError
from core.i18n import N_, Term
from core.statemachine import Move, StateMachine
from core.validation import has_control_characters

BUDGET = "budget"
DESIGN = "design"
PROCUREMENT = "procurement"
CONSTRUCTION = "construction"
ACCEPTANCE = "acceptance"
CLOSED = "closed"

STAGES: tuple[str, ...] = (BUDGET, DESIGN, PROCUREMENT, CONSTRUCTION, ACCEPTANCE, CLOSED)
FINAL_STAGE = CLOSED

ADVANCE = "advance"
RETURN = "return"
KINDS = (ADVANCE, RETURN)

REASON_MIN_LENGTH = 5
REASON_MAX_LENGTH = 2000


def action_name(kind: str, target: str) -> str:
    """The table's action for a move: ``advance_to_design``, ``return_to_budget``."""
    return f"{kind}_to_{target}"


#: The transition table: every legal move, and nothing else.
MACHINE = StateMachine("project stage", STAGES, [
    Move(action_name(ADVANCE, DESIGN), (BUDGET,), DESIGN),
    Move(action_name(ADVANCE, PROCUREMENT), (DESIGN,), PROCUREMENT),
    Move(action_name(ADVANCE, CONSTRUCTION), (PROCUREMENT,), CONSTRUCTION),
    Move(action_name(ADVANCE, ACCEPTANCE), (CONSTRUCTION,), ACCEPTANCE),
    Move(action_name(ADVANCE, CLOSED), (ACCEPTANCE,), CLOSED),
    Move(action_name(RETURN, BUDGET), (DESIGN,), BUDGET),
    Move(action_name(RETURN, DESIGN), (PROCUREMENT,), DESIGN),
    Move(action_name(RETURN, PROCUREMENT), (CONSTRUCTION,), PROCUREMENT),
    Move(action_name(RETURN, CONSTRUCTION), (ACCEPTANCE,), CONSTRUCTION),
], final=(CLOSED,))


class IllegalTransition(ValidationError):
    """The requested move is not part of the machine (skip, re-entry, unknown stage, after close)
    or lacks what it needs (a return's reason). HTTP 400; the message is also put on ``field``."""

    def __init__(self, message, *, field: str = "to", **params):
        super().__init__(message, {field: (message, params) if params else message}, **params)


@dataclass(frozen=True)
class Transition:
    from_stage: str
    to_stage: str
    kind: str  # ADVANCE or RETURN

    @property
    def action(self) -> str:
        return action_name(self.kind, self.to_stage)


def stage_index(stage: str) -> int:
    """Position of ``stage`` in :data:`STAGES`; raises :class:`IllegalTransition` if unknown."""
    try:
        return STAGES.index(stage)
    except ValueError:
        raise IllegalTransition(N_("Unknown stage “%(stage)s”."), stage=str(stage)[:40]) from None


def next_stage(stage: str) -> str | None:
    """The stage after ``stage`` or None for the final stage."""
    i = stage_index(stage)
    return STAGES[i + 1] if i + 1 < len(STAGES) else None


def previous_stage(stage: str) -> str | None:
    """The stage before ``stage`` or None for the first stage."""
    i = stage_index(stage)
    return STAGES[i - 1] if i > 0 else None


def classify(current: str, target: str, kind: str = ADVANCE) -> Transition:
    """The :class:`Transition` for moving from ``current`` to ``target`` as ``kind``.

    Raises :class:`IllegalTransition` naming why the move is not in the table.
    """
    ci, ti = stage_index(current), stage_index(target)
    if kind not in KINDS:
        raise IllegalTransition(N_("Unknown transition kind “%(kind)s”; use advance or return."),
                                field="kind", kind=str(kind)[:40])
    move = Transition(current, target, kind)
    if MACHINE.allows(current, move.action):
        return move
    names = {"current": Term(current), "target": Term(target)}
    if current == FINAL_STAGE:
        raise IllegalTransition(N_("The project is closed; no further transitions."))
    if ti == ci:
        raise IllegalTransition(N_("The project is already in the %(current)s stage."), **names)
    if kind == ADVANCE and ti < ci:
        raise IllegalTransition(N_("Cannot move back from %(current)s to %(target)s; use a return with a reason."),
                                **names)
    if kind == ADVANCE:
        raise IllegalTransition(N_("Cannot skip from %(current)s to %(target)s; the next stage is %(next)s."),
                                next=Term(STAGES[ci + 1]), **names)
    if ti > ci:
        raise IllegalTransition(N_("A return goes back, not forward (%(current)s to %(target)s)."), **names)
    raise IllegalTransition(N_("A return goes back one stage only; %(current)s returns to %(previous)s."),
                            previous=Term(STAGES[ci - 1]), **names)


def legal_transitions(current: str) -> list[Transition]:
    """All moves the table allows from ``current`` (gates and roles aside), in stage order."""
    moves = [Transition(current, m.target, m.action.split("_to_")[0]) for m in MACHINE.actions_from(current)]
    return sorted(moves, key=lambda t: (stage_index(t.to_stage), KINDS.index(t.kind)))


def clean_reason(reason: str | None) -> str:
    """Validate a return reason; raises :class:`IllegalTransition` when missing or too long."""
    text = (reason or "").strip()
    if has_control_characters(text):
        raise IllegalTransition(N_("The reason must be plain text (no control characters)."), field="reason")
    if len(text) < REASON_MIN_LENGTH:
        raise IllegalTransition(N_("A return needs a reason of at least %(n)s characters."), field="reason",
                                n=REASON_MIN_LENGTH)
    if len(text) > REASON_MAX_LENGTH:
        raise IllegalTransition(N_("The reason is longer than %(n)s characters."), field="reason",
                                n=REASON_MAX_LENGTH)
    return text
