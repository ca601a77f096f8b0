"""Builders for inspection tests: a city with an inspection authority and its inspectors,
projects under construction, and a campaign opened, drawn and teamed through the services."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from sqlalchemy import update

from core import roles as R
from core.extensions import db
from procurement.inspections import campaigns, results, teams
from procurement.projects.models import Project
from tests.factories import make_org, make_user
from tests.procurement.helpers import World, make_standard, new_project

ITEM = {"name": "Energy-saving materials on site", "class": "key", "target": "project", "share_bp": 10_000}


def under_construction(world, n: int, *, purchaser_org=None) -> list[Project]:
    """`n` projects of the world's purchaser in the construction stage. The stage is set directly,
    as if the projects had gone through procurement (the procurement -> construction gate is
    another capability's): these tests never verify those projects' chains."""
    out = []
    for i in range(n):
        p = new_project(world, name=f"Site {i + 1}")
        if purchaser_org is not None:
            db.session.execute(update(Project).where(Project.id == p.id).values(purchaser_org_id=purchaser_org.id))
        db.session.execute(update(Project).where(Project.id == p.id).values(stage="construction"))
        out.append(p)
    db.session.commit()
    db.session.expire_all()
    return [db.session.get(Project, p.id) for p in out]


def city_world(city: str = "nanjing", inspectors: int = 4):
    """A World with `inspectors` inspectors in its city's inspection authority (the World's own
    inspector first)."""
    make_standard()
    world = World(city)
    authority = db.session.get(type(world.purchaser_org), world.inspector.organisation_id)
    pool = [world.inspector] + [make_user(authority, roles=(R.INSPECTOR,)) for _ in range(inspectors - 1)]
    return SimpleNamespace(world=world, authority=authority, inspectors=pool, chief=world.inspector)


def campaign_data(items=None, **over) -> dict:
    data = {"title": "Special inspection of energy-saving materials", "description": "", "team_size": 2,
            "starts_on": "2026-09-01", "ends_on": "2026-12-31",
            "items": items if items is not None else [dict(ITEM)]}
    data.update(over)
    return data


def opened(ctx, items=None, **over):
    return campaigns.open_campaign(ctx.chief, campaign_data(items, **over))


def drawn_with_team(ctx, items=None, **over):
    """A campaign opened and drawn, every inspection's team drawn: (campaign, inspections)."""
    campaign = campaigns.draw_targets(ctx.chief, opened(ctx, items, **over).id)
    for inspection in list(campaign.inspections):
        teams.draw_team(ctx.chief, inspection.id)
    db.session.expire_all()
    return campaign, list(campaign.inspections)


def member_of(inspection):
    from core.models import User

    seat = next(s for s in inspection.seats if s.status == "active")
    return db.session.get(User, seat.inspector_id)


def result_data(inspection, *, outcome="pass", ended_on=None, samples=None) -> dict:
    return {"items_checked": [{"code": c, "outcome": outcome, "note": ""} for c in inspection.item_codes],
            "samples": samples or [], "findings": "Materials on site match the delivery notes.",
            "ended_on": (ended_on or dt.date(2026, 11, 20)).isoformat()}


def recorded(inspection, **kw):
    return results.record_results(member_of(inspection), inspection.id, result_data(inspection, **kw))


def other_city_inspector(city: str = "hangzhou"):
    return make_user(make_org(R.ORG_INSPECTION, city=city), roles=(R.INSPECTOR,))
