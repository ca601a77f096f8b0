"""Wiring of bid opening (called once from `procurement.register`): its blueprints, OpenAPI
operations, the chronograph handler of session expiry, the close-of-tendering listener that
calls the key holders, template helpers and policies. Checks OPENING_SESSION_KEY at start-up."""


def register(app) -> None:
    """Wire opening and qualification into `app`."""
    from core import labels as core_labels
    from core import openapi, scheduler
    from core.policy import register_policy
    from procurement.opening import api, crypto, models, policy, services, views  # noqa: F401  (models: tables)
    from procurement.opening.blueprints import api_bp, bp
    from procurement.opening.states import DEADLINE_SESSION
    from procurement.tendering import services as tender_services

    if app.config.get("OPENING_SESSION_KEY"):
        crypto.master_key(app.config)  # a malformed key stops the start, not the first opening
    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    openapi.register(app, api.OPENAPI)
    scheduler.register_handler(app, DEADLINE_SESSION, services.expire_due)
    tender_services.on_closed(app, services.call_key_holders)
    core_labels.register(app, {f"opening_{group}": names for group, names in views.LABELS.items()})
    for name, func in views.template_globals().items():
        app.add_template_global(func, name)
    for name, func in views.template_filters().items():
        app.add_template_filter(func, name)
    for name, func in {"view_opening": policy.can_view_opening, "unlock_opening_share": policy.can_unlock_share,
                       "view_qualification": policy.can_view_qualification,
                       "override_qualification": policy.can_override_qualification,
                       "decide_lot": policy.can_decide_lot}.items():
        register_policy(app, name, func)
