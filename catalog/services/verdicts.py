"""Per-city compliance verdicts of products, and the carbon comparison shown on product pages.

The rules come from `catalog.services.standards.rules_for(category, city)` (the version in
force for that city) and are evaluated by the pure `catalog.compliance.evaluate`. Results are
stored in `ProductVerdict` (one row per product and city) so search can filter on them.
"""
from __future__ import annotations

import statistics

from sqlalchemy import func, select
from sqlalchemy.orm import undefer

from core.extensions import db
from core.i18n import N_
from core.models import City
from core.timeutil import today_cn, utcnow

from catalog import compliance
from catalog.models.products import CarbonDeclaration, Product, ProductVerdict
from catalog.rules import Reason, Value, carbon_value
from catalog.services import standards

NO_STANDARD = Reason(N_("no demand standard for this category in this city"))
PILOT_CITIES = ("nanjing", "hangzhou", "shaoxing", "huzhou", "qingdao", "foshan")


def pilot_cities() -> list:
    """The six pilot cities present in the database, in the policy's order."""
    cities = db.session.execute(select(City).where(City.code.in_(PILOT_CITIES))).scalars().all()
    order = {code: i for i, code in enumerate(PILOT_CITIES)}
    return sorted(cities, key=lambda c: order[c.code])


def _rules_for(category, city, today):
    """(version id or None, [Rule]) for a category in a city on `today` ([] without a standard)."""
    version, rules = standards.rules_for(category, city, at=today)
    return (version.id if version is not None else None), list(rules)


def cached_rules(category, city, today, cache: dict | None):
    key = (category.id, city.id, today)
    if cache is not None and key in cache:
        return cache[key]
    value = _rules_for(category, city, today)
    if cache is not None:
        cache[key] = value
    return value


def rule_units(category, *, cities=None, today=None, cache=None) -> dict:
    """`{indicator key: unit}` over the category's rules in all pilot cities (for input checks)."""
    today = today or today_cn()
    key = ("units", category.id, today)
    if cache is not None and key in cache:
        return cache[key]
    out: dict = {}
    for city in (cities if cities is not None else pilot_cities()):
        for rule in cached_rules(category, city, today, cache)[1]:
            out.setdefault(rule.key, rule.unit or "")
    if cache is not None:
        cache[key] = out
    return out


def rule_hints(category, *, today=None) -> dict:
    """For the editor: `{key: {"name_en", "name_zh", "unit", "requirements": [(limit, [cities])]}}`;
    each limit is a translatable `Reason` (`.localised()` on the page)."""
    today = today or today_cn()
    out: dict = {}
    for city in pilot_cities():
        for rule in cached_rules(category, city, today, None)[1]:
            hint = out.setdefault(rule.key, {"name_en": rule.name_en, "name_zh": rule.name_zh, "unit": rule.unit,
                                             "requirements": {}})
            hint["requirements"].setdefault(rule.limit_reason(), []).append(city)
    for hint in out.values():
        hint["requirements"] = list(hint["requirements"].items())
    return out


def declared_values(product: Product) -> dict:
    """The product's declared values as `Value`s, plus its carbon declaration."""
    values = {iv.key: Value.from_parts(iv.key, iv.value_num, iv.value_text, iv.unit)
              for iv in product.indicator_values}
    carbon = product.current_carbon()
    if carbon is not None and "gwp_a1a3" not in values:
        values["gwp_a1a3"] = carbon_value(carbon.gwp_a1a3, carbon.declared_unit)
    return values


def values_from(declared: dict, carbon: dict | None) -> dict:
    """Declared values from cleaned input (`{key: (num, text, unit)}` and a carbon dict)."""
    values = {key: Value.from_parts(key, num, txt, unit) for key, (num, txt, unit) in declared.items()}
    if carbon is not None and "gwp_a1a3" not in values:
        values["gwp_a1a3"] = carbon_value(carbon["gwp_a1a3"], carbon["declared_unit"])
    return values


def evaluate_for_city(product: Product, city, *, today=None, rules_cache=None):
    """`compliance.Evaluation` of a product in one city (not stored)."""
    today = today or today_cn()
    if product.category is None:
        return compliance.evaluate([], {}, None)
    version_id, rules = cached_rules(product.category, city, today, rules_cache)
    return compliance.evaluate(rules, declared_values(product), version_id=version_id)


def compute_verdicts(product: Product, *, cities=None, rules_cache=None, today=None, values=None) -> list[dict]:
    """Per pilot city: `{"city_id", "standard_version_id", "verdict", "details"}` (pure, no writes).

    Cities sharing the same resolved rules (the four hot-summer-cold-winter cities) are
    evaluated once.
    """
    today = today or today_cn()
    cities = cities if cities is not None else pilot_cities()
    values = declared_values(product) if values is None else values
    seen: dict = {}
    out = []
    for city in cities:
        version_id, rules = cached_rules(product.category, city, today, rules_cache) if product.category else (None, [])
        if rules:
            key = (version_id, tuple(id(r) if r.id is None else r.id for r in rules))
            if key not in seen:
                ev = compliance.evaluate(rules, values, version_id=version_id)
                seen[key] = (ev.verdict, ev.to_dict())
            verdict, details = seen[key]
        else:
            verdict, details = "incomplete", {"verdict": "incomplete", "version_id": version_id, "results": [],
                                              "reason": str(NO_STANDARD), "reason_message": NO_STANDARD.payload()}
        out.append({"city_id": city.id, "standard_version_id": version_id, "verdict": verdict, "details": details})
    return out


