"""Compliance engine: resolution of overrides, every comparison, units, verdicts, strictness."""
import math

import pytest
from hypothesis import assume, given, strategies as st

from catalog.compliance import Evaluation, evaluate, evaluate_rule, resolve_rules
from catalog.rule_validation import RuleError, validate_rule
from catalog.rules import FIRE_CLASS_SCALE, Rule, Value, carbon_value
from catalog.strictness import is_at_least_as_strict

U_BASE = Rule("u_value", "<=", 4.0, "W/(m2.K)", "green")
U_COLD_A = Rule("u_value", "<=", 3.0, "W/(m2.K)", "green", climate_zone="cold_a")
U_HSCW_A = Rule("u_value", "<=", 3.5, "W/(m2.K)", "green", climate_zone="hscw_a")
U_HUZHOU = Rule("u_value", "<=", 3.2, "W/(m2.K)", "green", city_code="huzhou")
SHGC_FOSHAN = Rule("shgc", "<=", 0.40, "", "green", city_code="foshan")
AIR = Rule("air_tightness_grade", ">=", 6, "", "quality")
WINDOW_RULES = [U_BASE, U_COLD_A, U_HSCW_A, U_HUZHOU, SHGC_FOSHAN, AIR]
FIRE_B1 = Rule("fire_class", "at_least", "B1", kind="quality", scale=FIRE_CLASS_SCALE)


# ----------------------------------------------------------------- resolve_rules

def test_resolve_city_beats_zone_beats_base():
    assert resolve_rules(WINDOW_RULES, "huzhou", "hscw_a")[0] is U_HUZHOU
    assert resolve_rules(WINDOW_RULES, "nanjing", "hscw_a")[0] is U_HSCW_A
    assert resolve_rules(WINDOW_RULES, "qingdao", "cold_a")[0] is U_COLD_A
    assert resolve_rules(WINDOW_RULES, "foshan", "hsww_b")[0] is U_BASE


def test_resolve_order_independent_of_input_order():
    reordered = [U_HUZHOU, U_COLD_A, AIR, U_BASE, SHGC_FOSHAN, U_HSCW_A]
    got = resolve_rules(reordered, "huzhou", "hscw_a")
    assert {r.key: r for r in got}["u_value"] is U_HUZHOU
    assert [r.key for r in got] == ["u_value", "air_tightness_grade"]


def test_resolve_city_only_rule_applies_only_in_that_city():
    assert [r.key for r in resolve_rules(WINDOW_RULES, "foshan", "hsww_b")] == ["u_value", "shgc", "air_tightness_grade"]
    assert "shgc" not in [r.key for r in resolve_rules(WINDOW_RULES, "qingdao", "cold_a")]


def test_resolve_without_city_or_zone_uses_base_only():
    got = resolve_rules(WINDOW_RULES, None, None)
    assert got == [U_BASE, AIR]


def test_resolve_key_with_only_zone_rules_is_dropped_elsewhere():
    only_cold = [Rule("frost_cycles", ">=", 50, "", climate_zone="severe_cold_a")]
    assert resolve_rules(only_cold, "foshan", "hsww_b") == []
    assert resolve_rules(only_cold, "harbin", "severe_cold_a") == only_cold


# ----------------------------------------------------------------- numeric comparisons

@pytest.mark.parametrize("value, status", [(2.9, "pass"), (3.0, "pass"), (3.0000001, "fail"), (3.5, "fail")])
def test_le_boundary(value, status):
    assert evaluate_rule(U_COLD_A, Value("u_value", value, "W/(m2.K)")).status == status


@pytest.mark.parametrize("value, status", [(6, "pass"), (8, "pass"), (5, "fail")])
def test_ge(value, status):
    assert evaluate_rule(AIR, Value("air_tightness_grade", value)).status == status


def test_unit_conversion_in_evaluation():
    voc = Rule("voc", "<=", 80, "g/L", "green", test_standard="GB 18582-2020")
    ok = evaluate_rule(voc, Value("voc", 75000, "mg/L"))
    assert ok.status == "pass" and math.isclose(ok.value, 75.0) and ok.unit == "g/L"
    assert ok.declared_value == 75000 and ok.declared_unit == "mg/L"
    # 80 g/L expressed in mg/L sits exactly on the limit after a float round trip
    assert evaluate_rule(voc, Value("voc", 80000, "mg/L")).status == "pass"
    assert evaluate_rule(voc, Value("voc", 81000, "mg/L")).status == "fail"


