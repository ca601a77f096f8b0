"""Forms of the delivery pages (CSRF on every one; the services check the input and the pages
show each refusal on its field)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from procurement.deliveries.states import CERTIFICATE, FAILED, PASSED, TEST_REPORT
from procurement.web import choices


class DeliveryForm(FlaskForm):
    """Record a delivery against one line of an order, with the delivery note and the evidence."""

    order_line = SelectField(_l("Order line"), validators=[DataRequired()])
    product_id = SelectField(_l("Product delivered"), validators=[DataRequired()])
    quantity = StringField(_l("Quantity (in the line's unit)"), validators=[DataRequired(), Length(max=30)])
    batch_number = StringField(_l("Batch number"), validators=[DataRequired(), Length(max=80)])
    delivered_on = DateField(_l("Delivery day"), validators=[DataRequired()])
    evidence_kind = SelectField(_l("Evidence presented"),
                                choices=choices([(CERTIFICATE, _l("Certificate")), (TEST_REPORT, _l("Test report"))]))
    evidence_number = StringField(_l("Certificate or test report number"),
                                  validators=[DataRequired(), Length(max=80)])
    delivery_note = FileField(_l("Delivery note (PDF, JPEG or PNG)"))
    submit = SubmitField(_l("Record the delivery"))


class SampleForm(FlaskForm):
    """Send a sample of a delivery to a testing lab."""

    lab_name = StringField(_l("Testing lab"), validators=[DataRequired(), Length(max=200)])
    sample_code = StringField(_l("Sample code"), validators=[DataRequired(), Length(max=80)])
    submit = SubmitField(_l("Send a sample to the lab"))


class LabReportForm(FlaskForm):
    """The lab's report on a sample; a failure issues a rectification notice to the supplier."""

    result = SelectField(_l("Result"), choices=choices([(PASSED, _l("Passed")), (FAILED, _l("Failed"))]))
    report_number = StringField(_l("Report number"), validators=[DataRequired(), Length(max=80)])
    findings = TextAreaField(_l("Findings (required when failed)"), validators=[Optional(), Length(max=4000)])
    required_actions = TextAreaField(_l("Required actions of the supplier (when failed)"),
                                     validators=[Optional(), Length(max=4000)])
    deadline = DateField(_l("Rectification deadline (when failed)"), validators=[Optional()])
    report = FileField(_l("Lab report (PDF, JPEG or PNG, optional)"))
    submit = SubmitField(_l("Record the lab report"))
