"""Call-off order use cases: place (within the project's quota and the agreement's total, at the
agreement price), confirm (supplier), refuse or cancel with a reason, accept (purchaser).

Concurrency: placing and cancelling lock, in this order, the project row, the agreement row and
the quota rows (``SELECT ... FOR UPDATE``), then check and move the running sums
(`Agreement.ordered_quantity_milli`, `AgreementQuota.ordered_milli`). Concurrent orders on one
agreement therefore queue on the agreement row and each sees what the previous one committed; the
CHECK constraints on the sums back this up. The same `request_id` twice for one project (a double
click, a retry at the same moment) returns the first order: the project lock serialises the two
requests and the unique (project, request_id) key is the last guard.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from core import audit
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.i18n import N_, Term
from core.money import format_fen
from core.notifications import notify_organisation
from core.services import unit_of_work
from core.timeutil import utcnow
from core.validation import plain_text
from procurement.agreements import policy
from procurement.agreements.models import Agreement, AgreementQuota
from procurement.agreements.services import lock_agreement
from procurement.agreements.states import IN_FORCE_STATES
from procurement.orders.fulfilment import lock_order
from procurement.orders.inputs import clean_order
from procurement.orders.models import Order, OrderLine
from procurement.orders.states import COUNTING_STATES, DELIVERED, MINI_COMPETITION, ORDER, PLACED
from procurement.projects.models import Project
from procurement.quantities import format_quantity, line_total_fen
from procurement.records.services import append_record, lock_project


def _lock_quotas(agreement_id: int, project_id: int) -> dict[int, AgreementQuota]:
    """The project's quota rows of the agreement, locked, by bill line id."""
    rows = db.session.execute(select(AgreementQuota).where(AgreementQuota.agreement_id == agreement_id,
                                                           AgreementQuota.project_id == project_id)
                              .order_by(AgreementQuota.id).with_for_update(of=AgreementQuota)
                              .execution_options(populate_existing=True)).unique().scalars()
    return {q.bom_line_id: q for q in rows}


def _existing(project_id: int, request_id: str) -> Order | None:
    return db.session.execute(select(Order).where(Order.project_id == project_id, Order.request_id == request_id)
                              .execution_options(populate_existing=True)).unique().scalar_one_or_none()


def _same_request(order: Order, agreement_id: int, lines: list[dict]) -> bool:
    have = sorted((line.bom_line_id, line.quantity_milli) for line in order.lines)
    want = sorted((line["bom_line_id"], line["quantity_milli"]) for line in lines)
    return order.agreement_id == agreement_id and have == want


def _check_agreement(agreement: Agreement, project: Project, now: dt.datetime) -> None:
    if agreement.city_id != project.city_id:
        raise Conflict(N_("Agreement %(reference)s belongs to another city: project %(project)s cannot order "
                          "from it."), reference=agreement.reference, project=project.code)
    if agreement.status not in IN_FORCE_STATES:
        raise Conflict(N_("Agreement %(reference)s is %(status)s: no orders can be placed on it."),
                       reference=agreement.reference, status=Term(agreement.status))
    day = policy.china_day(now)
    if day > agreement.valid_until:
        raise Conflict(N_("Agreement %(reference)s expired on %(date)s: no orders can be placed on it."),
                       reference=agreement.reference, date=agreement.valid_until.isoformat())
    if day < agreement.valid_from:
        raise Conflict(N_("Agreement %(reference)s is valid from %(date)s only."),
                       reference=agreement.reference, date=agreement.valid_from.isoformat())


def _supplier(agreement: Agreement, supplier_org_id, method: str):
    suppliers = {s.supplier_org_id: s for s in agreement.suppliers}
    if supplier_org_id is None:
        if len(suppliers) == 1:
            return next(iter(suppliers.values()))
        raise ValidationError(N_("This agreement has several suppliers: choose one (direct selection) or run a "
                                 "mini-competition."), {"supplier_org_id": N_("Choose a supplier.")})
    supplier = suppliers.get(supplier_org_id)
    if supplier is None:
        raise ValidationError(N_("That firm is not a supplier of this agreement."),
                              {"supplier_org_id": N_("Not a supplier of this agreement.")})
    if method == MINI_COMPETITION and len(suppliers) < 2:
        raise ValidationError(N_("A mini-competition needs an agreement with several suppliers."),
                              {"selection_method": N_("Only one supplier: choose direct selection.")})
    return supplier


def _mini_competition(agreement: Agreement, project: Project, negotiation_id: int, supplier_org_id):
    """The concluded mini-competition among this agreement's suppliers (`procurement.negotiation`)
    that chose the supplier: (its winner's organisation id, a note for the order)."""
    from procurement.negotiation.models import Negotiation
    from procurement.negotiation.states import CONCLUDED
    from procurement.negotiation.states import MINI_COMPETITION as NEG_MINI

    negotiation = db.session.get(Negotiation, negotiation_id)
    if (negotiation is None or negotiation.kind != NEG_MINI or negotiation.agreement_id != agreement.id
            or (negotiation.project_ids and project.id not in negotiation.project_ids)):
        raise ValidationError(N_("That is not a mini-competition of this agreement for this project."),
                              {"negotiation_id": N_("Not a mini-competition of this agreement.")})
    if negotiation.status != CONCLUDED or negotiation.winner_org_id is None:
        raise Conflict(N_("Mini-competition %(reference)s has not concluded with a winner."),
                       reference=negotiation.reference)
    if supplier_org_id not in (None, negotiation.winner_org_id):
        raise Conflict(N_("Mini-competition %(reference)s was won by another supplier."),
                       reference=negotiation.reference)
    return negotiation.winner_org_id, negotiation.reference


