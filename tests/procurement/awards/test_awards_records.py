"""Every award step is written on the chain of each project contributing to the lot (no-op replay
kinds, so the chains still verify), and the contributing purchasers hear of the notice."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.extensions import db
from core.models import Notification
from procurement.awards import challenges, services, succession
from procurement.projects.models import Project
from procurement.records.services import verify_project
from tests.procurement.awards.helpers import pooled_qualified_lot
from tests.procurement.tendering.tender_builders import record_kinds

TEXT = "The winning firm's bid bond was paid after the deadline."


def test_award_steps_are_recorded_on_every_contributing_project(app):
    ctx, projects = pooled_qualified_lot(3)
    world, t = ctx.world, ctx.after
    award = services.submit(world.centre, ctx.tender.id, ctx.lot.id, now=t + dt.timedelta(hours=1))
    services.return_recommendation(world.finance, award.id, "Attach the signed report", now=t + dt.timedelta(hours=2))
    services.resubmit(world.centre, award.id, now=t + dt.timedelta(hours=3))
    services.approve(world.finance, award.id, "", now=t + dt.timedelta(hours=4))
    services.publish(world.centre, award.id, now=t + dt.timedelta(hours=5))
    challenge = challenges.lodge(ctx.firms[1][0], award.id, TEXT, now=t + dt.timedelta(hours=6))
    challenges.answer(world.centre, challenge.id, "The bond was held an hour before the deadline.",
                      now=t + dt.timedelta(hours=7))
    succession.record_withdrawal(world.centre, award.id, "refused_to_sign", "Refused the contract terms",
                                 now=t + dt.timedelta(hours=8))
    db.session.expire_all()
    for project in projects:
        kinds = [k for k in record_kinds(project) if k.startswith("award_")]
        assert kinds == ["award_submitted", "award_returned", "award_submitted", "award_approved", "award_published",
                         "award_challenged", "award_challenge_answered", "award_withdrawn", "award_offered"], kinds
        assert verify_project(db.session.get(Project, project.id)).ok
    told = {n.user_id for n in db.session.execute(select(Notification).where(Notification.kind == "awards.published"))
            .scalars()}
    assert world.purchaser.id in told and ctx.firms[1][0].id in told
