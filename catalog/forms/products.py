"""Forms for the supplier's product editor, evidence uploads and the reviewer's decisions.

The forms check shapes (required, length, date format); the service is the authority on
everything else, and `core.forms.apply_form_errors` (with `product_form_field` for the editor)
puts its per-field messages back on the form.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from core.validation import FIRST_DATE, LAST_DATE

EXTRA_INDICATOR_ROWS = 3
#: The date range the service accepts, also given to the browser's date picker.
DATE_BOUNDS = {"min": FIRST_DATE.isoformat(), "max": LAST_DATE.isoformat()}


class IndicatorRowForm(Form):
    """One declared value (sub-form: the parent form carries the CSRF token)."""

    key = StringField(_l("Indicator"), validators=[Optional(), Length(max=64)])
    value = StringField(_l("Value"), validators=[Optional(), Length(max=200)])
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=32)])


class ProductForm(FlaskForm):
    sku = StringField(_l("SKU"), validators=[DataRequired(), Length(max=64)])
    name_zh = StringField(_l("Name (Chinese)"), validators=[Optional(), Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=200)])
    category = SelectField(_l("Category"), validators=[DataRequired()], choices=[])
    brand = StringField(_l("Brand"), validators=[Optional(), Length(max=120)])
    model_spec = StringField(_l("Model / specification"), validators=[Optional(), Length(max=200)])
    unit = StringField(_l("Unit of sale"), validators=[Optional(), Length(max=32)])
    list_price = DecimalField(_l("List price (CNY)"), places=2, validators=[DataRequired(), NumberRange(min=0)])
    manufacturer = StringField(_l("Manufacturer"), validators=[Optional(), Length(max=200)])
    plant = StringField(_l("Plant"), validators=[Optional(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=10000)])
    indicators = FieldList(FormField(IndicatorRowForm), label=_l("Declared indicator values"), min_entries=0)

    cert_number = StringField(_l("Certificate number"), validators=[Optional(), Length(max=64)])
    cert_body = StringField(_l("Certification body"), validators=[Optional(), Length(max=200)])
    cert_star_grade = SelectField(_l("Star grade"), choices=[SelectChoice(v, label) for v, label in (("", "-"), ("1", "1"), ("2", "2"), ("3", "3"))],
                                  validators=[Optional()])
    cert_standard = StringField(_l("Standard certified against"), validators=[Optional(), Length(max=200)])
    cert_issued_on = DateField(_l("Issued on"), validators=[Optional()], render_kw=DATE_BOUNDS)
    cert_expires_on = DateField(_l("Expires on"), validators=[Optional()], render_kw=DATE_BOUNDS)

    carbon_declared_unit = StringField(_l("Declared unit (e.g. 1 m2, 1 t)"), validators=[Optional(), Length(max=32)])
    carbon_gwp_a1a3 = DecimalField(_l("GWP A1-A3 (kg CO2e per declared unit)"), places=3,
                                   validators=[Optional(), NumberRange(min=0)])
    carbon_valid_until = DateField(_l("Valid until"), validators=[Optional()], render_kw=DATE_BOUNDS)
    carbon_program_operator = StringField(_l("Programme operator"), validators=[Optional(), Length(max=200)])

    submit = SubmitField(_l("Save draft"))

    CERT_FIELDS = ("number", "body", "star_grade", "standard", "issued_on", "expires_on")
    CARBON_FIELDS = ("declared_unit", "gwp_a1a3", "valid_until", "program_operator")

    def to_data(self) -> dict:
        """The service's input dict."""
        data = {
            "sku": self.sku.data,
            "name_zh": self.name_zh.data,
            "name_en": self.name_en.data,
            "category": self.category.data,
            "brand": self.brand.data,
            "model_spec": self.model_spec.data,
            "unit": self.unit.data,
            "list_price": None if self.list_price.data is None else str(self.list_price.data),
            "manufacturer": self.manufacturer.data,
            "plant": self.plant.data,
            "description": self.description.data,
            "indicators": [
                {"key": (row.key.data or "").strip(), "value": row.value.data, "unit": row.unit.data}
                for row in self.indicators if (row.key.data or "").strip() or (row.value.data or "").strip()
            ],
        }
        cert = {k: getattr(self, f"cert_{k}").data for k in self.CERT_FIELDS}
        if any(v not in (None, "") for v in cert.values()):
            data["certificate"] = cert
        carbon = {k: getattr(self, f"carbon_{k}").data for k in self.CARBON_FIELDS}
        if carbon["gwp_a1a3"] is not None:
            carbon["gwp_a1a3"] = float(carbon["gwp_a1a3"])
        if any(v not in (None, "") for v in carbon.values()):
            data["carbon"] = carbon
        return data

    def fill_from(self, product, rule_keys=()):
        """Pre-fill from a product; indicator rows list declared values, then the standard's
        other indicators with empty values, then a few blank rows."""
        for name in ("sku", "name_zh", "name_en", "brand", "model_spec", "unit", "manufacturer", "plant",
                     "description"):
            getattr(self, name).data = getattr(product, name)
        self.category.data = product.category.code if product.category else ""
        from decimal import Decimal

        self.list_price.data = Decimal(product.list_price_fen) / 100
        cert = product.certificates[0] if product.certificates else None
        if cert is not None:
            for k in self.CERT_FIELDS:
                value = getattr(cert, k)
                getattr(self, f"cert_{k}").data = str(value) if k == "star_grade" else value
        carbon = product.current_carbon()
        if carbon is not None:
            for k in self.CARBON_FIELDS:
                getattr(self, f"carbon_{k}").data = getattr(carbon, k)
        rows = [(iv.key, "" if iv.value is None else _plain(iv.value), iv.unit) for iv in product.indicator_values]
        self.set_indicator_rows(rows, rule_keys)

    def set_indicator_rows(self, rows, rule_keys=()):
        present = {r[0] for r in rows}
        rows = list(rows) + [(k, "", u) for k, u in rule_keys if k not in present]
        rows += [("", "", "")] * EXTRA_INDICATOR_ROWS
        while len(self.indicators.entries):
            self.indicators.pop_entry()
        for key, value, unit in rows:
            self.indicators.append_entry({"key": key, "value": value, "unit": unit})


