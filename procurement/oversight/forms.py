"""Forms of the oversight pages (Flask-WTF, CSRF on). The service checks every value again; these
only turn yuan and percentages into fen and basis points."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from core.i18n import N_
from core.money import MoneyError, parse_yuan
from core.validation import InputError

PERCENT = re.compile(r"^\d{1,3}(\.\d{1,2})?$")


def percent_to_bp(raw: str) -> int:
    """'62.5' (per cent, up to two decimals, 0-100) -> 6250 bp; InputError otherwise."""
    text = (raw or "").strip().rstrip("%").strip()
    if not PERCENT.match(text):
        raise InputError(N_("Write a percentage between 0 and 100, e.g. 62.5."))
    whole, _dot, frac = text.partition(".")
    bp = int(whole) * 100 + int((frac + "00")[:2])
    if bp > 10000:
        raise InputError(N_("Write a percentage between 0 and 100, e.g. 62.5."))
    return bp


class TargetForm(FlaskForm):
    """A city's annual targets (field names are the service's keys)."""

    city = SelectField(_l("City"), validators=[DataRequired()])
    year = StringField(_l("Year"), validators=[DataRequired(), Length(max=4)])
    green_amount_fen = StringField(_l("Green-material procurement amount (yuan)"), validators=[DataRequired()])
    coverage_bp = StringField(_l("Share of eligible projects covered (%)"), validators=[DataRequired()])
    green_share_bp = StringField(_l("Green share of materials (%)"), validators=[DataRequired()])
    batch_share_bp = StringField(_l("Batch-procured share (%)"), validators=[DataRequired()])
    prefab_share_bp = StringField(_l("Prefabricated-construction share (%)"), validators=[DataRequired()])
    note = TextAreaField(_l("Note"), validators=[Length(max=500)])
    submit = SubmitField(_l("Save the targets"))

    def service_data(self) -> dict | None:
        """The service's input, or None after marking the fields that are not numbers."""
        data = {"city": self.city.data, "year": self.year.data, "note": self.note.data or ""}
        ok = True
        try:
            data["green_amount_fen"] = parse_yuan(self.green_amount_fen.data)
        except MoneyError as exc:
            self.green_amount_fen.errors = [_message(exc)]
            ok = False
        for name in ("coverage_bp", "green_share_bp", "batch_share_bp", "prefab_share_bp"):
            try:
                data[name] = percent_to_bp(getattr(self, name).data)
            except InputError as exc:
                getattr(self, name).errors = [_message(exc)]
                ok = False
        return data if ok else None


def _message(exc) -> str:
    from core.i18n import translate_message
    from core.validation import message_of

    return translate_message(message_of(exc))
