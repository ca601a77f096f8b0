"""The checks of a call-off order that the agreement's fixed data decides (its city, status and
validity, the chosen supplier, a mini-competition's winner) and the idempotent replay's comparison.
Pure reads: `placing` runs them before taking any lock and again on the locked agreement row."""

from __future__ import annotations

import datetime as dt

from core.errors import Conflict, ValidationError
from core.extensions import db
from core.i18n import N_, Term
from procurement.agreements.models import Agreement
from procurement.agreements.policy import china_day
from procurement.agreements.states import IN_FORCE_STATES
from procurement.orders.models import Order
from procurement.orders.states import MINI_COMPETITION
from procurement.projects.models import Project


def same_request(order: Order, agreement_id: int, lines: list[dict]) -> bool:
    """The stored order asks for the same agreement and lines as this request."""
    have = sorted((line.bom_line_id, line.quantity_milli) for line in order.lines)
    want = sorted((line["bom_line_id"], line["quantity_milli"]) for line in lines)
    return order.agreement_id == agreement_id and have == want


def check_agreement(agreement: Agreement, project: Project, now: dt.datetime) -> None:
    """The agreement is of the project's city, in force and valid on the China day of `now`."""
    if agreement.city_id != project.city_id:
        raise Conflict(N_("Agreement %(reference)s belongs to another city: project %(project)s cannot order "
                          "from it."), reference=agreement.reference, project=project.code)
    if agreement.status not in IN_FORCE_STATES:
        raise Conflict(N_("Agreement %(reference)s is %(status)s: no orders can be placed on it."),
                       reference=agreement.reference, status=Term(agreement.status))
    day = china_day(now)
    if day > agreement.valid_until:
        raise Conflict(N_("Agreement %(reference)s expired on %(date)s: no orders can be placed on it."),
                       reference=agreement.reference, date=agreement.valid_until.isoformat())
    if day < agreement.valid_from:
        raise Conflict(N_("Agreement %(reference)s is valid from %(date)s only."),
                       reference=agreement.reference, date=agreement.valid_from.isoformat())


def choose_supplier(agreement: Agreement, supplier_org_id, method: str):
    """The agreement's supplier the order goes to (the only one, or the one chosen)."""
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


def mini_competition(agreement: Agreement, project: Project, negotiation_id: int, supplier_org_id):
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
