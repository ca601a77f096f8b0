"""Organisation administrators and their people, password reset by e-mail, registration that
reveals nothing, the notification centre, and the SMTP outbox against a real SMTP server."""
from __future__ import annotations

import re
import socket
from datetime import timedelta

import pytest

from core import roles as R
from core.extensions import db
from core.mail import MAX_ATTEMPTS, send_pending
from core.models import AccountToken, MailMessage, Notification, Organisation, User, UserSession
from core.timeutil import utcnow
from tests.factories import PASSWORD, login_as, make_org, make_user


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(app):
    """A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""
    from aiosmtpd.controller import Controller

    received = []

    class Keep:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return "250 OK"

    controller = Controller(Keep(), hostname="127.0.0.1", port=_free_port())
    controller.start()
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{controller.port}"
    yield received
    controller.stop()
    app.config["MAIL_URL"] = None


def _admin(kind=R.ORG_SUPPLIER):
    org = make_org(kind=kind)
    job_role = next(iter(R.ROLES_BY_ORG_KIND[kind] - {R.ORG_ADMIN, R.PLATFORM_REVIEWER}))
    return make_user(org, roles=(job_role, R.ORG_ADMIN))


def _link(mail: MailMessage) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", mail.body).group(1)


def _mail_to(address) -> list[MailMessage]:
    return db.session.execute(db.select(MailMessage).filter_by(to_address=address)).scalars().all()


def test_an_admin_invites_a_colleague_who_sets_a_password_and_signs_in(client, app):
    admin = _admin()
    login_as(client, admin)
    response = client.post("/organisation/people/invite", data={"email": "Colleague@Example.com", "name": "Li Wei",
                                                                  "roles": [R.SUPPLIER]})
    assert response.status_code == 302
    person = db.session.execute(db.select(User).filter_by(email="colleague@example.com")).scalar_one()
    assert not person.active and person.role_names == {R.SUPPLIER} and person.organisation_id == admin.organisation_id
    [mail] = _mail_to("colleague@example.com")
    link = _link(mail)
    assert app.test_client().post("/login", data={"email": person.email, "password": "whatever-password"}).status_code == 200
    visitor = app.test_client()
    assert visitor.post(link, data={"password": "a-good-password", "confirm": "a-good-password"}).status_code == 302
    assert visitor.post(link, data={"password": "a-good-password", "confirm": "a-good-password"}).status_code == 404
    assert visitor.post("/login", data={"email": person.email, "password": "a-good-password"}).status_code == 302


def test_roles_are_limited_to_what_the_organisation_kind_may_hold(client):
    admin = _admin()
    login_as(client, admin)
    response = client.post("/organisation/people/invite", data={"email": "x@example.com", "name": "X",
                                                                  "roles": [R.FINANCE_REVIEWER]})
    assert response.status_code == 400
    assert db.session.execute(db.select(User).filter_by(email="x@example.com")).first() is None
    assert _mail_to("x@example.com") == []


def test_only_administrators_manage_and_only_their_own_people(client):
    plain = make_user()
    login_as(client, plain)
    assert client.get("/organisation/people").status_code == 403
    admin = _admin()
    stranger = make_user()  # another organisation
    login_as(client, admin)
    client.post(f"/organisation/people/{stranger.id}/active", data={"active": "0"})
    db.session.refresh(stranger)
    assert stranger.active
    page = client.get("/organisation/people").get_data(as_text=True)
    assert admin.email in page and stranger.email not in page


def test_deactivation_ends_sessions_and_the_last_admin_stays(client, app):
    admin = _admin()
    colleague = make_user(db.session.get(Organisation, admin.organisation_id), roles=(R.SUPPLIER,))
    theirs = app.test_client()
    theirs.post("/login", data={"email": colleague.email, "password": PASSWORD})
    assert theirs.get("/home").status_code == 200
    login_as(client, admin)
    assert client.post(f"/organisation/people/{colleague.id}/active", data={"active": "0"}).status_code == 302
    assert theirs.get("/home").status_code == 302
    assert db.session.execute(db.select(UserSession).filter_by(user_id=colleague.id, revoked_at=None)).first() is None
    # the only administrator cannot drop the role
    client.post(f"/organisation/people/{admin.id}/roles", data={f"p{admin.id}-roles": [R.SUPPLIER]})
    db.session.refresh(admin)
    assert R.ORG_ADMIN in admin.role_names


def test_password_reset_says_the_same_either_way_and_works_once(client, app):
    user = make_user(email="known@example.com")
    known = client.post("/password/forgot", data={"email": "known@example.com"}, follow_redirects=True)
    unknown = client.post("/password/forgot", data={"email": "nobody@example.com"}, follow_redirects=True)
    assert known.status_code == unknown.status_code == 200
    strip = lambda html: re.sub(r'name="csrf_token" value="[^"]*"', "", html)  # noqa: E731
    assert strip(known.get_data(as_text=True)) == strip(unknown.get_data(as_text=True))
    assert _mail_to("nobody@example.com") == []
    [mail] = _mail_to("known@example.com")
    other_browser = app.test_client()
    other_browser.post("/login", data={"email": user.email, "password": PASSWORD})
    link = _link(mail)
    assert client.post(link, data={"password": "brand-new-pass", "confirm": "brand-new-pass"}).status_code == 302
    assert other_browser.get("/home").status_code == 302  # signed out everywhere
    assert client.post(link, data={"password": "another-pass-1", "confirm": "another-pass-1"}).status_code == 404
    assert app.test_client().post("/login", data={"email": user.email, "password": "brand-new-pass"}).status_code == 302


def test_an_expired_reset_link_is_refused_with_a_message(client):
    make_user(email="late@example.com")
    client.post("/password/forgot", data={"email": "late@example.com"})
    token_row = db.session.execute(db.select(AccountToken)).scalar_one()
    token_row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    [mail] = _mail_to("late@example.com")
    response = client.post(_link(mail), data={"password": "brand-new-pass", "confirm": "brand-new-pass"})
    assert response.status_code == 404 and "not valid any more" in response.get_data(as_text=True)


def test_registration_does_not_reveal_a_known_email_or_firm(client):
    existing = make_user(make_org(kind=R.ORG_SUPPLIER), roles=(R.SUPPLIER,), email="known@example.com")
    firm = db.session.get(Organisation, existing.organisation_id)
    import io

    def form_with(**over):
        data = {"credit_code": firm.credit_code, "name_zh": "某公司", "contact_name": "Z", "email": "new@example.com",
                "password": "long-enough-1", "confirm": "long-enough-1", "licence": (io.BytesIO(b"%PDF-1.4\n"), "l.pdf")}
        data.update(over)
        return data

    dup_firm = client.post("/register", data=form_with(), follow_redirects=True)
    import random

    from core import uscc

    dup_email = client.post("/register", data=form_with(credit_code=uscc.generate(random.Random(99)), email=existing.email),
                            follow_redirects=True)
    assert dup_firm.status_code == dup_email.status_code == 200
    for response in (dup_firm, dup_email):
        assert "We sent you an email" in response.get_data(as_text=True)
    assert db.session.execute(db.select(User).filter_by(email="new@example.com")).first() is None
    assert "already registered" in _mail_to("new@example.com")[0].body
    assert "already has an account" in _mail_to(existing.email)[0].body


def test_supplier_verification_notifies_the_firm_in_app_and_by_mail(client):
    from tests.factories import make_role_user

    org = make_org(kind=R.ORG_SUPPLIER, status="pending")
    person = make_user(org, roles=(R.SUPPLIER,), locale="zh_Hans")
    reviewer = make_role_user(R.PLATFORM_REVIEWER)
    login_as(client, reviewer)
    assert client.post(f"/platform/suppliers/{org.id}/review", data={"approve": "Verify"}).status_code == 302
    [note] = db.session.execute(db.select(Notification).filter_by(user_id=person.id)).scalars().all()
    assert note.kind == "supplier.verified" and note.read_at is None
    [mail] = _mail_to(person.email)
    assert "平台" in mail.subject  # rendered in the recipient's language
    login_as(client, person)
    page = client.get("/home").get_data(as_text=True)
    assert 'data-testid="notifications-link"' in page and ">1<" in page.replace(" ", "")
    client.post("/notifications/read", data={})
    db.session.refresh(note)
    assert note.read_at is not None


def test_mail_is_sent_through_smtp_and_marked_sent(app, smtp):
    from core.mail import queue_mail

    queue_mail("someone@example.com", "Hello", "Body text", "test")
    db.session.commit()
    counts = send_pending(app)
    assert counts["sent"] == 1
    assert len(smtp) == 1 and smtp[0].rcpt_tos == ["someone@example.com"]
    assert db.session.execute(db.select(MailMessage)).scalar_one().status == "sent"


def test_an_unreachable_server_keeps_mail_pending_then_failed(app):
    from core.mail import queue_mail

    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{_free_port()}"  # nothing listens there
    try:
        queue_mail("someone@example.com", "Hello", "Body", "test")
        db.session.commit()
        for attempt in range(MAX_ATTEMPTS):
            send_pending(app)
            db.session.expire_all()
        row = db.session.execute(db.select(MailMessage)).scalar_one()
        assert row.status == "failed" and row.attempts == MAX_ATTEMPTS and "ConnectionRefused" in row.last_error
        health = app.test_client().get("/healthz").get_json()["mail"]
        assert health["failed"] == 1 and health["status"] == "degraded"
    finally:
        app.config["MAIL_URL"] = None


def test_the_mail_page_is_for_platform_administrators(client):
    from core.mail import queue_mail
    from tests.factories import make_role_user

    queue_mail("a@example.com", "Subject <b>x</b>", "Body", "test")
    db.session.commit()
    login_as(client, make_role_user(R.SUPPLIER))
    assert client.get("/platform/mail").status_code == 403
    login_as(client, make_role_user(R.PLATFORM_ADMIN))
    html = client.get("/platform/mail").get_data(as_text=True)
    assert "a@example.com" in html and "Subject &lt;b&gt;x&lt;/b&gt;" in html
