"""The procurement stage's exit gates (procurement -> construction), recomputed on what was
actually bought: signed contracts and call-off orders, not the design's intentions.

- `bill_covered`: every bill line's quantity is covered by a signed contract (its quota) or by
  orders that are not cancelled;
- `bought_products_compliant`: every line that needs a green product (mandatory category, or
  marked green) got products with a passing verdict in the project's city that meet the line's
  effective requirements (the catalog's verdicts through `catalog.interface`);
- `mandatory_bought_green`: the mandatory categories are 100 % green as bought;
- `optional_share_bought`: green products cover at least the edition's share of the optional
  kinds (40 % in the 2025 edition), by `procurement.design.share.optional_share_ok`.

All run, all are reported, each refusal with its reason (the lines concerned).
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

import catalog.interface as catalog
from core.extensions import db
from core.i18n import N_
from procurement import standards as std
from procurement.agreements.models import Agreement, AgreementQuota, AgreementSupplier
from procurement.agreements.states import CONTRACT, EXPIRED, IN_FORCE_STATES
from procurement.design.gates import current_lines
from procurement.design.requirements import effective_rules
from procurement.design.share import format_share, optional_share_ok
from procurement.labels import plural
from procurement.machine.gates import failed, passed
from procurement.machine.stages import CONSTRUCTION, PROCUREMENT
from procurement.orders.models import Order, OrderLine
from procurement.orders.states import COUNTING_STATES
from procurement.quantities import format_quantity

#: A signed contract's quota stays bought after its validity ends.
_BOUGHT_CONTRACT_STATES = (*IN_FORCE_STATES, EXPIRED)


def bought(project_id: int) -> dict[int, list[tuple[int, int]]]:
    """Per bill line id: [(product_id, quantity_milli)] bought by counting orders and by the
    quotas of signed contracts (a contract buys its quota; a framework buys by orders)."""
    out: dict[int, list[tuple[int, int]]] = defaultdict(list)
    rows = db.session.execute(select(OrderLine.bom_line_id, OrderLine.product_id, OrderLine.quantity_milli)
                              .join(Order, Order.id == OrderLine.order_id)
                              .where(Order.project_id == project_id, Order.status.in_(COUNTING_STATES))).all()
    for line_id, product_id, milli in rows:
        out[line_id].append((product_id, milli))
    contracts = db.session.execute(
        select(AgreementQuota.bom_line_id, AgreementQuota.quantity_milli, AgreementQuota.ordered_milli,
               AgreementSupplier.product_id)
        .join(Agreement, Agreement.id == AgreementQuota.agreement_id)
        .join(AgreementSupplier, (AgreementSupplier.agreement_id == Agreement.id) & (AgreementSupplier.rank == 1))
        .where(AgreementQuota.project_id == project_id, Agreement.kind == CONTRACT,
               Agreement.status.in_(_BOUGHT_CONTRACT_STATES))).all()
    for line_id, quota, ordered, product_id in contracts:
        if quota > ordered:  # what its orders did not already count
            out[line_id].append((product_id, quota - ordered))
    return out


def _bought(ctx):
    return ctx.cached("bought", lambda: bought(ctx.project.id))


def _needs_green(ctx, line) -> bool:
    return std.requirement_level(ctx.project, line.category) == std.MANDATORY or bool(line.green_required)


def _compliant(ctx, line, product_id: int) -> bool:
    facts = catalog.product_facts(product_id, ctx.project.city_id)
    return (facts is not None and facts["category_id"] == line.category_id and facts["verdict"] == "pass"
            and catalog.meets(effective_rules(ctx.project, line), facts["offer"]))


def _green_lines(ctx) -> dict[int, bool]:
    """Per bill line id: every product bought for it is compliant with the line (False if none)."""
    def load():
        out = {}
        for line in current_lines(ctx):
            products = {pid for pid, _m in _bought(ctx).get(line.id, [])}
            out[line.id] = bool(products) and all(_compliant(ctx, line, pid) for pid in products)
        return out
    return ctx.cached("green_lines", load)


def _lines(missing) -> str:
    return ", ".join(str(n) for n in missing)


def bill_covered(ctx):
    """Every bill line is covered by a signed contract or by orders, in full."""
    lines = current_lines(ctx)
    if not lines:
        return failed(N_("The bill of materials is empty."))
    short = []
    for line in lines:
        have = sum(m for _p, m in _bought(ctx).get(line.id, []))
        if have < line.quantity_milli:
            short.append({"line_no": line.line_no, "bought": format_quantity(have),
                          "needed": format_quantity(line.quantity_milli)})
    if short:
        first = short[0]
        return failed(plural(len(short), N_("Line %(lines)s is not covered by a signed contract or orders "
                                            "(bought %(bought)s of %(needed)s)."),
                             N_("Lines %(lines)s are not covered by signed contracts or orders (line %(first)s: "
                                "bought %(bought)s of %(needed)s).")),
                      {"lines": _lines(s["line_no"] for s in short), "first": first["line_no"],
                       "bought": first["bought"], "needed": first["needed"]}, lines=short)
    return passed(plural(len(lines), N_("%(n)s bill line is covered by contracts or orders."),
                         N_("%(n)s bill lines are covered by contracts or orders.")), {"n": len(lines)})


def bought_products_compliant(ctx):
    """Every line needing a green product got products compliant with the line."""
    needing = [ln for ln in current_lines(ctx) if _needs_green(ctx, ln)]
    bad = [ln.line_no for ln in needing if _bought(ctx).get(ln.id) and not _green_lines(ctx)[ln.id]]
    if bad:
        return failed(plural(len(bad), N_("The product bought for line %(lines)s does not comply with the line's "
                                          "requirements in this city."),
                             N_("The products bought for lines %(lines)s do not comply with the lines' "
                                "requirements in this city.")), {"lines": _lines(bad)}, lines=bad)
    return passed(plural(len(needing), N_("%(n)s line needing a green product: the products bought comply."),
                         N_("%(n)s lines needing green products: the products bought comply.")), {"n": len(needing)})


def mandatory_bought_green(ctx):
    """Mandatory categories: 100 % of the lines bought green."""
    lines = [ln for ln in current_lines(ctx) if std.requirement_level(ctx.project, ln.category) == std.MANDATORY]
    bad = [ln.line_no for ln in lines if not _green_lines(ctx)[ln.id]]
    if bad:
        return failed(plural(len(bad), N_("Mandatory line %(lines)s was not bought with a compliant green product."),
                             N_("Mandatory lines %(lines)s were not bought with compliant green products.")),
                      {"lines": _lines(bad)}, lines=bad)
    return passed(plural(len(lines), N_("%(n)s mandatory line bought green (100 %%)."),
                         N_("%(n)s mandatory lines bought green (100 %%).")), {"n": len(lines)})


def optional_share_bought(ctx):
    """Green products bought cover at least the edition's share of the optional kinds."""
    optional_lines = [ln for ln in current_lines(ctx) if std.requirement_level(ctx.project, ln.category) == std.OPTIONAL]
    kinds = {ln.category.code for ln in optional_lines}
    # A kind counts as green when every line of it was bought with compliant products.
    covered = {k for k in kinds if all(_green_lines(ctx)[ln.id] for ln in optional_lines if ln.category.code == k)}
    result = optional_share_ok(covered, kinds, std.optional_share(ctx.project))
    params = {"covered": result.covered, "total": result.total, "required": result.required_kinds,
              "share": format_share(result.required_share)}
    if result.ok and not result.total:
        return passed(N_("No optional material kinds in the bill."), **result.to_dict())
    if result.ok:
        return passed(N_("Optional material kinds bought green: %(covered)s of %(total)s (at least %(required)s "
                         "needed, %(share)s)."), params, **result.to_dict())
    return failed(N_("Optional material kinds bought green: only %(covered)s of %(total)s; the edition requires "
                     "%(share)s, i.e. at least %(required)s."), params, **result.to_dict())


GATES = ((bill_covered, 10), (bought_products_compliant, 20), (mandatory_bought_green, 30),
         (optional_share_bought, 40))


def register(hooks) -> None:
    """Add these gates to the app's stage machine (procurement -> construction)."""
    for check, order in GATES:
        hooks.add_gate(PROCUREMENT, CONSTRUCTION, check, order=order)
