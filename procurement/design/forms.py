"""Web forms for bill lines and bill import. Prices are typed in yuan; tightened limits as
``key = limit`` lines."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from core.money import MoneyError, format_fen, parse_yuan
from core.validation import message_of
from procurement import labels
from procurement.quantities import PURCHASE_UNITS, format_quantity
from procurement.web import choices


class BomLineForm(FlaskForm):
    category = SelectField(_l("Material category"), choices=[])
    specification = StringField(_l("Specification"), validators=[DataRequired(), Length(max=300)])
    quantity = StringField(_l("Quantity"), validators=[DataRequired()])
    unit = SelectField(_l("Unit"), choices=choices([(u, labels.UNITS[u]) for u in PURCHASE_UNITS]))
    unit_price = StringField(_l("Estimated unit price (CNY)"), validators=[DataRequired()])
    green_required = BooleanField(_l("Require a certified green product"), default=True,
                                  description=_l("Always required for mandatory categories."))
    tightenings = TextAreaField(
        _l("Tightened limits"), validators=[Optional(), Length(max=2000)],
        description=_l("Optional, one per line as key = limit (e.g. voc = 60). Limits may only be stricter than "
                       "the city's standard."))
    submit = SubmitField(_l("Save line"))

    def fill_from(self, line) -> None:
        self.category.data = line.category.code
        self.specification.data = line.specification
        self.quantity.data = format_quantity(line.quantity_milli)
        self.unit.data = line.unit
        self.unit_price.data = format_fen(line.est_unit_price_fen, symbol=False, grouping=False)
        self.green_required.data = line.green_required
        self.tightenings.data = format_tightenings(line.tightenings)

    def to_data(self) -> tuple[dict, dict]:
        """(service input, {form field: (template, params)}) from the typed text."""
        errors = {}
        data = {"category": self.category.data, "specification": self.specification.data or "",
                "quantity": (self.quantity.data or "").strip(), "unit": self.unit.data,
                "green_required": bool(self.green_required.data),
                "tightenings": parse_tightenings(self.tightenings.data or "")}
        try:
            data["est_unit_price_fen"] = parse_yuan(self.unit_price.data)
        except MoneyError as exc:
            errors["unit_price"] = message_of(exc)
        return data, errors


class ImportForm(FlaskForm):
    file = FileField(_l("CSV or XLSX file"), validators=[DataRequired()],
                     description=_l("Columns: category, specification, quantity, unit, unit_price (CNY), "
                                    "green_required; optional tightened limits in columns named tighten.KEY "
                                    "(e.g. tighten.voc)."))
    replace = BooleanField(_l("Replace the current bill (otherwise lines are added)"))
    submit = SubmitField(_l("Import lines"))


def parse_tightenings(text: str) -> dict:
    """``"voc = 60\\nfire_class: A"`` -> ``{"voc": "60", "fire_class": "A"}``; bad lines keep their text
    under a ``line N`` key so the service reports them."""
    out: dict = {}
    for n, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        for sep in ("<=", ">=", "=", ":"):
            if sep in line:
                key, _, value = line.partition(sep)
                out[key.strip()] = value.strip()
                break
        else:
            out[f"line {n}"] = line
    return out


def format_tightenings(tight: dict) -> str:
    def show(v):
        return ", ".join(map(str, v)) if isinstance(v, list) else str(v)

    return "\n".join(f"{k} = {show(v)}" for k, v in (tight or {}).items())
