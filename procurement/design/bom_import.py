"""Import bill-of-materials lines from CSV/XLSX.

The file is read with the shared vetted readers (``core.tabular``: type sniffing, encodings,
XLSX bomb checks); this module only maps the bill's columns and reports problems by row and
column. Any problem -> nothing is imported.

Columns (header names are case-insensitive; Chinese aliases accepted):
``category`` (code), ``specification``, ``quantity``, ``unit``, ``unit_price`` (CNY, up to 2 decimals),
``green_required`` (yes/no, optional) and any number of ``tighten.<indicator key>`` columns.
"""

from __future__ import annotations

import os
import tempfile

from core.errors import ValidationError
from core.i18n import N_
from core.money import MoneyError, parse_yuan
from core.tabular import FileRejected, clean_cell, is_blank_row, open_table
from core.validation import message_of
from procurement.design.services import MAX_LINES, add_lines_bulk, import_refused

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
DUPLICATE = N_("duplicate column")


def _header(cells: list) -> tuple[dict[str, int], dict[str, int], dict]:
    positions, tighten, problems = {}, {}, {}
    for i, cell in enumerate(cells):
        raw = ("" if cell is None else str(cell)).replace("\ufeff", "").strip()
        if not raw:
            continue
        where = f"row 1, column {raw}"
        if raw.lower().startswith(TIGHTEN_PREFIXES):
            key = raw[len("tighten."):].strip()
            if not key:
                problems[where] = N_("a tighten column needs an indicator key (tighten.voc)")
            elif key in tighten:
                problems[where] = DUPLICATE
            else:
                tighten[key] = i
            continue
        col = _LOOKUP.get(raw.lower())
        if col is None:
            problems[where] = N_("unknown column")
        elif col in positions:
            problems[where] = DUPLICATE
        else:
            positions[col] = i
    for col in REQUIRED:
        if col not in positions:
            problems[f"row 1, column {col}"] = N_("required column is missing")
    return positions, tighten, problems


def _row_data(rowno: int, cells: list, positions: dict, tighten: dict, problems: dict) -> dict:
    def cell(i):
        return clean_cell(cells[i]) if i < len(cells) else None

    data = {"_row": rowno}
    for col, i in positions.items():
        data[col] = cell(i)
    price = data.pop("unit_price", None)
    try:
        data["est_unit_price_fen"] = parse_yuan(price)
    except MoneyError as exc:
        problems[f"row {rowno}, column unit_price"] = message_of(exc)
    for key in ("quantity", "category", "specification", "unit"):
        if data.get(key) is not None and not isinstance(data[key], str):
            data[key] = str(data[key])
    if data.get("green_required") in (None, ""):
        data.pop("green_required", None)
    tight = {key: cell(i) for key, i in tighten.items() if cell(i) not in (None, "")}
    if tight:
        data["tightenings"] = {k: (str(v) if not isinstance(v, (list, bool)) else v) for k, v in tight.items()}
    return data


def parse_rows(path: str) -> tuple[list[dict], dict]:
    """(line dicts with ``_row``, problems) from a file; raises ValidationError if unreadable."""
    rows, problems = [], {}
    positions = tighten = None
    try:
        for rowno, cells in open_table(path, max_rows=MAX_LINES + 1).rows():
            if positions is None:
                positions, tighten, header_problems = _header(cells)
                problems.update(header_problems)
                if header_problems:
                    break
                continue
            if is_blank_row(cells):
                continue
            if len(rows) >= MAX_LINES:
                problems["file"] = (N_("more than %(n)s lines; split the bill"), {"n": MAX_LINES})
                break
            rows.append(_row_data(rowno, cells, positions, tighten, problems))
    except FileRejected as exc:
        reason = message_of(exc)
        raise ValidationError(N_("The file cannot be imported."), {"file": reason}) from None
    if positions is None:
        problems["file"] = N_("the file is empty")
    return rows, problems


def _column_for(field: str) -> str:
    if field.startswith("tightenings."):
        return "tighten." + field.split(".", 1)[1]
    return _FIELD_TO_COLUMN.get(field, field)


def import_file(actor, project_id, content: bytes, filename: str = "", *, replace: bool = False):
    """Validate every row of an uploaded bill and add the lines in one transaction (or none)."""
    if not content:
        raise ValidationError(N_("The file is empty."), {"file": N_("The file is empty.")})
    fd, path = tempfile.mkstemp(prefix="bom-", suffix=os.path.splitext(filename or "")[1][:8])
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        rows, problems = parse_rows(path)
    finally:
        os.unlink(path)
    if any(k.startswith("row 1,") or k == "file" for k in problems):
        raise import_refused(problems)
    return add_lines_bulk(actor, project_id, rows, replace=replace, source=filename or "upload",
                          column_for=_column_for, pre_errors=problems)