def test_carbon_in_kg_per_tonne_against_tonne_limit():
    steel = Rule("gwp_a1a3", "<=", 1.01, "t CO2e/t", "green")
    assert evaluate_rule(steel, Value("gwp_a1a3", 1000, "kg CO2e/t")).status == "pass"
    res = evaluate_rule(steel, Value("gwp_a1a3", 1200, "kgCO2e/t"))
    assert res.status == "fail" and "1.2" in res.reason and "1.01" in res.reason


def test_incompatible_unit_is_missing_with_reason_not_exception():
    res = evaluate_rule(U_COLD_A, Value("u_value", 2.0, "mm"))
    assert res.status == "missing"
    assert "mm" in res.reason and "W/(m2.K)" in res.reason


def test_unknown_unit_is_missing():
    res = evaluate_rule(U_COLD_A, Value("u_value", 2.0, "furlongs"))
    assert res.status == "missing" and "furlongs" in res.reason


def test_non_numeric_value_for_numeric_rule():
    res = evaluate_rule(U_COLD_A, Value("u_value", "low", "W/(m2.K)"))
    assert res.status == "missing" and "not a number" in res.reason


def test_numeric_string_is_accepted():
    assert evaluate_rule(U_COLD_A, Value("u_value", " 2.5 ", "W/(m2.K)")).status == "pass"


@pytest.mark.parametrize("bad", [None, "", "   "])
def test_missing_value(bad):
    res = evaluate_rule(U_COLD_A, None if bad is None else Value("u_value", bad, "W/(m2.K)"))
    assert res.status == "missing" and "no value" in res.reason


def test_nan_and_inf_are_not_numbers():
    assert evaluate_rule(U_COLD_A, Value("u_value", float("nan"), "W/(m2.K)")).status == "missing"
    assert evaluate_rule(AIR, Value("air_tightness_grade", float("inf"))).status == "missing"


def test_bool_value_is_not_a_number():
    assert evaluate_rule(AIR, Value("air_tightness_grade", True)).status == "missing"


# ----------------------------------------------------------------- other comparisons

@pytest.mark.parametrize("value, status", [("A", "pass"), ("B1", "pass"), ("b1", "pass"), ("B1级", "pass"),
                                           ("Class B1", "pass"), ("B2", "fail"), ("B3", "fail")])
def test_at_least_fire_class(value, status):
    assert evaluate_rule(FIRE_B1, Value("fire_class", value)).status == status


def test_at_least_off_scale_is_missing():
    res = evaluate_rule(FIRE_B1, Value("fire_class", "E"))
    assert res.status == "missing" and "A > B1 > B2 > B3" in res.reason


def test_in_set():
    rule = Rule("radionuclide_class", "in", ["A"], kind="green")
    assert evaluate_rule(rule, Value("radionuclide_class", "a")).status == "pass"
    assert evaluate_rule(rule, Value("radionuclide_class", "B")).status == "fail"
    moves = Rule("movement_class", "in", ["20LM", "20HM", "25LM", "25HM"])
    assert evaluate_rule(moves, Value("movement_class", "25HM")).status == "pass"
    assert evaluate_rule(moves, Value("movement_class", "12.5E")).status == "fail"
    numeric_set = Rule("nominal_thickness", "in", [9.5, 12, 15], "mm")
    assert evaluate_rule(numeric_set, Value("nominal_thickness", "12.0", "mm")).status == "pass"


def test_equals_text_and_number():
    text = Rule("test_method", "=", "GB/T 7106", kind="quality")
    assert evaluate_rule(text, Value("test_method", "gb/t 7106")).status == "pass"
    assert evaluate_rule(text, Value("test_method", "EN 1026")).status == "fail"
    num = Rule("thickness", "=", 12, "mm")
    assert evaluate_rule(num, Value("thickness", 1.2, "cm")).status == "pass"
    assert evaluate_rule(num, Value("thickness", 1.3, "cm")).status == "fail"


@pytest.mark.parametrize("value, status", [(True, "pass"), ("yes", "pass"), ("是", "pass"), (1, "pass"),
                                           (False, "fail"), ("no", "fail"), ("maybe", "missing"), (7, "missing")])
