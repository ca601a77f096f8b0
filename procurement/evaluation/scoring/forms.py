"""Forms of the scoring pages (Flask-WTF, CSRF on). The services check everything again; these
forms only shape the input."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    Form,
    FormField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from procurement.evaluation.scoring.labels import METHOD_LABELS, SUBJECT_LABELS
from procurement.evaluation.scoring.states import JUSTIFICATION_MAX, REASON_MAX
from procurement.web import choices

#: Empty criterion rows offered below the existing ones (the page works without JavaScript).
SPARE_ROWS = 3


class CriterionForm(Form):
    """One criterion row (a sub-form: the CSRF token is the parent's)."""

    name = StringField(_l("Criterion"), validators=[Optional(), Length(max=200)])
    description = StringField(_l("What the experts look at"), validators=[Optional(), Length(max=2000)])
    weight = StringField(_l("Weight (%)"), validators=[Optional(), Length(max=10)])
    max_score = StringField(_l("Maximum score (points)"), validators=[Optional(), Length(max=10)])

    def is_blank(self) -> bool:
        return not any((f.data or "").strip() for f in (self.name, self.description, self.weight, self.max_score))


class PlanForm(FlaskForm):
    method = SelectField(_l("Evaluation method"), choices=choices(METHOD_LABELS.items()), validators=[DataRequired()])
    subject = SelectField(_l("The lot buys"), choices=choices(SUBJECT_LABELS.items()), validators=[DataRequired()],
                          description=_l("Decides the least price weight of the procedure rules (goods or services)."))
    price_weight = StringField(_l("Price weight (%)"), validators=[Optional(), Length(max=10)],
                               description=_l("Comprehensive scoring only: the price's share of the 100 points."))
    criteria = FieldList(FormField(CriterionForm), min_entries=SPARE_ROWS, max_entries=40)
    submit = SubmitField(_l("Save the evaluation method"))

    def to_data(self, lot_id=None) -> dict:
        rows = [{"name": c.form.name.data, "description": c.form.description.data or "",
                 "weight": c.form.weight.data, "max_score": c.form.max_score.data}
                for c in self.criteria if not c.form.is_blank()]
        data = {"method": self.method.data, "subject": self.subject.data, "price_weight": self.price_weight.data,
                "criteria": rows}
        if lot_id is not None:
            data["lot_id"] = lot_id
        return data


class JustificationForm(FlaskForm):
    justification = TextAreaField(_l("Why your price is sound"), validators=[DataRequired(),
                                                                           Length(max=JUSTIFICATION_MAX)],
                                  description=_l("Explain the costs behind the price (materials, production, "
                                                 "transport, stock): 20 to 5000 characters. It is read by the "
                                                 "evaluation panel."))
    submit = SubmitField(_l("Send the justification"))


class DecisionForm(FlaskForm):
    decision = SelectField(_l("The panel's decision"), choices=choices([("accept", _l("Accept: the bid stays in")),
                                                                        ("reject", _l("Reject: the bid is excluded"))]),
                           validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=REASON_MAX)])
    submit = SubmitField(_l("Record the decision"))


class ReopenForm(FlaskForm):
    reason = TextAreaField(_l("Why the report is taken back"), validators=[DataRequired(), Length(max=REASON_MAX)])
    submit = SubmitField(_l("Take the report back"))


class SheetForm(FlaskForm):
    """The score sheet: its cells are named ``s-<opened bid id>-<criterion id>`` and read by the view."""

    submit = SubmitField(_l("Submit my scores (final)"))
