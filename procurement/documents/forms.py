"""Web form for attaching a document to a project."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from procurement import labels
from procurement.web import choices


class DocumentForm(FlaskForm):
    kind = SelectField(_l("Kind of document"), choices=choices(list(labels.DOCUMENT_KINDS.items())))
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    file = FileField(_l("PDF, JPEG or PNG file"), validators=[DataRequired()])
    submit = SubmitField(_l("Attach document"))
