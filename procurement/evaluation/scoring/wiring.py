"""Wiring of scoring (called by `procurement.register`, after opening): tables, pages and API (and
its OpenAPI operations), the chronograph handler of justification deadlines, template filters,
globals and policies, record-kind labels, navigation, worklists of experts and bidders, and
`flask abnormal-prices`."""


def register(app) -> None:
    """Wire scoring into `app`."""
    from flask_babel import lazy_gettext as _l

    from core import labels as core_labels
    from core import nav, openapi, scheduler, worklists
    from core import roles as R
    from core.policy import register_policy
    from procurement.evaluation.scoring import (  # noqa: F401
        api,
        cli,
        justifications,
        labels,
        models,
        policy,
        views,
    )
    from procurement.evaluation.scoring.blueprints import api_bp, bp
    from procurement.evaluation.scoring.states import DEADLINE_JUSTIFICATION

    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    openapi.register(app, api.OPENAPI)
    app.cli.add_command(cli.abnormal_prices_cli)
    scheduler.register_handler(app, DEADLINE_JUSTIFICATION, justifications.lapse_due)
    core_labels.register(app, {"record": labels.RECORD_KINDS,
                               **{f"scoring_{group}": names for group, names in labels.GROUPS.items()}})
    for name, func in labels.FILTERS.items():
        app.add_template_filter(func, name)
    for name, func in views.template_helpers().items():
        app.add_template_global(func, name)
    for name, func in {"edit_scoring_plan": policy.can_edit_criteria, "manage_evaluation": policy.can_manage_evaluation,
                       "view_evaluation": policy.can_view_evaluation}.items():
        register_policy(app, name, func)
    nav.add(app, "scoring.my_lots", _l("Scoring"), roles=(R.EXPERT,), order=40)
    worklists.register(app, views.experts_waiting)
    worklists.register(app, views.bidders_waiting)
