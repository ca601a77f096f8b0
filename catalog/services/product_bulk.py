"""Bulk writing of products (the import's inner loop): caches for repeated upserts and the
queued child rows of new products.

`make_upsert_context(supplier)` loads categories (and optionally the supplier's products) once;
`catalog.services.product_upsert.upsert_product(..., audit=False, context=ctx)` then validates
each row without per-row queries. With `ctx.bulk` (default) a new product's indicator values,
certificate, report, carbon declaration and verdicts are queued (`queue_children`) and inserted
with one statement per table right after the flush that gives the products their ids
(`catalog.services.deferred`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from core.extensions import db
from core.timeutil import utcnow

from catalog.models.products import Product
from catalog.models.standards import Category
from catalog.services import deferred
from catalog.services.verdicts import pilot_cities, refresh_verdicts, values_from


@dataclass
class UpsertContext:
    """Caches for calling `upsert_product` many times (bulk import): one query each, not per row.

    `categories` maps category code -> Category; `products` maps SKU -> Product for one
    supplier; `rules_cache` is shared by verdict refreshes.
    """

    supplier_id: int | None = None
    categories: dict = field(default_factory=dict)
    products: dict | None = None
    rules_cache: dict = field(default_factory=dict)
    cities: list | None = None
    refresh: bool = True
    # With audit off, a new product's evidence and verdicts are inserted in bulk when the
    # session flushes (catalog.services.deferred); its collections are empty until then.
    bulk: bool = True

    def preload(self, skus) -> None:
        """Load this supplier's products with these SKUs in one query, evidence included.

        For chunked imports: call once per chunk so re-imported rows need no per-row queries
        and memory stays bounded (`products` holds only the chunk's rows plus new ones).
        """
        from sqlalchemy.orm import selectinload

        skus = sorted({str(s).strip() for s in skus if s})
        self.products = {} if self.products is None else self.products
        if not skus:
            return
        rows = db.session.execute(
            select(Product).where(Product.supplier_id == self.supplier_id, Product.sku.in_(skus))
            .options(selectinload(Product.indicator_values), selectinload(Product.certificates),
                     selectinload(Product.test_reports), selectinload(Product.carbon_declarations))
        ).unique().scalars()
        for product in rows:
            self.products[product.sku] = product


def make_upsert_context(supplier, *, preload_products=True, refresh=True) -> UpsertContext:
    """Preload categories (and optionally the supplier's products) for repeated upserts."""
    cats = {c.code: c for c in db.session.execute(select(Category)).scalars()}
    products = None
    if preload_products:
        products = {p.sku: p for p in db.session.execute(
            select(Product).where(Product.supplier_id == supplier.id)).unique().scalars()}
    return UpsertContext(supplier_id=supplier.id, categories=cats, products=products, refresh=refresh,
                         cities=pilot_cities())


def queue_children(product, declared, cert, report, carbon, ctx, today) -> None:
    """Bulk path for a new product: merge this call's evidence into its queued rows."""
    data = deferred.entry(product)["data"]
    if declared is not None:
        data["indicators"] = declared
    if cert is not None:
        data.setdefault("certificates", {})[cert["number"]] = cert
    if report is not None:
        data.setdefault("reports", {})[report["number"]] = report
    if carbon is not None:
        data["carbon"] = carbon
    declared = data.get("indicators", {})
    deferred.queue(product, "product_indicator_values", [
        {"key": k, "value_num": num, "value_text": txt, "unit": unit} for k, (num, txt, unit) in declared.items()])
    deferred.queue(product, "certificates", [
        {"status": "valid", "changed_on": None, "document_id": None, **c} for c in data.get("certificates", {}).values()])
    deferred.queue(product, "test_reports", [{"document_id": None, **r} for r in data.get("reports", {}).values()])
    now = utcnow()
    deferred.queue(product, "carbon_declarations",
                   [{**data["carbon"], "created_at": now}] if data.get("carbon") else [])
    if ctx.refresh:
        refresh_verdicts(product, rules_cache=ctx.rules_cache, cities=ctx.cities, today=today, defer=True,
                         values=values_from(declared, data.get("carbon")))
