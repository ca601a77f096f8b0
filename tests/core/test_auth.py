import re

from core.extensions import db, limiter
from core.models import AuditEvent, User
from tests.factories import PASSWORD, login, make_user


def _count(action):
    return db.session.execute(db.select(db.func.count(AuditEvent.id)).where(AuditEvent.action == action)).scalar()


def test_login_success_redirects_home_and_records(client):
    user = make_user()
    resp = login(client, user)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/home")
    assert client.get("/home").status_code == 200
    assert _count("auth.login") == 1
    assert db.session.get(User, user.id).last_login_at is not None


def test_wrong_password_and_unknown_user_get_the_same_message(client):
    user = make_user()
    wrong = client.post("/login", data={"email": user.email, "password": "nope-nope-nope"})
    unknown = client.post("/login", data={"email": "nobody@example.test", "password": PASSWORD})
    for resp in (wrong, unknown):
        assert resp.status_code == 200
        assert b"Email or password is not correct." in resp.data
    assert client.get("/home").status_code == 302  # still signed out
    assert _count("auth.login_failed") == 2
    assert _count("auth.login") == 0


def test_inactive_user_cannot_sign_in(client):
    user = make_user(active=False)
    resp = login(client, user)
    assert b"Email or password is not correct." in resp.data


def test_login_is_rate_limited(client, app):
    user = make_user()
    limiter.reset()
    statuses = [client.post("/login", data={"email": user.email, "password": "wrong-password"}).status_code for _ in range(12)]
    limiter.reset()
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429
    resp = client.post("/login", data={"email": user.email, "password": "wrong-password"})
    assert resp.status_code == 200


def test_rate_limited_response_is_a_clear_page(client):
    user = make_user()
    limiter.reset()
    for _ in range(10):
        client.post("/login", data={"email": user.email, "password": "x"})
    resp = client.post("/login", data={"email": user.email, "password": "x"})
    limiter.reset()
    assert resp.status_code == 429
    assert b"Too many sign-in attempts" in resp.data


def test_form_without_csrf_is_rejected_and_writes_nothing(client, csrf_enabled):
    user = make_user()
    resp = login(client, user)
    assert resp.status_code == 400
    assert b"Reload the page" in resp.data
    assert _count("auth.login") == 0 and _count("auth.login_failed") == 0


def test_form_with_csrf_token_works(client, csrf_enabled):
    user = make_user()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    resp = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302


def test_logout_needs_post(client):
    user = make_user()
    login(client, user)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert client.get("/home").status_code == 302


def test_open_redirect_after_login_is_refused(client):
    user = make_user()
    resp = client.post("/login", data={"email": user.email, "password": PASSWORD, "next": "https://evil.example/"})
    assert resp.headers["Location"].endswith("/home")
    resp = client.post("/login", data={"email": user.email, "password": PASSWORD, "next": "//evil.example/x"})
    assert resp.headers["Location"].endswith("/home")


def test_passwords_are_hashed_with_argon2id():
    user = make_user()
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_session_cookie_flags(client):
    user = make_user()
    resp = login(client, user)
    cookie = resp.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_security_headers(client):
    resp = client.get("/")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Request-ID"]


def test_pages_have_no_inline_script(client):
    user = make_user()
    login(client, user)
    for path in ("/", "/login", "/register", "/home", "/account"):
        html = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert ' style="' not in html, path


def test_every_linked_asset_is_served(client):
    """CSS/JS ship with the app or a package (no CDN) and every reference resolves."""
    user = make_user()
    login(client, user)
    for path in ("/login", "/home", "/account"):
        html = client.get(path).get_data(as_text=True)
        refs = re.findall(r'<(?:link[^>]+href|script[^>]+src)="([^"]+)"', html)
        assert refs, path
        for ref in refs:
            assert ref.startswith("/"), f"external asset {ref}"
            assert client.get(ref).status_code == 200, ref
