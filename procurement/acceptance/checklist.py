"""The completion-acceptance checklist: one item per bill line, generated from the bill, the
orders, the accepted deliveries and the inspections, and signed off by the acceptance inspector.

An item passes when its line was delivered and accepted in full, every accepted delivery proved
certification on its delivery day (the certificate or test report presented, checked again),
every delivered product meets the line's rules (the city's rules of the project's edition with
the designer's tightenings) and no open rectification concerns a supplier of the line.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

import catalog.interface as catalog
from core.errors import Conflict, NotFound, PermissionDenied
from core.extensions import db
from core.i18n import N_, Message, Term, message_payload
from core.services import unit_of_work
from core.timeutil import utcnow
from core.validation import plain_text
from procurement.acceptance import figures, policy
from procurement.acceptance import inspections as ins
from procurement.acceptance.models import AcceptanceChecklist, ChecklistItem
from procurement.acceptance.states import CHECKLIST, DRAFT
from procurement.deliveries.checks import evidence_check
from procurement.deliveries.models import Delivery
from procurement.deliveries.states import ACCEPTED
from procurement.design.requirements import effective_rules
from procurement.design.services import bill_lines
from procurement.quantities import format_quantity
from procurement.records.services import append_record, lock_visible_project

REMARKS_MAX = 2000


def checklist_of(project_id: int) -> AcceptanceChecklist | None:
    return db.session.execute(select(AcceptanceChecklist).where(AcceptanceChecklist.project_id == project_id)
                              .execution_options(populate_existing=True)).scalar_one_or_none()


def _accepted_deliveries(project_id: int) -> dict[int, list[Delivery]]:
    """Accepted deliveries by bill line id."""
    out: dict[int, list[Delivery]] = {}
    for d in db.session.execute(select(Delivery).where(Delivery.project_id == project_id,
                                                       Delivery.status == ACCEPTED)
                                .order_by(Delivery.id)).unique().scalars():
        out.setdefault(d.order_line.bom_line_id, []).append(d)
    return out


def _ordered(project_id: int) -> dict[int, int]:
    """Ordered quantity (milli) by bill line id, over the project's live orders."""
    out: dict[int, int] = {}
    for order in figures.project_orders(project_id):
        for line in order.lines:
            out[line.bom_line_id] = out.get(line.bom_line_id, 0) + line.quantity_milli
    return out


def evaluate_line(project, line, deliveries: list[Delivery], ordered_milli: int, open_orgs: set[int]) -> dict:
    """The checklist item of one bill line (a dict of `ChecklistItem` fields)."""
    notes = []
    accepted = sum(d.quantity_milli for d in deliveries)
    in_full = ordered_milli > 0 and accepted >= ordered_milli
    if not ordered_milli:
        notes.append(message_payload(N_("Line %(line)s was never ordered."), {"line": line.line_no}))
    elif not in_full:
        notes.append(message_payload(N_("Line %(line)s: %(accepted)s of %(ordered)s %(unit)s accepted."),
                                     {"line": line.line_no, "accepted": format_quantity(accepted),
                                      "ordered": format_quantity(ordered_milli), "unit": Term(line.unit)}))
    certified = bool(deliveries)
    for d in deliveries:
        check = evidence_check(d.product_id, d.delivered_on, d.evidence_kind, d.evidence_number,
                               city_id=project.city_id)
        if not check.passed:
            certified = False
            notes.append(message_payload(N_("Delivery %(delivery)s: %(reason)s"),
                                         {"delivery": d.reference, "reason": Message(check.message, **check.params)}))
    products = sorted({d.product_id for d in deliveries})
    rules = effective_rules(project, line)
    if not line.green_required and not rules:
        compliant = bool(deliveries)
    else:
        compliant = bool(products) and all(
            (facts := catalog.product_facts(pid)) is not None and catalog.meets(rules, facts["offer"])
            for pid in products)
        if products and not compliant:
            notes.append(message_payload(N_("A delivered product does not meet the rules of line %(line)s."),
                                         {"line": line.line_no}))
    suppliers = {d.supplier_org_id for d in deliveries}
    clear = not (suppliers & open_orgs) and project.purchaser_org_id not in open_orgs
    if not clear:
        notes.append(message_payload(N_("A rectification concerning line %(line)s is still open."),
                                     {"line": line.line_no}))
    return {"bom_line_id": line.id, "line_no": line.line_no, "category_id": line.category_id, "product_ids": products,
            "ordered_milli": ordered_milli, "accepted_milli": accepted, "delivered_in_full": in_full,
            "certified": certified, "compliant": compliant, "inspections_clear": clear,
            "passed": in_full and certified and compliant and clear, "notes": notes}


