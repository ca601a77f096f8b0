"""Page helpers shared by the capabilities' views: the project of a URL, select choices, service
errors flashed with the place of each problem (forms use `core.forms.apply_form_errors`), and
the template filters that show codes and stored messages in the reader's language."""

from __future__ import annotations

import re

from flask import abort, flash, has_request_context, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from catalog.interface import all_categories, describe_limit
from core.errors import ServiceError
from core.i18n import translate_error
from core.i18n import show_message as message_text  # the one implementation lives in core
from core.labels import label
from procurement.projects.services import get_project

_ROW_COLUMN = re.compile(r"^row (\d+), column (.+)$")
_ROW = re.compile(r"^row (\d+)$")


def project_or_404(project_id):
    """The project of the URL if the signed-in user may see it, else 404."""
    try:
        return get_project(current_user, project_id)
    except ServiceError:
        abort(404)


def choices(pairs) -> list[SelectChoice]:
    """``[(value, label), ...]`` as WTForms SelectChoice objects (tuples are deprecated)."""
    return [SelectChoice(value, label) for value, label in pairs]


def where_text(key: str) -> str:
    """A problem's place (``row 3, column quantity``, ``file``) in the current locale."""
    if m := _ROW_COLUMN.match(key):
        return _("row %(row)s, column %(column)s", row=m.group(1), column=m.group(2))
    if m := _ROW.match(key):
        return _("row %(row)s", row=m.group(1))
    if key == "file":
        return _("file")
    return label(key, "field")


def flash_error(exc: ServiceError, *, with_fields: bool = True, limit: int = 50) -> None:
    """Flash the error and (up to `limit` of) its field messages, translated."""
    flash(translate_error(exc), "danger")
    if with_fields:
        for where, message in list(exc.fields.items())[:limit]:
            flash(f"{where_text(where)}: {message_text(message)}", "warning")


def chain_problem(problem) -> str:
    """Where and why a record chain is broken (`procurement.records.chain.ChainBreak`), translated."""
    return f"{message_text(problem.where)}: {message_text((problem.reason, problem.params))}"


def _in_chinese() -> bool:
    return str(get_locale() or "en").startswith("zh")


def _categories() -> dict:
    """Every category by code and by id, loaded once per request (one query, however many
    records or lines a page names)."""
    if not has_request_context():
        return _load_categories()
    cache = request.environ.get("procurement.categories")
    if cache is None:
        cache = request.environ["procurement.categories"] = _load_categories()
    return cache


def _load_categories() -> dict:
    out: dict = {}
    for category in all_categories():
        out[category.code] = out[category.id] = category
    return out


def cached_category(ref):
    """A category (`catalog.interface.CategoryInfo`) by code or id, from the request's table; None if unknown."""
    return _categories().get(ref) if isinstance(ref, (str, int)) else None


def category_name(ref) -> str:
    """A category's name in the current locale, from its code or id (the reference when unknown)."""
    found = cached_category(ref)
    if found is None:
        return "" if ref is None else str(ref)
    return category_label(found)


def category_label(category) -> str:
    """A category (with ``name_en``/``name_zh``) named in the current locale."""
    return (category.name_zh or category.name_en) if _in_chinese() else (category.name_en or category.name_zh)


def localised_name(obj) -> str:
    """`name_zh` in Chinese, `name_en` otherwise (a rule, a product), falling back to the other and to its key."""
    zh, en = getattr(obj, "name_zh", ""), getattr(obj, "name_en", "")
    return ((zh or en) if _in_chinese() else (en or zh)) or str(getattr(obj, "key", ""))


def limit_text(rule) -> str:
    """A rule's requirement in the current locale, with ≤ and ≥ for the comparison signs."""
    return describe_limit(rule).replace("<=", "≤").replace(">=", "≥")


def edition_title(edition) -> str:
    """A standard edition's title in the current locale."""
    return (edition.title_zh or edition.title) if _in_chinese() else edition.title
