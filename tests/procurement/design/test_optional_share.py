"""The optional-kinds share rule (2025 edition: 40 %), exact arithmetic edge cases."""

from decimal import Decimal
from fractions import Fraction

import pytest

from procurement.design.share import format_share, optional_share_ok, to_fraction


@pytest.mark.parametrize("covered,total,ok,required", [
    (0, 0, True, 0),      # no optional kinds: nothing to cover
    (2, 5, True, 2),      # exactly 40 %
    (1, 5, False, 2),
    (4, 10, True, 4),     # exactly 40 % again
    (3, 10, False, 4),
    (2, 7, False, 3),     # 28.6 %: 0.4*7 = 2.8 rounds UP to 3 kinds
    (3, 7, True, 3),
    (1, 3, False, 2),     # 33.3 %
    (2, 3, True, 2),
    (0, 1, False, 1),
    (1, 1, True, 1),
    (1, 2, True, 1),      # 50 %
])
def test_counts(covered, total, ok, required):
    r = optional_share_ok(covered, total, Decimal("0.40"))
    assert (r.ok, r.required_kinds) == (ok, required)


@pytest.mark.parametrize("share", [Decimal("0.40"), Decimal("0.4"), "0.40", "40%", "40 %", Fraction(2, 5), 0.4])
def test_exactly_forty_percent_with_every_share_representation(share):
    # Fraction(0.4) would be 0.400000000000000022..., refusing exactly 2 of 5: no floats.
    assert optional_share_ok(2, 5, share).ok
    assert optional_share_ok(40, 100, share).ok
    assert not optional_share_ok(39, 100, share).ok


def test_float_share_would_have_failed_naively():
    assert Fraction(0.4) > Fraction(2, 5)  # the trap this module avoids
    assert to_fraction(0.4) == Fraction(2, 5)


def test_collections_deduplicate_and_ignore_foreign_kinds():
    r = optional_share_ok(["tiles", "tiles", "mandatory-kind"], ["tiles", "paint", "taps", "glass", "pipes", "tiles"], "0.40")
    assert (r.covered, r.total, r.ok) == (1, 5, False)
    r = optional_share_ok({"tiles", "paint"}, ["tiles", "paint", "taps", "glass", "pipes"], "0.40")
    assert r.ok and r.share == Fraction(2, 5)


def test_share_is_data():
    assert optional_share_ok(1, 5, "0.20").ok
    assert not optional_share_ok(2, 5, "0.60").ok
    assert optional_share_ok(0, 5, 0).ok
    assert not optional_share_ok(4, 5, 1).ok


@pytest.mark.parametrize("bad", [Decimal("1.5"), "-0.1", None, True, "abc", float("nan"), Decimal("NaN")])
def test_bad_share_refused(bad):
    with pytest.raises((ValueError, ArithmeticError)):
        to_fraction(bad)


def test_bad_counts_refused():
    with pytest.raises(ValueError):
        optional_share_ok(3, 2, "0.4")
    with pytest.raises(ValueError):
        optional_share_ok(-1, 2, "0.4")
    with pytest.raises(TypeError):
        optional_share_ok(1, ["a"], "0.4")


def test_to_dict_and_format():
    r = optional_share_ok(2, 7, "0.40")
    assert r.to_dict() == {"covered_kinds": 2, "optional_kinds": 7, "required_kinds": 3,
                           "required_share": "2/5", "share": "2/7"}
    assert optional_share_ok(0, 0, "0.40").to_dict()["share"] is None
    assert format_share(Fraction(2, 5)) == "40 %"
    assert format_share(Fraction(1, 3)) == "33.33 %"


from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(total=st.integers(min_value=0, max_value=500), covered_frac=st.fractions(min_value=0, max_value=1),
       pct=st.integers(min_value=0, max_value=100))
def test_matches_integer_cross_multiplication(total, covered_frac, pct):
    covered = int(covered_frac * total)
    r = optional_share_ok(covered, total, f"{pct}%")
    # covered / total >= pct / 100  <=>  100 * covered >= pct * total  (and 0 kinds always passes)
    assert r.ok is (total == 0 or 100 * covered >= pct * total)
    # required_kinds is the smallest count that satisfies the rule
    assert r.required_kinds * 100 >= pct * total
    assert r.required_kinds == 0 or (r.required_kinds - 1) * 100 < pct * total
