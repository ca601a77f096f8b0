"""Automatic suspension when a certificate expires or is revoked: daily job, check on read, notices."""
from __future__ import annotations

import datetime as dt

from core.timeutil import today_cn
import pytest
from sqlalchemy import func, select

from core.errors import PermissionDenied, ValidationError
from core.models import AuditEvent
from tests.catalog.product_helpers import (listed_product, notice_text, notices_for, reviewer_user, supplier_user,
                                           window_data)
from tests.factories import login
from catalog.services import product_edit as edit
from catalog.services import product_expiry as expiry
from catalog.services import product_lifecycle as lifecycle
from catalog.services import product_queries as queries


def _fresh(db, product):
    db.session.expire_all()
    return db.session.get(type(product), product.id)


def _notices(db, org_id):
    """The notices about expiry and suspension (not the "verified" one every listed product got)."""
    return [n for n in notices_for(org_id) if n.kind != "product_verified"]


def test_job_suspends_listed_products_with_expired_certificates_and_notifies(catalog, db):
    supplier, reviewer = supplier_user(), reviewer_user()
    soon = listed_product(supplier, reviewer, sku="SOON", cert_number="C-SOON", expires_in_days=10)
    later = listed_product(supplier, reviewer, sku="LATER", cert_number="C-LATER", expires_in_days=400)
    today = today_cn()
    assert expiry.suspend_expired_products(today) == 0
    assert expiry.suspend_expired_products(today + dt.timedelta(days=11)) == 1
    soon, later = _fresh(db, soon), _fresh(db, later)
    assert soon.status == "suspended" and soon.suspension_kind == "certificate"
    assert "C-SOON" in soon.suspended_reason
    assert soon.certificates[0].status == "expired"
    assert later.status == "listed"
    notices = _notices(db, supplier.organisation_id)
    assert len(notices) == 1 and notices[0].kind == "product_suspended" and "SOON" in notice_text(notices[0])
    assert db.session.execute(select(func.count(AuditEvent.id))
                              .where(AuditEvent.action == "product.auto_suspend")).scalar_one() == 1
    # Running the job again the same day changes nothing and sends no second notice.
    assert expiry.suspend_expired_products(today + dt.timedelta(days=11)) == 0
    assert len(_notices(db, supplier.organisation_id)) == 1


def test_product_with_a_second_valid_certificate_stays_listed(catalog, db):
    supplier, reviewer = supplier_user(), reviewer_user()
    product = listed_product(supplier, reviewer, cert_number="C-OLD", expires_in_days=5)
    # A renewal (new number) is added on a listed product: that is a change the reviewer must see.
    edit.add_certificate(supplier, product.id, {"number": "C-NEW", "body": "CTC", "star_grade": 3,
                                               "issued_on": today_cn().isoformat(),
                                               "expires_on": (today_cn() + dt.timedelta(days=1800)).isoformat()})
    product = _fresh(db, product)
    assert product.status == "draft"
    lifecycle.submit_product(supplier, product.id)
    lifecycle.verify_product(reviewer, product.id)
    lifecycle.list_product(supplier, product.id)
    assert expiry.suspend_expired_products(today_cn() + dt.timedelta(days=30)) == 0
    assert _fresh(db, product).status == "listed"


def test_check_on_read_shows_and_persists_suspension(catalog, db, client):
    supplier, reviewer = supplier_user(), reviewer_user()
    product = listed_product(supplier, reviewer, expires_in_days=3)
    later = today_cn() + dt.timedelta(days=4)
    # Before anything runs, the displayed status already counts the lapse.
    assert expiry.effective_status(product, later) == "suspended"
    assert expiry.effective_status(product, today_cn()) == "listed"
    expiry.enforce_expiry_on_read(product, later)
    product = _fresh(db, product)
    assert product.status == "suspended"
    assert len(_notices(db, supplier.organisation_id)) == 1
    expiry.enforce_expiry_on_read(product, later)  # second read: no second notice
    assert len(_notices(db, supplier.organisation_id)) == 1


def test_public_page_read_suspends_expired_listed_product(catalog, db, client):
    from catalog.models.products import Certificate

    supplier, reviewer = supplier_user(), reviewer_user()
    product = listed_product(supplier, reviewer, expires_in_days=30)
    # Simulate time passing: the certificate's dates move into the past.
    cert = db.session.execute(select(Certificate).filter_by(product_id=product.id)).scalar_one()
    cert.issued_on = today_cn() - dt.timedelta(days=2000)
    cert.expires_on = today_cn() - dt.timedelta(days=1)
    db.session.commit()
    resp = client.get(f"/products/{product.id}")
    assert resp.status_code == 200
    assert b"suspended" in resp.data.lower()
    assert _fresh(db, product).status == "suspended"
    assert len(_notices(db, supplier.organisation_id)) == 1


