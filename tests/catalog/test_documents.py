"""Document uploads: type by content, size cap, storage by hash, dedup, never overwritten."""
from __future__ import annotations

import io
import os

import pytest
from sqlalchemy import func, select

from core.errors import ValidationError
from tests.catalog.product_helpers import field_text, reviewer_user, supplier_user, window_data
from tests.factories import login
from catalog.services import product_edit as edit

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + b"\x00" * 64


@pytest.fixture
def product(catalog):
    supplier = supplier_user()
    return supplier, edit.create_product(supplier, window_data())


@pytest.mark.parametrize("content,expected", [(PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg")])
def test_accepted_types_are_detected_by_content_not_name(product, content, expected, app):
    from core.documents import document_path

    supplier, p = product
    doc = edit.attach_document(supplier, p.id, io.BytesIO(content), "misleading-name.txt", "certificate")
    assert doc.content_type == expected
    path = document_path(doc)
    assert path.read_bytes() == content
    assert path.parent.name == doc.sha256[:2] and path.name == doc.sha256
    assert str(path).startswith(app.config["DOCUMENT_STORE"])


@pytest.mark.parametrize("content", [b"MZ\x90\x00 an exe", b"<html><script>alert(1)</script>", b"GIF89a....", b"%PD"])
def test_other_content_is_refused_even_with_a_pdf_name(product, db, content):
    from core.documents import Document

    supplier, p = product
    with pytest.raises(ValidationError) as err:
        edit.attach_document(supplier, p.id, io.BytesIO(content), "certificate.pdf", "certificate")
    assert "PDF, JPEG or PNG" in field_text(err.value, "file")
    assert db.session.execute(select(func.count(Document.id))).scalar_one() == 0


def test_empty_file_is_refused(product):
    supplier, p = product
    with pytest.raises(ValidationError) as err:
        edit.attach_document(supplier, p.id, io.BytesIO(b""), "empty.pdf")
    assert "empty" in field_text(err.value, "file")


def test_size_cap_from_config(product, app, db):
    from core.documents import Document

    supplier, p = product
    old = app.config["MAX_DOCUMENT_BYTES"]
    app.config["MAX_DOCUMENT_BYTES"] = 1000
    try:
        with pytest.raises(ValidationError) as err:
            edit.attach_document(supplier, p.id, io.BytesIO(PDF + b"0" * 1000), "big.pdf")
        assert "too large" in field_text(err.value, "file")
        ok = edit.attach_document(supplier, p.id, io.BytesIO(PDF), "small.pdf")
        assert ok.size == len(PDF)
    finally:
        app.config["MAX_DOCUMENT_BYTES"] = old
    assert db.session.execute(select(func.count(Document.id))).scalar_one() == 1
    leftovers = [n for n in os.listdir(app.config["DOCUMENT_STORE"]) if n.startswith(".upload-")]
    assert leftovers == []


def test_same_content_is_stored_once_and_linked_to_both_products(product, db, app):
    from catalog.models.products import ProductDocument
    from core.documents import Document
    from core.documents import document_path

    supplier, p = product
    other_supplier = supplier_user()
    q = edit.create_product(other_supplier, window_data(sku="OTHER"))
    first = edit.attach_document(supplier, p.id, io.BytesIO(PDF), "a.pdf", "certificate")
    mtime = os.stat(document_path(first)).st_mtime_ns
    second = edit.attach_document(other_supplier, q.id, io.BytesIO(PDF), "b.pdf", "test_report")
    again = edit.attach_document(supplier, p.id, io.BytesIO(PDF), "a-again.pdf", "certificate")
    assert first.id == second.id == again.id
    assert db.session.execute(select(func.count(Document.id))).scalar_one() == 1
    assert db.session.execute(select(func.count(ProductDocument.id))).scalar_one() == 2
    assert os.stat(document_path(first)).st_mtime_ns == mtime  # never rewritten
    assert first.original_name == "a.pdf"


def test_only_the_owner_may_attach(product):
    from core.errors import PermissionDenied

    _supplier, p = product
    with pytest.raises(PermissionDenied):
        edit.attach_document(supplier_user(), p.id, io.BytesIO(PDF), "x.pdf")


def test_upload_through_the_editor_and_download_permissions(product, client, db):
    supplier, p = product
    login(client, supplier)
    resp = client.post(f"/supplier/products/{p.id}/documents",
                       data={"file": (io.BytesIO(PNG), "scan.png"), "kind": "certificate"},
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    bad = client.post(f"/supplier/products/{p.id}/documents",
                      data={"file": (io.BytesIO(b"not an image"), "scan.png"), "kind": "certificate"},
                      content_type="multipart/form-data")
    assert bad.status_code == 400
    assert "Not a PDF, JPEG or PNG" in bad.get_data(as_text=True)
    from catalog.models.products import ProductDocument

    link = db.session.execute(select(ProductDocument)).scalar_one()
    url = f"/products/{p.id}/documents/{link.document_id}"
    got = client.get(url)
    assert got.status_code == 200 and got.data == PNG and got.mimetype == "image/png"
    # A draft's documents are not public.
    client.post("/logout")
    other = client.application.test_client()
    assert other.get(url).status_code in (403, 404)
    login(other, supplier_user())
    assert other.get(url).status_code == 403
    login(other, reviewer_user())
    assert other.get(url).status_code == 200
