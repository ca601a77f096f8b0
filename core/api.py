"""JSON API plumbing: bearer tokens, auth decorator, JSON bodies, error bodies."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import cache, wraps

from flask import Blueprint, g, jsonify, request
from flask_login import current_user
from sqlalchemy import bindparam
from sqlalchemy.orm import joinedload

from core import audit, openapi
from core.errors import PermissionDenied, Unauthorized, ValidationError
from core.i18n import N_
from core.extensions import csrf, db
from core.models import ApiToken, User
from core.services import unit_of_work
from core.timeutil import utcnow

OPENAPI = openapi.Operations()  # registered by the package's register(app)

bp = Blueprint("api_core", __name__, url_prefix="/api/v1")
TOKEN_PREFIX = "gbm_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(user, name: str, scopes=None, days: int | None = 90) -> tuple[ApiToken, str]:
    """Create a token for `user`; returns (row, plaintext). The plaintext is shown once."""
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise ValidationError(N_("Give the token a name of 1 to 80 characters."), {"name": N_("Required, at most 80 characters.")})
    scopes = sorted(set(scopes or user.role_names))
    extra = set(scopes) - user.role_names
    if extra:
        not_held = N_("Roles you do not hold: %(roles)s.")
        raise ValidationError(N_("A token cannot carry roles its owner does not hold."),
                              {"scopes": (not_held, {"roles": ", ".join(sorted(extra))})})
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with unit_of_work():
        row = ApiToken(user_id=user.id, name=name, prefix=plaintext[:12], token_hash=_digest(plaintext), scopes=scopes,
                       expires_at=utcnow() + timedelta(days=days) if days else None)
        db.session.add(row)
        db.session.flush()
        audit.record("api_token.create", row, after={"name": name, "scopes": scopes, "prefix": row.prefix}, actor=user)
    return row, plaintext


def revoke_token(user, token_id: int) -> ApiToken:
    with unit_of_work():
        row = db.session.get(ApiToken, token_id)
        if row is None or row.user_id != user.id:
            from core.errors import NotFound
            raise NotFound(N_("No such token."))
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            audit.record("api_token.revoke", row, after={"prefix": row.prefix}, actor=user)
    return row


class _TokenUser:
    """Wraps a user so role checks see only the token's scopes."""

    def __init__(self, user, scopes):
        self._user = user
        self._scopes = set(scopes) & user.role_names

    def __getattr__(self, item):
        return getattr(self._user, item)

    @property
    def role_names(self):
        return set(self._scopes)

    def has_role(self, *names):
        return bool(self._scopes.intersection(names))

    @property
    def is_authenticated(self):
        return True


@cache
def _token_query():
    """The token with its person, the person's organisation and roles: every authorised call reads
    them. Built once (on first use, when every mapper is known): every API request runs it, and a
    prebuilt statement skips building the statement and its cache key each time."""
    return (db.select(ApiToken).where(ApiToken.token_hash == bindparam("digest"))
            .options(joinedload(ApiToken.user).joinedload(User.organisation),
                     joinedload(ApiToken.user).joinedload(User.roles)))


def _authenticate():
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized(N_("Use 'Authorization: Bearer <token>'."))
        row = db.session.execute(_token_query(), {"digest": _digest(token.strip())}).unique().scalar_one_or_none()
        now = utcnow()
        if row is None:
            raise Unauthorized(N_("Unknown API token."))
        if row.revoked_at is not None:
            raise Unauthorized(N_("This API token was revoked."))
        if row.expires_at is not None and row.expires_at <= now:
            raise Unauthorized(N_("This API token has expired."))
        if not row.user.is_active:
            raise Unauthorized(N_("This account is disabled."))
        # last_used_at is bookkeeping, not a state change worth an audit event.
        if row.last_used_at is None or (now - row.last_used_at) > timedelta(minutes=5):
            with unit_of_work(keep_loaded=True):   # the token and its person stay loaded
                row.last_used_at = now
        return _TokenUser(row.user, row.scopes)
    if current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def current_api_user():
    return getattr(g, "api_user", None)


def api_auth(*role_names, public=False):
    """JSON views: authenticate by bearer token or session; check roles.

    `public=True` allows anonymous callers (g.api_user is then None).
    """

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = _authenticate()
            g.api_user = user
            if user is None and not public:
                raise Unauthorized(N_("Sign in or send an API token."))
            if role_names and (user is None or not user.has_role(*role_names)):
                raise PermissionDenied(N_("Your role does not allow this."))
            return view(*args, **kwargs)

        wrapped.required_roles = role_names
        wrapped.public = public
        return wrapped

    return decorator


def json_body() -> dict:
    """The request's JSON object, or a ValidationError saying what is wrong with it."""
    if not request.is_json:
        raise ValidationError(N_("Send a JSON body with Content-Type: application/json."))
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        raise ValidationError(N_("The JSON body is nested too deeply (at most %(depth)s levels)."),
                              depth=MAX_JSON_DEPTH) from None
    if not isinstance(data, dict):
        raise ValidationError(N_("The body must be a JSON object."))
    _check_json(data, 1)
    return data


MAX_JSON_DEPTH = 20


def _check_json(value, depth: int) -> None:
    """Refuse bodies nested deeper than any operation needs, and text that is not valid
    Unicode (lone surrogates such as "\\ud800" cannot be stored or shown)."""
    if depth > MAX_JSON_DEPTH:
        raise ValidationError(N_("The JSON body is nested too deeply (at most %(depth)s levels)."), depth=MAX_JSON_DEPTH)
    if isinstance(value, str):
        if any("\ud800" <= ch <= "\udfff" for ch in value):
            raise ValidationError(N_("The JSON body contains text that is not valid Unicode."))
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_json(key, depth)
            _check_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, depth + 1)


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(openapi.document())


@bp.get("/me")
@api_auth()
def me():
    user = g.api_user
    return jsonify({"id": user.id, "email": user.email, "name": user.name, "roles": sorted(user.role_names),
                    "organisation": {"id": user.organisation.id, "kind": user.organisation.kind,
                                     "name_en": user.organisation.name_en, "name_zh": user.organisation.name_zh}})


OPENAPI.spec("/me", "get", {"summary": "The authenticated user", "tags": ["accounts"],
                            "responses": {"200": {"description": "User with roles and organisation"}}})


def init_api(app):
    """CSRF for every state-changing request except bearer-token API calls.

    A bearer token is not sent automatically by browsers, so CSRF (a cookie-session defence)
    does not apply to it; session-authenticated API writes still need the X-CSRFToken header.
    Flask-WTF's automatic check is off (WTF_CSRF_CHECK_DEFAULT) and this hook calls it.
    """
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False

    @app.before_request
    def _csrf_unless_bearer():
        if not app.config.get("WTF_CSRF_ENABLED", True):
            return None
        if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
            return None
        if request.path.startswith("/api/") and request.headers.get("Authorization", "").lower().startswith("bearer "):
            return None
        if request.endpoint in app.config.get("CSRF_EXEMPT_ENDPOINTS", ()):
            return None  # e.g. the Stripe webhook, which is verified by signature instead
        csrf.protect()
        return None
