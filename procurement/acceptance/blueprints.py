"""Blueprints of acceptance: pages (`acceptance.*`: the loop-closure report and its PDF) and the
JSON API under /api/v1 (`acceptance_api.*`); `wiring.register(app)` registers them."""

from flask import Blueprint

from procurement.blueprints import _ids_in_range

bp = Blueprint("acceptance", __name__, cli_group=None)
api_bp = Blueprint("acceptance_api", __name__, url_prefix="/api/v1")
bp.url_value_preprocessor(_ids_in_range)
api_bp.url_value_preprocessor(_ids_in_range)
