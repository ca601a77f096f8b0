"""The stage machine, table-driven: every (current, target, kind) pair is legal or illegal; the
role table covers every move; gate registries run all checks and fail closed."""

import itertools

import pytest

from core import roles as R
from procurement.machine import policy
from procurement.machine.gates import GateRegistry, NO_CHECKS, evaluate, failed, passed
from procurement.machine.stages import (ADVANCE, MACHINE, RETURN, STAGES, IllegalTransition, classify,
                                        legal_transitions)

pytestmark = pytest.mark.pure

LEGAL_ADVANCES = {
    ("budget", "design"), ("design", "procurement"), ("procurement", "construction"),
    ("construction", "acceptance"), ("acceptance", "closed"),
}
LEGAL_RETURNS = {
    ("design", "budget"), ("procurement", "design"), ("construction", "procurement"),
    ("acceptance", "construction"),
}

ALL_CASES = [
    (cur, tgt, kind, ((cur, tgt) in (LEGAL_ADVANCES if kind == ADVANCE else LEGAL_RETURNS)))
    for cur, tgt in itertools.product(STAGES, STAGES)
    for kind in (ADVANCE, RETURN)
]


def test_table_covers_every_pair():
    assert len(ALL_CASES) == 6 * 6 * 2
    assert sum(1 for c in ALL_CASES if c[3]) == 9
    assert {(s, t) for s, _action, t in MACHINE.table()} == LEGAL_ADVANCES | LEGAL_RETURNS


@pytest.mark.parametrize("current,target,kind,legal", ALL_CASES,
                         ids=[f"{c}->{t}:{k}" for c, t, k, _ in ALL_CASES])
def test_every_transition(current, target, kind, legal):
    if legal:
        t = classify(current, target, kind)
        assert (t.from_stage, t.to_stage, t.kind) == (current, target, kind)
    else:
        with pytest.raises(IllegalTransition) as exc:
            classify(current, target, kind)
        assert exc.value.message  # says why
        assert exc.value.status == 400 and exc.value.fields


@pytest.mark.parametrize("current,target,fragment", [
    ("budget", "procurement", "skip"),
    ("budget", "closed", "skip"),
    ("design", "design", "already"),
    ("closed", "closed", "closed"),
    ("design", "budget", "return"),          # as an advance: must use a return
])
def test_illegal_messages_name_the_problem(current, target, fragment):
    with pytest.raises(IllegalTransition) as exc:
        classify(current, target, ADVANCE)
    assert fragment in exc.value.message.lower()


def test_return_more_than_one_stage_refused():
    with pytest.raises(IllegalTransition, match="one stage"):
        classify("construction", "design", RETURN)


def test_closed_is_final_even_for_return():
    with pytest.raises(IllegalTransition, match="closed"):
        classify("closed", "acceptance", RETURN)


def test_unknown_stage_and_kind():
    with pytest.raises(IllegalTransition, match="Unknown stage"):
        classify("budget", "tendering")
    with pytest.raises(IllegalTransition, match="Unknown stage"):
        classify("drafting", "budget")
    with pytest.raises(IllegalTransition, match="kind"):
        classify("budget", "design", "jump")


def test_messages_are_templates_with_stage_terms():
    with pytest.raises(IllegalTransition) as exc:
        classify("budget", "procurement")
    assert exc.value.template == "Cannot skip from %(current)s to %(target)s; the next stage is %(next)s."
    assert exc.value.params == {"current": "budget", "target": "procurement", "next": "design"}


def test_legal_transitions_listing():
    assert [(t.to_stage, t.kind) for t in legal_transitions("budget")] == [("design", ADVANCE)]
    assert {(t.to_stage, t.kind) for t in legal_transitions("design")} == {
        ("budget", RETURN), ("procurement", ADVANCE)}
    assert legal_transitions("closed") == []


def test_role_table_covers_every_move_with_known_roles():
    assert set(policy.MOVE_ROLES) == {m.action for m in MACHINE.moves}
    for roles in policy.MOVE_ROLES.values():
        assert roles and set(roles) <= set(R.ALL_ROLES)


