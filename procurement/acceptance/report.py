"""The loop-closure report of a project: from the budget to acceptance, in figures anyone can
check against the record.

- money (fen): the approved budget, the bill's estimate, what was ordered, what the accepted
  quantities are due, what was paid and retained; the saving against the budget and against the
  lot ceilings (each order line against its lot's ceiling for the same quantity:
  ``ceiling_fen x ordered / lot quantity``, half up);
- green share achieved: a bill line counts as green when it was accepted in full with products
  certified on their delivery days and meeting the line's rules; mandatory lines must all be
  green, optional kinds at least the edition's share (`procurement.design.share`);
- embodied carbon (GWP A1-A3 declarations, through `catalog.interface`): each delivered product
  against the median of its category's products listed and passing in the city, declared per the
  same unit as the line, times the quantity accepted;
- inspections and rectifications of the project (the inspections capability's gate), and the
  samples sent from deliveries;
- the project's record chain (verified) and the newest signed checkpoint covering it.

`closure_report(project)` returns plain data (a dict) that the page, the PDF and the API render.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from sqlalchemy import select

import catalog.interface as catalog
from core.extensions import db
from procurement import standards as std
from procurement.acceptance import figures
from procurement.acceptance import inspections as ins
from procurement.acceptance.checklist import build_items, checklist_of
from procurement.acceptance.payments import project_payments
from procurement.budget.services import load_budget
from procurement.deliveries.models import Delivery, DeliverySample
from procurement.deliveries.states import ACCEPTED
from procurement.design.services import bill_lines
from procurement.design.share import format_share, optional_share_ok
from procurement.records.integrity import coverage
from procurement.records.services import verify_project


def _half_up(value: Fraction) -> int:
    return int(Decimal(value.numerator / Decimal(value.denominator)).quantize(Decimal(1), rounding=ROUND_HALF_UP)) \
        if value.denominator != 1 else value.numerator


def ceiling_for(ceiling_fen: int, lot_quantity_milli: int, quantity_milli: int) -> int:
    """The lot ceiling's share for `quantity_milli` of the lot's quantity, half up to the fen."""
    return _half_up(Fraction(ceiling_fen * quantity_milli, lot_quantity_milli))


def share_bp(part: int, whole: int) -> int | None:
    """`part` of `whole` in basis points, half up (None for a zero whole)."""
    return _half_up(Fraction(part * 10_000, whole)) if whole else None


def _lot_of_order_line(order_line) -> object | None:
    """The tender lot an order line's quantity was pooled into (through its agreement quota)."""
    from procurement.agreements.models import AgreementQuota
    from procurement.pooling.models import PooledLine
    from procurement.tendering.models import Lot

    if order_line.quota_id is None:
        return None
    return db.session.execute(select(Lot).join(PooledLine, PooledLine.lot_id == Lot.id)
                              .join(AgreementQuota, AgreementQuota.pooled_line_id == PooledLine.id)
                              .where(AgreementQuota.id == order_line.quota_id)).unique().scalar_one_or_none()


def money(project) -> dict:
    budget = load_budget(project.id)
    orders = figures.project_orders(project.id)
    accepted = figures.accepted_by_order_line(project.id)
    paid = figures.paid_by_order(project.id)
    budget_fen = budget.total_fen if budget is not None and budget.is_approved else None
    estimate = sum(line.total_fen for line in bill_lines(project.id))
    ordered = sum(line.amount_fen for o in orders for line in o.lines)
    lots, ceiling_total, priced_total, unpooled = [], 0, 0, 0
    for order in orders:
        for line in order.lines:
            lot = _lot_of_order_line(line)
            if lot is None or not lot.quantity_milli:
                unpooled += 1
                continue
            ceiling = ceiling_for(lot.ceiling_fen, lot.quantity_milli, line.quantity_milli)
            ceiling_total += ceiling
            priced_total += line.amount_fen
            lots.append({"order": order.reference, "lot": f"{lot.tender.reference} / {lot.number}",
                         "quantity_milli": line.quantity_milli, "unit": line.unit, "ceiling_fen": ceiling,
                         "amount_fen": line.amount_fen, "saving_fen": ceiling - line.amount_fen,
                         "saving_bp": share_bp(ceiling - line.amount_fen, ceiling)})
    return {
        "budget_fen": budget_fen, "estimate_fen": estimate, "ordered_fen": ordered,
        "due_fen": sum(figures.due_fen(o, accepted) for o in orders),
        "settled_fen": sum(p.amount_fen for p in paid.values()),
        "retention_fen": sum(p.retention_fen for p in paid.values()),
        "paid_fen": sum(p.paid_fen for p in paid.values()),
        "saving_vs_budget_fen": None if budget_fen is None else budget_fen - ordered,
        "saving_vs_budget_bp": None if budget_fen is None else share_bp(budget_fen - ordered, budget_fen),
        "saving_vs_estimate_fen": estimate - ordered, "saving_vs_estimate_bp": share_bp(estimate - ordered, estimate),
        "ceiling_fen": ceiling_total, "ceiling_ordered_fen": priced_total,
        "saving_vs_ceiling_fen": ceiling_total - priced_total,
        "saving_vs_ceiling_bp": share_bp(ceiling_total - priced_total, ceiling_total),
        "lots": lots, "unpooled_lines": unpooled,
        "orders": [{"reference": o.reference, "supplier": o.supplier.name_zh or o.supplier.name_en,
                    "status": o.status, "amount_fen": sum(line.amount_fen for line in o.lines),
                    "due_fen": figures.due_fen(o, accepted), "retention_bp": o.agreement.retention_bp,
                    "settled_fen": paid.get(o.id, figures.Paid()).amount_fen,
                    "retention_fen": paid.get(o.id, figures.Paid()).retention_fen,
                    "paid_fen": paid.get(o.id, figures.Paid()).paid_fen} for o in orders],
        "payments": [p.snapshot() for p in project_payments(project.id)],
    }


