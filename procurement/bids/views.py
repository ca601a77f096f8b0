"""Pages of sealed bids and opening key holders:

- /tenders/<id>/bids: a verified supplier's own bids on the tender, lot by lot, with the form to
  submit or replace (product, unit price, documents), withdraw or re-confirm, and the receipts
  (download as JSON; after the deadline, with the inclusion proof). Nobody else sees anything of
  it;
- /bids/<id>/receipt.json, /bids/<id>/proof.json: downloads for the bidder;
- /opening-key: enrolment of opening key holders (centre officers, finance reviewers), and a
  passphrase check;
- the public tender page's section (`templates/bids/_tender_section.html`, helper
  `bid_section(tender)`): before the deadline "sealed, count hidden"; after it the number of bids
  and firms and the Merkle root.
"""

from __future__ import annotations

import json
import uuid

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

import catalog.interface as catalog
from core import roles as R
from core import scheduler
from core.errors import NotFound, ServiceError
from core.forms import apply_form_errors
from core.i18n import translate_error, translate_message
from core.money import MoneyError, format_fen, parse_yuan
from core.policy import login_required, roles_required
from core.validation import message_of
from procurement.bids import contents, keyholders, opening_keys, policy, sealed_round, services
from procurement.bids.forms import (
    BidActionForm,
    BidForm,
    CheckPassphraseForm,
    EnrolForm,
)
from procurement.bids.states import LIVE_STATES, NEEDS_RECONFIRMATION, SUBMITTED
from procurement.tendering import policy as tender_policy
from procurement.tendering.blueprints import bp
from procurement.tendering.clarifications import OBJECT_TYPE, visible_tender
from procurement.tendering.states import LOT_ACTIVE

#: How bid statuses and receipt actions read on pages (the ``bid`` group of `core.labels`).
LABELS = {"submitted": _l("Submitted and sealed"), "replaced": _l("Replaced"), "withdrawn": _l("Withdrawn"),
          "needs_reconfirmation": _l("Needs re-confirmation"), "not_opened": _l("Not opened (not re-confirmed)"),
          "reconfirmed": _l("Re-confirmed")}


def _tender_or_404(tender_id: int):
    scheduler.catch_up(OBJECT_TYPE, tender_id)
    try:
        return visible_tender(current_user, tender_id)
    except NotFound:
        abort(404)


def _products_for(tender, lot) -> list:
    """The current firm's listed products that fit the lot (cheapest first)."""
    from procurement.tendering.lots import rule_from_dict

    org_id = getattr(current_user, "organisation_id", None)
    rules = [rule_from_dict(r) for r in (lot.requirements or [])]
    return [o for o in catalog.listed_passing_products(tender.city_id, lot.category_id)
            if o.supplier.id == org_id and (not rules or catalog.meets(rules, o))]


def _bid_form(tender, lot, live, formdata=None) -> BidForm:
    form = BidForm(formdata=formdata, prefix=f"lot{lot.id}")
    form.product_id.choices = [("", _("Choose a product"))] + [
        (str(p.id), f"{p.sku} · {p.name_zh or p.name_en}") for p in _products_for(tender, lot)]
    if formdata is None:
        form.lot_id.data = str(lot.id)
        form.request_id.data = uuid.uuid4().hex
        form.replaces.data = str(live.id) if live else ""
    return form


def _lot_rows(tender, bids, forms=None) -> list[dict]:
    rows = []
    forms = forms or {}
    for lot in tender.lots:
        mine = [b for b in bids if b.lot_id == lot.id]
        live = next((b for b in mine if b.status in LIVE_STATES), None)
        form = forms.get(lot.id)
        if form is None and lot.status == LOT_ACTIVE and policy.can_bid(current_user, tender):
            form = _bid_form(tender, lot, live)
        rows.append({"lot": lot, "bids": mine, "live": live, "form": form})
    return rows


def _documents(form) -> list:
    out = []
    for storage in form.documents.data or []:
        if not getattr(storage, "filename", ""):
            continue
        content = storage.read(contents.MAX_DOCUMENT_BYTES + 1)
        out.append((storage.filename, content))
    return out