def test_roles_per_transition():
    assert policy.roles_for(classify("budget", "design")) == (R.PURCHASER,)
    assert R.FINANCE_REVIEWER in policy.roles_for(classify("design", "budget", RETURN))
    assert R.PURCHASER not in policy.roles_for(classify("design", "budget", RETURN))


# --- gate registry ---------------------------------------------------------------------------


def total_within_budget(ctx):
    return passed("ok") if ctx["total"] <= ctx["budget"] else failed("over budget", over=ctx["total"] - ctx["budget"])


def has_lines(ctx):
    return passed("ok") if ctx["lines"] else failed("no lines")


def make_registry():
    reg = GateRegistry()
    reg.register("design", "procurement", total_within_budget, order=20)
    reg.register("design", "procurement", has_lines, order=10)
    return reg


def run(reg, current, target, ctx, kind=ADVANCE, reason=None):
    return evaluate(classify(current, target, kind), ctx, reg, reason=reason)


def test_gates_all_run_and_every_failure_is_listed():
    d = run(make_registry(), "design", "procurement", {"total": 200, "budget": 100, "lines": []})
    assert not d.ok
    assert [f.name for f in d.failures] == ["has_lines", "total_within_budget"]
    assert d.failures[1].details == {"over": 100}


def test_gates_pass():
    d = run(make_registry(), "design", "procurement", {"total": 100, "budget": 100, "lines": [1]})
    assert d.ok and len(d.results) == 2 and d.failures == []


def test_a_forward_move_without_gates_fails_closed():
    d = run(make_registry(), "budget", "design", {})
    assert not d.ok and [f.name for f in d.failures] == [NO_CHECKS]
    assert d.failures[0].message == "No checks are defined for leaving the %(stage)s stage yet."
    assert d.failures[0].params == {"stage": "budget"}


def test_gate_registration_on_non_transition_refused():
    reg = GateRegistry()
    with pytest.raises(ValueError):
        reg.register("budget", "procurement", lambda ctx: passed("x"), name="skip")
    with pytest.raises(ValueError):
        reg.register("design", "budget", lambda ctx: passed("x"), name="back")


def test_duplicate_gate_name_refused():
    reg = make_registry()

    def has_lines(ctx):  # different function, same name
        return passed("x")

    with pytest.raises(ValueError, match="already registered"):
        reg.register("design", "procurement", has_lines)


def test_crashing_gate_fails_closed():
    reg = GateRegistry()

    def boom(ctx):
        raise RuntimeError("bug")

    reg.register("budget", "design", boom)
    d = run(reg, "budget", "design", None)
    assert not d.ok and d.failures[0].name == "boom"


def test_gate_must_return_outcome():
    reg = GateRegistry()
    reg.register("budget", "design", lambda ctx: True, name="sloppy")
    with pytest.raises(TypeError):
        run(reg, "budget", "design", None)


def test_return_needs_reason_and_runs_no_gates():
    reg = GateRegistry()
    calls = []
    reg.register("design", "procurement", lambda ctx: calls.append(1) or passed("x"), name="g")
    with pytest.raises(IllegalTransition, match="reason"):
        run(reg, "procurement", "design", None, kind=RETURN, reason="   ")
    with pytest.raises(IllegalTransition, match="reason"):
        run(reg, "procurement", "design", None, kind=RETURN, reason="no")
    d = run(reg, "procurement", "design", None, kind=RETURN, reason="  BOM infeasible  ")
    assert d.ok and d.reason == "BOM infeasible" and calls == []


def test_check_result_keeps_template_and_params():
    reg = GateRegistry()
    reg.register("design", "procurement", lambda ctx: failed("%(n)s lines missing", {"n": 2}, lines=[1, 2]),
                 name="lines")
    d = run(reg, "design", "procurement", None)
    assert d.results[0].to_dict() == {"name": "lines", "passed": False,
                                      "message": {"key": "%(n)s lines missing", "params": {"n": 2}},
                                      "details": {"lines": [1, 2]}}
