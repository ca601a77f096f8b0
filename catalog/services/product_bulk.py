"""Bulk writing of products: caches for repeated upserts, the queued child rows of new
products, and the import's plain rows.

`make_upsert_context(supplier)` loads categories (and optionally the supplier's products) once;
`catalog.services.product_upsert.upsert_product(..., audit=False, context=ctx)` then validates
each row without per-row queries. With `ctx.bulk` (default) a new product's indicator values,
certificate, report, carbon declaration and verdicts are queued (`queue_children`) and inserted
with one statement per table right after the flush that gives the products their ids
(`catalog.services.deferred`).

The bulk import (`catalog.importing.runner`) validates rows with `clean_product_data` and turns
them into plain tuples without ORM objects: `NewRows` (a new product as `upsert_product` would
create it) and `ChangedRows` (what `upsert_product` would change in an existing product, read
with `load_current`: the same comparisons, the `reopen` move when a reviewer's check is affected,
verdicts refreshed only when their inputs changed). `tests/catalog/importing/test_import_changes.py`
checks both paths give the same database state.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from sqlalchemy import select

from core.extensions import db
from core.timeutil import utcnow

from catalog.models.products import Product
from catalog.models.standards import Category
from catalog.services import deferred
from catalog.services.verdicts import (compute_verdicts, details_json, pilot_cities, refresh_verdicts,
                                       rules_by_key, values_from)


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



# --------------------------------------------------------------------------- plain rows (import)
#
# The import turns checked rows into plain tuples, one list per table and operation, in these
# column orders (`catalog.importing.tables` encodes and writes them). Child rows carry their
# product first: for a new product its position in `NewRows.products` (the writer puts the id
# there), for an existing one its id.

NEW_PRODUCT = ("supplier_id", "sku", "status", "category_id", "name_zh", "name_en", "brand", "model_spec", "unit",
               "list_price_fen", "manufacturer", "plant", "description", "created_at", "updated_at", "import_digest",
               "imported_at")
INSERTS = {
    "product_indicator_values": ("product_id", "key", "value_num", "value_text", "unit"),
    "certificates": ("product_id", "number", "body", "star_grade", "standard", "issued_on", "expires_on", "status",
                     "changed_on", "document_id"),
    "test_reports": ("product_id", "number", "lab", "issued_on", "covers", "document_id"),
    "carbon_declarations": ("product_id", "declared_unit", "gwp_a1a3", "valid_until", "program_operator", "created_at"),
    "product_verdicts": ("product_id", "city_id", "standard_version_id", "verdict", "details_digest", "evaluated_at"),
}
#: Changed products: own columns set by `upsert_product` plus the import's stamp, id first; the
#: update applies only while `updated_at` is still what the check saw (`CHANGE_GUARD`).
PRODUCT_UPDATE = ("id", "name_zh", "name_en", "brand", "model_spec", "unit", "list_price_fen", "manufacturer", "plant",
                  "description", "category_id", "status", "review_note", "import_digest", "imported_at", "updated_at")
CHANGE_GUARD = "updated_at"
UPDATES = {
    "product_indicator_values": ("id", "value_num", "value_text", "unit"),
    "certificates": ("id", "number", "body", "star_grade", "standard", "issued_on", "expires_on", "status",
                     "changed_on"),
    "test_reports": ("id", "number", "lab", "issued_on", "covers"),
    "product_verdicts": ("id", "standard_version_id", "verdict", "details_digest", "evaluated_at"),
}
_TEXT_COLUMNS = ("name_zh", "name_en", "brand", "model_spec", "unit", "manufacturer", "plant", "description")
_CERT_KEYS = ("number", "body", "star_grade", "standard", "issued_on", "expires_on", "status")
_REPORT_KEYS = ("number", "lab", "issued_on", "covers")
_CARBON_KEYS = ("declared_unit", "gwp_a1a3", "valid_until", "program_operator")

#: `app.extensions` key: callables ``(session, product_ids)`` told about products written by
#: plain SQL, which the unit of work does not see (the search outbox adds itself here).
WRITTEN_LISTENERS = "catalog.products_written"


def announce_written(product_ids) -> None:
    """Tell the listeners (`WRITTEN_LISTENERS`) that these products were written in the current
    transaction by plain SQL (bulk import)."""
    from flask import current_app

    ids = list(product_ids)
    if not ids:
        return
    for listener in current_app.extensions.get(WRITTEN_LISTENERS, ()):
        listener(db.session, ids)


class _CategoryOnly:
    """What `compute_verdicts` needs of a product: its category."""

    __slots__ = ("category",)

    def __init__(self, category):
        self.category = category


def _unit_of(category) -> str:
    return getattr(category, "default_unit", None) or getattr(category, "unit", "") or ""


MAX_VERDICT_MEMO = 10_000
#: Per-rule results `compute_verdicts` remembers in ``ctx.rules_cache`` ("rule_results"): kept
#: below this between chunks of an import, so memory does not grow with the distinct values.
MAX_RULE_RESULTS = 5_000


def bound_caches(ctx: UpsertContext) -> None:
    """Between chunks of a bulk run: drop remembered results over their bounds (they are only
    shortcuts; everything is computed again when needed)."""
    found = ctx.rules_cache.get("rule_results")
    if found is not None and len(found) > MAX_RULE_RESULTS:
        found.clear()


def _verdict_rows(category, declared: dict, carbon: dict | None, ctx: UpsertContext, today, details_seen: dict,
                  details: list) -> tuple:
    """`compute_verdicts` for a category and declared values: ``(city id, version id, verdict,
    details digest)`` per pilot city. Details not seen before in this import are appended to
    ``details`` as ``(digest, JSON text)``.

    Verdicts depend only on the values of the keys the category's rules use (not, say, a price
    or a carbon figure no rule reads), and many products declare the same ones: the rows are
    remembered per category and those values (bounded; the oldest half is dropped when full),
    and reused while their details are known to be staged in this import."""
    cache = ctx.rules_cache
    keys = cache.get(("import_rule_keys", category.id, today))
    if keys is None:
        keys = cache[("import_rule_keys", category.id, today)] = tuple(sorted(
            rules_by_key(category, cities=ctx.cities, today=today, cache=cache)))
    from_carbon = (carbon["gwp_a1a3"], carbon["declared_unit"]) if (
        carbon is not None and "gwp_a1a3" in keys and "gwp_a1a3" not in declared) else None
    memo = cache.setdefault("import_verdicts", {})
    key = (category.id, today, tuple(declared.get(k) for k in keys), from_carbon)
    found = memo.get(key)
    if found is not None and all(r[3] in details_seen for r in found):
        return found
    rows = compute_verdicts(_CategoryOnly(category), cities=ctx.cities, rules_cache=cache, today=today,
                            values=values_from(declared, carbon))
    digests: dict = {}
    out = []
    for r in rows:
        found = r["details"]
        digest = digests.get(id(found))
        if digest is None:
            digest, text = details_json(found, r["details_json"])
            digests[id(found)] = digest
            if digest not in details_seen:
                details_seen[digest] = True
                details.append((digest, text))
        out.append((r["city_id"], r["standard_version_id"], r["verdict"], digest))
    out = tuple(out)
    if len(memo) >= MAX_VERDICT_MEMO:
        for old in list(itertools.islice(memo, MAX_VERDICT_MEMO // 2)):
            del memo[old]
    memo[key] = out
    return out


class NewRows:
    """New products of one chunk as plain rows (`NEW_PRODUCT`, `INSERTS`; children hold their
    product's position in `products`), the verdict details first seen here, and the file rows."""

    def __init__(self):
        self.products: list[tuple] = []
        self.rows: list[int] = []
        self.inserts: dict[str, list[tuple]] = {table: [] for table in INSERTS}
        self.details: list[tuple[str, str]] = []

    def __len__(self):
        return len(self.products)

    def add(self, supplier_id: int, cleaned, ctx: UpsertContext, *, row: int, today, now, details_seen: dict,
            import_digest: str | None = None) -> None:
        """Add a new product validated by `product_upsert.clean_product_data`: the columns
        `upsert_product` gives a new product (draft, blank text, the category's default unit),
        its evidence and its verdicts for the pilot cities."""
        category = cleaned.category
        values = cleaned.values
        get = values.get
        pos = len(self.products)
        self.rows.append(row)
        self.products.append((
            supplier_id, cleaned.sku, "draft", category.id, get("name_zh", ""), get("name_en", ""), get("brand", ""),
            get("model_spec", ""), get("unit") or _unit_of(category), cleaned.price or 0, get("manufacturer", ""),
            get("plant", ""), get("description", ""), now, now, import_digest, now if import_digest else None))
        ins = self.inserts
        declared = cleaned.declared or {}
        if declared:
            ins["product_indicator_values"].extend((pos, k, num, txt, u) for k, (num, txt, u) in declared.items())
        cert = cleaned.cert
        if cert:
            ins["certificates"].append((pos, cert["number"], cert.get("body", ""), cert.get("star_grade"),
                                        cert.get("standard", ""), cert.get("issued_on"), cert.get("expires_on"),
                                        cert.get("status", "valid"), None, None))
        report = cleaned.report
        if report:
            ins["test_reports"].append((pos, report["number"], report["lab"], report["issued_on"], report["covers"],
                                        None))
        carbon = cleaned.carbon
        if carbon:
            ins["carbon_declarations"].append((pos, carbon["declared_unit"], carbon["gwp_a1a3"], carbon["valid_until"],
                                               carbon["program_operator"], now))
        if ctx.refresh:
            ins["product_verdicts"].extend(
                (pos, city_id, version_id, verdict, digest, now) for city_id, version_id, verdict, digest in
                _verdict_rows(category, declared, carbon, ctx, today, details_seen, self.details))


# --------------------------------------------------------------------------- changed products


class Current:
    """An existing product as stored (read with plain queries, no ORM object): what
    `clean_product_data` validates against and what a changed row is compared with."""

    __slots__ = ("id", "sku", "status", "review_note", "category_id", "category", "name_zh", "name_en", "brand",
                 "model_spec", "unit", "list_price_fen", "manufacturer", "plant", "description", "updated_at",
                 "indicators", "certificates", "reports", "carbon", "verdicts")

    def __init__(self, **kw):
        for name in self.__slots__:
            setattr(self, name, kw.get(name))


def member_of(dialect):
    """``column IN (ids)``; on PostgreSQL ``column = ANY(array)``: one parameter, not thousands
    to bind and plan."""
    if dialect.name == "postgresql":
        from sqlalchemy import any_, bindparam
        from sqlalchemy.dialects.postgresql import ARRAY

        return lambda column, ids: column == any_(bindparam(None, list(ids), type_=ARRAY(column.type)))
    return lambda column, ids: column.in_(ids)


def load_current(ids: list[int], categories: dict) -> dict[str, Current]:
    """The products with these ids and their evidence and verdicts, by SKU (one query per
    table). ``categories``: id -> Category."""
    from catalog.models.products import (CarbonDeclaration, Certificate, ProductIndicatorValue, ProductVerdict,
                                         TestReport)

    if not ids:
        return {}
    among = member_of(db.session.get_bind().dialect)
    run = db.session.execute
    P = Product.__table__.c
    found: dict[int, Current] = {}
    for r in run(select(P.id, P.sku, P.status, P.review_note, P.category_id, P.name_zh, P.name_en, P.brand,
                        P.model_spec, P.unit, P.list_price_fen, P.manufacturer, P.plant, P.description,
                        P.updated_at).where(among(P.id, ids))):
        cur = Current(**r._mapping)
        cur.category = categories.get(cur.category_id)
        cur.indicators, cur.certificates, cur.reports, cur.verdicts = {}, [], [], {}
        found[cur.id] = cur
    ids = list(found)
    I = ProductIndicatorValue.__table__.c  # noqa: E741
    for pid, iid, key, num, txt, unit in run(select(I.product_id, I.id, I.key, I.value_num, I.value_text, I.unit)
                                             .where(among(I.product_id, ids))):
        found[pid].indicators[key] = (iid, num, txt, unit)
    C = Certificate.__table__.c
    # The ORM's order of `Product.certificates`: the first certificate with a number is the one
    # `upsert_product` changes.
    for r in run(select(C.product_id, C.id, *(C[k] for k in _CERT_KEYS)).where(among(C.product_id, ids))
                 .order_by(C.product_id, C.expires_on.desc(), C.id)):
        found[r[0]].certificates.append((r[1], dict(zip(_CERT_KEYS, r[2:]))))
    T = TestReport.__table__.c
    for r in run(select(T.product_id, T.id, *(T[k] for k in _REPORT_KEYS)).where(among(T.product_id, ids))
                 .order_by(T.product_id, T.issued_on.desc(), T.id)):
        found[r[0]].reports.append((r[1], dict(zip(_REPORT_KEYS, r[2:]))))
    K = CarbonDeclaration.__table__.c
    for r in run(select(K.product_id, *(K[k] for k in _CARBON_KEYS)).where(among(K.product_id, ids))
                 .order_by(K.product_id, K.id)):
        found[r[0]].carbon = dict(zip(_CARBON_KEYS, r[1:]))  # the last one (highest id) is current
    V = ProductVerdict.__table__.c
    for vid, pid, city_id, verdict, version_id, digest in run(
            select(V.id, V.product_id, V.city_id, V.verdict, V.standard_version_id, V.details_digest)
            .where(among(V.product_id, ids))):
        found[pid].verdicts[city_id] = (vid, verdict, version_id, digest)
    return {cur.sku: cur for cur in found.values()}


class ChangedRows:
    """Changes to existing products of one chunk as plain rows, computed the way `upsert_product`
    applies a row (same comparisons, reopen, verdict refresh) but without ORM objects.

    ``items``: ``(file row, product id, data, row digest)`` for each product (the writer falls
    back to `upsert_product` for a product changed by someone else since the check). Updates and
    deletes are ``(product id, row)`` pairs; inserts carry the product id first."""

    def __init__(self):
        self.items: list[tuple] = []
        self.products: list[tuple] = []  # PRODUCT_UPDATE + the guard's value seen by the check
        self.updates: dict[str, list[tuple]] = {table: [] for table in UPDATES}
        self.deletes: dict[str, list[tuple]] = {"product_indicator_values": []}
        self.inserts: dict[str, list[tuple]] = {table: [] for table in INSERTS}
        self.details: list[tuple[str, str]] = []

    def __len__(self):
        return len(self.items)

    def add(self, cur: Current, cleaned, ctx: UpsertContext, *, row: int, data: dict, today, now,
            details_seen: dict, import_digest: str) -> None:
        """Add the changes `upsert_product(supplier, data, ...)` makes to ``cur``."""
        from catalog.product_states import REVIEWED_STATUSES
        from catalog.services.product_upsert import REOPENED_NOTE

        pid = cur.id
        self.items.append((row, pid, data, import_digest))
        own = {name: getattr(cur, name) for name in _TEXT_COLUMNS}
        own.update(cleaned.values)
        price = cur.list_price_fen if cleaned.price is None else cleaned.price
        category = cleaned.category
        category_id, verdict_category = cur.category_id, cur.category
        review_relevant = inputs_changed = False
        if category is not None and cur.category_id != category.id:
            review_relevant = inputs_changed = True
            category_id, verdict_category = category.id, category
        if not own["unit"] and category is not None:
            own["unit"] = _unit_of(category)

        declared = cleaned.declared
        indicators = {k: (num, txt, unit) for k, (_i, num, txt, unit) in cur.indicators.items()}
        if declared is not None:
            changed = False
            for key, (iid, _n, _t, _u) in cur.indicators.items():
                if key not in declared:
                    self.deletes["product_indicator_values"].append((pid, iid))
                    changed = True
            for key, value in declared.items():
                stored = cur.indicators.get(key)
                if stored is None:
                    self.inserts["product_indicator_values"].append((pid, key, *value))
                    changed = True
                elif stored[1:] != value:
                    self.updates["product_indicator_values"].append((pid, (stored[0], *value)))
                    changed = True
            if changed:
                indicators = declared
                review_relevant = inputs_changed = True

        cert = cleaned.cert
        if cert is not None:
            for cid, stored in cur.certificates:
                if stored["number"] == cert["number"]:
                    if any(stored[k] != v for k, v in cert.items()):
                        merged = {**stored, **cert}
                        self.updates["certificates"].append((pid, (cid, *(merged[k] for k in _CERT_KEYS), today)))
                        review_relevant = True
                    break
            else:
                self.inserts["certificates"].append((pid, cert["number"], cert.get("body", ""), cert.get("star_grade"),
                                                     cert.get("standard", ""), cert.get("issued_on"),
                                                     cert.get("expires_on"), cert.get("status", "valid"), None, None))
                review_relevant = True

        report = cleaned.report
        if report is not None:
            for rid, stored in cur.reports:
                if stored["number"] == report["number"]:
                    if any(stored[k] != v for k, v in report.items()):
                        merged = {**stored, **report}
                        self.updates["test_reports"].append((pid, (rid, *(merged[k] for k in _REPORT_KEYS))))
                        review_relevant = True
                    break
            else:
                self.inserts["test_reports"].append((pid, report["number"], report["lab"], report["issued_on"],
                                                     report["covers"], None))
                review_relevant = True

        carbon = cur.carbon
        new_carbon = cleaned.carbon
        if new_carbon is not None and not (carbon is not None and all(carbon[k] == v for k, v in new_carbon.items())):
            self.inserts["carbon_declarations"].append((pid, new_carbon["declared_unit"], new_carbon["gwp_a1a3"],
                                                        new_carbon["valid_until"], new_carbon["program_operator"], now))
            carbon = new_carbon
            inputs_changed = True

        status, note = cur.status, cur.review_note
        if review_relevant and status in REVIEWED_STATUSES:
            status, note = "draft", REOPENED_NOTE  # the `reopen` move of `catalog.product_states`
        self.products.append((pid, own["name_zh"], own["name_en"], own["brand"], own["model_spec"], own["unit"], price,
                              own["manufacturer"], own["plant"], own["description"], category_id, status, note,
                              import_digest, now, now, cur.updated_at))

        if inputs_changed and ctx.refresh:
            # `refresh_verdicts`: unchanged verdicts are left alone, missing cities added.
            for city_id, version_id, verdict, digest in _verdict_rows(
                    verdict_category, indicators, carbon, ctx, today, details_seen, self.details):
                stored = cur.verdicts.get(city_id)
                if stored is None:
                    self.inserts["product_verdicts"].append((pid, city_id, version_id, verdict, digest, now))
                elif stored[1:] != (verdict, version_id, digest):
                    self.updates["product_verdicts"].append((pid, (stored[0], version_id, verdict, digest, now)))
