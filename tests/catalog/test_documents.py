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
    doc = edit.attach_document(supplier, p.id, io.BytesIO(content), "misleading-name.txt", "certificate").document
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
        ok = edit.attach_document(supplier, p.id, io.BytesIO(PDF), "small.pdf").document
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
    first = edit.attach_document(supplier, p.id, io.BytesIO(PDF), "a.pdf", "certificate").document
    mtime = os.stat(document_path(first)).st_mtime_ns
    second = edit.attach_document(other_supplier, q.id, io.BytesIO(PDF), "b.pdf", "test_report").document
    again = edit.attach_document(supplier, p.id, io.BytesIO(PDF), "a-again.pdf", "certificate").document
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
    assert other.get(url).status_code == 404
    login(other, supplier_user())
    assert other.get(url).status_code == 404  # another supplier does not learn the draft exists
    login(other, reviewer_user())
    assert other.get(url).status_code == 200


# --------------------------------------------------------------------------- issue 9, item 8


def test_identical_uploads_keep_each_uploaders_own_name(product, client, db):
    """Two suppliers upload the same bytes: one stored file, but each product shows (and
    downloads under) the name its own supplier gave, never the other's."""
    from catalog.services import product_lifecycle as lifecycle

    supplier, p = product
    rival = supplier_user()
    q = edit.create_product(rival, window_data(sku="RIVAL"))
    edit.attach_document(supplier, p.id, io.BytesIO(PDF), "Haiwan confidential tender 2026.pdf", "certificate")
    link = edit.attach_document(rival, q.id, io.BytesIO(PDF), "rival-cert.pdf", "certificate")
    assert link.name == "rival-cert.pdf"
    reviewer = reviewer_user()
    lifecycle.submit_product(rival, q.id)
    lifecycle.verify_product(reviewer, q.id)
    lifecycle.list_product(rival, q.id)
    page = client.get(f"/products/{q.id}").get_data(as_text=True)
    assert "rival-cert.pdf" in page and "Haiwan confidential" not in page
    got = client.get(f"/products/{q.id}/documents/{link.document_id}")
    assert got.status_code == 200 and "rival-cert.pdf" in got.headers["Content-Disposition"]
    login(client, rival)
    api = client.get(f"/api/v1/products/{q.id}").get_json()
    assert [d["original_name"] for d in api["documents"]] == ["rival-cert.pdf"]


@pytest.mark.parametrize("given,shown", [("../../etc/passwd.pdf", "passwd.pdf"), ("..\\..\\boot.pdf", "boot.pdf"),
                                         ("..", "document"), (".hidden.pdf", "hidden.pdf"),
                                         ("a\x00b\r\n.pdf", "a_b__.pdf")])
def test_download_names_are_sanitised(product, client, db, given, shown):
    supplier, p = product
    link = edit.attach_document(supplier, p.id, io.BytesIO(PDF), given, "other")
    assert link.name == shown
    login(client, supplier)
    got = client.get(f"/products/{p.id}/documents/{link.document_id}")
    disposition = got.headers["Content-Disposition"]
    assert got.status_code == 200 and ".." not in disposition and "/" not in disposition and "\\" not in disposition


def test_a_stored_name_with_a_path_is_sanitised_on_download(product, client, db):
    """Rows written before names were sanitised are cleaned when offered for download."""
    from catalog.models.products import ProductDocument

    supplier, p = product
    link = edit.attach_document(supplier, p.id, io.BytesIO(PDF), "ok.pdf", "other")
    db.session.execute(db.update(ProductDocument).values(display_name="../../x.pdf"))
    db.session.commit()
    login(client, supplier)
    got = client.get(f"/products/{p.id}/documents/{link.document_id}")
    assert 'filename=x.pdf' in got.headers["Content-Disposition"]


def test_unverified_supplier_has_an_upload_quota(catalog, app, db):
    from core.documents import Document

    supplier = supplier_user(status="pending")
    p = edit.create_product(supplier, window_data())
    old = (app.config["UNVERIFIED_SUPPLIER_UPLOAD_DOCUMENTS"], app.config["UNVERIFIED_SUPPLIER_UPLOAD_BYTES"])
    app.config["UNVERIFIED_SUPPLIER_UPLOAD_DOCUMENTS"], app.config["UNVERIFIED_SUPPLIER_UPLOAD_BYTES"] = 2, 300
    try:
        edit.attach_document(supplier, p.id, io.BytesIO(PDF + b"1" * 100), "one.pdf")
        with pytest.raises(ValidationError) as err:  # 150 + 250 bytes > 300
            edit.attach_document(supplier, p.id, io.BytesIO(PDF + b"2" * 200), "two.pdf")
        assert "at most 2 documents" in err.value.message and "verif" in field_text(err.value, "file")
        edit.attach_document(supplier, p.id, io.BytesIO(PDF + b"3"), "three.pdf")
        with pytest.raises(ValidationError) as err:  # the third document
            edit.attach_document(supplier, p.id, io.BytesIO(PNG), "four.png")
        assert "at most 2 documents" in err.value.message
        assert db.session.execute(select(func.count(Document.id))).scalar_one() == 2
        # A verified firm is not capped.
        supplier.organisation.status = "verified"
        db.session.commit()
        edit.attach_document(supplier, p.id, io.BytesIO(PNG), "four.png")
    finally:
        app.config["UNVERIFIED_SUPPLIER_UPLOAD_DOCUMENTS"], app.config["UNVERIFIED_SUPPLIER_UPLOAD_BYTES"] = old
    leftovers = [n for n in os.listdir(app.config["DOCUMENT_STORE"]) if n.startswith(".upload-")]
    assert leftovers == []


