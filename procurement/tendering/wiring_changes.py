"""Wiring of clarifications, amendments, cancellation notices and followers (called by
`procurement.tendering.register`), and their demo step."""


def register(app) -> None:
    """Wire tender clarifications and amendments into `app`: pages and API routes (on the
    tendering blueprints, registered by the caller), OpenAPI operations, template policies and
    helpers for the public tender page's sections, navigation, the centre's worklist and the
    chronograph's clarification cut-off handler, and the demo step (after the demo tenders)."""
    from flask_babel import lazy_gettext as _l

    from core import nav, openapi, scheduler, worklists
    from core.demo import register_seeder
    from core.policy import register_policy
    from procurement.tendering import clarification_api, clarification_views, clarifications, policy
    from procurement.tendering.states import DEADLINE_CUTOFF

    openapi.register(app, clarification_api.OPENAPI)
    for name, func in {"see_asker": policy.can_see_asker, "ask_question": policy.can_ask_question,
                       "answer_question": policy.can_answer_question, "amend_tender": policy.can_amend_tender,
                       "follow_tender": policy.can_follow_tender}.items():
        register_policy(app, name, func)
    for name, func in clarification_views.template_globals().items():
        app.add_template_global(func, name)
    nav.add(app, "tendering.followed_tenders", _l("Tenders I follow"), order=45)
    worklists.register(app, clarification_views.unanswered_worklist)
    scheduler.register_handler(app, DEADLINE_CUTOFF, clarifications.flag_unanswered)
    register_seeder(app, "tender_clarifications", seed_demo, order=61)


def seed_demo(ctx) -> None:
    """On the Nanjing centre's published demo tender that has no questions yet: the demo supplier
    asks two questions and follows it, the centre answers one and amends the tender (a clearer
    delivery description), all through the services (idempotent)."""
    from sqlalchemy import select

    from core import roles as R
    from core.errors import ServiceError
    from core.extensions import db
    from procurement.tendering import amendments, clarifications, follows, policy
    from procurement.tendering.models import Question, Tender
    from procurement.tendering.states import PUBLISHED

    supplier, centre = ctx["users"].get(R.SUPPLIER), ctx["users"].get(R.PROCUREMENT_OFFICER)
    if supplier is None or centre is None or centre.organisation_id is None:
        return
    asked = select(Question.id).where(Question.tender_id == Tender.id).exists()
    tender = db.session.execute(select(Tender).where(Tender.centre_org_id == centre.organisation_id,
                                                     Tender.status == PUBLISHED, ~asked)
                                .order_by(Tender.id).limit(1)).scalar_one_or_none()
    if tender is None or not policy.questions_open(tender):
        return
    try:
        first = clarifications.ask(supplier, tender.id, "第一包的混凝土是否允许使用 C35 强度等级替代 C30？",
                                   lot_id=tender.lots[0].id if tender.lots else None)
        clarifications.ask(supplier, tender.id, "供货是否需要按各项目工地分批送达？请说明送货地点和批次。")
        follows.follow(supplier, tender.id)
        clarifications.answer(centre, first.id, "允许。C35 满足并高于本标段的强度要求，报价仍按 C30 规格的数量计算。")
        if not tender.amendment_count:
            amendments.amend(centre, tender.id, {"description": (tender.description + "\n" if tender.description else "")
                                                 + "按各项目工地分批送达，具体批次见答复。"},
                             "根据供应商提问，补充说明送货方式和批次安排。")
    except ServiceError:
        db.session.rollback()
