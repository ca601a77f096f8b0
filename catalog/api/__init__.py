"""Catalog JSON API under /api/v1; each module adds routes to `bp`. Import new modules in `register`."""
from flask import Blueprint

bp = Blueprint("catalog_api", __name__, url_prefix="/api/v1")


def register(app):
    from catalog.api import products  # noqa: F401
    from catalog.api import standards  # noqa: F401

    app.register_blueprint(bp)
