"""Use cases of deliveries: record one against an order line (its automatic checks decide whether
it is taken at all), the site manager's acceptance or rejection, a sample sent to a testing lab
and the lab's report.

Every use case is one transaction that locks the project row first (the project's record is
appended in it), then the order line's row for a new delivery (two deliveries racing for the
last tonnes of a line are decided one after the other: the second sees the first and is refused).
After an acceptance or a rejection the order's fulfilment is noted in the same transaction
(`procurement.orders.fulfilment.note_fulfilment`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from core.documents import store_document
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.i18n import N_, Term
from core.services import unit_of_work
from core.timeutil import CHINA, utcnow
from core.validation import FIRST_DATE, Errors, choice, date, integer, message_of, plain_text, text
from procurement.deliveries import checks as delivery_checks
from procurement.deliveries import policy, rectifications
from procurement.deliveries.models import Delivery, DeliverySample
from procurement.deliveries.states import (
    ACCEPTED,
    DELIVERY,
    EVIDENCE_KINDS,
    FAILED,
    LIVE_DELIVERY_STATES,
    RESULTS,
    SAMPLE,
)
from procurement.orders.models import OrderLine
from procurement.orders.states import CONFIRMED, PARTLY_DELIVERED
from procurement.quantities import QuantityError, format_quantity, parse_quantity
from procurement.records.services import append_record, lock_project

REASON_MIN, REASON_MAX = 5, 2000
#: Orders that take deliveries: confirmed by the supplier and not yet delivered in full.
RECEIVING = (CONFIRMED, PARTLY_DELIVERED)


def _id(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


# ------------------------------------------------------------------ reading

def get_delivery(delivery_id) -> Delivery | None:
    pk = _id(delivery_id)
    if pk is None:
        return None
    return db.session.execute(select(Delivery).where(Delivery.id == pk).execution_options(populate_existing=True)
                              ).unique().scalar_one_or_none()


def visible_delivery(actor, delivery_id) -> Delivery:
    """The delivery if `actor` may see it (NotFound otherwise)."""
    delivery = get_delivery(delivery_id)
    if delivery is None or not policy.can_view_delivery(actor, delivery.order.project, delivery.order):
        raise NotFound(N_("No such delivery."))
    return delivery


def project_deliveries(project_id: int) -> list[Delivery]:
    """A project's deliveries, oldest first."""
    return list(db.session.execute(select(Delivery).where(Delivery.project_id == project_id)
                                   .order_by(Delivery.delivered_on, Delivery.id)).unique().scalars())


def accepted_by_line(order_id: int) -> dict[int, int]:
    """``{order line id: accepted quantity (milli)}`` of every line of the order (0 when none)."""
    lines = db.session.execute(select(OrderLine.id).where(OrderLine.order_id == order_id)).scalars()
    out = {line_id: 0 for line_id in lines}
    rows = db.session.execute(select(Delivery.order_line_id, func.sum(Delivery.quantity_milli))
                              .where(Delivery.order_id == order_id, Delivery.status == ACCEPTED)
                              .group_by(Delivery.order_line_id)).all()
    out.update({line_id: int(total) for line_id, total in rows})
    return out


def _taken(line_id: int) -> int:
    """Quantity of the line's live deliveries (recorded, sampling, accepted)."""
    return int(db.session.execute(select(func.coalesce(func.sum(Delivery.quantity_milli), 0))
                                  .where(Delivery.order_line_id == line_id,
                                         Delivery.status.in_(LIVE_DELIVERY_STATES))).scalar_one())


def _lock_line(line_id: int) -> OrderLine | None:
    """The order line, its row locked for this transaction (SQLite: a no-op UPDATE takes the
    database's write lock instead)."""
    if db.engine.dialect.name == "sqlite":
        db.session.execute(update(OrderLine).where(OrderLine.id == line_id)
                           .values(delivered_milli=OrderLine.delivered_milli)
                           .execution_options(synchronize_session=False))
    return db.session.execute(select(OrderLine).where(OrderLine.id == line_id).with_for_update(of=OrderLine)
                              .execution_options(populate_existing=True)).scalar_one_or_none()


