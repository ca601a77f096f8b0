"""Web forms for submitting and reviewing a budget. Money is typed in yuan and percentages in %;
`to_data` converts them for the service (bad numbers become field errors)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from core.money import MoneyError, format_fen, parse_yuan
from core.validation import message_of
from procurement import labels
from procurement.budget.models import FUNDING_KINDS
from procurement.quantities import QuantityError, format_bp, parse_percent_bp
from procurement.web import choices


def _plain_yuan(fen) -> str:
    return format_fen(fen, symbol=False, grouping=False)


class FundingForm(Form):
    kind = SelectField(_l("Funding source"),
                       choices=choices([("", "—")] + [(k, labels.FUNDING_KINDS[k]) for k in FUNDING_KINDS]),
                       validators=[Optional()])
    description = StringField(_l("Description"), validators=[Optional(), Length(max=200)])
    amount = StringField(_l("Amount (CNY)"), validators=[Optional()])


class BudgetForm(FlaskForm):
    total = StringField(_l("Budget total (CNY)"), validators=[DataRequired()],
                        description=_l("Yuan with up to two decimals; may not exceed the funding total."))
    green_share = StringField(_l("Green materials share (%)"), validators=[DataRequired()],
                              description=_l("Share of the budget planned for certified green materials."))
    funding = FieldList(FormField(FundingForm), label=_l("Funding sources"), min_entries=3, max_entries=20)
    submit = SubmitField(_l("Submit budget for review"))

    def fill_from(self, budget) -> None:
        """Show a (returned) budget's values for resubmission."""
        self.total.data = _plain_yuan(budget.total_fen)
        self.green_share.data = format_bp(budget.green_share_bp)
        while len(self.funding.entries) < min(len(budget.funding_sources) + 1, self.funding.max_entries):
            self.funding.append_entry()
        for entry, src in zip(self.funding.entries, budget.funding_sources):
            entry.form.kind.data, entry.form.description.data = src.kind, src.description
            entry.form.amount.data = _plain_yuan(src.amount_fen)

    def to_data(self) -> tuple[dict, dict]:
        """(service input, {form field or ``funding-i``: (template, params)}) from the typed text."""
        errors: dict = {}
        data: dict = {"funding_sources": []}
        try:
            data["total_fen"] = parse_yuan(self.total.data)
        except MoneyError as exc:
            errors["total"] = message_of(exc)
        try:
            data["green_share_bp"] = parse_percent_bp(self.green_share.data)
        except QuantityError as exc:
            errors["green_share"] = message_of(exc)
        for i, entry in enumerate(self.funding.entries):
            f = entry.form
            if not (f.kind.data or (f.amount.data or "").strip()):
                continue
            try:
                amount = parse_yuan(f.amount.data, allow_zero=False)
            except MoneyError as exc:
                errors[f"funding-{i}"] = message_of(exc)
                continue
            data["funding_sources"].append({"kind": f.kind.data, "description": f.description.data or "",
                                            "amount_fen": amount})
        return data, errors


class ReviewForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)],
                            description=_l("Required when returning the budget."))
    approve = SubmitField(_l("Approve budget"))
    send_back = SubmitField(_l("Return with comments"))
