"""The design stage's exit gates (design -> procurement): the bill of materials is complete,
covered by the edition, buyable green where required, within the optional-kinds share and
within the approved budget. All run, all are reported."""

from __future__ import annotations

from core.i18n import N_
from core.money import format_fen
from procurement import standards as std
from procurement.budget.gates import current_budget
from procurement.design.requirements import compliant_products, listed_passing
from procurement.design.services import bill_lines
from procurement.design.share import format_share, optional_share_ok
from procurement.machine.gates import failed, passed
from procurement.machine.stages import DESIGN, PROCUREMENT


def current_lines(ctx):
    """The bill lines, loaded once per gate run."""
    return ctx.cached("lines", lambda: bill_lines(ctx.project.id))


def _level_lines(ctx, level):
    return [ln for ln in current_lines(ctx) if std.requirement_level(ctx.project, ln.category) == level]


def _line_names(missing) -> str:
    return ", ".join(f"{m['line_no']} ({m['category']})" for m in missing)


def bill_not_empty(ctx):
    """The bill of materials has at least one line."""
    n = len(current_lines(ctx))
    return passed(N_("%(n)s bill line(s)."), {"n": n}, lines=n) if n else failed(N_("The bill of materials is empty."))


def categories_in_edition(ctx):
    """Every line's category is part of the project's demand-standard edition."""
    unknown = [ln.line_no for ln in current_lines(ctx) if std.requirement_level(ctx.project, ln.category) is None]
    if unknown:
        return failed(N_("Lines %(lines)s use categories the edition does not cover."),
                      {"lines": ", ".join(map(str, unknown))}, lines=unknown)
    return passed(N_("All categories are covered by the edition."))


def _unavailable(ctx, lines):
    """Lines without a compliant product; candidates are loaded once per category per check run."""
    cache = ctx.cached("candidates", dict)
    out = []
    for line in lines:
        if line.category_id not in cache:
            cache[line.category_id] = listed_passing(ctx.project, line.category_id)
        if not compliant_products(ctx.project, line, limit=1, candidates=cache[line.category_id]):
            out.append({"line_no": line.line_no, "category": line.category.code})
    return out


def mandatory_green_available(ctx):
    """Every mandatory category in the bill has a compliant green product listed for the city."""
    lines = _level_lines(ctx, std.MANDATORY)
    missing = _unavailable(ctx, lines)
    if missing:
        return failed(N_("No compliant green product is listed for mandatory line(s) %(lines)s."),
                      {"lines": _line_names(missing)}, lines=missing)
    return passed(N_("%(n)s mandatory line(s) have compliant green products."), {"n": len(lines)},
                  mandatory_lines=len(lines))


def optional_green_available(ctx):
    """Every optional line that requires a green product has one listed for the city."""
    lines = [ln for ln in _level_lines(ctx, std.OPTIONAL) if ln.green_required]
    missing = _unavailable(ctx, lines)
    if missing:
        return failed(N_("No compliant green product is listed for line(s) %(lines)s."),
                      {"lines": _line_names(missing)}, lines=missing)
    return passed(N_("%(n)s optional green line(s) have compliant products."), {"n": len(lines)})


def optional_share(ctx):
    """Green requirements cover at least the edition's share of the optional material kinds used."""
    optional = {ln.category.code for ln in _level_lines(ctx, std.OPTIONAL)}
    covered = {ln.category.code for ln in _level_lines(ctx, std.OPTIONAL) if ln.green_required}
    result = optional_share_ok(covered, optional, std.optional_share(ctx.project))
    details = result.to_dict()
    params = {"covered": result.covered, "total": result.total, "required": result.required_kinds,
              "share": format_share(result.required_share)}
    if result.ok and not result.total:
        return passed(N_("No optional material kinds in the bill."), **details)
    if result.ok:
        return passed(N_("%(covered)s of %(total)s optional kinds are green (at least %(required)s needed, "
                         "%(share)s)."), params, **details)
    return failed(N_("Only %(covered)s of %(total)s optional kinds are green; the edition requires %(share)s, "
                     "i.e. at least %(required)s."), params, **details)


def bill_within_budget(ctx):
    """The bill's estimated total does not exceed the approved budget."""
    budget = current_budget(ctx)
    total = sum(ln.total_fen for ln in current_lines(ctx))
    if budget is None or not budget.is_approved:
        return failed(N_("There is no approved budget to check the bill against."), bill_total_fen=total)
    amounts = {"total": format_fen(total), "budget": format_fen(budget.total_fen),
               "over": format_fen(total - budget.total_fen)}
    if total > budget.total_fen:
        return failed(N_("The bill total %(total)s exceeds the approved budget %(budget)s by %(over)s."), amounts,
                      bill_total_fen=total, budget_fen=budget.total_fen)
    return passed(N_("Bill total %(total)s within the approved budget %(budget)s."), amounts,
                  bill_total_fen=total, budget_fen=budget.total_fen)


GATES = (  # (check, order)
    (bill_not_empty, 10), (categories_in_edition, 15), (mandatory_green_available, 20),
    (optional_green_available, 25), (optional_share, 30), (bill_within_budget, 40),
)


def register(hooks) -> None:
    """Add this capability's gates to the app's stage machine."""
    for check, order in GATES:
        hooks.add_gate(DESIGN, PROCUREMENT, check, order=order)
