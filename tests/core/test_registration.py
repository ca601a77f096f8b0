import io
import random

from core import roles as R
from core import uscc
from core.extensions import db
from core.models import AuditEvent, Organisation, User
from tests.factories import login, make_role_user


LICENCE_PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _form(**over):
    data = {"credit_code": uscc.generate(random.Random(1)), "name_zh": "测试建材有限公司", "name_en": "Test Materials Co.",
            "address": "Nanjing", "contact_name": "Li Lei", "email": "li@firm.example", "password": "a-long-password",
            "confirm": "a-long-password"}
    data["licence"] = (io.BytesIO(LICENCE_PDF), "营业执照.pdf")
    data.update(over)
    return data


def _orgs():
    return db.session.execute(db.select(db.func.count(Organisation.id))).scalar()


def test_supplier_registers_and_waits_for_verification(client):
    resp = client.post("/register", data=_form())
    assert resp.status_code == 302
    org = db.session.execute(db.select(Organisation).filter_by(kind=R.ORG_SUPPLIER)).scalar_one()
    assert org.status == "pending"
    user = db.session.execute(db.select(User).filter_by(email="li@firm.example")).scalar_one()
    assert user.role_names == {R.SUPPLIER, R.ORG_ADMIN}  # the firm's first person administers it
    assert db.session.execute(db.select(AuditEvent).filter_by(action="supplier.register")).scalar_one().object_id == str(org.id)


def test_wrong_check_digit_gets_a_clear_message_and_writes_nothing(client):
    code = uscc.generate(random.Random(2))
    bad = code[:-1] + ("0" if code[-1] != "0" else "1")
    resp = client.post("/register", data=_form(credit_code=bad))
    assert resp.status_code == 400
    assert b"check character is wrong" in resp.data
    assert _orgs() == 0


def test_lowercase_code_message(client):
    resp = client.post("/register", data=_form(credit_code=uscc.generate(random.Random(3)).lower()))
    assert resp.status_code == 400 and b"upper-case" in resp.data


def test_second_registration_with_same_code_creates_nothing_and_reveals_nothing(client):
    code = uscc.generate(random.Random(4))
    first = client.post("/register", data=_form(credit_code=code), follow_redirects=True)
    second = client.post("/register", data=_form(credit_code=code, email="other@firm.example"), follow_redirects=True)
    assert first.status_code == second.status_code == 200
    assert b"We sent you an email" in first.data and b"We sent you an email" in second.data
    assert _orgs() == 1
    assert db.session.execute(db.select(db.func.count(User.id))).scalar() == 1


def test_reviewer_verifies_supplier(client):
    client.post("/register", data=_form())
    org = db.session.execute(db.select(Organisation).filter_by(kind=R.ORG_SUPPLIER)).scalar_one()
    reviewer = make_role_user(R.PLATFORM_REVIEWER)
    login(client, reviewer)
    assert "测试建材有限公司" in client.get("/platform/suppliers").get_data(as_text=True)
    client.post(f"/platform/suppliers/{org.id}/review", data={"approve": "1"})
    db.session.refresh(org)
    assert org.status == "verified" and org.verified_at is not None


def test_rejection_needs_a_reason(client):
    client.post("/register", data=_form())
    org = db.session.execute(db.select(Organisation).filter_by(kind=R.ORG_SUPPLIER)).scalar_one()
    login(client, make_role_user(R.PLATFORM_REVIEWER))
    resp = client.post(f"/platform/suppliers/{org.id}/review", data={"reject": "1", "note": ""}, follow_redirects=True)
    assert b"Say why" in resp.data
    db.session.refresh(org)
    assert org.status == "pending"


def test_purchaser_cannot_verify(client):
    client.post("/register", data=_form())
    org = db.session.execute(db.select(Organisation).filter_by(kind=R.ORG_SUPPLIER)).scalar_one()
    login(client, make_role_user(R.PURCHASER))
    assert client.post(f"/platform/suppliers/{org.id}/review", data={"approve": "1"}).status_code == 403
    db.session.refresh(org)
    assert org.status == "pending"


def test_user_text_is_escaped(client):
    client.post("/register", data=_form(name_zh="<script>alert(1)</script>"))
    login(client, make_role_user(R.PLATFORM_REVIEWER))
    html = client.get("/platform/suppliers").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_business_licence_is_required_and_shown_to_reviewers_only(client):
    resp = client.post("/register", data={k: v for k, v in _form().items() if k != "licence"})
    assert resp.status_code == 400 and b"business licence" in resp.data and _orgs() == 0
    assert client.post("/register", data=_form()).status_code == 302
    org = db.session.execute(db.select(Organisation).filter_by(kind=R.ORG_SUPPLIER)).scalar_one()
    assert org.licence_document.content_type == "application/pdf"
    reviewer = make_role_user(R.PLATFORM_REVIEWER)
    login(client, reviewer)
    queue = client.get("/platform/suppliers").get_data(as_text=True)
    assert f"/organisations/{org.id}/licence" in queue and "li@firm.example" in queue and "Nanjing" in queue
    download = client.get(f"/organisations/{org.id}/licence")
    assert download.status_code == 200 and download.data == LICENCE_PDF
    login(client, make_role_user(R.SUPPLIER))  # another firm
    assert client.get(f"/organisations/{org.id}/licence").status_code == 404


def test_a_licence_that_is_not_a_document_is_refused(client):
    resp = client.post("/register", data=_form(licence=(io.BytesIO(b"MZ\x90\x00 not a pdf"), "x.exe")))
    assert resp.status_code == 400 and b"PDF, JPEG or PNG" in resp.data and _orgs() == 0
