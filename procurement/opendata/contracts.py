"""Contracts and their implementation, from the agreements (AGR), orders, deliveries (DEL) and
supplier payments (acceptance).

- A **contract** (`Agreement.kind == "contract"`) appears in its tender's process once it is
  published (`published_at`): value, period, signature date, the per-project quantities as items.
- Its **implementation**: each decided delivery (accepted or rejected) is a milestone of type
  delivery; each supplier payment a transaction (payer the project's purchaser, payee the
  supplier), each from the moment it happened.
- A **framework agreement**'s call-off orders are processes of their own (`calloffs`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.extensions import db
from core.models import Organisation
from core.timeutil import CHINA
from procurement.acceptance.models import SupplierPayment
from procurement.agreements.models import Agreement
from procurement.agreements.states import CANCELLED, EXPIRED, TERMINATED
from procurement.deliveries.models import Delivery
from procurement.deliveries.states import ACCEPTED, REJECTED
from procurement.opendata import values as V
from procurement.orders.models import Order
from procurement.orders.states import CANCELLED as ORDER_CANCELLED

CONTRACT = "contract"
FRAMEWORK = "framework"
CONTRACT_STATUS = {CANCELLED: "cancelled", EXPIRED: "terminated", TERMINATED: "terminated"}


def day_start(day: dt.date) -> dt.datetime:
    """00:00 China time of a calendar day (agreements' validity and payment days are China dates)."""
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=CHINA)


def day_end(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=CHINA)


class Implementation:
    """The deliveries and payments of some orders, loaded once, read at any moment."""

    def __init__(self, order_ids: list[int]):
        self.deliveries = list(db.session.execute(
            select(Delivery).where(Delivery.order_id.in_(order_ids), Delivery.status.in_((ACCEPTED, REJECTED)),
                                   Delivery.decided_at.is_not(None)).order_by(Delivery.id)).unique().scalars()) \
            if order_ids else []
        self.payments = list(db.session.execute(
            select(SupplierPayment).where(SupplierPayment.order_id.in_(order_ids))
            .order_by(SupplierPayment.id)).unique().scalars()) if order_ids else []

    def events(self, not_before: dt.datetime, prefix: str = "") -> list[tuple]:
        out = [(f"{prefix}delivery-{d.id}", max(d.decided_at, not_before), ("implementation",))
               for d in self.deliveries]
        out += [(f"{prefix}payment-{p.id}", max(p.recorded_at, not_before), ("implementation",))
                for p in self.payments]
        return out

    def section(self, order_ids, parties: V.Parties, orgs: dict, payer_of, as_of: dt.datetime,
                not_before: dt.datetime) -> dict:
        """The implementation of the orders `order_ids` as of `as_of`: milestones, transactions."""
        milestones = []
        for d in self.deliveries:
            if d.order_id not in order_ids or max(d.decided_at, not_before) > as_of:
                continue
            milestones.append({"id": f"delivery-{d.id}", "title": f"{d.reference} {d.batch_number}".strip(),
                               "type": "delivery", "status": "met" if d.status == ACCEPTED else "notMet",
                               "dueDate": V.iso(day_start(d.delivered_on)), "dateMet": V.iso(d.decided_at),
                               "dateModified": V.iso(d.decided_at)})
        transactions = []
        for p in self.payments:
            if p.order_id not in order_ids or max(p.recorded_at, not_before) > as_of:
                continue
            tx = {"id": f"payment-{p.id}", "date": V.iso(day_start(p.paid_on)), "value": V.amount(p.paid_fen)}
            payer = payer_of(p.order_id)
            if payer is not None:
                tx["payer"] = parties.add(payer, "payer")
            if p.supplier_org_id in orgs:
                tx["payee"] = parties.add(orgs[p.supplier_org_id], "payee")
            transactions.append(tx)
        out = {}
        if milestones:
            out["milestones"] = milestones
        if transactions:
            out["transactions"] = transactions
        return out


def _orgs(ids) -> dict:
    ids = {i for i in ids if i is not None}
    return {o.id: o for o in db.session.execute(select(Organisation).where(Organisation.id.in_(ids))).scalars()} \
        if ids else {}


class ContractFacts:
    """The published contracts (not framework agreements) of one tender and their orders."""

    def __init__(self, facts):
        self.facts = facts
        self.agreements = list(db.session.execute(
            select(Agreement).where(Agreement.tender_id == facts.tender.id, Agreement.kind == CONTRACT,
                                    Agreement.published_at.is_not(None)).order_by(Agreement.id)).unique().scalars())
        ids = [a.id for a in self.agreements]
        self.orders = list(db.session.execute(select(Order).where(Order.agreement_id.in_(ids), Order.status
                                                                  != ORDER_CANCELLED).order_by(Order.id))
                           .unique().scalars()) if ids else []
        self.implementation = Implementation([o.id for o in self.orders])
        self.orgs = _orgs([s.supplier_org_id for a in self.agreements for s in a.suppliers]
                          + [o.supplier_org_id for o in self.orders]
                          + [o.project.purchaser_org_id for o in self.orders if o.project is not None])

    def _payer(self, order_id):
        order = next((o for o in self.orders if o.id == order_id), None)
        return self.orgs.get(order.project.purchaser_org_id) if order is not None and order.project else None

    def events(self) -> list[tuple]:
        out = []
        for a in self.agreements:
            out.append((f"contract-{a.id}", a.published_at, ("contract",)))
            orders = {o.id for o in self.orders if o.agreement_id == a.id}
            imp = Implementation.__new__(Implementation)
            imp.deliveries = [d for d in self.implementation.deliveries if d.order_id in orders]
            imp.payments = [p for p in self.implementation.payments if p.order_id in orders]
            out += imp.events(a.published_at, prefix=f"contract-{a.id}-")
        return out

    def add_sections(self, release: dict, parties: V.Parties, as_of: dt.datetime) -> None:
        contracts = [self.contract(a, parties, as_of) for a in self.agreements if a.published_at <= as_of]
        if contracts:
            release["contracts"] = contracts

    def contract(self, a: Agreement, parties: V.Parties, as_of: dt.datetime) -> dict:
        price = a.suppliers[0].unit_price_fen if a.suppliers else None
        out = {"id": a.reference, "awardID": f"award-{a.award_id}", "title": a.title,
               "status": CONTRACT_STATUS.get(a.status, "active"),
               "period": {"startDate": V.iso(day_start(a.valid_from)), "endDate": V.iso(day_end(a.valid_until))},
               "items": [{"id": f"quota-{q.id}", "description": q.project.code if q.project else str(q.project_id),
                          "quantity": V.quantity(q.quantity_milli), "unit": V.unit(a.unit, price),
                          "relatedLot": str(a.lot_id)} for q in a.quotas]}
        if price is not None:
            out["value"] = V.amount(price * a.total_quantity_milli // 1000)
        if a.signed_at is not None:
            out["dateSigned"] = V.iso(a.signed_at)
        for s in a.suppliers:
            if s.supplier_org_id in self.orgs:
                parties.add(self.orgs[s.supplier_org_id], "supplier")
        orders = {o.id for o in self.orders if o.agreement_id == a.id}
        implementation = self.implementation.section(orders, parties, self.orgs, self._payer, as_of, a.published_at)
        if implementation:
            out["implementation"] = implementation
        return out
