"""Blueprint of deliveries: the JSON API under /api/v1 (`deliveries_api.*`); `wiring.register(app)`
registers it."""

from flask import Blueprint

from procurement.blueprints import _ids_in_range

api_bp = Blueprint("deliveries_api", __name__, url_prefix="/api/v1")
api_bp.url_value_preprocessor(_ids_in_range)
