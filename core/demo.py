"""`flask demo seed`: the six pilot cities, their offices, demo firms and one user per role.

Idempotent: running it twice changes nothing the second time. Other packages add steps with
`register_seeder(app, ...)` from their `register(app)`.
"""
from __future__ import annotations

import random

import click
from flask import current_app
from flask.cli import AppGroup

from core import audit, uscc
from core import roles as R
from core.extensions import db
from core.models import City, Organisation, User, UserRole
from core.passwords import hash_password

demo_cli = AppGroup("demo", help="Demo data.")

DEMO_PASSWORD = "demo-password-2026"

# (code, English, Chinese, province, climate zone, region code for credit codes)
PILOT_CITIES = [
    ("nanjing", "Nanjing", "南京", "Jiangsu", "hscw_a", "320100"),
    ("hangzhou", "Hangzhou", "杭州", "Zhejiang", "hscw_a", "330100"),
    ("shaoxing", "Shaoxing", "绍兴", "Zhejiang", "hscw_a", "330600"),
    ("huzhou", "Huzhou", "湖州", "Zhejiang", "hscw_a", "330500"),
    ("qingdao", "Qingdao", "青岛", "Shandong", "cold_a", "370200"),
    ("foshan", "Foshan", "佛山", "Guangdong", "hsww_b", "440600"),
]

OFFICES = [
    (R.ORG_FINANCE, "{city} Municipal Finance Bureau", "{city_zh}市财政局", R.FINANCE_REVIEWER, "finance"),
    (R.ORG_CENTRE, "{city} Government Procurement Centre", "{city_zh}市政府采购中心", R.PROCUREMENT_OFFICER, "centre"),
    (R.ORG_INSPECTION, "{city} Housing and Construction Quality Supervision Station", "{city_zh}市建设工程质量监督站", R.INSPECTOR, "inspector"),
]

PURCHASERS = [
    ("nanjing", "Nanjing Education Bureau Infrastructure Office", "南京市教育局基建办"),
    ("hangzhou", "Hangzhou First People's Hospital", "杭州市第一人民医院"),
    ("qingdao", "Qingdao Affordable Housing Construction Centre", "青岛市保障性住房建设中心"),
    ("foshan", "Foshan Sports Centre Project Office", "佛山市体育中心项目办"),
    ("huzhou", "Huzhou Government Offices Administration", "湖州市机关事务管理局"),
    ("shaoxing", "Shaoxing Urban Renewal Co.", "绍兴市城市更新建设有限公司"),
]

SUPPLIERS = [
    ("nanjing", "Jiangsu Greenstone Building Materials Co.", "江苏绿石建材有限公司"),
    ("hangzhou", "Zhejiang Xinhua Glass Co.", "浙江新华玻璃有限公司"),
    ("shaoxing", "Shaoxing Yuecheng Waterproofing Technology Co.", "绍兴越城防水科技有限公司"),
    ("huzhou", "Huzhou Taihu Concrete Co.", "湖州太湖混凝土有限公司"),
    ("qingdao", "Qingdao Haiwan Windows and Doors Co.", "青岛海湾门窗有限公司"),
    ("foshan", "Foshan Nanhai Ceramics Co.", "佛山南海陶瓷有限公司"),
    ("nanjing", "Nanjing Jinling Steel Structure Co.", "南京金陵钢结构有限公司"),
    ("hangzhou", "Hangzhou Qiantang Coatings Co.", "杭州钱塘涂料有限公司"),
    ("qingdao", "Qingdao Jiaozhou Gypsum Board Co.", "青岛胶州石膏板有限公司"),
    ("foshan", "Foshan Shunde Insulation Materials Co.", "佛山顺德保温材料有限公司"),
    ("huzhou", "Huzhou Anji Timber Structures Co.", "湖州安吉木结构有限公司"),
    ("shaoxing", "Shaoxing Keqiao Sealants Co.", "绍兴柯桥密封胶有限公司"),
]

# The demo logins listed in the README: one per role.
DEMO_LOGINS = [
    ("supplier@demo.gbm.cn", "Demo Supplier", "supplier:0", R.SUPPLIER),
    ("purchaser@demo.gbm.cn", "Demo Purchaser", "purchaser:nanjing", R.PURCHASER),
    ("centre@demo.gbm.cn", "Demo Procurement Officer", "centre:nanjing", R.PROCUREMENT_OFFICER),
    ("finance@demo.gbm.cn", "Demo Finance Reviewer", "finance:nanjing", R.FINANCE_REVIEWER),
    ("inspector@demo.gbm.cn", "Demo Inspector", "inspector:nanjing", R.INSPECTOR),
    ("admin@demo.gbm.cn", "Demo Platform Admin", "platform", R.PLATFORM_ADMIN),
    ("reviewer@demo.gbm.cn", "Demo Platform Reviewer", "platform", R.PLATFORM_REVIEWER),
]

SEEDERS_KEY = "demo_seeders"


def register_seeder(app, name: str, func, order: int = 50) -> None:
    """Add a demo step to `app`; `func(ctx)` gets {"cities", "orgs", "users", "rng"}."""
    app.extensions.setdefault(SEEDERS_KEY, {})[name] = (order, name, func)


