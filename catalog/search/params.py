"""Turn untrusted request arguments into a validated `SearchRequest`.

Every rule here answers bad input with `core.errors.ValidationError` (a 400 with a clear message
naming the parameter) or with values that can only yield an empty result (a well-formed but unknown
category code). Nothing a user types can reach Elasticsearch as syntax it would reject.
"""
from __future__ import annotations

import base64
import binascii
import json
import math
import re
import unicodedata
from typing import Any, Iterable, Mapping, Optional

from core.errors import ValidationError
from core.i18n import N_

from .query import SORTS, SearchRequest, Viewer

MAX_QUERY_CHARS = 200
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
MAX_WINDOW = 10_000  # index.max_result_window: deeper pages must use search_after
MAX_VALUES_PER_FACET = 50
MAX_PRICE_FEN = 10**13
MAX_GWP = 1e9
FIRE_CLASSES = ("A", "A1", "A2", "B1", "B2", "B3")

MULTI = ("group", "category", "stars", "city", "supplier", "fire_class")
SINGLE = ("q", "price_min", "price_max", "gwp_min", "gwp_max", "expiring", "sort", "page", "per_page",
          "search_after", "verdict_city", "facets")
KNOWN = frozenset(MULTI + SINGLE)

_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
_CITY_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}
# Characters simple_query_string treats as syntax that we do not offer (grouping, fuzziness,
# escapes); removing them keeps odd input from changing the meaning of the rest.
_DROP = re.compile(r"[()~\\]")
_OPERATOR_ONLY = re.compile(r"^[+\-|*&!]+$")


def _getlist(args: Any, name: str) -> list[str]:
    if hasattr(args, "getlist"):
        return [str(v) for v in args.getlist(name)]
    value = args.get(name) if isinstance(args, Mapping) else None
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def _names(args: Any) -> Iterable[str]:
    return list(args.keys())


def _single(args: Any, name: str) -> Optional[str]:
    values = _getlist(args, name)
    if len(values) > 1:
        raise ValidationError("Parameter '%(name)s' may be given only once.",
                              fields={name: N_("given more than once")}, name=name)
    return values[0] if values else None


def _int(name: str, raw: str, lo: int, hi: int) -> int:
    raw = raw.strip()
    if not re.fullmatch(r"[+-]?\d{1,15}", raw):
        raise ValidationError("Parameter '%(name)s' must be a whole number.",
                              fields={name: N_("not a whole number")}, name=name)
    value = int(raw)
    if value < lo or value > hi:
        raise ValidationError("Parameter '%(name)s' must be between %(lo)s and %(hi)s.",
                              fields={name: N_("out of range")},
                              name=name, lo=lo, hi=hi)
    return value


def _float(name: str, raw: str, lo: float, hi: float) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise ValidationError("Parameter '%(name)s' must be a number.", fields={name: N_("not a number")},
                              name=name) from None
    if not math.isfinite(value) or value < lo or value > hi:
        raise ValidationError("Parameter '%(name)s' must be between %(lo)s and %(hi)s.",
                              fields={name: N_("out of range")}, name=name, lo=f"{lo:g}", hi=f"{hi:g}")
    return value


def clean_query_text(raw: str) -> str:
    """Normalise free text for `simple_query_string`.

    Strips control and surrogate characters, drops grouping/fuzzy/escape syntax, removes operators
    that stand alone (``-``, ``|``, ``+``), and an unmatched trailing double quote. Raises when the
    text is too long or, though non-empty, has nothing searchable left.
    """
    if len(raw) > MAX_QUERY_CHARS:
        raise ValidationError("The search text is too long (%(length)s characters; at most %(max)s).",
                              fields={"q": N_("too long")}, length=len(raw), max=MAX_QUERY_CHARS)
    text = unicodedata.normalize("NFKC", raw)
    text = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") else ch for ch in text
    )
    text = _DROP.sub(" ", text)
    if text.count('"') % 2:
        idx = text.rfind('"')
        text = text[:idx] + " " + text[idx + 1:]
    tokens = [t for t in text.split() if not _OPERATOR_ONLY.match(t)]
    text = " ".join(tokens)
    # "-" or "+" left dangling at the end of a word (e.g. `concrete-`) is harmless; a term made
    # only of operators was removed above. `*` is meaningful only as a suffix: strip leading ones.
    text = re.sub(r"(^|\s)[*]+", r"\1", text).strip()
    if raw.strip() and not any(ch.isalnum() for ch in text):
        raise ValidationError("The search text has no letters or digits to search for.",
                              fields={"q": N_("nothing to search for")})
    return text


