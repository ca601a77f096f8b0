"""Pass 1 of an import: the scan. Type, encoding, width, header and row count; nothing is
written, and a file over the row or column cap, with a bad header or an unreadable row is refused
here. Each row's SKU is remembered as an 8-byte hash (`Repeats`), so repeated SKUs are found
without keeping every SKU."""
from __future__ import annotations

from array import array

from core.i18n import N_
from core.tabular import Table, clean_cell, is_blank_row

from catalog.importing.columns import Header, Issue, parse_header
from catalog.importing.result import ImportResult, Progress


class Repeats:
    """Which SKUs may appear more than once in the file, found while scanning: a 64-bit hash
    per row in an array (8 bytes a row), sorted once. Only rows whose hash repeats are then
    remembered by SKU while checking, so memory does not grow with the file."""

    def __init__(self):
        self._hashes = array("q")
        self.hashes: set[int] = set()

    def add(self, sku: str | None) -> None:
        if sku is not None:
            self._hashes.append(hash(sku))

    def done(self) -> None:
        ordered = sorted(self._hashes)
        self._hashes = array("q")
        self.hashes = {a for a, b in zip(ordered, ordered[1:]) if a == b}

    def may_repeat(self, sku: str) -> bool:
        return hash(sku) in self.hashes


def sku_cell(cells: list, position: int | None) -> str | None:
    """The row's SKU as `row_to_data` and the product service read it."""
    if position is None or position >= len(cells):
        return None
    value = clean_cell(cells[position])
    if value is None or value == "":
        return None
    return str(value).strip() or None


def scan(table: Table, result: ImportResult, progress: Progress, repeats: Repeats) -> Header | None:
    """Header check and row count. Returns the header, or None when the file is refused."""
    header = None
    data_rows = 0
    sku_at = None
    for n, cells in table.rows():
        if header is None:
            if is_blank_row(cells):
                continue
            header, issues = parse_header(cells)
            for issue in issues:
                result.add(Issue(n, issue.column, issue.message, issue.params))
            if issues:
                return None
            sku_at = header.positions.get("sku")
            continue
        if is_blank_row(cells):
            continue
        data_rows += 1
        if data_rows > table.max_rows:
            result.add(Issue(0, "", N_("The file has more than %(max)s data rows; at most %(max)s "
                                       "can be imported at once. Split the file."), {"max": f"{table.max_rows:,}"}))
            return None
        repeats.add(sku_cell(cells, sku_at))
        if data_rows % 5000 == 0:
            progress(data_rows, 0, "scan")
    if header is None:
        result.add(Issue(0, "", N_("The file is empty: it has no header row.")))
        return None
    if data_rows == 0:
        result.add(Issue(0, "", N_("The file has a header but no product rows.")))
        return None
    repeats.done()
    result.rows = data_rows
    return header
