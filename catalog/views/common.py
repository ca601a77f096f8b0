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


def load_product(pid, rule, *, hide=False):
    """The product, 404 if there is none, 403 unless `rule(current_user, product)` (a
    `catalog.policy` function) allows it. With `hide` (pages of the public catalogue) a product
    the user may not see is a 404 too: nobody learns that a draft exists."""
    try:
        product = get_product(pid)
    except NotFound:
        abort(404)
    if not rule(current_user, product):
        abort(404 if hide else 403)
    return product


def moves_from(product) -> set[str]:
    """The actions of the product machine possible from the product's status (which buttons to show)."""
    return {move.action for move in PRODUCT.actions_from(product.status)}


def batch_outcome(result, title, back: str):
    """The page that says what a batch did: which products moved, which did not and why (each
    error in the reader's language, with its field messages). Products load in one query."""
    from flask import render_template
    from sqlalchemy import select

    from core.extensions import db
    from core.i18n import translate_error, translate_message

    from catalog.models.products import Product

    from catalog.policy import can_view_product

    ids = list(result.done) + [pid for pid, _exc in result.failed]
    products = {p.id: p for p in db.session.execute(select(Product).where(Product.id.in_(ids))).unique().scalars()
                if can_view_product(current_user, p)}  # another supplier's product stays "#id"
    failed = [{"id": pid, "product": products.get(pid), "message": translate_error(exc),
               "details": [translate_message(m) for m in exc.fields.values()]}
              for pid, exc in result.failed]
    done = [products[pid] for pid in result.done if pid in products]
    return render_template("catalog/products/batch_result.html", title=title, done=done, failed=failed,
                           back=safe_next() or back)


def selected_ids(name: str = "ids") -> list[str]:
    """The ticked product ids of a batch form (at most a page's worth is sent)."""
    return request.form.getlist(name)[:500]


def safe_next() -> str | None:
    """The form's `next` when it is a same-site path."""
    nxt = request.form.get("next") or ""
    return nxt if nxt.startswith("/") and not nxt.startswith("//") else None
