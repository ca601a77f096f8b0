"""Pages of negotiations: the list (the centre's negotiations, a firm's invitations, concluded
ones for everyone), a negotiation's page (the centre manages its rounds; an invited firm makes
its sealed offers and sees its own rank and the best price after each round), and the public
result. Each form posts to the same services as the API."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from core.errors import NotFound, ServiceError
from core.extensions import db
from core.forms import apply_form_errors, form_field
from core.i18n import translate_error, translate_message
from core.money import MoneyError, parse_yuan
from core.policy import login_required
from procurement.negotiation import closing, policy, reading, services
from procurement.negotiation.blueprints import bp
from procurement.negotiation.forms import CancelForm, OfferForm, RoundForm
from procurement.negotiation.models import Negotiation, NegotiationParticipant
from procurement.negotiation.states import CONCLUDED, FAILED


def _visible_or_404(negotiation_id) -> Negotiation:
    try:
        return services.visible(current_user, negotiation_id)
    except NotFound:
        abort(404)


def _flash_error(exc: ServiceError) -> None:
    flash(" ".join([translate_error(exc)] + [translate_message(v) for v in exc.fields.values()]), "danger")


@bp.get("/negotiations")
def negotiation_list():
    conditions = [Negotiation.status.in_((CONCLUDED, FAILED))]
    org_id = getattr(current_user, "organisation_id", None)
    if org_id is not None:
        conditions.append(Negotiation.centre_org_id == org_id)
        conditions.append(Negotiation.id.in_(select(NegotiationParticipant.negotiation_id)
                                             .where(NegotiationParticipant.supplier_org_id == org_id)))
    rows = [n for n in db.session.execute(select(Negotiation).where(or_(*conditions))
                                          .order_by(Negotiation.id.desc()).limit(200)).scalars()
            if policy.can_view(current_user, n)]
    return render_template("negotiation/list.html", rows=rows)


def _page(negotiation, **forms):
    v = reading.view(current_user, negotiation)
    offer_form = forms.get("offer_form") or (OfferForm() if policy.can_offer(current_user, negotiation) else None)
    round_form = forms.get("round_form") or (RoundForm() if policy.can_open_round(current_user, negotiation) else None)
    cancel_form = forms.get("cancel_form") or (CancelForm() if policy.can_manage(current_user, negotiation)
                                               and negotiation.status in ("open", "final") else None)
    return render_template("negotiation/page.html", n=negotiation, v=v, offer_form=offer_form,
                           round_form=round_form, cancel_form=cancel_form, subject=subject_of(negotiation))


def subject_of(negotiation) -> dict | None:
    """The lot a negotiation buys and what it follows (its tender's method, or the lot's failed
    opening or award: `policy.lot_negotiable`), for the link back to the tender."""
    from procurement.tendering.models import Lot

    lot = db.session.get(Lot, negotiation.lot_id) if negotiation.lot_id else None
    return None if lot is None else {"lot": lot, "tender": lot.tender, "follows": policy.lot_negotiable(lot)}


@bp.get("/negotiations/<int:negotiation_id>")
def page(negotiation_id):
    return _page(_visible_or_404(negotiation_id))


@bp.post("/negotiations/<int:negotiation_id>/offer")
@login_required
def offer(negotiation_id):
    negotiation = _visible_or_404(negotiation_id)
    form = OfferForm()
    if form.validate_on_submit():
        try:
            total = parse_yuan(form.total.data, allow_zero=False)
            services.submit_offer(current_user, negotiation.id, {"total_fen": total})
        except MoneyError as exc:
            form.total.errors.append(translate_error(exc))
        except ServiceError as exc:
            apply_form_errors(form, exc, lambda f, name: f.total if name == "total_fen" else form_field(f, name))
        else:
            flash(_("Your offer is sealed until the round's deadline. Keep the receipt below."), "success")
            return redirect(url_for("negotiation.page", negotiation_id=negotiation.id))
    return _page(_visible_or_404(negotiation_id), offer_form=form), 400


@bp.post("/negotiations/<int:negotiation_id>/rounds")
@login_required
def open_round(negotiation_id):
    negotiation = _visible_or_404(negotiation_id)
    form = RoundForm()
    if form.validate_on_submit():
        try:
            services.open_round(current_user, negotiation.id, {"deadline_at": form.deadline_at.data,
                                                               "final": bool(form.final.data)})
        except ServiceError as exc:
            apply_form_errors(form, exc)
        else:
            flash(_("The round is open; the invited firms were told."), "success")
            return redirect(url_for("negotiation.page", negotiation_id=negotiation.id))
    return _page(_visible_or_404(negotiation_id), round_form=form), 400


@bp.post("/negotiations/<int:negotiation_id>/cancel")
@login_required
def cancel(negotiation_id):
    negotiation = _visible_or_404(negotiation_id)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            closing.cancel(current_user, negotiation.id, form.reason.data)
        except ServiceError as exc:
            _flash_error(exc)
        else:
            flash(_("The negotiation was cancelled."), "success")
        return redirect(url_for("negotiation.page", negotiation_id=negotiation.id))
    return _page(_visible_or_404(negotiation_id), cancel_form=form), 400


@bp.get("/negotiations/<int:negotiation_id>/result")
def result_page(negotiation_id):
    negotiation = _visible_or_404(negotiation_id)
    if negotiation.status not in (CONCLUDED, FAILED):
        abort(404)
    return render_template("negotiation/result.html", n=negotiation, v=reading.view(None, negotiation),
                           subject=subject_of(negotiation))


def tender_negotiations(tender, startable: bool = False) -> list:
    """For the tender page: the negotiations of the tender's lots the current user may see
    (`startable`: the tender's lots the current user may start a negotiation on instead)."""
    if startable:
        return [lot for lot in tender.lots if policy.can_start_on_lot(current_user, lot)]
    rows = db.session.execute(select(Negotiation).where(Negotiation.tender_id == tender.id)
                              .order_by(Negotiation.id)).scalars()
    return [n for n in rows if policy.can_view(current_user, n)]