@bp.route("/tenders/<int:tender_id>/bids", methods=["GET", "POST"])
@roles_required(R.SUPPLIER)
def bid_page(tender_id):
    tender = _tender_or_404(tender_id)
    if not tender_policy.is_verified_supplier(current_user):
        abort(403)
    forms = {}
    if request.method == "POST":
        lot_id = request.form.get("lot", "")
        lot = next((x for x in tender.lots if str(x.id) == str(lot_id)), None)
        if lot is None:
            abort(404)
        live = next((b for b in services.my_bids(current_user, tender)
                     if b.lot_id == lot.id and b.status in LIVE_STATES), None)
        form = _bid_form(tender, lot, live, formdata=request.form)
        form.documents.data = request.files.getlist(form.documents.name)
        forms[lot.id] = form
        if form.validate_on_submit():
            try:
                unit_price = parse_yuan(form.unit_price.data, allow_zero=False)
            except MoneyError as exc:
                form.unit_price.errors = [translate_message(message_of(exc))]
            else:
                data = {"product_id": form.product_id.data, "unit_price_fen": unit_price,
                        "documents": _documents(form)}
                try:
                    result = services.submit(current_user, tender.id, lot.id, data,
                                             idempotency_key=form.request_id.data, replaces=form.replaces.data or None,
                                             client_address=request.remote_addr)
                except ServiceError as exc:
                    apply_form_errors(form, exc)
                else:
                    flash(_("Bid sealed and received at %(time)s. Keep your receipt.",
                            time=services.commitments.iso_ms(result.bid.received_at)), "success")
                    for template, params in result.notes:
                        flash(translate_message((template, params)), "warning")
                    return redirect(url_for("tendering.bid_page", tender_id=tender.id))
    bids = services.my_bids(current_user, tender)
    return render_template("bids/bid_page.html", tender=tender, rows=_lot_rows(tender, bids, forms),
                           action_form=BidActionForm(), open=policy.can_bid(current_user, tender),
                           root=sealed_round.bid_root(tender), submitted=SUBMITTED,
                           needs_reconfirmation=NEEDS_RECONFIRMATION, format_fen=format_fen)


def _bid_action(bid_id, action):
    try:
        bid = services.get_bid(current_user, bid_id)
    except NotFound:
        abort(404)
    form = BidActionForm()
    if form.validate_on_submit():
        try:
            action(current_user, bid.id)
        except ServiceError as exc:
            flash(translate_error(exc), "danger")
        else:
            flash(_("Done. Your receipt is below."), "success")
    return redirect(url_for("tendering.bid_page", tender_id=bid.tender_id))


@bp.post("/bids/<int:bid_id>/withdraw")
@login_required
def withdraw_bid(bid_id):
    return _bid_action(bid_id, services.withdraw)


@bp.post("/bids/<int:bid_id>/reconfirm")
@login_required
def reconfirm_bid(bid_id):
    return _bid_action(bid_id, services.reconfirm)


def _json_download(data: dict, name: str) -> Response:
    return Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/bids/<int:bid_id>/receipt.json")
@login_required
def bid_receipt_download(bid_id):
    try:
        bid = services.get_bid(current_user, bid_id)
    except NotFound:
        abort(404)
    receipt_id = request.args.get("receipt", type=int)
    chosen = next((r for r in bid.receipts if r.id == receipt_id), None) or services.latest_receipt(bid.id)
    return _json_download(sealed_round.receipt_json(chosen), f"bid-{bid.id}-receipt-{chosen.id}.json")


@bp.get("/bids/<int:bid_id>/proof.json")
@login_required
def bid_proof_download(bid_id):
    try:
        bid = services.get_bid(current_user, bid_id)
    except NotFound:
        abort(404)
    scheduler.catch_up(OBJECT_TYPE, bid.tender_id)
    try:
        proof = sealed_round.receipt_proof(current_user, bid.id)
    except ServiceError as exc:
        flash(translate_error(exc), "warning")
        return redirect(url_for("tendering.bid_page", tender_id=bid.tender_id))
    return _json_download(proof, f"bid-{bid.id}-proof.json")


@bp.route("/opening-key", methods=["GET", "POST"])
@roles_required(R.PROCUREMENT_OFFICER, R.FINANCE_REVIEWER)
def key_holder_page():
    if not policy.can_enrol_key_holder(current_user):
        abort(403)
    holder = keyholders.holder_of(current_user)
    form, check = EnrolForm(prefix="enrol"), CheckPassphraseForm(prefix="check")
    if holder is None and form.submit.data and form.validate_on_submit():
        try:
            keyholders.enrol(current_user, form.passphrase.data, form.confirm.data)
        except ServiceError as exc:
            apply_form_errors(form, exc)
        else:
            flash(_("You are now an opening key holder. Keep your passphrase safe: it cannot be recovered."), "success")
            return redirect(url_for("tendering.key_holder_page"))
    elif holder is not None and check.submit.data and check.validate_on_submit():
        if keyholders.check_passphrase(current_user, check.passphrase.data):
            flash(_("Your passphrase unlocks your key."), "success")
        else:
            check.passphrase.errors = [_("Wrong passphrase.")]
    return render_template("bids/key_holder.html", holder=holder, form=form, check=check)


def bid_section(tender) -> dict:
    """For the public tender page: whether bids are sealed, and after the deadline the count and
    the Merkle root."""
    sealed = policy.bids_sealed_from_view(tender)
    root = None if sealed else sealed_round.bid_root(tender)
    key = opening_keys.opening_key(tender.id)
    return {"sealed": sealed, "root": root, "bidders": sealed_round.bidders_of(root) if root else None,
            "key": key, "can_bid": policy.can_bid(current_user, tender)}


def template_globals() -> dict:
    return {"bid_section": bid_section}

