"""Fixtures for search tests: a private index alias per test on the embedded engine, and a
deterministic fixture catalogue built through the ORM (so the outbox events fire as in real use)."""
from __future__ import annotations

import datetime as dt
import random
import uuid

import pytest

from core import roles as R
from core.extensions import db
from tests.factories import make_city, make_org

CITIES = ("nanjing", "qingdao", "foshan")


@pytest.fixture
def search_env(app):
    """Each test gets its own alias (and so its own indexes); delivery is inline and refreshed,
    so a committed change is searchable when `commit()` returns."""
    from catalog.search.engine import search_engine
    from catalog.search.indexer import ensure_index

    saved = {k: app.config.get(k) for k in ("SEARCH_INDEX_ALIAS", "SEARCH_SYNC_MODE", "SEARCH_REFRESH",
                                            "ELASTICSEARCH_URL")}
    alias = f"t{uuid.uuid4().hex[:12]}"
    app.config.update(SEARCH_INDEX_ALIAS=alias, SEARCH_SYNC_MODE="inline", SEARCH_REFRESH=True)
    ensure_index(app)
    search_engine.set_index_state("ready", app=app)
    yield app
    app.config.update(saved)
    try:
        client = search_engine.client
        for name in client.indices.get(index=f"{alias}*").body:
            client.indices.delete(index=name)
    except Exception:
        pass


def _day(offset: int) -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=offset)


def build_catalog(n: int = 48, seed: int = 7) -> dict:
    """A varied catalogue: statuses, certificates (valid / expiring / expired / revoked), verdicts,
    carbon and fire classes drawn from a seeded RNG. Returns handles for tests."""
    from catalog.models import (CarbonDeclaration, Category, CategoryGroup, Certificate, Product,
                                ProductIndicatorValue, ProductVerdict)

    rng = random.Random(seed)
    cities = {code: make_city(code) for code in CITIES}
    suppliers = [make_org(R.ORG_SUPPLIER, name_en=f"Supplier {c}", name_zh=f"供应商{c}") for c in "ABC"]
    g1 = CategoryGroup(code="envelope_concrete", name_en="Envelope and concrete", name_zh="围护结构及混凝土类", position=1)
    g2 = CategoryGroup(code="waterproof_sealing", name_en="Waterproofing and sealing", name_zh="防水密封类", position=2)
    db.session.add_all([g1, g2])
    db.session.flush()
    cats = [
        Category(code="ready_mixed_concrete", group_id=g1.id, name_en="Ready-mixed concrete", name_zh="预拌混凝土"),
        Category(code="masonry", group_id=g1.id, name_en="Masonry", name_zh="砌体材料"),
        Category(code="waterproof_membranes", group_id=g2.id, name_en="Waterproof membranes", name_zh="防水卷材"),
    ]
    db.session.add_all(cats)
    db.session.flush()
    names = {
        "ready_mixed_concrete": [("预拌混凝土 C30", "Ready-mixed concrete C30"), ("高性能混凝土", "High performance concrete")],
        "masonry": [("蒸压加气混凝土砌块", "Autoclaved aerated concrete block"), ("烧结多孔砖", "Fired perforated brick")],
        "waterproof_membranes": [("SBS改性沥青防水卷材", "SBS modified bitumen waterproof membrane"),
                                 ("高分子防水卷材", "Polymer waterproof membrane")],
    }
    products = []
    for i in range(n):
        cat = rng.choice(cats)
        zh, en = rng.choice(names[cat.code])
        status = rng.choice(["listed"] * 6 + ["draft", "suspended", "verified"])
        p = Product(supplier_id=rng.choice(suppliers).id, sku=f"SKU-{i:03d}", name_zh=f"{zh} {i}", name_en=f"{en} {i}",
                    category_id=cat.id, brand=rng.choice(["Haiwan", "Dongfang", "Keshun"]),
                    model_spec=f"M-{i}", unit="m2", list_price_fen=rng.choice([900, 5_000, 25_000, 90_000, 400_000,
                                                                                2_000_000, 30_000_000]),
                    manufacturer="Factory " + rng.choice("XYZ"), description=f"{en} for public buildings",
                    status=status)
        for k in range(rng.choice([0, 1, 1, 1, 2])):
            kind = rng.choice(["far", "far", "far", "soon", "past", "revoked"])
            expires = {"far": _day(rng.randint(200, 1500)), "soon": _day(rng.randint(10, 80)),
                       "past": _day(-rng.randint(5, 300)), "revoked": _day(400)}[kind]
            p.certificates.append(Certificate(
                number=f"CGBM-{i:03d}-{k}", body="CTC", star_grade=rng.randint(1, 3), standard="T/CECS",
                issued_on=expires - dt.timedelta(days=1500), expires_on=expires,
                status={"revoked": "revoked"}.get(kind, "valid")))
        if rng.random() < 0.7:
            p.carbon_declarations.append(CarbonDeclaration(declared_unit="m3", gwp_a1a3=rng.choice(
                [0.5, 3.0, 45.0, 250.0, 1500.0])))
        if rng.random() < 0.6:
            p.indicator_values.append(ProductIndicatorValue(key="fire_class", value_text=rng.choice(["A", "B1", "B2"])))
        for code, city in cities.items():
            if rng.random() < 0.8:
                p.verdicts.append(ProductVerdict(city_id=city.id, verdict=rng.choice(["pass", "pass", "fail", "incomplete"])))
        products.append(p)
    db.session.add_all(products)
    db.session.commit()
    return {"products": products, "suppliers": suppliers, "categories": cats, "groups": [g1, g2], "cities": cities}


@pytest.fixture
def catalog(search_env):
    data = build_catalog()
    from catalog.search.indexer import reindex

    reindex(search_env)
    return data
