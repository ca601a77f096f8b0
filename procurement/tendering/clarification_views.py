"""Pages of clarifications, amendments and followers, the Atom feed, and the template helpers
the public tender page uses to include their sections (`templates/tendering/clarifications/`):

- /tenders/<id>/questions: questions and answers; the ask form (signed-in people of verified
  supplier firms while questions are open; everyone else reads why not); the centre's answer forms;
- /tenders/<id>/amendments: every amendment with its diff; /tenders/<id>/amend: the centre's form,
  with a preview of the diff and of the deadline move;
- /tenders/<id>/follow: follow or stop following (a button); /tenders/following: "Tenders I follow";
- /tenders/questions/unanswered: the centre's open questions, flagged first;
- /tenders/feed.atom?city=&category=: the open tenders as an Atom feed.
"""

from __future__ import annotations

import datetime as dt

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (DateField, FieldList, Form, FormField, HiddenField, SelectField, StringField, SubmitField,
                     TextAreaField, TimeField)
from wtforms.validators import DataRequired, Length, Optional

from core import scheduler
from core import roles as R
from core.errors import NotFound, ServiceError
from core.forms import apply_form_errors
from core.i18n import translate_error
from core.labels import label
from core.money import MoneyError, format_fen, parse_yuan
from core.policy import login_required, roles_required
from core.timeutil import CHINA, china_time, utcnow
from core.validation import message_of
from core.worklists import WorkItem
from procurement.blueprints import page_path
from procurement.quantities import QuantityError, format_quantity, parse_quantity
from procurement.tendering import amendments, clarifications, feed, follows, policy
from procurement.tendering.blueprints import bp
from procurement.tendering.clarifications import OBJECT_TYPE
from procurement.web import cached_category, category_label, choices, message_text

#: Code words shown on these pages (statuses), for the catalogue.
TERMS = [_l("published"), _l("closed"), _l("cancelled"), _l("failed")]

# ------------------------------------------------------------------ forms

class AskForm(FlaskForm):
    lot_id = SelectField(_l("About"), validators=[Optional()], validate_choice=False)
    text = TextAreaField(_l("Your question"), validators=[DataRequired(), Length(max=clarifications.TEXT_MAX)],
                         description=_l("5 to 2,000 characters. Your firm's name is shown to the procurement "
                                        "centre only; the answer is published to everyone."))
    submit = SubmitField(_l("Ask the question"))


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Answer"), validators=[DataRequired(), Length(max=clarifications.ANSWER_MAX)])
    submit = SubmitField(_l("Publish the answer"))


class FollowForm(FlaskForm):
    action = HiddenField(validators=[DataRequired()])
    next = HiddenField()
    submit = SubmitField(_l("Follow"))


class LotAmendForm(Form):
    number = HiddenField()
    quantity = StringField(_l("Quantity"), validators=[Optional(), Length(max=40)])
    ceiling = StringField(_l("Ceiling price (CNY)"), validators=[Optional(), Length(max=40)])
    bond = StringField(_l("Bid bond (CNY)"), validators=[Optional(), Length(max=40)])


class AmendForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=amendments.TITLE_MAX)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=amendments.DESCRIPTION_MAX)])
    deadline_date = DateField(_l("Bid deadline: date"), validators=[DataRequired()])
    deadline_time = TimeField(_l("Bid deadline: time (China time)"), validators=[DataRequired()])
    lots = FieldList(FormField(LotAmendForm), min_entries=0, max_entries=amendments.MAX_LOTS)
    document = FileField(_l("Add a document"), description=_l("PDF, JPEG or PNG."))
    document_title = StringField(_l("Title of the added document"),
                                 validators=[Optional(), Length(max=amendments.DOCUMENT_TITLE_MAX)])
    rationale = TextAreaField(_l("Rationale"), validators=[DataRequired(), Length(max=amendments.RATIONALE_MAX)],
                              description=_l("Why the tender changes (10 to 2,000 characters); published with the "
                                             "amendment."))
    preview = SubmitField(_l("Preview"))
    confirm = SubmitField(_l("Publish the amendment"))

    def fill_from(self, tender) -> None:
        self.title.data = tender.title
        self.description.data = tender.description
        local = tender.bid_deadline_at.astimezone(CHINA)
        self.deadline_date.data, self.deadline_time.data = local.date(), local.time().replace(second=0, microsecond=0)
        for lot in tender.lots:
            self.lots.append_entry()
            entry = self.lots.entries[-1].form
            entry.number.data = str(lot.number)
            entry.quantity.data = format_quantity(lot.quantity_milli)
            entry.ceiling.data = format_fen(lot.ceiling_fen, symbol=False, grouping=False)
            entry.bond.data = format_fen(lot.bond_fen, symbol=False, grouping=False)

    def to_changes(self, tender) -> tuple[dict, dict]:
        """(changes for `amendments.amend`, {form field: message}) from the typed text. The form
        shows the deadline to the minute: the same minute leaves the deadline as it is."""
        errors: dict = {}
        changes: dict = {"title": self.title.data or "", "description": self.description.data or "", "lots": []}
        if self.deadline_date.data and self.deadline_time.data:
            local = dt.datetime.combine(self.deadline_date.data, self.deadline_time.data).replace(tzinfo=CHINA)
            typed = local.astimezone(dt.UTC)
            if typed != tender.bid_deadline_at.replace(second=0, microsecond=0):
                changes["bid_deadline_at"] = typed
        for i, entry in enumerate(self.lots.entries):
            f = entry.form
            if not (f.number.data or "").isdigit():
                continue
            values = {"number": int(f.number.data)}
            for key, raw, parse in (("quantity_milli", f.quantity.data, parse_quantity),
                                    ("ceiling_fen", f.ceiling.data, lambda t: parse_yuan(t, allow_zero=False)),
                                    ("bond_fen", f.bond.data, parse_yuan)):
                if (raw or "").strip():
                    try:
                        values[key] = parse(raw)
                    except (MoneyError, QuantityError) as exc:
                        errors[f"lots.{i}.{key}"] = message_of(exc)
            changes["lots"].append(values)
        return changes, errors


_LOT_FIELD = {"quantity_milli": "quantity", "ceiling_fen": "ceiling", "bond_fen": "bond"}


def _amend_field(form, name: str):
    """The form field a service error's field name points at (``lots.0.ceiling_fen`` ->
    the first lot's ceiling; ``bid_deadline_at`` -> the date)."""
    if name == "bid_deadline_at":
        return form.deadline_date
    if name.startswith("withdraw_documents") or name == "documents":
        return form.document
    parts = name.split(".")
    if parts[0] == "lots" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(form.lots.entries):
        return getattr(form.lots.entries[int(parts[1])].form, _LOT_FIELD.get(parts[2], "number"), None)
    field = getattr(form, name, None)
    return field if field is not None and hasattr(field, "errors") and name not in ("preview", "confirm") else None


# ------------------------------------------------------------------ helpers for templates

def _tender_or_404(tender_id: int, *, catch_up: bool = True):
    if catch_up:
        scheduler.catch_up(OBJECT_TYPE, tender_id)
    try:
        return clarifications.visible_tender(current_user, tender_id)
    except NotFound:
        abort(404)


def question_form(tender) -> AskForm:
    """A fresh ask form with the tender's lots to choose from."""
    form = AskForm(formdata=None)
    _lot_choices(form, tender)
    return form


def _lot_choices(form: AskForm, tender) -> None:
    form.lot_id.choices = choices([("", _("The whole tender"))]
                                  + [(str(lot.id), _("Lot %(n)s: %(title)s", n=lot.number, title=lot.title))
                                     for lot in tender.lots])


def answer_form(question) -> AnswerForm:
    return AnswerForm(formdata=None, prefix=f"q{question.number}")


def tender_questions(tender):
    """The tender's questions as the signed-in person (or visitor) may see them."""
    return clarifications.questions_for(current_user, tender)


def why_no_question(tender) -> str:
    """Why the current person cannot ask a question now (for the section's note)."""
    if not policy.questions_open(tender):
        return translate_error(clarifications.questions_closed(tender))
    if not getattr(current_user, "is_authenticated", False):
        return _("Sign in as a verified supplier to ask a question.")
    return _("Only people of a verified supplier firm ask questions on tenders.")


def _when(value) -> str:
    if not value:
        return "—"
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return china_time(value)


