"""The search page and the comparison page (server-rendered, GET only, no JavaScript needed).

All search state lives in the query string, so a result page can be bookmarked and shared and the
back button restores it. Facet values are links that add or remove one value.
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
from .params import parse_search_args
from .query import FACETS, SORTS, SearchRequest

bp = Blueprint("search", __name__)

PAGE_EXTRA = ("compare",)


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
    return render_template(
        "catalog/search/search.html", req=req, result=result, error=error, unavailable=unavailable,
        building=(state == "building"), state_message=state_message, labels=labels, facets=FACETS,
        sorts=list(SORTS), args=args, zh=_locale().startswith("zh"), browse_url=_browse_url(),
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
    """Up to four products side by side (ids from the result list's checkboxes)."""
    raw = request.args.getlist("id")
    ids, error = [], None
    for value in raw:
        if value.isdigit() and len(value) < 12 and int(value) not in ids:
            ids.append(int(value))
        else:
            error = _("'%(value)s' is not a product id.", value=value[:20])
    rows = []
    status = 200
    if error is None:
        try:
            rows = service.compare(current_user, ids)
        except ValidationError as exc:
            error = translate_error(exc)
    if error:
        status = 400
    keys = sorted({k for row in rows for k in row["indicators"]})
    cities = sorted({c for row in rows for c in row["verdicts"]})
    back = request.args.get("back", "")
    if not back.startswith("/search"):
        back = url_for("search.search_page")
    return render_template("catalog/search/compare.html", rows=rows, keys=keys, cities=cities, error=error,
                           indicator_names=service.indicator_names(keys, _locale()),
                           city_names=_city_names(), back=back, zh=_locale().startswith("zh"),
                           max_compare=service.MAX_COMPARE), status
