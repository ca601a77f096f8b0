"""Web forms of the tender pages: a draft from a pooling round, the draft's header and lots,
the finance office's review, cancellation and documents. Deadlines are typed in China time
(`datetime-local`), bonds in yuan; `to_data` converts for the services (bad numbers become field
errors)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import FieldList, Form, FormField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from core.money import MoneyError, format_fen, parse_yuan
from core.timeutil import CHINA
from core.validation import message_of
from procurement.profiles.models import METHODS, TRACKS
from procurement.profiles.views import METHOD_LABELS, TRACK_LABELS
from procurement.tendering.states import CANCEL_REASONS
from procurement.web import choices

CANCEL_REASON_LABELS = {
    "no_longer_needed": _l("No longer needed"), "budget_withdrawn": _l("Budget withdrawn"),
    "requirements_changed": _l("Requirements changed"), "irregularity": _l("Irregularity in the procedure"),
    "insufficient_competition": _l("Insufficient competition"), "other": _l("Other reason"),
}
DEADLINE_HELP = _l("China time (UTC+8). At least the minimum tender period of the procedure rules after publication.")


def local_deadline(value) -> str:
    """An aware datetime as the `datetime-local` text of China time ('2027-01-20T09:00')."""
    return value.astimezone(CHINA).strftime("%Y-%m-%dT%H:%M") if value else ""


def _deadline_field():
    return StringField(_l("Bid deadline"), validators=[DataRequired()], description=DEADLINE_HELP,
                       render_kw={"type": "datetime-local"})


def _method_field():
    return SelectField(_l("Procurement method"), choices=choices([(m, METHOD_LABELS[m]) for m in METHODS]))


def _track_field():
    return SelectField(_l("Legal track"), choices=choices([(t, TRACK_LABELS[t]) for t in TRACKS]))


class NewTenderForm(FlaskForm):
    round_id = SelectField(_l("Pooling round"), coerce=int, validators=[DataRequired()])
    title = StringField(_l("Tender title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    method = _method_field()
    track = _track_field()
    bid_deadline = _deadline_field()
    submit = SubmitField(_l("Create the draft tender"))

    def to_data(self) -> dict:
        return {"title": self.title.data or "", "description": self.description.data or "",
                "method": self.method.data, "track": self.track.data, "bid_deadline_at": self.bid_deadline.data or ""}


class LotForm(Form):
    number = HiddenField()
    title = StringField(_l("Lot title"), validators=[DataRequired(), Length(max=200)])
    bond = StringField(_l("Bid bond (CNY)"), validators=[DataRequired()])


class DraftForm(FlaskForm):
    title = StringField(_l("Tender title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    method = _method_field()
    track = _track_field()
    bid_deadline = _deadline_field()
    lots = FieldList(FormField(LotForm), min_entries=0, max_entries=500)
    submit = SubmitField(_l("Save the draft"))

    def fill_from(self, tender) -> None:
        self.title.data, self.description.data = tender.title, tender.description
        self.method.data, self.track.data = tender.method, tender.track
        self.bid_deadline.data = local_deadline(tender.bid_deadline_at)
        while len(self.lots.entries):
            self.lots.pop_entry()
        for lot in tender.lots:
            self.lots.append_entry({"number": str(lot.number), "title": lot.title,
                                    "bond": format_fen(lot.bond_fen, symbol=False, grouping=False)})

    def to_data(self) -> tuple[dict, list]:
        """(service input, [(form field, message)]) from the typed text."""
        errors: list = []
        lots = []
        for entry in self.lots.entries:
            f = entry.form
            try:
                number = int(f.number.data)
            except (TypeError, ValueError):
                continue
            item = {"number": number, "title": f.title.data or ""}
            try:
                item["bond_fen"] = parse_yuan(f.bond.data)
            except MoneyError as exc:
                errors.append((f.bond, message_of(exc)))
            lots.append(item)
        data = {"title": self.title.data or "", "description": self.description.data or "",
                "method": self.method.data, "track": self.track.data, "bid_deadline_at": self.bid_deadline.data or "",
                "lots": lots}
        return data, errors

    def field_for(self, name: str):
        """The form field a service error names (``lots.<number>.bond_fen``, ``bid_deadline_at``...)."""
        simple = {"bid_deadline_at": self.bid_deadline, "title": self.title, "description": self.description,
                  "method": self.method, "track": self.track}
        if name in simple:
            return simple[name]
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == "lots":
            key = {"bond_fen": "bond", "title": "title"}.get(parts[2])
            for entry in self.lots.entries:
                if key and entry.form.number.data == parts[1]:
                    return getattr(entry.form, key)
        return None


class ReviewForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)],
                            description=_l("Required when returning the tender."))
    approve = SubmitField(_l("Approve the tender"))
    send_back = SubmitField(_l("Return to the centre"))


class CancelForm(FlaskForm):
    reason_type = SelectField(_l("Reason type"),
                              choices=choices([(r, CANCEL_REASON_LABELS[r]) for r in CANCEL_REASONS]))
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)],
                           description=_l("Published with the cancellation notice."))
    submit = SubmitField(_l("Cancel the tender"))


class TenderDocumentForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    file = FileField(_l("PDF, JPEG or PNG file"), validators=[DataRequired()])
    submit = SubmitField(_l("Attach document"))
