"""Products -> index documents.

`build_document` is pure (plain values in, a dict out). `load_documents` reads a batch of products
and their evidence with one query per table, which is what both the outbox dispatcher and the
bulk reindex use: so the two can never disagree about what a document contains.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Iterable, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .query import facet_tokens

PASS = "pass"


def _iso(value) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc).isoformat()
    return value.isoformat()


def valid_until(expires_on: dt.date) -> dt.datetime:
    """A certificate is valid through its expiry date (UTC), so it lapses at the next midnight."""
    return dt.datetime.combine(expires_on + dt.timedelta(days=1), dt.time(0, 0), tzinfo=dt.timezone.utc)


def build_document(*, product: dict, category: dict, supplier: dict, certificates: list[dict],
                   carbon: Optional[dict], verdicts: list[tuple[str, str]], fire_class: Optional[str],
                   version: int) -> dict:
    """One index document. `product`, `category`, `supplier` are column dicts; `certificates` are
    dicts with number, star_grade, status, expires_on; `verdicts` are (city code, verdict)."""
    valid = [c for c in certificates if c["status"] == "valid"]
    if valid:
        cert_status = "valid"
        stars = max(c["star_grade"] for c in valid)
        until = valid_until(max(c["expires_on"] for c in valid))
    else:
        # the most telling status of what is left, for reviewers' eyes
        order = ("suspended", "revoked", "expired")
        statuses = {c["status"] for c in certificates}
        cert_status = next((s for s in order if s in statuses), "none")
        stars = None
        until = None
    description = product.get("description") or ""
    doc = {
        "product_id": product["id"],
        "version": int(version),
        "sku": product["sku"],
        "name_zh": product.get("name_zh") or "",
        "name_en": product.get("name_en") or "",
        "brand": product.get("brand") or "",
        "model": product.get("model_spec") or "",
        "manufacturer": product.get("manufacturer") or "",
        # one free-text field in the database; indexed with both analyzers
        "description_zh": description,
        "description_en": description,
        "unit": product.get("unit") or "",
        "certificate_numbers": sorted({c["number"] for c in certificates if c.get("number")}),
        "category_id": category.get("id"),
        "category_code": category.get("code"),
        "category_name_zh": category.get("name_zh") or "",
        "category_name_en": category.get("name_en") or "",
        "group_code": category.get("group_code"),
        "supplier_id": str(product["supplier_id"]),
        "supplier_name_zh": supplier.get("name_zh") or "",
        "supplier_name_en": supplier.get("name_en") or "",
        "price_fen": product.get("list_price_fen"),
        "stars": stars,
        "gwp": float(carbon["gwp_a1a3"]) if carbon and carbon.get("gwp_a1a3") is not None else None,
        "gwp_unit": carbon.get("declared_unit") if carbon else None,
        "fire_class": fire_class.strip().upper() if fire_class else None,
        "cert_status": cert_status,
        "cert_valid_until": _iso(until),
        "compliant_cities": sorted({city for city, verdict in verdicts if verdict == PASS}),
        "verdicts": sorted(f"{city}:{verdict}" for city, verdict in verdicts),
        "status": product["status"],
        "listed": product["status"] == "listed",
        "created_at": _iso(product.get("created_at")),
        "updated_at": _iso(product.get("updated_at")),
    }
    # What the public filter and the facets read (mapping v2): visible to everyone until then,
    # and one token per facet value.
    doc["public_until"] = doc["cert_valid_until"] if doc["listed"] and cert_status == "valid" else None
    doc["facet_tokens"] = facet_tokens(doc)
    return doc


def current_versions(session: Session, ids: Optional[Iterable[int]] = None) -> dict[int, int]:
    """`{product id: newest outbox row id}`: the version a product's document should carry."""
    from .models import SearchOutbox

    q = select(SearchOutbox.entity_id, func.max(SearchOutbox.id)).where(SearchOutbox.entity == "product")
    if ids is not None:
        q = q.where(SearchOutbox.entity_id.in_(list(ids)))
    return {int(pid): int(v) for pid, v in session.execute(q.group_by(SearchOutbox.entity_id))}


