"""Forms of the bid pages and key-holder enrolment (Flask-WTF, CSRF on)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from procurement.bids.keyholders import PASSPHRASE_MAX, PASSPHRASE_MIN


class BidForm(FlaskForm):
    """One lot's bid: a product of the firm's catalogue, the unit price, documents. The client
    request id is made when the form is shown, so a form sent twice makes one bid."""

    lot_id = HiddenField(validators=[DataRequired()])
    request_id = HiddenField(validators=[DataRequired(), Length(min=8, max=80)])
    replaces = HiddenField()
    product_id = SelectField(_l("Product"), validators=[DataRequired()], validate_choice=False,
                             description=_l("Your firm's listed products that meet this lot's requirements."))
    unit_price = StringField(_l("Unit price (CNY)"), validators=[DataRequired(), Length(max=40)],
                             description=_l("The total is the unit price times the lot's quantity."))
    documents = MultipleFileField(_l("Technical documents"),
                                  description=_l("Up to 5 files of at most 2 MB each; sealed with the bid."))
    submit = SubmitField(_l("Seal and submit the bid"))


class BidActionForm(FlaskForm):
    """Withdraw or re-confirm a bid (a button)."""

    submit = SubmitField(_l("Confirm"))


class EnrolForm(FlaskForm):
    passphrase = PasswordField(_l("Passphrase"), validators=[DataRequired(), Length(min=PASSPHRASE_MIN,
                                                                                    max=PASSPHRASE_MAX)],
                               description=_l("At least 12 characters. Only you know it: the platform stores a "
                                              "salt and your key locked with it, never the passphrase. Without it "
                                              "your shares of opening keys cannot be used."))
    confirm = PasswordField(_l("Passphrase again"), validators=[DataRequired(), Length(max=PASSPHRASE_MAX)])
    submit = SubmitField(_l("Become an opening key holder"))


class CheckPassphraseForm(FlaskForm):
    passphrase = PasswordField(_l("Passphrase"), validators=[DataRequired(), Length(max=PASSPHRASE_MAX)])
    submit = SubmitField(_l("Check my passphrase"))


__all__ = ["BidActionForm", "BidForm", "CheckPassphraseForm", "EnrolForm", "Optional"]
