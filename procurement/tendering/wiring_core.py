"""Wiring of the tender lifecycle, publication and public pages (called by
`procurement.tendering.register`): routes, OpenAPI operations, template filters and policies,
navigation, worklists, the chronograph handler of the bid deadline, `flask profiles` and the
demo tenders."""


def register(app) -> None:
    """Wire tenders into `app`."""
    from flask_babel import lazy_gettext as _l

    from core import labels, nav, openapi, scheduler, worklists
    from core import roles as R
    from core.demo import register_seeder
    from core.policy import register_policy
    from procurement.profiles import views as profile_views
    from procurement.profiles.cli import profiles_cli
    from procurement.tendering import api, demo, policy, public_views, services
    from procurement.tendering import views  # routes on the blueprint, worklists
    from procurement.tendering.states import DEADLINE_BIDS

    openapi.register(app, api.OPENAPI)
    app.cli.add_command(profiles_cli)
    scheduler.register_handler(app, DEADLINE_BIDS, services.close_tendering)

    labels.register(app, public_views.LABELS)
    labels.register(app, profile_views.GROUPS)
    app.add_template_filter(public_views.effective_status, "tender_status_now")
    app.add_template_filter(profile_views.rule_value, "rule_value")
    for name, func in {"manage_tender": policy.can_manage_tender, "edit_tender": policy.can_edit_draft,
                       "review_tender": policy.can_review_tender, "tender_reviewer": policy.is_tender_reviewer,
                       "publish_tender": policy.can_publish_tender, "view_tender": policy.can_view_tender}.items():
        register_policy(app, name, func)

    nav.add(app, "tendering.tender_list", _l("Tenders"), public=True, order=32)
    nav.add(app, "tendering.tender_manage_list", _l("Manage tenders"),
            roles=(R.PROCUREMENT_OFFICER, R.FINANCE_REVIEWER, R.PLATFORM_ADMIN, R.PLATFORM_REVIEWER), order=34)
    for provider in views.WORKLISTS:
        worklists.register(app, provider)
    register_seeder(app, "tenders", demo.seed_tenders, order=60)
