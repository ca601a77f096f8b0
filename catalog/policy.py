"""Every catalog rule about who may do what, one function each.

Services enforce them (raising `PermissionDenied`), routes check them before rendering, and
templates ask the same functions through `can(...)` (registered by `catalog.register`). Built on
`core.policy`'s principal checks; a missing fact (no organisation, no status) is a "no".
"""
from __future__ import annotations

from core import roles as R
from core.policy import has_role, in_organisation, is_platform, organisation_of

from catalog.product_states import PUBLIC_STATUSES

SUSPENDED_BY_REVIEW = "review"


def is_supplier_organisation(organisation) -> bool:
    """A supplier firm (products are listed and imported only for one). Fail closed: an
    organisation of unknown kind is not."""
    return organisation is not None and getattr(organisation, "kind", None) == R.ORG_SUPPLIER


def is_supplier(user) -> bool:
    """A person of a supplier firm holding the supplier role: may create and import products."""
    return has_role(user, R.SUPPLIER) and is_supplier_organisation(organisation_of(user))


def supplier_is_verified(organisation) -> bool:
    """The platform verified the supplier firm (needed before its products go to review).
    Fail closed: an organisation without a known status is not verified."""
    return organisation is not None and getattr(organisation, "status", None) == "verified"


def owns_product(user, product) -> bool:
    """The user holds the supplier role in the organisation that owns the product."""
    return has_role(user, R.SUPPLIER) and in_organisation(user, product.supplier_id)


def can_edit_product(user, product) -> bool:
    """Suppliers change only their own organisation's products (and their evidence)."""
    return owns_product(user, product)


def can_review_product(user, product=None) -> bool:
    """Platform reviewers (and administrators) verify, reject and suspend products and record
    certificate decisions."""
    return is_platform(user)


def can_view_product(user, product) -> bool:
    """Listed (and suspended, shown as such) products are public; the others only to their
    supplier and to reviewers."""
    if product.status in PUBLIC_STATUSES:
        return True
    return owns_product(user, product) or can_review_product(user, product)


def can_view_document(user, product) -> bool:
    """Evidence of a public product is public; otherwise its supplier and reviewers only."""
    return can_view_product(user, product)


def can_reinstate_product(user, product) -> bool:
    """A reviewer reinstates any suspended product; its supplier only one suspended automatically
    (a lapsed certificate), not one a reviewer suspended."""
    if can_review_product(user, product):
        return True
    return owns_product(user, product) and product.suspension_kind != SUSPENDED_BY_REVIEW


def can_see_all_product_statuses(user) -> bool:
    """Product lists beyond the listed ones (drafts, queues) across suppliers: reviewers only."""
    return can_review_product(user)


def can_edit_categories(user) -> bool:
    """Platform administrators rename categories and set their default units."""
    return has_role(user, R.PLATFORM_ADMIN)
