"""Catalog JSON API under /api/v1; `catalog.register` registers `bp` and `OPERATIONS`."""
from flask import Blueprint

bp = Blueprint("catalog_api", __name__, url_prefix="/api/v1")

from catalog.api import products, standards  # noqa: E402  (routes on bp)

OPERATIONS = (products.OPENAPI, standards.OPENAPI)
