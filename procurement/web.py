"""Page helpers shared by the capabilities' views: the project of a URL, select choices, service
errors flashed with the place of each problem (forms use `core.forms.apply_form_errors`), and
the template filters that show codes and stored messages in the reader's language."""

from __future__ import annotations

import re

from flask import abort, flash
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from catalog.interface import find_category
from core.errors import ServiceError
from core.i18n import render_payload, translate_error, translate_message
from procurement import labels
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


def message_text(message) -> str:
    """A message in the current locale: a template, a (template, params) pair or a stored payload."""
    if isinstance(message, dict):
        return render_payload(message)
    return translate_message(message)


def where_text(key: str) -> str:
    """A problem's place (``row 3, column quantity``, ``file``) in the current locale."""
    if m := _ROW_COLUMN.match(key):
        return _("row %(row)s, column %(column)s", row=m.group(1), column=m.group(2))
    if m := _ROW.match(key):
        return _("row %(row)s", row=m.group(1))
    if key == "file":
        return _("file")
    return labels.label(key, "field")


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


def category_name(code) -> str:
    """A category's name in the current locale, from its code (the code when unknown)."""
    found = find_category(code) if code else None
    if found is None:
        return "" if code is None else str(code)
    return (found.name_zh or found.name_en) if _in_chinese() else (found.name_en or found.name_zh)


def category_label(category) -> str:
    """A category (with ``name_en``/``name_zh``) named in the current locale."""
    return (category.name_zh or category.name_en) if _in_chinese() else (category.name_en or category.name_zh)


def edition_title(edition) -> str:
    """A standard edition's title in the current locale."""
    return (edition.title_zh or edition.title) if _in_chinese() else edition.title
