"""The closed-loop demo (`flask demo seed`, order 80, after tenders 60, awards 70 and agreements
75): in every pilot city one small dedicated project goes the whole loop, budget -> design ->
procurement -> construction -> acceptance -> closed, through the real services with past clocks.

Per city: a one-line project (the category with the most certified suppliers listed in the city)
is registered, budgeted and designed; its line is pooled into a tender of its own, which is
published 50 days ago, bid on by the demo firms and closed by the chronograph
(`tendering.demo`); `awards.demo.award_demo_tender` opens, evaluates and awards it; the centre
signs and publishes a framework agreement (`agreements.demo.sign_lot`) and the purchaser orders
the whole quota, which the supplier confirms; the goods arrive in two deliveries (the first one
sampled by the city's testing lab, which passes it), the site manager accepts them, the project
moves to acceptance, the inspector signs the checklist off, the supplier is paid (retention
withheld) and the project is closed. A signed checkpoint of the audit trail is written at the
end, so each closure report names one that covers its whole record chain.

A city whose tender draws too few bidders, or whose award is not signable yet, stops where the
loop stops (the project stays in procurement) and says so on the console. Idempotent: a city's
project is found by name and continued from its stage.
"""

from __future__ import annotations

import datetime as dt
import io
import logging

from sqlalchemy import select

import catalog.interface as catalog
from core import roles as R
from core.errors import ServiceError
from core.extensions import db
from core.timeutil import CHINA, today_cn, utcnow

log = logging.getLogger(__name__)

PROJECT_NAME = "{city}市绿色建材闭环管理示范项目（竣工）"
TENDER_TITLE = "{city}市{category}集中采购（闭环示范）"
#: the demo line's quantity per city (in the category's unit), so the six reports differ
QUANTITIES = {"nanjing": 120, "hangzhou": 160, "shaoxing": 90, "huzhou": 140, "qingdao": 200, "foshan": 110}
PDF = b"%PDF-1.4\n% delivery note\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
#: steps after the agreement's signature (hours), each clock never in the future
ORDER_AFTER, CONFIRM_AFTER, FIRST_DELIVERY_AFTER, SECOND_DELIVERY_AFTER = 2, 5, 72, 168


def _at(moment: dt.datetime) -> dt.datetime:
    return min(moment, utcnow() - dt.timedelta(minutes=5))


def _person(ctx, city: str, kind: str, role: str):
    from procurement.demo_data import _user

    if city == "nanjing" and role in ctx["users"] and kind != "supplier":
        return ctx["users"][role]
    return _user(f"{kind}-{city}@demo.gbm.cn", f"{kind.title()} ({city.title()})", ctx["orgs"][f"{kind}:{city}"], role)


def _category(project) -> tuple | None:
    """(category, unit price estimate): the edition's category with the most distinct suppliers
    listing a product that passes in the city and is certified today."""
    from procurement import standards as std

    best = None
    for info, level in std.edition_categories(project):
        offers = [o for o in catalog.listed_passing_products(project.city_id, info.id)
                  if catalog.certificate_standing(o.id, today_cn())["valid"]]
        firms = {o.supplier.id for o in offers}
        if len(firms) >= 3 and (best is None or len(firms) > best[2]):
            best = (info, max(o.list_price_fen for o in offers), len(firms), offers[0].unit)
    return None if best is None else (best[0], best[1], best[3])


