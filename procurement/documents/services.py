"""Documents attached to a project (approval letters, drawings, design review reports, ...).

Files go to the shared content-addressed document store (`core.documents`: type checked by
content, size limited); the attaching record carries the file's SHA-256, so the record chain pins
the content.
"""

from __future__ import annotations

from core.documents import store_document
from core.errors import NotFound, PermissionDenied
from core.extensions import db
from core.i18n import N_
from core.services import unit_of_work
from core.validation import Errors, choice, text
from procurement.documents import policy
from procurement.documents.models import DOCUMENT_KINDS, ProjectDocument
from procurement.projects.services import get_project
from procurement.records.services import append_record, lock_visible_project


def attach_document(actor, project_id, stream, filename: str, *, kind: str, title: str) -> ProjectDocument:
    """Store an uploaded PDF/JPEG/PNG and attach it to the project, on the record."""
    errors = Errors()
    kind = choice({"kind": kind}, "kind", errors, DOCUMENT_KINDS)
    title = text({"title": title}, "title", errors, max_len=200)
    errors.raise_if_any(N_("The document was not attached."))
    with unit_of_work():
        project = lock_visible_project(actor, project_id)
        if not policy.can_attach_document(actor, project):
            raise PermissionDenied("You cannot attach documents to this project.")
        doc = store_document(stream, filename or "", actor)
        db.session.flush()
        link = ProjectDocument(project_id=project.id, document_id=doc.id, kind=kind, title=title,
                               stage=project.stage, uploaded_by_id=actor.id)
        db.session.add(link)
        db.session.flush()
        info = {"link_id": link.id, "kind": kind, "title": title, "file": {
            "name": doc.original_name, "sha256": doc.sha256, "size": doc.size, "content_type": doc.content_type}}
        append_record(project, "document_attached", info, actor=actor, action="project.document_attach", after=info)
    return link


def project_documents(project) -> list[ProjectDocument]:
    return list(db.session.execute(db.select(ProjectDocument).where(ProjectDocument.project_id == project.id)
                                   .order_by(ProjectDocument.id)).scalars())


def get_document(actor, project_id, link_id) -> ProjectDocument:
    """A project's document if ``actor`` may see the project; NotFound otherwise."""
    project = get_project(actor, project_id)
    try:
        lid = int(link_id)
    except (TypeError, ValueError):
        raise NotFound("No such document.") from None
    link = db.session.get(ProjectDocument, lid)
    if link is None or link.project_id != project.id:
        raise NotFound("No such document.")
    return link