def place_order(actor, agreement_id, project_id, data: dict, *, now: dt.datetime | None = None) -> Order:
    """Place a call-off order for the project on the agreement (see the module text). `data`:
    ``lines`` [{bom_line_id, quantity (text) or quantity_milli, unit_price_fen (optional: must be the
    agreement's)}], ``supplier_org_id`` (needed with several suppliers), ``selection_method``
    (direct | mini_competition), ``selection_note``, ``request_id`` (idempotency key)."""
    now = now or utcnow()
    clean = clean_order(data)
    with unit_of_work(N_("This order was already placed.")):
        project = lock_project(project_id)
        from procurement.projects.policy import can_view_project, is_own_purchaser

        if not can_view_project(actor, project):
            raise NotFound("No such project.")
        if not is_own_purchaser(actor, project):
            raise PermissionDenied(N_("Only the project's purchaser places its orders."))
        first = _existing(project.id, clean["request_id"])
        if first is not None:  # the same request again: the first order, or a clear conflict
            if _same_request(first, _as_int(agreement_id), clean["lines"]):
                return first
            raise Conflict(N_("Request %(request)s was already used for order %(order)s with other lines."),
                           request=clean["request_id"], order=first.reference)
        agreement = lock_agreement(agreement_id)
        _check_agreement(agreement, project, now)
        supplier_org_id, competed = clean["supplier_org_id"], ""
        if clean["selection_method"] == MINI_COMPETITION:
            supplier_org_id, competed = _mini_competition(agreement, project, clean["negotiation_id"],
                                                          supplier_org_id)
        supplier = _supplier(agreement, supplier_org_id, clean["selection_method"])
        quotas = _lock_quotas(agreement.id, project.id)
        if not quotas:
            raise Conflict(N_("Project %(project)s holds no quota in agreement %(reference)s."),
                           project=project.code, reference=agreement.reference)
        order = Order(reference="", agreement_id=agreement.id, project_id=project.id,
                      supplier_org_id=supplier.supplier_org_id, status=PLACED, request_id=clean["request_id"],
                      selection_method=clean["selection_method"],
                      selection_note=" ".join(x for x in (competed, clean["selection_note"]) if x),
                      negotiation_id=clean["negotiation_id"] if competed else None,
                      total_fen=0, placed_at=now, placed_by_id=getattr(actor, "id", None), updated_at=now,
                      cancel_reason="")
        total_milli = 0
        for line in clean["lines"]:
            quota = quotas.get(line["bom_line_id"])
            if quota is None:
                raise Conflict(N_("Bill line %(line)s of project %(project)s has no quota in agreement %(reference)s."),
                               line=line["bom_line_id"], project=project.code, reference=agreement.reference)
            price = line.get("unit_price_fen")
            if price is not None and price != supplier.unit_price_fen:
                raise Conflict(N_("The price %(price)s is not the agreement's price %(agreed)s: orders are placed "
                                  "at the agreement price."), price=format_fen(price),
                               agreed=format_fen(supplier.unit_price_fen))
            if quota.ordered_milli + line["quantity_milli"] > quota.quantity_milli:
                raise Conflict(N_("The order exceeds the project's quota: %(remaining)s of %(quota)s %(unit)s "
                                  "remain on this line."),
                               remaining=format_quantity(quota.remaining_milli),
                               quota=format_quantity(quota.quantity_milli), unit=Term(agreement.unit))
            quota.ordered_milli += line["quantity_milli"]
            total_milli += line["quantity_milli"]
            amount = line_total_fen(line["quantity_milli"], supplier.unit_price_fen)
            order.total_fen += amount
            order.lines.append(OrderLine(quota_id=quota.id, bom_line_id=quota.bom_line_id,
                                         product_id=supplier.product_id, quantity_milli=line["quantity_milli"],
                                         unit=agreement.unit, unit_price_fen=supplier.unit_price_fen,
                                         amount_fen=amount, delivered_milli=0))
        if agreement.ordered_quantity_milli + total_milli > agreement.total_quantity_milli:
            raise Conflict(N_("The order exceeds the agreement's total: %(remaining)s %(unit)s remain."),
                           remaining=format_quantity(agreement.total_quantity_milli - agreement.ordered_quantity_milli),
                           unit=Term(agreement.unit))
        agreement.ordered_quantity_milli += total_milli
        count = db.session.execute(select(func.count()).select_from(Order)
                                   .where(Order.agreement_id == agreement.id)).scalar_one()
        order.reference = f"{agreement.reference}-O{count + 1}"
        db.session.add(order)
        db.session.flush()
        audit.record("orders.place", order, after=order.snapshot(), actor=actor)
        append_record(project, "order_placed", {"order": order.reference, "agreement": agreement.reference,
                                                "total_fen": order.total_fen,
                                                "selection_method": order.selection_method},
                      actor=actor, action="orders.record")
        notify_organisation(order.supplier_org_id, "order_placed", N_("Order %(reference)s was placed with you."),
                            {"reference": order.reference}, roles=policy.SUPPLIER_RECIPIENTS, email=False)
    return order