def _awarded_product(order) -> int | None:
    """The product the order's supplier was awarded under the agreement (None when the agreement
    does not name one for the firm)."""
    from procurement.agreements.models import AgreementSupplier

    return db.session.execute(select(AgreementSupplier.product_id).where(
        AgreementSupplier.agreement_id == order.agreement_id,
        AgreementSupplier.supplier_org_id == order.supplier_org_id).limit(1)).scalar()


# ------------------------------------------------------------------ input

def clean_delivery(data, *, today: dt.date) -> dict:
    """The fields of a new delivery, every bad one reported at once (400)."""
    if not isinstance(data, dict):
        raise ValidationError(N_("Send the delivery as a JSON object."))
    errors = Errors()
    out = {"product_id": integer(data, "product_id", errors, minimum=1, maximum=2**31 - 1),
           "batch_number": text(data, "batch_number", errors, max_len=80),
           "delivered_on": date(data, "delivered_on", errors, first=FIRST_DATE, last=today),
           "evidence_kind": choice(data, "evidence_kind", errors, EVIDENCE_KINDS),
           "evidence_number": text(data, "evidence_number", errors, max_len=80),
           "unit": text(data, "unit", errors, max_len=10, required=False)}
    raw = data.get("quantity")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        errors.add("quantity", N_("This field is required."))
    elif isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        errors.add("quantity", N_("Must be a number."))
    else:
        try:
            out["quantity_milli"] = parse_quantity(str(raw))
        except QuantityError as exc:
            errors.add("quantity", message_of(exc))
    if errors:
        raise ValidationError(N_("The delivery was not recorded: check the marked fields."), errors)
    return out


def clean_reason(reason, *, required: bool) -> str:
    if not required and (reason is None or (isinstance(reason, str) and not reason.strip())):
        return ""
    return plain_text(reason, "reason", minimum=REASON_MIN, maximum=REASON_MAX,
                      refused=N_("Give a reason of at least 5 characters."))


# ------------------------------------------------------------------ recording a delivery

def _reference(project) -> str:
    n = db.session.execute(select(func.count(Delivery.id)).where(Delivery.project_id == project.id)).scalar_one()
    return f"DL-{project.id}-{n + 1:04d}"


def _refusal(results) -> ValidationError:
    """One error naming every failed check, each on its field."""
    fields = {"product_id": delivery_checks.CHECK_PRODUCT, "evidence_number": delivery_checks.CHECK_EVIDENCE,
              "quantity": delivery_checks.CHECK_QUANTITY}
    failed = {c.name: c for c in results if not c.passed}
    return ValidationError(N_("The delivery was refused by its automatic checks."),
                           {field: failed[name].text for field, name in fields.items() if name in failed},
                           checks=len(failed))


