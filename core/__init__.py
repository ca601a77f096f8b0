"""Application factory."""
from __future__ import annotations

import logging
import secrets

from flask import Flask, g, jsonify, render_template, request, session
from flask_babel import get_locale
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from core.extensions import babel, bootstrap, csrf, db, limiter, login_manager, migrate

log = logging.getLogger(__name__)


def select_locale():
    """Session choice, then the user's saved choice, then the browser's languages."""
    from flask import current_app
    from flask_login import current_user

    languages = current_app.config["LANGUAGES"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.locale in languages:
        return current_user.locale
    best = request.accept_languages.best_match(["en", "zh", "zh-CN", "zh-Hans"])
    return "zh_Hans" if best and best.startswith("zh") else "en"


def create_app(config=None) -> Flask:
    """Build the app. `config` is a class or dict; default: `config.Config` (embedded)."""
    from config import Config

    app = Flask(__name__.split(".")[0], template_folder="../templates", static_folder="../static",
                instance_path=None, instance_relative_config=False)
    config = config or Config
    if isinstance(config, dict):
        app.config.from_object(Config)
        app.config.update(config)
    else:
        config.validate()
        app.config.from_object(config)

    from pathlib import Path

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    # psycopg 3 is the installed driver; accept the common postgres:// spellings.
    for prefix in ("postgres://", "postgresql://"):
        if uri.startswith(prefix):
            uri = "postgresql+psycopg://" + uri[len(prefix):]
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    if uri.startswith("sqlite:///"):
        Path(uri[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        # SQLite: wait for the write lock instead of failing at once under concurrent requests.
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"], "connect_args": {"timeout": 30}}

    from core import embedded

    embedded.configure(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    login_manager.login_view = "core.login"
    login_manager.login_message = None
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    bootstrap.init_app(app)
    app.config["RATELIMIT_STORAGE_URI"] = app.config.get("RATELIMIT_STORAGE_URI", "memory://")
    limiter.init_app(app)

    from catalog.search.engine import search_engine
    from procurement.payments.gateway import payment_gateway

    search_engine.init_app(app)
    payment_gateway.init_app(app)

    _register_models()
    _register_blueprints(app)
    _register_hooks(app)
    _register_errors(app)
    _register_cli(app)
    _register_template_helpers(app)
    _sqlite_pragmas(app)
    return app


def _register_models():
    import catalog.models  # noqa: F401  (metadata for migrations)
    import core.models  # noqa: F401
    import procurement.models  # noqa: F401


def _register_blueprints(app):
    import catalog
    import procurement
    from core.api import bp as api_bp
    from core.api import init_api
    from core.views import bp as core_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(api_bp)
    init_api(app)
    catalog.register(app)
    procurement.register(app)


def _register_hooks(app):
    from core.models import User

    @login_manager.user_loader
    def load_user(user_id):
        try:
            return db.session.get(User, int(user_id))
        except (TypeError, ValueError):
            return None

    @app.before_request
    def assign_request_id():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming[:64] if incoming.isascii() and incoming.replace("-", "").isalnum() else secrets.token_hex(8)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        response.headers["X-Request-ID"] = g.get("request_id", "")
        return response


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def _json_error(status, code, message, fields=None):
    return jsonify({"error": {"code": code, "message": message, "fields": fields or {}}}), status


def _register_errors(app):
    from flask_babel import gettext as _

    from core.errors import ServiceError
    from core.i18n import N_

    @app.errorhandler(ServiceError)
    def service_error(exc):
        db.session.rollback()
        if _wants_json():
            return jsonify(exc.to_dict()), exc.status
        from core.i18n import translate_error

        return render_template("errors/error.html", status=exc.status, message=translate_error(exc)), exc.status

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        if _wants_json():
            return _json_error(400, "csrf_failed", "The CSRF token is missing or invalid. Reload the page and try again.")
        return render_template("errors/error.html", status=400,
                               message=_("Your form expired or was not sent from this site. Reload the page and try again.")), 400

    @app.errorhandler(HTTPException)
    def http_error(exc):
        messages = {
            400: N_("The request could not be understood."),
            401: N_("Sign in first."),
            403: N_("You do not have permission to see this page."),
            404: N_("There is nothing at this address."),
            405: N_("This address does not accept that method."),
            413: N_("The upload is too large."),
            429: N_("Too many requests. Wait a minute and try again."),
        }
        message = messages.get(exc.code, exc.description or exc.name)
        if exc.code == 429 and exc.description and "Too many" in str(exc.description):
            message = str(exc.description)
        if _wants_json():
            return _json_error(exc.code, exc.name.lower().replace(" ", "_"), message)
        template = f"errors/{exc.code}.html" if exc.code in (403, 404) else "errors/error.html"
        return render_template(template, status=exc.code, message=_(message)), exc.code

    @app.errorhandler(Exception)
    def unexpected(exc):
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        if _wants_json():
            return _json_error(500, "internal_error", "Something went wrong on our side. The error was logged.")
        return render_template("errors/500.html", status=500), 500


def _register_cli(app):
    from core.cli import audit_cli, users_cli
    from core.demo import demo_cli

    app.cli.add_command(audit_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(users_cli)


def _register_template_helpers(app):
    from flask_login import current_user

    from core import nav, policy
    from core.money import format_fen

    @app.context_processor
    def inject():
        locale = str(get_locale() or "en")
        return {
            "nav_entries": nav.entries_for(current_user),
            "can": policy.can,
            "current_locale": locale,
            "is_zh": locale.startswith("zh"),
        }

    app.jinja_env.filters["fen"] = format_fen

    def localized(obj, field="name"):
        """obj.name_zh in Chinese, obj.name_en otherwise (falling back to the other)."""
        locale = str(get_locale() or "en")
        zh, en = getattr(obj, f"{field}_zh", None), getattr(obj, f"{field}_en", None)
        return (zh or en) if locale.startswith("zh") else (en or zh)

    app.jinja_env.filters["l10n"] = localized


def _sqlite_pragmas(app):
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            @event.listens_for(engine, "connect")
            def _on_connect(dbapi_conn, _record):
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute("PRAGMA journal_mode=WAL")
                cur.close()
