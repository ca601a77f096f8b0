"""Design stage use cases: the bill of materials (add, change, remove, bulk add) and its totals."""

from __future__ import annotations

from sqlalchemy import func, select

from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.i18n import N_, Term
from core.money import format_fen
from core.services import unit_of_work
from core.validation import message_of
from procurement.design import policy
from procurement.design.lines import clean_line_data
from procurement.design.models import BomLine
from procurement.labels import plural
from procurement.machine.stages import DESIGN
from procurement.quantities import format_quantity, line_total_fen
from procurement.records.services import append_record, lock_visible_project

MAX_LINES = 2000


def _editable_project(actor, project_id):
    project = lock_visible_project(actor, project_id)
    if not policy.is_bill_owner(actor, project):
        raise PermissionDenied("Only the project's purchaser (its design team) edits the bill of materials.")
    if project.stage != DESIGN:
        raise Conflict(N_("The bill of materials can be changed only in the design stage (now: %(stage)s)."),
                       stage=Term(project.stage))
    return project


def bill_lines(project_id: int) -> list[BomLine]:
    """The project's bill lines in order, as committed."""
    return list(db.session.execute(
        select(BomLine).where(BomLine.project_id == project_id).order_by(BomLine.line_no)
        .execution_options(populate_existing=True)).scalars())


def _line_count(project) -> int:
    return db.session.execute(select(func.count()).select_from(BomLine).where(BomLine.project_id == project.id)).scalar_one()


def _next_line_no(project) -> int:
    return (db.session.execute(select(func.max(BomLine.line_no)).where(BomLine.project_id == project.id)).scalar() or 0) + 1


def line_view(line: BomLine) -> dict:
    """The line as recorded: codes and readable amounts next to the raw integers."""
    return {
        "line_no": line.line_no, "category": line.category.code if line.category else line.category_id,
        "specification": line.specification, "quantity": format_quantity(line.quantity_milli), "unit": line.unit,
        "est_unit_price_fen": line.est_unit_price_fen, "total_fen": line.total_fen,
        "green_required": line.green_required, "tightenings": dict(line.tightenings or {}),
    }


def add_line(actor, project_id, data: dict) -> BomLine:
    """Add one line to the bill of materials."""
    with unit_of_work():
        project = _editable_project(actor, project_id)
        clean = clean_line_data(project, data)
        if _line_count(project) >= MAX_LINES:
            raise ValidationError(N_("A bill of materials has at most %(n)s lines."), n=MAX_LINES)
        line = BomLine(project_id=project.id, line_no=_next_line_no(project), **clean)
        db.session.add(line)
        db.session.flush()
        append_record(project, "bom_line_added", {"line": line_view(line)}, actor=actor, action="bom.add_line",
                      after=line.snapshot())
    return line


def _get_line(project, line_no) -> BomLine:
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
                                                                 for k in after if before[k] != after[k]},
                           "line": line_view(line)},
                          actor=actor, action="bom.change_line", before=before, after=after)
    return line


def delete_line(actor, project_id, line_no) -> None:
    """Remove a bill line (the record keeps what it was)."""
    with unit_of_work():
        project = _editable_project(actor, project_id)
        line = _get_line(project, line_no)
        before = line.snapshot()
        view = line_view(line)
        db.session.delete(line)
        db.session.flush()
        append_record(project, "bom_line_removed", {"line": view}, actor=actor, action="bom.remove_line", before=before)


def bill_total_fen(lines) -> int:
    return sum(line_total_fen(ln.quantity_milli, ln.est_unit_price_fen) for ln in lines)


def _clean_rows(project, rows: list[dict], column_for, errors: dict) -> list[dict]:
    cleaned = []
    for i, row in enumerate(rows):
        rowno = row.get("_row", i + 2)
        data = {k: v for k, v in row.items() if k != "_row"}
        try:
            cleaned.append(clean_line_data(project, data))
        except ValidationError as exc:
            problems = exc.fields or {"": message_of(exc)}
            for field, msg in problems.items():
                errors.setdefault(f"row {rowno}, column {column_for(field)}" if field else f"row {rowno}", msg)
    return cleaned


def import_refused(problems: dict) -> ValidationError:
    """The error of a refused import: how many problems, each under its place (``row N, column X``)."""
    message = plural(len(problems), N_("The import was refused: %(n)s problem; nothing was imported."),
                     N_("The import was refused: %(n)s problems; nothing was imported."))
    return ValidationError(message, problems, n=len(problems))


def add_lines_bulk(actor, project_id, rows: list[dict], *, replace: bool = False, source: str = "",
                   column_for=None, pre_errors: dict | None = None) -> list[BomLine]:
    """Add many validated rows in one transaction (import); any bad row -> nothing is written.

    ``rows`` are line dicts (as for :func:`add_line`) carrying a ``_row`` number for messages;
    ``column_for(field)`` names the file column of a service field; ``pre_errors`` are problems
    the caller already found (header, cell formats), reported together with the rest. Problems
    are keyed ``row N, column X``.
    """
    column_for = column_for or (lambda f: f)
    with unit_of_work():
        project = _editable_project(actor, project_id)
        errors: dict = dict(pre_errors or {})
        cleaned = _clean_rows(project, rows, column_for, errors)
        existing = 0 if replace else _line_count(project)
        if not errors and existing + len(cleaned) > MAX_LINES:
            errors["file"] = (N_("A bill of materials has at most %(n)s lines."), {"n": MAX_LINES})
        if not rows and not errors:
            errors["file"] = N_("The file has no bill lines.")
        if errors:
            raise import_refused(errors)
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
                                                "added": len(lines), "lines": [line_view(ln) for ln in lines]},
                      actor=actor, action="bom.import", after={"added": len(lines), "removed": removed})
    return lines


def summary(project, lines: list[BomLine]) -> dict:
    """Totals for the design page and API."""
    total = bill_total_fen(lines)
    budget = project.budget
    ceiling = budget.total_fen if budget is not None and budget.is_approved else None
    return {"lines": len(lines), "total_fen": total, "total": format_fen(total), "budget_fen": ceiling,
            "within_budget": None if ceiling is None else total <= ceiling}
