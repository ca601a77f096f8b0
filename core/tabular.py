"""Streaming readers for CSV and XLSX files, and generic cell helpers (no Flask app, no database).

Every package that accepts a spreadsheet upload (product import, bill of materials) reads it here.
`open_table(path)` sniffs the file type from its content (never from its name alone), checks it
is safe to parse, and returns a `Table` whose `rows()` yields `(row_number, [cells])` one row at a
time, so memory does not grow with the file. Problems are raised as `FileRejected`, whose message
is a translatable template with parameters (`template`, `params`; `str(exc)` is the English text).

* CSV: UTF-8 (with or without BOM), UTF-16 with BOM, GBK/GB18030; the encoding is chosen by
  validating the whole file (a file that is ASCII for 10,000 rows and GBK afterwards is still
  read correctly); charset-normalizer is the last resort. Comma, semicolon or tab separated.
* XLSX: before openpyxl sees the file, the zip directory is checked (member count, total
  uncompressed size, compression ratio, shared-strings size) and the sheet's declared dimension is
  compared with the row cap; openpyxl then runs in read-only mode (defusedxml is installed, so XML
  entity expansion is refused too).
* Width: a row may have at most ``max_columns`` cells (default 1,000). An XLSX sheet is scanned
  with a streaming XML parser before openpyxl sees it (openpyxl builds a whole row in memory, so
  one row of three million cells would take gigabytes); a CSV row is checked as it is read.
* Cells: `clean_cell` strips text and undoes the apostrophe exports put before formula-like text;
  `is_blank_row` tells an empty row.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
import zipfile
from dataclasses import dataclass, field
from typing import Iterator

from core.i18n import N_, message_payload

__all__ = ["FileRejected", "Table", "open_table", "detect_encoding", "XlsxLimits", "DEFAULT_MAX_ROWS",
           "DEFAULT_MAX_COLUMNS", "clean_cell", "is_blank_row"]

DEFAULT_MAX_ROWS = 100_000
DEFAULT_MAX_COLUMNS = 1_000
_CHUNK = 1 << 20
_FALLBACK_ENCODINGS = {"big5", "big5hkscs", "cp950", "utf_16", "utf_16_le", "utf_16_be", "utf_32", "hz"}
_SIGNATURES = {
    b"%PDF": N_("This is a PDF document, not a CSV or XLSX file."),
    b"\x89PNG": N_("This is a PNG image, not a CSV or XLSX file."),
    b"\xff\xd8\xff": N_("This is a JPEG image, not a CSV or XLSX file."),
    b"GIF8": N_("This is a GIF image, not a CSV or XLSX file."),
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": N_("This is an Excel 97-2003 (.xls) or other OLE file, not a CSV or XLSX "
                                            "file; save it as .xlsx or CSV."),
    b"\x1f\x8b": N_("This is a gzip archive, not a CSV or XLSX file."),
    b"Rar!": N_("This is a RAR archive, not a CSV or XLSX file."),
    b"7z\xbc\xaf": N_("This is a 7-Zip archive, not a CSV or XLSX file."),
}
#: Text a spreadsheet would run as a formula starts with one of these (exports prefix an apostrophe).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class FileRejected(ValueError):
    """The file cannot be read. `template` and `params` say why (a translatable message; show it
    with `core.i18n.translate_message((exc.template, exc.params))`), ``row`` where, when known;
    ``str(exc)`` is the English text."""

    def __init__(self, template: str, row: int | None = None, **params):
        self.row = row
        self.template = template
        self.params = params
        super().__init__(template % params if params else template)

    def payload(self) -> dict:
        """The message as stored (template key and parameters), see `core.i18n.message_payload`."""
        return message_payload(self.template, self.params)


@dataclass(frozen=True)
class XlsxLimits:
    max_members: int = 2_000
    max_total_uncompressed: int = 1 << 30  # 1 GiB of XML
    max_ratio: float = 200.0  # compressed -> uncompressed; ordinary sheets are ~5-30x
    ratio_floor: int = 1 << 20  # ratio only checked for members above 1 MiB
    max_shared_strings: int = 256 << 20  # openpyxl holds shared strings in memory


@dataclass
class Table:
    """A readable table: ``kind`` is ``csv`` or ``xlsx``; ``rows()`` streams from the header on."""

    path: str
    kind: str
    encoding: str | None = None
    delimiter: str = ","
    sheet: str | None = None
    max_rows: int = DEFAULT_MAX_ROWS
    max_columns: int = DEFAULT_MAX_COLUMNS
    _declared_rows: int | None = field(default=None, repr=False)
    _sheet_part: str | None = field(default=None, repr=False)

    def rows(self) -> Iterator[tuple[int, list]]:
        """Yield ``(row_number, cells)``; row 1 is the header. Cells are str (CSV) or typed (XLSX).

        Trailing empty cells of XLSX rows are dropped (openpyxl pads rows to the sheet's width)."""
        if self.kind == "csv":
            yield from _csv_rows(self.path, self.encoding or "utf-8", self.delimiter, self.max_columns)
        else:
            yield from _xlsx_rows(self.path, self.sheet)


def _sniff_kind(head: bytes) -> str:
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise FileRejected(N_("The file is empty."))
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    for sig, message in _SIGNATURES.items():
        if head.startswith(sig):
            raise FileRejected(message)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "csv"
    if b"\x00" in head:
        raise FileRejected(N_("This is a binary file, not a CSV or XLSX file."))
    return "csv"


# --------------------------------------------------------------------------- CSV


def _decodes_fully(path: str, encoding: str) -> tuple[bool, int]:
    """Decode the whole file with ``encoding``; returns (ok, approximate line of the first error)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    lines = 1
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(_CHUNK)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                lines += chunk[: exc.start].count(b"\n")
                return False, lines
            lines += text.count("\n")
            if not chunk:
                return True, lines


def detect_encoding(path: str) -> str:
    """The encoding the whole file decodes with: BOM first, then UTF-8, then GB18030 (GBK)."""
    with open(path, "rb") as fh:
        head = fh.read(64 * 1024)
    if head.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    first_error = None
    for enc in candidates:
        ok, line = _decodes_fully(path, enc)
        if ok:
            return enc
        first_error = first_error or line
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(head).best()
    except Exception:  # charset-normalizer is a best effort, never a crash
        best = None
    # Only encodings a Chinese supplier plausibly uses: a single-byte guess (latin-1 & co.) decodes
    # anything and would import mojibake silently.
    if best is not None and best.encoding in _FALLBACK_ENCODINGS and best.encoding not in candidates:
        enc = best.encoding
        if _decodes_fully(path, enc)[0]:
            return enc
    raise FileRejected(
        N_("The file is not valid UTF-8 or GBK text (first bad byte near line %(line)s). "
           "Save it as 'CSV UTF-8' or as an .xlsx workbook."), row=first_error, line=first_error)


def _sniff_delimiter(path: str, encoding: str) -> str:
    with open(path, encoding=encoding, newline="") as fh:
        first = fh.readline()
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _too_wide(row: int, max_columns: int) -> FileRejected:
    return FileRejected(N_("Row %(line)s has more than %(max)s cells; at most %(max)s columns can be imported."),
                        row=row, line=row, max=f"{max_columns:,}")


def _csv_rows(path: str, encoding: str, delimiter: str,
              max_columns: int = DEFAULT_MAX_COLUMNS) -> Iterator[tuple[int, list]]:
    # The largest cell we accept; csv's default (128 KiB) raises a clear error beyond it.
    with open(path, encoding=encoding, newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter, strict=False)
        n = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise FileRejected(N_("Row %(line)s: the CSV is malformed (%(problem)s)."), row=reader.line_num,
                                   line=reader.line_num, problem=str(exc)) from None
            except UnicodeDecodeError:
                raise FileRejected(N_("Row %(line)s: the file is not valid %(encoding)s text."), row=n + 1,
                                   line=n + 1, encoding=encoding) from None
            n += 1
            if len(cells) > max_columns:
                raise _too_wide(n, max_columns)
            yield n, cells


# --------------------------------------------------------------------------- XLSX

_DIMENSION_RE = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')


def _column_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def _check_zip(path: str, limits: XlsxLimits, max_rows: int,
               max_columns: int = DEFAULT_MAX_COLUMNS) -> tuple[int | None, str]:
    """Refuse zip bombs, non-workbooks and over-wide sheets before parsing.

    Returns the declared row count (if any) and the name of the sheet part that is read."""
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise FileRejected(N_("This is not a valid XLSX workbook (the zip archive is damaged).")) from None
    with zf:
        infos = zf.infolist()
        names = {i.filename for i in infos}
        if "xl/workbook.xml" not in names:
            raise FileRejected(N_("This zip archive is not an XLSX workbook."))
        if len(infos) > limits.max_members:
            raise FileRejected(N_("The workbook has %(parts)s parts; at most %(max)s are allowed."),
                               parts=len(infos), max=limits.max_members)
        total = 0
        for info in infos:
            total += info.file_size
            if info.file_size > limits.ratio_floor:
                ratio = info.file_size / max(1, info.compress_size)
                if ratio > limits.max_ratio:
                    raise FileRejected(
                        N_("The workbook part %(part)s expands %(ratio)s times when unpacked; "
                           "this looks like a zip bomb and was refused."), part=info.filename, ratio=f"{ratio:,.0f}")
            if info.filename == "xl/sharedStrings.xml" and info.file_size > limits.max_shared_strings:
                raise FileRejected(N_("The workbook's shared text table is too large to import."))
        if total > limits.max_total_uncompressed:
            raise FileRejected(
                N_("The workbook unpacks to %(size)s MiB; at most %(max)s MiB are allowed."),
                size=f"{total / 2**20:,.0f}", max=f"{limits.max_total_uncompressed / 2**20:,.0f}")
        sheets = sorted(n for n in names if n.startswith("xl/worksheets/sheet") and n.endswith(".xml"))
        if not sheets:
            raise FileRejected(N_("The workbook has no worksheet."))
        with zf.open(sheets[0]) as fh:
            head = fh.read(4096)
        m = _DIMENSION_RE.search(head)
        last = None
        if m:
            last = int(m.group(4) or m.group(2))
            if last - 1 > max_rows:
                raise FileRejected(
                    N_("The worksheet has %(rows)s data rows; at most %(max)s can be imported at once. "
                       "Split the file."), rows=f"{last - 1:,}", max=f"{max_rows:,}")
            width = _column_index(m.group(3) or m.group(1))
            if width > max_columns:
                raise FileRejected(N_("The worksheet is %(cells)s columns wide; at most %(max)s columns can be "
                                      "imported."), cells=f"{width:,}", max=f"{max_columns:,}")
        for part in sheets:  # all of them: which one is "first" is decided by workbook.xml
            _scan_sheet_width(zf, part, max_columns)
    return last, sheets[0]


_CELL_REF_RE = re.compile(r"^([A-Z]{1,7})")


def _scan_sheet_width(zf: zipfile.ZipFile, part: str, max_columns: int) -> None:
    """Stream the sheet's XML once (expat, nothing kept) and refuse the first row with more than
    ``max_columns`` cells or a cell beyond that column, before openpyxl builds any row."""
    from xml.parsers import expat

    state = {"row": 0, "cells": 0}

    def start(name, attrs):
        local = name.rpartition(":")[2]
        if local == "c":
            state["cells"] += 1
            ref = attrs.get("r")
            too_far = False
            if ref:
                m = _CELL_REF_RE.match(ref)
                too_far = m is not None and _column_index(m.group(1).encode()) > max_columns
            if state["cells"] > max_columns or too_far:
                raise _too_wide(state["row"], max_columns)
        elif local == "row":
            state["cells"] = 0
            ref = attrs.get("r")
            state["row"] = int(ref) if ref and ref.isdigit() else state["row"] + 1

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    # Entity declarations are refused (as defusedxml does for openpyxl): no expansion bombs here either.
    parser.EntityDeclHandler = _refuse_entities
    try:
        with zf.open(part) as fh:
            while True:
                chunk = fh.read(_CHUNK)
                parser.Parse(chunk, not chunk)
                if not chunk:
                    break
    except expat.ExpatError as exc:
        raise FileRejected(N_("The XLSX workbook cannot be read (%(problem)s)."), problem="XML") from exc


def _refuse_entities(*_args):
    raise FileRejected(N_("The XLSX workbook cannot be read (%(problem)s)."), problem="XML entities")


def _cell(value):
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date()
    return value


def _xlsx_rows(path: str, sheet: str | None) -> Iterator[tuple[int, list]]:
    import openpyxl

    # A file object, not the path: openpyxl refuses names without an Excel extension (web uploads
    # are stored under neutral names); the type was already recognised from the content.
    fh = open(path, "rb")
    try:
        wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        fh.close()
        raise FileRejected(N_("The XLSX workbook cannot be read (%(problem)s)."),
                           problem=exc.__class__.__name__) from None
    try:
        ws = wb[sheet] if sheet else wb.worksheets[0]
        n = 0
        for row in ws.iter_rows(values_only=True):
            n += 1
            cells = [_cell(v) for v in row]
            while cells and cells[-1] is None:
                cells.pop()
            yield n, cells
    except FileRejected:
        raise
    except Exception as exc:
        raise FileRejected(N_("The XLSX workbook cannot be read (%(problem)s)."),
                           problem=exc.__class__.__name__) from None
    finally:
        wb.close()
        fh.close()


# --------------------------------------------------------------------------- entry point


def open_table(path: str, *, max_rows: int = DEFAULT_MAX_ROWS, max_columns: int | None = None,
               xlsx_limits: XlsxLimits | None = None) -> Table:
    """Identify and vet a file; raise FileRejected with a clear message when it cannot be imported.

    ``max_columns`` caps the cells of any row (default `DEFAULT_MAX_COLUMNS`)."""
    max_columns = max_columns or DEFAULT_MAX_COLUMNS
    try:
        with open(path, "rb") as fh:
            head = fh.read(8192)
    except OSError as exc:
        raise FileRejected(N_("The file cannot be opened (%(problem)s)."), problem=exc.strerror) from None
    kind = _sniff_kind(head)
    if kind == "zip":
        declared, part = _check_zip(path, xlsx_limits or XlsxLimits(), max_rows, max_columns)
        return Table(path=path, kind="xlsx", max_rows=max_rows, max_columns=max_columns, _declared_rows=declared,
                     _sheet_part=part)
    encoding = detect_encoding(path)
    return Table(path=path, kind="csv", encoding=encoding, delimiter=_sniff_delimiter(path, encoding), max_rows=max_rows,
                 max_columns=max_columns)


def read_all(path: str, **kw) -> list[list]:
    """Test helper: every row of a small file."""
    return [cells for _n, cells in open_table(path, **kw).rows()]



# --------------------------------------------------------------------------- cells


def clean_cell(value):
    """Strip text; undo the apostrophe our exports put before formula-like text."""
    if isinstance(value, str):
        value = value.strip()
        if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_START:
            value = value[1:]
        return value
    return value


def is_blank_row(cells: list) -> bool:
    """Every cell empty or whitespace."""
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)
