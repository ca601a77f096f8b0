from datetime import timedelta

from core import roles as R
from core.extensions import db
from core.models import ApiToken
from core.timeutil import utcnow
from tests.factories import api_token, auth_header, login, make_role_user, make_user


def test_token_is_hashed_at_rest_and_authenticates(client):
    user = make_user()
    token = api_token(user)
    row = db.session.execute(db.select(ApiToken)).scalar_one()
    assert token not in (row.token_hash, row.prefix) and len(row.token_hash) == 64
    resp = client.get("/api/v1/me", headers=auth_header(token))
    assert resp.status_code == 200
    assert resp.json["email"] == user.email


def test_unknown_revoked_and_expired_tokens_get_401_json(client):
    user = make_user()
    assert client.get("/api/v1/me", headers=auth_header("gbm_nonsense")).json["error"]["message"] == "Unknown API token."
    token = api_token(user)
    row = db.session.execute(db.select(ApiToken)).scalar_one()
    row.revoked_at = utcnow()
    db.session.commit()
    resp = client.get("/api/v1/me", headers=auth_header(token))
    assert resp.status_code == 401 and "revoked" in resp.json["error"]["message"]
    token2 = api_token(user)
    row2 = db.session.execute(db.select(ApiToken).where(ApiToken.revoked_at.is_(None))).scalar_one()
    row2.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    resp = client.get("/api/v1/me", headers=auth_header(token2))
    assert resp.status_code == 401 and "expired" in resp.json["error"]["message"]
    assert set(resp.json["error"]) == {"code", "message", "fields"}


def test_malformed_authorization_header(client):
    resp = client.get("/api/v1/me", headers={"Authorization": "Basic abc"})
    assert resp.status_code == 401


def test_token_scopes_cannot_exceed_roles():
    from core.api import create_token
    from core.errors import ValidationError

    user = make_role_user(R.PURCHASER)
    try:
        create_token(user, "x", scopes=[R.PLATFORM_ADMIN])
        raised = False
    except ValidationError:
        raised = True
    assert raised


def test_revoke_through_the_account_page(client):
    user = make_user()
    login(client, user)
    resp = client.post("/account", data={"name": "ci"})
    assert b"not shown again" in resp.data
    row = db.session.execute(db.select(ApiToken)).scalar_one()
    client.post(f"/account/tokens/{row.id}/revoke")
    db.session.refresh(row)
    assert row.revoked_at is not None


def test_other_users_token_cannot_be_revoked(client):
    owner = make_user()
    api_token(owner)
    row = db.session.execute(db.select(ApiToken)).scalar_one()
    login(client, make_user())
    client.post(f"/account/tokens/{row.id}/revoke")
    db.session.refresh(row)
    assert row.revoked_at is None


def test_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    assert "/me" in doc["paths"]
    assert doc["components"]["schemas"]["Error"]["required"] == ["error"]


def test_unknown_api_path_is_json_404(client):
    resp = client.get("/api/v1/does-not-exist")
    assert resp.status_code == 404 and resp.json["error"]["code"] == "not_found"


def test_oversize_request_body_is_refused(client, app):
    from core.models import AuditEvent

    limit = app.config["MAX_CONTENT_LENGTH"]
    resp = client.post("/login", data={"email": "a@b.c", "password": "x" * (limit + 1)})
    assert resp.status_code == 413
    assert b"The upload is too large." in resp.data
    assert db.session.execute(db.select(db.func.count(AuditEvent.id))).scalar() == 0


def test_healthz_reports_each_dependency(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    body = resp.json
    assert body["database"]["status"] == "ok"
    assert body["search"]["status"] == "ok"  # embedded osmem-server
    assert body["payments"]["status"] == "ok"  # embedded localstripe
