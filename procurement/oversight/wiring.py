"""Wiring of oversight (called once from `procurement.register`): blueprints, OpenAPI operations,
the chronograph's refresh handler, names of its codes, template policies, navigation, the
`flask oversight` commands and the demo targets."""


def register(app) -> None:
    """Wire oversight into `app`."""
    from flask_babel import lazy_gettext as _l

    from core import labels as core_labels
    from core import nav, openapi, scheduler
    from core.demo import register_seeder
    from core.policy import register_policy
    from procurement.oversight import (  # noqa: F401
        api,
        cli,
        demo,
        labels,
        models,
        policy,
        refresh,
        views,
    )
    from procurement.oversight.blueprints import api_bp, bp

    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    openapi.register(app, api.OPENAPI)
    scheduler.register_handler(app, refresh.KIND, refresh.refresh_when_due)
    core_labels.register(app, labels.GROUPS)
    for name, func in {"manage_oversight": policy.can_manage_oversight,
                       "view_dashboard": policy.can_view_dashboard}.items():
        register_policy(app, name, func)
    nav.add(app, "oversight.dashboard_page", _l("Oversight"), roles=policy.DASHBOARD_ROLES, order=80)
    app.cli.add_command(cli.oversight_cli)
    register_seeder(app, "oversight", demo.seed_oversight, order=99)
