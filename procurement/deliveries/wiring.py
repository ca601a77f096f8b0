"""Wiring of deliveries (called from `procurement.acceptance.wiring.register`): the page and API
blueprints and its OpenAPI operations, the names of its code words, record kinds and automatic
checks, and its template policies."""


def register(app) -> None:
    """Wire deliveries into `app`."""
    from core import labels as core_labels
    from core import openapi
    from core.policy import register_policy
    from procurement.deliveries import api, labels, models, policy, views  # noqa: F401  (tables mapped, routes)
    from procurement.deliveries.blueprints import api_bp, bp

    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    openapi.register(app, api.OPENAPI)
    core_labels.register(app, {"record": labels.RECORD_KINDS, "check": labels.CHECKS,
                               **{f"delivery_{group}": names for group, names in labels.GROUPS.items()
                                  if group != "check"}})
    for name, func in {"record_delivery": policy.can_record_delivery, "decide_delivery": policy.can_decide_delivery,
                       "sample_delivery": policy.can_sample_delivery}.items():
        register_policy(app, name, func)