def confirm_order(actor, order_id, *, now: dt.datetime | None = None) -> Order:
    """The supplier confirms a placed order."""
    now = now or utcnow()
    with unit_of_work():
        order = lock_order(order_id)
        if not policy.can_view_order(actor, order):
            raise NotFound(N_("No such order."))
        if not policy.is_order_supplier(actor, order):
            raise PermissionDenied(N_("Only the order's supplier confirms it."))
        ORDER.apply(Order, order.id, "confirm", confirmed_at=now, confirmed_by_id=getattr(actor, "id", None),
                    updated_at=now)
        db.session.refresh(order)
        audit.record("orders.confirm", order, after={"status": order.status}, actor=actor)
        project = lock_project(order.project_id)
        append_record(project, "order_confirmed", {"order": order.reference}, actor=actor, action="orders.record")
    return order


def cancel_order(actor, order_id, reason, *, now: dt.datetime | None = None) -> Order:
    """Cancel an order with a reason: the purchaser while placed or confirmed, the supplier
    (refusing it) while placed. The quantities go back to the quota and the agreement's total."""
    reason = plain_text(reason, "reason", minimum=5, maximum=2000, refused=N_("Please give the reason."),
                        too_short=N_("Please give the reason (at least %(n)s characters)."))
    now = now or utcnow()
    with unit_of_work():
        probe = get_order(order_id)
        if not policy.can_view_order(actor, probe):
            raise NotFound(N_("No such order."))
        project = lock_project(probe.project_id)          # the placing order of locks
        agreement = lock_agreement(probe.agreement_id)
        order = lock_order(probe.id)
        if not (policy.can_cancel_order(actor, order) or policy.can_refuse_order(actor, order)):
            ORDER.check(order.status, "cancel")
            raise PermissionDenied(N_("Only the project's purchaser cancels an order, or its supplier before "
                                      "confirming it."))
        ORDER.apply(Order, order.id, "cancel", cancelled_at=now, cancelled_by_id=getattr(actor, "id", None),
                    cancel_reason=reason, updated_at=now)
        quotas = _lock_quotas(agreement.id, project.id)
        given_back = 0
        for line in order.lines:
            quota = quotas.get(line.bom_line_id)
            if quota is not None:
                quota.ordered_milli -= line.quantity_milli
            given_back += line.quantity_milli
        agreement.ordered_quantity_milli -= given_back
        db.session.refresh(order)
        audit.record("orders.cancel", order, after={"status": order.status, "reason": reason}, actor=actor)
        append_record(project, "order_cancelled", {"order": order.reference, "reason": reason}, actor=actor,
                      action="orders.record")
        other = order.supplier_org_id if not policy.is_order_supplier(actor, order) else project.purchaser_org_id
        notify_organisation(other, "order_cancelled", N_("Order %(reference)s was cancelled: %(reason)s"),
                            {"reference": order.reference, "reason": reason}, email=False)
    return order


def accept_order(actor, order_id, *, now: dt.datetime | None = None) -> Order:
    """The purchaser accepts a delivered order (delivered -> accepted)."""
    now = now or utcnow()
    with unit_of_work():
        order = lock_order(order_id)
        if not policy.can_view_order(actor, order):
            raise NotFound(N_("No such order."))
        if order.status != DELIVERED:
            ORDER.check(order.status, "accept")
        if not policy.can_accept_order(actor, order):
            raise PermissionDenied(N_("Only the project's purchaser accepts its orders."))
        ORDER.apply(Order, order.id, "accept", accepted_at=now, accepted_by_id=getattr(actor, "id", None),
                    updated_at=now)
        db.session.refresh(order)
        audit.record("orders.accept", order, after={"status": order.status}, actor=actor)
        project = lock_project(order.project_id)
        append_record(project, "order_accepted", {"order": order.reference, "total_fen": order.total_fen},
                      actor=actor, action="orders.record")
    return order


def get_order(order_id) -> Order:
    oid = _as_int(order_id)
    order = db.session.get(Order, oid) if oid is not None else None
    if order is None:
        raise NotFound(N_("No such order."))
    return order


def visible_order(actor, order_id) -> Order:
    order = get_order(order_id)
    if not policy.can_view_order(actor, order):
        raise NotFound(N_("No such order."))
    return order


def counting_orders_of(project_id: int) -> list[Order]:
    """The project's orders that count (not cancelled), oldest first."""
    return list(db.session.execute(select(Order).where(Order.project_id == project_id,
                                                       Order.status.in_(COUNTING_STATES))
                                   .order_by(Order.id)).unique().scalars())


def _as_int(value) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


