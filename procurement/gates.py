"""Gate checks of the budget and design stages, registered with the stage machine.

Later stages add their own module with ``@gate(...)`` functions; nothing here changes.
Each check receives a ``procurement.services.transitions.GateContext``.
"""

from __future__ import annotations

from procurement import standards as std
from procurement.quantities import format_fen
from procurement.share import format_share, optional_share_ok
from procurement.stages import BUDGET, DESIGN, PROCUREMENT, failed, gate, passed


@gate(BUDGET, DESIGN, name="budget_approved", order=10)
def budget_approved(ctx):
    """The city's finance office has approved the budget."""
    budget = ctx.budget
    if budget is None:
        return failed("No budget has been submitted.")
    if budget.status != "approved":
        return failed(f"The budget is {budget.status}, not approved.", status=budget.status)
    return passed(f"Budget of CNY {format_fen(budget.total_fen)} approved.", total_fen=budget.total_fen)


@gate(DESIGN, PROCUREMENT, name="bill_not_empty", order=10)
def bill_not_empty(ctx):
    """The bill of materials has at least one line."""
    n = len(ctx.lines)
    return passed(f"{n} bill line(s).", lines=n) if n else failed("The bill of materials is empty.")


@gate(DESIGN, PROCUREMENT, name="categories_in_edition", order=15)
def categories_in_edition(ctx):
    """Every line's category is part of the project's demand-standard edition."""
    unknown = [line.line_no for line in ctx.lines if std.requirement_level(ctx.project, line.category) is None]
    if unknown:
        return failed(f"Lines {', '.join(map(str, unknown))} use categories the edition does not cover.",
                      lines=unknown)
    return passed("All categories are covered by the edition.")


def _unavailable(ctx, lines):
    """Lines without a compliant product; candidates are loaded once per category per check run."""
    from procurement.services.design import compliant_products, listed_passing

    cache = ctx.__dict__.setdefault("_candidates", {})
    out = []
    for line in lines:
        if line.category_id not in cache:
            cache[line.category_id] = listed_passing(ctx.project, line.category_id)
        if not compliant_products(ctx.project, line, limit=1, candidates=cache[line.category_id]):
            out.append({"line_no": line.line_no, "category": line.category.code})
    return out


@gate(DESIGN, PROCUREMENT, name="mandatory_green_available", order=20)
def mandatory_green_available(ctx):
    """Every mandatory category in the bill has a compliant green product listed for the city."""
    lines = [ln for ln in ctx.lines if std.requirement_level(ctx.project, ln.category) == std.MANDATORY]
    missing = _unavailable(ctx, lines)
    if missing:
        names = ", ".join(f"line {m['line_no']} ({m['category']})" for m in missing)
        return failed(f"No compliant green product is listed for mandatory {names}.", lines=missing)
    return passed(f"{len(lines)} mandatory line(s) have compliant green products.", mandatory_lines=len(lines))


@gate(DESIGN, PROCUREMENT, name="optional_green_available", order=25)
def optional_green_available(ctx):
    """Every optional line that requires a green product has one listed for the city."""
    lines = [ln for ln in ctx.lines
             if ln.green_required and std.requirement_level(ctx.project, ln.category) == std.OPTIONAL]
    missing = _unavailable(ctx, lines)
    if missing:
        names = ", ".join(f"line {m['line_no']} ({m['category']})" for m in missing)
        return failed(f"No compliant green product is listed for {names}.", lines=missing)
    return passed(f"{len(lines)} optional green line(s) have compliant products.")


@gate(DESIGN, PROCUREMENT, name="optional_share", order=30)
def optional_share(ctx):
    """Green requirements cover at least the edition's share of the optional material kinds used."""
    optional, covered = set(), set()
    for ln in ctx.lines:
        if std.requirement_level(ctx.project, ln.category) == std.OPTIONAL:
            optional.add(ln.category.code)
            if ln.green_required:
                covered.add(ln.category.code)
    share = std.optional_share(ctx.project)
    result = optional_share_ok(covered, optional, share)
    details = result.to_dict()
    if result.ok:
        if not result.total:
            return passed("No optional material kinds in the bill.", **details)
        return passed(f"{result.covered} of {result.total} optional kinds are green "
                      f"(at least {result.required_kinds} needed, {format_share(result.required_share)}).", **details)
    return failed(f"Only {result.covered} of {result.total} optional kinds are green; the edition requires "
                  f"{format_share(result.required_share)}, i.e. at least {result.required_kinds}.", **details)


@gate(DESIGN, PROCUREMENT, name="bill_within_budget", order=40)
def bill_within_budget(ctx):
    """The bill's estimated total does not exceed the approved budget."""
    budget = ctx.budget
    total = sum(ln.total_fen for ln in ctx.lines)
    if budget is None or budget.status != "approved":
        return failed("There is no approved budget to check the bill against.", bill_total_fen=total)
    if total > budget.total_fen:
        return failed(f"The bill total CNY {format_fen(total)} exceeds the approved budget "
                      f"CNY {format_fen(budget.total_fen)} by CNY {format_fen(total - budget.total_fen)}.",
                      bill_total_fen=total, budget_fen=budget.total_fen)
    return passed(f"Bill total CNY {format_fen(total)} within the approved budget CNY {format_fen(budget.total_fen)}.",
                  bill_total_fen=total, budget_fen=budget.total_fen)
