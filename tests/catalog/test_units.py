"""Unit conversion: table lookups, normalisation, incompatibilities and round trips."""
import math

import pytest
from hypothesis import given, strategies as st

from catalog import units


@pytest.mark.parametrize(
    "spelling, symbol",
    [
        ("W/(m2.K)", "W/(m2.K)"),
        ("W/(m²·K)", "W/(m2.K)"),
        ("w/m2k", "W/(m2.K)"),
        (" W / (m2 K) ".replace(" ", ""), "W/(m2.K)"),
        ("g/l", "g/L"),
        ("MG/L", "mg/L"),
        ("kgCO2e/t", "kg CO2e/t"),
        ("t CO2e/t", "t CO2e/t"),
        ("N/mm2", "MPa"),
        ("℃", "°C"),
        ("", ""),
        (None, ""),
        ("%", "%"),
    ],
)
def test_normalised_spellings(spelling, symbol):
    assert units.canonical(spelling) == symbol


@pytest.mark.parametrize(
    "value, src, dst, expected",
    [
        (80, "g/L", "mg/L", 80000),
        (80000, "mg/L", "g/L", 80),
        (1010, "kg CO2e/t", "t CO2e/t", 1.01),
        (1.01, "t CO2e/t", "kg CO2e/t", 1010),
        (1.5, "MPa", "kPa", 1500),
        (235, "N/mm2", "MPa", 235),
        (2500, "mm", "m", 2.5),
        (12, "cm", "mm", 120),
        (800, "N/50mm", "N/mm", 16),
        (6, "L/min", "L/s", 0.1),
        (50, "%", "", 0.5),
        (50, "ppm", "mg/kg", 50),
        (3.0, "kg/m3", "g/L", 3.0),
        (1, "kWh", "MJ", 3.6),
    ],
)
def test_conversions(value, src, dst, expected):
    assert math.isclose(units.convert(value, src, dst), expected, rel_tol=1e-12)


def test_incompatible_units_raise_with_clear_message():
    with pytest.raises(units.IncompatibleUnits) as exc:
        units.convert(3.0, "mm", "W/(m2.K)")
    assert "'mm'" in str(exc.value) and "W/(m2.K)" in str(exc.value) and "length" in str(exc.value)


def test_unknown_unit():
    with pytest.raises(units.UnknownUnit) as exc:
        units.convert(1, "furlong", "m")
    assert "furlong" in str(exc.value)
    assert not units.is_known("furlong")
    value, problem = units.try_convert(1, "furlong", "m")
    assert value is None and str(problem) == "unknown unit 'furlong'"
    assert (problem.template, problem.params) == ("unknown unit '%(unit)s'", {"unit": "furlong"})


def test_celsius_is_not_rescaled_and_only_compatible_with_itself():
    assert units.convert(-20, "°C", "℃") == -20
    assert not units.compatible("°C", "K")
    assert not units.compatible("°C", "")


def test_mass_fraction_is_kept_apart_from_percent():
    assert not units.compatible("mg/kg", "%")
    assert units.compatible("mg/kg", "ppm")


def test_every_table_symbol_parses_to_itself():
    for sym in units.known_units():
        assert units.canonical(sym) == sym


def test_overflow_is_a_unit_error_not_inf():
    with pytest.raises(units.UnitError):
        units.convert(1e305, "GPa", "Pa")


def _same_dimension_pairs():
    by_dim = {}
    for sym in units.known_units():
        by_dim.setdefault(units.parse_unit(sym).dimension, []).append(sym)
    return [(a, b) for syms in by_dim.values() for a in syms for b in syms]


PAIRS = _same_dimension_pairs()
finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)


@given(st.sampled_from(PAIRS), finite)
def test_round_trip(pair, x):
    a, b = pair
    back = units.convert(units.convert(x, a, b), b, a)
    assert math.isclose(back, x, rel_tol=1e-9, abs_tol=1e-9)


@given(st.sampled_from(PAIRS), finite, finite)
def test_conversion_preserves_order(pair, x, y):
    a, b = pair
    cx, cy = units.convert(x, a, b), units.convert(y, a, b)
    if x < y:
        assert cx <= cy
    elif x > y:
        assert cx >= cy


@given(st.sampled_from(units.known_units()), st.sampled_from(units.known_units()))
def test_compatible_iff_convert_succeeds(a, b):
    result, problem = units.try_convert(1.0, a, b)
    assert (problem is None) == units.compatible(a, b)
