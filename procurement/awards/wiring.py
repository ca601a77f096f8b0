"""Wiring of awards (called once from `procurement.register`): blueprints, OpenAPI operations,
the chronograph handlers (review, offer, answer and decision deadlines), template helpers,
policies, and the names of its record kinds on the projects' timelines."""


def register(app) -> None:
    """Wire awards, challenges and complaints into `app`."""
    from core import labels as core_labels
    from core import openapi, scheduler
    from core.demo import register_seeder
    from core.policy import register_policy
    from procurement.awards import (  # noqa: F401
        api,
        challenge_api,
        challenge_views,
        challenges,
        labels,
        models,
        policy,
        services,
        succession,
        views,
    )
    from procurement.awards import demo as awards_demo
    from procurement.awards.blueprints import api_bp, bp
    from procurement.awards.states import (
        DEADLINE_ANSWER,
        DEADLINE_DECISION,
        DEADLINE_OFFER,
        DEADLINE_REVIEW,
    )

    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    openapi.register(app, api.OPENAPI)
    for kind, func in {DEADLINE_REVIEW: services.flag_review_overdue, DEADLINE_OFFER: succession.lapse_due,
                       DEADLINE_ANSWER: challenges.flag_answer_overdue,
                       DEADLINE_DECISION: challenges.flag_decision_overdue}.items():
        scheduler.register_handler(app, kind, func)
    core_labels.register(app, {"record": labels.RECORD_KINDS,
                               **{f"award_{group}": names for group, names in labels.GROUPS.items()}})
    for name, func in views.template_globals().items():
        app.add_template_global(func, name)
    for name, func in views.template_filters().items():
        app.add_template_filter(func, name)
    for name, func in {"manage_award": policy.can_manage_award, "review_award": policy.can_review,
                       "publish_award": policy.can_publish, "record_award_withdrawal": policy.can_record_withdrawal,
                       "challenge_award": policy.can_challenge, "answer_challenge": policy.can_answer_challenge,
                       "complain_challenge": policy.can_complain,
                       "decide_complaint": policy.can_decide_complaint}.items():
        register_policy(app, name, func)
    # Demo: bids on the closed demo tenders (at their publication), then opening to award.
    from procurement.opening import demo as opening_demo
    from procurement.tendering import demo as tender_demo

    tender_demo.on_demo_step(app, opening_demo.demo_bids)
    register_seeder(app, "awards", awards_demo.seed_awards, order=70)
    from core import worklists
    from procurement.awards.worklists import PROVIDERS

    for provider in PROVIDERS:  # key holders' shares and finance reviews waiting
        worklists.register(app, provider)
