"""Wiring of inspections (called once from `procurement.register`): tables, pages (authority,
inspectors, targets, public), API and its OpenAPI operations, the chronograph handlers
(publication overdue, rectification deadline), policies, labels (draw purposes and exclusion
reasons on the public draw pages, record kinds on the projects' timelines), navigation, the
worklist and the demo campaign."""


def register(app) -> None:
    """Wire inspections into `app`."""
    from flask_babel import lazy_gettext as _l

    from core import draws_views, nav, openapi, scheduler, worklists
    from core import labels as core_labels
    from core import roles as R
    from core.demo import register_seeder
    from core.policy import register_policy
    from procurement.inspections import (  # noqa: F401
        api,
        demo,
        labels,
        models,
        policy,
        public,
        rectifications,
        results,
        views,
    )
    from procurement.inspections.states import PUBLICATION_DUE, RECTIFICATION_DUE

    app.register_blueprint(views.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(api.api_bp)
    openapi.register(app, api.OPENAPI)
    scheduler.register_handler(app, PUBLICATION_DUE, results.flag_overdue)
    scheduler.register_handler(app, RECTIFICATION_DUE, rectifications.deadline_passed)
    draws_views.register_labels(app, purposes=labels.DRAW_PURPOSES, reasons=labels.EXCLUSION_LABELS)
    core_labels.register(app, {"record": labels.RECORD_KINDS,
                               **{f"inspections_{group}": names for group, names in labels.GROUPS.items()}})
    for name, func in {"open_campaign": policy.can_open_campaign, "manage_campaign": policy.can_manage_campaign,
                       "publish_inspection": policy.can_publish, "respond_rectification": policy.can_respond,
                       "reinspect_rectification": policy.can_reinspect}.items():
        register_policy(app, name, func)
    nav.add(app, "inspections.overview", _l("Inspections"), roles=(R.INSPECTOR,), order=45)
    nav.add(app, "inspections.rectification_list", _l("Rectification notices"), roles=(R.PURCHASER, R.SUPPLIER),
            order=46)
    worklists.register(app, views.inspections_waiting)
    register_seeder(app, "inspections", demo.seed_inspections, order=85)
