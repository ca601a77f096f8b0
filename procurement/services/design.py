"""Design stage: the bill of materials.

Each line's requirements are the city's rules for its category under the project's standard
version, optionally tightened by the designer (never loosened: every tightening is checked with
the catalog's ``is_at_least_as_strict``). The page and the gates ask :func:`compliant_products`
which listed catalog products meet a line's effective requirements.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import func, select

from catalog import compliance
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.services import unit_of_work
from procurement import policy, stages
from procurement import standards as std
from procurement.models import BomLine, Project
from procurement.quantities import (MAX_UNIT_PRICE_FEN, canonical_unit, format_fen, format_quantity, line_total_fen,
                                    parse_quantity)
from procurement.services.records import append_record, lock_project
from procurement.services.validation import Errors, boolean, integer

MAX_LINES = 2000
MAX_TIGHTENINGS = 30


# --- requirements --------------------------------------------------------------------------------


def _rule_label(rule: compliance.Rule) -> str:
    return f"{rule.name_en or rule.key} ({rule.key} {rule.describe_limit()})"


def _typed_limit(rule: compliance.Rule, value: Any) -> Any:
    """The candidate limit in the type a Rule of this comparison holds."""
    if rule.comparison in ("<=", ">=") or (rule.comparison == "=" and isinstance(rule.limit, (int, float))
                                           and not isinstance(rule.limit, bool)):
        return float(str(value).strip().replace(",", ""))
    if rule.comparison == "in":
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return list(value)
    if rule.comparison == "bool":
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("1", "true", "yes", "y", "是")
    return str(value).strip()


def clean_tightenings(rules: list[compliance.Rule], raw, errors: Errors, field: str = "tightenings") -> dict:
    """Validate ``{indicator key: stricter limit}`` against the line's rules.

    A key the category has no rule for, or a limit looser than the standard's, is an error that
    names the rule. Empty values are ignored (no tightening).
    """
    if raw in (None, "", {}):
        return {}
    if not isinstance(raw, dict):
        errors.add(field, "Must be an object of {indicator key: limit}.")
        return {}
    if len(raw) > MAX_TIGHTENINGS:
        errors.add(field, f"At most {MAX_TIGHTENINGS} tightened limits.")
        return {}
    by_key = {r.key: r for r in rules}
    out = {}
    for key, value in raw.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        rule = by_key.get(str(key))
        if rule is None:
            known = ", ".join(sorted(by_key)) or "none"
            errors.add(f"{field}.{key}", f"The standard has no rule '{str(key)[:40]}' for this category (rules: {known}).")
            continue
        ok, reason = compliance.is_at_least_as_strict(rule, value)
        if not ok:
            errors.add(f"{field}.{key}", f"Looser than the standard: {_rule_label(rule)}: {reason}.")
            continue
        try:
            out[rule.key] = _typed_limit(rule, value)
        except (TypeError, ValueError):
            errors.add(f"{field}.{key}", f"{_rule_label(rule)}: {str(value)[:40]!r} is not a valid limit.")
    return out


def effective_rules(project: Project, line: BomLine) -> list[compliance.Rule]:
    """The line's requirements: the city's rules for its category, with the designer's tightenings."""
    rules = std.rules_for_line(project, line.category)
    tight = line.tightenings or {}
    return [dataclasses.replace(r, limit=tight[r.key]) if r.key in tight else r for r in rules]


# --- products that satisfy a line --------------------------------------------------------------


def listed_passing(project: Project, category_id: int) -> list:
    """Listed products of a category whose stored verdict for the project's city is pass, cheapest first."""
    from catalog.models.products import Product, ProductVerdict

    return list(db.session.execute(
        select(Product).join(ProductVerdict, ProductVerdict.product_id == Product.id)
        .where(Product.category_id == category_id, Product.status == "listed",
               ProductVerdict.city_id == project.city_id, ProductVerdict.verdict == "pass")
        .order_by(Product.list_price_fen, Product.id)
    ).unique().scalars())


def compliant_products(project: Project, line: BomLine, *, limit: int | None = None,
                       candidates: list | None = None) -> list:
    """Listed products with a passing verdict for the project's city that also meet the line's
    effective requirements (project's standard version + tightenings), cheapest first."""
    from catalog.services.verdicts import declared_values

    rules = effective_rules(project, line)
    if not rules:
        return []  # no rules: nothing can prove compliance
    out = []
    for product in (candidates if candidates is not None else listed_passing(project, line.category_id)):
        if compliance.evaluate(rules, declared_values(product)).verdict == compliance.PASS:
            out.append(product)
            if limit is not None and len(out) >= limit:
                break
    return out


