"""Wiring of evaluation experts and panels (called by `procurement.register`): tables, pages and
API (and its OpenAPI operations), template filters and policies, navigation, the experts'
worklist, the names of draw purposes and exclusion reasons on the public draw pages, record-kind
labels, `flask experts` and the demo pool and panel."""


def register(app) -> None:
    from flask_babel import lazy_gettext as _l

    from core import draws_views, nav, openapi, worklists
    from core import labels as core_labels
    from core import roles as R
    from core.demo import register_seeder
    from core.policy import register_policy
    from procurement.evaluation import (  # noqa: F401
        api,
        demo,
        labels,
        models,
        policy,
        pool_views,
        views,
    )
    from procurement.evaluation.cli import experts_cli

    app.register_blueprint(views.bp)
    app.register_blueprint(api.api_bp)
    openapi.register(app, api.OPENAPI)
    app.cli.add_command(experts_cli)
    draws_views.register_labels(app, purposes=labels.DRAW_PURPOSES, reasons=labels.EXCLUSION_LABELS)
    # The package's names in the one label registry: its record kinds on the project timeline,
    # its statuses as ``evaluation_<group>``.
    core_labels.register(app, {"record": labels.RECORD_KINDS,
                               **{f"evaluation_{group}": names for group, names in labels.GROUPS.items()}})
    for name, func in {"manage_pool": policy.can_manage_pool, "request_panel": policy.can_request_panel,
                       "manage_panel": policy.can_manage_panel, "view_panel": policy.can_view_panel,
                       "see_panels": policy.can_see_panels_of}.items():
        register_policy(app, name, func)
    nav.add(app, "evaluation.expert_list", _l("Expert pool"), roles=(R.FINANCE_REVIEWER,), order=37)
    nav.add(app, "evaluation.panel_overview", _l("Evaluation panels"), roles=views.OVERSEERS, order=38)
    nav.add(app, "evaluation.invitations", _l("Panel invitations"), roles=(R.EXPERT,), order=39)
    worklists.register(app, views.invitations_waiting)
    register_seeder(app, "expert_pools", demo.seed_experts, order=65)
    from procurement.evaluation.services import cancel_panels_of_tender
    from procurement.tendering import services as tender_services

    tender_services.on_cancelled(app, cancel_panels_of_tender)  # a cancelled tender's panels go with it
