"""Check-then-change races on product and certificate statuses (issue 9, item 3).

Requests run at the same moment in threads, each with its own app context, session and
connection, on whichever database the suite runs on (SQLite here, PostgreSQL with
TEST_DATABASE_URL): every use case that moves a status applies it with one conditional UPDATE,
so exactly one request wins and the others get a 409 that changes nothing.
"""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from core.errors import Conflict
from core.models import AuditEvent, User
from tests.catalog.product_helpers import (listed_product, notice_text, notices_for, reviewer_user, supplier_user,
                                           window_data)
from catalog.models.products import Certificate, Product
from catalog.services import product_edit as edit
from catalog.services import product_lifecycle as lifecycle

# Marked `postgres` so that a PostgreSQL-only run (-m postgres) includes them; they run (and must
# pass) on SQLite too.
pytestmark = pytest.mark.postgres


def _race(app, db, calls):
    """Run each `(user_id, fn)` in its own thread, all released at once; returns the outcomes
    ("ok" or "conflict") in call order."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(i, user_id, fn):
        with app.app_context():
            try:
                user = db.session.get(User, user_id)
                barrier.wait(timeout=20)
                fn(user)
                outcomes[i] = "ok"
            except Conflict:
                outcomes[i] = "conflict"
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                outcomes[i] = f"error: {type(exc).__name__}: {exc}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, uid, fn)) for i, (uid, fn) in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    db.session.expire_all()
    return outcomes


def _audit_count(db, action):
    return db.session.execute(select(func.count(AuditEvent.id)).where(AuditEvent.action == action)).scalar_one()


def test_six_simultaneous_submits_succeed_exactly_once(catalog, db, app):
    supplier = supplier_user()
    pid = edit.create_product(supplier, window_data()).id
    outcomes = _race(app, db, [(supplier.id, lambda u: lifecycle.submit_product(u, pid))] * 6)
    assert sorted(outcomes) == ["conflict"] * 5 + ["ok"], outcomes
    assert db.session.get(Product, pid).status == "submitted"
    assert _audit_count(db, "product.submit") == 1


@pytest.mark.parametrize("rounds", [3])
def test_verify_racing_reject_one_wins_and_the_notice_matches(catalog, db, app, rounds):
    supplier, r1, r2 = supplier_user(), reviewer_user(), reviewer_user()
    for n in range(rounds):
        pid = edit.create_product(supplier, window_data(sku=f"RACE-{n}", cert_number=f"C-RACE-{n}")).id
        lifecycle.submit_product(supplier, pid)
        before = len(notices_for(supplier.organisation_id))
        outcomes = _race(app, db, [(r1.id, lambda u: lifecycle.verify_product(u, pid)),
                                   (r2.id, lambda u: lifecycle.reject_product(u, pid, "Blurred certificate scan"))])
        assert sorted(outcomes) == ["conflict", "ok"], outcomes
        final = db.session.get(Product, pid).status
        assert final == ("verified" if outcomes[0] == "ok" else "rejected")
        new = notices_for(supplier.organisation_id)[before:]
        kinds = {n.kind for n in new}
        assert kinds == {f"product_{final}"}, (final, kinds)
        assert all(final in notice_text(n) for n in new)
        assert _audit_count(db, "product.verify") + _audit_count(db, "product.reject") == n + 1


def test_racing_certificate_decisions_one_wins(catalog, db, app):
    """Two reviewers record different decisions on the same certificate at once: one is
    recorded, the other is refused (it decided on a status that no longer holds)."""
    supplier, r1, r2 = supplier_user(), reviewer_user(), reviewer_user()
    product = listed_product(supplier, reviewer_user())
    second = dict(window_data()["certificate"], number="CGBM-2024-0002")
    cid = edit.add_certificate(supplier, product.id, second).id  # the first one stays valid
    outcomes = _race(app, db, [(r1.id, lambda u: lifecycle.set_certificate_status(u, cid, "revoked")),
                               (r2.id, lambda u: lifecycle.set_certificate_status(u, cid, "suspended"))])
    assert sorted(outcomes) == ["conflict", "ok"], outcomes
    cert = db.session.get(Certificate, cid)
    assert cert.status == ("revoked" if outcomes[0] == "ok" else "suspended")
    assert _audit_count(db, "certificate.status") == 1


def test_certificate_decision_on_a_lapsing_product_suspends_once(catalog, db, app):
    supplier, r1, r2 = supplier_user(), reviewer_user(), reviewer_user()
    product = listed_product(supplier, reviewer_user())
    cid = product.certificates[0].id
    outcomes = _race(app, db, [(r1.id, lambda u: lifecycle.set_certificate_status(u, cid, "revoked")),
                               (r2.id, lambda u: lifecycle.set_certificate_status(u, cid, "suspended"))])
    assert sorted(outcomes) == ["conflict", "ok"], outcomes
    assert db.session.get(Product, product.id).status == "suspended"
    assert _audit_count(db, "certificate.status") == 1
    assert [n.kind for n in notices_for(supplier.organisation_id)].count("product_suspended") == 1


def test_supplier_edit_racing_verification_leaves_a_consistent_product(catalog, db, app):
    """A supplier changes an indicator (reopen) while a reviewer verifies: either the reviewer
    verified what was submitted and the change reopened it afterwards, or the change came first
    and the verification is refused; never `verified` with unreviewed values."""
    supplier, reviewer = supplier_user(), reviewer_user()
    pid = edit.create_product(supplier, window_data()).id
    lifecycle.submit_product(supplier, pid)
    changed = window_data()["indicators"] | {"shgc": 0.3}
    outcomes = _race(app, db, [(reviewer.id, lambda u: lifecycle.verify_product(u, pid)),
                               (supplier.id, lambda u: edit.update_product(u, pid, {"indicators": changed}))])
    product = db.session.get(Product, pid)
    assert "ok" in outcomes
    shgc = next(iv.value for iv in product.indicator_values if iv.key == "shgc")
    if product.status == "verified":
        assert shgc == 0.35 and outcomes[1] == "conflict"
    else:
        assert product.status == "draft"


def test_a_decision_from_a_stale_page_is_refused(catalog, db, client):
    """The reviewer's page showed `valid`; meanwhile another reviewer suspended the certificate.
    Recording "revoked" from the stale page is refused (409 flash), nothing changes."""
    from tests.factories import login_as

    supplier, r1, r2 = supplier_user(), reviewer_user(), reviewer_user()
    product = listed_product(supplier, r1)
    second = dict(window_data()["certificate"], number="CGBM-2024-0002")
    cid = edit.add_certificate(supplier, product.id, second).id
    lifecycle.set_certificate_status(r2, cid, "suspended")
    login_as(client, r1)
    resp = client.post(f"/review/certificates/{cid}/status", data={"status": "revoked", "expected": "valid"},
                       follow_redirects=True)
    assert "changed meanwhile" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Certificate, cid).status == "suspended"
