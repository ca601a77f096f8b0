"""Blueprints of scoring: pages (`scoring.*`) and the JSON API under /api/v1 (`scoring_api.*`);
`wiring.register(app)` registers them."""

from flask import Blueprint

from procurement.blueprints import _ids_in_range

bp = Blueprint("scoring", __name__, cli_group=None)
api_bp = Blueprint("scoring_api", __name__, url_prefix="/api/v1")
bp.url_value_preprocessor(_ids_in_range)
api_bp.url_value_preprocessor(_ids_in_range)
