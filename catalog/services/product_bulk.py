"""Bulk writing of products (the import's inner loop): caches for repeated upserts, the
queued child rows of new products, and `new_product_rows` (a new product as plain table rows).

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
from catalog.services.verdicts import compute_verdicts, details_json, pilot_cities, refresh_verdicts, values_from


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


class _CategoryOnly:
    """What `compute_verdicts` needs of a product that does not exist yet."""

    __slots__ = ("category",)

    def __init__(self, category):
        self.category = category


def new_product_rows(supplier_id: int, cleaned, ctx: UpsertContext, *, today, now, details_seen: dict,
                     import_digest: str | None = None) -> dict:
    """A new product (validated by `product_upsert.clean_product_data`) as plain rows per table:
    ``{"products": row, "product_indicator_values": [...], "certificates": [...], "test_reports":
    [...], "carbon_declarations": [...], "product_verdicts": [...], "verdict_details": [...]}``.

    Child rows have no ``product_id`` yet (the writer adds it). The columns are the ones
    `upsert_product` gives a new product: draft, blank text, the category's default unit.
    ``details_seen`` (digest -> True) is shared over an import, so each distinct verdict detail is
    returned once (in ``verdict_details``, as ``(digest, canonical JSON text)``).
    """
    category = cleaned.category
    values = cleaned.values
    unit = values.get("unit") or getattr(category, "default_unit", None) or getattr(category, "unit", "") or ""
    product = {
        "supplier_id": supplier_id, "sku": cleaned.sku, "status": "draft", "category_id": category.id,
        "name_zh": values.get("name_zh", ""), "name_en": values.get("name_en", ""), "brand": values.get("brand", ""),
        "model_spec": values.get("model_spec", ""), "unit": unit, "list_price_fen": cleaned.price or 0,
        "manufacturer": values.get("manufacturer", ""), "plant": values.get("plant", ""),
        "description": values.get("description", ""), "created_at": now, "updated_at": now,
        "import_digest": import_digest, "imported_at": now if import_digest else None,
    }
    declared = cleaned.declared or {}
    out = {
        "products": product,
        "product_indicator_values": [{"key": k, "value_num": num, "value_text": txt, "unit": u}
                                     for k, (num, txt, u) in declared.items()],
        "certificates": ([{"number": None, "body": "", "star_grade": None, "standard": "", "issued_on": None,
                           "expires_on": None, "status": "valid", "changed_on": None, "document_id": None,
                           **cleaned.cert}] if cleaned.cert else []),
        "test_reports": ([{"document_id": None, **cleaned.report}] if cleaned.report else []),
        "carbon_declarations": ([{**cleaned.carbon, "created_at": now}] if cleaned.carbon else []),
        "product_verdicts": [],
        "verdict_details": [],
    }
    if ctx.refresh:
        rows = compute_verdicts(_CategoryOnly(category), cities=ctx.cities, rules_cache=ctx.rules_cache, today=today,
                                values=values_from(declared, cleaned.carbon))
        digests: dict = {}
        for r in rows:
            details = r["details"]
            digest = digests.get(id(details))
            if digest is None:
                digest, text = details_json(details, r["details_json"])
                digests[id(details)] = digest
                if digest not in details_seen:
                    details_seen[digest] = True
                    out["verdict_details"].append((digest, text))
            out["product_verdicts"].append({"city_id": r["city_id"], "standard_version_id": r["standard_version_id"],
                                            "verdict": r["verdict"], "details_digest": digest, "evaluated_at": now})
    return out
