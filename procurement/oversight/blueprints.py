"""Blueprints of oversight: pages (`oversight.*`) and the JSON API under /api/v1
(`oversight_api.*`); `wiring.register(app)` registers them."""

from flask import Blueprint

from procurement.blueprints import _ids_in_range

bp = Blueprint("oversight", __name__, url_prefix="/oversight", cli_group=None)
api_bp = Blueprint("oversight_api", __name__, url_prefix="/api/v1/oversight")
bp.url_value_preprocessor(_ids_in_range)
api_bp.url_value_preprocessor(_ids_in_range)
