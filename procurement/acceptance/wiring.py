"""Wiring of deliveries and completion acceptance (called once from `procurement.register`):
blueprints and OpenAPI operations, the construction -> acceptance and acceptance -> closed gates,
names of code words, record kinds and gate checks, template policies, and the closed-loop demo
(seeder order 80: after the tenders, awards, agreements and orders)."""


def register(app) -> None:
    """Wire deliveries and acceptance into `app`."""
    from core import labels as core_labels
    from core import openapi
    from core import worklists as core_worklists
    from core.demo import register_seeder
    from core.policy import register_policy
    from procurement.acceptance import (  # noqa: F401  (models: tables mapped; views: routes)
        api,
        demo,
        gates,
        labels,
        models,
        policy,
        site_views,
        views,
        worklists,
    )
    from procurement.acceptance.blueprints import api_bp, bp
    from procurement.deliveries import wiring as deliveries_wiring
    from procurement.machine import gates as machine_gates

    deliveries_wiring.register(app)
    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    openapi.register(app, api.OPENAPI)
    gates.register(machine_gates.install(app))
    core_labels.register(app, {"record": labels.RECORD_KINDS, "check": labels.GATE_CHECKS,
                               **{f"acceptance_{group}": names for group, names in labels.GROUPS.items()}})
    for name, func in {"generate_acceptance_checklist": policy.can_generate_checklist,
                       "sign_acceptance": policy.can_sign_acceptance,
                       "record_supplier_payment": policy.can_record_payment,
                       "view_closure_report": policy.can_view_report}.items():
        register_policy(app, name, func)
    for provider in worklists.PROVIDERS:
        core_worklists.register(app, provider)
    register_seeder(app, "closed_loop", demo.seed_closed_loop, order=80)
    # (views, site_views: routes on `bp`; models: tables mapped for the migrations' check)
