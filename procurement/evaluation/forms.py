"""Web forms of the expert pool and panel pages; `to_data` gives the services the same shape the
JSON API sends (the services validate)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from procurement.evaluation.labels import DECLINE_REASON_LABELS
from procurement.evaluation.states import DECLINE_REASONS
from procurement.web import choices


class ExpertForm(FlaskForm):
    """Add an expert (email and name) or change one (profile fields only)."""

    email = StringField(_l("Email"), validators=[Optional(), Length(max=254)])
    name = StringField(_l("Expert's name"), validators=[Optional(), Length(max=120)])
    specialities = SelectMultipleField(_l("Specialities (categories evaluated)"), validators=[DataRequired()],
                                       description=_l("Hold Ctrl (or Cmd) to choose several."))
    employer_name = StringField(_l("Employer"), validators=[DataRequired(), Length(max=200)])
    employer_credit_code = StringField(_l("Employer's unified social credit code"),
                                       validators=[Optional(), Length(max=40)],
                                       description=_l("When known: experts employed by a bidder or a purchaser are "
                                                      "left out of its panels."))
    province = StringField(_l("Province"), validators=[Optional(), Length(max=80)])
    locality = StringField(_l("City or county"), validators=[Optional(), Length(max=80)])
    submit = SubmitField(_l("Save"))

    def to_data(self, *, with_account: bool) -> dict:
        data = {"specialities": list(self.specialities.data or []), "employer_name": self.employer_name.data or "",
                "employer_credit_code": (self.employer_credit_code.data or "").strip(),
                "province": self.province.data or "", "locality": self.locality.data or ""}
        if with_account:
            data.update(email=self.email.data or "", name=self.name.data or "")
        return data


class PanelRequestForm(FlaskForm):
    lot_id = SelectField(_l("Lot"), validators=[Optional()])
    evaluation_at = StringField(_l("Evaluation date and time"), validators=[Optional()],
                                description=_l("China time (UTC+8); optional."), render_kw={"type": "datetime-local"})
    venue = StringField(_l("Venue"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Request the panel"))

    def to_data(self) -> dict:
        return {"lot_id": self.lot_id.data or None, "evaluation_at": self.evaluation_at.data or None,
                "venue": self.venue.data or ""}


class DeclineForm(FlaskForm):
    reason_type = SelectField(_l("Reason"), choices=choices([(r, DECLINE_REASON_LABELS[r]) for r in DECLINE_REASONS]))
    reason = TextAreaField(_l("Explanation"), validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("Decline"))


class CancelPanelForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("Cancel the panel"))


class ActiveForm(FlaskForm):
    active = BooleanField(_l("Active (can be drawn)"))
    submit = SubmitField(_l("Save"))
