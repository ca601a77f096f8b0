"""Wiring of sealed bids (called by `procurement.register` before the tendering blueprints are
registered): pages and API routes on the tendering blueprints, OpenAPI operations, the
publication / close / amendment listeners, template helpers and policies, navigation and the
demo's key holders."""

DEMO_PASSPHRASE = "demo opening passphrase"  # the demo key holders' passphrase (docs/bids.md)


def register(app) -> None:
    from flask_babel import lazy_gettext as _l

    from core import labels, nav, openapi
    from core import roles as R
    from core.demo import register_seeder
    from core.policy import register_policy
    from procurement.bids import api, opening_keys, policy, sealed_round, views
    from procurement.tendering import amendments
    from procurement.tendering import services as tender_services

    openapi.register(app, api.OPENAPI)
    tender_services.on_published(app, opening_keys.create_opening_key)
    tender_services.on_closed(app, sealed_round.seal_round)
    amendments.on_amended(app, sealed_round.on_amended)
    for name, func in views.template_globals().items():
        app.add_template_global(func, name)
    labels.register(app, {"bid": views.LABELS})
    for name, func in {"bid_on_tender": policy.can_bid, "enrol_key_holder": policy.can_enrol_key_holder,
                       "see_bid_count": policy.can_see_bid_count}.items():
        register_policy(app, name, func)
    nav.add(app, "tendering.key_holder_page", _l("Opening key"),
            roles=(R.PROCUREMENT_OFFICER, R.FINANCE_REVIEWER), order=36)
    register_seeder(app, "bid_key_holders", seed_key_holders, order=55)


def seed_key_holders(ctx) -> None:
    """Before the demo tenders are published: each pilot city's centre officer and finance
    reviewer enrol as opening key holders (passphrase `DEMO_PASSPHRASE`). Idempotent."""
    from procurement.bids import keyholders
    from procurement.demo_data import _actors
    from procurement.tendering.demo import _centre_officer

    cities = sorted({key.split(":", 1)[1] for key in ctx["orgs"] if key.startswith("centre:")})
    for city in cities:
        if f"finance:{city}" not in ctx["orgs"] or f"purchaser:{city}" not in ctx["orgs"]:
            continue
        for user in (_centre_officer(ctx, city), _actors(ctx, city)[1]):
            if keyholders.holder_of(user) is None:
                keyholders.enrol(user, DEMO_PASSPHRASE)
