"""Pages of evaluation panels (server-rendered, no JavaScript; every button a CSRF form posting to
the same service the API calls):

- `/evaluation/panels`: tenders past their bid deadline with their panels (the centre, the city's
  finance office, platform staff);
- `/evaluation/tenders/<id>`: a tender's panels and the request form (per lot or whole tender);
- `/evaluation/panels/<id>`: one panel: size and why, draws (commitments, links to the public
  draw pages), seats; draw, draw replacements, cancel;
- `/evaluation/invitations`: an expert's invitations, accept and decline.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from core import roles as R
from core.errors import NotFound, ServiceError
from core.extensions import db
from core.forms import ConfirmForm, apply_form_errors
from core.policy import login_required, roles_required
from core.timeutil import utcnow
from procurement.blueprints import _ids_in_range
from procurement.evaluation import experts as expert_svc
from procurement.evaluation import policy, services
from procurement.evaluation.forms import CancelPanelForm, DeclineForm, PanelRequestForm
from procurement.evaluation.models import Panel
from procurement.tendering import services as tender_svc
from procurement.tendering.models import Tender
from procurement.tendering.states import LOT_ACTIVE
from procurement.web import choices

bp = Blueprint("evaluation", __name__)
bp.url_value_preprocessor(_ids_in_range)
OVERSEERS = (R.PROCUREMENT_OFFICER, R.FINANCE_REVIEWER, R.PLATFORM_ADMIN, R.PLATFORM_REVIEWER)
LIST_LIMIT = 100


@bp.get("/evaluation/panels")
@roles_required(*OVERSEERS)
def panel_overview():
    now = utcnow()
    tenders = list(db.session.execute(
        select(Tender).where(policy.panel_tenders_filter(current_user), Tender.bid_deadline_at <= now,
                             Tender.status.not_in(policy.NO_PANEL_STATES))
        .order_by(Tender.bid_deadline_at.desc()).limit(LIST_LIMIT)).scalars())
    panels: dict[int, list[Panel]] = {t.id: [] for t in tenders}
    if tenders:
        for panel in db.session.execute(select(Panel).where(Panel.tender_id.in_(list(panels)))
                                        .order_by(Panel.id)).scalars():
            panels[panel.tender_id].append(panel)
    return render_template("evaluation/overview.html", tenders=tenders, panels=panels)


def _tender_or_404(tender_id):
    try:
        tender, panels = services.panels_of_tender(current_user, tender_id)
    except NotFound:
        abort(404)
    tender_svc.catch_up(tender.id)
    return tender, panels


def _request_form(tender) -> PanelRequestForm:
    form = PanelRequestForm()
    form.lot_id.choices = choices([("", _("The whole tender (one panel for every lot)"))] + [
        (str(lot.id), _("Lot %(n)s: %(title)s", n=lot.number, title=lot.title))
        for lot in tender.lots if lot.status == LOT_ACTIVE])
    return form


@bp.route("/evaluation/tenders/<int:tender_id>", methods=["GET", "POST"])
@login_required
def tender_panels(tender_id):
    tender, panels = _tender_or_404(tender_id)
    can_request = policy.can_request_panel(current_user, tender)
    form = _request_form(tender) if can_request else None
    if form is not None and form.validate_on_submit():
        try:
            panel = services.request_panel(current_user, tender.id, form.to_data())
        except ServiceError as exc:
            apply_form_errors(form, exc)
        else:
            flash(_("Panel requested: its seed commitment is published. Draw it when you are ready."), "success")
            return redirect(url_for("evaluation.panel_page", panel_id=panel.id))
    return render_template("evaluation/tender_panels.html", tender=tender, panels=panels, form=form,
                           deadline_passed=policy.bids_closed(tender),
                           manages=policy.can_manage_panels_of(current_user, tender))


def _panel_or_404(panel_id):
    try:
        return services.get_panel(current_user, panel_id)
    except NotFound:
        abort(404)


@bp.get("/evaluation/panels/<int:panel_id>")
@login_required
def panel_page(panel_id):
    panel = _panel_or_404(panel_id)
    manages = policy.can_manage_panel(current_user, panel)
    live = panel.status != "cancelled"
    return render_template("evaluation/panel.html", panel=panel, draws=services.draws_of(panel),
                           seats=services.seated(panel), open_seats=services.open_seats(panel),
                           confirm=ConfirmForm() if manages and live else None,
                           cancel=CancelPanelForm() if manages and live else None, manages=manages)


@bp.post("/evaluation/panels/<int:panel_id>/draw")
@login_required
def panel_draw(panel_id):
    panel = _panel_or_404(panel_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form expired or was incomplete; try again."), "danger")
    else:
        try:
            services.draw_panel(current_user, panel.id)
        except ServiceError as exc:
            apply_form_errors(None, exc)
        else:
            flash(_("Drawn: the experts are invited."), "success")
    return redirect(url_for("evaluation.panel_page", panel_id=panel.id))


@bp.post("/evaluation/panels/<int:panel_id>/cancel")
@login_required
def panel_cancel(panel_id):
    panel = _panel_or_404(panel_id)
    form = CancelPanelForm()
    if not form.validate_on_submit():
        flash(_("Give a reason for the cancellation."), "danger")
    else:
        try:
            services.cancel_panel(current_user, panel.id, form.reason.data)
        except ServiceError as exc:
            apply_form_errors(None, exc)
        else:
            flash(_("The panel was cancelled; its draws are published."), "success")
    return redirect(url_for("evaluation.panel_page", panel_id=panel.id))


# ------------------------------------------------------------------ experts

def invitations_waiting(user) -> list:
    """Experts: invitations waiting for an answer (home-page worklist)."""
    from flask_babel import lazy_gettext as _l
    from sqlalchemy import func

    from core.worklists import WorkItem
    from procurement.evaluation.models import Expert, PanelMember

    if not policy.is_expert(user):
        return []
    count = db.session.execute(select(func.count(PanelMember.id)).join(Expert, Expert.id == PanelMember.expert_id)
                               .join(Panel, Panel.id == PanelMember.panel_id)
                               .where(Expert.user_id == user.id, PanelMember.status == "invited",
                                      Panel.status == "inviting")).scalar()
    return [WorkItem(_l("Panel invitations waiting for your answer"), count, url_for("evaluation.invitations"))]


@bp.get("/evaluation/invitations")
@roles_required(R.EXPERT)
def invitations():
    members = services.invitations_of(current_user)
    # One decline form per panel (prefixed), so that the fields' ids stay unique on the page.
    return render_template("evaluation/invitations.html", members=members, profile=expert_svc.own_profile(current_user),
                           declines={m.id: _decline_form(m.panel_id) for m in members})


def _decline_form(panel_id) -> DeclineForm:
    return DeclineForm(prefix=f"panel{panel_id}")


@bp.post("/evaluation/panels/<int:panel_id>/accept")
@roles_required(R.EXPERT)
def panel_accept(panel_id):
    if not ConfirmForm().validate_on_submit():
        flash(_("The form expired or was incomplete; try again."), "danger")
    else:
        try:
            services.accept(current_user, panel_id)
        except ServiceError as exc:
            apply_form_errors(None, exc)
        else:
            flash(_("Thank you: your seat on the panel is confirmed."), "success")
    return redirect(url_for("evaluation.invitations"))


@bp.post("/evaluation/panels/<int:panel_id>/decline")
@roles_required(R.EXPERT)
def panel_decline(panel_id):
    form = _decline_form(panel_id)
    if not form.validate_on_submit():
        flash(_("Give a reason type and a reason."), "danger")
    else:
        try:
            services.decline(current_user, panel_id, form.reason_type.data, form.reason.data)
        except ServiceError as exc:
            apply_form_errors(None, exc)
        else:
            flash(_("Your answer was recorded; a replacement will be drawn."), "success")
    return redirect(url_for("evaluation.invitations"))
