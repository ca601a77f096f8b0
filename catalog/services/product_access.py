"""Loading products with the permission checks every use case needs."""
from __future__ import annotations

from core.errors import NotFound, PermissionDenied
from core.extensions import db

from catalog import policy
from catalog.models.products import Product


def get_product(product_id, *, lock=False) -> Product:
    """The product or `NotFound` (also for ids that are not numbers).

    `lock=True` (use cases that change it) reads the row FOR UPDATE and refreshes it, so two
    concurrent transitions are serialised and the second sees the first one's status.
    """
    options = {"with_for_update": {"of": Product}, "populate_existing": True} if lock else {}
    try:
        product = db.session.get(Product, int(product_id), **options)
    except (TypeError, ValueError):
        product = None
    if product is None:
        raise NotFound("No such product.")
    return product


def product_for_edit(actor, product_id, *, lock=True) -> Product:
    """The product if `actor` may change it (its supplier), else `PermissionDenied`."""
    product = get_product(product_id, lock=lock)
    if not policy.can_edit_product(actor, product):
        raise PermissionDenied("You can change only your own organisation's products.")
    return product


def product_for_review(actor, product_id, *, lock=True) -> Product:
    """The product if `actor` is a platform reviewer, else `PermissionDenied`."""
    if not policy.is_reviewer(actor):
        raise PermissionDenied("Only platform reviewers can do this.")
    return get_product(product_id, lock=lock)


def supplier_of(actor):
    """The actor's supplier organisation, or `PermissionDenied` for anyone else."""
    org = getattr(actor, "organisation", None)
    if org is None or not policy._has(actor, "supplier") or org.kind != "supplier":
        raise PermissionDenied("Only suppliers can list products.")
    return org