def refresh_verdicts(product: Product, *, cities=None, rules_cache=None, today=None, defer=False,
                     values=None) -> None:
    """Recompute and store the product's verdict for every pilot city (no commit).

    A city with no rules for the category has verdict `incomplete` (nothing proves compliance).
    Unchanged verdicts are left alone (no write, `evaluated_at` kept). With `defer=True` (a new,
    not yet flushed product) the rows are queued in `catalog.services.deferred` and inserted in
    bulk when the session flushes; `values` then gives the declared values.
    """
    rows = compute_verdicts(product, cities=cities, rules_cache=rules_cache, today=today, values=values)
    now = utcnow()
    if defer:
        from catalog.services import deferred

        deferred.queue(product, "product_verdicts", [{**r, "evaluated_at": now} for r in rows])
        return
    existing = {v.city_id: v for v in product.verdicts}
    city_objs = {c.id: c for c in (cities or [])}
    for r in rows:
        row = existing.get(r["city_id"])
        if row is None:
            row = ProductVerdict(city_id=r["city_id"])
            if r["city_id"] in city_objs:
                row.city = city_objs[r["city_id"]]
            product.verdicts.append(row)
        elif "details" in row.__dict__ and (row.verdict, row.standard_version_id, row.details) == (
                r["verdict"], r["standard_version_id"], r["details"]):
            continue  # unchanged (details are deferred: only compared when already loaded)
        row.standard_version_id = r["standard_version_id"]
        row.verdict = r["verdict"]
        row.details = r["details"]
        row.evaluated_at = now


def verdicts_by_city(product: Product, *, with_details=True) -> dict:
    """Stored verdicts keyed by city code (one query; details loaded when asked for)."""
    if product.id is None:
        return {}
    q = select(ProductVerdict).where(ProductVerdict.product_id == product.id)
    if with_details:
        q = q.options(undefer(ProductVerdict.details))
    return {v.city.code: v for v in db.session.execute(q).unique().scalars()}


def verdict_map(product_ids) -> dict:
    """`{product id: {city code: verdict}}` for many products in one query (lists)."""
    out: dict = {}
    ids = list(product_ids)
    if not ids:
        return out
    rows = db.session.execute(select(ProductVerdict.product_id, City.code, ProductVerdict.verdict)
                              .join(City, City.id == ProductVerdict.city_id)
                              .where(ProductVerdict.product_id.in_(ids))).all()
    for pid, code, verdict in rows:
        out.setdefault(pid, {})[code] = verdict
    return out


def carbon_comparison(product: Product) -> dict | None:
    """The product's GWP against its category's median (same declared unit, public products).

    Returns None when the product has no carbon declaration.
    """
    carbon = product.current_carbon()
    if carbon is None:
        return None
    latest = (select(func.max(CarbonDeclaration.id)).join(Product)
              .where(Product.category_id == product.category_id,
                     Product.status.in_(("listed", "suspended", "verified")))
              .group_by(CarbonDeclaration.product_id)).scalar_subquery()
    peers = db.session.execute(
        select(CarbonDeclaration.product_id, CarbonDeclaration.gwp_a1a3)
        .where(CarbonDeclaration.id.in_(latest), CarbonDeclaration.declared_unit == carbon.declared_unit)
    ).all()
    values = {pid: gwp for pid, gwp in peers}
    values[product.id] = carbon.gwp_a1a3
    series = sorted(values.values())
    median = statistics.median(series)
    return {
        "value": carbon.gwp_a1a3,
        "declared_unit": carbon.declared_unit,
        "median": median,
        "min": series[0],
        "max": series[-1],
        "count": len(series),
        "ratio": (carbon.gwp_a1a3 / median) if median else None,
        "valid_until": carbon.valid_until,
        "program_operator": carbon.program_operator,
    }


def carbon_chart(cmp: dict, width=420, bar_height=26) -> dict:
    """Geometry for the server-rendered SVG bar chart (product, median, min, max)."""
    rows = [("product", cmp["value"]), ("median", cmp["median"]), ("lowest", cmp["min"]), ("highest", cmp["max"])]
    top = max(v for _, v in rows) or 1.0
    label_w = 110
    usable = width - label_w - 90
    bars = []
    for i, (label, value) in enumerate(rows):
        bars.append({"label": label, "value": value, "x": label_w, "y": 8 + i * (bar_height + 10),
                     "w": max(1.0, usable * value / top), "h": bar_height})
    return {"width": width, "height": 16 + len(rows) * (bar_height + 10), "bars": bars, "label_w": label_w}
