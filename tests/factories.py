"""Test data builders. Each returns a committed row."""
from __future__ import annotations

import itertools
import random

from core import roles as R
from core import uscc
from core.demo import PILOT_CITIES
from core.extensions import db
from core.models import City, Organisation, User, UserRole
from core.passwords import hash_password

PASSWORD = "Passw0rd!demo"
_seq = itertools.count(1)
_CITY_DATA = {c[0]: c for c in PILOT_CITIES}
KIND_DEFAULT_ROLE = {
    R.ORG_SUPPLIER: R.SUPPLIER, R.ORG_PURCHASER: R.PURCHASER, R.ORG_CENTRE: R.PROCUREMENT_OFFICER,
    R.ORG_FINANCE: R.FINANCE_REVIEWER, R.ORG_INSPECTION: R.INSPECTOR, R.ORG_PLATFORM: R.PLATFORM_ADMIN,
}


def make_city(code: str = "nanjing") -> City:
    city = db.session.execute(db.select(City).filter_by(code=code)).scalar_one_or_none()
    if city is None:
        _code, name_en, name_zh, province, zone, _region = _CITY_DATA.get(code, (code, code.title(), code, "", "hscw_a", "320100"))
        city = City(code=code, name_en=name_en, name_zh=name_zh, province_en=province, climate_zone=zone)
        db.session.add(city)
        db.session.commit()
    return city


def make_org(kind: str = R.ORG_PURCHASER, city: City | str | None = None, **fields) -> Organisation:
    n = next(_seq)
    if isinstance(city, str):
        city = make_city(city)
    if city is None and kind in R.CITY_BOUND_KINDS:
        city = make_city("nanjing")
    defaults = {"name_en": f"{kind.title()} {n}", "name_zh": f"机构{n}", "status": "verified"}
    if kind == R.ORG_SUPPLIER:
        defaults["credit_code"] = uscc.generate(random.Random(f"factory-{n}-{random.random()}"))
    defaults.update(fields)
    org = Organisation(kind=kind, city_id=city.id if city else None, **defaults)
    db.session.add(org)
    db.session.commit()
    return org


def make_user(org: Organisation | None = None, roles=None, email: str | None = None, password: str = PASSWORD, **fields) -> User:
    org = org or make_org()
    roles = tuple(roles or (KIND_DEFAULT_ROLE[org.kind],))
    user = User(email=email or f"user{next(_seq)}@example.test", name=fields.pop("name", "Test User"),
                password_hash=hash_password(password), organisation_id=org.id,
                roles=[UserRole(role=r) for r in roles], **fields)
    db.session.add(user)
    db.session.commit()
    return user


def make_role_user(role: str, city: str = "nanjing") -> User:
    """A user holding `role` in a fresh organisation of the matching kind."""
    kind = next(k for k, roles in R.ROLES_BY_ORG_KIND.items() if role in roles)
    org = make_org(kind, city=city if kind in R.CITY_BOUND_KINDS else None)
    return make_user(org, roles=(role,))


def login(client, user: User, password: str = PASSWORD):
    """Sign in through the real login form; returns the response."""
    return client.post("/login", data={"email": user.email, "password": password})


def api_token(user: User, scopes=None, days=90) -> str:
    from core.api import create_token

    _row, plaintext = create_token(user, "test token", scopes=scopes, days=days)
    return plaintext


def auth_header(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def login_as(client, user: User):
    """Sign in by session (no form, no rate limit): for tests about what comes after login."""
    from core import sessions

    with client.application.test_request_context():
        from flask import session as request_session

        sessions.open_session(user)
        token = request_session[sessions.SESSION_KEY]
    db.session.commit()
    with client.session_transaction() as sess:
        sess["_user_id"] = str(user.id)
        sess["_fresh"] = True
        sess[sessions.SESSION_KEY] = token
    return client
