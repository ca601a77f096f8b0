"""The budget stage's exit gate (budget -> design): the finance office's approval."""

from __future__ import annotations

from core.i18n import N_, Term
from core.money import format_fen
from procurement.budget.services import load_budget, reopen_after_design_return
from procurement.machine.gates import failed, passed
from procurement.machine.stages import BUDGET, DESIGN, RETURN


def current_budget(ctx):
    """The project's budget, loaded once per gate run (other capabilities' gates use it too)."""
    return ctx.cached("budget", lambda: load_budget(ctx.project.id))


def budget_approved(ctx):
    """The city's finance office has approved the budget."""
    budget = current_budget(ctx)
    if budget is None:
        return failed(N_("No budget has been submitted."))
    if not budget.is_approved:
        return failed(N_("The budget is %(status)s, not approved."), {"status": Term(budget.status)},
                      status=budget.status)
    return passed(N_("Budget of %(total)s approved."), {"total": format_fen(budget.total_fen)},
                  total_fen=budget.total_fen)


def register(hooks) -> None:
    """Add this capability's gates and effects to the app's stage machine."""
    hooks.add_gate(BUDGET, DESIGN, budget_approved, order=10)
    hooks.add_effect(DESIGN, BUDGET, RETURN, reopen_after_design_return)
