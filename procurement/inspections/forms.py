"""Web forms of inspection pages; `to_data` gives the services the shape the JSON API sends (the
services validate)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import FieldList, Form, FormField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from procurement.inspections import labels
from procurement.inspections.states import ITEM_CLASSES, ITEM_OUTCOMES, SAMPLE_OUTCOMES, TARGET_KINDS, TIE_REASONS
from procurement.web import choices
from procurement.web import choices

SPARE_ITEMS = 5


class ItemForm(Form):
    name = StringField(_l("Check item"), validators=[Optional(), Length(max=200)])
    klass = SelectField(_l("Class"), choices=choices([(k, labels.ITEM_CLASSES[k]) for k in ITEM_CLASSES]),
                        validate_choice=False)  # the service validates (empty rows are spare)
    target = SelectField(_l("Targets"), choices=choices([(k, labels.TARGET_KINDS[k]) for k in TARGET_KINDS]),
                         validate_choice=False)
    share_pct = StringField(_l("Share of the pool drawn (%)"), validators=[Optional(), Length(max=10)])


class CampaignForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=4000)])
    starts_on = StringField(_l("Starts on"), validators=[DataRequired()], render_kw={"type": "date"})
    ends_on = StringField(_l("Ends on"), validators=[DataRequired()], render_kw={"type": "date"})
    team_size = StringField(_l("Inspectors per team"), validators=[DataRequired(), Length(max=2)], default="2")
    items = FieldList(FormField(ItemForm), min_entries=SPARE_ITEMS, max_entries=20)
    submit = SubmitField(_l("Open the campaign (commit the target draw)"))

    def to_data(self) -> dict:
        rows = []
        for row in self.items:
            f = row.form
            if not (f.name.data or "").strip():
                continue
            pct = (f.share_pct.data or "").strip()
            try:
                share = round(float(pct) * 100) if pct else None
            except ValueError:
                share = pct
            rows.append({"name": f.name.data, "class": f.klass.data, "target": f.target.data, "share_bp": share})
        return {"title": self.title.data, "description": self.description.data or "", "starts_on": self.starts_on.data,
                "ends_on": self.ends_on.data, "team_size": self.team_size.data, "items": rows}


class CheckForm(Form):
    code = HiddenField()
    outcome = SelectField(_l("Outcome"), choices=choices([(k, labels.OUTCOMES[k]) for k in ITEM_OUTCOMES]))
    note = StringField(_l("Note"), validators=[Optional(), Length(max=1000)])


class ResultsForm(FlaskForm):
    checks = FieldList(FormField(CheckForm), min_entries=0, max_entries=20)
    samples = TextAreaField(_l("Samples"), validators=[Optional(), Length(max=20000)],
                            description=_l("One sample a line: batch number | product | laboratory | outcome "
                                           "(pass, fail or pending)."))
    findings = TextAreaField(_l("Findings"), validators=[DataRequired(), Length(max=8000)])
    ended_on = StringField(_l("Inspection ended on"), validators=[Optional()], render_kw={"type": "date"})
    submit = SubmitField(_l("Record the results"))

    def to_data(self) -> dict:
        samples = []
        for line in (self.samples.data or "").splitlines():
            if line.strip():
                parts = [p.strip() for p in line.split("|")] + ["", "", "", ""]
                samples.append({"batch": parts[0], "product": parts[1], "lab": parts[2],
                                "outcome": parts[3] if parts[3] in SAMPLE_OUTCOMES else parts[3] or "pending"})
        return {"items_checked": [{"code": c.form.code.data, "outcome": c.form.outcome.data,
                                   "note": c.form.note.data or ""} for c in self.checks],
                "samples": samples, "findings": self.findings.data, "ended_on": self.ended_on.data or None}


class RecuseForm(FlaskForm):
    reason = TextAreaField(_l("Conflict of interest"), validators=[DataRequired(), Length(max=2000)])
    seat_id = HiddenField()
    submit = SubmitField(_l("Recuse and redraw the seat"))


class RectificationForm(FlaskForm):
    required_actions = TextAreaField(_l("Required actions"), validators=[DataRequired(), Length(max=4000)])
    deadline = StringField(_l("Deadline"), validators=[DataRequired()], render_kw={"type": "date"})
    submit = SubmitField(_l("Issue the rectification notice"))


class ResponseForm(FlaskForm):
    response = TextAreaField(_l("What was done"), validators=[DataRequired(), Length(max=4000)])
    evidence = MultipleFileField(_l("Evidence (PDF, JPEG or PNG)"))
    submit = SubmitField(_l("Send the response"))


class ReinspectionForm(FlaskForm):
    outcome = SelectField(_l("Re-inspection"), choices=choices([("close", _l("Rectified: close the notice")),
                                                                ("escalate", _l("Not rectified: escalate"))]))
    note = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=4000)])
    submit = SubmitField(_l("Record the re-inspection"))


class TieForm(FlaskForm):
    inspector_id = SelectField(_l("Inspector"), validators=[DataRequired()])
    org_id = StringField(_l("Organisation id"), validators=[DataRequired(), Length(max=12)])
    reason = SelectField(_l("Tie"), choices=choices([(k, labels.TIE_REASONS[k]) for k in TIE_REASONS]))
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Record the tie"))
