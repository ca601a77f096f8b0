"""Demo catalogue for `flask demo seed`: ~330 realistic products from the 12 demo suppliers.

Deterministic (fixed seed) and idempotent (a supplier's existing SKUs are left alone). Values
are generated from the demand-standard rules in force, so most products pass everywhere, while
some are made to fail one city's stricter rule (windows with U = 3.2 pass Nanjing's <= 3.5 and
fail Qingdao's <= 3.0), some miss an indicator, some have a certificate expiring within 90 days
and a few have already lapsed (suspended). Two certificate numbers are shared across suppliers
so the reviewer queue shows the duplicate flag.
"""
from __future__ import annotations

import datetime as dt
import math
import random

from sqlalchemy import select

from core import audit
from core.extensions import db
from core.timeutil import utcnow

from catalog.models.products import Product
from core.timeutil import today_cn

SEED = 2020_10_13
PRODUCTS_PER_SUPPLIER = 28

CERT_BODIES = [
    ("CTC", "中国建材检验认证集团"),
    ("CABR", "中国建筑科学研究院认证中心"),
    ("CQC", "中国质量认证中心"),
    ("CSTC", "上海建科检验有限公司"),
]
CERT_STANDARD = "GB/T 35609-2017 绿色产品评价 / T/CECS 10026"
EPD_OPERATORS = ("CABR EPD Programme", "China EPD (CEPD)", "EPD International")

# category code -> (English name, Chinese name, unit, price range in yuan, model prefixes,
#                   carbon (declared unit, kg CO2e range) or None)
TEMPLATES = {
    "windows_doors": ("Thermally broken aluminium window", "断桥铝合金节能窗", "m2", (650, 1600), ("TB60", "TB70", "TB80"),
                      ("m2", (60, 140))),
    "energy_saving_glass": ("Low-E insulating glass unit", "Low-E中空节能玻璃", "m2", (120, 420), ("6+12A+6", "6+16Ar+6", "5+9A+5+9A+5"),
                            ("t", (900, 1600))),
    "thermal_insulation_systems": ("Rock wool external insulation board", "岩棉外墙保温板", "m2", (45, 160), ("RW-50", "RW-80", "RW-100"),
                                   ("m2", (2.0, 4.2))),
    "wall_coatings": ("Low-VOC interior wall paint", "低VOC内墙乳胶漆", "kg", (18, 65), ("Pure", "Eco", "Care"), None),
    "architectural_ceramics": ("Porcelain floor tile", "瓷质抛光砖", "m2", (45, 260), ("600x600", "800x800", "600x1200"),
                               ("m2", (9, 18))),
    "ready_mixed_concrete": ("Ready-mixed concrete", "预拌混凝土", "m3", (380, 620), ("C30", "C35", "C40", "C50"),
                             ("m3", (240, 420))),
    "ready_mixed_mortar": ("Dry-mix masonry mortar", "干混砌筑砂浆", "t", (260, 420), ("M5", "M7.5", "M10"), None),
    "precast_concrete_components": ("Precast composite floor slab", "预制叠合楼板", "m3", (2600, 4200), ("PCF-60", "PCF-70"),
                                    ("m3", (300, 480))),
    "waterproof_membranes": ("SBS modified bitumen waterproof membrane", "SBS改性沥青防水卷材", "m2", (22, 48),
                             ("PY-I-3mm", "PY-II-4mm"), None),
    "waterproof_coatings": ("Polyurethane waterproof coating", "聚氨酯防水涂料", "kg", (16, 38), ("PU-I", "PU-II"), None),
    "steel_members": ("Welded H-section steel member", "焊接H型钢构件", "t", (5200, 7800), ("Q235B", "Q355B"),
                      ("t", (700, 1300))),
    "paper_faced_gypsum_board": ("Paper-faced gypsum board", "纸面石膏板", "m2", (9, 26), ("9.5mm", "12mm", "15mm fire"),
                                 ("m2", (2.0, 4.0))),
    "stone": ("Granite facing slab", "花岗岩饰面板", "m2", (160, 520), ("G603", "G654", "G682"), None),
    "masonry": ("Autoclaved aerated concrete block", "蒸压加气混凝土砌块", "m3", (230, 360), ("A3.5 B06", "A5.0 B07"), None),
    "sealants": ("Silicone structural sealant", "硅酮结构密封胶", "kg", (28, 75), ("SR-20", "SR-25"), None),
    "window_profiles": ("Aluminium window profile", "铝合金门窗型材", "t", (21000, 29000), ("6063-T5", "6063-T6"), None),
    "plastic_pipes": ("PP-R hot and cold water pipe", "PP-R冷热水管", "m", (6, 42), ("dn20 S3.2", "dn25 S2.5", "dn32 S3.2"), None),
    "taps": ("Water-saving basin tap", "节水型面盆水嘴", "piece", (160, 680), ("WS-1", "WS-2"), None),
    "sanitary_ware": ("Dual-flush water-saving toilet", "双档节水坐便器", "piece", (900, 3200), ("WC-4.0", "WC-4.8"), None),
    "led_lighting": ("LED panel light", "LED平板灯", "piece", (60, 260), ("600x600 36W", "300x1200 40W"), None),
    "gypsum_decorative_materials": ("Gypsum ceiling panel", "石膏装饰吊顶板", "m2", (18, 60), ("595x595", "600x1200"), None),
}

