"""The design page (bill of materials, its requirements and satisfying products), line editing
and bill import."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from core.errors import ServiceError
from core.forms import ConfirmForm, apply_form_errors, form_field
from core.labels import label
from core.policy import login_required
from procurement import labels
from procurement import standards as std
from procurement.blueprints import bp
from procurement.design import policy
from procurement.design import services as design_svc
from procurement.design.bom_import import import_file
from procurement.design.forms import BomLineForm, ImportForm
from procurement.design.requirements import effective_rules, line_offers
from procurement.machine.services import preview_gates
from procurement.machine.stages import DESIGN
from procurement.web import category_label, choices, flash_error, message_text, project_or_404


def _category_choice(category, level) -> str:
    """A category as the line form offers it: its name, whether it is mandatory, its price unit."""
    names = {"category": category_label(category), "level": label(level, "level")}
    if category.default_unit in labels.UNITS:
        return _("%(category)s (%(level)s, priced per %(unit)s)", unit=label(category.default_unit, "unit"),
                 **names)
    return _("%(category)s (%(level)s)", **names)


def _category_choices(project):
    return [(c.code, _category_choice(c, level)) for c, level in std.edition_categories(project)]


def _line_form(project) -> BomLineForm:
    form = BomLineForm(prefix="line")
    form.category.choices = choices(_category_choices(project))
    return form


def _form_field_name(service_field: str) -> str:
    if service_field.startswith("tightenings"):
        return "tightenings"
    return "unit_price" if service_field == "est_unit_price_fen" else service_field


def _save_line(form, save) -> bool:
    """Convert the form, call `save(data)`; errors go onto the form. True when saved."""
    data, errors = form.to_data()
    if errors:
        form.unit_price.errors = list(form.unit_price.errors) + [message_text(errors["unit_price"])]
        return False
    try:
        save(data)
    except ServiceError as exc:
        apply_form_errors(form, exc, lambda f, name: form_field(f, _form_field_name(name)))
        return False
    return True


@bp.route("/projects/<int:project_id>/design", methods=["GET", "POST"])
@login_required
def design(project_id):
    project = project_or_404(project_id)
    editable = policy.can_edit_bom(current_user, project)
    form = _line_form(project) if editable else None
    importer = ImportForm(prefix="import") if editable else None
    if form is not None and request.method == "POST" and form.validate_on_submit():
        if _save_line(form, lambda data: design_svc.add_line(current_user, project.id, data)):
            flash(_("Line added."), "success")
            return redirect(url_for("procurement.design", project_id=project.id))
    lines = design_svc.bill_lines(project.id)
    offers = line_offers(project, lines)  # loads every line's rules and candidate products at once
    return render_template(
        "procurement/design.html", project=project, lines=lines, offers=offers,
        rules={ln.id: effective_rules(project, ln) for ln in lines},
        levels={ln.id: std.requirement_level(project, ln.category) for ln in lines}, form=form, importer=importer,
        summary=design_svc.summary(project, lines), delete_form=ConfirmForm(prefix="del"), editable=editable,
        gates=preview_gates(current_user, project) if project.stage == DESIGN else [])


@bp.route("/projects/<int:project_id>/design/lines/<int:line_no>/edit", methods=["GET", "POST"])
@login_required
def line_edit(project_id, line_no):
    project = project_or_404(project_id)
    if not policy.can_edit_bom(current_user, project):
        abort(403)
    line = next((ln for ln in design_svc.bill_lines(project.id) if ln.line_no == line_no), None)
    if line is None:
        abort(404)
    form = _line_form(project)
    if request.method == "GET":
        form.fill_from(line)
    elif form.validate_on_submit():
        if _save_line(form, lambda data: design_svc.update_line(current_user, project.id, line_no, data)):
            flash(_("Line %(n)s saved.", n=line_no), "success")
            return redirect(url_for("procurement.design", project_id=project.id))
    return render_template("procurement/line_form.html", project=project, line=line, form=form,
                           rules=std.rules_for_line(project, line.category))


@bp.post("/projects/<int:project_id>/design/lines/<int:line_no>/delete")
@login_required
def line_delete(project_id, line_no):
    project = project_or_404(project_id)
    form = ConfirmForm(prefix="del")
    if form.validate_on_submit():
        try:
            design_svc.delete_line(current_user, project.id, line_no)
        except ServiceError as exc:
            flash_error(exc, with_fields=False)
        else:
            flash(_("Line %(n)s removed.", n=line_no), "success")
    return redirect(url_for("procurement.design", project_id=project.id))


@bp.post("/projects/<int:project_id>/design/import")
@login_required
def bom_import(project_id):
    project = project_or_404(project_id)
    form = ImportForm(prefix="import")
    if not form.validate_on_submit() or not form.file.data:
        flash(_("Choose a CSV or XLSX file to import."), "danger")
        return redirect(url_for("procurement.design", project_id=project.id))
    upload = form.file.data
    try:
        lines = import_file(current_user, project.id, upload.read(), upload.filename or "",
                            replace=bool(form.replace.data))
    except ServiceError as exc:
        flash_error(exc)
    else:
        flash(ngettext("%(num)s line imported.", "%(num)s lines imported.", len(lines)), "success")
    return redirect(url_for("procurement.design", project_id=project.id))
