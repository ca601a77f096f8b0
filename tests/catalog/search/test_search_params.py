"""Validation of untrusted search arguments: clear 400s, never a crash."""
import pytest
from werkzeug.datastructures import MultiDict

from catalog.search.params import (
    MAX_QUERY_CHARS,
    clean_query_text,
    decode_cursor,
    encode_cursor,
    parse_autocomplete_args,
    parse_search_args,
)
from catalog.search.query import Viewer, build_search
from core.errors import ValidationError


def P(**kw):
    md = MultiDict()
    for k, v in kw.items():
        for item in (v if isinstance(v, list) else [v]):
            md.add(k, item)
    return parse_search_args(md)


def test_full_request_parses():
    req = P(q="  防水 卷材 ", category=["waterproof_membranes", "sealants", "sealants"], stars=["3", "2"],
            city="nanjing", supplier="17", price_min="100", price_max="90000", gwp_max="12.5",
            fire_class=["a1", "B1"], expiring="1", sort="price_asc", page="2", per_page="50")
    assert req.q == "防水 卷材"
    assert req.categories == ("waterproof_membranes", "sealants")
    assert req.stars == (3, 2)
    assert req.cities == ("nanjing",)
    assert req.suppliers == (17,)
    assert (req.price_min, req.price_max, req.gwp_max) == (100, 90000, 12.5)
    assert req.fire_classes == ("A1", "B1")
    assert req.expiring is True
    assert (req.sort, req.page, req.per_page) == ("price_asc", 2, 50)
    assert req.badge_city == "nanjing"


def test_viewer_is_kept_and_relevance_without_text_becomes_newest():
    req = parse_search_args({}, Viewer(supplier_id=3))
    assert req.viewer.supplier_id == 3
    assert req.sort == "newest"
    assert parse_search_args({"q": "x"}).sort == "relevance"


@pytest.mark.parametrize("args,field", [
    ({"colour": "red"}, "colour"),
    ({"stars": "4"}, "stars"),
    ({"stars": "three"}, "stars"),
    ({"supplier": "-1"}, "supplier"),
    ({"supplier": "1e9"}, "supplier"),
    ({"category": "'; DROP TABLE products; --"}, "category"),
    ({"city": "<script>"}, "city"),
    ({"fire_class": "Z"}, "fire_class"),
    ({"price_min": "abc"}, "price_min"),
    ({"price_min": "500", "price_max": "100"}, "price_min"),
    ({"gwp_max": "nan"}, "gwp_max"),
    ({"gwp_max": "inf"}, "gwp_max"),
    ({"gwp_max": "-1"}, "gwp_max"),
    ({"expiring": "maybe"}, "expiring"),
    ({"sort": "_script"}, "sort"),
    ({"page": "0"}, "page"),
    ({"page": "100000"}, "page"),
    ({"page": "99999999999999999999"}, "page"),
    ({"per_page": "0"}, "per_page"),
    ({"per_page": "10000"}, "per_page"),
    ({"q": "x" * 10_000}, "q"),
    ({"q": "🧱🏗️"}, "q"),
    ({"q": "-- | +"}, "q"),
    ({"search_after": "not a cursor!"}, "search_after"),
    ({"page": ["1", "2"]}, "page"),
])
def test_bad_input_is_a_clear_validation_error(args, field):
    with pytest.raises(ValidationError) as exc:
        parse_search_args(args)
    assert field in exc.value.fields
    assert exc.value.message  # a sentence for people


def test_page_depth_message_points_to_search_after():
    with pytest.raises(ValidationError) as exc:
        parse_search_args({"page": "100000"})
    assert "search_after" in exc.value.message
    # the last allowed page is accepted
    assert parse_search_args({"page": "500", "per_page": "20"}).page == 500


@pytest.mark.parametrize("raw,expected", [
    ('"unbalanced quote', "unbalanced quote"),
    ('"gypsum board"', '"gypsum board"'),
    ("a - b", "a b"),
    ("concrete ||", "concrete"),
    ("(group) ~2 \\x", "group 2 x"),
    ("*prefix*", "prefix*"),
    ("SELECT * FROM products; --", "SELECT FROM products;"),
    ("<script>alert(1)</script>", "<script>alert 1 </script>"),
    ("石膏\u0000板", "石膏 板"),
    ("ｆｕｌｌｗｉｄｔｈ", "fullwidth"),
])
def test_clean_query_text(raw, expected):
    assert clean_query_text(raw) == expected


def test_emoji_next_to_words_is_kept_harmlessly():
    assert clean_query_text("砖 🧱") == "砖 🧱"


def test_max_length_boundary():
    assert clean_query_text("a" * MAX_QUERY_CHARS) == "a" * MAX_QUERY_CHARS
    with pytest.raises(ValidationError):
        clean_query_text("a" * (MAX_QUERY_CHARS + 1))


def test_unknown_but_well_formed_codes_are_accepted_for_an_empty_result():
    req = P(category="no_such_category", city="atlantis")
    body = build_search(req)
    assert {"terms": {"category_code": ["no_such_category"]}} in body["post_filter"]["bool"]["filter"]


def test_cursor_round_trip_and_shape_check():
    token = encode_cursor([1200, 7])
    assert decode_cursor(token, "price_asc") == (1200, 7)
    with pytest.raises(ValidationError):
        decode_cursor(token, "relevance")  # relevance has three sort keys
    with pytest.raises(ValidationError):
        decode_cursor(encode_cursor([{"script": 1}, 2]), "price_asc")
    req = P(q="x", sort="price_asc", search_after=token)
    assert req.search_after == (1200, 7)
    with pytest.raises(ValidationError):
        P(q="x", sort="price_asc", search_after=token, page="2")
    with pytest.raises(ValidationError):
        parse_search_args({"search_after": token, "sort": "price_asc"}, allow_cursor=False)


def test_ignore_lets_the_page_own_extra_params():
    req = parse_search_args(MultiDict([("compare", "1"), ("q", "x")]), ignore=("compare",))
    assert req.q == "x"


def test_autocomplete_args():
    assert parse_autocomplete_args({"q": "防水"}) == "防水"
    assert parse_autocomplete_args({"q": '"gyp'}) == "gyp"
    for bad in ({"q": ""}, {"q": "x" * 51}, {"q": "x", "foo": "1"}, {"q": "🙂"}):
        with pytest.raises(ValidationError):
            parse_autocomplete_args(bad)