def line_offers(project: Project, lines: list[BomLine], *, show: int = 5) -> dict[int, dict]:
    """Per line id: how many products satisfy it, their price range and the cheapest few."""
    by_category: dict[int, list] = {}
    out = {}
    for line in lines:
        if line.category_id not in by_category:
            by_category[line.category_id] = listed_passing(project, line.category_id)
        products = compliant_products(project, line, candidates=by_category[line.category_id])
        prices = [p.list_price_fen for p in products]
        out[line.id] = {
            "count": len(products),
            "min_price_fen": min(prices) if prices else None,
            "max_price_fen": max(prices) if prices else None,
            "products": products[:show],
        }
    return out


# --- line input ----------------------------------------------------------------------------------


def clean_line_data(project: Project, data: dict, *, existing: BomLine | None = None) -> dict:
    """Validate one bill line (``existing`` given: a partial update of that line)."""
    if not isinstance(data, dict):
        raise ValidationError("A bill line must be an object.")
    errors = Errors()
    clean: dict = {}
    partial = existing is not None

    category = existing.category if existing is not None else None
    if not partial or "category" in data:
        ref = data.get("category")
        category = std.find_category(ref) if ref not in (None, "") else None
        if ref in (None, ""):
            errors.add("category", "This field is required.")
        elif category is None:
            errors.add("category", f"Unknown category '{str(ref)[:64]}'.")
        elif std.requirement_level(project, category) is None:
            errors.add("category", f"The project's standard ({project.standard_edition.code}) does not cover "
                                   f"category '{category.code}'.")
            category = None
        else:
            clean["category_id"] = category.id
    if not partial or "specification" in data:
        spec = data.get("specification")
        if not isinstance(spec, str) or not spec.strip():
            errors.add("specification", "This field is required.")
        elif len(spec.strip()) > 300:
            errors.add("specification", "At most 300 characters.")
        else:
            clean["specification"] = spec.strip()
    if not partial or "quantity" in data:
        raw = data.get("quantity")
        if raw in (None, ""):
            errors.add("quantity", "This field is required.")
        elif isinstance(raw, bool):
            errors.add("quantity", "Must be a number.")
        else:
            try:
                clean["quantity_milli"] = parse_quantity(raw)
            except ValueError as exc:
                errors.add("quantity", str(exc).capitalize() + ".")
    if not partial or "unit" in data:
        try:
            clean["unit"] = canonical_unit(data.get("unit"))
        except ValueError as exc:
            errors.add("unit", str(exc).capitalize() + ".")
    if not partial or "est_unit_price_fen" in data:
        price = integer(data, "est_unit_price_fen", errors, minimum=0, maximum=MAX_UNIT_PRICE_FEN)
        if price is not None and "est_unit_price_fen" not in errors.fields:
            clean["est_unit_price_fen"] = price
    level = std.requirement_level(project, category) if category is not None else None
    if not partial or "green_required" in data or "category" in data:
        green = boolean(data, "green_required", errors, default=existing.green_required if partial else True)
        if level == std.MANDATORY and not green:
            errors.add("green_required", f"'{category.code}' is mandatory in this edition: a green product is required.")
        clean["green_required"] = True if level == std.MANDATORY else green
    if category is not None and (not partial or "tightenings" in data or "category" in data):
        rules = std.rules_for_line(project, category)
        raw = data.get("tightenings", existing.tightenings if partial and "category" not in data else None)
        clean["tightenings"] = clean_tightenings(rules, raw, errors)
    errors.raise_if_any("The bill line was not accepted.")
    return clean


def _editable_project(actor, project_id) -> Project:
    project = lock_project(project_id)
    if not policy.can_view_project(actor, project):
        raise NotFound("No such project.")
    if not policy.is_own_purchaser(actor, project):
        raise PermissionDenied("Only the project's purchaser (its design team) edits the bill of materials.")
    if project.stage != stages.DESIGN:
        raise Conflict(f"The bill of materials can be changed only in the design stage (now: {project.stage}).")
    return project


def _line_count(project: Project) -> int:
    return db.session.execute(select(func.count()).select_from(BomLine).where(BomLine.project_id == project.id)).scalar_one()


def _next_line_no(project: Project) -> int:
    return (db.session.execute(select(func.max(BomLine.line_no)).where(BomLine.project_id == project.id)).scalar() or 0) + 1


def add_line(actor, project_id, data: dict) -> BomLine:
    """Add one line to the bill of materials."""
    with unit_of_work():
        project = _editable_project(actor, project_id)
        clean = clean_line_data(project, data)
        if _line_count(project) >= MAX_LINES:
            raise ValidationError(f"A bill of materials has at most {MAX_LINES} lines.")
        line = BomLine(project_id=project.id, line_no=_next_line_no(project), **clean)
        db.session.add(line)
        db.session.flush()
        append_record(project, "bom_line_added", {"line": _line_view(line)}, actor=actor, action="bom.add_line",
                      after=line.snapshot())
    return line


