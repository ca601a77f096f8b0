"""Web form for registering and editing a project (the service validates; forms collect text)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from procurement import labels
from procurement.projects.models import BUILDING_TYPES, PERSON_ROLES
from procurement.web import choices

STAR_CHOICES = choices([(str(stars), name) for stars, name in labels.STARS.items()])


class PersonForm(Form):
    role = SelectField(_l("Role"), choices=choices([("", "—")] + [(r, labels.PERSON_ROLES[r]) for r in PERSON_ROLES]),
                       validators=[Optional()])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=120)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])


class ProjectForm(FlaskForm):
    name = StringField(_l("Project name"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    building_type = SelectField(_l("Building type"),
                                choices=choices([(b, labels.BUILDING_TYPES[b]) for b in BUILDING_TYPES]))
    floor_area_m2 = StringField(_l("Floor area (m²)"), validators=[DataRequired()],
                                description=_l("Whole square metres, at most 2,000,000."))
    green_star_target = SelectField(_l("Green building star target"), choices=STAR_CHOICES, default="1")
    people = FieldList(FormField(PersonForm), label=_l("Responsible people"), min_entries=3, max_entries=20)
    submit = SubmitField(_l("Save project"))

    def to_data(self) -> dict:
        people = [{"role": p.role.data, "name": (p.name.data or "").strip(), "phone": p.phone.data or ""}
                  for p in (entry.form for entry in self.people) if (p.name.data or "").strip() or p.role.data]
        return {"name": self.name.data or "", "description": self.description.data or "",
                "building_type": self.building_type.data, "floor_area_m2": (self.floor_area_m2.data or "").strip(),
                "green_star_target": self.green_star_target.data, "people": people}

    def fill_from(self, project) -> None:
        """Show a project's current values (GET of the edit page)."""
        self.green_star_target.data = str(project.green_star_target)
        self.floor_area_m2.data = str(project.floor_area_m2)
        while len(self.people.entries) < min(len(project.people) + 1, self.people.max_entries):
            self.people.append_entry()
        for entry, person in zip(self.people.entries, project.people):
            entry.form.role.data, entry.form.name.data, entry.form.phone.data = person.role, person.name, person.phone
