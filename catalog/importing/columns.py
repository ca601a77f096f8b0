"""The import file format: columns, header checks and row -> product data (pure).

The format is documented in docs/import-format.md; `catalog.exporting` writes the same columns so
an export can be edited and imported again.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from core.i18n import N_, message_payload, render_payload
from core.tabular import clean_cell

from catalog import units

# column -> key in the product data passed to catalog.services.product_upsert.upsert_product
# ("certificate.number" means data["certificate"]["number"]).
BASE_COLUMNS: dict[str, str] = {
    "sku": "sku",
    "name_zh": "name_zh",
    "name_en": "name_en",
    "category": "category",
    "brand": "brand",
    "model": "model_spec",
    "unit": "unit",
    "list_price": "list_price",
    "manufacturer": "manufacturer",
    "plant": "plant",
    "description": "description",
    "certificate_number": "certificate.number",
    "certification_body": "certificate.body",
    "star_grade": "certificate.star_grade",
    "certificate_standard": "certificate.standard",
    "issued_on": "certificate.issued_on",
    "expires_on": "certificate.expires_on",
    "gwp_a1a3": "carbon.gwp_a1a3",
    "declared_unit": "carbon.declared_unit",
    "carbon_valid_until": "carbon.valid_until",
}
REQUIRED_COLUMNS = ("sku", "name_zh", "category", "list_price")
FIELD_TO_COLUMN = {v: k for k, v in BASE_COLUMNS.items()}
FIELD_TO_COLUMN["list_price_fen"] = "list_price"
FIELD_TO_COLUMN["category_id"] = "category"
EXPORT_COLUMNS = list(BASE_COLUMNS)

IND_RE = re.compile(r"^ind:([a-z][a-z0-9_]{0,63})(?:\[(.*)\])?$")


@dataclass(frozen=True)
class Issue:
    """One problem: spreadsheet row number (1 = header, 0 = the file), column name, and a
    translatable message: an English template with `params` (`Term` values are translated too)."""

    row: int
    column: str
    message: str
    params: dict = field(default_factory=dict, compare=False)

    @property
    def text(self) -> str:
        """The message in English."""
        return self.message % self.params if self.params else self.message

    def localised(self) -> str:
        """The message in the current locale."""
        return render_payload(self.payload())

    def payload(self) -> dict:
        return message_payload(self.message, self.params)

    def __str__(self) -> str:
        if self.row <= 0:
            return f"file: {self.text}"
        if not self.column:
            return f"row {self.row}: {self.text}"
        return f"row {self.row}, column {self.column}: {self.text}"

    def as_list(self) -> list:
        """JSON form kept in a job's result: ``[row, column, {"key": template, "params": {...}}]``."""
        return [self.row, self.column, self.payload()]


@dataclass
class Header:
    """Where each known column is, plus indicator columns ``(index, key, unit, header text)``."""

    positions: dict[str, int] = field(default_factory=dict)
    indicators: list[tuple[int, str, str, str]] = field(default_factory=list)
    width: int = 0

    def column_for(self, field_name: str) -> str:
        """Map an error field of the product service back to a column name."""
        if field_name.startswith("indicators."):
            key = field_name.split(".", 1)[1]
            for _i, k, _u, text in self.indicators:
                if k == key:
                    return text
            return field_name
        return FIELD_TO_COLUMN.get(field_name, field_name)


def _norm_header(cell) -> str:
    text = "" if cell is None else str(cell)
    return text.replace("\ufeff", "").strip()


def parse_header(cells: list) -> tuple[Header, list[Issue]]:
    """Check the header row; returns the mapping and any problems (all reported at once)."""
    header = Header(width=len(cells))
    issues: list[Issue] = []
    seen: dict[str, int] = {}
    for i, cell in enumerate(cells):
        raw = _norm_header(cell)
        if not raw:
            continue
        name = raw.lower() if not raw.lower().startswith("ind:") else "ind:" + raw[4:]
        if name in seen:
            issues.append(Issue(1, raw, N_("duplicate column (also column %(position)s)"), {"position": seen[name] + 1}))
            continue
        seen[name] = i
        if name in BASE_COLUMNS:
            header.positions[name] = i
            continue
        m = IND_RE.match(name)
        if m:
            key, unit = m.group(1), (m.group(2) or "").strip()
            if unit and not units.is_known(unit):
                issues.append(Issue(1, raw, N_("unknown unit '%(unit)s' (known units are listed in docs/import-format.md)"),
                                    {"unit": unit}))
                continue
            if any(k == key for _i, k, _u, _t in header.indicators):
                issues.append(Issue(1, raw, N_("indicator %(key)s appears twice"), {"key": key}))
                continue
            header.indicators.append((i, key, units.canonical(unit) if unit else "", raw))
            continue
        if name.startswith("ind:"):
            issues.append(Issue(1, raw, N_("indicator columns are written ind:<key>[<unit>], "
                                           "key in lower-case letters, digits and underscores")))
        else:
            issues.append(Issue(1, raw, N_("unknown column")))
    for col in REQUIRED_COLUMNS:
        if col not in header.positions:
            issues.append(Issue(1, col, N_("required column is missing")))
    return header, issues


def _plan(header: Header) -> tuple:
    """Per column: ``(index, group, key)``, group "" for the product itself, "certificate" or
    "carbon" (computed once per header)."""
    plan = header.__dict__.get("_plan")
    if plan is None:
        plan = []
        for col, i in header.positions.items():
            target = BASE_COLUMNS[col]
            group, _dot, key = target.rpartition(".")
            plan.append((i, group, key))
        plan = header.__dict__["_plan"] = tuple(plan)
    return plan


def row_to_data(header: Header, cells: list) -> dict:
    """Product data for `upsert_product` from one row; blank cells of present columns clear fields."""
    width = len(cells)
    data: dict = {}
    groups: dict = {"": data, "certificate": {}, "carbon": {}}
    for i, group, key in _plan(header):
        value = clean_cell(cells[i]) if i < width else None
        groups[group][key] = None if value == "" else value
    if header.indicators:
        data["indicators"] = [{"key": key, "value": clean_cell(cells[i]) if i < width else None, "unit": unit}
                              for i, key, unit, _t in header.indicators]
    cert, carbon = groups["certificate"], groups["carbon"]
    if any(v not in (None, "") for v in cert.values()):
        data["certificate"] = cert
    if any(v not in (None, "") for v in carbon.values()):
        data["carbon"] = carbon
    return data
