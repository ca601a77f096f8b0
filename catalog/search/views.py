"""The search page and the comparison page (server-rendered, GET only, no JavaScript needed).

All search state lives in the query string, so a result page can be bookmarked and shared and the
back button restores it. Facet values are links that add or remove one value.

The products ticked for comparison are state too (`compare`, repeatable): the result list is a
GET form whose page buttons submit the ticks with the rest of the search, so ticks survive paging
without JavaScript, and "Compare selected" submits the same form to the comparison page.
"""
from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from core.errors import ValidationError
from core.i18n import translate_error

from . import service
from .engine import SearchUnavailable, search_engine
from .params import KNOWN, MAX_VALUES_PER_FACET, parse_search_args
from .query import FACETS, SORTS, SearchRequest

bp = Blueprint("search", __name__)

PAGE_EXTRA = ("compare",)


def compare_ids(args) -> list[int]:
    """Product ids ticked for comparison (`compare`, and `id` from older links), in order,
    without repeats; anything that is not an id is dropped (at most 50 kept)."""
    out: list[int] = []
    for value in args.getlist("compare") + args.getlist("id"):
        value = value.strip()
        if value.isascii() and value.isdigit() and len(value) < 12 and int(value) > 0 and int(value) not in out:
            out.append(int(value))
    return out[:MAX_VALUES_PER_FACET]


def search_state(args, *, keep_page: bool = False) -> list[tuple[str, str]]:
    """The search parameters of a request (not the ticks), as (name, value) pairs."""
    skip = () if keep_page else ("page",)
    return [(k, v) for k, v in args.items(multi=True) if k in KNOWN and k not in skip and v != ""]


def results_url(state: list[tuple[str, str]], ids: list[int]) -> str:
    """The search page with this state and these ticks."""
    from urllib.parse import urlencode

    pairs = state + [("compare", str(i)) for i in ids]
    return url_for("search.search_page") + ("?" + urlencode(pairs) if pairs else "")


def _locale() -> str:
    return str(get_locale() or "en")


def _url(args: MultiDict) -> str:
    return url_for("search.search_page") + ("?" + _encode(args) if args else "")


def _encode(args: MultiDict) -> str:
    from urllib.parse import urlencode

    return urlencode([(k, v) for k, v in args.items(multi=True) if v not in ("", None)])


def url_helpers(args: MultiDict):
    """Functions the template uses to build links that change one piece of state."""

    def base() -> MultiDict:
        md = MultiDict(args)
        md.pop("page", None)
        return md

    def toggle(name: str, value) -> str:
        md = base()
        values = md.getlist(name)
        value = str(value)
        if value in values:
            values = [v for v in values if v != value]
        else:
            values = values + [value]
        md.setlist(name, values)
        return _url(md)

    def set_range(lo_name: str, hi_name: str, lo, hi) -> str:
        md = base()
        current = (md.get(lo_name), md.get(hi_name))
        target = (None if lo is None else str(lo), None if hi is None else str(hi))
        md.pop(lo_name, None)
        md.pop(hi_name, None)
        if current != target:  # clicking the selected range again clears it
            if lo is not None:
                md[lo_name] = str(lo)
            if hi is not None:
                md[hi_name] = str(hi)
        return _url(md)

    def without(*names) -> str:
        md = base()
        for n in names:
            md.pop(n, None)
        return _url(md)

    def page(n: int) -> str:
        md = MultiDict(args)
        md["page"] = str(n)
        return _url(md)

    return {"toggle": toggle, "set_range": set_range, "without": without, "page_url": page}


@bp.get("/search")
def search_page():
    """Faceted product search."""
    viewer = service.viewer_for(current_user)
    args = request.args
    status = 200
    error = unavailable = None
    result = None
    labels: dict = {}
    try:
        req = parse_search_args(args, viewer, ignore=PAGE_EXTRA, allow_cursor=False)
    except ValidationError as exc:
        error, status = translate_error(exc), 400
        req = SearchRequest(viewer=viewer)
    state, state_message = search_engine.index_state()
    if error is None:
        try:
            result = service.search(req)
            labels = service.facet_labels(result, _locale())
        except SearchUnavailable as exc:
            unavailable, status = _(exc.message), 503
    if not labels:
        try:
            labels = {"_all_cities": _city_names()}
        except Exception:  # the page must still render if even the database is unhappy
            labels = {"_all_cities": {}}
    ticked = compare_ids(args)
    return render_template(
        "catalog/search/search.html", req=req, result=result, error=error, unavailable=unavailable,
        building=(state == "building"), state_message=state_message, labels=labels, facets=FACETS,
        sorts=list(SORTS), args=args, zh=_locale().startswith("zh"), browse_url=_browse_url(),
        ticked=ticked, state_fields=search_state(args), max_compare=service.MAX_COMPARE,
        clear_ticks_url=results_url(search_state(args, keep_page=True), []),
        **url_helpers(MultiDict(args)),
    ), status


def _browse_url():
    from werkzeug.routing import BuildError

    try:
        return url_for("catalog.categories")
    except BuildError:
        return None


def _city_names() -> dict:
    from sqlalchemy import select

    from core.extensions import db
    from core.models import City

    zh = _locale().startswith("zh")
    return {c.code: ((c.name_zh or c.name_en) if zh else (c.name_en or c.name_zh))
            for c in db.session.execute(select(City).order_by(City.id)).scalars()}


@bp.get("/search/compare")
def compare_page():
    """Up to four products side by side (ids ticked in the result list). More than four: the
    first four are compared, and the page says the limit and lets the user untick some; the
    selection is kept, also in the link back to the results."""
    ids = compare_ids(request.args)
    error = None
    bad = [v for v in request.args.getlist("compare") + request.args.getlist("id")
           if not (v.strip().isascii() and v.strip().isdigit() and 0 < len(v.strip()) < 12)]
    if bad:
        error = _("'%(value)s' is not a product id.", value=bad[0][:20])
    too_many = len(ids) > service.MAX_COMPARE
    rows = service.compare(current_user, ids[:service.MAX_COMPARE])
    chosen = service.selection(current_user, ids) if too_many else []
    keys = sorted({k for row in rows for k in row["indicators"]})
    cities = sorted({c for row in rows for c in row["verdicts"]})
    state = search_state(request.args, keep_page=True)
    return render_template("catalog/search/compare.html", rows=rows, keys=keys, cities=cities, error=error,
                           indicator_names=service.indicator_names(keys, _locale()),
                           city_names=_city_names(), back=results_url(state, ids), zh=_locale().startswith("zh"),
                           max_compare=service.MAX_COMPARE, too_many=too_many, chosen=chosen, ids=ids,
                           state_fields=state), 400 if error else 200