def record_delivery(actor, order_line_id, data, note_stream, note_name: str, *,
                    now: dt.datetime | None = None) -> Delivery:
    """Record goods delivered against an order line, with the delivery note (a PDF or image) and
    the certificate or test report presented. The automatic checks run first: if any fails the
    delivery is refused (400, every reason on its field) and nothing is written."""
    now = now or utcnow()
    fields = clean_delivery(data, today=now.astimezone(CHINA).date())
    if note_stream is None:
        raise ValidationError(N_("The delivery note is required."), {"delivery_note": N_("Attach the delivery note.")})
    with unit_of_work():
        line = db.session.get(OrderLine, _id(order_line_id) or 0)
        if line is None:
            raise NotFound(N_("No such order line."))
        order = line.order
        project = lock_project(order.project_id)
        if not policy.can_view_delivery(actor, project, order):
            raise NotFound(N_("No such order line."))
        if not policy.can_record_delivery(actor, project, order):
            raise PermissionDenied(N_("Only the order's supplier or the project's site manager records deliveries, "
                                      "while the project is under construction."))
        if order.status not in RECEIVING:
            raise Conflict(N_("Order %(reference)s takes no deliveries now (it is %(status)s)."),
                           reference=order.reference, status=Term(order.status))
        if fields["unit"] and fields["unit"] != line.unit:
            raise ValidationError(N_("The delivery was not recorded: check the marked fields."),
                                  {"unit": (N_("This line is ordered in %(unit)s."), {"unit": Term(line.unit)})})
        line = _lock_line(line.id)
        results = delivery_checks.run_checks(
            line, product_id=fields["product_id"], awarded_product_id=_awarded_product(order),
            delivered_on=fields["delivered_on"], evidence_kind=fields["evidence_kind"],
            evidence_number=fields["evidence_number"], quantity_milli=fields["quantity_milli"],
            taken_milli=_taken(line.id),
            city_id=project.city_id)
        if not all(c.passed for c in results):
            raise _refusal(results)
        note = store_document(note_stream, note_name or "", actor, field="delivery_note")
        db.session.flush()
        delivery = Delivery(reference=_reference(project), project_id=project.id, order_id=order.id,
                            order_line_id=line.id, supplier_org_id=order.supplier_org_id,
                            product_id=fields["product_id"], quantity_milli=fields["quantity_milli"], unit=line.unit,
                            batch_number=fields["batch_number"], delivered_on=fields["delivered_on"],
                            delivery_note_id=note.id, evidence_kind=fields["evidence_kind"],
                            evidence_number=fields["evidence_number"], checks=[c.to_dict() for c in results],
                            recorded_at=now, recorded_by_id=actor.id, decision_reason="")
        db.session.add(delivery)
        db.session.flush()
        append_record(project, "delivery_recorded",
                      {"delivery": delivery.reference, "order": order.reference, "batch": delivery.batch_number,
                       "quantity": format_quantity(delivery.quantity_milli), "unit": delivery.unit,
                       "delivered_on": delivery.delivered_on.isoformat(), "note_sha256": note.sha256},
                      actor=actor, action="deliveries.record", after=delivery.snapshot())
    return delivery


# ------------------------------------------------------------------ the site manager's decision

def _locked_delivery(actor, delivery_id) -> tuple[Delivery, object]:
    delivery = get_delivery(delivery_id)
    if delivery is None:
        raise NotFound(N_("No such delivery."))
    project = lock_project(delivery.project_id)
    delivery = get_delivery(delivery.id)
    if not policy.can_view_delivery(actor, project, delivery.order):
        raise NotFound(N_("No such delivery."))
    return delivery, project


def _note_fulfilment(delivery, actor, now) -> None:
    from procurement.orders.fulfilment import note_fulfilment

    note_fulfilment(delivery.order_id, accepted_by_line(delivery.order_id), actor=actor, now=now)


def decide(actor, delivery_id, *, accept: bool, reason=None, now: dt.datetime | None = None) -> Delivery:
    """The site manager accepts (reason optional) or rejects (reason required) a delivery; the
    order's fulfilment is brought up to date in the same transaction."""
    now = now or utcnow()
    reason = clean_reason(reason, required=not accept)
    with unit_of_work():
        delivery, project = _locked_delivery(actor, delivery_id)
        if not policy.can_decide_delivery(actor, project):
            raise PermissionDenied(N_("Only the project's site manager accepts or rejects deliveries, while the "
                                      "project is under construction."))
        before = delivery.snapshot()
        DELIVERY.apply(Delivery, delivery.id, "accept" if accept else "reject", decided_at=now,
                       decided_by_id=actor.id, decision_reason=reason)
        delivery = get_delivery(delivery.id)
        _note_fulfilment(delivery, actor, now)
        append_record(project, "delivery_accepted" if accept else "delivery_rejected",
                      {"delivery": delivery.reference, "quantity": format_quantity(delivery.quantity_milli),
                       "unit": delivery.unit, "reason": reason},
                      actor=actor, action="deliveries.accept" if accept else "deliveries.reject", before=before,
                      after=delivery.snapshot())
    return delivery


