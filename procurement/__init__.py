"""Projects and their closed loop: budget, design, procurement, construction, acceptance."""
from flask import Blueprint

bp = Blueprint("procurement", __name__, cli_group=None)


def register(app):
    """Register procurement blueprints; sub-modules add routes to `bp`."""
    from procurement import api, cli, demo, views  # noqa: F401  (projects: routes, JSON API, `flask records`, demo)

    app.register_blueprint(bp)
