"""Telling a product's supplier what happened to it (rejected, suspended), in each reader's language."""
from __future__ import annotations

from core import notifications

from catalog.models.products import Product


def notify_supplier(product: Product, kind: str, template: str, **params) -> list:
    """Notify every person of the product's supplier firm (in-app and by e-mail; no commit).
    `template` is an English message marked with N_(); `params` may hold `core.i18n.Term`s."""
    link = f"/supplier/products/{product.id}/edit" if product.id else None
    return notifications.notify_organisation(product.supplier_id, kind, template, params, link=link)
