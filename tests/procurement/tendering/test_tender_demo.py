"""The demo tenders: every pilot city has tenders in different states, Qingdao a batch tender
for waterproof membranes pooling 13 projects (168,900 m²) announced by competitive negotiation,
all through the real services (records intact), and seeding again adds nothing."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select

from core.extensions import db
from core.models import City
from procurement.pooling.models import PooledLine
from procurement.projects.models import Project
from procurement.records.services import verify_project
from procurement.tendering.demo import QINGDAO_TITLE
from procurement.tendering.models import Lot, Tender


def _seed(app):
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    return result.output


def test_demo_tenders(app):
    output = _seed(app)
    assert "tenders: done" in output
    states = defaultdict(set)
    for code, status in db.session.execute(select(City.code, Tender.status).join(Tender, Tender.city_id == City.id)):
        states[code].add(status)
    assert set(states) == {"nanjing", "hangzhou", "shaoxing", "huzhou", "qingdao", "foshan"}
    for code, seen in states.items():
        assert len(seen) >= 2, (code, seen)
    assert set().union(*states.values()) >= {"draft", "finance_review", "published", "closed", "cancelled"}

    batch = db.session.execute(select(Tender).where(Tender.title == QINGDAO_TITLE)).scalar_one()
    # announced by competitive negotiation, closed at the announcement's deadline, then negotiated
    assert (batch.status, batch.method, batch.city.code) == ("closed", "competitive_negotiation", "qingdao")
    [lot] = batch.lots
    assert (lot.category.code, lot.unit, lot.quantity_milli) == ("waterproof_membranes", "m2", 168_900_000)
    projects = db.session.execute(select(PooledLine.project_id).where(PooledLine.lot_id == lot.id)).scalars().all()
    assert len(set(projects)) == 13
    for project in db.session.execute(select(Project).where(Project.id.in_(projects))).scalars():
        assert verify_project(project).ok

    # the demo's bid bonds (seeded with the tenders; the suite's localstripe answers)
    from tests.procurement.bonds.demo_checks import check_demo_bonds, demo_bonds
    check_demo_bonds(card_expected=True)
    bonds = demo_bonds()

    tenders, lots = (db.session.execute(select(func.count(m.id))).scalar() for m in (Tender, Lot))
    _seed(app)
    assert (db.session.execute(select(func.count(Tender.id))).scalar(),
            db.session.execute(select(func.count(Lot.id))).scalar()) == (tenders, lots)
    db.session.expire_all()
    assert demo_bonds() == bonds
