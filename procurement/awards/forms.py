"""Forms of the award pages (Flask-WTF, CSRF on). The services check every value again."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from procurement.awards.challenges import TEXT_MAX
from procurement.awards.services import REASON_MAX
from procurement.awards.succession import WITHDRAWAL_REASON_MAX
from procurement.web import choices


class ReviewForm(FlaskForm):
    """The finance office approves or returns a recommendation (a reason is required to return)."""

    decision = SelectField(_l("Decision"), choices=choices([("approve", _l("Approve the recommendation")),
                                                            ("return", _l("Return it to the centre"))]),
                           validators=[DataRequired()])
    comment = TextAreaField(_l("Comment or reason"), validators=[Length(max=REASON_MAX)],
                            description=_l("Required when you return the recommendation: the centre reads it."))
    submit = SubmitField(_l("Record the review"))


class WithdrawalForm(FlaskForm):
    kind = SelectField(_l("What happened"), choices=choices([("winner_withdrew", _l("The winner withdrew")),
                                                             ("refused_to_sign", _l("The winner refused to sign"))]),
                       validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=[Length(max=WITHDRAWAL_REASON_MAX)],
                           description=_l("Required. The winner's bid bond is forfeited and the next-ranked firm is "
                                          "offered the award."))
    submit = SubmitField(_l("Record and offer the award to the next firm"))


class DeclineForm(FlaskForm):
    reason = TextAreaField(_l("Reason (optional)"), validators=[Length(max=REASON_MAX)])
    submit = SubmitField(_l("Decline the offer"))


class NextStepForm(FlaskForm):
    choice = SelectField(_l("Next step"), validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=[Length(max=REASON_MAX)],
                           description=_l("Why this step; for a negotiation procedure, who approved it."))
    submit = SubmitField(_l("Record the choice"))


class ChallengeForm(FlaskForm):
    text = TextAreaField(_l("Your challenge"), validators=[Length(max=TEXT_MAX)],
                         description=_l("What in the award you challenge and why (at least 20 characters). Only the "
                                        "centre and the finance office read it."))
    submit = SubmitField(_l("Lodge the challenge"))


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Answer"), validators=[Length(max=TEXT_MAX)],
                           description=_l("Sent to the challenger (at least 20 characters)."))
    submit = SubmitField(_l("Send the answer"))


class ComplaintForm(FlaskForm):
    text = TextAreaField(_l("Your complaint"), validators=[Length(max=TEXT_MAX)],
                         description=_l("Addressed to the finance office of the tender's city (at least 20 "
                                        "characters)."))
    submit = SubmitField(_l("Lodge the complaint"))


class DecisionForm(FlaskForm):
    outcome = SelectField(_l("Decision"), choices=choices([("dismissed", _l("Dismissed: the award stands")),
                                                           ("upheld", _l("Upheld: the award fails"))]),
                          validators=[DataRequired()])
    reason = TextAreaField(_l("Reasons"), validators=[Length(max=TEXT_MAX)],
                           description=_l("Sent to the challenger and the centre (at least 20 characters)."))
    submit = SubmitField(_l("Record the decision"))
