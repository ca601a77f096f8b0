"""Forms shared by every package (confirm button), account forms, and the one helper that puts a
service error back onto a form (`apply_form_errors`)."""
from flask import flash
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import EmailField, HiddenField, PasswordField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    next = HiddenField()
    submit = SubmitField(_l("Sign in"))


class SupplierRegistrationForm(FlaskForm):
    credit_code = StringField(_l("Unified social credit code"), validators=[DataRequired(), Length(max=40)],
                              description=_l("18 characters, as printed on the business licence."))
    name_zh = StringField(_l("Registered name (Chinese)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=200)])
    address = StringField(_l("Registered address"), validators=[Optional(), Length(max=300)])
    contact_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=10, max=200)])
    confirm = PasswordField(_l("Repeat password"), validators=[DataRequired(), EqualTo("password", message=_l("Passwords do not match."))])
    licence = FileField(_l("Business licence"), validators=[FileRequired(message=_l("Upload the firm's business licence."))],
                        description=_l("A scan or photo of the business licence: PDF, JPEG or PNG."))
    submit = SubmitField(_l("Register"))


class ReviewForm(FlaskForm):
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    approve = SubmitField(_l("Verify"))
    reject = SubmitField(_l("Reject"))


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=80)])
    submit = SubmitField(_l("Create token"))


class ConfirmForm(FlaskForm):
    """An empty form: a button that carries a CSRF token."""

    submit = SubmitField(_l("Confirm"))


def form_field(form, name: str):
    """The form field a service error's field name points at: the field of that name, else the
    field named by its last dotted part (``certificate.number`` -> ``number``); None if neither."""
    for candidate in (name, name.rsplit(".", 1)[-1]):
        field = getattr(form, candidate, None)
        if field is not None and hasattr(field, "errors") and candidate != "submit":
            return field
    return None


def apply_form_errors(form, exc, field_for=form_field) -> None:
    """Show a `ServiceError` on a page: each field message (translated) inline on the form field
    `field_for(form, name)` finds, and as flashes the rest: the error's own message when no field
    took a message (else "Please correct the marked fields."), plus messages no field took.
    With `form=None` everything is flashed."""
    from core.i18n import translate_error, translate_message

    placed, leftover = False, []
    for name, message in exc.fields.items():
        field = field_for(form, name) if form is not None else None
        text = translate_message(message)
        if field is not None:
            field.errors = list(field.errors or []) + [text]
            placed = True
        else:
            leftover.append(text)
    flash(_("Please correct the marked fields.") if placed else translate_error(exc), "danger")
    for text in leftover:
        flash(text, "danger")