def green_share(project, items: list[dict]) -> dict:
    lines = {line.id: line for line in bill_lines(project.id)}
    rows, mandatory, mandatory_green, optional, covered = [], 0, 0, set(), set()
    for item in items:
        line = lines[item["bom_line_id"]]
        level = std.requirement_level(project, line.category)
        green = item["delivered_in_full"] and item["certified"] and item["compliant"]
        if level == std.MANDATORY:
            mandatory += 1
            mandatory_green += green
        elif level == std.OPTIONAL:
            optional.add(line.category.code)
            if green:
                covered.add(line.category.code)
        rows.append({"line_no": line.line_no, "category": line.category.code, "level": level, "green": bool(green)})
    result = optional_share_ok(covered, optional, std.optional_share(project))
    return {"mandatory_lines": mandatory, "mandatory_green": mandatory_green,
            "mandatory_ok": mandatory_green == mandatory,
            "mandatory_bp": share_bp(mandatory_green, mandatory),
            "optional_kinds": result.total, "optional_green": result.covered,
            "optional_required": result.required_kinds, "optional_required_share": format_share(result.required_share),
            "optional_bp": share_bp(result.covered, result.total), "optional_ok": result.ok, "lines": rows}


def carbon(project) -> dict:
    rows, total, baseline, missing = [], 0.0, 0.0, 0
    accepted = db.session.execute(select(Delivery).where(Delivery.project_id == project.id,
                                                         Delivery.status == ACCEPTED)
                                  .order_by(Delivery.id)).unique().scalars()
    by_product: dict[tuple[int, int, str], int] = {}
    for d in accepted:
        key = (d.order_line.bom_line_id, d.product_id, d.unit)
        by_product[key] = by_product.get(key, 0) + d.quantity_milli
    lines = {line.id: line for line in bill_lines(project.id)}
    gwp = catalog.carbon_figures({pid for _b, pid, _u in by_product},
                                 {(project.city_id, lines[b].category_id) for b, _p, _u in by_product})
    for (bom_line_id, product_id, unit), milli in sorted(by_product.items()):
        line = lines[bom_line_id]
        own = gwp.gwp(product_id, unit)
        median = gwp.median(project.city_id, line.category_id, unit)
        quantity = milli / 1000
        row = {"line_no": line.line_no, "category": line.category.code, "sku": gwp.skus.get(product_id, ""),
               "quantity_milli": milli, "unit": unit, "gwp": own, "median": median,
               "kg": None if own is None else round(own * quantity, 1),
               "median_kg": None if median is None else round(median * quantity, 1)}
        if own is None or median is None:
            missing += 1
        else:
            total += own * quantity
            baseline += median * quantity
        rows.append(row)
    return {"rows": rows, "kg": round(total, 1), "median_kg": round(baseline, 1),
            "saving_kg": round(baseline - total, 1),
            "saving_bp": share_bp(round((baseline - total) * 10), round(baseline * 10)) if baseline else None,
            "without_declaration": missing}


def inspections(project) -> dict:
    samples = list(db.session.execute(select(DeliverySample).join(Delivery)
                                      .where(Delivery.project_id == project.id)
                                      .order_by(DeliverySample.id)).scalars())
    found = ins.project_inspections(project.id)
    open_ = ins.open_rectifications(project.id)
    return {"inspections": len(found), "open_rectifications": len(open_),
            "inspection_rows": [{"campaign": i["campaign"], "title": i["campaign_title"], "status": i["status"],
                                 "compliant": i["compliant"], "findings": i["findings"],
                                 "rectifications": [r["reference"] for r in i["rectifications"]]} for i in found],
            "open_rectification_rows": [{"reference": r["reference"], "status": r["status"],
                                         "deadline": r["deadline"]} for r in open_],
            "samples": [{"delivery": s.delivery.reference, "lab": s.lab_name, "sample": s.sample_code,
                         "status": s.status, "report": s.report_number, "rectification": s.rectification_ref}
                        for s in samples]}


def record_chain(project) -> dict:
    result = verify_project(project)
    cover = coverage(project)
    return {"ok": result.ok, "count": project.record_count, "head_hash": project.record_head_hash,
            "checkpoint": cover.to_dict() if cover is not None else None}


def closure_report(project) -> dict:
    """Every figure of the project's loop-closure report (plain data)."""
    items = build_items(project)
    checklist = checklist_of(project.id)
    return {"project": {"id": project.id, "code": project.code, "name": project.name, "stage": project.stage,
                        "city": project.city.name_zh or project.city.name_en,
                        "purchaser": project.purchaser.name_zh or project.purchaser.name_en,
                        "edition": project.standard_edition.title,
                        "stage_changed_at": project.stage_changed_at},
            "final": project.stage == "closed",
            "money": money(project), "green": green_share(project, items), "carbon": carbon(project),
            "inspections": inspections(project),
            "checklist": None if checklist is None else {
                "status": checklist.status, "signed_at": checklist.signed_at,
                "signed_by": getattr(checklist.signed_by, "name", None), "remarks": checklist.remarks,
                "lines": len(checklist.items), "passed": sum(1 for i in checklist.items if i.passed)},
            "items": items, "chain": record_chain(project)}
