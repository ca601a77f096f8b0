"""Forms of the negotiation pages (Flask-WTF, CSRF on). The services check every value again."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from procurement.negotiation.services import REASON_MAX, TITLE_MAX


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


class CheckboxesField(SelectMultipleField):
    """A list of checkboxes (no JavaScript); the service says which choices are wrong."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:
        pass


class StartForm(FlaskForm):
    """The centre starts a negotiation: a lot of its tenders (or a mini-competition's subject),
    the invited firms, round 1's deadline and the published step rule. Choices are filled by the
    view; the service checks every value again."""

    kind = SelectField(_l("Procedure"), validators=[DataRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_MAX)])
    lot_id = SelectField(_l("Lot"), validators=[Optional()],
                         description=_l("A lot of one of your centre's tenders whose method is a negotiation, or "
                                        "that failed with the negotiation chosen as its next step. Leave empty for a "
                                        "framework mini-competition and give its subject below."))
    quantity = StringField(_l("Quantity (mini-competition)"), validators=[Optional(), Length(max=30)])
    unit = StringField(_l("Unit (mini-competition)"), validators=[Optional(), Length(max=20)])
    agreement_id = StringField(_l("Framework agreement id (mini-competition)"), validators=[Optional(), Length(max=12)])
    ceiling = StringField(_l("Ceiling (CNY)"), validators=[Optional(), Length(max=30)],
                          description=_l("For a lot: its own ceiling unless you give a lower one."))
    supplier_org_ids = CheckboxesField(_l("Invited supplier firms"), coerce=int,
                                       description=_l("At least three verified supplier firms."))
    first_deadline_at = StringField(_l("Deadline of round 1"), validators=[DataRequired(), Length(max=40)],
                                    description=_l("China time (UTC+8)."), render_kw={"type": "datetime-local"})
    step_percent = StringField(_l("Minimal step (percentage of the previous offer)"),
                               validators=[Optional(), Length(max=10)])
    step_min = StringField(_l("Minimal step (CNY)"), validators=[Optional(), Length(max=30)],
                           description=_l("A new offer is at least the larger of the two below the firm's previous "
                                          "offer."))
    min_rounds = StringField(_l("Rounds of improved offers before the final offers"),
                             validators=[Optional(), Length(max=3)],
                             description=_l("At least the procedure rules' number; empty: that number."))
    tie_rule = SelectField(_l("Tie rule"), validators=[DataRequired()])
    submit = SubmitField(_l("Start the negotiation"))