# Which categories each demo supplier (core.demo.SUPPLIERS order) makes.
SUPPLIER_CATEGORIES = [
    ["masonry", "stone", "ready_mixed_mortar"],                       # Jiangsu Greenstone
    ["energy_saving_glass", "windows_doors"],                          # Zhejiang Xinhua Glass
    ["waterproof_membranes", "waterproof_coatings", "sealants"],       # Shaoxing Yuecheng Waterproofing
    ["ready_mixed_concrete", "precast_concrete_components", "ready_mixed_mortar"],  # Huzhou Taihu Concrete
    ["windows_doors", "window_profiles", "energy_saving_glass"],       # Qingdao Haiwan Windows
    ["architectural_ceramics", "sanitary_ware", "taps"],               # Foshan Nanhai Ceramics
    ["steel_members", "window_profiles"],                              # Nanjing Jinling Steel
    ["wall_coatings", "waterproof_coatings"],                          # Hangzhou Qiantang Coatings
    ["paper_faced_gypsum_board", "gypsum_decorative_materials"],       # Qingdao Jiaozhou Gypsum
    ["thermal_insulation_systems", "plastic_pipes", "led_lighting"],   # Foshan Shunde Insulation
    ["masonry", "gypsum_decorative_materials", "led_lighting"],        # Huzhou Anji Timber
    ["sealants", "plastic_pipes", "taps"],                             # Shaoxing Keqiao Sealants
]

#: Second sources (supplier index -> categories outside its main range, three listed products
#: each, passing everywhere with a fresh certificate), so that the demo tenders of these
#: categories have the three or more qualified bidders an opening needs (procurement demos).
SECOND_SOURCES = {
    7: ["waterproof_membranes"], 11: ["waterproof_membranes"], 4: ["waterproof_membranes"],
    2: ["wall_coatings"], 9: ["wall_coatings"], 5: ["wall_coatings"],
    10: ["paper_faced_gypsum_board"], 0: ["paper_faced_gypsum_board", "ready_mixed_concrete"],
    3: ["masonry"], 6: ["ready_mixed_concrete"],
}
SECOND_SOURCE_PRODUCTS = 3

BRANDS = ["绿石 Greenstone", "新华 Xinhua", "越城 Yuecheng", "太湖 Taihu", "海湾 Haiwan", "南海 Nanhai",
          "金陵 Jinling", "钱塘 Qiantang", "胶州 Jiaozhou", "顺德 Shunde", "安吉 Anji", "柯桥 Keqiao"]

