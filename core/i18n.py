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


class Term(str):
    """A code word inside a message's parameters (a status, role, unit, stage, kind) that is
    translated when the message is shown: ``Conflict(N_("... is %(status)s."), status=Term(s))``.
    Stored messages keep it as ``{"term": "listed"}`` (see `message_payload`)."""


class Message:
    """A translatable message used as a parameter of another one (a reason inside a refusal):
    ``N_("Refused: %(reason)s")`` with ``reason=Message(N_("%(value)s is too high"), value=3)``.
    Translated, with its own parameters, when the outer message is shown."""

    __slots__ = ("template", "params")

    def __init__(self, template: str, **params):
        self.template = template
        self.params = params

    def __str__(self) -> str:  # English, for logs and API text
        return english(self.template, self.params)

    def __eq__(self, other):
        return isinstance(other, Message) and (self.template, self.params) == (other.template, other.params)

    def __repr__(self):
        return f"Message({self.template!r}, **{self.params!r})"


def _localise(params: dict) -> dict:
    out = {}
    for key, value in params.items():
        if isinstance(value, Term):
            value = gettext(value)
        elif isinstance(value, Message):
            value = translate_message((value.template, value.params))
        out[key] = value
    return out


def english(template: str, params: dict | None = None) -> str:
    """The message in English (the templates' own language), whatever the current locale."""
    def plain(value):
        return english(value.template, value.params) if isinstance(value, Message) else value

    return template % {k: plain(v) for k, v in params.items()} if params else template


def translate_message(message) -> str:
    """Translate a message given as a string or a (template, params) pair."""
    if isinstance(message, Message):
        message = (message.template, message.params)
    if isinstance(message, tuple):
        template, params = message
        return gettext(template, **_localise(params)) if params else gettext(template)
    return gettext(str(message))


def translate_error(exc) -> str:
    """The error's message in the current locale."""
    return gettext(exc.template, **_localise(exc.params)) if exc.params else gettext(exc.template)


def _store(value):
    if isinstance(value, Term):
        return {"term": str(value)}
    if isinstance(value, Message):
        return message_payload(value.template, value.params)
    return value


def _load(value):
    if isinstance(value, dict) and set(value) == {"term"}:
        return Term(value["term"])
    if isinstance(value, dict) and set(value) == {"key", "params"}:
        return Message(value["key"], **{k: _load(v) for k, v in (value["params"] or {}).items()})
    return value


def message_payload(template: str, params: dict | None = None) -> dict:
    """A message as stored in records and notices: its template key and JSON parameters
    (terms and nested messages included), so every reader sees it in their own language
    (`render_payload`)."""
    return {"key": template, "params": {k: _store(v) for k, v in (params or {}).items()}}


def render_payload(payload) -> str:
    """Show a stored message (`message_payload`) in the current locale. A plain string (older
    records) is translated as it is."""
    if not isinstance(payload, dict) or "key" not in payload:
        return gettext(str(payload)) if payload else ""
    params = {k: _load(v) for k, v in (payload.get("params") or {}).items()}
    return translate_message((payload["key"], params))


def show_message(message) -> str:
    """Any message in the current locale: a stored payload, a `Message`, a (template, params)
    pair or a plain template. The Jinja filter `message`."""
    if isinstance(message, dict):
        return render_payload(message)
    return translate_message(message)


def render_payload_english(payload) -> str:
    """A stored message in English (API text, logs), whatever the current locale."""
    if not isinstance(payload, dict) or "key" not in payload:
        return str(payload or "")
    return english(payload["key"], {k: _load(v) for k, v in (payload.get("params") or {}).items()})


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
