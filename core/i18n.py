"""Translation helpers.

`N_` marks a string for extraction without translating it: services raise errors in English
(API clients and logs get stable text) and views translate them with `_()` when rendering.
`TERMS` lists words that templates translate dynamically (statuses, roles, kinds).
"""
from flask_babel import gettext, lazy_gettext as _l


def N_(message: str) -> str:
    """Mark for extraction only."""
    return message


TERMS = [
    # organisation and job states
    _l("pending"), _l("verified"), _l("rejected"), _l("queued"), _l("running"), _l("done"), _l("failed"),
    # product and certificate states
    _l("draft"), _l("submitted"), _l("listed"), _l("suspended"), _l("valid"), _l("revoked"), _l("expired"),
    # verdicts and review outcomes
    _l("pass"), _l("fail"), _l("missing"), _l("incomplete"), _l("approved"), _l("returned"),
    # roles
    _l("supplier"), _l("purchaser"), _l("procurement_officer"), _l("finance_reviewer"), _l("inspector"),
    _l("platform_admin"), _l("platform_reviewer"),
    # organisation kinds
    _l("procurement_centre"), _l("finance_office"), _l("inspection_authority"), _l("platform"),
]


def translate_message(message) -> str:
    """Translate a message given as a string or a (template, params) pair."""
    if isinstance(message, tuple):
        template, params = message
        return gettext(template, **params) if params else gettext(template)
    return gettext(str(message))


def translate_error(exc) -> str:
    """The error's message in the current locale."""
    return gettext(exc.template, **exc.params) if exc.params else gettext(exc.template)


def select_locale():
    """Session choice, then the user's saved choice, then the browser's languages."""
    from flask import current_app, request, session
    from flask_login import current_user

    languages = current_app.config["LANGUAGES"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.locale in languages:
        return current_user.locale
    best = request.accept_languages.best_match(["en", "zh", "zh-CN", "zh-Hans"])
    return "zh_Hans" if best and best.startswith("zh") else "en"
