"""Wiring of open data (called once from `procurement.register`): the `/ocds` blueprints and
their OpenAPI operations, the chronograph's sweep, the append-only guard, `flask ocds` and the
demo step."""


def register(app) -> None:
    """Wire OCDS open data into `app`."""
    from core import openapi, scheduler
    from core.demo import register_seeder
    from procurement.opendata import api, cli, demo, models, publishing  # noqa: F401  (models: tables mapped)

    app.register_blueprint(api.bp)
    app.register_blueprint(api.api_bp)
    openapi.register(app, api.OPENAPI)
    scheduler.register_handler(app, publishing.SWEEP, publishing.sweep_due)
    publishing.install()
    app.cli.add_command(cli.ocds_cli)
    register_seeder(app, "open_data", demo.seed_open_data, order=95)
