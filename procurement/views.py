"""HTML pages for projects: list, register/edit, budget, design (bill of materials), records.

Views parse forms, call the services and render; errors from the services are flashed or put
onto the form fields.
"""

from __future__ import annotations

import json

from flask import Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import roles as R
from core.errors import ServiceError
from core.extensions import db
from core.policy import login_required, roles_required
from procurement import bp, forms, labels, policy, serializers, stages
from procurement import standards as std
from procurement.models import BUDGET_STATUSES, BomLine
from procurement.quantities import format_bp, format_fen, format_quantity, parse_percent_bp, parse_yuan
from procurement.services import budget as budget_svc
from procurement.services import design as design_svc
from procurement.services import documents as document_svc
from procurement.services import projects as project_svc
from procurement.services import records as record_svc
from procurement.services.transitions import GateRefused, preview_gates, request_transition

VIEW_ROLES = (R.PURCHASER, R.FINANCE_REVIEWER, R.PROCUREMENT_OFFICER, R.INSPECTOR, R.PLATFORM_ADMIN,
              R.PLATFORM_REVIEWER)

@bp.app_template_filter("label")
def _label(value, group):
    return labels.label(value, group)


@bp.app_template_filter("yuan")
def _yuan(fen):
    return format_fen(fen)


@bp.app_template_filter("qty")
def _qty(milli):
    return format_quantity(milli)


@bp.app_template_filter("pct_bp")
def _pct(bp_):
    return format_bp(bp_)


def _apply_errors(form, exc: ServiceError, mapping: dict | None = None) -> None:
    """Put the service's per-field messages onto form fields; flash the rest with the message."""
    mapping = mapping or {}
    leftovers = []
    for key, msg in (exc.fields or {}).items():
        name = mapping.get(key, key)
        field = getattr(form, name, None) if form is not None else None
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + [msg]
        else:
            leftovers.append(f"{key}: {msg}")
    flash(exc.message + (" " + "; ".join(leftovers) if leftovers else ""), "danger")


def _project(project_id):
    try:
        return project_svc.get_project(current_user, project_id)
    except ServiceError:
        abort(404)


# --- list, register, edit -----------------------------------------------------------------------


