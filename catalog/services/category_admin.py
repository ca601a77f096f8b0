"""Category administration: platform administrators rename categories and set their default units."""
from __future__ import annotations

from core import audit
from core.errors import NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.i18n import N_
from core.services import unit_of_work

from catalog import policy
from catalog.models.standards import Category
from catalog.services import product_validation as V


def update_category(category_id: int, data: dict, *, actor) -> Category:
    """Edit a category's names and default unit (`policy.can_edit_categories`). One transaction
    with its audit event."""
    if not policy.can_edit_categories(actor):
        raise PermissionDenied(N_("Only platform administrators edit categories."))
    errors: dict = {}
    clean = {}
    for field, max_len, required in (("name_en", 200, True), ("name_zh", 200, True), ("default_unit", 32, False)):
        if field not in data:
            continue
        value = V.text(data, field, errors, max_len=max_len, required=required)
        if field not in errors:
            clean[field] = value or ""
    if errors:
        raise ValidationError(N_("Please correct the highlighted fields."), errors)
    with unit_of_work():
        category = db.session.get(Category, category_id)
        if category is None:
            raise NotFound(N_("No such category."))
        before = category.snapshot()
        for field, value in clean.items():
            setattr(category, field, value)
        after = category.snapshot()
        if after != before:
            audit.record("category.update", category, before=before, after=after, actor=actor)
    return category
