"""Wiring of bid bonds (called by `procurement.register`): pages, API and its OpenAPI operations,
the Stripe webhook (exempt from CSRF: it is verified by its signature), the chronograph handler
of overdue refunds and template policies."""

WEBHOOK_ENDPOINT = "tendering.stripe_webhook"


def register(app) -> None:
    from core import openapi, scheduler
    from core.policy import register_policy
    from procurement.bonds import api, policy, services, views, webhooks  # noqa: F401  (routes on the blueprints)
    from procurement.bonds.states import REFUND_OVERDUE

    exempt = tuple(app.config.get("CSRF_EXEMPT_ENDPOINTS", ()))
    if WEBHOOK_ENDPOINT not in exempt:
        app.config["CSRF_EXEMPT_ENDPOINTS"] = (*exempt, WEBHOOK_ENDPOINT)
    openapi.register(app, api.OPENAPI)
    scheduler.register_handler(app, REFUND_OVERDUE, services.flag_overdue_refund)
    for name, func in {"post_bond": policy.can_post_bond, "see_bonds": policy.can_see_bonds,
                       "settle_bonds": policy.can_settle_bonds, "own_bond": policy.owns_bond}.items():
        register_policy(app, name, func)
