"""Wiring of negotiations (called once from `procurement.register`): blueprints, OpenAPI
operations, the chronograph's round close, labels and record kinds, template policies,
navigation and the Qingdao demo."""


def register(app) -> None:
    """Wire negotiation rounds into `app`."""
    from flask_babel import lazy_gettext as _l

    from core import labels as core_labels
    from core import nav, openapi, scheduler
    from core.demo import register_seeder
    from core.policy import register_policy
    from procurement.negotiation import (  # noqa: F401
        api,
        closing,
        demo,
        labels,
        models,
        policy,
        start_views,
        views,
    )
    from procurement.negotiation.blueprints import api_bp, bp
    from procurement.negotiation.states import DEADLINE_ROUND

    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    openapi.register(app, api.OPENAPI)
    scheduler.register_handler(app, DEADLINE_ROUND, closing.close_due)
    core_labels.register(app, {"record": labels.RECORD_KINDS,
                               **{f"negotiation_{group}": names for group, names in labels.GROUPS.items()},
                               "negotiation_offer": {"sealed": _l("Sealed"), "opened": _l("Opened"),
                                                     "void": _l("Void (does not match its receipt)")}})
    for name, func in {"manage_negotiation": policy.can_manage, "offer_in_negotiation": policy.can_offer,
                       "open_negotiation_round": policy.can_open_round, "start_negotiation": policy.can_start,
                       "start_negotiation_on_lot": policy.can_start_on_lot}.items():
        register_policy(app, name, func)
    app.add_template_global(policy.is_negotiated_tender, "is_negotiated_tender")
    app.add_template_global(views.tender_negotiations, "tender_negotiations")
    nav.add(app, "negotiation.negotiation_list", _l("Negotiations"), order=41)
    register_seeder(app, "negotiations", demo.seed_negotiations, order=72)
