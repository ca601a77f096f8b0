"""Products, certificates, demand standards, compliance and search."""
from flask import Blueprint

bp = Blueprint("catalog", __name__, cli_group="catalog")


def register(app):
    """Register the catalog's blueprints (HTML, API, CLI). Sub-modules add their routes to them."""
    from catalog import cli  # noqa: F401  (adds `flask catalog ...` commands to bp)
    from catalog import views  # noqa: F401

    app.register_blueprint(bp)
    from catalog import api

    api.register(app)
    # Search wires its own blueprints and CLI in catalog.search.engine.search_engine.init_app.
