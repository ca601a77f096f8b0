"""The centre's page to start a negotiation (no JavaScript): a lot of its own tenders that may
be negotiated (its tender's method is a negotiation, or it failed at opening or at its award's
succession with the negotiation chosen as the next step; `?lot=ID` preselects it, the link from
the failed lot), or a framework mini-competition's subject; the invited firms; round 1's
deadline; the published step rule. It posts to the same service as the API."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from core import roles as R
from core.errors import ServiceError, ValidationError
from core.extensions import db
from core.forms import apply_form_errors, form_field
from core.i18n import translate_error
from core.labels import label
from core.models import Organisation
from core.money import MoneyError, parse_yuan
from core.policy import roles_required
from procurement.negotiation import policy, services
from procurement.negotiation.blueprints import bp
from procurement.negotiation.forms import StartForm
from procurement.negotiation.states import KINDS, TIE_RULES
from procurement.quantities import QuantityError, parse_percent_bp, parse_quantity

#: service field -> form field (the rest have the same name)
FIELDS = {"ceiling_fen": "ceiling", "quantity_milli": "quantity", "step_bp": "step_percent",
          "step_min_fen": "step_min"}
MAX_CHOICES = 300


def negotiable_lots(user) -> list:
    """The lots of the user's centre that may be negotiated now (`policy.can_start_on_lot`)."""
    from procurement.tendering.models import Lot, Tender

    lots = db.session.execute(select(Lot).join(Tender, Tender.id == Lot.tender_id)
                              .where(Tender.centre_org_id == user.organisation_id, Tender.status != "draft")
                              .order_by(Lot.id.desc()).limit(MAX_CHOICES)).scalars()
    return [lot for lot in lots if policy.can_start_on_lot(user, lot)]


def _firms() -> list[Organisation]:
    return list(db.session.execute(select(Organisation).where(Organisation.kind == R.ORG_SUPPLIER,
                                                              Organisation.status == "verified")
                                   .order_by(Organisation.name_zh, Organisation.id).limit(MAX_CHOICES)).scalars())


def _form(lots) -> StartForm:
    form = StartForm()
    form.kind.choices = [(k, label(k, "negotiation_kind")) for k in KINDS]
    form.tie_rule.choices = [(t, label(t, "negotiation_tie_rule")) for t in TIE_RULES]
    form.lot_id.choices = [("", _("— none: a mini-competition —"))] + [
        (str(lot.id), _("%(reference)s, lot %(lot)s: %(title)s", reference=lot.tender.reference, lot=lot.number,
                        title=lot.title)) for lot in lots]
    form.supplier_org_ids.choices = [(f.id, f.name_zh or f.name_en) for f in _firms()]
    return form


def _data(form) -> dict:
    """The service's input from the form; a number that does not parse is a field error."""
    data = {"kind": form.kind.data, "title": form.title.data, "first_deadline_at": form.first_deadline_at.data,
            "supplier_org_ids": list(form.supplier_org_ids.data or []), "tie_rule": form.tie_rule.data,
            "min_rounds": (form.min_rounds.data or "").strip(), "agreement_id": (form.agreement_id.data or "").strip(),
            "unit": (form.unit.data or "").strip()}
    if form.lot_id.data:
        data["lot_id"] = int(form.lot_id.data) if form.lot_id.data.isdigit() else form.lot_id.data
    parsers = {"ceiling_fen": (form.ceiling, lambda t: parse_yuan(t, allow_zero=False)),
               "quantity_milli": (form.quantity, parse_quantity), "step_bp": (form.step_percent, parse_percent_bp),
               "step_min_fen": (form.step_min, parse_yuan)}
    bad = False
    for key, (field, parse) in parsers.items():
        raw = (field.data or "").strip()
        if not raw:
            continue
        try:
            data[key] = parse(raw)
        except (MoneyError, QuantityError) as exc:
            field.errors = list(field.errors or []) + [translate_error(exc)]
            bad = True
    return {k: v for k, v in data.items() if v != ""} if not bad else {}


def _field(form, name):
    return form_field(form, FIELDS.get(name, name))


@bp.route("/negotiations/new", methods=["GET", "POST"])
@roles_required(R.PROCUREMENT_OFFICER)
def start():
    if not policy.can_start(current_user):
        abort(403)
    lots = negotiable_lots(current_user)
    form = _form(lots)
    if request.method == "GET":
        wanted = request.args.get("lot", "")
        if wanted in {value for value, _label in form.lot_id.choices if value}:
            form.lot_id.data = wanted
            lot = next(lot for lot in lots if str(lot.id) == wanted)
            form.title.data = _("%(title)s: competitive negotiation", title=lot.tender.title)[:300]
        return render_template("negotiation/start.html", form=form)
    if form.validate_on_submit():
        data = _data(form)
        if data:
            try:
                negotiation = services.start(current_user, data)
            except ValidationError as exc:
                apply_form_errors(form, exc, _field)
            except ServiceError as exc:
                apply_form_errors(None, exc)
            else:
                flash(_("The negotiation is started; the invited firms were told."), "success")
                return redirect(url_for("negotiation.page", negotiation_id=negotiation.id))
        else:
            flash(_("Please correct the marked fields."), "danger")
    else:
        flash(_("Please correct the marked fields."), "danger")
    return render_template("negotiation/start.html", form=form), 400
