"""Helpers the catalog's page modules share: loading a product with its rule, the locale."""
from __future__ import annotations

from flask import abort, request
from flask_babel import get_locale
from flask_login import current_user

from core.errors import NotFound

from catalog.product_states import PRODUCT
from catalog.services.product_access import get_product


def is_zh() -> bool:
    return str(get_locale() or "").startswith("zh")


def load_product(pid, rule):
    """The product, 404 if there is none, 403 unless `rule(current_user, product)` (a
    `catalog.policy` function) allows it."""
    try:
        product = get_product(pid)
    except NotFound:
        abort(404)
    if not rule(current_user, product):
        abort(403)
    return product


def moves_from(product) -> set[str]:
    """The actions of the product machine possible from the product's status (which buttons to show)."""
    return {move.action for move in PRODUCT.actions_from(product.status)}


def safe_next() -> str | None:
    """The form's `next` when it is a same-site path."""
    nxt = request.form.get("next") or ""
    return nxt if nxt.startswith("/") and not nxt.startswith("//") else None
