"""Projects and their closed loop: budget, design, procurement, construction, acceptance."""
from flask import Blueprint

bp = Blueprint("procurement", __name__, cli_group=None)


def register(app):
    """Wire procurement into `app`: pages, JSON API, `flask records`, navigation, policies,
    demo steps, the payment gateway and its health check."""
    from flask_babel import lazy_gettext as _l

    from core import health, nav, openapi
    from core import roles as R
    from core.demo import register_seeder

    from procurement import api, cli, demo, policy, views  # noqa: F401  (routes on bp / api_bp)
    from procurement.payments.gateway import payment_gateway

    app.register_blueprint(bp)
    app.register_blueprint(api.api_bp)
    openapi.register(app, api.OPENAPI)
    app.cli.add_command(cli.records_cli)
    nav.add(app, "procurement.project_list", _l("Projects"), roles=views.VIEW_ROLES, order=30)
    policy.register(app)
    register_seeder(app, "projects", demo.seed_projects, order=30)
    payment_gateway.init_app(app)
    health.register(app, "payments", payment_gateway.health)