def change_rows(tender, amendment) -> list[dict]:
    """The amendment's changes as readable rows: label, lot, before, after (money in yuan,
    quantities with their unit, times in China time)."""
    units = {lot.number: lot.unit for lot in tender.lots}
    rows = []
    for change in amendment.changes or []:
        key, lot = change.get("field"), change.get("lot")

        def show(value, key=key, lot=lot):
            if value is None or value == "":
                return "—"
            if key in ("bid_deadline_at", "clarification_cutoff_at"):
                return _when(value)
            if key in ("ceiling_fen", "bond_fen"):
                return format_fen(value)
            if key == "quantity_milli":
                unit = units.get(lot)
                return f"{format_quantity(value)} {label(unit, 'unit')}" if unit else format_quantity(value)
            return str(value)

        rows.append({"label": field_label(key), "lot": lot, "before": show(change.get("before")),
                     "after": show(change.get("after")), "long": key == "description"})
    return rows


def field_label(key: str) -> str:
    """What a change is called, in the current locale."""
    return _(amendments.FIELD_NAMES[key]) if key in amendments.FIELD_NAMES else str(key)


def amended_record_details(payload: dict) -> list[str]:
    """A project record of an amendment (`tender_amended`) as sentences: its number and
    rationale, what changed and, when it moved, the bid deadline."""
    out = [_("Tender %(reference)s, amendment %(n)s: %(rationale)s", reference=payload.get("reference", ""),
             n=payload.get("number"), rationale=payload.get("rationale", ""))]
    changed = []
    for change in payload.get("changes") or []:
        name = field_label(change.get("field"))
        if change.get("lot"):
            name = _("%(what)s of lot %(n)s", what=name, n=change["lot"])
        if name not in changed:
            changed.append(name)
    if changed:
        out.append(_("Changed: %(fields)s", fields=", ".join(changed)))
    if payload.get("deadline_before") != payload.get("deadline_after"):
        out.append(_("Bid deadline: %(before)s → %(after)s", before=_when(payload.get("deadline_before")),
                     after=_when(payload.get("deadline_after"))))
    if payload.get("deadline_moved"):
        out.append(_("The amendment came after the clarification cut-off, so the bid deadline moved."))
    return out


def tender_amendments(tender) -> list[dict]:
    """The tender's amendments, newest first, with their readable diffs."""
    return [{"amendment": a, "rows": change_rows(tender, a)} for a in amendments.amendments_of(tender)]


def is_following(tender) -> bool:
    return follows.is_following(current_user, tender)


def follow_form(tender) -> FollowForm:
    form = FollowForm(formdata=None)
    form.action.data = "unfollow" if follows.is_following(current_user, tender) else "follow"
    form.next.data = request.full_path.rstrip("?") if request else ""
    form.submit.label.text = _("Stop following") if form.action.data == "unfollow" else _("Follow this tender")
    return form


def template_globals() -> dict:
    """Helpers the public tender page's included sections call (registered by the wiring)."""
    return {"tender_questions": tender_questions, "question_form": question_form, "answer_form": answer_form,
            "why_no_question": why_no_question, "tender_amendments": tender_amendments,
            "follow_form": follow_form, "is_following": is_following, "amendment_deadline_now": _deadline_now,
            "tender_page": lambda tender: clarifications.tender_link(tender.id), "cutoff_passed": cutoff_passed,
            "feed_args": feed_args}


def cutoff_passed(tender) -> bool:
    """The clarification cut-off of a published tender has passed (by the server clock)."""
    return tender.clarification_cutoff_at is not None and tender.clarification_cutoff_at <= utcnow()


def feed_args() -> dict:
    """The tender list's city and category filters, for the feed's address (the list names a
    category by id, the feed by code)."""
    out = {}
    if city := (request.args.get("city") or "").strip().lower():
        out["city"] = city
    category = (request.args.get("category") or "").strip()
    if category:
        found = cached_category(int(category)) if category.isdigit() and len(category) < 10 else cached_category(category)
        if found is not None:
            out["category"] = found.code
    return out


def _deadline_now(tender) -> dict | None:
    """If the centre amended the tender now: the deadline it would have and whether it moves."""
    if not policy.is_open_for_bids(tender):
        return None
    after, moved = amendments.deadline_after_amendment(tender, utcnow())
    return {"deadline": after, "moved": moved, "days": amendments.cutoff_days(tender)}


