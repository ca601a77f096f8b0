"""Export a supplier's products as CSV or XLSX in the import format.

Text that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or
carriage return) gets a leading apostrophe, so opening an export never executes anything; plain
numbers such as ``-20`` are left alone (they are not formulas) and XLSX numbers are written as
numbers. The importer strips that apostrophe again, so an export can be edited and re-imported.
Rows are streamed from the database in batches.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Iterator

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.extensions import db
from core.money import format_fen
from core.tabular import FORMULA_START

from catalog import units
from catalog.importing.columns import EXPORT_COLUMNS

_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
BATCH = 500


def neutralise(value):
    """Make a cell value safe to open in a spreadsheet (see module doc)."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] in FORMULA_START and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def _indicator_columns(supplier_id: int) -> list[tuple[str, str]]:
    """One ``(key, unit)`` column per indicator key: the unit most of the supplier's products use.

    Values declared in another (convertible) unit are converted into it, so the file imports again
    (an indicator key may appear only once in the import format).
    """
    from sqlalchemy import func

    from catalog.models.products import Product, ProductIndicatorValue

    rows = db.session.execute(
        select(ProductIndicatorValue.key, ProductIndicatorValue.unit, func.count())
        .join(Product, Product.id == ProductIndicatorValue.product_id)
        .where(Product.supplier_id == supplier_id)
        .group_by(ProductIndicatorValue.key, ProductIndicatorValue.unit)).all()
    best: dict[str, tuple[int, str]] = {}
    for key, unit, count in rows:
        unit = unit or ""
        if key not in best or (count, unit) > best[key]:
            best[key] = (count, unit)
    return sorted((key, unit) for key, (_count, unit) in best.items())


def _in_unit(value, vunit: str, unit: str):
    if vunit == unit or value is None:
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        converted, problem = units.try_convert(value, vunit, unit)
        return None if problem else converted
    return value if not unit else None


def _header(ind_cols) -> list[str]:
    return EXPORT_COLUMNS + [f"ind:{k}[{u}]" if u else f"ind:{k}" for k, u in ind_cols]


def _iso(d):
    return d.isoformat() if isinstance(d, (dt.date, dt.datetime)) else d


def _rows(supplier, ind_cols, typed: bool) -> Iterator[list]:
    from catalog.models.products import Product

    last_id = 0
    while True:
        batch = db.session.execute(
            select(Product).where(Product.supplier_id == supplier.id, Product.id > last_id).order_by(Product.id)
            .limit(BATCH)
            .options(selectinload(Product.indicator_values), selectinload(Product.certificates),
                     selectinload(Product.carbon_declarations))).unique().scalars().all()
        if not batch:
            return
        for p in batch:
            cert = p.certificates[0] if p.certificates else None
            carbon = p.current_carbon()
            values = {iv.key: (iv.value, iv.unit or "") for iv in p.indicator_values}
            row = [
                p.sku, p.name_zh, p.name_en, p.category.code if p.category else "", p.brand, p.model_spec, p.unit,
                (p.list_price_fen / 100 if typed else format_fen(p.list_price_fen, symbol=False, grouping=False)),
                p.manufacturer, p.plant, p.description,
                cert.number if cert else None, cert.body if cert else None, cert.star_grade if cert else None,
                cert.standard if cert else None, cert.issued_on if cert else None, cert.expires_on if cert else None,
                carbon.gwp_a1a3 if carbon else None, carbon.declared_unit if carbon else None,
                carbon.valid_until if carbon else None,
            ]
            for key, unit in ind_cols:
                value, vunit = values.get(key, (None, unit))
                row.append(_in_unit(value, vunit, unit))
            if not typed:
                row = ["" if v is None else _plain(v) for v in row]
            yield [neutralise(v) for v in row]
        last_id = batch[-1].id
        for p in batch:  # keep memory flat; the supplier and the signed-in user stay in the session
            db.session.expunge(p)


def _plain(v) -> str:
    if isinstance(v, float):
        return repr(v) if not v.is_integer() else str(int(v))
    return str(_iso(v))


def iter_csv(supplier, counter: list | None = None) -> Iterator[str]:
    """CSV text chunks (UTF-8 with BOM so spreadsheet programs detect the encoding).

    ``counter`` (a one-element list) receives the number of products written.
    """
    ind_cols = _indicator_columns(supplier.id)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    buf.write("\ufeff")
    writer.writerow(_header(ind_cols))
    n = 0
    for row in _rows(supplier, ind_cols, typed=False):
        writer.writerow(row)
        n += 1
        if counter is not None:
            counter[0] = n
        if n % 200 == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def write_xlsx(supplier, fh) -> int:
    """Write an XLSX workbook (openpyxl write-only, constant memory) to a binary file; returns rows."""
    import openpyxl

    ind_cols = _indicator_columns(supplier.id)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("products")
    ws.append(_header(ind_cols))
    n = 0
    for row in _rows(supplier, ind_cols, typed=True):
        ws.append(row)
        n += 1
    wb.save(fh)
    return n


def export_to_file(supplier, fmt: str, path: str) -> int:
    """Export to ``path`` as ``csv`` or ``xlsx``; returns the number of products."""
    if fmt == "xlsx":
        with open(path, "wb") as fh:
            return write_xlsx(supplier, fh)
    counter = [0]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        for chunk in iter_csv(supplier, counter):
            fh.write(chunk)
    return counter[0]