@bp.get("/projects")
@roles_required(*VIEW_ROLES)
def project_list():
    stage = request.args.get("stage") or None
    if stage not in stages.STAGES:
        stage = None
    budget_status = request.args.get("budget") or None
    if budget_status not in BUDGET_STATUSES:
        budget_status = None
    page = request.args.get("page", 1, type=int) or 1
    rows, total = project_svc.list_projects(current_user, stage=stage, budget_status=budget_status, page=page)
    pages = max(1, (total + 24) // 25)
    args = {k: v for k, v in (("stage", stage), ("budget", budget_status)) if v}
    return render_template("procurement/list.html", projects=rows, total=total, page=page, pages=pages, stage=stage,
                           budget_status=budget_status, budget_statuses=BUDGET_STATUSES, args=args,
                           stages=stages.STAGES, can_create=policy.can_create_project(current_user))


@bp.route("/projects/new", methods=["GET", "POST"])
@roles_required(R.PURCHASER)
def project_new():
    if not policy.can_create_project(current_user):
        abort(403)
    form = forms.ProjectForm()
    if form.validate_on_submit():
        try:
            project = project_svc.create_project(current_user, form.to_data())
        except ServiceError as exc:
            _apply_errors(form, exc)
        else:
            flash(_("Project %(code)s registered.", code=project.code), "success")
            return redirect(url_for("procurement.project_detail", project_id=project.id))
    return render_template("procurement/form.html", form=form, project=None)


@bp.route("/projects/<int:project_id>/edit", methods=["GET", "POST"])
@login_required
def project_edit(project_id):
    project = _project(project_id)
    if not policy.can_edit_project(current_user, project):
        abort(403)
    form = forms.ProjectForm(obj=None if request.method == "POST" else project)
    if request.method == "GET":
        form.green_star_target.data = str(project.green_star_target)
        form.floor_area_m2.data = str(project.floor_area_m2)
        while len(form.people.entries) < min(len(project.people) + 1, form.people.max_entries):
            form.people.append_entry()
        for entry, person in zip(form.people.entries, project.people):
            entry.form.role.data, entry.form.name.data, entry.form.phone.data = person.role, person.name, person.phone
    if form.validate_on_submit():
        try:
            project_svc.update_project(current_user, project.id, form.to_data())
        except ServiceError as exc:
            _apply_errors(form, exc)
        else:
            flash(_("Project saved."), "success")
            return redirect(url_for("procurement.project_detail", project_id=project.id))
    return render_template("procurement/form.html", form=form, project=project)


# --- project page and transitions ----------------------------------------------------------------


def _transition_forms(project):
    out = []
    for t in policy.available_transitions(current_user, project):
        f = forms.TransitionForm(prefix=f"t-{t.kind}-{t.to_stage}")
        f.expected.data, f.to.data, f.kind.data = project.stage, t.to_stage, t.kind
        out.append((t, f))
    return out


@bp.get("/projects/<int:project_id>")
@login_required
def project_detail(project_id):
    project = _project(project_id)
    records = record_svc.timeline(project)
    doc_form = forms.DocumentForm(prefix="doc") if policy.can_attach_document(current_user, project) else None
    return render_template("procurement/detail.html", project=project, stages=stages.STAGES,
                           transitions=_transition_forms(project), gates=preview_gates(current_user, project),
                           records=records[-5:], record_total=len(records), doc_form=doc_form,
                           documents=document_svc.project_documents(project))


@bp.post("/projects/<int:project_id>/documents")
@login_required
def document_attach(project_id):
    project = _project(project_id)
    form = forms.DocumentForm(prefix="doc")
    if not form.validate_on_submit() or not form.file.data:
        for field in (form.kind, form.title, form.file):
            for err in field.errors:
                flash(f"{field.label.text}: {err}", "danger")
        if not form.errors:
            flash(_("Choose a file to attach."), "danger")
    else:
        upload = form.file.data
        try:
            document_svc.attach_document(current_user, project.id, upload.stream, upload.filename or "",
                                         kind=form.kind.data, title=form.title.data)
        except ServiceError as exc:
            flash(exc.message + (" " + " ".join(exc.fields.values()) if exc.fields else ""), "danger")
        else:
            flash(_("Document attached."), "success")
    return redirect(url_for("procurement.project_detail", project_id=project.id))


@bp.get("/projects/<int:project_id>/documents/<int:link_id>")
@login_required
def document_download(project_id, link_id):
    from catalog.services.documents import document_path

    try:
        link = document_svc.get_document(current_user, project_id, link_id)
    except ServiceError:
        abort(404)
    path = document_path(link.document)
    if not path.exists():
        abort(404)
    return send_file(path, mimetype=link.document.content_type, as_attachment=True,
                     download_name=link.document.original_name or f"document-{link.id}")


@bp.post("/projects/<int:project_id>/transition")
@login_required
def project_transition(project_id):
    project = _project(project_id)
    # the form's prefix is not known in advance: read the posted fields by suffix
    data = {k.split("-", 3)[-1]: v for k, v in request.form.items() if k.startswith("t-")}
    try:
        request_transition(current_user, project.id, to_stage=data.get("to", ""),
                           expected_stage=data.get("expected", ""), kind=data.get("kind") or stages.ADVANCE,
                           reason=data.get("reason"))
    except GateRefused as exc:
        flash(exc.message, "danger")
        for name, msg in exc.fields.items():
            flash(f"✗ {name}: {msg}", "warning")
    except ServiceError as exc:
        flash(exc.message, "danger")
    else:
        db.session.expire_all()
        stage = project_svc.get_project(current_user, project.id).stage
        flash(_("The project moved to the %(stage)s stage.", stage=labels.label(stage, "stage")), "success")
    return redirect(url_for("procurement.project_detail", project_id=project.id))


# --- budget --------------------------------------------------------------------------------------


def _budget_form_data(form) -> dict:
    """Form text -> the service's input (yuan -> fen, % -> basis points); bad numbers become field errors."""
    errors = {}
    data: dict = {"funding_sources": []}
    try:
        data["total_fen"] = parse_yuan(form.total.data)
    except ValueError as exc:
        errors["total"] = str(exc)
    try:
        data["green_share_bp"] = parse_percent_bp(form.green_share.data)
    except ValueError as exc:
        errors["green_share"] = str(exc)
    for i, entry in enumerate(form.funding.entries):
        f = entry.form
        if not (f.kind.data or (f.amount.data or "").strip()):
            continue
        try:
            amount = parse_yuan(f.amount.data, allow_zero=False)
        except ValueError as exc:
            errors[f"funding-{i}"] = str(exc)
            continue
        data["funding_sources"].append({"kind": f.kind.data, "description": f.description.data or "",
                                        "amount_fen": amount})
    return data, errors


@bp.route("/projects/<int:project_id>/budget", methods=["GET", "POST"])
@login_required
def budget(project_id):
    project = _project(project_id)
    b = project.budget
    can_submit = policy.can_submit_budget(current_user, project) and (b is None or b.status == "returned")
    can_review = policy.can_review_budget(current_user, project) and b is not None and b.status == "submitted"
    form = forms.BudgetForm() if can_submit else None
    review = forms.ReviewForm() if can_review else None
    if form is not None and request.method == "GET" and b is not None:
        form.total.data = format_fen(b.total_fen).replace(",", "")
        form.green_share.data = format_bp(b.green_share_bp)
        while len(form.funding.entries) < min(len(b.funding_sources) + 1, form.funding.max_entries):
            form.funding.append_entry()
        for entry, src in zip(form.funding.entries, b.funding_sources):
            entry.form.kind.data, entry.form.description.data = src.kind, src.description
            entry.form.amount.data = format_fen(src.amount_fen).replace(",", "")
    if form is not None and request.method == "POST" and form.validate_on_submit():
        data, errors = _budget_form_data(form)
        if errors:
            for key, msg in errors.items():
                if hasattr(form, key):
                    getattr(form, key).errors = list(getattr(form, key).errors) + [msg]
                else:
                    flash(f"{_('Funding source')} {int(key.split('-')[1]) + 1}: {msg}", "danger")
        else:
            try:
                budget_svc.submit_budget(current_user, project.id, data)
            except ServiceError as exc:
                _apply_errors(form, exc, {"total_fen": "total", "green_share_bp": "green_share",
                                          "funding_sources": "funding"})
            else:
                flash(_("Budget submitted to the finance office."), "success")
                return redirect(url_for("procurement.budget", project_id=project.id))
    return render_template("procurement/budget.html", project=project, budget=b, form=form, review=review)


@bp.post("/projects/<int:project_id>/budget/review")
@roles_required(R.FINANCE_REVIEWER)
def budget_review(project_id):
    project = _project(project_id)
    review = forms.ReviewForm()
    if not review.validate_on_submit():
        flash(_("The form expired or was incomplete; try again."), "danger")
        return redirect(url_for("procurement.budget", project_id=project.id))
    try:
        if review.approve.data:
            budget_svc.approve_budget(current_user, project.id, review.comment.data)
            flash(_("Budget approved."), "success")
        else:
            budget_svc.return_budget(current_user, project.id, review.comment.data)
            flash(_("Budget returned to the purchaser."), "success")
    except ServiceError as exc:
        flash(exc.message + " " + " ".join(exc.fields.values()), "danger")
    return redirect(url_for("procurement.budget", project_id=project.id))


# --- design: bill of materials -----------------------------------------------------------------


def _category_choices(project):
    return forms.choices([(c.code, f"{c.name_en} / {c.name_zh} ({labels.label(level, 'level')})")
                          for c, level in std.edition_categories(project)])


def _line_form_data(form) -> tuple[dict, dict]:
    errors = {}
    data = {"category": form.category.data, "specification": form.specification.data or "",
            "quantity": (form.quantity.data or "").strip(), "unit": form.unit.data,
            "green_required": bool(form.green_required.data),
            "tightenings": forms.parse_tightenings(form.tightenings.data or "")}
    try:
        data["est_unit_price_fen"] = parse_yuan(form.unit_price.data)
    except ValueError as exc:
        errors["unit_price"] = str(exc)
    return data, errors


_LINE_FIELDS = {"est_unit_price_fen": "unit_price"}


def _apply_line_errors(form, exc):
    mapped = {}
    for key in exc.fields:
        mapped[key] = "tightenings" if key.startswith("tightenings") else _LINE_FIELDS.get(key, key)
    _apply_errors(form, exc, mapped)


def _lines(project):
    return list(db.session.execute(db.select(BomLine).where(BomLine.project_id == project.id)
                                   .order_by(BomLine.line_no)).scalars())


@bp.route("/projects/<int:project_id>/design", methods=["GET", "POST"])
@login_required
def design(project_id):
    project = _project(project_id)
    editable = policy.can_edit_bom(current_user, project)
    form = forms.BomLineForm(prefix="line") if editable else None
    importer = forms.ImportForm(prefix="import") if editable else None
    if form is not None:
        form.category.choices = _category_choices(project)
        if request.method == "POST" and form.validate_on_submit():
            data, errors = _line_form_data(form)
            if errors:
                form.unit_price.errors = list(form.unit_price.errors) + [errors["unit_price"]]
            else:
                try:
                    design_svc.add_line(current_user, project.id, data)
                except ServiceError as exc:
                    _apply_line_errors(form, exc)
                else:
                    flash(_("Line added."), "success")
                    return redirect(url_for("procurement.design", project_id=project.id))
    lines = _lines(project)
    offers = design_svc.line_offers(project, lines)
    rules = {ln.id: design_svc.effective_rules(project, ln) for ln in lines}
    levels = {ln.id: std.requirement_level(project, ln.category) for ln in lines}
    return render_template("procurement/design.html", project=project, lines=lines, offers=offers, rules=rules,
                           levels=levels, form=form, importer=importer, summary=design_svc.summary(project, lines),
                           delete_form=forms.ConfirmForm(prefix="del"), editable=editable,
                           gates=preview_gates(current_user, project) if project.stage == stages.DESIGN else [])


@bp.route("/projects/<int:project_id>/design/lines/<int:line_no>/edit", methods=["GET", "POST"])
@login_required
def line_edit(project_id, line_no):
    project = _project(project_id)
    if not policy.can_edit_bom(current_user, project):
        abort(403)
    line = db.session.execute(db.select(BomLine).where(BomLine.project_id == project.id,
                                                       BomLine.line_no == line_no)).scalar_one_or_none()
    if line is None:
        abort(404)
    form = forms.BomLineForm(prefix="line")
    form.category.choices = _category_choices(project)
    if request.method == "GET":
        form.category.data = line.category.code
        form.specification.data = line.specification
        form.quantity.data = format_quantity(line.quantity_milli)
        form.unit.data = line.unit
        form.unit_price.data = format_fen(line.est_unit_price_fen).replace(",", "")
        form.green_required.data = line.green_required
        form.tightenings.data = forms.format_tightenings(line.tightenings)
    elif form.validate_on_submit():
        data, errors = _line_form_data(form)
        if errors:
            form.unit_price.errors = list(form.unit_price.errors) + [errors["unit_price"]]
        else:
            try:
                design_svc.update_line(current_user, project.id, line_no, data)
            except ServiceError as exc:
                _apply_line_errors(form, exc)
            else:
                flash(_("Line %(n)s saved.", n=line_no), "success")
                return redirect(url_for("procurement.design", project_id=project.id))
    rules = std.rules_for_line(project, line.category)
    return render_template("procurement/line_form.html", project=project, line=line, form=form, rules=rules)


@bp.post("/projects/<int:project_id>/design/lines/<int:line_no>/delete")
@login_required
def line_delete(project_id, line_no):
    project = _project(project_id)
    form = forms.ConfirmForm(prefix="del")
    if form.validate_on_submit():
        try:
            design_svc.delete_line(current_user, project.id, line_no)
        except ServiceError as exc:
            flash(exc.message, "danger")
        else:
            flash(_("Line %(n)s removed.", n=line_no), "success")
    return redirect(url_for("procurement.design", project_id=project.id))


@bp.post("/projects/<int:project_id>/design/import")
@login_required
def bom_import(project_id):
    from procurement.services.bom_import import import_file

    project = _project(project_id)
    form = forms.ImportForm(prefix="import")
    if not form.validate_on_submit() or not form.file.data:
        flash(_("Choose a CSV or XLSX file to import."), "danger")
        return redirect(url_for("procurement.design", project_id=project.id))
    upload = form.file.data
    try:
        lines = import_file(current_user, project.id, upload.read(), upload.filename or "", replace=bool(form.replace.data))
    except ServiceError as exc:
        flash(exc.message, "danger")
        for where, msg in list(exc.fields.items())[:50]:
            flash(f"{where}: {msg}", "warning")
    else:
        flash(_("%(n)s lines imported.", n=len(lines)), "success")
    return redirect(url_for("procurement.design", project_id=project.id))


# --- records -------------------------------------------------------------------------------------


@bp.get("/projects/<int:project_id>/records")
@login_required
def records(project_id):
    project = _project(project_id)
    return render_template("procurement/records.html", project=project, records=record_svc.timeline(project),
                           verify=record_svc.verify_project(project), printable=False)


@bp.get("/projects/<int:project_id>/records/print")
@login_required
def records_print(project_id):
    project = _project(project_id)
    return render_template("procurement/records_print.html", project=project, records=record_svc.timeline(project),
                           verify=record_svc.verify_project(project), printable=True)


@bp.get("/projects/<int:project_id>/records.json")
@login_required
def records_json(project_id):
    project = _project(project_id)
    result = record_svc.verify_project(project)
    body = {"project": serializers.project(project, detail=True), "chain_intact": result.ok,
            "problem": str(result.problem) if result.problem else None,
            "records": [serializers.record(r) for r in record_svc.timeline(project)]}
    return Response(json.dumps(body, ensure_ascii=False, indent=2), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{project.code}-records.json"'})
