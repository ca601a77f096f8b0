"""Request hooks, error pages and template helpers shared by every page and API call."""
from __future__ import annotations

import logging
import secrets

from flask import g, jsonify, render_template, request
from flask_babel import get_locale
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from core.extensions import db, login_manager

log = logging.getLogger(__name__)


MAX_ROW_ID = 2**31 - 1  # primary keys are INTEGER: a larger path id is no row, not an overflow


def install_converters(app) -> None:
    """URL converters; installed before any blueprint adds its rules. `<int:...>` answers a
    plain 404 for ids beyond any row (`/products/99999999999999999999`), whatever the method,
    instead of a database overflow (or a 405 from another route's method)."""
    from werkzeug.exceptions import NotFound
    from werkzeug.routing import IntegerConverter

    class BoundedIntegerConverter(IntegerConverter):
        def to_python(self, value):
            number = super().to_python(value)
            if number > MAX_ROW_ID:
                raise NotFound()
            return number

    app.url_map.converters["int"] = BoundedIntegerConverter


def page_number(args, name: str = "page", maximum: int = 10_000) -> int:
    """A 1-based page number from query arguments: anything missing, malformed or absurd
    (`page=1e20`, `page=-3`) becomes the nearest sensible page instead of an error."""
    raw = (args.get(name) or "").strip()
    if not raw.isdigit() or len(raw) > 9:
        return maximum if raw.isdigit() else 1
    return min(max(1, int(raw)), maximum)


def install(app) -> None:
    """Install the request hooks, error handlers and template helpers on `app`."""
    _escape_template_translations(app)
    _register_hooks(app)
    _register_errors(app)
    _register_template_helpers(app)


def _escape_template_translations(app) -> None:
    """Templates' `_()` marks its result safe HTML. With a literal that is harmless, but
    `{{ _(status) }}` on a value that came from a request would let markup through when the
    value has no translation. Escape what the catalogue returns, so `_()` never turns user
    text into HTML; parameters are escaped by Jinja as before. (No msgid carries markup.)"""
    from flask_babel import get_translations
    from jinja2 import pass_eval_context
    from markupsafe import escape

    def _escaped(eval_ctx, text):
        return escape(text) if eval_ctx.autoescape else text

    @pass_eval_context
    def gettext(eval_ctx, string):
        return _escaped(eval_ctx, get_translations().ugettext(string))

    @pass_eval_context
    def ngettext(eval_ctx, singular, plural, n):
        return _escaped(eval_ctx, get_translations().ungettext(singular, plural, n))

    @pass_eval_context
    def pgettext(eval_ctx, context, string):
        return _escaped(eval_ctx, get_translations().upgettext(context, string))

    @pass_eval_context
    def npgettext(eval_ctx, context, singular, plural, n):
        return _escaped(eval_ctx, get_translations().unpgettext(context, singular, plural, n))

    app.jinja_env.install_gettext_callables(gettext=gettext, ngettext=ngettext, newstyle=True,
                                            pgettext=pgettext, npgettext=npgettext)


def _register_hooks(app):
    from core.models import User

    @login_manager.user_loader
    def load_user(user_id):
        """The signed-in user, only while the server-side session the cookie names is live."""
        from core import sessions

        try:
            user_id = int(user_id)
        except (TypeError, ValueError):
            return None
        if sessions.current_session(user_id) is None:
            return None
        return db.session.get(User, user_id)

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

    from sqlalchemy.exc import OperationalError

    @app.errorhandler(OperationalError)
    def database_busy(exc):
        """SQLite's "database is locked" (a long writer held the lock past the busy timeout) is a
        temporary condition: 503 with a Retry-After hint, not a 500. Other errors: as below."""
        if "database is locked" not in str(getattr(exc, "orig", exc)):
            return unexpected(exc)
        db.session.rollback()
        log.warning("database busy on %s %s", request.method, request.path)
        message = N_("The database is busy. Try again in a few seconds.")
        if _wants_json():
            response, status = _json_error(503, "database_busy", message)
        else:
            response, status = app.make_response(
                render_template("errors/error.html", status=503, message=_(message))), 503
        response.headers["Retry-After"] = "5"
        return response, status

    @app.errorhandler(Exception)
    def unexpected(exc):
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        if _wants_json():
            return _json_error(500, "internal_error", "Something went wrong on our side. The error was logged.")
        return render_template("errors/500.html", status=500), 500


def _register_template_helpers(app):
    from flask_login import current_user

    from core import nav, notifications, policy
    from core.i18n import show_message
    from core.money import format_fen
    from core.timeutil import china_date, china_time

    @app.context_processor
    def inject():
        locale = str(get_locale() or "en")
        return {
            "nav_entries": nav.entries_for(current_user),
            "can": policy.can,
            "current_locale": locale,
            "is_zh": locale.startswith("zh"),
            "unread_notifications": notifications.unread_count(current_user),
        }

    app.jinja_env.filters["fen"] = format_fen
    app.jinja_env.filters["message"] = show_message
    app.jinja_env.filters["china_time"] = china_time
    app.jinja_env.filters["china_date"] = china_date

    def localized(obj, field="name"):
        """obj.name_zh in Chinese, obj.name_en otherwise (falling back to the other)."""
        locale = str(get_locale() or "en")
        zh, en = getattr(obj, f"{field}_zh", None), getattr(obj, f"{field}_en", None)
        return (zh or en) if locale.startswith("zh") else (en or zh)

    app.jinja_env.filters["l10n"] = localized
