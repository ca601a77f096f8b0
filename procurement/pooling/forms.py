"""Web forms of pooling: open a round (centre), cancel it with a reason, contribute ticked bill
lines (purchaser). Closing and withdrawing are confirm buttons (`core.forms.ConfirmForm`)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, HiddenField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from procurement.pooling.inputs import DESCRIPTION_MAX, MAX_WINDOW_DAYS, REASON_MAX


class CheckboxesField(SelectMultipleField):
    """A list of checkboxes (no JavaScript); values are whole numbers."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:  # the service says which choices are wrong, by name
        pass


def _ints(values):
    out = []
    for v in values or []:
        try:
            out.append(int(v))
        except (TypeError, ValueError):
            continue
    return out


class RoundForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)],
                        description=_l("For example: First batch of waterproofing materials 2026."))
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=DESCRIPTION_MAX)])
    categories = CheckboxesField(_l("Categories to pool"), coerce=int)
    closes_at = DateTimeLocalField(_l("Closes at (China time)"), format="%Y-%m-%dT%H:%M",
                                   validators=[DataRequired(message=_l("Give the closing date and time."))],
                                   description=_l("Purchasers contribute lines until then; at most %(days)s days "
                                                  "from now.", days=MAX_WINDOW_DAYS))
    submit = SubmitField(_l("Open the pooling round"))

    def to_data(self) -> dict:
        closes = self.closes_at.data
        return {"title": self.title.data or "", "description": self.description.data or "",
                "categories": list(self.categories.data or []),
                "closes_at": closes.isoformat() if closes else ""}


class CancelRoundForm(FlaskForm):
    reason = TextAreaField(_l("Reason for cancelling"), validators=[DataRequired(), Length(max=REASON_MAX)],
                           description=_l("Contributed lines are withdrawn and their purchasers are told why."))
    submit = SubmitField(_l("Cancel the round"))


class ContributeForm(FlaskForm):
    project_id = HiddenField()
    lines = CheckboxesField(_l("Bill lines to pool"), coerce=int)
    submit = SubmitField(_l("Contribute the ticked lines"))

    def line_ids(self) -> list[int]:
        return _ints(self.lines.data)
