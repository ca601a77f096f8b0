"""Forms of the site and acceptance page (CSRF on every one; the services check the input)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class ReasonForm(FlaskForm):
    """Reject a delivery (reason required by the service)."""

    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Reject"))


class SignOffForm(FlaskForm):
    remarks = TextAreaField(_l("Remarks"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Sign off the acceptance"))


class PaymentForm(FlaskForm):
    amount = StringField(_l("Amount settled (yuan)"), validators=[DataRequired(), Length(max=30)])
    reference = StringField(_l("Bank reference"), validators=[DataRequired(), Length(max=80)])
    paid_on = DateField(_l("Paid on"), validators=[DataRequired()])
    submit = SubmitField(_l("Record the payment"))
