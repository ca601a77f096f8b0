"""Catalog JSON API under /api/v1. The route modules (`products`, `standards`) add their routes
to `bp` and describe them in their `OPENAPI`; `catalog.register(app)` wires both."""
from flask import Blueprint

bp = Blueprint("catalog_api", __name__, url_prefix="/api/v1")
