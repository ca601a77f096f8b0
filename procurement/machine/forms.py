"""The form behind each move button on the project page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional


class TransitionForm(FlaskForm):
    expected = HiddenField()
    to = HiddenField()
    kind = HiddenField()
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Request"))

    @classmethod
    def for_move(cls, project, transition) -> "TransitionForm":
        """The form of one move; its fields are prefixed ``t-<kind>-<stage>-``."""
        form = cls(prefix=f"t-{transition.kind}-{transition.to_stage}")
        form.expected.data, form.to.data, form.kind.data = project.stage, transition.to_stage, transition.kind
        return form
