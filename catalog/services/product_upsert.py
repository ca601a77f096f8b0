"""The product kernel: `upsert_product` validates product data and creates or changes a
supplier's product with its evidence, without committing.

Single-product use cases (`catalog.services.product_edit`) call it inside their transaction;
the bulk import (`catalog.importing.runner`) calls it row after row with an `UpsertContext`
(`catalog.services.product_bulk`). Changing what a reviewer checked (category, indicator values,
certificates, test reports) on a submitted, verified or listed product reopens it (back to
draft, the `reopen` move of `catalog.product_states`); price and text edits do not.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from core import audit as audit_log
from core.errors import ValidationError
from core.extensions import db
from core.i18n import N_
from core.timeutil import today_cn, utcnow

from catalog import units
from catalog.indicator_values import declared_problems
from catalog.models.products import CarbonDeclaration, Certificate, Product, ProductIndicatorValue, TestReport
from catalog.models.standards import Category
from catalog.product_states import PRODUCT, REVIEWED_STATUSES
from catalog.services import deferred
from catalog.services import product_validation as V
from catalog.services.product_bulk import UpsertContext, queue_children
from catalog.services.verdicts import pilot_cities, refresh_verdicts, rule_units, rules_by_key

DUPLICATE_SKU = N_("You already have a product with this SKU.")
#: Stored as the product's review note when a change reopens it (shown translated).
REOPENED_NOTE = N_("Changed after review; submit again.")


def _reopen(product: Product) -> None:
    """The `reopen` move (back to draft for a new review), applied atomically: `IllegalMove`
    (409) if a reviewer moved the product meanwhile to a state it cannot reopen from."""
    PRODUCT.check(product.status, "reopen")
    PRODUCT.apply(Product, product.id, "reopen", review_note=REOPENED_NOTE)


def _resolve_category(data, ctx: UpsertContext | None, errors):
    """Category from `category` (code) or `category_id`; None when neither is given."""
    code = data.get("category") if "category" in data else data.get("category_code")
    if not V.blank(code):
        code = str(code).strip()
        cat = ctx.categories.get(code) if ctx is not None and ctx.categories else None
        if cat is None and not (ctx is not None and ctx.categories):
            cat = db.session.execute(select(Category).filter_by(code=code)).scalar_one_or_none()
        if cat is None:
            errors["category"] = (N_("Unknown category '%(code)s'."), {"code": code})
        return cat
    if not V.blank(data.get("category_id")):
        try:
            cat = db.session.get(Category, int(data["category_id"]))
        except (TypeError, ValueError):
            cat = None
        if cat is None:
            errors["category_id"] = N_("Unknown category.")
        return cat
    return None


def _lookup(supplier, sku, ctx):
    if ctx is not None and ctx.products is not None:
        return ctx.products.get(sku)
    return db.session.execute(
        select(Product).where(Product.supplier_id == supplier.id, Product.sku == sku)
    ).unique().scalar_one_or_none()


@dataclass
class Cleaned:
    """Product data after validation (`clean_product_data`): what `upsert_product` applies."""

    sku: str | None
    product: Product | None  # the existing product with that SKU, None for a new one
    values: dict  # text columns given
    category: Category | None
    price: int | None
    declared: dict | None  # {key: (num, text, unit)}; None = indicators not given
    cert: dict | None
    report: dict | None
    carbon: dict | None

    @property
    def is_new(self) -> bool:
        return self.product is None


def clean_product_data(supplier, data: dict, *, context: UpsertContext | None = None, product: Product | None = None,
                       create_only=False, today: dt.date | None = None) -> Cleaned:
    """Validate product data against the product it would change (found by SKU unless given);
    raises `ValidationError` (fields keyed by the data keys), writes nothing. The first half of
    `upsert_product`; the bulk import also calls it alone to check rows before writing any."""
    if not isinstance(data, dict):
        raise ValidationError(N_("Product data must be an object."))
    today = today or today_cn()
    errors: dict = {}
    sku = V.text(data, "sku", errors, max_len=64, required=product is None)
    if product is None and sku is not None:
        product = _lookup(supplier, sku, context)
        if product is not None and create_only:
            errors["sku"] = DUPLICATE_SKU
    elif product is not None and sku is not None and sku != product.sku:
        if _lookup(supplier, sku, None) is not None:
            errors["sku"] = DUPLICATE_SKU
    is_new = product is None

    values = {}
    for key, max_len in (("name_zh", 200), ("name_en", 200), ("brand", 120), ("model_spec", 200),
                         ("unit", 32), ("manufacturer", 200), ("plant", 200), ("description", 10000)):
        if key in data:
            values[key] = V.text(data, key, errors, max_len=max_len) or ""
    if is_new or "name_zh" in data or "name_en" in data:
        name_zh = values.get("name_zh", product.name_zh if product else "")
        name_en = values.get("name_en", product.name_en if product else "")
        if not name_zh and not name_en and "name_zh" not in errors and "name_en" not in errors:
            errors["name_en"] = N_("Give a name in English or Chinese.")
    category = _resolve_category(data, context, errors)
    if category is None and is_new and "category" not in errors and "category_id" not in errors:
        errors["category"] = V.REQUIRED
    price_field, price = V.price_fen(data, errors)
    if is_new and price_field is None:
        errors["list_price_fen"] = V.REQUIRED
    declared = V.indicators(data.get("indicators"), errors) if "indicators" in data else None
    if declared:
        _check_units(declared, category or (product.category if product is not None else None), context, today, errors)
    cert = V.certificate(data.get("certificate"), errors)
    report = V.test_report(data.get("test_report"), errors)
    carbon = V.carbon(data.get("carbon"), errors)
    if errors:
        raise ValidationError(N_("Please correct the highlighted fields."), errors)
    return Cleaned(sku, product, values, category, price, declared, cert, report, carbon)


def upsert_product(supplier, data: dict, actor, *, audit=True, context: UpsertContext | None = None,
                   product: Product | None = None, create_only=False, today: dt.date | None = None) -> Product:
    """Validate `data` and create or update the supplier's product with that SKU (no commit).

    `data` keys (absent keys keep current values on update): sku, name_zh, name_en,
    category (code) or category_id, brand, model_spec, unit, list_price_fen (integer) or
    list_price (yuan), manufacturer, plant, description, indicators (`{key: value}`,
    `{key: {"value", "unit"}}` or a list of `{"key","value","unit"}`; replaces all declared
    values when given), certificate / test_report / carbon (objects, each optional; a
    certificate with a known number updates it).

    Raises `ValidationError` whose `fields` use the data keys ("sku", "list_price_fen",
    "indicators.u_value", "certificate.star_grade", ...). Nothing is added when it raises.
    """
    today = today or today_cn()
    c = clean_product_data(supplier, data, context=context, product=product, create_only=create_only, today=today)
    sku, product, values, category, price = c.sku, c.product, c.values, c.category, c.price
    declared, cert, report, carbon = c.declared, c.cert, c.report, c.carbon
    is_new = c.is_new

    before = None if (is_new or not audit) else product.snapshot()
    review_relevant = False
    inputs_changed = is_new  # what the verdicts depend on: category, indicators, carbon
    children_changed = False
    if is_new:
        product = Product(supplier_id=supplier.id, sku=sku, status="draft", name_zh="", name_en="", brand="",
                          model_spec="", unit="", manufacturer="", plant="", description="", list_price_fen=0)
        if not (context is not None and context.bulk and not audit):
            product.supplier = supplier
            # Fresh collections: no lazy load (and no query) for a product that has no rows yet.
            # (In bulk mode they stay unset: the rows are queued and the collections expired.)
            for rel in ("indicator_values", "certificates", "test_reports", "carbon_declarations", "verdicts",
                        "document_links"):
                set_committed_value(product, rel, [])
        db.session.add(product)
        if context is not None and context.products is not None:
            context.products[sku] = product
    elif sku is not None:
        product.sku = sku
    for key, value in values.items():
        setattr(product, key, value)
    if price is not None:
        product.list_price_fen = price
    if category is not None and product.category_id != category.id:
        review_relevant = review_relevant or not is_new
        inputs_changed = True
        product.category = category
        product.category_id = category.id
    if not product.unit and category is not None:
        product.unit = getattr(category, "default_unit", None) or getattr(category, "unit", "") or ""
    bulk = (context is not None and context.bulk and not audit
            and (is_new or deferred.entry(product, create=False) is not None))
    if bulk:
        # New product in a bulk import: children are queued and inserted in bulk on flush.
        queue_children(product, declared, cert, report, carbon, context, today)
        inputs_changed = False  # verdicts queued above
    else:
        if declared is not None and _set_indicators(product, declared):
            inputs_changed = children_changed = True
            review_relevant |= not is_new
        if cert is not None and _upsert_certificate(product, cert):
            children_changed = True
            review_relevant |= not is_new
        if report is not None and _upsert_test_report(product, report):
            children_changed = True
            review_relevant |= not is_new
        if carbon is not None and _upsert_carbon(product, carbon):
            inputs_changed = children_changed = True
    if review_relevant and product.status in REVIEWED_STATUSES:
        _reopen(product)
    if children_changed and not is_new:
        product.updated_at = utcnow()  # own columns bump it themselves (onupdate)
    if inputs_changed and (context is None or context.refresh):
        refresh_verdicts(product, rules_cache=context.rules_cache if context else None,
                         cities=context.cities if context else None, today=today)
    if audit:
        after = product.snapshot()
        if is_new or after != before:
            audit_log.record("product.create" if is_new else "product.update", product,
                         before=before, after=after, actor=actor)
    return product


def _check_units(declared: dict, category, ctx, today, errors) -> None:
    """Declared values must fit their indicator's type (number, grade on the scale, yes/no:
    `catalog.indicator_values`), and units must be known and convertible to the standard's unit
    for that indicator. A numeric value given without a unit is taken to be in the standard's unit.
    """
    expected = {}
    if category is not None:
        if ctx is not None and ctx.cities is None:
            ctx.cities = pilot_cities()
        cities, cache = (ctx.cities, ctx.rules_cache) if ctx else (None, None)
        expected = cache.get(("rule_units", category.id, today)) if cache is not None else None
        if expected is None:  # once per category with a cache (bulk import), not once per row
            expected = rule_units(category, cities=cities, today=today, cache=cache)
            if cache is not None:
                cache[("rule_units", category.id, today)] = expected
        for key, problem in declared_problems(declared, rules_by_key(category, cities=cities, today=today,
                                                                     cache=cache)).items():
            errors[f"indicators.{key}"] = problem
    for key, (num, txt, unit) in list(declared.items()):
        if num is None or f"indicators.{key}" in errors:
            continue
        want = expected.get(key)
        if not unit and want:
            declared[key] = (num, txt, want)
            continue
        problem = _unit_problem(unit, want)
        if problem:
            errors[f"indicators.{key}"] = problem


@functools.lru_cache(maxsize=4096)
def _unit_problem(unit: str, want: str | None) -> tuple[str, dict] | None:
    """Why a declared unit cannot be used for a rule's unit (None when it can). Pure, cached."""
    if unit and not units.is_known(unit):
        return N_("Unknown unit '%(unit)s'."), {"unit": unit}
    if want is not None and not units.compatible(unit, want):
        return (N_("Unit '%(unit)s' cannot be converted to '%(wanted)s' required by the standard."),
                {"unit": unit or "-", "wanted": want or "-"})
    return None