def test_quota_error_is_shown_on_the_upload_form(catalog, app, client):
    supplier = supplier_user(status="pending")
    p = edit.create_product(supplier, window_data())
    old = app.config["UNVERIFIED_SUPPLIER_UPLOAD_DOCUMENTS"]
    app.config["UNVERIFIED_SUPPLIER_UPLOAD_DOCUMENTS"] = 0
    try:
        login(client, supplier)
        resp = client.post(f"/supplier/products/{p.id}/documents",
                           data={"file": (io.BytesIO(PDF), "scan.pdf"), "kind": "certificate"},
                           content_type="multipart/form-data")
    finally:
        app.config["UNVERIFIED_SUPPLIER_UPLOAD_DOCUMENTS"] = old
    assert resp.status_code == 400
    assert "Until the platform verifies your organisation" in resp.get_data(as_text=True)


# --------------------------------------------------------------------------- issue 9, item 7


@pytest.mark.parametrize("status", ["submitted", "verified", "listed", "suspended"])
def test_new_evidence_on_a_reviewed_product_sends_it_back_to_review(catalog, client, db, status):
    """Evidence swap: a document attached to a reviewed product reopens it (draft): it leaves
    the public catalogue until a reviewer has seen the new evidence."""
    from catalog.models.products import Product
    from catalog.services import product_lifecycle as lifecycle

    supplier, reviewer = supplier_user(), reviewer_user()
    p = edit.create_product(supplier, window_data())
    lifecycle.submit_product(supplier, p.id)
    if status != "submitted":
        lifecycle.verify_product(reviewer, p.id)
    if status in ("listed", "suspended"):
        lifecycle.list_product(supplier, p.id)
    if status == "suspended":
        lifecycle.suspend_product(reviewer, p.id, "Complaint")
    link = edit.attach_document(supplier, p.id, io.BytesIO(PDF), "new-certificate.pdf", "certificate")
    db.session.expire_all()
    product = db.session.get(Product, p.id)
    assert product.status == "draft" and product.suspension_kind is None
    assert client.get(f"/products/{p.id}").status_code == 404
    assert client.get(f"/products/{p.id}/documents/{link.document_id}").status_code == 404
    # Back through review, then public again with the new evidence.
    lifecycle.submit_product(supplier, p.id)
    lifecycle.verify_product(reviewer, p.id)
    lifecycle.list_product(supplier, p.id)
    assert "new-certificate.pdf" in client.get(f"/products/{p.id}").get_data(as_text=True)


def test_re_uploading_the_same_evidence_changes_nothing(catalog, db):
    from tests.catalog.product_helpers import listed_product

    supplier, reviewer = supplier_user(), reviewer_user()
    p = listed_product(supplier, reviewer)
    edit.attach_document(supplier, p.id, io.BytesIO(PDF), "c.pdf", "certificate")
    edit.update_product(supplier, p.id, {})  # nothing
    from catalog.services import product_lifecycle as lifecycle

    lifecycle.submit_product(supplier, p.id)
    lifecycle.verify_product(reviewer, p.id)
    lifecycle.list_product(supplier, p.id)
    edit.attach_document(supplier, p.id, io.BytesIO(PDF), "c.pdf", "certificate")
    db.session.expire_all()
    assert db.session.get(type(p), p.id).status == "listed"


def test_bad_evidence_ids_are_a_field_error(product):
    supplier, p = product
    with pytest.raises(ValidationError) as err:
        edit.attach_document(supplier, p.id, io.BytesIO(PDF), "c.pdf", "certificate", certificate_id="x")
    assert "certificate_id" in err.value.fields


@pytest.mark.parametrize("url", ["/products/2147483648", "/products/9223372036854775807",
                                 "/products/1/documents/2147483648", "/api/v1/products/2147483648",
                                 "/api/v1/products/9223372036854775807/compliance?city=nanjing"])
def test_ids_past_the_integer_range_are_404(catalog, client, url):
    """`products.id` is a 32-bit INTEGER on PostgreSQL: a larger id is no row, not a 500."""
    assert client.get(url).status_code == 404


def test_certificate_ids_past_the_integer_range_are_404(catalog, client):
    from tests.factories import login_as

    login_as(client, reviewer_user())
    assert client.post("/review/certificates/2147483648/status", data={"status": "revoked"}).status_code == 404
