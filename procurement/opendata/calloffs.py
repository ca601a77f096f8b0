"""Call-offs under a framework agreement: each confirmed order is a process of its own (its
ocid from the order's reference), linked to the framework's process by `relatedProcesses`
(relationship ``framework``). Public once the framework agreement is published and the supplier
confirmed the order.

| key | date | tag |
|---|---|---|
| ``calloff`` | order confirmed | award, contract |
| ``delivery-N``, ``payment-N`` | decided / recorded | implementation |
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.extensions import db
from procurement.agreements.models import Agreement
from procurement.opendata import contracts
from procurement.opendata import values as V
from procurement.orders.models import Order
from procurement.orders.states import CANCELLED, MINI_COMPETITION
from procurement.tendering.models import Tender


def is_public(order: Order) -> bool:
    agreement = order.agreement
    return (agreement is not None and agreement.kind == contracts.FRAMEWORK and agreement.published_at is not None
            and order.confirmed_at is not None)


class CallOff:
    """One call-off order's public facts."""

    process_type = "order"

    def __init__(self, order: Order):
        self.order = order
        self.agreement: Agreement = order.agreement
        self.ocid = V.ocid_for(order.reference)
        self.implementation = contracts.Implementation([order.id])
        purchaser = order.project.purchaser_org_id if order.project is not None else None
        self.orgs = contracts._orgs([order.supplier_org_id, purchaser, self.agreement.centre_org_id])
        self.purchaser = self.orgs.get(purchaser)
        self.start = max(order.confirmed_at, self.agreement.published_at)

    @property
    def process_id(self) -> int:
        return self.order.id

    def candidates(self) -> list[tuple]:
        return sorted([("calloff", self.start, ("award", "contract"))]
                      + self.implementation.events(self.start), key=lambda c: c[1])

    def build(self, key: str, date: dt.datetime, tags) -> dict:
        o, a = self.order, self.agreement
        parties = V.Parties()
        tender = db.session.get(Tender, a.tender_id)
        parent = tender.reference if tender is not None else None
        release = {"ocid": self.ocid, "id": f"{self.ocid}-{key}", "date": V.iso(date), "tag": list(tags),
                   "initiationType": "tender", "language": "zh"}
        if self.purchaser is not None:
            release["buyer"] = parties.add(self.purchaser, "buyer")
        supplier = self.orgs.get(o.supplier_org_id)
        items = [{"id": f"order-line-{line.id}", "description": o.project.code if o.project else "",
                  "quantity": V.quantity(line.quantity_milli), "unit": V.unit(line.unit, line.unit_price_fen)}
                 for line in o.lines]
        status = "cancelled" if o.status == CANCELLED else "complete"
        release["tender"] = {"id": o.reference, "title": a.title, "status": status,
                             "procurementMethod": "selective" if o.selection_method == MINI_COMPETITION else "limited",
                             "procurementMethodDetails": f"call_off:{o.selection_method}",
                             "mainProcurementCategory": "goods", "items": items}
        centre = self.orgs.get(a.centre_org_id)
        if centre is not None:
            release["tender"]["procuringEntity"] = parties.add(centre, "procuringEntity")
        award = {"id": f"award-{o.reference}", "status": "cancelled" if o.status == CANCELLED else "active",
                 "date": V.iso(self.start), "value": V.amount(o.total_fen), "items": items}
        if supplier is not None:
            award["suppliers"] = [parties.add(supplier, "supplier")]
        release["awards"] = [award]
        contract = {"id": o.reference, "awardID": award["id"], "title": a.title,
                    "status": "cancelled" if o.status == CANCELLED else "active", "value": V.amount(o.total_fen),
                    "dateSigned": V.iso(o.confirmed_at), "items": items}
        implementation = self.implementation.section({o.id}, parties, self.orgs, lambda _id: self.purchaser, date,
                                                     self.start)
        if implementation:
            contract["implementation"] = implementation
        release["contracts"] = [contract]
        if parent:
            release["relatedProcesses"] = [{"id": "framework", "relationship": ["framework"], "scheme": "ocid",
                                            "identifier": V.ocid_for(parent), "title": a.title}]
        release["parties"] = parties.as_list()
        return release


def load(order_id: int) -> CallOff | None:
    order = db.session.get(Order, int(order_id))
    if order is None or not is_public(order):
        return None
    return CallOff(order)


def framework_ids() -> list[int]:
    """The published framework agreements."""
    return list(db.session.execute(select(Agreement.id).where(Agreement.kind == contracts.FRAMEWORK,
                                                              Agreement.published_at.is_not(None))).scalars())


def orders_of_framework(agreement_ids) -> list[int]:
    ids = list(agreement_ids)
    if not ids:
        return []
    return list(db.session.execute(select(Order.id).where(Order.agreement_id.in_(ids))).scalars())