def _set_indicators(product: Product, declared: dict) -> bool:
    """Replace declared values; returns True when anything changed."""
    changed = False
    current = {iv.key: iv for iv in product.indicator_values}
    for key, iv in current.items():
        if key not in declared:
            product.indicator_values.remove(iv)
            changed = True
    for key, (num, txt, unit) in declared.items():
        iv = current.get(key)
        if iv is None:
            product.indicator_values.append(ProductIndicatorValue(key=key, value_num=num, value_text=txt, unit=unit))
            changed = True
        elif (iv.value_num, iv.value_text, iv.unit) != (num, txt, unit):
            iv.value_num, iv.value_text, iv.unit = num, txt, unit
            changed = True
    return changed


def _upsert_certificate(product: Product, data: dict) -> bool:
    for cert in product.certificates:
        if cert.number == data["number"]:
            changed = False
            for key, value in data.items():
                if getattr(cert, key) != value:
                    setattr(cert, key, value)
                    changed = True
            if changed:
                # A changed certificate keeps its number and validity and records the change date.
                cert.changed_on = today_cn()
            return changed
    product.certificates.append(Certificate(**data))
    return True


def _upsert_test_report(product: Product, data: dict) -> bool:
    for rep in product.test_reports:
        if rep.number == data["number"]:
            changed = any(getattr(rep, k) != v for k, v in data.items())
            for key, value in data.items():
                setattr(rep, key, value)
            return changed
    product.test_reports.append(TestReport(**data))
    return True


def _upsert_carbon(product: Product, data: dict) -> bool:
    current = product.current_carbon()
    if current is not None and all(getattr(current, k) == v for k, v in data.items()):
        return False
    product.carbon_declarations.insert(0, CarbonDeclaration(**data))
    return True
