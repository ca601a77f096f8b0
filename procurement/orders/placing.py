"""Placing a call-off order: within the project's quota and the agreement's total, at the
agreement price, once per request id.

Concurrent orders on one agreement queue on its row, so the time each holds that lock is the
agreement's throughput. The use case is therefore in two phases:

1. **Unlocked** (reads of committed rows): the project and the actor's right, a retry of a request
   already committed (answered with its order), the agreement with its suppliers, the project's
   quotas and the supplier's people to notify; every check that static data decides (city, status
   and validity, supplier, mini-competition, price, bill lines, quota size) and the sums as last
   committed. A refusal here takes no lock: refusing on committed data is what a locked check
   would have answered just before the rows last changed.
2. **Locked, in a fixed order** (the order of `cancel_order` and of signing): the project row (it
   serialises one project's requests and guards its record chain), the request id again (before
   the agreement is locked), then the project's quota rows *and* the agreement row in one
   ``SELECT ... FOR UPDATE``; status,
   validity, quotas and total are checked again on the locked values, then the writes. The audit
   chain's head is taken last, by the audit events.

The CHECK constraints on the running sums and the unique (project, request_id) key stay the last
guards. `tests/procurement/orders/test_order_query_count.py` pins the statement counts.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload, lazyload

from core import audit
from core.errors import Conflict, NotFound, PermissionDenied
from core.extensions import db
from core.i18n import N_, Term
from core.money import format_fen
from core.notifications import notify, recipients_in
from core.services import unit_of_work
from core.timeutil import utcnow
from procurement.agreements.models import Agreement, AgreementQuota, AgreementSupplier
from procurement.agreements.policy import SUPPLIER_RECIPIENTS
from procurement.orders.checks import check_agreement, choose_supplier, mini_competition, same_request
from procurement.orders.inputs import clean_order
from procurement.orders.models import Order, OrderLine
from procurement.orders.states import MINI_COMPETITION, PLACED
from procurement.projects.models import Project
from procurement.quantities import format_quantity, line_total_fen
from procurement.records.services import append_record, lock_project


def as_int(value) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def existing_order(project_id: int, request_id: str) -> Order | None:
    """The project's order of this request id, as committed."""
    return db.session.execute(select(Order).where(Order.project_id == project_id, Order.request_id == request_id)
                              .execution_options(populate_existing=True)).unique().scalar_one_or_none()


#: Only the rows the checks read: not the lot, city, centre, the suppliers' firms or the quotas'
#: projects the models load by default (the project is in the session already).
_LEAN = (lazyload(Agreement.lot), lazyload(Agreement.city), lazyload(Agreement.centre))


def _read(agreement_id, project_id: int) -> tuple[Agreement, dict[int, AgreementQuota]]:
    """The agreement with its suppliers and the project's quota rows of it, unlocked: one
    statement; a second one only when the project holds no quota (to say why it is refused)."""
    aid = as_int(agreement_id)
    if aid is None:
        raise NotFound(N_("No such agreement."))
    rows = db.session.execute(
        select(AgreementQuota).join(AgreementQuota.agreement)
        .options(contains_eager(AgreementQuota.agreement).options(
            *_LEAN, joinedload(Agreement.suppliers).options(lazyload(AgreementSupplier.supplier))),
            lazyload(AgreementQuota.project))
        .where(AgreementQuota.agreement_id == aid, AgreementQuota.project_id == project_id)
        .order_by(AgreementQuota.id)).unique().scalars().all()
    if rows:
        return rows[0].agreement, {q.bom_line_id: q for q in rows}
    agreement = db.session.execute(select(Agreement).where(Agreement.id == aid)
                                   .options(joinedload(Agreement.suppliers))).unique().scalar_one_or_none()
    if agreement is None:
        raise NotFound(N_("No such agreement."))
    return agreement, {}


def _lock_quotas(agreement_id: int, project_id: int) -> dict[int, AgreementQuota]:
    """The project's quota rows of the agreement by bill line id with the agreement row, both
    locked (``FOR UPDATE OF`` the two tables) and read afresh: one statement."""
    query = (select(AgreementQuota).join(AgreementQuota.agreement)
             .options(contains_eager(AgreementQuota.agreement).options(*_LEAN), lazyload(AgreementQuota.project))
             .where(AgreementQuota.agreement_id == agreement_id, AgreementQuota.project_id == project_id)
             .order_by(AgreementQuota.id).with_for_update(of=(AgreementQuota, Agreement))
             .execution_options(populate_existing=True))
    return {q.bom_line_id: q for q in db.session.execute(query).unique().scalars()}


def lock_rows(project_id: int, agreement_id: int, request_id: str | None = None):
    """The project row locked, then (unless `request_id` names an order of the project already
    committed: that order) its quota rows of the agreement with the agreement row, locked: the one
    lock order of placing and cancelling. Returns (project, first order or None, quotas)."""
    project = lock_project(project_id)
    first = existing_order(project.id, request_id) if request_id is not None else None
    if first is not None:
        return project, first, {}
    return project, None, _lock_quotas(agreement_id, project_id)


