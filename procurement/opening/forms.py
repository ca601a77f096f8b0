"""Forms of the opening pages (Flask-WTF, CSRF on)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from procurement.bids.keyholders import PASSPHRASE_MAX
from procurement.opening.qualification import REASON_MAX
from procurement.web import choices


class UnlockForm(FlaskForm):
    passphrase = PasswordField(_l("Your passphrase"), validators=[DataRequired(), Length(max=PASSPHRASE_MAX)],
                               description=_l("The passphrase you chose when you enrolled as an opening key holder. "
                                              "It unlocks your share only; it is not stored."))
    submit = SubmitField(_l("Unlock my share"))


class OverrideForm(FlaskForm):
    """Override one qualification result; the reason is required (checked by the service too)."""

    passed = SelectField(_l("Result"), choices=choices([("pass", _l("Passes")), ("fail", _l("Fails"))]),
                         validators=[DataRequired()])
    reason = TextAreaField(_l("Reason for the override"), validators=[Length(max=REASON_MAX)],
                           description=_l("Required: recorded with the result and in the audit trail."))
    submit = SubmitField(_l("Override"))


class NextStepForm(FlaskForm):
    choice = SelectField(_l("Next step"), validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=[Length(max=REASON_MAX)],
                           description=_l("Why this step; for a negotiation procedure, who approved it."))
    submit = SubmitField(_l("Record the choice"))
