"""Builders for pooling and tender tests: projects of one city in the procurement stage with bill
lines, and tenders in any state written directly (for tests that are not about how a tender got
there)."""

from __future__ import annotations

import datetime as dt
import itertools

from core.extensions import db
from core.timeutil import utcnow
from procurement.profiles.services import profile_for
from procurement.tendering.models import Lot, Tender
from tests.procurement.helpers import World, category, line, make_standard, project_in_design, stock_products

_seq = itertools.count(1)


def project_in_procurement(world, *lines, **project_fields):
    """A project of `world`'s purchaser with `lines` (see `helpers.line`), moved to procurement."""
    from procurement.design.services import add_line
    from procurement.machine.services import request_transition

    project = project_in_design(world, **project_fields)
    for data in lines or (line(),):
        add_line(world.purchaser, project.id, data)
    request_transition(world.purchaser, project.id, to_stage="procurement", expected_stage="design")
    return project


def procurement_world(n_projects: int = 3, *lines, city_code: str = "nanjing"):
    """A small standard, a city with stocked products and `n_projects` projects in procurement,
    each holding `lines` (default: one concrete line): (world, [projects])."""
    make_standard()
    world = World(city_code)
    stock_products(world.city)
    projects = [project_in_procurement(world, *lines, name=f"Project {i + 1}") for i in range(n_projects)]
    enrol_key_holders(world)
    return world, projects


KEY_PASSPHRASE = "correct horse battery staple"


def enrol_key_holders(world):
    """The world's centre officer and finance reviewer enrol as opening key holders (publication
    needs at least two): [(user, passphrase)]."""
    from procurement.bids import keyholders

    for user in (world.centre, world.finance):
        if keyholders.holder_of(user) is None:
            keyholders.enrol(user, KEY_PASSPHRASE)
    return [(world.centre, KEY_PASSPHRASE), (world.finance, KEY_PASSPHRASE)]


def make_tender(world, *, status: str = "published", category_code: str = "ready_mixed_concrete",
                lots: int = 1, bid_deadline_at: dt.datetime | None = None, cutoff_days: int = 15,
                published_at: dt.datetime | None = None) -> Tender:
    """A tender of `world`'s centre written straight to the tables (no pooling, no records):
    `lots` lots of `category_code`, deadline 30 days ahead unless given."""
    now = utcnow()
    deadline = bid_deadline_at or now + dt.timedelta(days=30)
    n = next(_seq)
    tender = Tender(reference=f"T-TEST-{n:04d}", title=f"Test tender {n}", city_id=world.city.id,
                    centre_org_id=world.centre.organisation_id, method="public_tender", track="gpl",
                    profile_id=profile_for("public_tender", "gpl", world.city.id).id, status=status,
                    bid_deadline_at=deadline, clarification_cutoff_at=deadline - dt.timedelta(days=cutoff_days),
                    documents_until=(published_at or now) + dt.timedelta(days=7),
                    published_at=(published_at or now - dt.timedelta(days=1)) if status != "draft" else None,
                    created_by_id=world.centre.id)
    cat = category(category_code)
    for i in range(lots):
        tender.lots.append(Lot(number=i + 1, title=f"Lot {i + 1}", category_id=cat.id, specification="C30",
                               unit="m3", quantity_milli=100_000, ceiling_fen=5_000_000, bond_fen=100_000,
                               requirements=[]))
    db.session.add(tender)
    db.session.commit()
    return tender
