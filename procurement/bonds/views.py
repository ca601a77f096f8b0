"""Bid bond pages (server-rendered, no JavaScript).

- `/lots/<lot_id>/bond`: the supplier's bond for a lot: amount, status, pay by card, upload a
  bank guarantee.
- `/bonds/<bond_id>/pay`: the card payment page. Stripe.js cannot be loaded from a CDN here
  (and the embedded localstripe serves no card form), so with a test payment service
  (sk_test_ keys, the embedded localstripe) the page confirms the PaymentIntent server-side
  with a Stripe test payment method (`pm_card_visa`, ...). **Production** uses Stripe's Payment
  Element with the PaymentIntent's client_secret (API `POST /api/v1/lots/{id}/bond/card`) and a
  return URL to `/bonds/<id>`, which asks Stripe how the payment stands (the webhook does the
  same; whichever comes first wins); the page says so when the key is live.
- `/bonds/<bond_id>`: one bond; the centre's verify/reject/refund/forfeit forms after the deadline;
  "refund pending" while an automatic return is under way (and whether the provider is being
  retried); the firm's "ask for the bond back" when it has no live bid on the lot
  (`POST /bonds/<bond_id>/return`).
- `/tenders/<tender_id>/bonds`: the centre's list, after the bid deadline only.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import scheduler
from core.errors import NotFound, ServiceError
from core.extensions import db
from core.i18n import translate_error
from core.policy import login_required
from procurement.bonds import policy, refunds, services
from procurement.bonds.states import FORFEIT_REASONS, LIVE_STATES, TEST_METHODS
from procurement.payments import gateway
from procurement.tendering.blueprints import bp
from procurement.tendering.models import Tender
from procurement.web import message_text


def _flash(exc: ServiceError) -> None:
    flash(translate_error(exc), "danger")
    for message in exc.fields.values():
        flash(message_text(message), "warning")


def _lot_or_404(lot_id):
    try:
        tender, lot = services.lot_for_supplier(lot_id)
    except NotFound:
        abort(404)
    scheduler.catch_up("tenders", tender.id)
    return tender, lot


@bp.get("/lots/<int:lot_id>/bond")
@login_required
def lot_bond(lot_id):
    tender, lot = _lot_or_404(lot_id)
    bond = None
    if policy.is_verified_supplier(current_user):
        bond = services.current_bond(lot.id, current_user.organisation_id)
        if bond is not None and bond.status == "pending" and bond.method == "card":
            try:
                bond = services.refresh_payment(current_user, bond.id)
            except ServiceError as exc:
                _flash(exc)
    can_post = (policy.can_post_bond(current_user, tender, lot)
                and (bond is None or bond.status not in LIVE_STATES) and services.bond_required(lot))
    return render_template("bonds/lot_bond.html", tender=tender, lot=lot, bond=bond, can_post=can_post)


@bp.post("/lots/<int:lot_id>/bond/card")
@login_required
def lot_bond_card(lot_id):
    try:
        bond, _secret = services.start_card_payment(current_user, lot_id)
    except ServiceError as exc:
        _flash(exc)
        return redirect(url_for("tendering.lot_bond", lot_id=lot_id))
    return redirect(url_for("tendering.bond_pay", bond_id=bond.id))


@bp.post("/lots/<int:lot_id>/bond/guarantee")
@login_required
def lot_bond_guarantee(lot_id):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose the bank guarantee file (PDF, JPEG or PNG)."), "danger")
        return redirect(url_for("tendering.lot_bond", lot_id=lot_id))
    try:
        services.upload_guarantee(current_user, lot_id, upload.stream, upload.filename)
    except ServiceError as exc:
        _flash(exc)
    else:
        flash(_("Your bank guarantee was received. The centre verifies it after the bid deadline."), "success")
    return redirect(url_for("tendering.lot_bond", lot_id=lot_id))


def _own_bond_or_404(bond_id):
    try:
        bond = services.visible_bond(current_user, bond_id)
    except NotFound:
        abort(404)
    return bond


@bp.route("/bonds/<int:bond_id>/pay", methods=["GET", "POST"])
@login_required
def bond_pay(bond_id):
    bond = _own_bond_or_404(bond_id)
    if not policy.owns_bond(current_user, bond) or bond.method != "card":
        abort(404)
    test_mode = gateway.is_test_mode()
    if request.method == "POST":
        try:
            services.pay_with_test_method(current_user, bond.id, request.form.get("payment_method", ""))
        except ServiceError as exc:
            _flash(exc)
            return redirect(url_for("tendering.bond_pay", bond_id=bond.id))
        return redirect(url_for("tendering.bond_page", bond_id=bond.id))
    return render_template("bonds/pay.html", bond=bond, test_mode=test_mode, methods=TEST_METHODS)


@bp.get("/bonds/<int:bond_id>")
@login_required
def bond_page(bond_id):
    bond = _own_bond_or_404(bond_id)
    if bond.status == "pending" and bond.method == "card" and policy.owns_bond(current_user, bond):
        try:
            bond = services.refresh_payment(current_user, bond.id)
        except ServiceError as exc:
            _flash(exc)
    scheduler.catch_up("bonds", bond.id)
    refund_job = refunds.refund_job(bond.id) if bond.refund_pending else None
    return render_template("bonds/bond.html", bond=bond, reasons=FORFEIT_REASONS, refund_job=refund_job,
                           can_ask_back=refunds.can_ask_back(current_user, bond))


@bp.post("/bonds/<int:bond_id>/return")
@login_required
def bond_return(bond_id):
    try:
        refunds.return_bond(current_user, bond_id)
    except NotFound:
        abort(404)
    except ServiceError as exc:
        _flash(exc)
    else:
        flash(_("Your bond is being returned."), "success")
    return redirect(url_for("tendering.bond_page", bond_id=bond_id))


def _bond_action(bond_id, action):
    try:
        if action == "verify":
            services.verify_guarantee(current_user, bond_id)
        elif action == "reject":
            services.reject_guarantee(current_user, bond_id, request.form.get("reason", ""))
        elif action == "refund":
            services.refund(current_user, bond_id)
        else:
            services.forfeit(current_user, bond_id, request.form.get("reason_type"), request.form.get("note", ""))
    except NotFound:
        abort(404)
    except ServiceError as exc:
        _flash(exc)
    else:
        flash(_("Done."), "success")
    return redirect(url_for("tendering.bond_page", bond_id=bond_id))


@bp.post("/bonds/<int:bond_id>/verify")
@login_required
def bond_verify(bond_id):
    return _bond_action(bond_id, "verify")


@bp.post("/bonds/<int:bond_id>/reject")
@login_required
def bond_reject(bond_id):
    return _bond_action(bond_id, "reject")


@bp.post("/bonds/<int:bond_id>/refund")
@login_required
def bond_refund(bond_id):
    return _bond_action(bond_id, "refund")


@bp.post("/bonds/<int:bond_id>/forfeit")
@login_required
def bond_forfeit(bond_id):
    return _bond_action(bond_id, "forfeit")


@bp.get("/tenders/<int:tender_id>/bonds")
@login_required
def tender_bonds(tender_id):
    tender = db.session.get(Tender, tender_id)
    if tender is None or not policy.can_manage_tender(current_user, tender):
        abort(404)
    scheduler.catch_up("tenders", tender.id)
    revealed = policy.can_see_bonds(current_user, tender)
    bonds = services.bonds_for_tender(current_user, tender.id) if revealed else []
    flags = services.fingerprint_flags(tender.id) if revealed else []
    return render_template("bonds/tender_bonds.html", tender=tender, bonds=bonds, flags=flags, revealed=revealed)