def _check_lines(agreement, project, supplier, quotas, lines) -> int:
    """Every line on a quota of the project, at the agreement price, within the quota and (all
    lines together) the agreement's total, on the sums as read; the total quantity."""
    total = 0
    for line in lines:
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
        total += line["quantity_milli"]
    if agreement.ordered_quantity_milli + total > agreement.total_quantity_milli:
        raise Conflict(N_("The order exceeds the agreement's total: %(remaining)s %(unit)s remain."),
                       remaining=format_quantity(agreement.total_quantity_milli - agreement.ordered_quantity_milli),
                       unit=Term(agreement.unit))
    return total


def _replay(first: Order, agreement_id, clean: dict) -> Order:
    """The same request again: the first order, or a clear conflict when it asked for other lines."""
    if same_request(first, as_int(agreement_id), clean["lines"]):
        return first
    raise Conflict(N_("Request %(request)s was already used for order %(order)s with other lines."),
                   request=clean["request_id"], order=first.reference)


def place_order(actor, agreement_id, project_id, data: dict, *, now: dt.datetime | None = None) -> Order:
    """Place a call-off order for the project on the agreement (see the module text). `data`:
    ``lines`` [{bom_line_id, quantity (text) or quantity_milli, unit_price_fen (optional: must be the
    agreement's)}], ``supplier_org_id`` (needed with several suppliers), ``selection_method``
    (direct | mini_competition), ``selection_note``, ``request_id`` (idempotency key)."""
    from procurement.projects.policy import can_view_project, is_own_purchaser

    now = now or utcnow()
    clean = clean_order(data)
    with unit_of_work(N_("This order was already placed.")):
        # 1. unlocked: who, a committed retry, the agreement, every check static data decides
        pid = as_int(project_id)
        project = db.session.get(Project, pid) if pid is not None else None
        if project is None or not can_view_project(actor, project):
            raise NotFound("No such project.")
        if not is_own_purchaser(actor, project):
            raise PermissionDenied(N_("Only the project's purchaser places its orders."))
        first = existing_order(project.id, clean["request_id"])
        if first is not None:
            return _replay(first, agreement_id, clean)
        agreement, quotas = _read(agreement_id, project.id)
        check_agreement(agreement, project, now)
        supplier_org_id, competed = clean["supplier_org_id"], ""
        if clean["selection_method"] == MINI_COMPETITION:
            supplier_org_id, competed = mini_competition(agreement, project, clean["negotiation_id"], supplier_org_id)
        supplier = choose_supplier(agreement, supplier_org_id, clean["selection_method"])
        if not quotas:
            raise Conflict(N_("Project %(project)s holds no quota in agreement %(reference)s."),
                           project=project.code, reference=agreement.reference)
        _check_lines(agreement, project, supplier, quotas, clean["lines"])
        recipients = recipients_in(supplier.supplier_org_id, *SUPPLIER_RECIPIENTS)
        # 2. locked, in the fixed order; everything checked again on the locked values
        project, first, quotas = lock_rows(project.id, agreement.id, clean["request_id"])
        if first is not None:  # the same request committed while we waited for the project
            return _replay(first, agreement_id, clean)
        check_agreement(agreement, project, now)  # the agreement row was read afresh with the quotas
        total_milli = _check_lines(agreement, project, supplier, quotas, clean["lines"])
        count = db.session.execute(select(func.count()).select_from(Order)
                                   .where(Order.agreement_id == agreement.id)).scalar_one()
        order = Order(reference=f"{agreement.reference}-O{count + 1}", agreement_id=agreement.id,
                      project_id=project.id, supplier_org_id=supplier.supplier_org_id, status=PLACED,
                      request_id=clean["request_id"], selection_method=clean["selection_method"],
                      selection_note=" ".join(x for x in (competed, clean["selection_note"]) if x),
                      negotiation_id=clean["negotiation_id"] if competed else None,
                      total_fen=0, placed_at=now, placed_by_id=getattr(actor, "id", None), updated_at=now,
                      cancel_reason="")
        for line in clean["lines"]:
            quota = quotas[line["bom_line_id"]]
            quota.ordered_milli += line["quantity_milli"]
            amount = line_total_fen(line["quantity_milli"], supplier.unit_price_fen)
            order.total_fen += amount
            order.lines.append(OrderLine(quota_id=quota.id, bom_line_id=quota.bom_line_id,
                                         product_id=supplier.product_id, quantity_milli=line["quantity_milli"],
                                         unit=agreement.unit, unit_price_fen=supplier.unit_price_fen,
                                         amount_fen=amount, delivered_milli=0))
        agreement.ordered_quantity_milli += total_milli
        db.session.add(order)
        audit.record("orders.place", order, after=order.snapshot(), actor=actor)
        append_record(project, "order_placed", {"order": order.reference, "agreement": agreement.reference,
                                                "total_fen": order.total_fen,
                                                "selection_method": order.selection_method},
                      actor=actor, action="orders.record")
        notify(recipients, "order_placed", N_("Order %(reference)s was placed with you."),
               {"reference": order.reference}, email=False)
    return order