def test_bool(value, status):
    rule = Rule("apeo_free", "bool", True, kind="green")
    assert evaluate_rule(rule, Value("apeo_free", value)).status == status


# ----------------------------------------------------------------- overall verdict

def test_verdicts():
    rules = resolve_rules(WINDOW_RULES, "qingdao", "cold_a")
    good = evaluate(rules, [Value("u_value", 2.8, "W/(m2.K)"), Value("air_tightness_grade", 7)], version_id=5)
    assert isinstance(good, Evaluation) and good.verdict == "pass" and good.version_id == 5
    bad = evaluate(rules, [Value("u_value", 3.2, "W/(m2.K)")])
    assert bad.verdict == "fail" and [r.key for r in bad.failed] == ["u_value"]
    assert [r.key for r in bad.missing] == ["air_tightness_grade"]
    partial = evaluate(rules, {"u_value": Value("u_value", 2.0, "W/(m2.K)")})
    assert partial.verdict == "incomplete"


def test_same_product_differs_by_city():
    values = [Value("u_value", 3.3, "W/(m2.K)"), Value("air_tightness_grade", 6)]
    assert evaluate(resolve_rules(WINDOW_RULES, "qingdao", "cold_a"), values).verdict == "fail"
    assert evaluate(resolve_rules(WINDOW_RULES, "nanjing", "hscw_a"), values).verdict == "pass"
    assert evaluate(resolve_rules(WINDOW_RULES, "huzhou", "hscw_a"), values).verdict == "fail"


def test_no_rules_passes_vacuously_and_extra_values_are_ignored():
    assert evaluate([], [Value("anything", 1)]).verdict == "pass"


def test_to_dict_is_json_serialisable():
    import json
    ev = evaluate([U_COLD_A, FIRE_B1], [Value("u_value", 2.0, "W/(m2.K)"), Value("fire_class", "B2")], version_id=3)
    data = json.loads(json.dumps(ev.to_dict()))
    assert data["verdict"] == "fail" and data["version_id"] == 3
    assert [r["status"] for r in data["results"]] == ["pass", "fail"]


def test_carbon_value_helper():
    assert carbon_value(1000.0, "t") == Value("gwp_a1a3", 1000.0, "kg CO2e/t")
    assert carbon_value(2000.0, "2 t") == Value("gwp_a1a3", 1000.0, "kg CO2e/t")
    assert carbon_value(3.0, "1 m2") == Value("gwp_a1a3", 3.0, "kg CO2e/m2")
    steel = Rule("gwp_a1a3", "<=", 1.01, "t CO2e/t", "green")
    assert evaluate_rule(steel, carbon_value(1500.0, "1 t")).status == "fail"


# ----------------------------------------------------------------- validate_rule

@pytest.mark.parametrize("rule", [
    Rule("", "<=", 1),
    Rule("x", "<>", 1),
    Rule("x", "<=", "abc"),
    Rule("x", "<=", 1, "parsecs"),
    Rule("x", "in", []),
    Rule("x", "at_least", "B1"),
    Rule("x", "at_least", "C", scale=FIRE_CLASS_SCALE),
    Rule("x", "bool", "perhaps"),
    Rule("x", "<=", 1, kind="blue"),
])
def test_validate_rule_rejects(rule):
    with pytest.raises(RuleError):
        validate_rule(rule)


def test_validate_rule_accepts_good_rules():
    for r in WINDOW_RULES + [FIRE_B1, Rule("a", "bool", True), Rule("b", "in", ["A"])]:
        validate_rule(r)


# ----------------------------------------------------------------- strictness

@pytest.mark.parametrize("rule, candidate, unit, ok", [
    (U_COLD_A, 2.8, None, True),
    (U_COLD_A, 3.0, None, True),
    (U_COLD_A, 3.2, None, False),
    (U_COLD_A, 2800, "mW/(m.K)", False),  # wrong dimension
    (AIR, 7, None, True),
    (AIR, 5, None, False),
    (FIRE_B1, "A", None, True),
    (FIRE_B1, "B2", None, False),
    (FIRE_B1, "Z", None, False),
    (Rule("c", "in", ["A", "B"]), ["A"], None, True),
    (Rule("c", "in", ["A", "B"]), ["A", "C"], None, False),
    (Rule("c", "in", ["A", "B"]), "B", None, True),
    (Rule("f", "bool", True), "yes", None, True),
    (Rule("f", "bool", True), False, None, False),
    (Rule("voc", "<=", 80, "g/L"), 70000, "mg/L", True),
    (Rule("voc", "<=", 80, "g/L"), 90000, "mg/L", False),
    (U_COLD_A, "abc", None, False),
    (U_COLD_A, None, None, False),
])
def test_is_at_least_as_strict(rule, candidate, unit, ok):
    got, reason = is_at_least_as_strict(rule, candidate, unit)
    assert got is ok and reason


