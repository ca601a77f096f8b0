"""Pages of inspections (server-rendered, no JavaScript; every button a CSRF form posting to the
service the API calls):

- `/inspections`: the authority's campaigns, the inspector's own team seats;
- `/inspections/campaigns/new`, `/inspections/campaigns/<id>`: open a campaign; its items, target
  draw, inspections; draw the targets, cancel;
- `/inspections/<id>`: one inspection: team and its draws, draw the team, recuse, record results,
  publish, issue a rectification notice;
- `/inspections/rectifications` and `/inspections/rectifications/<id>`: the inspected
  organisation's notices, its response with evidence; the authority's re-inspection;
- `/inspections/ties`: recorded ties of the authority's inspectors.
Public results: `public.py`.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.errors import NotFound, ServiceError
from core.forms import ConfirmForm, apply_form_errors
from core import roles as R
from core.policy import login_required, roles_required
from core.scheduler import catch_up
from procurement.blueprints import _ids_in_range, page_path
from procurement.inspections import campaigns, policy, pools, rectifications, results, teams
from procurement.inspections.forms import (
    CampaignForm,
    RectificationForm,
    RecuseForm,
    ReinspectionForm,
    ResponseForm,
    ResultsForm,
    TieForm,
)
from procurement.inspections.states import PLANNED, RECORDED, SCHEDULED, TEAM_PENDING

bp = Blueprint("inspections", __name__)
bp.url_value_preprocessor(_ids_in_range)


def _or_404(func, *args):
    try:
        return func(current_user, *args)
    except NotFound:
        abort(404)


def _run(func, *args, ok: str, **kwargs) -> bool:
    try:
        func(current_user, *args, **kwargs)
    except ServiceError as exc:
        apply_form_errors(None, exc)
        return False
    flash(ok, "success")
    return True


@bp.get("/inspections")
@login_required
def overview():
    return render_template("inspections/overview.html", campaigns=campaigns.campaigns_for(current_user),
                           seats=teams.team_of(current_user), can_open=policy.can_open_campaign(current_user),
                           notices=rectifications.of_organisation(current_user),
                           overdue=results.overdue(getattr(policy.authority_of(current_user), "city_id", -1)))


@bp.route("/inspections/campaigns/new", methods=["GET", "POST"])
@roles_required(R.INSPECTOR)  # inspectors of a city's authority only
def campaign_new():
    if not policy.can_open_campaign(current_user):
        abort(403)
    form = CampaignForm()
    if form.validate_on_submit():
        try:
            campaign = campaigns.open_campaign(current_user, form.to_data())
        except ServiceError as exc:
            apply_form_errors(form, exc)
        else:
            flash(_("Campaign opened: the commitment of its target draw is published."), "success")
            return redirect(url_for("inspections.campaign_page", campaign_id=campaign.id))
    return render_template("inspections/campaign_form.html", form=form)


@bp.get("/inspections/campaigns/<int:campaign_id>")
@login_required
def campaign_page(campaign_id):
    campaign = _or_404(campaigns.get_campaign, campaign_id)
    manages = policy.can_manage_campaign(current_user, campaign)
    return render_template("inspections/campaign.html", campaign=campaign, manages=manages,
                           draw=teams.draws.get(campaign.target_draw_id),
                           confirm=ConfirmForm() if manages and campaign.status == PLANNED else None,
                           state=results.publication_state)


def _confirmed(func, object_id, *, ok: str) -> None:
    """Run a confirm-button use case (`func(user, object_id)`), flashing its outcome."""
    if not ConfirmForm().validate_on_submit():
        flash(_("The form expired or was incomplete; try again."), "danger")
    else:
        _run(func, object_id, ok=ok)


@bp.post("/inspections/campaigns/<int:campaign_id>/draw")
@roles_required(R.INSPECTOR)  # inspectors of a city's authority only
def campaign_draw(campaign_id):
    campaign = _or_404(campaigns.get_campaign, campaign_id)
    _confirmed(campaigns.draw_targets, campaign.id, ok=_("Targets drawn: draw each inspection's team."))
    return redirect(url_for("inspections.campaign_page", campaign_id=campaign.id))


@bp.post("/inspections/campaigns/<int:campaign_id>/cancel")
@roles_required(R.INSPECTOR)
def campaign_cancel(campaign_id):
    campaign = _or_404(campaigns.get_campaign, campaign_id)
    _confirmed(campaigns.cancel_campaign, campaign.id, ok=_("The campaign was cancelled; its seed is published."))
    return redirect(url_for("inspections.campaign_page", campaign_id=campaign.id))


def _results_form(inspection) -> ResultsForm:
    form = ResultsForm()
    if not form.checks.entries:
        for code in inspection.item_codes:
            form.checks.append_entry({"code": code})
    return form


@bp.get("/inspections/<int:inspection_id>")
@login_required
def inspection_page(inspection_id, results_form=None):
    inspection = _or_404(teams.get_inspection, inspection_id)
    catch_up("inspection", inspection.id)
    manages = policy.can_manage_campaign(current_user, inspection.campaign)
    member = policy.is_team_member(current_user, inspection)
    names = {i["code"]: i["name"] for i in inspection.campaign.items}
    return render_template(
        "inspections/inspection.html", inspection=inspection, manages=manages, member=member, names=names,
        draws=teams.draws_of(inspection), open_seats=teams.open_seats(inspection),
        state=results.publication_state(inspection),
        conflicts=teams.conflicts_on_team(inspection) if inspection.status == SCHEDULED else [],
        confirm=ConfirmForm() if manages else None,
        recuse=RecuseForm() if (member or manages) and inspection.status in (SCHEDULED, TEAM_PENDING) else None,
        results_form=results_form or (_results_form(inspection) if member and inspection.status == SCHEDULED
                                      else None),
        rect_form=RectificationForm() if policy.can_issue_rectification(current_user, inspection)
        and inspection.status not in (SCHEDULED, TEAM_PENDING) else None,
        can_publish=policy.can_publish(current_user, inspection) and inspection.status == RECORDED)


@bp.post("/inspections/<int:inspection_id>/draw-team")
@roles_required(R.INSPECTOR)  # inspectors of a city's authority only
def inspection_draw_team(inspection_id):
    inspection = _or_404(teams.get_inspection, inspection_id)
    _confirmed(teams.draw_team, inspection.id, ok=_("The team is drawn; the inspectors are told."))
    return redirect(url_for("inspections.inspection_page", inspection_id=inspection.id))


@bp.post("/inspections/<int:inspection_id>/publish")
@roles_required(R.INSPECTOR)
def inspection_publish(inspection_id):
    inspection = _or_404(teams.get_inspection, inspection_id)
    _confirmed(results.publish, inspection.id, ok=_("The result is published on the public portal."))
    return redirect(url_for("inspections.inspection_page", inspection_id=inspection.id))


@bp.post("/inspections/<int:inspection_id>/recuse")
@login_required
def inspection_recuse(inspection_id):
    inspection = _or_404(teams.get_inspection, inspection_id)
    form = RecuseForm()
    if not form.validate_on_submit():
        flash(_("Give the reason for the recusal."), "danger")
    else:
        _run(teams.recuse, inspection.id, form.reason.data, seat_id=form.seat_id.data or None,
             ok=_("Recused: a replacement draw is committed."))
    return redirect(url_for("inspections.inspection_page", inspection_id=inspection.id))


@bp.post("/inspections/<int:inspection_id>/results")
@login_required
def inspection_results(inspection_id):
    inspection = _or_404(teams.get_inspection, inspection_id)
    form = ResultsForm()
    if form.validate_on_submit():
        try:
            results.record_results(current_user, inspection.id, form.to_data())
        except ServiceError as exc:
            apply_form_errors(form, exc)
            return inspection_page(inspection.id, results_form=form), 400
        flash(_("Results recorded; publish them within the publication period."), "success")
    else:
        flash(_("Please correct the marked fields."), "danger")
        return inspection_page(inspection.id, results_form=form), 400
    return redirect(url_for("inspections.inspection_page", inspection_id=inspection.id))


@bp.post("/inspections/<int:inspection_id>/rectifications")
@login_required
def inspection_rectify(inspection_id):
    inspection = _or_404(teams.get_inspection, inspection_id)
    form = RectificationForm()
    if not form.validate_on_submit():
        flash(_("Give the required actions and a deadline."), "danger")
    else:
        _run(rectifications.issue, inspection.id, {"required_actions": form.required_actions.data,
                                                   "deadline": form.deadline.data},
             ok=_("The rectification notice is issued."))
    return redirect(url_for("inspections.inspection_page", inspection_id=inspection.id))


@bp.get("/inspections/rectifications")
@login_required
def rectification_list():
    return render_template("inspections/rectifications.html", notices=rectifications.of_organisation(current_user))


@bp.route("/inspections/rectifications/<int:rectification_id>", methods=["GET", "POST"])
@login_required
def rectification_page(rectification_id):
    rect = _or_404(rectifications.get_rectification, rectification_id)
    catch_up("rectification", rect.id)
    respond = ResponseForm() if policy.can_respond(current_user, rect) else None
    reinspect = ReinspectionForm() if policy.can_reinspect(current_user, rect) else None
    if request.method == "POST":
        if respond is not None and "response" in request.form and respond.validate_on_submit():
            files = [(f.stream, f.filename or "") for f in request.files.getlist(respond.evidence.name) if f.filename]
            if _run(rectifications.respond, rect.id, respond.response.data, files, ok=_("Your response was sent.")):
                return redirect(url_for("inspections.rectification_page", rectification_id=rect.id))
        elif reinspect is not None and "outcome" in request.form and reinspect.validate_on_submit():
            if _run(rectifications.reinspect, rect.id, {"outcome": reinspect.outcome.data, "note": reinspect.note.data},
                    ok=_("The re-inspection is recorded.")):
                return redirect(url_for("inspections.rectification_page", rectification_id=rect.id))
        else:
            flash(_("Please correct the marked fields."), "danger")
    return render_template("inspections/rectification.html", rect=rect, respond=respond, reinspect=reinspect,
                           evidence=rectifications.evidence_of(rect),
                           past_deadline=rectifications.is_past_deadline(rect))


@bp.route("/inspections/ties", methods=["GET", "POST"])
@roles_required(R.INSPECTOR)  # inspectors of a city's authority only
def ties():
    org = policy.authority_of(current_user)
    if org is None:
        abort(403)
    form = TieForm()
    form.inspector_id.choices = [(str(u.id), u.name) for u in pools.inspectors_of(org.id)]
    if form.validate_on_submit():
        try:
            teams.record_tie(current_user, {"inspector_id": form.inspector_id.data, "org_id": form.org_id.data,
                                            "reason": form.reason.data, "note": form.note.data or ""})
        except ServiceError as exc:
            apply_form_errors(form, exc)
        else:
            flash(_("The tie is recorded: that inspector is never drawn for that organisation."), "success")
            return redirect(url_for("inspections.ties"))
    return render_template("inspections/ties.html", form=form, ties=teams.ties_of_authority(current_user))


def inspections_waiting(user) -> list:
    """Home-page worklist: inspectors' teams with results to record; targets' open notices."""
    from flask_babel import lazy_gettext as _l

    from core.worklists import WorkItem

    out = []
    if policy.is_inspector(user):
        count = sum(1 for s in teams.team_of(user) if s.status == "active" and s.inspection.status == SCHEDULED)
        out.append(WorkItem(_l("Inspections waiting for your results"), count, page_path("inspections.overview")))
    open_notices = [r for r in rectifications.of_organisation(user) if r.status in ("open", "escalated")]
    if open_notices and not policy.is_inspector(user):
        out.append(WorkItem(_l("Rectification notices to answer"), len(open_notices),
                            page_path("inspections.rectification_list")))
    return out
