"""Documents attached to projects: stored by content hash, pinned by the record chain."""

import hashlib
import io

import pytest

from core.errors import PermissionDenied, ValidationError
from core.extensions import db
from procurement.documents.models import ProjectDocument
from procurement.documents.services import attach_document
from procurement.records.models import ProjectRecord
from tests.factories import api_token, auth_header, login
from tests.procurement.helpers import World, make_standard, new_project

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def w(app):
    make_standard()
    return World()


def test_attach_records_the_hash_and_download(client, w):
    p = new_project(w)
    link = attach_document(w.finance, p.id, io.BytesIO(PDF), "approval.pdf", kind="budget_approval",
                           title="Budget approval letter 2026-17")
    rec = db.session.execute(db.select(ProjectRecord).where(ProjectRecord.kind == "document_attached")).scalar_one()
    assert rec.payload["file"]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert rec.payload["title"] == "Budget approval letter 2026-17" and rec.actor_id == w.finance.id
    login(client, w.purchaser)
    page = client.get(f"/projects/{p.id}").get_data(as_text=True)
    assert "Budget approval letter 2026-17" in page and hashlib.sha256(PDF).hexdigest() in page
    res = client.get(f"/projects/{p.id}/documents/{link.id}")
    assert res.status_code == 200 and res.data == PDF and res.mimetype == "application/pdf"


@pytest.mark.parametrize("content,kind,title,field", [
    (b"MZ\x90\x00 not a pdf", "other", "Exe", "file"), (b"", "other", "Empty", "file"),
    (PDF, "love_letter", "X", "kind"), (PDF, "other", "", "title"), (PDF, "other", "x" * 201, "title"),
])
def test_bad_documents_refused_and_nothing_recorded(w, content, kind, title, field):
    p = new_project(w)
    with pytest.raises(ValidationError) as exc:
        attach_document(w.purchaser, p.id, io.BytesIO(content), "f.pdf", kind=kind, title=title)
    assert field in exc.value.fields
    assert db.session.execute(db.select(ProjectDocument)).first() is None
    assert [r.kind for r in db.session.execute(db.select(ProjectRecord)).scalars()] == ["project_registered"]


def test_who_may_attach(w):
    from tests.factories import make_org, make_user
    from core import roles as R

    p = new_project(w)
    admin = make_user(make_org(R.ORG_PLATFORM), roles=(R.PLATFORM_ADMIN,))
    with pytest.raises(PermissionDenied):
        attach_document(admin, p.id, io.BytesIO(PDF), "a.pdf", kind="other", title="Admin note")
    attach_document(w.inspector, p.id, io.BytesIO(PDF), "a.pdf", kind="other", title="Site photo")


def test_documents_over_the_api(client, w):
    p = new_project(w)
    h = auth_header(api_token(w.purchaser))
    res = client.post(f"/api/v1/projects/{p.id}/documents", headers=h, content_type="multipart/form-data",
                      data={"file": (io.BytesIO(PDF), "drawings.pdf"), "kind": "design_drawings", "title": "Drawings"})
    assert res.status_code == 201 and res.json["sha256"] == hashlib.sha256(PDF).hexdigest()
    res = client.post(f"/api/v1/projects/{p.id}/documents", headers=h, data={"kind": "other", "title": "x"})
    assert res.status_code == 400
    items = client.get(f"/api/v1/projects/{p.id}/documents", headers=h).json["items"]
    assert [d["title"] for d in items] == ["Drawings"]
    other = World("qingdao")
    assert client.get(f"/api/v1/projects/{p.id}/documents",
                      headers=auth_header(api_token(other.purchaser))).status_code == 404


def test_upload_form_on_project_page(client, w):
    p = new_project(w)
    login(client, w.purchaser)
    res = client.post(f"/projects/{p.id}/documents", content_type="multipart/form-data", follow_redirects=True,
                      data={"doc-kind": "design_review", "doc-title": "Review", "doc-file": (io.BytesIO(PDF), "r.pdf")})
    assert "Document attached." in res.get_data(as_text=True)
    res = client.post(f"/projects/{p.id}/documents", content_type="multipart/form-data", follow_redirects=True,
                      data={"doc-kind": "design_review", "doc-title": "Review", "doc-file": (io.BytesIO(b"hello"), "r.txt")})
    assert "Only PDF, JPEG and PNG" in res.get_data(as_text=True)
    assert db.session.execute(db.select(db.func.count(ProjectDocument.id))).scalar() == 1