def build_items(project) -> list[dict]:
    """Every bill line's checklist item, as it stands now."""
    deliveries, ordered = _accepted_deliveries(project.id), _ordered(project.id)
    open_orgs = {ins.field(r, "org_id") for r in ins.open_rectifications(project.id)}
    return [evaluate_line(project, line, deliveries.get(line.id, []), ordered.get(line.id, 0), open_orgs)
            for line in bill_lines(project.id)]


def generate(actor, project_id, *, now: dt.datetime | None = None) -> AcceptanceChecklist:
    """Generate (or generate again) the project's checklist from the current evidence."""
    now = now or utcnow()
    with unit_of_work():
        project = lock_visible_project(actor, project_id)
        if not policy.can_generate_checklist(actor, project):
            raise PermissionDenied(N_("Only the project's purchaser or the city's inspection authority generates the "
                                      "acceptance checklist, in the acceptance stage."))
        checklist = checklist_of(project.id)
        if checklist is None:
            checklist = AcceptanceChecklist(project_id=project.id, status=DRAFT, generated_at=now,
                                            generated_by_id=actor.id, remarks="")
            db.session.add(checklist)
        else:
            CHECKLIST.check(checklist.status, "regenerate")
            checklist.generated_at, checklist.generated_by_id = now, actor.id
            checklist.items.clear()
            db.session.flush()
        for item in build_items(project):
            checklist.items.append(ChecklistItem(**item))
        db.session.flush()
        passed = sum(1 for i in checklist.items if i.passed)
        append_record(project, "acceptance_checklist_generated",
                      {"lines": len(checklist.items), "passed": passed}, actor=actor,
                      action="acceptance.checklist_generate", after=checklist.snapshot())
    return checklist


def sign_off(actor, project_id, remarks="", *, now: dt.datetime | None = None) -> AcceptanceChecklist:
    """The acceptance inspector signs the checklist off: only when every line passed, checked
    again against the evidence as it stands at signing."""
    now = now or utcnow()
    remarks = plain_text(remarks, "remarks", maximum=REMARKS_MAX)
    with unit_of_work():
        project = lock_visible_project(actor, project_id)
        if not policy.can_sign_acceptance(actor, project):
            raise PermissionDenied(N_("Only an inspector of the city's inspection authority signs off completion "
                                      "acceptance, in the acceptance stage."))
        checklist = checklist_of(project.id)
        if checklist is None:
            raise NotFound(N_("No acceptance checklist has been generated."))
        CHECKLIST.check(checklist.status, "sign")
        fresh = {i["bom_line_id"]: i for i in build_items(project)}
        stale = [i.line_no for i in checklist.items if fresh.get(i.bom_line_id, {}).get("passed") != i.passed]
        if stale or set(fresh) != {i.bom_line_id for i in checklist.items}:
            raise Conflict(N_("The evidence changed since the checklist was generated: generate it again."))
        failing = [str(i.line_no) for i in checklist.items if not i.passed]
        if failing or not checklist.items:
            raise Conflict(N_("Lines %(lines)s of the checklist did not pass: the acceptance cannot be signed off."),
                           lines=", ".join(failing) or "-")
        CHECKLIST.apply(AcceptanceChecklist, checklist.id, "sign", signed_at=now, signed_by_id=actor.id,
                        remarks=remarks)
        checklist = checklist_of(project.id)
        append_record(project, "acceptance_signed_off", {"lines": len(checklist.items), "remarks": remarks},
                      actor=actor, action="acceptance.sign_off", after=checklist.snapshot())
    return checklist
