"""Forms of the negotiation pages (Flask-WTF, CSRF on). The services check every value again."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from procurement.negotiation.services import REASON_MAX


class OfferForm(FlaskForm):
    """An invited firm's sealed offer: the total in yuan (the service checks ceiling and step)."""

    total = StringField(_l("Your total offer (CNY)"), validators=[DataRequired(), Length(max=30)],
                        description=_l("Sealed until the round's deadline: nobody, the centre included, can read it "
                                       "before. One offer per round; it is final."))
    submit = SubmitField(_l("Seal and send the offer"))


class RoundForm(FlaskForm):
    deadline_at = StringField(_l("Deadline"), validators=[DataRequired(), Length(max=40)],
                              description=_l("China time (UTC+8)."), render_kw={"type": "datetime-local"})
    final = BooleanField(_l("Final-offer round"))
    submit = SubmitField(_l("Open the round"))


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=REASON_MAX)])
    submit = SubmitField(_l("Cancel the negotiation"))
