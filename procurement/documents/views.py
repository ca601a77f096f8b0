"""Attaching and downloading project documents (the list is on the project page)."""

from __future__ import annotations

from flask import abort, flash, redirect, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.documents import document_path
from core.errors import ServiceError
from core.policy import login_required
from procurement.blueprints import bp
from procurement.documents import services as document_svc
from procurement.documents.forms import DocumentForm
from procurement.web import flash_error, project_or_404


@bp.post("/projects/<int:project_id>/documents")
@login_required
def document_attach(project_id):
    project = project_or_404(project_id)
    form = DocumentForm(prefix="doc")
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
            flash_error(exc)
        else:
            flash(_("Document attached."), "success")
    return redirect(url_for("procurement.project_detail", project_id=project.id))


@bp.get("/projects/<int:project_id>/documents/<int:link_id>")
@login_required
def document_download(project_id, link_id):
    try:
        link = document_svc.get_document(current_user, project_id, link_id)
    except ServiceError:
        abort(404)
    path = document_path(link.document)
    if not path.exists():
        abort(404)
    return send_file(path, mimetype=link.document.content_type, as_attachment=True,
                     download_name=link.document.original_name or f"document-{link.id}")
