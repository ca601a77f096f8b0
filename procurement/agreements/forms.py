"""Forms of the agreement and order pages (Flask-WTF, CSRF on). The services check every value
again; these only shape the input."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from procurement.agreements.states import DEFAULT_RETENTION_BP, MAX_RETENTION_BP
from procurement.web import choices


class PrepareForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=choices([("framework", _l("Framework agreement")),
                                                    ("contract", _l("Contract"))]), validators=[DataRequired()])
    valid_from = DateField(_l("Valid from"), validators=[Optional()])
    valid_until = DateField(_l("Valid until"), validators=[DataRequired()])
    retention_bp = IntegerField(_l("Quality retention (basis points of each payment)"), default=DEFAULT_RETENTION_BP,
                                validators=[Optional(), NumberRange(min=0, max=MAX_RETENTION_BP)])
    supplier_org_ids = StringField(_l("More suppliers (organisation ids of next-ranked firms, comma-separated)"),
                                   validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Prepare the agreement"))

    def data_for_service(self) -> dict:
        extra = [s.strip() for s in (self.supplier_org_ids.data or "").split(",") if s.strip()]
        return {"kind": self.kind.data, "valid_from": self.valid_from.data, "valid_until": self.valid_until.data,
                "retention_bp": self.retention_bp.data, "supplier_org_ids": extra}


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(min=5, max=2000)])
    submit = SubmitField(_l("Confirm"))


class OrderForm(FlaskForm):
    """One bill line's call-off from the agreement (the page shows one form per quota)."""

    request_id = HiddenField()
    quantity = StringField(_l("Quantity to order"), validators=[DataRequired(), Length(max=40)])
    supplier_org_id = SelectField(_l("Supplier"), validators=[Optional()])
    selection_method = SelectField(_l("Selection"), choices=choices([("direct", _l("Direct selection")),
                                                                     ("mini_competition", _l("Mini-competition"))]))
    negotiation_id = IntegerField(_l("Mini-competition number (when chosen by a mini-competition)"),
                                  validators=[Optional(), NumberRange(min=1, max=2**31 - 1)])
    selection_note = TextAreaField(_l("Why this supplier (optional)"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Place the order"))
