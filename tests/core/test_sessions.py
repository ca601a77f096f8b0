"""Server-side sessions: signing out, a password change or expiry ends a session for good,
even for someone holding a copy of its cookie."""
from __future__ import annotations

from datetime import timedelta

from core.extensions import db
from core.models import AuditEvent, UserSession
from core.timeutil import utcnow
from tests.factories import PASSWORD, make_user


def _sign_in(app, user, password=PASSWORD):
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302 and response.headers["Location"].endswith("/home")
    return client


def _cookie(client):
    return client.get_cookie("session").value


def _copy(app, cookie_value):
    thief = app.test_client()
    thief.set_cookie("session", cookie_value)
    return thief


def _signed_in(client) -> bool:
    return client.get("/home").status_code == 200


def test_a_copied_cookie_stops_working_after_sign_out(app):
    user = make_user()
    owner = _sign_in(app, user)
    thief = _copy(app, _cookie(owner))
    assert _signed_in(thief)  # a copy works while the session lives: that is what a cookie is
    assert owner.post("/logout").status_code == 302
    assert not _signed_in(owner)
    response = thief.get("/home")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    row = db.session.execute(db.select(UserSession).filter_by(user_id=user.id)).scalar_one()
    assert row.revoked_at is not None
    assert db.session.execute(db.select(AuditEvent).filter_by(action="auth.logout")).scalar_one().object_id == str(user.id)


def test_signing_out_one_browser_keeps_the_others(app):
    user = make_user()
    laptop, phone = _sign_in(app, user), _sign_in(app, user)
    laptop.post("/logout")
    assert not _signed_in(laptop) and _signed_in(phone)


def test_a_password_change_signs_out_everywhere_else(app):
    user = make_user()
    laptop, phone = _sign_in(app, user), _sign_in(app, user)
    response = laptop.post("/account/password", data={"current_password": PASSWORD, "new_password": "a-new-password-1",
                                                      "confirm": "a-new-password-1"})
    assert response.status_code == 302
    assert _signed_in(laptop) and not _signed_in(phone)
    assert app.test_client().post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 200
    _sign_in(app, user, "a-new-password-1")


def test_a_wrong_current_password_changes_nothing(app):
    user = make_user()
    old_hash = user.password_hash
    client = _sign_in(app, user)
    response = client.post("/account/password", data={"current_password": "not-my-password", "new_password": "a-new-password-1",
                                                       "confirm": "a-new-password-1"})
    assert response.status_code == 400
    assert "The current password is not correct." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(user), user.id).password_hash == old_hash
    assert _signed_in(client)


def test_a_short_new_password_is_refused_with_the_field_message(app):
    user = make_user()
    client = _sign_in(app, user)
    response = client.post("/account/password", data={"current_password": PASSWORD, "new_password": "short",
                                                      "confirm": "short"})
    assert response.status_code == 400 and _signed_in(client)


def test_idle_and_absolute_expiry(app):
    user = make_user()
    client = _sign_in(app, user)
    row = db.session.execute(db.select(UserSession).filter_by(user_id=user.id)).scalar_one()
    row.last_seen_at = utcnow() - timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1)
    db.session.commit()
    assert not _signed_in(client)

    client = _sign_in(app, user)
    row = db.session.execute(db.select(UserSession).filter_by(user_id=user.id, revoked_at=None)
                             .order_by(UserSession.id.desc())).scalars().first()
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert not _signed_in(client)


def test_the_session_cookie_lasts_no_longer_than_the_server_session(app):
    assert app.permanent_session_lifetime <= timedelta(hours=app.config["SESSION_MAX_HOURS"])


def test_a_forged_session_id_signs_nobody_in(app):
    user = make_user()
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = str(user.id)
        sess["sid"] = "made-up-token"
    assert not _signed_in(client)
