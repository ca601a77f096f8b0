"""Wiring of bid bonds (called by `procurement.register`): pages, API and its OpenAPI operations,
the Stripe webhook (exempt from CSRF: it is verified by its signature) and, with the embedded
localstripe in a web process, its registration there; the chronograph handlers of overdue
refunds and automatic returns, the tender listeners (cancelled: every bond goes back; closed:
withdrawn bidders' bonds go back), template policies and the demo bonds."""

WEBHOOK_ENDPOINT = "tendering.stripe_webhook"


def register(app) -> None:
    from core import openapi, scheduler
    from core.demo import register_seeder
    from core.policy import register_policy
    from procurement.bonds import api, demo, policy, refunds, services, views, webhooks  # noqa: F401  (routes)
    from procurement.bonds.states import REFUND_DUE, REFUND_OVERDUE
    from procurement.tendering import demo as tender_demo
    from procurement.tendering import services as tender_services

    exempt = tuple(app.config.get("CSRF_EXEMPT_ENDPOINTS", ()))
    if WEBHOOK_ENDPOINT not in exempt:
        app.config["CSRF_EXEMPT_ENDPOINTS"] = (*exempt, WEBHOOK_ENDPOINT)
    openapi.register(app, api.OPENAPI)
    scheduler.register_handler(app, REFUND_OVERDUE, services.flag_overdue_refund)
    scheduler.register_handler(app, REFUND_DUE, refunds.settle)
    tender_services.on_cancelled(app, refunds.on_tender_cancelled)
    tender_services.on_closed(app, refunds.on_tender_closed)
    for name, func in {"post_bond": policy.can_post_bond, "see_bonds": policy.can_see_bonds,
                       "settle_bonds": policy.can_settle_bonds, "own_bond": policy.owns_bond}.items():
        register_policy(app, name, func)
    tender_demo.on_demo_step(app, demo.demo_step)
    register_seeder(app, "bonds", demo.seed_bonds, order=62)
    if app.config.get("PROCESS_KIND") == "web" and app.config.get("PAYMENTS_EMBEDDED"):
        # The web server's own localstripe: its events come back here, signed (make run).
        webhooks.register_with_embedded_payments(app)
