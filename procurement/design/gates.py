"""The design stage's exit gates (design -> procurement): the bill of materials is complete,
covered by the edition, buyable green where required, within the optional-kinds share and
within the approved budget. All run, all are reported."""

from __future__ import annotations

from core.i18n import N_
from core.money import format_fen
from procurement import standards as std
from procurement.labels import plural
from procurement.budget.gates import current_budget
from procurement.design.requirements import candidates_for, compliant_products
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
    """Line numbers for a message (the categories are in the check's details, by code)."""
    return ", ".join(str(m["line_no"]) for m in missing)


def bill_not_empty(ctx):
    """The bill of materials has at least one line."""
    n = len(current_lines(ctx))
    if not n:
        return failed(N_("The bill of materials is empty."))
    return passed(plural(n, N_("%(n)s bill line."), N_("%(n)s bill lines.")), {"n": n}, lines=n)


def categories_in_edition(ctx):
    """Every line's category is part of the project's demand-standard edition."""
    unknown = [ln.line_no for ln in current_lines(ctx) if std.requirement_level(ctx.project, ln.category) is None]
    if unknown:
        return failed(plural(len(unknown), N_("Line %(lines)s uses a category the edition does not cover."),
                             N_("Lines %(lines)s use categories the edition does not cover.")),
                      {"lines": ", ".join(map(str, unknown))}, lines=unknown)
    return passed(N_("All categories are covered by the edition."))


def _unavailable(ctx, lines):
    """Lines without a compliant product; the candidates of every category of the bill are loaded
    at once, once per check run."""
    candidates = ctx.cached("candidates", lambda: candidates_for(ctx.project, current_lines(ctx)))
    out = []
    for line in lines:
        if not compliant_products(ctx.project, line, limit=1, candidates=candidates[line.category_id]):
            out.append({"line_no": line.line_no, "category": line.category.code})
    return out


def mandatory_green_available(ctx):
    """Every mandatory category in the bill has a compliant green product listed for the city."""
    lines = _level_lines(ctx, std.MANDATORY)
    missing = _unavailable(ctx, lines)
    if missing:
        return failed(plural(len(missing), N_("No compliant green product is listed for mandatory line %(lines)s."),
                             N_("No compliant green product is listed for mandatory lines %(lines)s.")),
                      {"lines": _line_names(missing)}, lines=missing)
    return passed(plural(len(lines), N_("%(n)s mandatory line has compliant green products."),
                         N_("%(n)s mandatory lines have compliant green products.")), {"n": len(lines)},
                  mandatory_lines=len(lines))


def optional_green_available(ctx):
    """Every optional line that requires a green product has one listed for the city."""
    lines = [ln for ln in _level_lines(ctx, std.OPTIONAL) if ln.green_required]
    missing = _unavailable(ctx, lines)
    if missing:
        return failed(plural(len(missing), N_("No compliant green product is listed for line %(lines)s."),
                             N_("No compliant green product is listed for lines %(lines)s.")),
                      {"lines": _line_names(missing)}, lines=missing)
    return passed(plural(len(lines), N_("%(n)s optional green line has compliant products."),
                         N_("%(n)s optional green lines have compliant products.")), {"n": len(lines)})


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
        return passed(N_("Green optional material kinds: %(covered)s of %(total)s (at least %(required)s needed, "
                         "%(share)s)."), params, **details)
    return failed(N_("Green optional material kinds: only %(covered)s of %(total)s; the edition requires "
                     "%(share)s, i.e. at least %(required)s."), params, **details)


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
