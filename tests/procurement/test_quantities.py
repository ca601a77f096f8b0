"""Purchase units, quantities, yuan (core.money, as procurement uses it), floor areas and
percentages (pure parsing)."""

import pytest

from core.money import MoneyError, format_fen, parse_yuan
from procurement.quantities import (QuantityError, canonical_unit, format_bp, format_quantity, line_total_fen,
                                    parse_floor_area, parse_percent_bp, parse_quantity)

pytestmark = pytest.mark.pure


@pytest.mark.parametrize("text,unit", [("m3", "m3"), ("M³", "m3"), ("立方米", "m3"), (" 方 ", "m3"), ("㎡", "m2"),
                                       ("pcs", "piece"), ("块", "piece"), ("套", "set"), ("吨", "t"), ("l", "L")])
def test_unit_aliases(text, unit):
    assert canonical_unit(text) == unit


@pytest.mark.parametrize("bad", ["furlong", "", None, "m4", "kg/m3"])
def test_unknown_units(bad):
    with pytest.raises(QuantityError, match="Unknown unit"):
        canonical_unit(bad)


@pytest.mark.parametrize("text,milli", [("1", 1000), ("12.5", 12500), ("0.001", 1), ("1,234.5", 1_234_500),
                                        (7, 7000), ("1000000000", 10**12)])
def test_quantities(text, milli):
    assert parse_quantity(text) == milli


@pytest.mark.parametrize("bad,fragment", [("-1", "greater than zero"), ("0", "greater than zero"),
                                          ("0.0001", "3 decimal"), ("1000000000.5", "implausibly"),
                                          ("abc", "not a number"), ("NaN", "not a number"), ("inf", "not a number"),
                                          ("", "not a number")])
def test_bad_quantities(bad, fragment):
    with pytest.raises(ValueError, match=fragment):
        parse_quantity(bad)


def test_format_quantity_round_trips():
    for milli in (1, 1000, 12500, 1_234_500, 10**12):
        assert parse_quantity(format_quantity(milli)) == milli
    assert format_quantity(12500) == "12.5" and format_quantity(3000) == "3"


@pytest.mark.parametrize("text,fen", [("0", 0), ("12", 1200), ("12.3", 1230), ("12.34", 1234), ("¥1,000.5", 100050)])
def test_yuan(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("bad", ["-1", "1.234", "abc", "", None, "1e5"])
def test_bad_yuan(bad):
    with pytest.raises(MoneyError):
        parse_yuan(bad)


def test_yuan_limits():
    with pytest.raises(ValueError, match="greater than zero"):
        parse_yuan("0", allow_zero=False)
    with pytest.raises(ValueError, match="too large"):
        parse_yuan("100000000000000")
    with pytest.raises(ValueError, match="too large"):
        parse_yuan("10.01", maximum=1000)


def test_line_total_is_exact_and_rounds_half_up():
    assert line_total_fen(1500, 333) == 500  # 1.5 x 3.33 yuan = 4.995 -> 5.00 yuan
    assert line_total_fen(1, 499) == 0       # 0.001 x 4.99 = 0.00499 yuan -> 0 fen
    assert line_total_fen(1, 500) == 1       # half a fen rounds up
    assert line_total_fen(10**12, 10**10) == 10**19  # no float overflow or loss


@pytest.mark.parametrize("text,area", [("1", 1), ("12,000", 12000), (2_000_000, 2_000_000)])
def test_floor_area(text, area):
    assert parse_floor_area(text) == area


@pytest.mark.parametrize("bad,fragment", [("0", "greater than zero"), ("-5", "greater than zero"),
                                          ("2000001", "implausibly"), ("12.5", "whole"), ("big", "not a number")])
def test_bad_floor_area(bad, fragment):
    with pytest.raises(ValueError, match=fragment):
        parse_floor_area(bad)


def test_percent_basis_points():
    assert parse_percent_bp("42.5") == 4250 and parse_percent_bp("40 %") == 4000 and parse_percent_bp("0") == 0
    assert format_bp(4250) == "42.5" and format_bp(4000) == "40"
    for bad in ("101", "-1", "12.345", "x"):
        with pytest.raises(ValueError):
            parse_percent_bp(bad)


def test_format_fen():
    assert format_fen(123456) == "¥1,234.56" and format_fen(5) == "¥0.05" and format_fen(-150) == "-¥1.50"
    assert format_fen(123456, symbol=False) == "1,234.56"
    assert format_fen(123456, symbol=False, grouping=False) == "1234.56"


def test_errors_carry_translatable_templates():
    with pytest.raises(QuantityError) as exc:
        parse_quantity("lots")
    assert exc.value.template == "The quantity “%(text)s” is not a number." and exc.value.params == {"text": "lots"}
    with pytest.raises(MoneyError) as exc:
        parse_yuan("abc")
    assert exc.value.template == "'%(text)s' is not a number." and str(exc.value) == "'abc' is not a number."