def test_strictness_reason_mentions_limit():
    ok, reason = is_at_least_as_strict(U_COLD_A, 3.2)
    assert not ok and "looser" in reason and "<= 3 W/(m2.K)" in reason and "3.2" in reason


# ----------------------------------------------------------------- properties

numbers = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
comparisons = st.sampled_from(["<=", ">="])


@given(comparisons, numbers, numbers, numbers)
def test_tightening_never_turns_fail_into_pass(cmp, limit, candidate, value):
    loose = Rule("k", cmp, limit, "MPa")
    ok, _ = is_at_least_as_strict(loose, candidate)
    assume(ok)
    tight = Rule("k", cmp, candidate, "MPa")
    v = Value("k", value, "MPa")
    if evaluate_rule(loose, v).status == "fail":
        assert evaluate_rule(tight, v).status == "fail"
    if evaluate_rule(tight, v).status == "pass":
        assert evaluate_rule(loose, v).status == "pass"


@given(st.sampled_from(FIRE_CLASS_SCALE), st.sampled_from(FIRE_CLASS_SCALE), st.sampled_from(FIRE_CLASS_SCALE))
def test_tightening_scale_never_turns_fail_into_pass(limit, candidate, value):
    loose = Rule("fire_class", "at_least", limit, scale=FIRE_CLASS_SCALE)
    ok, _ = is_at_least_as_strict(loose, candidate)
    assume(ok)
    tight = Rule("fire_class", "at_least", candidate, scale=FIRE_CLASS_SCALE)
    if evaluate_rule(loose, Value("fire_class", value)).status == "fail":
        assert evaluate_rule(tight, Value("fire_class", value)).status == "fail"


@given(comparisons, numbers, numbers, st.sampled_from(["MPa", "kPa", "Pa", "N/mm2", "GPa"]))
def test_verdict_independent_of_value_unit(cmp, limit, value, unit):
    rule = Rule("k", cmp, limit, "MPa")
    in_mpa = evaluate_rule(rule, Value("k", value, "MPa")).status
    from catalog.units import convert
    assume(abs(value - limit) > 1e-6 * max(1.0, abs(limit)))  # away from the boundary tolerance
    assert evaluate_rule(rule, Value("k", convert(value, "MPa", unit), unit)).status == in_mpa


@given(st.lists(st.tuples(st.sampled_from(["k1", "k2", "k3"]), numbers), max_size=6),
       st.lists(st.tuples(st.sampled_from(["k1", "k2", "k3"]), numbers), max_size=6))
def test_verdict_is_fail_iff_some_result_fails(rule_specs, value_specs):
    rules = [Rule(k, "<=", lim) for k, lim in rule_specs]
    values = [Value(k, v) for k, v in value_specs]
    ev = evaluate(rules, values)
    statuses = {r.status for r in ev.results}
    assert (ev.verdict == "fail") == ("fail" in statuses)
    assert (ev.verdict == "pass") == (statuses <= {"pass"})
    assert len(ev.results) == len(rules)


@given(st.permutations(WINDOW_RULES), st.sampled_from([("qingdao", "cold_a"), ("huzhou", "hscw_a"),
                                                       ("foshan", "hsww_b"), ("nanjing", "hscw_a")]))
def test_resolution_is_order_insensitive_per_key(perm, place):
    a = {r.key: r for r in resolve_rules(WINDOW_RULES, *place)}
    b = {r.key: r for r in resolve_rules(perm, *place)}
    assert a == b
    assert all(r.city_code in (None, place[0]) and r.climate_zone in (None, place[1]) for r in b.values())


def test_overall_verdict_fail_beats_missing_beats_pass():
    from catalog.compliance import FAIL, INCOMPLETE, MISSING, PASS, overall

    assert overall([PASS, MISSING, FAIL]) == FAIL
    assert overall([PASS, MISSING]) == INCOMPLETE
    assert overall([PASS]) == PASS and overall([]) == PASS