def _get_line(project: Project, line_no) -> BomLine:
    try:
        n = int(line_no)
    except (TypeError, ValueError):
        raise NotFound("No such bill line.") from None
    line = db.session.execute(select(BomLine).where(BomLine.project_id == project.id, BomLine.line_no == n)
                              .execution_options(populate_existing=True)).scalar_one_or_none()
    if line is None:
        raise NotFound("No such bill line.")
    return line


def update_line(actor, project_id, line_no, data: dict) -> BomLine:
    """Change a bill line (only the fields given)."""
    with unit_of_work():
        project = _editable_project(actor, project_id)
        line = _get_line(project, line_no)
        clean = clean_line_data(project, data, existing=line)
        before = line.snapshot()
        for k, v in clean.items():
            setattr(line, k, v)
        db.session.flush()
        db.session.refresh(line)
        after = line.snapshot()
        if after != before:
            append_record(project, "bom_line_changed",
                          {"line_no": line.line_no, "changes": {k: {"from": before[k], "to": after[k]}
                                                                 for k in after if before[k] != after[k]}},
                          actor=actor, action="bom.change_line", before=before, after=after)
    return line


def delete_line(actor, project_id, line_no) -> None:
    """Remove a bill line (the record keeps what it was)."""
    with unit_of_work():
        project = _editable_project(actor, project_id)
        line = _get_line(project, line_no)
        before = line.snapshot()
        view = _line_view(line)
        db.session.delete(line)
        db.session.flush()
        append_record(project, "bom_line_removed", {"line": view}, actor=actor, action="bom.remove_line", before=before)


def _line_view(line: BomLine) -> dict:
    """The line as recorded: codes and readable amounts next to the raw integers."""
    return {
        "line_no": line.line_no, "category": line.category.code if line.category else line.category_id,
        "specification": line.specification, "quantity": format_quantity(line.quantity_milli), "unit": line.unit,
        "est_unit_price_fen": line.est_unit_price_fen, "total_fen": line.total_fen,
        "green_required": line.green_required, "tightenings": dict(line.tightenings or {}),
    }


def line_view(line: BomLine) -> dict:
    return _line_view(line)


def bill_total_fen(lines) -> int:
    return sum(line_total_fen(ln.quantity_milli, ln.est_unit_price_fen) for ln in lines)


def add_lines_bulk(actor, project_id, rows: list[dict], *, replace: bool = False, source: str = "",
                   column_for=None, pre_errors: dict | None = None) -> list[BomLine]:
    """Add many validated rows in one transaction (import); any bad row -> nothing is written.

    ``rows`` are line dicts (as for :func:`add_line`) carrying a ``_row`` number for messages;
    ``column_for(field)`` names the file column of a service field; ``pre_errors`` are problems
    the caller already found (header, cell formats), reported together with the rest.
    """
    column_for = column_for or (lambda f: f)
    with unit_of_work():
        project = _editable_project(actor, project_id)
        errors: dict[str, str] = dict(pre_errors or {})
        cleaned = []
        for i, row in enumerate(rows):
            rowno = row.get("_row", i + 2)
            data = {k: v for k, v in row.items() if k != "_row"}
            try:
                cleaned.append(clean_line_data(project, data))
            except ValidationError as exc:
                for field, msg in (exc.fields or {"": exc.message}).items():
                    errors.setdefault(f"row {rowno}, column {column_for(field)}" if field else f"row {rowno}", msg)
        existing = 0 if replace else _line_count(project)
        if not errors and existing + len(cleaned) > MAX_LINES:
            errors["file"] = f"A bill of materials has at most {MAX_LINES} lines."
        if not rows and not errors:
            errors["file"] = "The file has no bill lines."
        if errors:
            raise ValidationError(f"The import was refused: {len(errors)} problem(s); nothing was imported.", errors)
        removed = 0
        if replace:
            for old in db.session.execute(select(BomLine).where(BomLine.project_id == project.id)).scalars():
                db.session.delete(old)
                removed += 1
            db.session.flush()
        n = 0 if replace else _next_line_no(project) - 1
        lines = []
        for clean in cleaned:
            n += 1
            line = BomLine(project_id=project.id, line_no=n, **clean)
            db.session.add(line)
            lines.append(line)
        db.session.flush()
        append_record(project, "bom_imported", {"source": source[:200], "replaced": replace, "removed": removed,
                                                "added": len(lines), "lines": [_line_view(ln) for ln in lines]},
                      actor=actor, action="bom.import", after={"added": len(lines), "removed": removed})
    return lines


def summary(project: Project, lines: list[BomLine]) -> dict:
    """Totals for the design page and API."""
    total = bill_total_fen(lines)
    budget = project.budget
    ceiling = budget.total_fen if budget is not None and budget.status == "approved" else None
    return {"lines": len(lines), "total_fen": total, "total": format_fen(total), "budget_fen": ceiling,
            "within_budget": None if ceiling is None else total <= ceiling}
