"""The project stage machine: one explicit machine for the whole closed loop.

budget -> design -> procurement -> construction -> acceptance -> closed

This module is pure (no database, no Flask): it knows the stages, which moves are legal, who may
request them, and holds the registry of gate checks. Services (``procurement.services.transitions``)
lock the project row, build a context, ask this module to evaluate the move and then write the
result. Later stages plug in their checks with the decorator instead of growing ``if`` chains::

    from procurement.stages import gate, passed, failed

    @gate("procurement", "construction", name="contracts_signed")
    def contracts_signed(ctx):
        ...
        return passed("All contracts signed") if ok else failed("2 lots without contract", lots=[...])

Rules:
- forward moves go exactly one stage ahead ("advance"); no skipping;
- a stage is never re-entered by asking for it again; the only way back is a "return" to the
  immediately previous stage, with a reason, by the role allowed to return that stage;
- ``closed`` is final.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

log = logging.getLogger(__name__)

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

# Role names as in core.roles (kept as literals so this module stays import-free; a test checks
# they match core.roles).
_PURCHASER = "purchaser"
_PROCUREMENT_OFFICER = "procurement_officer"
_FINANCE_REVIEWER = "finance_reviewer"
_INSPECTOR = "inspector"

#: Who may request each forward move (organisation scoping is the policy module's job).
ADVANCE_ROLES: dict[tuple[str, str], tuple[str, ...]] = {
    (BUDGET, DESIGN): (_PURCHASER,),
    (DESIGN, PROCUREMENT): (_PURCHASER,),
    (PROCUREMENT, CONSTRUCTION): (_PURCHASER, _PROCUREMENT_OFFICER),
    (CONSTRUCTION, ACCEPTANCE): (_PURCHASER,),
    (ACCEPTANCE, CLOSED): (_PURCHASER, _INSPECTOR),
}

#: Who may return a stage to the previous one (the reviewer of the earlier stage's output).
RETURN_ROLES: dict[tuple[str, str], tuple[str, ...]] = {
    (DESIGN, BUDGET): (_FINANCE_REVIEWER,),
    (PROCUREMENT, DESIGN): (_PROCUREMENT_OFFICER,),
    (CONSTRUCTION, PROCUREMENT): (_PROCUREMENT_OFFICER,),
    (ACCEPTANCE, CONSTRUCTION): (_INSPECTOR,),
}

REASON_MIN_LENGTH = 5
REASON_MAX_LENGTH = 2000


class IllegalTransition(Exception):
    """The requested move is not part of the machine (skip, re-entry, unknown stage, after close)."""

    def __init__(self, message: str, *, from_stage: str | None = None, to_stage: str | None = None):
        super().__init__(message)
        self.message = message
        self.from_stage = from_stage
        self.to_stage = to_stage


@dataclass(frozen=True)
class Transition:
    from_stage: str
    to_stage: str
    kind: str  # ADVANCE or RETURN

    def allowed_roles(self) -> tuple[str, ...]:
        table = ADVANCE_ROLES if self.kind == ADVANCE else RETURN_ROLES
        return table[(self.from_stage, self.to_stage)]


def stage_index(stage: str) -> int:
    """Position of ``stage`` in :data:`STAGES`; raises :class:`IllegalTransition` if unknown."""
    try:
        return STAGES.index(stage)
    except ValueError:
        raise IllegalTransition(f"Unknown stage {stage!r}.", to_stage=stage) from None


def next_stage(stage: str) -> str | None:
    """The stage after ``stage`` or None for the final stage."""
    i = stage_index(stage)
    return STAGES[i + 1] if i + 1 < len(STAGES) else None


def previous_stage(stage: str) -> str | None:
    """The stage before ``stage`` or None for the first stage."""
    i = stage_index(stage)
    return STAGES[i - 1] if i > 0 else None


def classify(current: str, target: str, kind: str = ADVANCE) -> Transition:
    """Return the :class:`Transition` for moving from ``current`` to ``target`` as ``kind``.

    Raises :class:`IllegalTransition` naming why the move is not allowed.
    """
    ci = stage_index(current)
    ti = stage_index(target)
    if kind not in (ADVANCE, RETURN):
        raise IllegalTransition(f"Unknown transition kind {kind!r}.", from_stage=current, to_stage=target)
    if current == FINAL_STAGE:
        raise IllegalTransition("The project is closed; no further transitions.", from_stage=current, to_stage=target)
    if ti == ci:
        raise IllegalTransition(f"The project is already in stage {current!r}.", from_stage=current, to_stage=target)
    if kind == ADVANCE:
        if ti < ci:
            raise IllegalTransition(
                f"Cannot move back from {current!r} to {target!r}; use a return with a reason.",
                from_stage=current, to_stage=target)
        if ti > ci + 1:
            raise IllegalTransition(
                f"Cannot skip from {current!r} to {target!r}; the next stage is {STAGES[ci + 1]!r}.",
                from_stage=current, to_stage=target)
        return Transition(current, target, ADVANCE)
    # RETURN
    if ti > ci:
        raise IllegalTransition(f"A return goes back, not forward ({current!r} -> {target!r}).",
                                from_stage=current, to_stage=target)
    if ti < ci - 1:
        raise IllegalTransition(
            f"A return goes back one stage only; {current!r} returns to {STAGES[ci - 1]!r}.",
            from_stage=current, to_stage=target)
    if (current, target) not in RETURN_ROLES:
        raise IllegalTransition(f"Stage {current!r} cannot be returned.", from_stage=current, to_stage=target)
    return Transition(current, target, RETURN)


def legal_transitions(current: str) -> list[Transition]:
    """All moves the machine allows from ``current`` (gates and roles aside)."""
    out = []
    for target in STAGES:
        for kind in (ADVANCE, RETURN):
            try:
                out.append(classify(current, target, kind))
            except IllegalTransition:
                pass
    return out


def clean_reason(reason: str | None) -> str:
    """Validate a return reason; raises :class:`IllegalTransition` when missing or too long."""
    text = (reason or "").strip()
    if len(text) < REASON_MIN_LENGTH:
        raise IllegalTransition(f"A return needs a reason of at least {REASON_MIN_LENGTH} characters.")
    if len(text) > REASON_MAX_LENGTH:
        raise IllegalTransition(f"The reason is longer than {REASON_MAX_LENGTH} characters.")
    return text


# --- gate checks -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one gate check, as recorded on the project's record."""

    name: str
    passed: bool
    message: str
    details: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"name": self.name, "passed": self.passed, "message": self.message, "details": self.details}


