"""Builders shared by the product tests (not a conftest: other suites own that file)."""
from __future__ import annotations

import datetime as dt

from core.timeutil import today_cn
from core import roles as R
from core.extensions import db
from tests.factories import make_city, make_org, make_role_user, make_user
from catalog.services import product_edit as edit
from catalog.services import product_lifecycle as lifecycle

CITY_CODES = ("nanjing", "hangzhou", "shaoxing", "huzhou", "qingdao", "foshan")


def seed_catalog():
    """Six pilot cities plus the seeded categories and demand standards."""
    from catalog.standards_seed import seed_standards

    for code in CITY_CODES:
        make_city(code)
    seed_standards()
    db.session.commit()


def supplier_user(**org_fields):
    org = make_org(R.ORG_SUPPLIER, **org_fields)
    return make_user(org, roles=(R.SUPPLIER,))


def reviewer_user():
    return make_role_user(R.PLATFORM_REVIEWER)


def window_data(sku="WIN-001", u_value=3.2, *, cert_number="CGBM-2024-0001", expires_in_days=800, **extra):
    today = today_cn()
    data = {
        "sku": sku,
        "name_zh": "断桥铝合金窗",
        "name_en": "Thermally broken aluminium window",
        "category": "windows_doors",
        "brand": "Haiwan",
        "model_spec": "HW-70",
        "unit": "m2",
        "list_price_fen": 98000,
        "manufacturer": "Qingdao Haiwan Windows and Doors Co.",
        "plant": "Jiaozhou plant",
        "indicators": {"u_value": {"value": u_value, "unit": "W/(m2.K)"}, "air_tightness_grade": 7,
                       "water_tightness_grade": 4, "shgc": 0.35},
        "certificate": {"number": cert_number, "body": "CTC", "star_grade": 2, "standard": "T/CECS 10026",
                        "issued_on": (today - dt.timedelta(days=365)).isoformat(),
                        "expires_on": (today + dt.timedelta(days=expires_in_days)).isoformat()},
    }
    data.update(extra)
    return data


def listed_product(supplier, reviewer, **kw):
    """A product taken through the whole lifecycle to `listed`."""
    product = edit.create_product(supplier, window_data(**kw))
    lifecycle.submit_product(supplier, product.id)
    lifecycle.verify_product(reviewer, product.id)
    lifecycle.list_product(supplier, product.id)
    return db.session.get(type(product), product.id)


def field_text(exc, name: str) -> str:
    """A ServiceError's message for field `name`, in English (templates filled in)."""
    from core.errors import render_message

    return render_message(exc.fields[name])


def notices_for(organisation_id: int) -> list:
    """The notifications people of an organisation received, oldest first."""
    from sqlalchemy import select

    from core.extensions import db
    from core.models import Notification, User

    return db.session.execute(select(Notification).join(User, User.id == Notification.user_id)
                              .where(User.organisation_id == organisation_id)
                              .order_by(Notification.id)).scalars().all()


def notice_text(notification) -> str:
    """A notification's text in English."""
    from flask_babel import force_locale

    from core.i18n import render_payload

    with force_locale("en"):
        return render_payload(notification.message)