def _safe_next(value: str | None, default: str) -> str:
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def _flash(exc: ServiceError) -> None:
    flash(translate_error(exc), "danger")
    for message in exc.fields.values():
        flash(message_text(message), "warning")


# ------------------------------------------------------------------ questions

@bp.route("/tenders/<int:tender_id>/questions", methods=["GET", "POST"])
def tender_questions_page(tender_id):
    tender = _tender_or_404(tender_id, catch_up=request.method == "GET")
    form, status = None, 200
    if request.method == "POST":
        if not current_user.is_authenticated:
            return redirect(url_for("core.login", next=request.full_path))
        form = AskForm()
        _lot_choices(form, tender)
        if form.validate_on_submit():
            try:
                question = clarifications.ask(current_user, tender.id, form.text.data, form.lot_id.data or None)
            except ServiceError as exc:
                status = exc.status
                apply_form_errors(form, exc)
            else:
                flash(_("Question %(n)s sent to the procurement centre.", n=question.number), "success")
                return redirect(url_for("tendering.tender_questions_page", tender_id=tender.id)
                                + f"#question-{question.number}")
        else:
            status = 400
        tender = _tender_or_404(tender_id, catch_up=False)
    return render_template("tendering/clarifications/questions.html", tender=tender, ask_form=form), status


@bp.post("/tenders/<int:tender_id>/questions/<int:question_id>/answer")
@login_required
def answer_question(tender_id, question_id):
    tender = _tender_or_404(tender_id, catch_up=False)
    question = next((q for q in tender.questions if q.id == question_id), None)
    if question is None:
        abort(404)
    form = AnswerForm(prefix=f"q{question.number}")
    target = url_for("tendering.tender_questions_page", tender_id=tender.id) + f"#question-{question.number}"
    if not form.validate_on_submit():
        flash(_("Write the answer (at most %(n)s characters) and send it again.", n=clarifications.ANSWER_MAX), "danger")
        return redirect(target)
    try:
        clarifications.answer(current_user, question.id, form.answer.data)
    except ServiceError as exc:
        _flash(exc)
    else:
        flash(_("The answer to question %(n)s is published.", n=question.number), "success")
    return redirect(target)


@bp.get("/tenders/questions/unanswered")
@roles_required(R.PROCUREMENT_OFFICER)
def unanswered_questions():
    centre = policy.centre_of(current_user)  # an officer outside a city's centre has none to answer
    return render_template("tendering/clarifications/unanswered.html",
                           rows=clarifications.unanswered(centre.id) if centre is not None else [], now=utcnow())


def unanswered_worklist(user) -> list[WorkItem]:
    """Procurement centres: open questions on their published tenders (one query)."""
    centre = policy.centre_of(user)
    if centre is None:
        return []
    return [WorkItem(_l("Unanswered tender questions"), clarifications.count_unanswered(centre.id),
                     page_path("tendering.unanswered_questions"))]


# ------------------------------------------------------------------ amendments

@bp.get("/tenders/<int:tender_id>/amendments")
def tender_amendments_page(tender_id):
    tender = _tender_or_404(tender_id)
    return render_template("tendering/clarifications/amendments.html", tender=tender)