def _plain(value):
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def product_form_field(form: ProductForm, name: str):
    """The editor's field for a service error's field name (`list_price_fen`, `indicators.u_value`,
    `certificate.expires_on`, ...), for `core.forms.apply_form_errors`; None when it has none."""
    if name in ("list_price_fen", "list_price"):
        return form.list_price
    if name in ("category", "category_id"):
        return form.category
    if name.startswith("indicators."):
        key = name.split(".", 1)[1]
        row = next((r for r in form.indicators if (r.key.data or "").strip() == key), None)
        return row.value if row is not None else None
    if name == "certificate":
        return form.cert_number
    if name.startswith("certificate."):
        return getattr(form, "cert_" + name.split(".", 1)[1], None)
    if name.startswith("carbon."):
        return getattr(form, "carbon_" + name.split(".", 1)[1], None)
    field = getattr(form, name, None)
    return field if name != "submit" and hasattr(field, "errors") else None


class DocumentForm(FlaskForm):
    file = FileField(_l("File (PDF, JPEG or PNG)"), validators=[FileRequired()])
    kind = SelectField(_l("Kind"), choices=[SelectChoice("certificate", _l("Certificate")),
                                            SelectChoice("test_report", _l("Test report")),
                                            SelectChoice("other", _l("Other"))])
    submit = SubmitField(_l("Upload"))


class TestReportForm(FlaskForm):
    __test__ = False

    number = StringField(_l("Report number"), validators=[DataRequired(), Length(max=64)])
    lab = StringField(_l("Laboratory"), validators=[DataRequired(), Length(max=200)])
    issued_on = DateField(_l("Issued on"), validators=[DataRequired()], render_kw=DATE_BOUNDS)
    covers = StringField(_l("Indicators covered (comma separated keys)"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Add test report"))


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=500)])
    submit = SubmitField(_l("Confirm"))


class ReviewBatchForm(FlaskForm):
    """The reviewer queue's batch decision on the ticked products (`ids`, read from the request)."""

    reason = TextAreaField(_l("Reason for rejection (for every selected product)"),
                           validators=[Optional(), Length(max=500)])
    verify = SubmitField(_l("Verify selected"))
    reject = SubmitField(_l("Reject selected"))


class SubmitBatchForm(FlaskForm):
    """A supplier submits the ticked drafts (`ids`), or every draft shown on the page (`page_ids`)."""

    submit = SubmitField(_l("Submit selected for review"))
    submit_page = SubmitField(_l("Submit every draft on this page"))