# Values that pass in the hot-summer-cold-winter cities and Foshan but fail Qingdao (cold A).
CITY_SPLIT = {"windows_doors": ("u_value", [3.2, 3.3, 3.4]), "energy_saving_glass": ("u_value", [2.4, 2.5, 2.6]),
              "masonry": ("thermal_conductivity", [0.22, 0.26])}


def _round(value: float) -> float:
    return float(f"{value:.3g}")


def _passing(rule, rng):
    c, limit = rule.comparison, rule.limit
    if isinstance(limit, int) and not isinstance(limit, bool) and c in ("<=", ">="):
        # Integer limits are grades or counts: declare whole numbers.
        factor = rng.uniform(0.6, 1.0) if (c == "<=") == (limit >= 0) else rng.uniform(1.0, 1.5)
        return math.floor(limit * factor) if c == "<=" else math.ceil(limit * factor)
    if c == "<=":
        return _round(limit * rng.uniform(0.55, 0.95)) if limit > 0 else _round(limit * rng.uniform(1.05, 1.4))
    if c == ">=":
        return _round(limit * rng.uniform(1.03, 1.5)) if limit > 0 else _round(limit * rng.uniform(0.6, 0.97))
    if c == "at_least":
        scale = list(rule.scale or [])
        return rng.choice(scale[: scale.index(limit) + 1]) if limit in scale else limit
    if c == "in":
        return rng.choice(list(limit))
    if c == "bool":
        return "true" if limit in (True, "true", 1) else "false"
    return limit


def _failing(rule, rng):
    c, limit = rule.comparison, rule.limit
    if c == "<=":
        return _round(limit * rng.uniform(1.1, 1.4)) if limit > 0 else _round(limit * 0.6)
    if c == ">=":
        return _round(limit * rng.uniform(0.6, 0.9)) if limit > 0 else _round(limit * 1.4)
    if c == "bool":
        return "false" if limit in (True, "true", 1) else "true"
    if c == "at_least" and rule.scale:
        return list(rule.scale)[-1]
    return None


def _strict_rules(category, cities):
    """Per key, the strictest rule across the pilot cities (so a 'passing' value passes everywhere)."""
    from catalog.services.standards import rules_for

    strict = {}
    for city in cities:
        _version, rules = rules_for(category, city)
        for rule in rules:
            cur = strict.get(rule.key)
            if cur is None:
                strict[rule.key] = rule
            elif rule.comparison == "<=" and cur.comparison == "<=" and rule.limit < cur.limit:
                strict[rule.key] = rule
            elif rule.comparison == ">=" and cur.comparison == ">=" and rule.limit > cur.limit:
                strict[rule.key] = rule
    return strict


def _indicators(code, strict, rng, mode):
    values = {}
    for key, rule in strict.items():
        if key == "gwp_a1a3":
            continue  # comes from the carbon declaration
        value = _passing(rule, rng)
        values[key] = {"value": value, "unit": rule.unit}
    if mode == "city_split" and code in CITY_SPLIT:
        key, choices = CITY_SPLIT[code]
        unit = strict[key].unit if key in strict else "W/(m.K)"
        values[key] = {"value": rng.choice(choices), "unit": unit}
    elif mode == "fail":
        candidates = [r for k, r in strict.items() if k != "gwp_a1a3" and _failing(r, rng) is not None]
        if candidates:
            rule = rng.choice(candidates)
            values[rule.key] = {"value": _failing(rule, rng), "unit": rule.unit}
    elif mode == "missing" and len(values) > 1:
        values.pop(rng.choice(sorted(values)))
    # Some suppliers declare in other units: the engine converts.
    if "voc" in values and rng.random() < 0.3:
        values["voc"] = {"value": _round(values["voc"]["value"] * 1000), "unit": "mg/L"}
    if "thermal_conductivity" in values and rng.random() < 0.3:
        values["thermal_conductivity"] = {"value": _round(values["thermal_conductivity"]["value"] * 1000),
                                          "unit": "mW/(m.K)"}
    return values