def test_revoked_certificate_suspends_product_and_only_reviewer_may_record_it(catalog, db):
    supplier, reviewer = supplier_user(), reviewer_user()
    product = listed_product(supplier, reviewer)
    cert_id = product.certificates[0].id
    with pytest.raises(PermissionDenied):
        lifecycle.set_certificate_status(supplier, cert_id, "revoked")
    lifecycle.set_certificate_status(reviewer, cert_id, "revoked")
    product = _fresh(db, product)
    assert product.status == "suspended" and "revoked" in product.suspended_reason
    assert product.certificates[0].changed_on == today_cn()
    assert [n.kind for n in _notices(db, supplier.organisation_id)] == ["product_suspended"]
    # Reinstating without a valid certificate is refused.
    with pytest.raises(ValidationError):
        lifecycle.reinstate_product(supplier, product.id)
    lifecycle.set_certificate_status(reviewer, cert_id, "valid")
    assert lifecycle.reinstate_product(supplier, product.id).status == "listed"


def test_reviewer_suspension_needs_reviewer_to_reinstate(catalog, db):
    supplier, reviewer = supplier_user(), reviewer_user()
    product = listed_product(supplier, reviewer)
    lifecycle.suspend_product(reviewer, product.id, "Complaint under investigation")
    with pytest.raises(PermissionDenied):
        lifecycle.reinstate_product(supplier, product.id)
    assert lifecycle.reinstate_product(reviewer, product.id).status == "listed"


def test_cli_expire_command(catalog, db, app):
    supplier, reviewer = supplier_user(), reviewer_user()
    listed_product(supplier, reviewer, expires_in_days=1)
    runner = app.test_cli_runner()
    day = (today_cn() + dt.timedelta(days=2)).isoformat()
    result = runner.invoke(args=["catalog", "expire", "--today", day])
    assert result.exit_code == 0, result.output
    assert "1 product suspended, 0 expiring certificates warned about" in result.output
    bad = runner.invoke(args=["catalog", "expire", "--today", "31/12/2026"])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output


def test_suspended_status_shown_on_supplier_dashboard_notice(catalog, db, client):
    supplier, reviewer = supplier_user(), reviewer_user()
    listed_product(supplier, reviewer, sku="DASH-1", expires_in_days=1)
    expiry.suspend_expired_products(today_cn() + dt.timedelta(days=5))
    login(client, supplier)
    page = client.get("/notifications")
    assert page.status_code == 200
    assert "DASH-1" in page.get_data(as_text=True)


def test_public_api_list_leaves_out_lapsed_products(catalog, db, client):
    from catalog.models.products import Certificate

    supplier, reviewer = supplier_user(), reviewer_user()
    keep = listed_product(supplier, reviewer, sku="KEEP", cert_number="C-KEEP")
    lapse = listed_product(supplier, reviewer, sku="LAPSE", cert_number="C-LAPSE")
    cert = db.session.execute(select(Certificate).filter_by(number="C-LAPSE")).scalar_one()
    cert.issued_on, cert.expires_on = dt.date(2019, 1, 1), today_cn() - dt.timedelta(days=1)
    db.session.commit()
    ids = [p["id"] for p in client.get("/api/v1/products").get_json()["items"]]
    assert ids == [keep.id]
    items, total = queries.public_products()
    assert total == 1 and items[0].id == keep.id
    # Reading it directly shows (and records) the suspension.
    assert client.get(f"/api/v1/products/{lapse.id}").get_json()["status"] == "suspended"


def test_new_standard_version_and_refresh_verdicts_command(catalog, db, app):
    from catalog.services.standard_versions import create_new_version

    supplier = supplier_user()
    product = edit.create_product(supplier, window_data(u_value=3.2))
    pid = product.id
    assert {v.city.code: v.verdict for v in _fresh(db, product).verdicts}["nanjing"] == "pass"
    create_new_version("2025", today_cn(), rule_changes=[{
        "category": "windows_doors", "key": "u_value", "climate_zone": "hscw_a", "comparison": "<=", "limit": 3.0,
        "unit": "W/(m2.K)", "kind": "green", "name_en": "Thermal transmittance U"}], note="stricter U")
    result = app.test_cli_runner().invoke(args=["catalog", "refresh-verdicts", "--category", "windows_doors"])
    assert result.exit_code == 0, result.output
    assert "1 product evaluated" in result.output
    db.session.expire_all()
    from catalog.models.products import Product

    verdicts = {v.city.code: v for v in db.session.get(Product, pid).verdicts}
    assert verdicts["nanjing"].verdict == "fail"
    assert verdicts["foshan"].verdict == "pass"
    bad = app.test_cli_runner().invoke(args=["catalog", "refresh-verdicts", "--category", "nope"])
    assert bad.exit_code != 0 and "no category" in bad.output


