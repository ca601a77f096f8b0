"""Public, signed checkpoints of the audit chain (`core.checkpoints`), for anyone to save.

``/integrity/checkpoints/latest.json`` is the newest checkpoint document as it is (save it, then
later ``flask audit verify --checkpoint latest.json``); ``/integrity/checkpoints.json`` lists
them newest first (``?before=<seq>`` pages on) with the public keys the platform trusts.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request, url_for

from core import checkpoints
from core.i18n import N_, english

bp = Blueprint("integrity", __name__, url_prefix="/integrity")

PAGE = 100


def _json(body, status=200):
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "public, max-age=60"
    response.headers["Access-Control-Allow-Origin"] = "*"  # anyone may fetch and keep a copy
    return response


@bp.get("/checkpoints/latest.json")
def latest():
    checkpoint = checkpoints.latest()
    if checkpoint is None:
        message = N_("No signed checkpoint has been written yet.")
        return _json({"error": {"code": "not_found", "message": english(message)}}, 404)
    return _json(checkpoint.document())


@bp.get("/checkpoints.json")
def listing():
    raw = (request.args.get("before") or "").strip()
    before = int(raw) if raw.isdigit() and len(raw) <= 18 else None
    rows = checkpoints.recent(PAGE, before)
    try:
        keys = checkpoints.trusted_keys()
    except checkpoints.CheckpointError:
        keys = {}  # a misconfigured key is `flask audit checkpoint`'s to report, not this page's
    return _json({
        "algorithm": checkpoints.ALGORITHM,
        "public_keys": [{"key_id": kid, "public_key": checkpoints.public_key_text(key)} for kid, key in keys.items()],
        "checkpoints": [cp.document() for cp in rows],
        "next": url_for("integrity.listing", before=rows[-1].seq) if len(rows) == PAGE else None,
    })


def register(app) -> None:
    """Wire the public checkpoint routes (called by `core.register`)."""
    app.register_blueprint(bp)
