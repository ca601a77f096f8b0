"""Import bill-of-materials lines from CSV/XLSX.

The file is read with the catalog's vetted readers (``catalog.importing.readers``: type sniffing,
encodings, XLSX bomb checks); this module only maps the bill's columns and reports problems by
row and column. Any problem -> nothing is imported.

Columns (header names are case-insensitive; Chinese aliases accepted):
``category`` (code), ``specification``, ``quantity``, ``unit``, ``unit_price`` (CNY, up to 2 decimals),
``green_required`` (yes/no, optional) and any number of ``tighten.<indicator key>`` columns.
"""

from __future__ import annotations

import os
import tempfile

from catalog.importing.columns import clean_cell, is_blank_row
from catalog.importing.readers import FileRejected, open_table
from core.errors import ValidationError
from procurement.quantities import parse_yuan
from procurement.services.design import MAX_LINES, add_lines_bulk

ALIASES = {
    "category": ("category", "category_code", "品类", "类别", "材料类别"),
    "specification": ("specification", "spec", "规格", "规格型号"),
    "quantity": ("quantity", "qty", "数量"),
    "unit": ("unit", "单位"),
    "unit_price": ("unit_price", "unit price", "est_unit_price", "unit_price_cny", "单价", "估算单价"),
    "green_required": ("green_required", "green", "绿色建材"),
}
REQUIRED = ("category", "specification", "quantity", "unit", "unit_price")
_LOOKUP = {alias.lower(): col for col, aliases in ALIASES.items() for alias in aliases}
_FIELD_TO_COLUMN = {"est_unit_price_fen": "unit_price", "quantity": "quantity", "unit": "unit",
                    "category": "category", "specification": "specification", "green_required": "green_required"}
TIGHTEN_PREFIXES = ("tighten.", "tighten:")


def _header(cells: list) -> tuple[dict[str, int], dict[str, int], dict[str, str]]:
    positions, tighten, problems = {}, {}, {}
    for i, cell in enumerate(cells):
        raw = ("" if cell is None else str(cell)).replace("\ufeff", "").strip()
        if not raw:
            continue
        low = raw.lower()
        if low.startswith(TIGHTEN_PREFIXES):
            key = raw[len("tighten."):].strip()
            if not key:
                problems[f"row 1, column {raw}"] = "a tighten column needs an indicator key (tighten.voc)"
            elif key in tighten:
                problems[f"row 1, column {raw}"] = "duplicate column"
            else:
                tighten[key] = i
            continue
        col = _LOOKUP.get(low)
        if col is None:
            problems[f"row 1, column {raw}"] = "unknown column"
        elif col in positions:
            problems[f"row 1, column {raw}"] = "duplicate column"
        else:
            positions[col] = i
    for col in REQUIRED:
        if col not in positions:
            problems[f"row 1, column {col}"] = "required column is missing"
    return positions, tighten, problems


def parse_rows(path: str) -> tuple[list[dict], dict[str, str]]:
    """(line dicts with ``_row``, problems) from a file; raises ValidationError if unreadable."""
    try:
        table = open_table(path, max_rows=MAX_LINES + 1)
        rows_iter = table.rows()
        rows, problems = [], {}
        positions = tighten = None
        for rowno, cells in rows_iter:
            if positions is None:
                positions, tighten, header_problems = _header(cells)
                problems.update(header_problems)
                if header_problems:
                    break
                continue
            if is_blank_row(cells):
                continue
            if len(rows) >= MAX_LINES:
                problems["file"] = f"more than {MAX_LINES} lines; split the bill"
                break

            def cell(i):
                return clean_cell(cells[i]) if i < len(cells) else None

            data = {"_row": rowno}
            for col, i in positions.items():
                data[col] = cell(i)
            price = data.pop("unit_price", None)
            try:
                data["est_unit_price_fen"] = parse_yuan(price)
            except ValueError as exc:
                problems[f"row {rowno}, column unit_price"] = str(exc)
            for key in ("quantity", "category", "specification", "unit"):
                if data.get(key) is not None and not isinstance(data[key], str):
                    data[key] = str(data[key])
            if data.get("green_required") in (None, ""):
                data.pop("green_required", None)
            tight = {key: cell(i) for key, i in tighten.items() if cell(i) not in (None, "")}
            if tight:
                data["tightenings"] = {k: (str(v) if not isinstance(v, (list, bool)) else v) for k, v in tight.items()}
            rows.append(data)
        if positions is None:
            problems["file"] = "the file is empty"
    except FileRejected as exc:
        raise ValidationError(f"The file cannot be imported: {exc}", {"file": str(exc)}) from None
    return rows, problems


def _column_for(field: str) -> str:
    if field.startswith("tightenings."):
        return "tighten." + field.split(".", 1)[1]
    return _FIELD_TO_COLUMN.get(field, field)


def import_file(actor, project_id, content: bytes, filename: str = "", *, replace: bool = False):
    """Validate every row of an uploaded bill and add the lines in one transaction (or none)."""
    if not content:
        raise ValidationError("The file is empty.", {"file": "empty file"})
    fd, path = tempfile.mkstemp(prefix="bom-", suffix=os.path.splitext(filename or "")[1][:8])
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        rows, problems = parse_rows(path)
    finally:
        os.unlink(path)
    if any(k.startswith("row 1,") or k == "file" for k in problems):
        raise ValidationError(f"The import was refused: {len(problems)} problem(s); nothing was imported.", problems)
    return add_lines_bulk(actor, project_id, rows, replace=replace, source=filename or "upload",
                          column_for=_column_for, pre_errors=problems)
