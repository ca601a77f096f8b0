"""Builders for delivery and acceptance tests: a project under construction with a confirmed
order, written straight to the tables (for tests that are not about how the award, the
agreement and the order came about): tender lot -> award -> agreement (with its supplier's
product and a quota pooled into the lot) -> order with one line per bill line.

The project reaches construction through a record of the move (as the stage machine writes it,
gates aside), so its record chain stays intact and replays.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from dataclasses import dataclass, field

from catalog.models.products import CarbonDeclaration, Certificate, TestReport
from core import roles as R
from core.extensions import db
from core.timeutil import utcnow
from procurement.quantities import line_total_fen
from tests.factories import make_org, make_user
from tests.procurement.helpers import GOOD_VALUES, World, line, make_product, make_standard, stock_products
from tests.procurement.tendering_helpers import make_tender, project_in_procurement

_seq = itertools.count(1)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TODAY = dt.date(2026, 11, 20)


def note():
    """A delivery note file (a tiny PDF), new bytes each time."""
    return io.BytesIO(PDF + f"% note {next(_seq)}\n".encode())


def force_stage(project, to_stage: str) -> None:
    """Move the project one stage ahead as the stage machine records it, without its gates."""
    from procurement.records.services import append_record, lock_project

    project = lock_project(project.id)
    before = project.stage
    project.stage = to_stage
    append_record(project, "stage_advanced", {"from": before, "to": to_stage, "kind": "advance", "checks": []},
                  action="project.stage_advanced", before={"stage": before}, after={"stage": to_stage})
    db.session.commit()


def certify(product, *, issued=dt.date(2024, 1, 1), expires=dt.date(2029, 1, 1), number=None, status="valid"):
    cert = Certificate(product_id=product.id, number=number or f"CGBM-{product.id}-{next(_seq)}", star_grade=2,
                       issued_on=issued, expires_on=expires, status=status)
    db.session.add(cert)
    db.session.commit()
    return cert


def add_test_report(product, *, issued=dt.date(2026, 6, 1), number=None):
    report = TestReport(product_id=product.id, number=number or f"TR-{product.id}-{next(_seq)}", issued_on=issued)
    db.session.add(report)
    db.session.commit()
    return report


def declare_carbon(product, gwp: float, unit: str = "1 m3"):
    db.session.add(CarbonDeclaration(product_id=product.id, declared_unit=unit, gwp_a1a3=gwp))
    db.session.commit()


@dataclass
class Site:
    world: World
    project: object
    supplier: object
    supplier_user: object
    site_manager: object
    products: dict                    # bom line id -> product
    certificates: dict                # product id -> certificate
    order: object = None                        # the first order
    lines: list = field(default_factory=list)   # order lines in bill order
    orders: list = field(default_factory=list)  # one per bill line (each line its own lot and agreement)
    agreement: object = None
    lot: object = None


def site(*lines, unit_price_fen: int = 40_000, ceiling_unit_fen: int = 50_000, retention_bp: int = 500,
         lot_quantity_milli: int | None = None) -> Site:
    """A project under construction holding `lines` (default: 100 m3 of concrete), each awarded to
    one supplier's certified product, ordered in full and confirmed."""
    from procurement.agreements.models import Agreement, AgreementQuota, AgreementSupplier
    from procurement.awards.models import Award
    from procurement.orders.models import Order, OrderLine
    from procurement.pooling.models import PooledLine, PoolingRound

    make_standard()
    world = World()
    stock_products(world.city)
    supplier = make_org(R.ORG_SUPPLIER)
    supplier_user = make_user(supplier, roles=(R.SUPPLIER,))
    project = project_in_procurement(world, *(lines or (line(),)))
    force_stage(project, "construction")
    now = utcnow()
    s = Site(world, project, supplier, supplier_user, world.purchaser, {}, {})
    rnd = PoolingRound(reference=f"PR-T-{next(_seq):04d}", title="Round", city_id=world.city.id,
                       centre_org_id=world.centre.organisation_id, status="tendered",
                       opens_at=now - dt.timedelta(days=60), closes_at=now - dt.timedelta(days=50))
    db.session.add(rnd)
    db.session.flush()
    for bom in project.bom_lines:
        code = bom.category.code
        product = make_product(world.city, code, GOOD_VALUES[code], supplier=supplier, unit=bom.unit)
        s.products[bom.id] = product
        s.certificates[product.id] = certify(product)
        tender = make_tender(world, status="closed", category_code=code)
        lot = tender.lots[0]
        lot.unit = bom.unit
        lot.quantity_milli = lot_quantity_milli or bom.quantity_milli
        lot.ceiling_fen = line_total_fen(lot.quantity_milli, ceiling_unit_fen)
        s.lot = lot
        award = Award(tender_id=tender.id, lot_id=lot.id, status="notified", candidates=[],
                      winner_org_id=supplier.id, total_fen=line_total_fen(bom.quantity_milli, unit_price_fen),
                      submitted_at=now, notice_number=1, review_comment="", next_step_reason="")
        db.session.add(award)
        db.session.flush()
        agreement = Agreement(reference=f"AGR-T-{next(_seq):04d}", lot_id=lot.id, award_id=award.id,
                              tender_id=tender.id, kind="contract", city_id=world.city.id,
                              centre_org_id=world.centre.organisation_id, category_id=bom.category_id,
                              title="Contract", status="signed", valid_from=TODAY - dt.timedelta(days=200),
                              valid_until=TODAY + dt.timedelta(days=200), total_quantity_milli=lot.quantity_milli,
                              ordered_quantity_milli=bom.quantity_milli, unit=bom.unit, retention_bp=retention_bp,
                              signed_at=now, end_reason="")
        db.session.add(agreement)
        db.session.flush()
        s.agreement = agreement
        db.session.add(AgreementSupplier(agreement_id=agreement.id, supplier_org_id=supplier.id,
                                         product_id=product.id, unit_price_fen=unit_price_fen, rank=1))
        pooled = PooledLine(round_id=rnd.id, project_id=project.id, bom_line_id=bom.id, category_id=bom.category_id,
                            specification=bom.specification, quantity_milli=bom.quantity_milli, unit=bom.unit,
                            est_unit_price_fen=bom.est_unit_price_fen, est_amount_fen=bom.total_fen,
                            status="assigned", lot_id=lot.id)
        db.session.add(pooled)
        db.session.flush()
        quota = AgreementQuota(agreement_id=agreement.id, project_id=project.id, bom_line_id=bom.id,
                               pooled_line_id=pooled.id, quantity_milli=bom.quantity_milli,
                               ordered_milli=bom.quantity_milli)
        db.session.add(quota)
        db.session.flush()
        # one call-off order per agreement (an agreement covers one lot, one category)
        order = Order(reference=f"ORD-T-{next(_seq):04d}", agreement_id=agreement.id, project_id=project.id,
                      supplier_org_id=supplier.id, status="confirmed", request_id=f"req-{next(_seq)}", total_fen=0,
                      placed_at=now, confirmed_at=now)
        db.session.add(order)
        db.session.flush()
        s.orders.append(order)
        amount = line_total_fen(bom.quantity_milli, unit_price_fen)
        order_line = OrderLine(order_id=order.id, quota_id=quota.id, bom_line_id=bom.id, product_id=product.id,
                               quantity_milli=bom.quantity_milli, unit=bom.unit, unit_price_fen=unit_price_fen,
                               amount_fen=amount, delivered_milli=0)
        db.session.add(order_line)
        order.total_fen += amount
        s.lines.append(order_line)
    db.session.commit()
    s.order = s.orders[0]
    return s


def delivery_data(s: Site, order_line, **overrides) -> dict:
    product_id = order_line.product_id
    data = {"product_id": str(product_id), "quantity": "40", "batch_number": "B-2026-11-001",
            "delivered_on": TODAY.isoformat(), "evidence_kind": "certificate",
            "evidence_number": s.certificates[product_id].number}
    data.update(overrides)
    return data


def deliver(s: Site, order_line, *, actor=None, now=None, accept: bool = True, **overrides):
    """Record a delivery (and accept it, unless told not to)."""
    from procurement.deliveries import services

    delivery = services.record_delivery(actor or s.supplier_user, order_line.id, delivery_data(s, order_line,
                                                                                                **overrides),
                                        note(), "note.pdf", now=now)
    if accept:
        delivery = services.decide(s.site_manager, delivery.id, accept=True)
    return delivery


def deliver_all(s: Site) -> None:
    """Deliver and accept every order line in full."""
    from procurement.quantities import format_quantity

    for order_line in s.lines:
        deliver(s, order_line, quantity=format_quantity(order_line.quantity_milli))
