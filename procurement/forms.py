"""Web forms for projects, budgets, bills of materials and transitions.

Forms only collect text; the services validate (the API shares them). Money is typed in yuan
and converted to fen here; errors from the services are put back onto these fields.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (BooleanField, FieldList, Form, FormField, HiddenField, SelectField, StringField, SubmitField,
                     TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from procurement import labels
from procurement.models import BUILDING_TYPES, FUNDING_KINDS, PERSON_ROLES
from procurement.quantities import PURCHASE_UNITS

BUILDING_TYPE_LABELS = labels.BUILDING_TYPES
PERSON_ROLE_LABELS = labels.PERSON_ROLES
FUNDING_KIND_LABELS = labels.FUNDING_KINDS

def choices(pairs) -> list[SelectChoice]:
    """``[(value, label), ...]`` as WTForms SelectChoice objects (tuples are deprecated)."""
    return [SelectChoice(value, label) for value, label in pairs]


STAR_CHOICES = choices([("0", _l("Basic grade")), ("1", _l("One star")), ("2", _l("Two stars")),
                        ("3", _l("Three stars"))])


class PersonForm(Form):
    role = SelectField(_l("Role"), choices=choices([("", "—")] + [(r, PERSON_ROLE_LABELS[r]) for r in PERSON_ROLES]),
                       validators=[Optional()])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=120)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])


class ProjectForm(FlaskForm):
    name = StringField(_l("Project name"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    building_type = SelectField(_l("Building type"), choices=choices([(b, BUILDING_TYPE_LABELS[b]) for b in BUILDING_TYPES]))
    floor_area_m2 = StringField(_l("Floor area (m²)"), validators=[DataRequired()],
                                description=_l("Whole square metres, at most 2,000,000."))
    green_star_target = SelectField(_l("Green building star target"), choices=STAR_CHOICES, default="1")
    people = FieldList(FormField(PersonForm), label=_l("Responsible people"), min_entries=3, max_entries=20)
    submit = SubmitField(_l("Save project"))

    def to_data(self) -> dict:
        people = [{"role": p.role.data, "name": (p.name.data or "").strip(), "phone": p.phone.data or ""}
                  for p in (entry.form for entry in self.people) if (p.name.data or "").strip() or p.role.data]
        return {"name": self.name.data or "", "description": self.description.data or "",
                "building_type": self.building_type.data, "floor_area_m2": (self.floor_area_m2.data or "").strip(),
                "green_star_target": self.green_star_target.data, "people": people}


class FundingForm(Form):
    kind = SelectField(_l("Funding source"), choices=choices([("", "—")] + [(k, FUNDING_KIND_LABELS[k]) for k in FUNDING_KINDS]),
                       validators=[Optional()])
    description = StringField(_l("Description"), validators=[Optional(), Length(max=200)])
    amount = StringField(_l("Amount (CNY)"), validators=[Optional()])


class BudgetForm(FlaskForm):
    total = StringField(_l("Budget total (CNY)"), validators=[DataRequired()],
                        description=_l("Yuan with up to two decimals; may not exceed the funding total."))
    green_share = StringField(_l("Green materials share (%)"), validators=[DataRequired()],
                              description=_l("Share of the budget planned for certified green materials."))
    funding = FieldList(FormField(FundingForm), label=_l("Funding sources"), min_entries=3, max_entries=20)
    submit = SubmitField(_l("Submit budget for review"))


class ReviewForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)],
                            description=_l("Required when returning the budget."))
    approve = SubmitField(_l("Approve budget"))
    send_back = SubmitField(_l("Return with comments"))


class BomLineForm(FlaskForm):
    category = SelectField(_l("Material category"), choices=[])
    specification = StringField(_l("Specification"), validators=[DataRequired(), Length(max=300)])
    quantity = StringField(_l("Quantity"), validators=[DataRequired()])
    unit = SelectField(_l("Unit"), choices=choices([(u, u) for u in PURCHASE_UNITS]))
    unit_price = StringField(_l("Estimated unit price (CNY)"), validators=[DataRequired()])
    green_required = BooleanField(_l("Require a certified green product"), default=True,
                                  description=_l("Always required for mandatory categories."))
    tightenings = TextAreaField(
        _l("Tightened limits"), validators=[Optional(), Length(max=2000)],
        description=_l("Optional, one per line as key = limit (e.g. voc = 60). Limits may only be stricter than "
                       "the city's standard."))
    submit = SubmitField(_l("Save line"))


class ImportForm(FlaskForm):
    file = FileField(_l("CSV or XLSX file"), validators=[DataRequired()],
                     description=_l("Columns: category, specification, quantity, unit, unit_price (CNY), "
                                    "green_required; optional tightened limits in columns named tighten.KEY "
                                    "(e.g. tighten.voc)."))
    replace = BooleanField(_l("Replace the current bill (otherwise lines are added)"))
    submit = SubmitField(_l("Import lines"))


class DocumentForm(FlaskForm):
    kind = SelectField(_l("Kind of document"), choices=choices(list(labels.DOCUMENT_KINDS.items())))
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    file = FileField(_l("PDF, JPEG or PNG file"), validators=[DataRequired()])
    submit = SubmitField(_l("Attach document"))


class TransitionForm(FlaskForm):
    expected = HiddenField()
    to = HiddenField()
    kind = HiddenField()
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Request"))


class ConfirmForm(FlaskForm):
    submit = SubmitField(_l("Confirm"))


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
