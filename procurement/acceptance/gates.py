"""The last two exits of the loop.

construction -> acceptance: every ordered quantity delivered and accepted on site (and no
delivery still waiting for a decision or a lab report), and no rectification notice open.

acceptance -> closed: the acceptance checklist signed off by the acceptance inspector, and every
supplier paid what its order is due (the quality retention withheld counts as settled).

All checks run and all are reported (`procurement.machine.gates`).
"""

from __future__ import annotations

from sqlalchemy import select

from core.extensions import db
from core.i18n import N_, Term
from core.money import format_fen
from procurement.acceptance import figures
from procurement.acceptance import inspections as ins
from procurement.acceptance.states import SIGNED
from procurement.labels import plural
from procurement.machine.gates import failed, passed
from procurement.machine.stages import ACCEPTANCE, CLOSED, CONSTRUCTION
from procurement.quantities import format_quantity


def _orders(ctx):
    return ctx.cached("acceptance_orders", lambda: figures.project_orders(ctx.project.id))


def _accepted(ctx):
    return ctx.cached("acceptance_accepted", lambda: figures.accepted_by_order_line(ctx.project.id))


def ordered_quantities_accepted(ctx):
    """Every ordered quantity has been delivered and accepted on site."""
    orders = _orders(ctx)
    if not orders:
        return failed(N_("No order has been placed for this project."))
    accepted = _accepted(ctx)
    short = [{"order": o.reference, "order_line_id": line.id, "ordered_milli": line.quantity_milli,
              "accepted_milli": accepted.get(line.id, 0)}
             for o in orders for line in o.lines if accepted.get(line.id, 0) < line.quantity_milli]
    if short:
        first = short[0]
        return failed(plural(len(short), N_("%(n)s order line is not accepted in full yet (order %(order)s: "
                                            "%(accepted)s of %(ordered)s accepted)."),
                             N_("%(n)s order lines are not accepted in full yet (first: order %(order)s, "
                                "%(accepted)s of %(ordered)s accepted).")),
                      {"n": len(short), "order": first["order"], "accepted": format_quantity(first["accepted_milli"]),
                       "ordered": format_quantity(first["ordered_milli"])}, lines=short)
    n = sum(len(o.lines) for o in orders)
    return passed(plural(n, N_("%(n)s order line delivered and accepted in full."),
                         N_("%(n)s order lines delivered and accepted in full.")), {"n": n}, lines=n)


def no_pending_deliveries(ctx):
    """No delivery waits for the site manager's decision or a lab report."""
    pending = figures.pending_deliveries(ctx.project.id)
    if pending:
        return failed(plural(len(pending), N_("Delivery %(refs)s waits for a decision or a lab report."),
                             N_("Deliveries %(refs)s wait for a decision or a lab report.")),
                      {"refs": ", ".join(d.reference for d in pending[:5])},
                      deliveries=[d.reference for d in pending])
    return passed(N_("No delivery is waiting for a decision or a lab report."))


def no_open_rectifications(ctx):
    """No rectification notice of the project is still open (open, answered or escalated)."""
    open_ = ins.open_rectifications(ctx.project.id)
    if open_:
        refs = [str(ins.field(r, "reference", "")) for r in open_]
        return failed(plural(len(open_), N_("Rectification %(refs)s is not closed."),
                             N_("Rectifications %(refs)s are not closed.")), {"refs": ", ".join(refs[:5])},
                      rectifications=refs)
    return passed(N_("No rectification is open."))


def checklist_signed_off(ctx):
    """The acceptance inspector has signed off the acceptance checklist."""
    from procurement.acceptance.models import AcceptanceChecklist

    checklist = db.session.execute(select(AcceptanceChecklist)
                                   .where(AcceptanceChecklist.project_id == ctx.project.id)).scalar_one_or_none()
    if checklist is None:
        return failed(N_("No acceptance checklist has been generated."))
    if checklist.status != SIGNED:
        return failed(N_("The acceptance checklist is %(status)s, not signed off."), {"status": Term(checklist.status)})
    return passed(N_("The acceptance checklist was signed off."), signed_by_id=checklist.signed_by_id)


def suppliers_paid(ctx):
    """Each order's supplier has been paid what the order is due (retention withheld included)."""
    orders = _orders(ctx)
    if not orders:
        return failed(N_("No order has been placed for this project."))
    accepted, paid = _accepted(ctx), figures.paid_by_order(ctx.project.id)
    owing = []
    for order in orders:
        due = figures.due_fen(order, accepted)
        settled = paid.get(order.id, figures.Paid()).amount_fen
        if settled < due:
            owing.append({"order": order.reference, "due_fen": due, "settled_fen": settled})
    if owing:
        first = owing[0]
        return failed(plural(len(owing), N_("%(n)s order is not paid in full (order %(order)s: %(settled)s of "
                                            "%(due)s)."),
                             N_("%(n)s orders are not paid in full (first: order %(order)s, %(settled)s of "
                                "%(due)s).")),
                      {"n": len(owing), "order": first["order"], "settled": format_fen(first["settled_fen"]),
                       "due": format_fen(first["due_fen"])}, orders=owing)
    return passed(plural(len(orders), N_("%(n)s order paid in full."), N_("%(n)s orders paid in full.")),
                  {"n": len(orders)})


def register(hooks) -> None:
    """Add this capability's gates to the app's stage machine."""
    hooks.add_gate(CONSTRUCTION, ACCEPTANCE, ordered_quantities_accepted, order=10)
    hooks.add_gate(CONSTRUCTION, ACCEPTANCE, no_pending_deliveries, order=20)
    hooks.add_gate(CONSTRUCTION, ACCEPTANCE, no_open_rectifications, order=30)
    hooks.add_gate(ACCEPTANCE, CLOSED, checklist_signed_off, order=10)
    hooks.add_gate(ACCEPTANCE, CLOSED, suppliers_paid, order=20)
