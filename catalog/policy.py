"""Object-level rules for catalog products (role checks are `core.policy`)."""
from __future__ import annotations

from core import roles

PUBLIC_STATUSES = ("listed", "suspended")


def _has(user, *names) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.has_role(*names))


def is_reviewer(user) -> bool:
    return _has(user, roles.PLATFORM_REVIEWER, roles.PLATFORM_ADMIN)


def owns_product(user, product) -> bool:
    """The user works for the supplier organisation that owns the product."""
    return (
        _has(user, roles.SUPPLIER)
        and user.organisation_id is not None
        and user.organisation_id == product.supplier_id
    )


def can_edit_product(user, product) -> bool:
    """Suppliers edit only their own products."""
    return owns_product(user, product)


def can_view_product(user, product) -> bool:
    """Listed (and suspended, shown as such) products are public; drafts only to owner and reviewers."""
    if product.status in PUBLIC_STATUSES:
        return True
    return owns_product(user, product) or is_reviewer(user)


def can_review_product(user, product=None) -> bool:
    return is_reviewer(user)


def can_view_document(user, product) -> bool:
    """Evidence of a public product is public; otherwise owner and reviewers only."""
    return can_view_product(user, product)
