"""Public pages of random draws (`core.draws`): ``/draws/<id>`` and ``GET /api/v1/draws/{id}``.

Anyone, signed in or not, sees a draw's commitment, times and pool size; once the seed is public
(revealed or cancelled) also the seed, the pool snapshot and the result, with a stand-alone
script (`VERIFY_SCRIPT`, also in docs/draws.md) that recomputes the result with `hashlib` alone.
Packages name their purposes and exclusion reasons with `register_labels(app, ...)`.
"""
from __future__ import annotations

import json

from flask import Blueprint, abort, current_app, jsonify, render_template
from flask_babel import lazy_gettext as _l

from core import draws, openapi
from core.api import api_auth
from core.errors import NotFound

bp = Blueprint("draws", __name__)
api_bp = Blueprint("draws_api", __name__, url_prefix="/api/v1")
OPENAPI = openapi.Operations()  # registered by core.register
LABELS_KEY = "draw_labels"
#: The draw states, shown translated on the page (`_(draw.status)`; "cancelled" is a core term).
TERMS = [_l("committed"), _l("drawn"), _l("revealed")]

#: The script the page shows and docs/draws.md prints (a test runs it against a real draw).
VERIFY_SCRIPT = '''\
"""Recompute a draw: python3 check_draw.py draw.json   (draw.json = GET /api/v1/draws/ID)"""
import hashlib
import json
import sys

d = json.load(open(sys.argv[1], encoding="utf-8"))["draw"]


def h(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


snap = json.loads(d["snapshot"])


def rank(cid):
    return h("|".join([d["seed"], snap["purpose"], snap["subject"], cid]))


result = []
for stratum, size in snap["strata"]:
    ids = sorted((c["id"] for c in snap["candidates"] if c["stratum"] == stratum), key=lambda i: (rank(i), i))
    result += ids if size is None else ids[:size]
checks = {
    "the seed matches the commitment": h(d["seed"]) == d["commitment"],
    "the snapshot matches its SHA-256": h(d["snapshot"]) == d["pool_sha256"],
    "the snapshot is for this draw": [snap["purpose"], snap["subject"]] == [d["purpose"], d["subject"]],
    "the result follows from seed and snapshot": result == d["result"],
}
for name, good in checks.items():
    print("OK  " if good else "FAIL", name)
sys.exit(0 if all(checks.values()) else 1)
'''


def register_labels(app, *, purposes: dict | None = None, reasons: dict | None = None) -> None:
    """Name draw purposes and exclusion reason keys (lazy translatable strings) on `app`."""
    labels = app.extensions.setdefault(LABELS_KEY, {"purposes": {}, "reasons": {}})
    labels["purposes"].update(purposes or {})
    labels["reasons"].update(reasons or {})


def _label(kind: str, key: str):
    return current_app.extensions.get(LABELS_KEY, {}).get(kind, {}).get(key, key)


def _draw_or_404(draw_id):
    try:
        return draws.get(draw_id)
    except NotFound:
        abort(404)


@bp.get("/draws/<int:draw_id>")
def draw_page(draw_id):
    draw = _draw_or_404(draw_id)
    view = draws.public_view(draw)
    snapshot = json.loads(view["snapshot"]) if view["snapshot"] else None
    parent = draws.get(draw.parent_id) if draw.parent_id is not None else None
    return render_template("draws/draw.html", draw=draw, view=view, snapshot=snapshot, parent=parent,
                           children=draws.children(draw), script=VERIFY_SCRIPT,
                           purpose_label=_label("purposes", draw.purpose),
                           reason_label=lambda key: _label("reasons", key))


@api_bp.get("/draws/<int:draw_id>")
@api_auth(public=True)
def api_draw(draw_id):
    draw = draws.get(draw_id)
    response = jsonify({"draw": draws.public_view(draw), "children": [c.id for c in draws.children(draw)]})
    response.headers["Access-Control-Allow-Origin"] = "*"  # anyone may fetch and check it
    return response


_NULL_TEXT = {"type": "string", "nullable": True}
_NULL_TIME = {"type": "string", "format": "date-time", "nullable": True}
OPENAPI.schema("Draw", {"type": "object", "required": ["id", "purpose", "subject", "status", "commitment"], "properties": {
    "id": {"type": "integer"}, "purpose": {"type": "string"}, "subject": {"type": "string"},
    "status": {"type": "string", "enum": list(draws.DRAW_STATES)}, "algorithm": {"type": "string"},
    "commitment": {"type": "string", "description": "SHA-256 (hex) of the seed, published before the draw"},
    "parent_id": {"type": "integer", "nullable": True}, "committed_at": {"type": "string", "format": "date-time"},
    "drawn_at": _NULL_TIME, "revealed_at": _NULL_TIME,
    "pool_size": {"type": "integer", "nullable": True}, "excluded_count": {"type": "integer", "nullable": True},
    "size": {"type": "integer", "nullable": True}, "strata": {"type": "array", "nullable": True, "items": {}},
    "pool_sha256": _NULL_TEXT,
    "seed": {"type": "string", "nullable": True, "description": "Null until the draw is revealed"},
    "snapshot": {"type": "string", "nullable": True,
                 "description": "The canonical JSON pool snapshot (null until revealed); its SHA-256 is pool_sha256"},
    "result": {"type": "array", "nullable": True, "items": {"type": "string"}}}})
OPENAPI.spec("/draws/{draw_id}", "get", {
    "summary": "A random draw: commitment, times and pool size; seed, pool snapshot and result once revealed "
               "(public)", "tags": ["draws"], "security": [],
    "parameters": [{"name": "draw_id", "in": "path", "required": True,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}],
    "responses": {"200": {"description": "The draw", "content": {"application/json": {"schema": {
        "type": "object", "required": ["draw", "children"], "properties": {
            "draw": {"$ref": "#/components/schemas/Draw"},
            "children": {"type": "array", "items": {"type": "integer"}}}}}}},
        "404": {"description": "No such draw",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}})


def register(app) -> None:
    """Wire the draw pages, the API operation and `flask draws` (called by `core.register`)."""
    from core.draws_cli import draws_cli

    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    openapi.register(app, OPENAPI)
    app.cli.add_command(draws_cli)