def seed_products(ctx: dict) -> int:
    """Create the demo catalogue; returns how many products were created (0 on a re-run)."""
    from catalog.models import Category
    from catalog.services.product_bulk import make_upsert_context
    from catalog.services.product_upsert import upsert_product
    from catalog.services.verdicts import pilot_cities

    rng = random.Random(SEED)
    today = today_cn()
    cats = {c.code: c for c in db.session.execute(select(Category)).unique().scalars()}
    cities = pilot_cities()
    if not cities or not cats:
        return 0
    strict = {code: _strict_rules(cats[code], cities) for code in TEMPLATES if code in cats}
    suppliers = [ctx["orgs"][f"supplier:{i}"] for i in range(len(SUPPLIER_CATEGORIES)) if f"supplier:{i}" in ctx["orgs"]]
    reviewer = ctx.get("users", {}).get("platform_reviewer")
    created = 0
    shared_certs = ["CGBM2023CTC000777", "CGBM2024CQC001313"]
    for s_index, supplier in enumerate(suppliers):
        s_rng = random.Random(f"{SEED}-{s_index}")
        context = make_upsert_context(supplier)
        context.bulk = False  # the lifecycle step below reads the certificates straight away
        actor = next((u for u in supplier.users), None)
        for n in range(PRODUCTS_PER_SUPPLIER):
            code = SUPPLIER_CATEGORIES[s_index][n % len(SUPPLIER_CATEGORIES[s_index])]
            if code not in cats:
                continue
            name_en, name_zh, unit, (lo, hi), models, carbon = TEMPLATES[code]
            model = models[n % len(models)]
            sku = f"{code[:3].upper()}-{s_index + 1:02d}-{n + 1:03d}"
            if sku in context.products:
                continue
            roll = s_rng.random()
            mode = ("city_split" if code in CITY_SPLIT and roll < 0.35 else
                    "fail" if roll > 0.96 else "missing" if roll > 0.92 else "ok")
            body, body_zh = s_rng.choice(CERT_BODIES)
            issued = today - dt.timedelta(days=s_rng.randint(200, 1700))
            expires = issued + dt.timedelta(days=5 * 365)
            fate = s_rng.random()
            if fate < 0.08:  # renewal window: expires within 90 days
                expires = today + dt.timedelta(days=s_rng.randint(5, 89))
                issued = expires - dt.timedelta(days=5 * 365)
            elif fate < 0.11:  # already lapsed: will be suspended
                expires = today - dt.timedelta(days=s_rng.randint(1, 60))
                issued = expires - dt.timedelta(days=5 * 365)
            number = f"CGBM{issued.year}{body}{s_index:02d}{n:04d}"
            if s_index in (1, 4) and n in (0, 1):
                number = shared_certs[n]  # the same number at two suppliers: flagged to reviewers
            data = {
                "sku": sku,
                "name_en": f"{name_en} {model}",
                "name_zh": f"{name_zh} {model}",
                "category": code,
                "brand": BRANDS[s_index],
                "model_spec": model,
                "unit": unit,
                "list_price_fen": int(s_rng.uniform(lo, hi) * 100),
                "manufacturer": supplier.name_zh,
                "plant": f"{supplier.address or ''} plant {1 + n % 2}".strip(),
                "description": f"{name_zh}，型号 {model}。",
                "indicators": _indicators(code, strict.get(code, {}), s_rng, mode),
                "certificate": {"number": number, "body": f"{body} {body_zh}", "star_grade": s_rng.choice((1, 2, 2, 3, 3)),
                                "standard": CERT_STANDARD, "issued_on": issued, "expires_on": expires},
            }
            if carbon is not None:
                c_unit, (c_lo, c_hi) = carbon
                data["carbon"] = {"declared_unit": c_unit, "gwp_a1a3": _round(s_rng.uniform(c_lo, c_hi)),
                                  "valid_until": today + dt.timedelta(days=s_rng.randint(200, 1500)),
                                  "program_operator": s_rng.choice(EPD_OPERATORS)}
            product = upsert_product(supplier, data, actor, audit=False, context=context)
            _place_in_lifecycle(product, n, s_rng, expires < today, reviewer)
            created += 1
        db.session.flush()
    created += _second_sources(suppliers, cats, strict, reviewer, today)
    if created:
        audit.record("demo.products_seed", object_type="products", object_id="demo", after={"created": created})
    return created