# ------------------------------------------------------------------ samples and lab reports

def send_sample(actor, delivery_id, data, *, now: dt.datetime | None = None) -> DeliverySample:
    """A sample of the delivery goes to a testing lab: the delivery waits for the report."""
    now = now or utcnow()
    if not isinstance(data, dict):
        raise ValidationError(N_("Send the sample as a JSON object."))
    errors = Errors()
    lab = text(data, "lab_name", errors, max_len=200)
    code = text(data, "sample_code", errors, max_len=80)
    errors.raise_if_any(N_("The sample was not recorded: check the marked fields."))
    with unit_of_work():
        delivery, project = _locked_delivery(actor, delivery_id)
        if not policy.can_sample_delivery(actor, project):
            raise PermissionDenied(N_("Only the project's site manager or the city's inspection authority sends "
                                      "samples."))
        DELIVERY.apply(Delivery, delivery.id, "sample")
        sample = DeliverySample(delivery_id=delivery.id, lab_name=lab, sample_code=code, sent_at=now,
                                sent_by_id=actor.id, report_number="", findings="", rectification_ref="")
        db.session.add(sample)
        db.session.flush()
        append_record(project, "delivery_sampled", {"delivery": delivery.reference, "lab": lab, "sample": code},
                      actor=actor, action="deliveries.sample", after=sample.snapshot())
    return sample


def record_lab_report(actor, sample_id, data, report_stream=None, report_name: str = "", *,
                      now: dt.datetime | None = None) -> DeliverySample:
    """The lab's report on a sample: passed (the site manager decides on the delivery again) or
    failed (the delivery is rejected and a rectification notice is issued to the supplier, with
    the `required_actions` and `deadline` given with the report)."""
    now = now or utcnow()
    if not isinstance(data, dict):
        raise ValidationError(N_("Send the lab report as a JSON object."))
    errors = Errors()
    result = choice(data, "result", errors, RESULTS)
    number = text(data, "report_number", errors, max_len=80)
    findings = text(data, "findings", errors, max_len=4000, required=result == FAILED)
    actions, deadline = rectifications.clean_notice(data, errors) if result == FAILED else ("", None)
    errors.raise_if_any(N_("The lab report was not recorded: check the marked fields."))
    with unit_of_work():
        sample = db.session.get(DeliverySample, _id(sample_id) or 0)
        if sample is None:
            raise NotFound(N_("No such sample."))
        delivery, project = _locked_delivery(actor, sample.delivery_id)
        if not policy.can_sample_delivery(actor, project):
            raise PermissionDenied(N_("Only the project's site manager or the city's inspection authority records "
                                      "lab reports."))
        document = store_document(report_stream, report_name, actor, field="report") if report_stream else None
        db.session.flush()
        failed = result == FAILED
        SAMPLE.apply(DeliverySample, sample.id, "fail" if failed else "pass", report_number=number,
                     findings=findings, report_document_id=getattr(document, "id", None), reported_at=now,
                     reported_by_id=actor.id)
        before = delivery.snapshot()
        DELIVERY.apply(Delivery, delivery.id, "sample_failed" if failed else "sample_passed",
                       **({"decided_at": now, "decided_by_id": actor.id, "decision_reason": findings}
                          if failed else {}))
        delivery = get_delivery(delivery.id)
        sample = db.session.get(DeliverySample, sample.id)
        db.session.refresh(sample)
        if failed:
            ref = rectifications.open_for_failed_sample(actor, project, delivery, sample, actions, deadline, now=now)
            sample.rectification_ref = ref
            _note_fulfilment(delivery, actor, now)
        append_record(project, "delivery_sample_failed" if failed else "delivery_sample_passed",
                      {"delivery": delivery.reference, "report": number, "findings": findings,
                       "rectification": sample.rectification_ref},
                      actor=actor, action="deliveries.lab_report", before=before, after=sample.snapshot())
    return sample