@dataclass(frozen=True)
class _Outcome:
    passed: bool
    message: str
    details: dict


def passed(message: str, **details: Any) -> _Outcome:
    """Return value of a gate function that is satisfied."""
    return _Outcome(True, message, details)


def failed(message: str, **details: Any) -> _Outcome:
    """Return value of a gate function that is not satisfied."""
    return _Outcome(False, message, details)


@dataclass(frozen=True)
class GateCheck:
    name: str
    from_stage: str
    to_stage: str
    func: Callable[[Any], _Outcome]
    order: int = 50
    description: str = ""


def _ident(func) -> tuple:
    return (getattr(func, "__module__", None), getattr(func, "__qualname__", repr(func)))


class GateRegistry:
    """Gate checks per forward transition. Checks run in (order, name) order; all of them run."""

    def __init__(self) -> None:
        self._checks: dict[tuple[str, str], dict[str, GateCheck]] = {}

    def register(self, from_stage: str, to_stage: str, func: Callable, *, name: str | None = None,
                 order: int = 50, description: str | None = None) -> GateCheck:
        """Register ``func`` as a gate of the forward move ``from_stage -> to_stage``."""
        if (from_stage, to_stage) not in ADVANCE_ROLES:
            raise ValueError(f"{from_stage!r} -> {to_stage!r} is not a forward transition of the machine")
        name = name or func.__name__
        doc = description if description is not None else (func.__doc__ or "").strip().split("\n")[0]
        check = GateCheck(name, from_stage, to_stage, func, order, doc)
        slot = self._checks.setdefault((from_stage, to_stage), {})
        existing = slot.get(name)
        if existing is not None and _ident(existing.func) != _ident(func):
            raise ValueError(f"gate {name!r} already registered for {from_stage} -> {to_stage}")
        slot[name] = check  # re-registration of the same function (module reload) replaces it
        return check

    def gate(self, from_stage: str, to_stage: str, *, name: str | None = None, order: int = 50,
             description: str | None = None):
        """Decorator form of :meth:`register`."""

        def deco(func):
            self.register(from_stage, to_stage, func, name=name, order=order, description=description)
            return func

        return deco

    def unregister(self, from_stage: str, to_stage: str, name: str) -> None:
        self._checks.get((from_stage, to_stage), {}).pop(name, None)

    def checks(self, from_stage: str, to_stage: str) -> list[GateCheck]:
        """Registered checks of a forward move, in running order."""
        return sorted(self._checks.get((from_stage, to_stage), {}).values(), key=lambda c: (c.order, c.name))

    def run(self, from_stage: str, to_stage: str, ctx: Any) -> list[CheckResult]:
        """Run every check of the move (not stopping at the first failure) and return the results.

        A check that raises fails closed: it is reported as failed with a generic message and the
        exception is logged, so a bug never lets a project through.
        """
        results = []
        for check in self.checks(from_stage, to_stage):
            try:
                outcome = check.func(ctx)
            except Exception:  # noqa: BLE001 - fail closed, see docstring
                log.exception("gate check %s crashed", check.name)
                results.append(CheckResult(check.name, False, "The check could not be run.", {}))
                continue
            if not isinstance(outcome, _Outcome):
                raise TypeError(f"gate {check.name} must return passed(...) or failed(...), got {outcome!r}")
            results.append(CheckResult(check.name, outcome.passed, outcome.message, dict(outcome.details)))
        return results


#: The application's registry; ``procurement.gates`` and later stages register into it.
registry = GateRegistry()
gate = registry.gate


@dataclass(frozen=True)
class Decision:
    """What the machine says about a requested move."""

    transition: Transition
    results: tuple[CheckResult, ...] = ()
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if not r.passed]


def evaluate(current: str, target: str, ctx: Any = None, *, kind: str = ADVANCE, reason: str | None = None,
             gates: GateRegistry | None = None) -> Decision:
    """Decide a move: classify it, then run its gates (forward) or check the reason (return).

    Raises :class:`IllegalTransition` for moves outside the machine; gate failures are reported in
    the returned :class:`Decision` (``ok`` is False, ``failures`` lists every failed check).
    """
    transition = classify(current, target, kind)
    if transition.kind == RETURN:
        return Decision(transition, (), clean_reason(reason))
    results = (gates or registry).run(transition.from_stage, transition.to_stage, ctx)
    return Decision(transition, tuple(results), None)


def role_may(transition: Transition, role_names: Iterable[str]) -> bool:
    """Does any of ``role_names`` allow requesting ``transition``? (Organisation scope not checked.)"""
    return bool(set(role_names) & set(transition.allowed_roles()))
