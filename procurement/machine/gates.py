"""Gate checks of forward moves, and the side effects of moves: what the machine runs.

A gate is a plain function ``check(ctx) -> passed(...) | failed(...)`` living with the capability
that produces its evidence (``procurement/budget/gates.py``, ``procurement/design/gates.py``, later
``tendering/gates.py`` ...). Nothing registers itself: ``procurement.register(app)`` installs one
:class:`MachineHooks` on the app and adds every capability's gates and effects to it explicitly.

A forward move with no gate registered fails closed: it is refused with "No checks are defined
for leaving the <stage> stage yet." until a later issue registers the real checks.

Gate messages are translatable templates (``N_("... %(n)s ...")``) with parameters; results keep
the template and parameters (``core.i18n.message_payload``), so the record shows them in every
reader's language.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable

from core.i18n import N_, Term, message_payload
from procurement.machine.stages import ADVANCE, MACHINE, RETURN, action_name, clean_reason

log = logging.getLogger(__name__)

EXTENSION_KEY = "procurement.machine"
NO_CHECKS = "no_checks_defined"


@dataclass(frozen=True)
class Outcome:
    """What a gate function returns: use :func:`passed` / :func:`failed`."""

    passed: bool
    message: str
    params: dict
    details: dict


def passed(message: str, params: dict | None = None, **details: Any) -> Outcome:
    """A satisfied check: `message` a template (``N_``), `params` its parameters, `details` data."""
    return Outcome(True, message, dict(params or {}), details)


def failed(message: str, params: dict | None = None, **details: Any) -> Outcome:
    """An unsatisfied check (same arguments as :func:`passed`)."""
    return Outcome(False, message, dict(params or {}), details)


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one gate check, as recorded on the project's record."""

    name: str
    passed: bool
    message: str
    params: dict = field(default_factory=dict)
    details: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The stored form: the message as template key and parameters."""
        return {"name": self.name, "passed": self.passed, "message": message_payload(self.message, self.params),
                "details": self.details}

    @property
    def text(self):
        """The message as a (template, params) pair (``core.i18n.translate_message``)."""
        return (self.message, self.params) if self.params else self.message


@dataclass(frozen=True)
class GateCheck:
    name: str
    from_stage: str
    to_stage: str
    func: Callable[[Any], Outcome]
    order: int = 50
    description: str = ""


def _ident(func) -> tuple:
    return (getattr(func, "__module__", None), getattr(func, "__qualname__", repr(func)))


def _forward(from_stage: str, to_stage: str) -> None:
    if not MACHINE.allows(from_stage, action_name(ADVANCE, to_stage)):
        raise ValueError(f"{from_stage!r} -> {to_stage!r} is not a forward transition of the machine")


class GateRegistry:
    """Gate checks per forward transition. Checks run in (order, name) order; all of them run."""

    def __init__(self) -> None:
        self._checks: dict[tuple[str, str], dict[str, GateCheck]] = {}

    def register(self, from_stage: str, to_stage: str, func: Callable, *, name: str | None = None,
                 order: int = 50, description: str | None = None) -> GateCheck:
        """Register ``func`` as a gate of the forward move ``from_stage -> to_stage``."""
        _forward(from_stage, to_stage)
        name = name or func.__name__
        doc = description if description is not None else (func.__doc__ or "").strip().split("\n")[0]
        check = GateCheck(name, from_stage, to_stage, func, order, doc)
        slot = self._checks.setdefault((from_stage, to_stage), {})
        existing = slot.get(name)
        if existing is not None and _ident(existing.func) != _ident(func):
            raise ValueError(f"gate {name!r} already registered for {from_stage} -> {to_stage}")
        slot[name] = check  # registering the same function again (a second app) replaces it
        return check

    def unregister(self, from_stage: str, to_stage: str, name: str) -> None:
        self._checks.get((from_stage, to_stage), {}).pop(name, None)

    def checks(self, from_stage: str, to_stage: str) -> list[GateCheck]:
        """Registered checks of a forward move, in running order."""
        return sorted(self._checks.get((from_stage, to_stage), {}).values(), key=lambda c: (c.order, c.name))

    def run(self, from_stage: str, to_stage: str, ctx: Any) -> list[CheckResult]:
        """Run every check of the move (not stopping at the first failure) and return the results.

        No check registered: one failed result (fail closed). A check that raises fails closed
        too: it is reported as failed with a generic message and the exception is logged.
        """
        checks = self.checks(from_stage, to_stage)
        if not checks:
            return [CheckResult(NO_CHECKS, False, N_("No checks are defined for leaving the %(stage)s stage yet."),
                                {"stage": Term(from_stage)})]
        results = []
        for check in checks:
            try:
                outcome = check.func(ctx)
            except Exception:  # noqa: BLE001 - fail closed, see docstring
                log.exception("gate check %s crashed", check.name)
                results.append(CheckResult(check.name, False, N_("The check could not be run.")))
                continue
            if not isinstance(outcome, Outcome):
                raise TypeError(f"gate {check.name} must return passed(...) or failed(...), got {outcome!r}")
            results.append(CheckResult(check.name, outcome.passed, outcome.message, outcome.params,
                                       dict(outcome.details)))
        return results


Effect = Callable[[Any, Any, Any], None]  # effect(project, decision, actor)


class MachineHooks:
    """What one app's stage machine runs: gate checks and the side effects of moves."""

    def __init__(self) -> None:
        self.gates = GateRegistry()
        self._effects: dict[tuple[str, str, str], list[Effect]] = {}

    def add_gate(self, from_stage: str, to_stage: str, func: Callable, **kw) -> GateCheck:
        return self.gates.register(from_stage, to_stage, func, **kw)

    def add_effect(self, from_stage: str, to_stage: str, kind: str, func: Effect) -> None:
        """Run ``func(project, decision, actor)`` inside the transaction of a successful move."""
        if not MACHINE.allows(from_stage, action_name(kind, to_stage)):
            raise ValueError(f"{from_stage!r} -> {to_stage!r} ({kind}) is not a move of the machine")
        effects = self._effects.setdefault((from_stage, to_stage, kind), [])
        if all(_ident(f) != _ident(func) for f in effects):
            effects.append(func)

    def effects(self, from_stage: str, to_stage: str, kind: str) -> list[Effect]:
        return list(self._effects.get((from_stage, to_stage, kind), ()))


def install(app) -> MachineHooks:
    """The app's hooks, created on first call (idempotent)."""
    return app.extensions.setdefault(EXTENSION_KEY, MachineHooks())


def hooks(app=None) -> MachineHooks:
    """The hooks of `app` (default: the current app); empty ones when procurement is not wired,
    so every forward move is refused."""
    from flask import current_app

    found = (app or current_app).extensions.get(EXTENSION_KEY)
    return found if found is not None else MachineHooks()


@dataclass(frozen=True)
class Decision:
    """What the machine says about a requested move."""

    transition: Any
    results: tuple[CheckResult, ...] = ()
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if not r.passed]


def evaluate(transition, ctx: Any, gates: GateRegistry, *, reason: str | None = None) -> Decision:
    """Decide a classified move: run its gates (forward) or check the reason (return).

    Gate failures are reported in the returned :class:`Decision` (``ok`` is False, ``failures``
    lists every failed check); a missing return reason raises ``IllegalTransition``.
    """
    if transition.kind == RETURN:
        return Decision(transition, (), clean_reason(reason))
    return Decision(transition, tuple(gates.run(transition.from_stage, transition.to_stage, ctx)), None)