def encode_cursor(sort_values: list) -> str:
    """Opaque `search_after` token for the API."""
    data = json.dumps(sort_values, separators=(",", ":"), ensure_ascii=True).encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def decode_cursor(token: str, sort: str) -> tuple:
    """Inverse of `encode_cursor`, checked against the expected sort shape."""
    bad = ValidationError("Parameter 'search_after' is not a valid cursor; use the value returned as "
                          "'next_search_after' by the previous page.", fields={"search_after": N_("invalid")})
    if len(token) > 2000 or not re.fullmatch(r"[A-Za-z0-9_\-]+", token):
        raise bad
    try:
        values = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise bad from None
    if not isinstance(values, list) or len(values) != len(SORTS[sort]):
        raise bad
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float, str)) or (isinstance(v, str) and len(v) > 100):
            raise bad
        if isinstance(v, float) and not math.isfinite(v):
            raise bad
    return tuple(values)


def effective_sort(sort: str, q: str) -> str:
    """Relevance without text has nothing to rank on; it falls back to newest first."""
    return "newest" if sort == "relevance" and not q.strip() else sort


def parse_search_args(args: Any, viewer: Viewer = Viewer(), *, ignore: Iterable[str] = (),
                      allow_cursor: bool = True) -> SearchRequest:
    """Validate request arguments (a MultiDict or a mapping of str/list) into a `SearchRequest`.

    `ignore` names extra parameters the caller handles itself (the HTML page's `compare`).
    Raises `ValidationError` with a message naming the offending parameter.
    """
    ignore = frozenset(ignore)
    unknown = sorted(n for n in _names(args) if n not in KNOWN and n not in ignore)
    if unknown:
        raise ValidationError("Unknown search parameter(s): %(names)s. Known: %(known)s.",
                              fields={n: N_("unknown parameter") for n in unknown[:5]},
                              names=", ".join(unknown[:5]), known=", ".join(sorted(KNOWN)))

    multi: dict[str, list[str]] = {}
    for name in MULTI:
        values = [v.strip() for v in _getlist(args, name) if v.strip() != ""]
        if len(values) > MAX_VALUES_PER_FACET:
            raise ValidationError("Too many values for '%(name)s' (at most %(max)s).",
                                  fields={name: N_("too many values")}, name=name, max=MAX_VALUES_PER_FACET)
        multi[name] = list(dict.fromkeys(values))  # de-duplicate, keep order

    for v in multi["group"]:
        if not _CODE_RE.match(v):
            raise ValidationError("'%(value)s' is not a valid category group code.",
                                  fields={"group": N_("invalid code")}, value=v[:40])
    for v in multi["category"]:
        if not _CODE_RE.match(v):
            raise ValidationError("'%(value)s' is not a valid category code.",
                                  fields={"category": N_("invalid code")}, value=v[:40])
    for v in multi["city"]:
        if not _CITY_RE.match(v):
            raise ValidationError("'%(value)s' is not a valid city code.", fields={"city": N_("invalid code")},
                                  value=v[:40])
    stars = tuple(_int("stars", v, 1, 3) for v in multi["stars"])
    suppliers = tuple(_int("supplier", v, 1, 2**53) for v in multi["supplier"])
    fire = []
    for v in multi["fire_class"]:
        if v.upper() not in FIRE_CLASSES:
            raise ValidationError("Fire class must be one of %(classes)s.", fields={"fire_class": N_("unknown class")},
                                  classes=", ".join(FIRE_CLASSES))
        fire.append(v.upper())

    q = clean_query_text(_single(args, "q") or "")

    def opt_int(name):
        raw = _single(args, name)
        return None if raw is None or raw.strip() == "" else _int(name, raw, 0, MAX_PRICE_FEN)

    def opt_float(name):
        raw = _single(args, name)
        return None if raw is None or raw.strip() == "" else _float(name, raw, 0.0, MAX_GWP)

    price_min, price_max = opt_int("price_min"), opt_int("price_max")
    if price_min is not None and price_max is not None and price_min > price_max:
        raise ValidationError("price_min is greater than price_max.",
                              fields={"price_min": N_("greater than price_max")})
    gwp_min, gwp_max = opt_float("gwp_min"), opt_float("gwp_max")
    if gwp_min is not None and gwp_max is not None and gwp_min > gwp_max:
        raise ValidationError("gwp_min is greater than gwp_max.", fields={"gwp_min": N_("greater than gwp_max")})

    raw_exp = (_single(args, "expiring") or "").strip().lower()
    if raw_exp not in _TRUE | _FALSE:
        raise ValidationError("Parameter 'expiring' must be true or false.", fields={"expiring": N_("not a boolean")})

    raw_facets = (_single(args, "facets") or "true").strip().lower()
    if raw_facets not in _TRUE | _FALSE:
        raise ValidationError("Parameter 'facets' must be true or false.", fields={"facets": N_("not a boolean")})

    sort = (_single(args, "sort") or "relevance").strip() or "relevance"
    if sort not in SORTS:
        raise ValidationError("Unknown sort '%(sort)s'; use one of %(sorts)s.", fields={"sort": N_("unknown sort")},
                              sort=sort[:40], sorts=", ".join(SORTS))
    sort_choice = sort
    sort = effective_sort(sort, q)

    raw_pp = _single(args, "per_page")
    per_page = DEFAULT_PER_PAGE if raw_pp in (None, "") else _int("per_page", raw_pp, 1, MAX_PER_PAGE)
    raw_page = _single(args, "page")
    page = 1 if raw_page in (None, "") else _int("page", raw_page, 1, 10**9)
    if page * per_page > MAX_WINDOW:
        last = MAX_WINDOW // per_page
        raise ValidationError("Page %(page)s is too deep: at most page %(last)s with %(per_page)s per page. "
                              "Narrow the search, or page on with 'search_after' in the API.",
                              fields={"page": N_("too deep")},
                              page=page, last=last, per_page=per_page)

    cursor = None
    raw_cursor = _single(args, "search_after")
    if raw_cursor:
        if not allow_cursor:
            raise ValidationError("'search_after' is only available in the API.",
                                  fields={"search_after": N_("not available here")})
        if page != 1:
            raise ValidationError("Use either 'page' or 'search_after', not both.",
                                  fields={"search_after": N_("given with page")})
        cursor = decode_cursor(raw_cursor.strip(), sort)

    verdict_city = (_single(args, "verdict_city") or "").strip() or None
    if verdict_city is not None and not _CITY_RE.match(verdict_city):
        raise ValidationError("'verdict_city' is not a valid city code.", fields={"verdict_city": N_("invalid code")})

    return SearchRequest(
        q=q,
        groups=tuple(multi["group"]),
        categories=tuple(multi["category"]),
        stars=stars,
        cities=tuple(multi["city"]),
        suppliers=suppliers,
        price_min=price_min,
        price_max=price_max,
        gwp_min=gwp_min,
        gwp_max=gwp_max,
        fire_classes=tuple(dict.fromkeys(fire)),
        expiring=raw_exp in _TRUE,
        sort=sort,
        page=page,
        per_page=per_page,
        search_after=cursor,
        verdict_city=verdict_city,
        facets=raw_facets in _TRUE,
        viewer=viewer,
        sort_choice=sort_choice,
    )


def parse_autocomplete_args(args: Any) -> str:
    """The `q` of an autocomplete request: 1..50 characters, cleaned like search text."""
    unknown = sorted(n for n in _names(args) if n != "q")
    if unknown:
        raise ValidationError("Unknown parameter(s): %(names)s.", fields={n: N_("unknown parameter") for n in unknown[:5]},
                              names=", ".join(unknown[:5]))
    raw = _single(args, "q") or ""
    if len(raw) > 50:
        raise ValidationError("Autocomplete text is too long (at most 50 characters).", fields={"q": N_("too long")})
    text = clean_query_text(raw).replace('"', " ").strip()
    if not text:
        raise ValidationError("Type at least one character.", fields={"q": N_("required")})
    return text
