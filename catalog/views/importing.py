"""Supplier pages: upload a product file (imported by a background job), follow it, export products."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

from flask import Response, abort, current_app, redirect, render_template, send_file, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SubmitField

from core import roles as R
from core.extensions import db
from core.jobs import enqueue
from core.models import Job
from core.policy import roles_required

from catalog import bp, policy



class ImportForm(FlaskForm):
    file = FileField(_l("CSV or XLSX file"), validators=[FileRequired(_l("Choose a file."))],
                     description=_l("Columns as described in the import format; UTF-8 or GBK CSV, or XLSX."))
    partial = BooleanField(_l("Import the good rows even if some rows have errors"))
    submit = SubmitField(_l("Upload and import"))


def _import_dir() -> Path:
    base = current_app.config.get("IMPORT_DIR") or os.path.join(current_app.config["DOCUMENT_STORE"], "..", "imports")
    path = Path(base).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _supplier_org():
    if not policy.is_supplier(current_user):
        abort(403)
    return current_user.organisation


@bp.route("/supplier/imports/new", methods=["GET", "POST"])
@roles_required(R.SUPPLIER)
def import_upload():
    org = _supplier_org()
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        # A neutral name: the file's type is recognised from its content (core.tabular), never
        # from the name the browser sent.
        target = _import_dir() / f"{uuid.uuid4().hex}.upload"
        upload.save(str(target))
        if target.stat().st_size == 0:
            target.unlink()
            form.file.errors.append(_("The file is empty."))
        else:
            filename = os.path.basename(upload.filename or "upload")[:200]
            job = enqueue("catalog.importing.jobs:import_job", str(target), org.id, current_user.id,
                          bool(form.partial.data), filename, job_kind="catalog.import", owner=current_user)
            return redirect(url_for("catalog.import_status", job_id=job.id))
    return render_template("catalog/importing/upload.html", form=form)


@bp.get("/supplier/imports/<job_id>")
@roles_required(R.SUPPLIER)
def import_status(job_id):
    job = db.session.get(Job, job_id)
    if job is None or job.kind != "catalog.import" or job.owner_id != current_user.id:
        abort(404)
    from catalog.importing.jobs import live_progress

    live = live_progress(job.id) if job.status in ("queued", "running") else None
    done, total, phase = live if live else (job.progress, job.total, job.message or "")
    percent = 100 if job.status == "done" else (min(100, int(done * 100 / total)) if total else 0)
    return render_template("catalog/importing/status.html", job=job, done=done, total=total, phase=phase,
                           percent=percent, result=job.result or {})


@bp.get("/supplier/products/export.<fmt>")
@roles_required(R.SUPPLIER)
def export_products(fmt):
    from catalog import exporting

    org = _supplier_org()
    if fmt == "csv":
        resp = Response(stream_with_context(exporting.iter_csv(org)), mimetype="text/csv; charset=utf-8")
        resp.headers["Content-Disposition"] = "attachment; filename=products.csv"
        return resp
    if fmt == "xlsx":
        import tempfile

        tmp = tempfile.TemporaryFile()
        exporting.write_xlsx(org, tmp)
        tmp.seek(0)
        return send_file(tmp, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                         as_attachment=True, download_name="products.xlsx")
    abort(404)
