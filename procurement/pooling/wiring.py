"""Wiring of the pooling capability (called by `procurement.register`): routes, OpenAPI
operations, policies, navigation, worklists, scheduler handlers, the stage machine's effect of a
project returning from procurement to design, template filters."""


def register(app) -> None:
    """Wire pooling into `app` (nothing registers itself at import)."""
    from flask_babel import lazy_gettext as _l

    from core import labels as core_labels
    from core import nav, openapi, scheduler, worklists
    from core import roles as R
    from core.policy import register_policy
    from procurement.machine import gates as machine_gates
    from procurement.machine.stages import DESIGN, PROCUREMENT, RETURN
    from procurement.pooling import api, labels, leaving_procurement, services
    from procurement.pooling import views  # noqa: F401  (routes on the tendering blueprint)
    from procurement.pooling.worklists import PROVIDERS
    from procurement.tendering import lots, policy

    openapi.register(app, api.OPENAPI)
    nav.add(app, "tendering.pooling_rounds", _l("Pooling"), roles=(R.PROCUREMENT_OFFICER, R.PURCHASER), order=35)
    for provider in PROVIDERS:
        worklists.register(app, provider)
    for name, func in {
        "view_round": policy.can_view_round,
        "open_round": policy.can_open_round,
        "manage_round": policy.can_manage_round,
        "close_round": policy.can_close_round,
        "cancel_round": policy.can_cancel_round,
        "see_round_lines": policy.can_see_round_lines,
        "contribute_to_round": policy.can_contribute_to_round,
        "withdraw_pooled_line": policy.can_withdraw_line,
    }.items():
        register_policy(app, name, func)
    core_labels.register(app, labels.GROUPS)
    app.add_template_filter(lots.rule_from_dict, "lot_rule")
    scheduler.register_handler(app, services.CLOSE_KIND, services.close_when_due)
    machine_gates.install(app).add_effect(PROCUREMENT, DESIGN, RETURN, leaving_procurement.on_return_to_design)
