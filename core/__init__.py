"""The ground every domain package stands on: extensions, accounts, roles and permissions,
audit chain, documents, tabular readers, dates, money, errors, API plumbing, jobs, UI shell.

`core` imports no domain package (`catalog`, `procurement`) and no entry point; the composition
root (`platform_app`) binds its extensions and calls `register(app)`.
"""


def register(app) -> None:
    """Wire core's blueprints, API plumbing, CLI groups, navigation, policies and page helpers."""
    from flask_babel import lazy_gettext as _l

    from core import account_views  # noqa: F401  (routes on core.views.bp)
    from core import documents, models  # noqa: F401  (core's tables, whatever else is wired)
    from core import (audit, checkpoint_views, draws_views, health, labels, mail, nav, openapi, policy, roles,
                      scheduler, web, workdays, worklists)
    from core.api import OPENAPI
    from core.api import bp as api_bp
    from core.api import init_api
    from core.cli import audit_cli, calendar_cli, chronograph_cli, mail_cli, users_cli
    from core.demo import demo_cli
    from core.views import bp as core_bp
    from core.views import register_nav

    web.install_converters(app)
    app.register_blueprint(core_bp)
    app.register_blueprint(api_bp)
    init_api(app)
    openapi.register(app, OPENAPI)
    app.cli.add_command(audit_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(calendar_cli)
    app.cli.add_command(chronograph_cli)
    register_nav(app)
    policy.register(app)
    nav.add(app, "core.people_page", _l("People"), roles=(roles.ORG_ADMIN,), order=90)
    nav.add(app, "core.mail_outbox", _l("Mail"), roles=(roles.PLATFORM_ADMIN,), order=92)
    web.install(app)
    labels.install(app)
    audit.install()
    checkpoint_views.register(app)  # public signed checkpoints: /integrity/checkpoints/...
    draws_views.register(app)  # random draws: /draws/<id>, GET /api/v1/draws/{id}, `flask draws`
    mail.install()
    health.register(app, "mail", mail.health)
    health.register(app, "calendar", workdays.health)  # always ok; names years with no holiday data
    health.register(app, "chronograph", scheduler.health)
    worklists.register(app, worklists.suppliers_waiting)


def start_background(app) -> None:
    """Background threads of a web process: the chronograph, which runs due deadlines every
    CHRONOGRAPH_INTERVAL seconds in the embedded default (JOBS_BACKEND=thread; with rq the
    worker process triggers it, see `core.scheduler`)."""
    from core import scheduler

    scheduler.start_thread(app)