@bp.route("/tenders/<int:tender_id>/amend", methods=["GET", "POST"])
@login_required
def amend_tender(tender_id):
    tender = _tender_or_404(tender_id, catch_up=request.method == "GET")
    if not policy.can_manage_tender(current_user, tender):
        abort(403)
    open_now = policy.can_amend_tender(current_user, tender)
    form = AmendForm() if open_now else None
    documents = [d for d in tender.documents if not d.withdrawn]
    withdraw = {d.id: request.form.get(f"withdraw-{d.id}") == "y" for d in documents}
    the_plan, status = None, 200
    if form is not None and request.method == "GET":
        form.fill_from(tender)
    elif form is not None and form.validate_on_submit():
        changes, typed_errors = form.to_changes(tender)
        changes["withdraw_documents"] = [i for i, chosen in withdraw.items() if chosen]
        upload = form.document.data
        new_docs = []
        if upload is not None and getattr(upload, "filename", ""):
            new_docs = [(upload.stream, upload.filename, form.document_title.data or upload.filename)]
        if typed_errors:
            for name, message in typed_errors.items():
                field = _amend_field(form, name)
                if field is not None:
                    field.errors = list(field.errors or []) + [message_text(message)]
            flash(_("Please correct the marked fields."), "danger")
            status = 400
        else:
            try:
                if form.confirm.data:
                    amendment = amendments.amend(current_user, tender.id, changes, form.rationale.data,
                                                 documents=new_docs)
                    flash(_("Amendment %(n)s is published.", n=amendment.number), "success")
                    if amendment.deadline_moved:
                        flash(_("The bid deadline moved to %(deadline)s.",
                                deadline=china_time(amendment.deadline_after)), "warning")
                    return redirect(url_for("tendering.tender_amendments_page", tender_id=tender.id))
                the_plan = amendments.preview(current_user, tender.id, changes,
                                              new_documents=[t for _s, _n, t in new_docs])
                if new_docs:
                    flash(_("Choose the file again when you publish the amendment."), "info")
            except ServiceError as exc:
                status = exc.status
                apply_form_errors(form, exc, _amend_field)
            tender = _tender_or_404(tender_id, catch_up=False)
    elif form is not None:
        status = 400
    preview_rows = change_rows(tender, the_plan) if the_plan is not None else None
    return render_template("tendering/clarifications/amend.html", tender=tender, form=form, plan=the_plan,
                           preview_rows=preview_rows, documents=documents, withdraw=withdraw,
                           deadline_now=_deadline_now(tender)), status


# ------------------------------------------------------------------ following

@bp.post("/tenders/<int:tender_id>/follow")
@login_required
def follow_tender(tender_id):
    tender = _tender_or_404(tender_id, catch_up=False)
    form = FollowForm()
    target = _safe_next(form.next.data, clarifications.tender_link(tender.id))
    if not form.validate_on_submit() or form.action.data not in ("follow", "unfollow"):
        flash(_("The form expired or was incomplete; try again."), "danger")
        return redirect(target)
    try:
        if form.action.data == "follow":
            follows.follow(current_user, tender.id)
            flash(_("You follow tender %(reference)s: you will hear of its answers, changes and deadlines.",
                    reference=tender.reference), "success")
        else:
            follows.unfollow(current_user, tender.id)
            flash(_("You no longer follow tender %(reference)s.", reference=tender.reference), "success")
    except ServiceError as exc:
        _flash(exc)
    return redirect(target)


@bp.get("/tenders/following")
@login_required
def followed_tenders():
    return render_template("tendering/clarifications/following.html",
                           tenders=follows.followed_tenders(current_user), now=utcnow())


# ------------------------------------------------------------------ feed

def _entry_summary(tender) -> str:
    categories = sorted({category_label(lot.category) for lot in tender.lots if lot.category is not None})
    parts = [_("Bids due %(deadline)s.", deadline=china_time(tender.bid_deadline_at)),
             _("Lots: %(n)s.", n=len(tender.lots))]
    if categories:
        parts.append(_("Categories: %(names)s.", names=", ".join(categories)))
    if tender.amendment_count:
        parts.append(_("Amendments: %(n)s.", n=tender.amendment_count))
    return " ".join(parts)


@bp.get("/tenders/feed.atom")
def tenders_feed():
    try:
        chosen = feed.filters(request.args.get("city"), request.args.get("category"))
    except ServiceError as exc:
        return Response(translate_error(exc) + "\n", status=exc.status, mimetype="text/plain")
    tenders = feed.open_tenders(chosen)
    title = _("Open tenders")
    if chosen.city is not None:
        city = chosen.city.name_zh if str(get_locale()).startswith("zh") else chosen.city.name_en
        title += f" · {city}"
    if chosen.category is not None:
        title += f" · {category_label(chosen.category)}"
    args = {k: v for k, v in (("city", request.args.get("city")), ("category", request.args.get("category"))) if v}
    body = feed.render(tenders, title=title, self_url=url_for("tendering.tenders_feed", _external=True, **args),
                       alternate_url=request.host_url.rstrip("/") + "/tenders", base_url=request.host_url,
                       summary=_entry_summary, language="zh-Hans" if str(get_locale()).startswith("zh") else "en")
    return Response(body, mimetype="application/atom+xml", headers={"Cache-Control": "public, max-age=300"})

