"""Project pages: list, register, edit, and the project page (stage bar, move buttons with their
checks, documents, latest records)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import roles as R
from core.errors import ServiceError
from core.forms import apply_form_errors
from core.policy import login_required, roles_required
from core.web import page_number
from procurement.blueprints import bp
from procurement.budget.models import BUDGET_STATUSES
from procurement.documents import policy as document_policy
from procurement.documents.forms import DocumentForm
from procurement.documents.services import project_documents
from procurement.machine.forms import TransitionForm
from procurement.machine.services import move_options, preview_gates
from procurement.machine.stages import ADVANCE, STAGES
from procurement.projects import policy
from procurement.projects import services as project_svc
from procurement.projects.forms import ProjectForm
from procurement.web import project_or_404

PER_PAGE = 25


@bp.get("/projects")
@roles_required(*policy.PROJECT_ROLES)
def project_list():
    stage = request.args.get("stage") or None
    if stage not in STAGES:
        stage = None
    budget_status = request.args.get("budget") or None
    if budget_status not in BUDGET_STATUSES:
        budget_status = None
    page = page_number(request.args)
    rows, total = project_svc.list_projects(current_user, stage=stage, budget_status=budget_status, page=page,
                                            per_page=PER_PAGE)
    pages = max(1, (total + PER_PAGE - 1) // PER_PAGE)
    args = {k: v for k, v in (("stage", stage), ("budget", budget_status)) if v}
    return render_template("procurement/list.html", projects=rows, total=total, page=page, pages=pages, stage=stage,
                           budget_status=budget_status, budget_statuses=BUDGET_STATUSES, args=args, stages=STAGES)


@bp.route("/projects/new", methods=["GET", "POST"])
@roles_required(R.PURCHASER)
def project_new():
    if not policy.can_create_project(current_user):
        abort(403)
    form = ProjectForm()
    if form.validate_on_submit():
        try:
            project = project_svc.create_project(current_user, form.to_data())
        except ServiceError as exc:
            apply_form_errors(form, exc)
        else:
            flash(_("Project %(code)s registered.", code=project.code), "success")
            return redirect(url_for("procurement.project_detail", project_id=project.id))
    return render_template("procurement/form.html", form=form, project=None)


@bp.route("/projects/<int:project_id>/edit", methods=["GET", "POST"])
@login_required
def project_edit(project_id):
    project = project_or_404(project_id)
    if not policy.can_edit_project(current_user, project):
        abort(403)
    form = ProjectForm(obj=None if request.method == "POST" else project)
    if request.method == "GET":
        form.fill_from(project)
    if form.validate_on_submit():
        try:
            project_svc.update_project(current_user, project.id, form.to_data())
        except ServiceError as exc:
            apply_form_errors(form, exc)
        else:
            flash(_("Project saved."), "success")
            return redirect(url_for("procurement.project_detail", project_id=project.id))
    return render_template("procurement/form.html", form=form, project=project)


@bp.get("/projects/<int:project_id>")
@login_required
def project_detail(project_id):
    project = project_or_404(project_id)
    options = move_options(current_user, project)
    moves = [(option, TransitionForm.for_move(project, option.transition)) for option in options]
    advance = next((o for o in options if o.transition.kind == ADVANCE), None)
    gates = advance.checks if advance is not None else preview_gates(current_user, project)
    doc_form = DocumentForm(prefix="doc") if document_policy.can_attach_document(current_user, project) else None
    return render_template("procurement/detail.html", project=project, stages=STAGES, moves=moves, gates=gates,
                           records=project_svc.latest_records(project), record_total=project.record_count,
                           doc_form=doc_form,
                           documents=project_documents(project))
