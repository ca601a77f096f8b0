"""The field validators every package uses (`core.validation`)."""
import datetime as dt

import pytest

from core import validation as V
from core.errors import ValidationError
from core.money import MoneyError
from core.timeutil import CHINA

pytestmark = pytest.mark.pure


def test_text_trims_and_reports_required_control_characters_and_length():
    errors = V.Errors()
    assert V.text({"a": "  hi  "}, "a", errors, max_len=5) == "hi"
    assert V.text({"b": "   "}, "b", errors, max_len=5) == ""
    assert V.text({}, "c", errors, max_len=5, required=False, default=None) is None
    assert V.text({"d": "a\x00b"}, "d", errors, max_len=5) == "a\x00b"  # returned, with its message
    assert V.text({"e": "toolong"}, "e", errors, max_len=5) == "toolong"
    assert V.text({"f": 12}, "f", errors, max_len=5) == ""
    assert V.text({"g": 12}, "g", errors, max_len=5, numbers=True) == "12"
    assert V.text({"h": True}, "h", errors, max_len=5, numbers=True) == ""
    assert "a" not in errors and "c" not in errors and "g" not in errors
    assert errors == {"b": V.REQUIRED, "d": V.CONTROL_CHARACTERS, "e": (V.TOO_LONG, {"n": 5}), "f": V.NOT_TEXT,
                      "h": V.NOT_TEXT}


def test_the_first_message_of_a_field_is_kept_also_in_a_plain_dict():
    errors: dict = {"a": "earlier"}
    V.text({"a": "x" * 9}, "a", errors, max_len=5)
    assert errors == {"a": "earlier"}


def test_whole_numbers_and_ranges():
    assert [V.whole_number(v) for v in ("1,200", " 7 ", 3.0, 3.5, True, "x", None, 9)] == [
        1200, 7, 3, None, None, None, None, 9]
    errors = V.Errors()
    assert V.integer({"a": "12"}, "a", errors, minimum=1, maximum=20) == 12
    assert V.integer({"b": "0"}, "b", errors, minimum=1) == 0
    assert V.integer({"c": 20_000}, "c", errors, maximum=10_000) == 20_000
    assert V.integer({"d": 5}, "d", errors, minimum=1, maximum=3, as_range=True) == 5
    assert V.integer({"e": "abc"}, "e", errors, default=-1) == -1
    assert V.integer({"f": " "}, "f", errors, required=False, default=4) == 4
    assert errors == {"b": ("Must be at least %(n)s.", {"n": 1}), "c": ("Must be at most %(n)s.", {"n": "10,000"}),
                      "d": ("Must be between %(lo)s and %(hi)s.", {"lo": 1, "hi": 3}), "e": V.NOT_WHOLE_NUMBER}


def test_choice_and_boolean():
    errors = V.Errors()
    assert V.choice({"a": "x"}, "a", errors, ("x", "y")) == "x"
    assert V.choice({"b": "z"}, "b", errors, ("x", "y"), default="x") == "x"
    assert V.choice({}, "c", errors, ("x",), required=False, default="x") == "x"
    assert V.boolean({"d": "是"}, "d", errors) is True and V.boolean({"e": "Off"}, "e", errors, default=True) is False
    assert V.boolean({"f": "maybe"}, "f", errors) is False and V.boolean({}, "g", errors, default=True) is True
    assert set(errors) == {"b", "f"} and errors["b"][1] == {"value": "z", "choices": "x, y"}


def test_dates_within_the_sane_bounds():
    errors = V.Errors()
    assert V.date({"a": "2026/05/31"}, "a", errors) == dt.date(2026, 5, 31)
    assert V.date({"b": "9999-12-31"}, "b", errors) is None
    assert V.date({"c": "31.05.2026"}, "c", errors) is None
    assert V.date({}, "d", errors, required=False) is None
    assert V.date({"e": ""}, "e", errors) is None
    assert errors == {"b": ("Must be a date between %(first)s and %(last)s.", {"first": "2000-01-01",
                                                                              "last": "2100-12-31"}),
                      "c": "Must be a date written YYYY-MM-DD.", "e": V.REQUIRED}


def test_moments_are_aware_utc_and_naive_ones_are_china_time_unless_refused():
    utc = dt.timezone.utc
    assert V.parse_moment("2027-01-20T09:00") == dt.datetime(2027, 1, 20, 1, 0, tzinfo=utc)
    assert V.parse_moment("2027-01-20 09:00+08:00") == dt.datetime(2027, 1, 20, 1, 0, tzinfo=utc)
    assert V.parse_moment("2027-01-20T01:00Z", naive_zone=None) == dt.datetime(2027, 1, 20, 1, 0, tzinfo=utc)
    assert V.parse_moment(dt.datetime(2027, 1, 20, 9, 0, tzinfo=CHINA)).tzinfo == utc
    for bad in ("2027-01-20", "3000-01-01T00:00Z", "soon", 12, None, "2027-01-20T09:00" + " " * 40 + "x"):
        with pytest.raises(ValueError):
            V.parse_moment(bad)
    with pytest.raises(ValueError):
        V.parse_moment("2027-01-20T09:00", naive_zone=None)


def test_plain_text_raises_with_the_callers_messages():
    assert V.plain_text("  why not  ", "reason", maximum=20) == "why not"
    assert V.plain_text(None, "reason", maximum=20) == ""
    with pytest.raises(ValidationError) as short:
        V.plain_text("no", "reason", minimum=5, maximum=20, too_short="Say why (at least %(n)s characters).")
    assert short.value.message == "Say why (at least 5 characters)."
    assert short.value.fields == {"reason": ("At least %(n)s characters.", {"n": 5})}
    refusals = ((3, V.NOT_TEXT), ("a\x07b", V.CONTROL_CHARACTERS), ("x" * 21, (V.TOO_LONG, {"n": 20})))
    for value, field_message in refusals:
        with pytest.raises(ValidationError) as refused:
            V.plain_text(value, "reason", maximum=20, refused="The comment was not accepted.")
        assert refused.value.message == "The comment was not accepted."
        assert refused.value.fields == {"reason": field_message}


def test_object_lists_report_each_items_fields():
    def clean(item, errors):
        return {"n": V.integer(item, "n", errors, minimum=1)}

    errors = V.Errors()
    out = V.object_list([{"n": 1}, {"n": 0}, "x"], "items", errors, clean, max_items=5, not_a_list="list",
                        too_many="many %(n)s", not_an_object="object")
    assert out == [{"n": 1}]
    assert errors.fields == {"items.1.n": ("Must be at least %(n)s.", {"n": 1}), "items.2": "object"}
    with pytest.raises(ValidationError) as raised:
        errors.raise_if_any()
    assert raised.value.message == "Please correct the marked fields."
    assert set(raised.value.fields) == {"items.1.n", "items.2"}
    many = V.Errors()
    assert V.object_list([{}] * 3, "items", many, clean, max_items=2, not_a_list="list", too_many="many %(n)s",
                         not_an_object="object") == []
    assert many == {"items": ("many %(n)s", {"n": 2})}
    V.Errors().raise_if_any()  # nothing to report: no error


def test_input_errors_carry_their_message():
    exc = V.InputError("Bad %(what)s.", what=3)
    assert str(exc) == "Bad 3." and exc.message() == ("Bad %(what)s.", {"what": 3})
    assert V.message_of(V.InputError("Plain.")) == "Plain."
    assert isinstance(MoneyError("x"), V.InputError)
    assert V.blank("  ") and V.blank(None) and not V.blank(0)
    assert V.has_control_characters("a\x7fb") and not V.has_control_characters("a\tb\r\n")
