"""Blueprints of pooling and tendering: pages (`tendering.*` endpoints, public tender pages
included) and the JSON API under /api/v1 (`tenders_api.*`). Each module adds its routes to them;
`procurement.register(app)` registers them once."""

from flask import Blueprint

from procurement.blueprints import _ids_in_range

bp = Blueprint("tendering", __name__, cli_group=None)
api_bp = Blueprint("tenders_api", __name__, url_prefix="/api/v1")
bp.url_value_preprocessor(_ids_in_range)
api_bp.url_value_preprocessor(_ids_in_range)

API_TAG = ["tenders"]
