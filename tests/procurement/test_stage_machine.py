"""The stage machine, table-driven: every (current, target, kind) pair is legal or illegal."""

import itertools

import pytest

from procurement import stages
from procurement.stages import (ADVANCE, RETURN, STAGES, GateRegistry, IllegalTransition, classify,
                                evaluate, failed, passed)

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


def test_legal_transitions_listing():
    assert [(t.to_stage, t.kind) for t in stages.legal_transitions("budget")] == [("design", ADVANCE)]
    assert {(t.to_stage, t.kind) for t in stages.legal_transitions("design")} == {
        ("budget", RETURN), ("procurement", ADVANCE)}
    assert stages.legal_transitions("closed") == []


def test_role_tables_match_core_roles():
    core_roles = pytest.importorskip("core.roles")
    known = {v for n in dir(core_roles) if n.isupper() and isinstance(v := getattr(core_roles, n), str)}
    for table in (stages.ADVANCE_ROLES, stages.RETURN_ROLES):
        for roles in table.values():
            assert set(roles) <= known


def test_roles_per_transition():
    assert stages.role_may(classify("budget", "design"), {"purchaser"})
    assert not stages.role_may(classify("budget", "design"), {"finance_reviewer"})
    assert stages.role_may(classify("design", "budget", RETURN), {"finance_reviewer"})
    assert not stages.role_may(classify("design", "budget", RETURN), {"purchaser"})


# --- gate registry ---------------------------------------------------------------------------


def make_registry():
    reg = GateRegistry()

    @reg.gate("design", "procurement", order=20)
    def total_within_budget(ctx):
        return passed("ok") if ctx["total"] <= ctx["budget"] else failed("over budget", over=ctx["total"] - ctx["budget"])

    @reg.gate("design", "procurement", order=10)
    def has_lines(ctx):
        return passed("ok") if ctx["lines"] else failed("no lines")

    return reg


def test_gates_all_run_and_every_failure_is_listed():
    reg = make_registry()
    d = evaluate("design", "procurement", {"total": 200, "budget": 100, "lines": []}, gates=reg)
    assert not d.ok
    assert [f.name for f in d.failures] == ["has_lines", "total_within_budget"]
    assert d.failures[1].details == {"over": 100}


def test_gates_pass():
    reg = make_registry()
    d = evaluate("design", "procurement", {"total": 100, "budget": 100, "lines": [1]}, gates=reg)
    assert d.ok and len(d.results) == 2 and d.failures == []


def test_gates_only_for_their_transition():
    reg = make_registry()
    d = evaluate("budget", "design", {}, gates=reg)
    assert d.ok and d.results == ()


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

    @reg.gate("budget", "design")
    def boom(ctx):
        raise RuntimeError("bug")

    d = evaluate("budget", "design", None, gates=reg)
    assert not d.ok and d.failures[0].name == "boom"


def test_gate_must_return_outcome():
    reg = GateRegistry()
    reg.register("budget", "design", lambda ctx: True, name="sloppy")
    with pytest.raises(TypeError):
        evaluate("budget", "design", None, gates=reg)


def test_return_needs_reason_and_runs_no_gates():
    reg = GateRegistry()
    calls = []
    reg.register("design", "procurement", lambda ctx: calls.append(1) or passed("x"), name="g")
    with pytest.raises(IllegalTransition, match="reason"):
        evaluate("procurement", "design", None, kind=RETURN, reason="   ", gates=reg)
    with pytest.raises(IllegalTransition, match="reason"):
        evaluate("procurement", "design", None, kind=RETURN, reason="no", gates=reg)
    d = evaluate("procurement", "design", None, kind=RETURN, reason="  BOM infeasible  ", gates=reg)
    assert d.ok and d.reason == "BOM infeasible" and calls == []


def test_check_result_serialises():
    reg = make_registry()
    d = evaluate("design", "procurement", {"total": 1, "budget": 100, "lines": [1]}, gates=reg)
    assert d.results[0].to_dict() == {"name": "has_lines", "passed": True, "message": "ok", "details": {}}
