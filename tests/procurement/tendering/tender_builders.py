"""Builders for the tender lifecycle tests: a closed pooling round of a world's centre holding
its projects' lines, and tenders built from it and taken to any state through the services."""

from __future__ import annotations

import datetime as dt

from core.extensions import db
from core.timeutil import utcnow
from procurement.pooling import services as pooling_svc
from procurement.tendering import drafts as tender_drafts
from procurement.tendering import services as tender_svc
from procurement.tendering.models import Tender
from tests.procurement.pooling.helpers import contribute, open_round
from tests.procurement.tendering_helpers import procurement_world


def deadline(days: int = 30) -> dt.datetime:
    return (utcnow() + dt.timedelta(days=days)).replace(microsecond=0)


def closed_round(n_projects: int = 3, *lines, city_code: str = "nanjing", categories=("ready_mixed_concrete",)):
    """(world, projects, round): `n_projects` projects in procurement whose line 1 is pooled in a
    closed round of the world's centre."""
    world, projects = procurement_world(n_projects, *lines, city_code=city_code)
    rnd = open_round(world, *categories)
    for project in projects:
        contribute(world, rnd, project, 1)
    pooling_svc.close_round(world.centre, rnd.id)
    return world, projects, rnd


def draft(world, rnd, **data) -> Tender:
    body = {"title": "Concrete for three schools", "description": "Batch of C30 concrete",
            "method": "public_tender", "track": "gpl", "bid_deadline_at": deadline().isoformat()}
    body.update(data)
    return tender_drafts.create_tender_from_round(world.centre, rnd.id, body)


def tender_in(status: str, n_projects: int = 3, **data):
    """(world, projects, tender) with the tender taken to `status` through the services."""
    world, projects, rnd = closed_round(n_projects)
    tender = draft(world, rnd, **data)
    steps = {"finance_review": [lambda t: tender_svc.submit(world.centre, t.id)],
             "approved": [lambda t: tender_svc.submit(world.centre, t.id),
                          lambda t: tender_svc.approve(world.finance, t.id, "ok")]}
    steps["published"] = steps["approved"] + [lambda t: tender_svc.publish(world.centre, t.id)]
    steps["cancelled"] = [lambda t: tender_svc.cancel(world.centre, t.id, "no_longer_needed", "Not needed now")]
    for step in steps.get(status, []):
        step(tender)
    db.session.expire_all()
    return world, projects, db.session.get(Tender, tender.id)


def record_kinds(project) -> list[str]:
    from procurement.records.services import timeline

    return [r.kind for r in timeline(project)]
