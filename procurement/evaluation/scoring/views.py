"""Pages of a lot's evaluation (server-rendered, no JavaScript; every button a CSRF form posting
to the service the API calls):

- /scoring/lots/<id>: the evaluation: method, panel, price flags, who scored and signed; start
  (centre), decide on justifications (members), issue / take back the report (centre), sign
  (members); the members' scores and the provisional ranking once the reader may see them;
- /scoring/lots/<id>/sheet: a panel member's score sheet (submitted at once, final);
- /scoring/lots/<id>/report: the printable evaluation report, once issued;
- /scoring/justifications[/<id>]: the bidder's flagged prices and its justification form;
- /scoring/my: an expert's lots. (The tender's method and criteria: `plan_views`.)
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from core import roles as R
from core import scheduler
from core.errors import NotFound, ServiceError
from core.extensions import db
from core.forms import ConfirmForm, apply_form_errors
from core.policy import has_role, login_required
from core.timeutil import utcnow
from core.worklists import WorkItem
from procurement.evaluation.scoring import (
    justifications,
    plan_views,
    policy,
    reading,
    services,
)
from procurement.evaluation.scoring.blueprints import bp
from procurement.evaluation.scoring.forms import (
    DecisionForm,
    JustificationForm,
    ReopenForm,
    SheetForm,
)
from procurement.evaluation.scoring.models import LotEvaluation, PriceFlag
from procurement.evaluation.scoring.states import (
    AWAITING,
    OBJECT_TYPE,
    SCORING,
    SIGNING,
)


def _lot_or_404(lot_id):
    try:
        lot = services.find_lot(current_user, lot_id)
    except NotFound:
        abort(404)
    evaluation = services.evaluation_of(lot.id)
    if evaluation is not None:
        scheduler.catch_up(OBJECT_TYPE, evaluation.id)
    return lot


def _back(lot_id, anchor: str = ""):
    return redirect(url_for("scoring.lot_page", lot_id=lot_id) + anchor)


@bp.get("/scoring/lots/<int:lot_id>")
@login_required
def lot_page(lot_id):
    lot = _lot_or_404(lot_id)
    view = reading.lot_view(current_user, lot)
    decide = {f.id: DecisionForm(prefix=f"f{f.id}", formdata=None) for f in view.get("flags", [])
              if f.status == "justified" and view["is_member"] and view["evaluation"].status == SCORING}
    return render_template("evaluation/scoring/lot.html", v=view, confirm=ConfirmForm(), decide=decide,
                           reopen=ReopenForm() if view["manages"] and view["evaluation"] is not None
                           and view["evaluation"].status == SIGNING else None)


def _post(lot_id, call, done: str, anchor: str = ""):
    _lot_or_404(lot_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form expired or was incomplete; try again."), "danger")
        return _back(lot_id, anchor)
    try:
        call()
    except ServiceError as exc:
        apply_form_errors(None, exc)
    else:
        flash(done, "success")
    return _back(lot_id, anchor)


@bp.post("/scoring/lots/<int:lot_id>/start")
@login_required
def start(lot_id):
    return _post(lot_id, lambda: services.start(current_user, lot_id),
                 _("The evaluation has started: the panel members are told, and flagged bidders asked to justify "
                   "their prices."))


@bp.post("/scoring/lots/<int:lot_id>/issue")
@login_required
def issue(lot_id):
    return _post(lot_id, lambda: services.issue_report(current_user, lot_id),
                 _("The report is issued: every panel member is asked to sign it."))


@bp.post("/scoring/lots/<int:lot_id>/sign")
@login_required
def sign(lot_id):
    return _post(lot_id, lambda: services.sign(current_user, lot_id), _("You signed the evaluation report."))


@bp.post("/scoring/lots/<int:lot_id>/reopen")
@login_required
def reopen(lot_id):
    _lot_or_404(lot_id)
    form = ReopenForm()
    if form.validate_on_submit():
        try:
            services.reopen(current_user, lot_id, form.reason.data)
        except ServiceError as exc:
            apply_form_errors(None, exc)
        else:
            flash(_("The report was taken back; the evaluation is open again."), "success")
    else:
        flash(_("Give the reason for taking the report back."), "danger")
    return _back(lot_id)


@bp.post("/scoring/flags/<int:flag_id>/decision")
@login_required
def decide(flag_id):
    try:
        flag = justifications.find_flag(current_user, flag_id)
    except NotFound:
        abort(404)
    lot_id = flag.evaluation.lot_id
    form = DecisionForm(prefix=f"f{flag_id}")
    if form.validate_on_submit():
        try:
            justifications.decide(current_user, flag_id, form.decision.data == "accept", form.reason.data)
        except ServiceError as exc:
            apply_form_errors(None, exc)
        else:
            flash(_("The panel's decision is recorded."), "success")
    else:
        flash(_("Choose the decision and give a reason."), "danger")
    return _back(lot_id, "#flags")


def _cells(form_data, evaluation, bids) -> list[dict]:
    return [{"opened_bid_id": b.opened_bid_id, "criterion_id": c["id"],
             "score": (form_data.get(f"s-{b.opened_bid_id}-{c['id']}") or "").strip()}
            for b in bids for c in evaluation.criteria]


@bp.route("/scoring/lots/<int:lot_id>/sheet", methods=["GET", "POST"])
@login_required
def sheet_page(lot_id):
    lot = _lot_or_404(lot_id)
    view = reading.lot_view(current_user, lot)
    evaluation = view["evaluation"]
    if evaluation is None or not view["is_member"]:
        abort(404)
    form = SheetForm()
    errors = {}
    if request.method == "POST" and form.validate_on_submit():
        if not view["can_score"]:
            abort(403)
        try:
            services.submit_scores(current_user, lot.id, {"scores": _cells(request.form, evaluation, view["bids"])})
        except ServiceError as exc:
            errors = _cell_errors(exc, evaluation, view["bids"])
            apply_form_errors(None, exc) if not errors else flash(_("Please correct the marked scores: nothing "
                                                                    "was saved."), "danger")
        else:
            flash(_("Your scores are submitted. You now see the other members' scores."), "success")
            return _back(lot.id)
    own = reading.sheet_rows(evaluation, view["own_sheet"]) if view["own_sheet"] else {}
    return render_template("evaluation/scoring/sheet.html", v=view, form=form, errors=errors, own=own,
                           entered=request.form if request.method == "POST" else {})


def _cell_errors(exc, evaluation, bids) -> dict:
    """Field errors "scores.<i>[.score]" back to the cells (i: the order `_cells` built)."""
    from core.i18n import translate_message

    order = [(b.opened_bid_id, c["id"]) for b in bids for c in evaluation.criteria]
    out = {}
    for name, message in exc.fields.items():
        parts = name.split(".")
        if len(parts) >= 2 and parts[0] == "scores" and parts[1].isdigit() and int(parts[1]) < len(order):
            out[order[int(parts[1])]] = translate_message(message)
    return out


@bp.get("/scoring/lots/<int:lot_id>/report")
@login_required
def report_page(lot_id):
    lot = _lot_or_404(lot_id)
    evaluation = services.evaluation_of(lot.id)
    if evaluation is None or evaluation.report is None or evaluation.status == SCORING:
        abort(404)
    return render_template("evaluation/scoring/report.html", lot=lot, evaluation=evaluation, r=evaluation.report,
                           rows=reading.report_rows(evaluation.report), signatures=services.signatures(evaluation),
                           suppliers=reading.supplier_names(lot.id))


# ------------------------------------------------------------------ bidders

@bp.get("/scoring/justifications")
@login_required
def justification_list():
    return render_template("evaluation/scoring/justifications.html", flags=justifications.flags_of_firm(current_user))


@bp.route("/scoring/justifications/<int:flag_id>", methods=["GET", "POST"])
@login_required
def justification_page(flag_id):
    try:
        flag = justifications.find_flag(current_user, flag_id)
    except NotFound:
        abort(404)
    scheduler.catch_up(OBJECT_TYPE, flag.evaluation_id)
    db.session.refresh(flag)
    can_justify = policy.can_justify(current_user, flag)
    form = JustificationForm() if can_justify else None
    if request.method == "POST":
        if form is None:
            abort(403 if policy.is_bidder_of(current_user, flag) else 404)
        if form.validate_on_submit():
            try:
                justifications.justify(current_user, flag.id, form.justification.data)
            except ServiceError as exc:
                apply_form_errors(form, exc)
            else:
                flash(_("Your justification is sent to the evaluation panel."), "success")
                return redirect(url_for("scoring.justification_page", flag_id=flag.id))
    return render_template("evaluation/scoring/justification.html", flag=flag, form=form,
                           lot=flag.evaluation.lot, tender=flag.evaluation.lot.tender)


# ------------------------------------------------------------------ experts

def _my_evaluations(user) -> list[LotEvaluation]:
    """Evaluations of lots where `user` holds an accepted seat on the panel."""
    from procurement.evaluation.models import Expert, Panel, PanelMember

    panel_ids = list(db.session.execute(
        select(Panel.id).join(PanelMember, PanelMember.panel_id == Panel.id).join(Expert, Expert.id == PanelMember.expert_id)
        .where(Expert.user_id == user.id, PanelMember.status == "accepted")).scalars())
    if not panel_ids:
        return []
    return list(db.session.execute(select(LotEvaluation).where(LotEvaluation.panel_id.in_(panel_ids))
                                   .order_by(LotEvaluation.id.desc()).limit(200)).unique().scalars())


@bp.get("/scoring/my")
@login_required
def my_lots():
    rows = []
    for e in _my_evaluations(current_user):
        signed = current_user.id in {s.expert_user_id for s in services.signatures(e)}
        rows.append({"evaluation": e, "lot": e.lot, "submitted": policy.has_submitted(current_user, e),
                     "can_score": policy.can_score(current_user, e),
                     "can_sign": policy.can_sign(current_user, e) and not signed})
    return render_template("evaluation/scoring/my.html", rows=rows)


def experts_waiting(user) -> list[WorkItem]:
    """Experts: lots waiting for their scores or their signature."""
    if not has_role(user, R.EXPERT):
        return []
    mine = _my_evaluations(user)
    to_score = sum(1 for e in mine if policy.can_score(user, e) and not policy.has_submitted(user, e))
    signed = {e.id for e in mine if e.status == SIGNING and user.id in {s.expert_user_id
                                                                       for s in services.signatures(e)}}
    to_sign = sum(1 for e in mine if e.status == SIGNING and e.id not in signed and policy.can_sign(user, e))
    link = url_for("scoring.my_lots")
    return [WorkItem(_l("Lots waiting for your scores"), to_score, link),
            WorkItem(_l("Evaluation reports waiting for your signature"), to_sign, link)]


def bidders_waiting(user) -> list[WorkItem]:
    """Suppliers: flagged prices waiting for the firm's justification."""
    if not has_role(user, R.SUPPLIER) or user.organisation_id is None:
        return []
    from sqlalchemy import func

    count = db.session.execute(select(func.count(PriceFlag.id)).where(
        PriceFlag.supplier_org_id == user.organisation_id, PriceFlag.status == AWAITING,
        PriceFlag.due_at > utcnow())).scalar()
    return [WorkItem(_l("Prices to justify to an evaluation panel"), count, url_for("scoring.justification_list"))]


def template_helpers() -> dict:
    return {"scoring_section": plan_views.scoring_section}