def _project(ctx, city: str, city_row):
    """The city's demo project (found by name, or registered, budgeted, designed and taken to
    procurement through the services)."""
    from procurement.budget import services as budget_svc
    from procurement.demo_data import _budget
    from procurement.design import services as design_svc
    from procurement.machine.services import request_transition
    from procurement.projects.models import Project
    from procurement.projects.services import create_project

    name = PROJECT_NAME.format(city=city_row.name_zh)
    found = db.session.execute(select(Project).where(Project.name == name)).scalar_one_or_none()
    if found is not None:
        return found
    purchaser, finance = _person(ctx, city, "purchaser", R.PURCHASER), _person(ctx, city, "finance",
                                                                               R.FINANCE_REVIEWER)
    project = create_project(purchaser, {"name": name, "building_type": "school", "floor_area_m2": 6_000,
                                         "green_star_target": 2, "description": "绿色建材政府采购闭环管理演示项目。",
                                         "people": [{"role": "site_manager", "name": "演示现场负责人",
                                                     "phone": "400-000-0000"}]}, registered_on=today_cn())
    budget_svc.submit_budget(purchaser, project.id, _budget(1_000_000))
    budget_svc.approve_budget(finance, project.id, "在年度投资计划内，同意。")
    request_transition(purchaser, project.id, to_stage="design", expected_stage="budget")
    picked = _category(project)
    if picked is None:
        return project
    info, price, unit = picked
    design_svc.add_line(purchaser, project.id, {"category": info.code, "specification": f"{info.name_zh} 示范规格",
                                                "quantity": str(QUANTITIES.get(city, 100)), "unit": unit,
                                                "est_unit_price_fen": price * 12 // 10, "green_required": True})
    request_transition(purchaser, project.id, to_stage="procurement", expected_stage="design")
    db.session.refresh(project)
    return project


def _tender(ctx, city: str, city_row, project):
    """The project's own tender, closed 27 days ago with the demo firms' bids."""
    from procurement.tendering.demo import _centre_officer, _free_lines, _pool, _run
    from procurement.tendering.models import Tender

    line = project.bom_lines[0]
    title = TENDER_TITLE.format(city=city_row.name_zh, category=line.category.name_zh)
    found = db.session.execute(select(Tender).where(Tender.title == title)).scalar_one_or_none()
    if found is not None:
        return found
    if not _free_lines(project):
        return None
    centre, finance = _centre_officer(ctx, city), _person(ctx, city, "finance", R.FINANCE_REVIEWER)
    rnd = _pool(ctx, city, centre, line.category.code, f"{title}需求归集", [(project, line)])
    return _run(ctx, city, centre, finance, rnd, title, "closed")


def _evidence(product_id: int, day: dt.date) -> tuple[str, str] | None:
    standing = catalog.certificate_standing(product_id, day)
    cert = next((c for c in standing["certificates"] if c["valid_on_day"]), None)
    if cert is not None:
        return "certificate", cert["number"]
    report = next((r for r in standing["test_reports"] if dt.date.fromisoformat(r["issued_on"]) <= day), None)
    return ("test_report", report["number"]) if report else None


def _deliver(ctx, city, project, order, supplier_user, site_manager, inspector, start) -> bool:
    from procurement.deliveries import services as deliveries
    from procurement.quantities import format_quantity

    line = order.lines[0]
    halves = [line.quantity_milli * 6 // 10, line.quantity_milli - line.quantity_milli * 6 // 10]
    for i, (milli, hours) in enumerate(zip(halves, (FIRST_DELIVERY_AFTER, SECOND_DELIVERY_AFTER))):
        when = _at(start + dt.timedelta(hours=hours))
        day = when.astimezone(CHINA).date()
        evidence = _evidence(line.product_id, day)
        if evidence is None:
            log.warning("closed-loop demo %s: product %s has no valid certificate or report", city, line.product_id)
            return False
        data = {"product_id": line.product_id, "quantity": format_quantity(milli), "batch_number":
                f"{project.code}-B{i + 1:02d}", "delivered_on": day.isoformat(), "evidence_kind": evidence[0],
                "evidence_number": evidence[1]}
        delivery = deliveries.record_delivery(supplier_user, line.id, data, io.BytesIO(PDF + str(when).encode()),
                                              "送货单.pdf", now=when)
        if i == 0:  # the first batch is sampled by the city's testing lab, which passes it
            sample = deliveries.send_sample(site_manager, delivery.id, {"lab_name": "市建设工程质量检测中心",
                                                                         "sample_code": f"{project.code}-S01"},
                                            now=when + dt.timedelta(hours=1))
            deliveries.record_lab_report(inspector, sample.id, {"result": "passed",
                                                                "report_number": f"JC-{project.code}-01"},
                                         now=_at(when + dt.timedelta(hours=30)))
        deliveries.decide(site_manager, delivery.id, accept=True, reason="数量、批号与送货单一致，证书有效。",
                          now=_at(when + dt.timedelta(hours=31)))
    return True


def _close(ctx, city: str, city_row) -> str:
    """Take the city's demo project as far as the loop goes; the stage it stopped in."""
    from procurement.acceptance import checklist, payments
    from procurement.acceptance.figures import accepted_by_order_line, due_fen
    from procurement.agreements import services as agreements
    from procurement.agreements.demo import order_share, sign_lot
    from procurement.awards.demo import award_demo_tender
    from procurement.machine.services import request_transition
    from procurement.opening.demo import supplier_person
    from procurement.orders import services as orders
    from procurement.orders.models import Order
    from procurement.tendering.demo import _centre_officer

    project = _project(ctx, city, city_row)
    purchaser = _person(ctx, city, "purchaser", R.PURCHASER)
    inspector = _person(ctx, city, "inspector", R.INSPECTOR)
    if project.stage == "procurement":
        tender = _tender(ctx, city, city_row, project)
        if tender is None:
            return project.stage
        awards = award_demo_tender(ctx, tender)
        if not awards:
            return project.stage
        award = awards[0]
        signed_at = _at(max(award.standstill_until, award.notice_at) + dt.timedelta(hours=1))
        agreement = sign_lot(_centre_officer(ctx, city), award.lot, now=signed_at)
        order = order_share(purchaser, agreements.get_agreement(agreement.id), project.id, percent=100,
                            now=_at(signed_at + dt.timedelta(hours=ORDER_AFTER)),
                            request_id=f"closed-loop-{project.id}")
        supplier_user = supplier_person(order.supplier_org_id)
        orders.confirm_order(supplier_user, order.id, now=_at(signed_at + dt.timedelta(hours=CONFIRM_AFTER)))
        request_transition(purchaser, project.id, to_stage="construction", expected_stage="procurement")
        db.session.refresh(project)
        if not _deliver(ctx, city, project, db.session.get(Order, order.id), supplier_user, purchaser, inspector,
                        signed_at):
            return project.stage
        request_transition(purchaser, project.id, to_stage="acceptance", expected_stage="construction")
        db.session.refresh(project)
    if project.stage == "acceptance":
        checklist.generate(inspector, project.id)
        checklist.sign_off(inspector, project.id, "材料与中标产品一致，到货证书有效，抽检合格，同意验收。")
        accepted = accepted_by_order_line(project.id)
        for order in db.session.execute(select(Order).where(Order.project_id == project.id,
                                                            Order.status != "cancelled")).unique().scalars():
            if order.status == "delivered":
                orders.accept_order(purchaser, order.id)
            payments.record_payment(purchaser, order.id, {"amount_fen": due_fen(order, accepted),
                                                          "reference": f"ZF-{order.reference}",
                                                          "paid_on": today_cn().isoformat()})
        request_transition(purchaser, project.id, to_stage="closed", expected_stage="acceptance")
        db.session.refresh(project)
    return project.stage


def seed_closed_loop(ctx, echo=None) -> dict:
    """One project per pilot city through the whole loop; ``{city: stage reached}``."""
    from core import checkpoints

    reached = {}
    for city, city_row in ctx["cities"].items():
        try:
            reached[city] = _close(ctx, city, city_row)
        except ServiceError as exc:
            db.session.rollback()
            log.warning("closed-loop demo %s stopped: %s", city, exc)
            reached[city] = f"stopped: {exc}"
    for city, stage in reached.items():
        if stage != "closed":
            log.warning("closed-loop demo: %s reached %s", city, stage)
    try:
        checkpoints.write_checkpoint()
    except checkpoints.CheckpointError as exc:
        log.warning("closed-loop demo: no checkpoint written: %s", exc)
    return reached
