"""Loading a product with the permission check of the use case (rules: `catalog.policy`)."""
from __future__ import annotations

from core.errors import NotFound, PermissionDenied
from core.extensions import db
from core.i18n import N_

from catalog import policy
from catalog.models.products import Product

MAX_ID = 2**31 - 1  # largest value of an INTEGER primary key


def get_product(product_id, *, lock=False) -> Product:
    """The product or `NotFound` (also for ids that are not numbers).

    `lock=True` (use cases that change it) reads the row FOR UPDATE (PostgreSQL) and refreshes
    it, so two concurrent use cases are serialised and the second sees the first one's status.
    """
    options = {"with_for_update": {"of": Product}, "populate_existing": True} if lock else {}
    try:
        pid = int(product_id)
    except (TypeError, ValueError):
        pid = None
    # An id no row can have (not positive, or past the largest INTEGER: `products.id` is a 32-bit
    # column on PostgreSQL) is no product, not an overflow.
    product = db.session.get(Product, pid, **options) if pid is not None and 0 < pid <= MAX_ID else None
    if product is None:
        raise NotFound(N_("No such product."))
    return product


def product_for_edit(actor, product_id, *, lock=True) -> Product:
    """The product if `actor` may change it (`policy.can_edit_product`), else `PermissionDenied`."""
    product = get_product(product_id, lock=lock)
    if not policy.can_edit_product(actor, product):
        raise PermissionDenied(N_("You can change only your own organisation's products."))
    return product


def product_for_review(actor, product_id, *, lock=True) -> Product:
    """The product if `actor` may review it (`policy.can_review_product`), else `PermissionDenied`."""
    product = get_product(product_id, lock=lock)
    if not policy.can_review_product(actor, product):
        raise PermissionDenied(N_("Only platform reviewers can do this."))
    return product


def supplier_of(actor):
    """The actor's supplier organisation (`policy.is_supplier`), or `PermissionDenied`."""
    if not policy.is_supplier(actor):
        raise PermissionDenied(N_("Only suppliers can list products."))
    return actor.organisation