@pytest.mark.postgres
def test_concurrent_reads_suspend_once_with_one_notice(catalog, db, app):
    """Two requests find the same lapsed product at once: one suspension, one notice, one audit event."""
    import threading

    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locking is proven on PostgreSQL")
    from catalog.models.products import Product

    supplier, reviewer = supplier_user(), reviewer_user()
    pid = listed_product(supplier, reviewer, expires_in_days=1).id
    later = today_cn() + dt.timedelta(days=3)
    barrier = threading.Barrier(2)
    errors = []

    def read():
        try:
            with app.app_context():
                product = db.session.get(Product, pid)
                assert product.status == "listed" and len(product.certificates) == 1
                barrier.wait(timeout=10)
                expiry.enforce_expiry_on_read(product, later)
                db.session.remove()
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    db.session.expire_all()
    assert db.session.get(Product, pid).status == "suspended"
    assert len(_notices(db, supplier.organisation_id)) == 1
    assert db.session.execute(select(func.count(AuditEvent.id))
                              .where(AuditEvent.action == "product.auto_suspend")).scalar_one() == 1
    assert db.session.execute(select(func.count(AuditEvent.id))
                              .where(AuditEvent.action == "certificate.expire")).scalar_one() == 1


# --------------------------------------------------------------------------- issue 9, item 23


def test_expiring_certificate_is_warned_about_once(catalog, db, app):
    """30 days before a listed product's certificate expires its supplier's people are told, in
    the app and by e-mail, each in their own language; the daily job sends it once."""
    from flask_babel import force_locale

    from core.i18n import render_payload
    from core.models import MailMessage
    from tests.factories import make_user

    supplier, reviewer = supplier_user(), reviewer_user()
    colleague = make_user(supplier.organisation, roles=("supplier",), locale="zh_Hans")
    listed_product(supplier, reviewer, sku="SOON", cert_number="C-SOON", expires_in_days=40)
    listed_product(supplier, reviewer, sku="LATER", cert_number="C-LATER", expires_in_days=400)
    today = today_cn()
    assert expiry.warn_expiring_certificates(today) == 0  # 40 days left
    before = len(_notices(db, supplier.organisation_id))
    day = today + dt.timedelta(days=11)
    assert expiry.run_daily(day) == (0, 1)
    assert expiry.run_daily(day) == (0, 0)  # idempotent
    assert expiry.warn_expiring_certificates(day + dt.timedelta(days=1)) == 0
    new = _notices(db, supplier.organisation_id)[before:]
    assert sorted(n.kind for n in new) == ["certificate_expiring"] * 2  # both people
    with force_locale("en"):
        assert "C-SOON" in render_payload(new[0].message) and "SOON" in render_payload(new[0].message)
    mails = db.session.execute(select(MailMessage).where(MailMessage.kind == "certificate_expiring")).scalars().all()
    assert sorted(m.to_address for m in mails) == sorted([supplier.email, colleague.email])
    zh = next(m for m in mails if m.to_address == colleague.email)
    assert "证书" in zh.subject and "C-SOON" in zh.body


def test_a_renewed_expiry_date_is_warned_about_again(catalog, db):
    from catalog.models.products import Certificate

    supplier, reviewer = supplier_user(), reviewer_user()
    listed_product(supplier, reviewer, sku="RENEW", cert_number="C-RENEW", expires_in_days=10)
    today = today_cn()
    assert expiry.warn_expiring_certificates(today) == 1
    cert = db.session.execute(select(Certificate).filter_by(number="C-RENEW")).scalar_one()
    cert.expires_on = today + dt.timedelta(days=20)  # (a reviewer corrected the date)
    db.session.commit()
    assert expiry.warn_expiring_certificates(today) == 1
    assert expiry.warn_expiring_certificates(today) == 0


def test_concurrent_daily_jobs_warn_once(catalog, db, app):
    import threading

    supplier, reviewer = supplier_user(), reviewer_user()
    for n in range(3):
        listed_product(supplier, reviewer, sku=f"CC-{n}", cert_number=f"C-CC-{n}", expires_in_days=5)
    counts, barrier = [], threading.Barrier(2)

    def run():
        with app.app_context():
            barrier.wait(timeout=10)
            try:
                counts.append(expiry.warn_expiring_certificates(today_cn()))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sum(counts) == 3
    assert [n.kind for n in _notices(db, supplier.organisation_id)].count("certificate_expiring") == 3
