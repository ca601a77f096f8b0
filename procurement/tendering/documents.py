"""Files published with a tender (tender documents, drawings, forms): stored once by SHA-256 in
the shared document store (`core.documents`: PDF/JPEG/PNG checked by content, size limited),
linked to the tender by a `TenderDocument` that keeps the title and the uploader's file name.

The centre attaches and removes files while the tender is a draft (the finance office reviews
what will be published); after publication files change only through an amendment
(`store_tender_document(..., amendment_id=...)` from the amendments use case). Each attachment is
an audit event carrying the SHA-256; the projects' records pin the tender's snapshot at each step.
"""

from __future__ import annotations

from sqlalchemy import select

from core import audit
from core.documents import safe_filename, store_document
from core.errors import Conflict, NotFound, PermissionDenied
from core.extensions import db
from core.i18n import N_, Term
from core.services import unit_of_work
from core.validation import Errors, text
from procurement.tendering import policy
from procurement.tendering.clarifications import lock_tender
from procurement.tendering.models import TenderDocument
from procurement.tendering.states import DRAFT

TITLE_MAX = 200


def document_info(link: TenderDocument) -> dict:
    doc = link.document
    return {"id": link.id, "title": link.title, "name": link.display_name, "sha256": doc.sha256, "size": doc.size,
            "content_type": doc.content_type, "amendment_id": link.amendment_id, "withdrawn": link.withdrawn}


def store_tender_document(tender, stream, filename: str, title: str, actor, *,
                          amendment_id: int | None = None) -> TenderDocument:
    """Store the file and link it to `tender` in the caller's transaction (no rule checked, no
    commit): the building block of `attach` and of amendments."""
    errors = Errors()
    title = text({"title": title}, "title", errors, max_len=TITLE_MAX)
    errors.raise_if_any(N_("The document was not attached."))
    doc = store_document(stream, filename or "", actor)
    db.session.flush()
    link = TenderDocument(tender_id=tender.id, document_id=doc.id, title=title,
                          display_name=safe_filename(filename or "", default=f"document-{doc.id}"),
                          amendment_id=amendment_id, added_by_id=getattr(actor, "id", None))
    db.session.add(link)
    db.session.flush()
    audit.record("tender.document_attach", tender, after={"document": document_info(link)}, actor=actor)
    return link


def _draft_of(actor, tender_id: int):
    tender = lock_tender(tender_id)
    if not policy.can_view_tender(actor, tender):
        raise NotFound(N_("No such tender."))
    if not policy.can_manage_tender(actor, tender):
        raise PermissionDenied(N_("Only the tender's procurement centre changes it."))
    if tender.status != DRAFT:
        raise Conflict(N_("Documents are added to a draft tender only; this one is %(status)s (after publication "
                          "use an amendment)."), status=Term(tender.status))
    return tender


def attach(actor, tender_id: int, stream, filename: str, title: str) -> TenderDocument:
    """The centre attaches a PDF/JPEG/PNG to its draft tender."""
    with unit_of_work():
        tender = _draft_of(actor, tender_id)
        link = store_tender_document(tender, stream, filename, title, actor)
    return link


def remove(actor, tender_id: int, link_id: int) -> None:
    """The centre takes a file off its draft tender (the stored file stays: others may share it)."""
    with unit_of_work():
        tender = _draft_of(actor, tender_id)
        link = db.session.get(TenderDocument, int(link_id))
        if link is None or link.tender_id != tender.id:
            raise NotFound(N_("No such document."))
        info = document_info(link)
        db.session.delete(link)
        audit.record("tender.document_remove", tender, before={"document": info}, actor=actor)


def documents_of(tender, *, include_withdrawn: bool = False) -> list[TenderDocument]:
    stmt = select(TenderDocument).where(TenderDocument.tender_id == tender.id)
    if not include_withdrawn:
        stmt = stmt.where(TenderDocument.withdrawn.is_(False))
    return list(db.session.execute(stmt.order_by(TenderDocument.id)).scalars())


def get_document(tender, link_id: int) -> TenderDocument:
    """A document of `tender` (the caller has checked that the tender is visible)."""
    link = db.session.get(TenderDocument, int(link_id))
    if link is None or link.tender_id != tender.id:
        raise NotFound(N_("No such document."))
    return link