def _get_or_create_org(key, **fields):
    org = None
    if fields.get("credit_code"):
        org = db.session.execute(db.select(Organisation).filter_by(credit_code=fields["credit_code"])).scalar_one_or_none()
    else:
        org = db.session.execute(db.select(Organisation).filter_by(kind=fields["kind"], name_en=fields["name_en"])).scalar_one_or_none()
    if org is None:
        org = Organisation(**fields)
        db.session.add(org)
        db.session.flush()
        audit.record("demo.org_create", org, after=org.snapshot())
    return org


def seed_core() -> dict:
    """Cities, offices, demo firms and one user per role. Returns the seed context."""
    rng = random.Random(2020_10)
    cities = {}
    for code, name_en, name_zh, province, zone, _region in PILOT_CITIES:
        city = db.session.execute(db.select(City).filter_by(code=code)).scalar_one_or_none()
        if city is None:
            city = City(code=code, name_en=name_en, name_zh=name_zh, province_en=province, climate_zone=zone)
            db.session.add(city)
            db.session.flush()
            audit.record("demo.city_create", city, after={"code": code, "climate_zone": zone})
        cities[code] = city
    orgs = {"platform": _get_or_create_org("platform", kind=R.ORG_PLATFORM, name_en="Green Materials Procurement Platform Operator",
                                           name_zh="绿色建材政府采购平台运营中心", status="verified")}
    for code, name_en, name_zh, *_ in PILOT_CITIES:
        for kind, tmpl_en, tmpl_zh, _role, key in OFFICES:
            orgs[f"{key}:{code}"] = _get_or_create_org(key, kind=kind, name_en=tmpl_en.format(city=name_en),
                                                      name_zh=tmpl_zh.format(city_zh=name_zh), city_id=cities[code].id, status="verified")
    for code, name_en, name_zh in PURCHASERS:
        orgs[f"purchaser:{code}"] = _get_or_create_org("purchaser", kind=R.ORG_PURCHASER, name_en=name_en, name_zh=name_zh,
                                                       city_id=cities[code].id, status="verified")
    region = {c[0]: c[5] for c in PILOT_CITIES}
    for i, (code, name_en, name_zh) in enumerate(SUPPLIERS):
        credit = uscc.generate(random.Random(f"supplier-{i}"), region=region[code])
        orgs[f"supplier:{i}"] = _get_or_create_org(f"supplier:{i}", kind=R.ORG_SUPPLIER, name_en=name_en, name_zh=name_zh,
                                                   credit_code=credit, address=f"{cities[code].name_en}", status="verified")
    pw_hash = None
    users = {}
    for email, name, org_key, role in DEMO_LOGINS:
        user = db.session.execute(db.select(User).filter_by(email=email)).scalar_one_or_none()
        if user is None:
            pw_hash = pw_hash or hash_password(DEMO_PASSWORD)
            # Each demo login also administers its organisation (invites colleagues), except the
            # platform reviewer, so the people pages can be tried with every kind of organisation.
            granted = [role] if role == R.PLATFORM_REVIEWER else [role, R.ORG_ADMIN]
            user = User(email=email, name=name, password_hash=pw_hash, organisation_id=orgs[org_key].id,
                        roles=[UserRole(role=r) for r in granted])
            db.session.add(user)
            db.session.flush()
            audit.record("demo.user_create", user, after={"email": email, "role": role})
        users[role] = user
    # One login per supplier firm too, so every demo firm can be tried.
    for i in range(len(SUPPLIERS)):
        email = f"supplier{i + 1}@demo.gbm.cn"
        if i and db.session.execute(db.select(User.id).filter_by(email=email)).first() is None:
            pw_hash = pw_hash or hash_password(DEMO_PASSWORD)
            user = User(email=email, name=f"Supplier {i + 1}", password_hash=pw_hash,
                        organisation_id=orgs[f"supplier:{i}"].id, roles=[UserRole(role=R.SUPPLIER)])
            db.session.add(user)
            db.session.flush()
            audit.record("demo.user_create", user, after={"email": email, "role": R.SUPPLIER})
    return {"cities": cities, "orgs": orgs, "users": users, "rng": rng}


def seed_all(echo=lambda msg: None) -> dict:
    """Run the core seed and every registered step, committing after each."""
    ctx = seed_core()
    db.session.commit()
    echo("core: cities, organisations and demo users")
    seeders = current_app.extensions.get(SEEDERS_KEY, {}).values()
    for _order, name, func in sorted(seeders, key=lambda s: (s[0], s[1])):
        func(ctx)
        db.session.commit()
        echo(f"{name}: done")
    return ctx


def database_is_empty() -> bool:
    return db.session.execute(db.select(City.id).limit(1)).first() is None


@demo_cli.command("seed")
def seed_command():
    """Create (or complete) the demo data. Safe to run again."""
    seed_all(echo=lambda msg: click.echo(msg))
    click.echo(f"Demo data ready. Password for every demo login: {DEMO_PASSWORD}")


@demo_cli.command("seed-if-empty")
def seed_if_empty_command():
    """Seed only a fresh database (used by `make run`)."""
    if database_is_empty():
        seed_all(echo=lambda msg: click.echo(msg))
        click.echo(f"Demo data ready. Password for every demo login: {DEMO_PASSWORD}")
    else:
        click.echo("Database already has data; not seeding.")
