"""Batch tenders: lots built from pooled demand, the tender lifecycle (draft -> finance review
-> approved -> published -> tendering closed, or cancelled / failed), publication, clarifications,
amendments, followers and opportunities. Deadlines run through the chronograph
(`core.scheduler`); the numbers come from procedure profiles (`procurement.profiles`)."""


def register(app) -> None:
    """Wire tendering into `app`: its blueprints, then each part's routes, OpenAPI operations,
    policies, navigation, worklists, scheduler handlers and demo steps."""
    from procurement.tendering import blueprints, wiring_changes, wiring_core

    wiring_core.register(app)
    wiring_changes.register(app)
    app.register_blueprint(blueprints.bp)
    app.register_blueprint(blueprints.api_bp)
