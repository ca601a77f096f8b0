"""Blueprints of deliveries: pages (`deliveries.*`: record a delivery, samples and lab reports)
and the JSON API under /api/v1 (`deliveries_api.*`); `wiring.register(app)` registers them."""

from flask import Blueprint

from procurement.blueprints import _ids_in_range

bp = Blueprint("deliveries", __name__, cli_group=None)
api_bp = Blueprint("deliveries_api", __name__, url_prefix="/api/v1")
bp.url_value_preprocessor(_ids_in_range)
api_bp.url_value_preprocessor(_ids_in_range)
