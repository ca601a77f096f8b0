"""Wiring of agreements and call-off orders (called once from `procurement.register`): models,
pages and API, chronograph handlers, the project record kinds they write, policies (the orders'
from `procurement.orders.policy`), labels, navigation, worklists, the procurement -> construction
gate and the demo."""


def register(app) -> None:
    """Wire agreements, call-off orders and the procurement -> construction gate into `app`."""
    from flask_babel import lazy_gettext as _l

    from core import labels as core_labels
    from core import nav, openapi, scheduler, worklists
    from core import roles as R
    from core.demo import register_seeder
    from core.policy import register_policy
    from procurement.agreements import api, demo, gates, labels, models, policy, services, views  # noqa: F401
    from procurement.agreements.worklists import PROVIDERS
    from procurement.agreements.blueprints import api_bp, bp
    from procurement.agreements.states import DEADLINE_EXPIRY, DEADLINE_PUBLISH, DEADLINE_SIGN
    from procurement.machine import gates as machine_gates
    from procurement.orders import models as order_models  # noqa: F401
    from procurement.orders import policy as order_policy

    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    openapi.register(app, api.OPENAPI)
    for kind, func in {DEADLINE_SIGN: services.flag_sign_overdue, DEADLINE_PUBLISH: services.flag_publish_overdue,
                       DEADLINE_EXPIRY: services.expire_due}.items():
        scheduler.register_handler(app, kind, func)
    core_labels.register(app, {"record": labels.RECORD_KINDS, "check": labels.GATE_CHECKS,
                               **{f"agreement_{group}": names for group, names in labels.GROUPS.items()}})
    gates.register(machine_gates.install(app))
    for name, func in {**policy.POLICIES, **order_policy.POLICIES}.items():
        register_policy(app, name, func)
    nav.add(app, "agreements.overview", _l("Agreements"),
            roles=(R.PROCUREMENT_OFFICER, R.PURCHASER, R.SUPPLIER, R.FINANCE_REVIEWER, R.PLATFORM_ADMIN,
                   R.PLATFORM_REVIEWER), order=42)
    for provider in PROVIDERS:
        worklists.register(app, provider)
    register_seeder(app, "agreements", demo.seed_agreements, order=75)
