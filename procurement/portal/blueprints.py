"""Blueprint of the public portal (`portal.*`, under /public); `wiring.register(app)` registers it."""

from flask import Blueprint

from procurement.blueprints import _ids_in_range

bp = Blueprint("portal", __name__, url_prefix="/public", cli_group=None)
bp.url_value_preprocessor(_ids_in_range)
