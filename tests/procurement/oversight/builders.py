"""Rows for oversight tests written straight to the tables (these tests are about what the
figures and flags make of records, not about how the records got there)."""

from __future__ import annotations

import datetime as dt
import itertools

import procurement.models  # noqa: F401  (every table mapped before these models are used)
from catalog.models.standards import Category
from core import roles as R
from core.extensions import db
from procurement.agreements.models import Agreement
from procurement.awards.models import Award
from procurement.bids.models import Bid
from procurement.design.models import BomLine
from procurement.opening.models import OpenedBid
from procurement.orders.models import Order
from tests.factories import make_org, make_user
from tests.procurement.helpers import World, category, make_standard, new_project
from tests.procurement.tendering_helpers import make_tender

UTC = dt.UTC
_seq = itertools.count(1)


def at(y, m, d, h=4) -> dt.datetime:
    """A UTC moment (04:00 UTC is noon in China: the same calendar day)."""
    return dt.datetime(y, m, d, h, tzinfo=UTC)


def world(city_code="nanjing") -> World:
    """A city with its offices, over the small demand standard (made once)."""
    if db.session.execute(db.select(Category.id).filter_by(code="ready_mixed_concrete")).first() is None:
        make_standard()
    return World(city_code)


def platform_admin():
    return make_user(make_org(R.ORG_PLATFORM), roles=(R.PLATFORM_ADMIN,))


def supplier(name=None):
    return make_org(R.ORG_SUPPLIER, name_en=name or f"Firm {next(_seq)}")


def project(w, registered_on: dt.date, *lines):
    """A project registered on `registered_on` with bill lines ``(quantity_milli, est_unit_price_fen, green)``."""
    p = new_project(w)
    p.registered_on = registered_on
    for i, (qty, price, green) in enumerate(lines, start=1):
        db.session.add(BomLine(project_id=p.id, line_no=i, category_id=category("ready_mixed_concrete").id,
                               specification="C30", quantity_milli=qty, unit="m3", est_unit_price_fen=price,
                               green_required=green))
    db.session.commit()
    return p


def prefab_category():
    cat = db.session.execute(db.select(Category).filter_by(code="precast_concrete_components")).scalar_one_or_none()
    if cat is None:
        base = category("ready_mixed_concrete")
        cat = Category(code="precast_concrete_components", group_id=base.group_id, name_en="Precast",
                       name_zh="预制构件", default_unit="m3", position=99)
        db.session.add(cat)
        db.session.commit()
    return cat


def award(tender, lot, *, total_fen, notice_at=None, winner=None, notified=True):
    row = Award(tender_id=tender.id, lot_id=lot.id, status="notified" if notified else "finance_review",
                candidates=[], winner_org_id=(winner or supplier()).id, total_fen=total_fen,
                submitted_at=(notice_at or at(2026, 1, 5)) - dt.timedelta(days=3),
                notice_number=1 if notified else 0, notice_at=notice_at if notified else None)
    db.session.add(row)
    db.session.commit()
    return row


def agreement(w, tender, lot, the_award, *, category_id=None, publish_due_at=None, published_at=None,
              status="published"):
    row = Agreement(reference=f"C-{next(_seq):05d}", lot_id=lot.id, award_id=the_award.id, tender_id=tender.id,
                    kind="contract", city_id=w.city.id, centre_org_id=tender.centre_org_id,
                    category_id=category_id or lot.category_id, title="Concrete", status=status,
                    valid_from=dt.date(2026, 1, 1), valid_until=dt.date(2027, 12, 31),
                    total_quantity_milli=10**9, unit="m3", retention_bp=300, signed_at=at(2026, 1, 6),
                    publish_due_at=publish_due_at, published_at=published_at)
    db.session.add(row)
    db.session.commit()
    return row


def order(the_agreement, the_project, *, total_fen, placed_at, status="placed"):
    row = Order(reference=f"O-{next(_seq):06d}", agreement_id=the_agreement.id, project_id=the_project.id,
                supplier_org_id=the_project.purchaser_org_id, status=status, request_id=f"r{next(_seq)}",
                total_fen=total_fen, placed_at=placed_at)
    db.session.add(row)
    db.session.commit()
    return row


def bid(tender, lot, firm, *, address=None, total_fen=None, opened=False):
    """A bid (and, with `opened`, its opened row carrying `total_fen`)."""
    n = next(_seq)
    row = Bid(tender_id=tender.id, lot_id=lot.id, supplier_org_id=firm.id, sequence=1, status="submitted",
              sealed_envelope=b"sealed", envelope_sha256="0" * 64, idempotency_key=f"k{n}",
              received_at=tender.published_at + dt.timedelta(days=1), client_address=address)
    db.session.add(row)
    db.session.flush()
    if opened:
        db.session.add(OpenedBid(tender_id=tender.id, lot_id=lot.id, bid_id=row.id, supplier_org_id=firm.id,
                                 status="valid", unit_price_fen=None, total_fen=total_fen, envelope_sha256="0" * 64,
                                 opened_at=tender.bid_deadline_at))
    db.session.commit()
    return row


__all__ = ["at", "world", "platform_admin", "supplier", "project", "prefab_category", "award", "agreement", "order",
           "bid", "make_tender"]
