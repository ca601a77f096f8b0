"""Per-city compliance verdicts of products (the carbon comparison is `catalog.services.carbon`).

The rules come from `catalog.services.standards.rules_for(category, city)` (the version in
force for that city) and are evaluated by the pure `catalog.compliance.evaluate`. Results are
stored in `ProductVerdict` (one row per product and city) so search can filter on them.
"""
from __future__ import annotations

import hashlib
import json

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.extensions import db
from core.i18n import N_
from core.models import City
from core.timeutil import today_cn, utcnow

from catalog import compliance
from catalog.models.products import Product, ProductVerdict, VerdictDetail
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


def rules_by_key(category, *, cities=None, today=None, cache=None) -> dict:
    """`{indicator key: [Rule, ...]}` over the category's rules in all pilot cities (what
    `catalog.indicator_values` checks declared values against)."""
    today = today or today_cn()
    key = ("by_key", category.id, today)
    if cache is not None and key in cache:
        return cache[key]
    out: dict = {}
    for city in (cities if cities is not None else pilot_cities()):
        for rule in cached_rules(category, city, today, cache)[1]:
            out.setdefault(rule.key, []).append(rule)
    if cache is not None:
        cache[key] = out
    return out


def rule_units(category, *, cities=None, today=None, cache=None) -> dict:
    """`{indicator key: unit}` over the category's rules in all pilot cities (for input checks):
    the unit of the first city's rule."""
    return {key: rules[0].unit or "" for key, rules in
            rules_by_key(category, cities=cities, today=today, cache=cache).items()}


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


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def details_json(details: dict, text: str | None = None) -> tuple[str, str]:
    """``(digest, canonical JSON text)`` of verdict details: the digest is the key they are stored
    under (`VerdictDetail.digest`). ``text``: the canonical text when already known."""
    text = text if text is not None else _canonical(details)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest(), text


def details_digest(details: dict) -> str:
    """The key verdict details are stored under: a hash of their canonical JSON."""
    return details_json(details)[0]


def insert_details_json(conn, rows: list[tuple[str, str]]) -> None:
    """Store ``(digest, JSON text)`` pairs (bulk import), skipping digests already stored."""
    if not rows:
        return
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        if conn.dialect.name == "postgresql":
            # COPY into a session-private scratch table, then one INSERT ... ON CONFLICT: an
            # executemany is a statement per row, and array parameters are slower still.
            cursor.execute("CREATE TEMP TABLE IF NOT EXISTS scratch_verdict_details "
                           "(digest varchar(32), details text) ON COMMIT DELETE ROWS")
            with cursor.copy("COPY scratch_verdict_details (digest, details) FROM STDIN") as out:
                for row in rows:
                    out.write_row(row)
            cursor.execute("INSERT INTO verdict_details (digest, details) "
                           "SELECT digest, details::json FROM scratch_verdict_details "
                           "ON CONFLICT (digest) DO NOTHING")
            cursor.execute("DELETE FROM scratch_verdict_details")
        else:
            cursor.executemany("INSERT INTO verdict_details (digest, details) VALUES (?, ?) "
                               "ON CONFLICT (digest) DO NOTHING", rows)
    finally:
        cursor.close()


def insert_details_statement(conn):
    """``INSERT INTO verdict_details ... ON CONFLICT DO NOTHING`` for this connection's dialect
    (several writers may store the same details at once)."""
    table = VerdictDetail.__table__
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).on_conflict_do_nothing(index_elements=["digest"])


def store_details(details: dict) -> str:
    """Store verdict details once (no-op when the same details are stored already); returns
    their digest for `ProductVerdict.details_digest`."""
    digest = details_digest(details)
    known = db.session.info.setdefault("verdict_details_stored", set())
    if digest not in known:
        conn = db.session.connection()
        conn.execute(insert_details_statement(conn), [{"digest": digest, "details": details}])
        known.add(digest)
    return digest


def evaluate_for_city(product: Product, city, *, today=None, rules_cache=None):
    """`compliance.Evaluation` of a product in one city (not stored)."""
    today = today or today_cn()
    if product.category is None:
        return compliance.evaluate([], {}, None)
    version_id, rules = cached_rules(product.category, city, today, rules_cache)
    return compliance.evaluate(rules, declared_values(product), version_id=version_id)


MAX_MEMO = 100_000


def _evaluate(rules, values: dict, version_id, cache: dict | None) -> tuple[str, dict, str | None]:
    """``(verdict, details, canonical JSON of the details or None)`` of `compliance.evaluate`.

    With a cache (bulk work), each rule's result for a declared value is computed (and encoded)
    once: a rule's result depends only on the rule and that value, and many products declare the
    same values (grades, yes/no, round numbers)."""
    if cache is None:
        ev = compliance.evaluate(rules, values, version_id=version_id)
        return ev.verdict, ev.to_dict(), None
    memo = cache.setdefault("rule_results", {})
    if len(memo) > MAX_MEMO:
        memo.clear()
    results, statuses = [], []
    for rule in rules:
        declared = values.get(rule.key)
        key = (id(rule), None if declared is None else (declared.value, type(declared.value), declared.unit))
        found = memo.get(key)
        if found is None:
            found = compliance.evaluate_rule(rule, declared)
            as_dict = found.to_dict()
            found = memo[key] = (found.status, as_dict, _canonical(as_dict))
        statuses.append(found[0])
        results.append(found)
    verdict = compliance.overall(statuses)
    # The canonical text of {"results", "verdict", "version_id"} (sorted keys), from the parts.
    text = '{"results":[%s],"verdict":%s,"version_id":%s}' % (
        ",".join(r[2] for r in results), _canonical(verdict), _canonical(version_id))
    return verdict, {"verdict": verdict, "version_id": version_id, "results": [r[1] for r in results]}, text


def compute_verdicts(product: Product, *, cities=None, rules_cache=None, today=None, values=None) -> list[dict]:
    """Per pilot city: `{"city_id", "standard_version_id", "verdict", "details", "details_json"}`
    (pure, no writes; ``details_json`` is the details' canonical JSON text when it came for free
    with a rules cache, else None).

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
                seen[key] = _evaluate(rules, values, version_id, rules_cache)
            verdict, details, text = seen[key]
        else:
            verdict, text = "incomplete", None
            details = {"verdict": "incomplete", "version_id": version_id, "results": [],
                       "reason": str(NO_STANDARD), "reason_message": NO_STANDARD.payload()}
        out.append({"city_id": city.id, "standard_version_id": version_id, "verdict": verdict, "details": details,
                    "details_json": text})
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
    digests: dict = {}  # id(details) -> digest: cities sharing rules share one details object
    for r in rows:
        details = r.pop("details")
        r.pop("details_json", None)
        if id(details) not in digests:
            digests[id(details)] = store_details(details)
        r["details_digest"] = digests[id(details)]
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
        elif (row.verdict, row.standard_version_id, row.details_digest) == (
                r["verdict"], r["standard_version_id"], r["details_digest"]):
            continue  # unchanged
        row.standard_version_id = r["standard_version_id"]
        row.verdict = r["verdict"]
        row.details_digest = r["details_digest"]
        row.evaluated_at = now


def verdicts_by_city(product: Product, *, with_details=True) -> dict:
    """Stored verdicts keyed by city code (one query; details loaded when asked for)."""
    if product.id is None:
        return {}
    q = select(ProductVerdict).where(ProductVerdict.product_id == product.id)
    if with_details:
        q = q.options(selectinload(ProductVerdict.detail))
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