def _second_sources(suppliers, cats, strict, reviewer, today) -> int:
    """The `SECOND_SOURCES` products that do not exist yet (SKUs ending in -Sn): listed, passing."""
    from catalog.services.product_bulk import make_upsert_context
    from catalog.services.product_upsert import upsert_product

    created = 0
    for s_index, codes in sorted(SECOND_SOURCES.items()):
        if s_index >= len(suppliers):
            continue
        supplier = suppliers[s_index]
        rng = random.Random(f"{SEED}-second-{s_index}")
        context = make_upsert_context(supplier)
        context.bulk = False
        actor = next((u for u in supplier.users), None)
        for code in codes:
            if code not in cats:
                continue
            name_en, name_zh, unit, (lo, hi), models, carbon = TEMPLATES[code]
            for n in range(SECOND_SOURCE_PRODUCTS):
                sku = f"{code[:3].upper()}-{s_index + 1:02d}-S{n + 1}"
                if sku in context.products:
                    continue
                body, body_zh = CERT_BODIES[n % len(CERT_BODIES)]
                issued = today - dt.timedelta(days=400 + 30 * n)
                model = models[n % len(models)]
                data = {"sku": sku, "name_en": f"{name_en} {model}", "name_zh": f"{name_zh} {model}", "category": code,
                        "brand": BRANDS[s_index], "model_spec": model, "unit": unit,
                        "list_price_fen": int(rng.uniform(lo, hi) * 100), "manufacturer": supplier.name_zh,
                        "plant": f"{supplier.address or ''} plant 2".strip(), "description": f"{name_zh}，型号 {model}。",
                        "indicators": _indicators(code, strict.get(code, {}), rng, "ok"),
                        "certificate": {"number": f"CGBM{issued.year}{body}{s_index:02d}S{code[:3].upper()}{n}",
                                        "body": f"{body} {body_zh}", "star_grade": 3, "standard": CERT_STANDARD,
                                        "issued_on": issued, "expires_on": issued + dt.timedelta(days=5 * 365)}}
                if carbon is not None:
                    c_unit, (c_lo, c_hi) = carbon
                    data["carbon"] = {"declared_unit": c_unit, "gwp_a1a3": _round(rng.uniform(c_lo, c_hi)),
                                      "valid_until": today + dt.timedelta(days=900),
                                      "program_operator": EPD_OPERATORS[0]}
                product = upsert_product(supplier, data, actor, audit=False, context=context)
                _place_in_lifecycle(product, n, rng, False, reviewer)
                created += 1
        db.session.flush()
    return created


def _place_in_lifecycle(product: Product, n: int, rng, lapsed: bool, reviewer) -> None:
    """Most demo products are listed; a few wait for review, are drafts or were rejected."""
    now = utcnow()
    if lapsed:
        product.status = "suspended"
        product.suspension_kind = "certificate"
        product.suspended_reason = f"No valid certificate: {product.certificates[0].number} (expired)"
        product.certificates[0].status = "expired"
        return
    slot = n % 14
    if slot == 3:
        product.status, product.submitted_at = "submitted", now
    elif slot == 7:
        product.status = "draft"
    elif slot == 11 and rng.random() < 0.5:
        product.status, product.submitted_at = "rejected", now
        product.review_note = "Test report does not cover the declared U-value; please attach it."
    elif slot == 12:
        product.status, product.submitted_at, product.verified_at = "verified", now, now
    else:
        product.status, product.submitted_at, product.verified_at, product.listed_at = "listed", now, now, now
    if product.certificates and product.certificates[0].number.startswith("CGBM2023CTC000777"):
        product.status, product.listed_at = "submitted", None
    if product.certificates and product.certificates[0].number.startswith("CGBM2024CQC001313"):
        product.status, product.listed_at = "submitted", None