def load_documents(session: Session, ids: list[int], versions: Optional[dict[int, int]] = None,
                   errors: Optional[dict[int, str]] = None) -> dict[int, dict]:
    """Documents for the given product ids that exist (a missing id means: delete it).

    With `errors` given, a product whose document cannot be built (bad data, e.g. a date the
    index cannot hold) is left out of the result and reported there as `{id: reason}`, so one
    bad product never stops the others; without it, the error propagates."""
    from catalog.models import (CarbonDeclaration, Category, CategoryGroup, Certificate, Product,
                                ProductIndicatorValue, ProductVerdict)
    from core.models import City, Organisation

    if not ids:
        return {}
    if versions is None:
        versions = current_versions(session, ids)
    P = Product.__table__.c
    rows = session.execute(
        select(P.id, P.sku, P.name_zh, P.name_en, P.brand, P.model_spec, P.manufacturer, P.description, P.unit,
               P.supplier_id, P.category_id, P.list_price_fen, P.status, P.created_at, P.updated_at,
               Category.code.label("cat_code"), Category.name_zh.label("cat_zh"), Category.name_en.label("cat_en"),
               CategoryGroup.code.label("group_code"),
               Organisation.name_zh.label("sup_zh"), Organisation.name_en.label("sup_en"))
        .select_from(Product.__table__)
        .join(Category.__table__, Category.id == P.category_id)
        .join(CategoryGroup.__table__, CategoryGroup.id == Category.group_id)
        .join(Organisation.__table__, Organisation.id == P.supplier_id)
        .where(P.id.in_(ids))
    ).mappings().all()
    if not rows:
        return {}
    found = [r["id"] for r in rows]

    certs: dict[int, list[dict]] = defaultdict(list)
    for r in session.execute(select(Certificate.product_id, Certificate.number, Certificate.star_grade,
                                    Certificate.status, Certificate.expires_on)
                             .where(Certificate.product_id.in_(found))).mappings():
        certs[r["product_id"]].append(dict(r))
    carbon: dict[int, dict] = {}
    for r in session.execute(select(CarbonDeclaration.product_id, CarbonDeclaration.gwp_a1a3,
                                    CarbonDeclaration.declared_unit)
                             .where(CarbonDeclaration.product_id.in_(found))
                             .order_by(CarbonDeclaration.product_id, CarbonDeclaration.id.desc())).mappings():
        carbon.setdefault(r["product_id"], dict(r))  # newest declaration wins (as Product.current_carbon)
    verdicts: dict[int, list] = defaultdict(list)
    for pid, code, verdict in session.execute(
            select(ProductVerdict.product_id, City.code, ProductVerdict.verdict)
            .join(City, City.id == ProductVerdict.city_id).where(ProductVerdict.product_id.in_(found))):
        verdicts[pid].append((code, verdict))
    fire: dict[int, str] = {}
    for pid, text, num in session.execute(
            select(ProductIndicatorValue.product_id, ProductIndicatorValue.value_text, ProductIndicatorValue.value_num)
            .where(ProductIndicatorValue.product_id.in_(found), ProductIndicatorValue.key == "fire_class")):
        if text:
            fire[pid] = text

    out = {}
    for r in rows:
        pid = r["id"]
        try:
            out[pid] = _build_row(r, certs, carbon, verdicts, fire, versions)
        except Exception as exc:  # noqa: BLE001 - any bad value in one product's data
            if errors is None:
                raise
            errors[pid] = describe_error(exc)
    return out


def describe_error(exc: BaseException) -> str:
    """One line for `SearchOutbox.last_error`: the exception's class and message."""
    return f"{exc.__class__.__name__}: {exc}"[:480]


def _build_row(r, certs, carbon, verdicts, fire, versions) -> dict:
    pid = r["id"]
    return build_document(
        product={"id": pid, "sku": r["sku"], "name_zh": r["name_zh"], "name_en": r["name_en"],
                 "brand": r["brand"], "model_spec": r["model_spec"], "manufacturer": r["manufacturer"],
                 "description": r["description"], "unit": r["unit"], "supplier_id": r["supplier_id"],
                 "list_price_fen": r["list_price_fen"], "status": r["status"],
                 "created_at": _aware(r["created_at"]), "updated_at": _aware(r["updated_at"])},
        category={"id": r["category_id"], "code": r["cat_code"], "name_zh": r["cat_zh"], "name_en": r["cat_en"],
                  "group_code": r["group_code"]},
        supplier={"name_zh": r["sup_zh"], "name_en": r["sup_en"]},
        certificates=certs.get(pid, []),
        carbon=carbon.get(pid),
        verdicts=verdicts.get(pid, []),
        fire_class=fire.get(pid),
        version=versions.get(pid, 0),
    )


def _aware(value):
    """Core-level selects of UTCDateTime columns already return aware values; be safe anyway."""
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value
