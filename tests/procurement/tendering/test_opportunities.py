"""Opportunities: at publication, suppliers whose listed products fit a lot in the tender's city
hear of it once per tender, naming every lot that fits; nobody else does."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

import procurement.models  # noqa: F401  (every table mapped before the app configures the mappers)
from core import roles as R
from core.extensions import db
from core.i18n import render_payload_english
from core.models import MailMessage, Notification
from procurement.tendering import opportunities
from procurement.tendering.models import Lot
from tests.factories import make_user
from tests.procurement.helpers import World, category, make_product, make_standard
from tests.procurement.tendering.test_clarifications import supplier
from tests.procurement.tendering_helpers import make_tender

GOOD = {"radionuclide_ira": (0.6, "")}


def notified(kind=opportunities.OPPORTUNITY_KIND) -> list[Notification]:
    return list(db.session.execute(select(Notification).filter_by(kind=kind).order_by(Notification.id)).scalars())


@pytest.fixture
def w(app):
    make_standard()
    return World()


def test_each_fitting_supplier_hears_once_and_nobody_else(w):
    tender = make_tender(w, lots=2)
    tender.lots[1].category_id = category("wall_coatings").id
    db.session.commit()
    fits = supplier("Fits Both")
    colleague = make_user(fits.organisation)                         # a second supplier person of the firm
    admin_only = make_user(fits.organisation, roles=(R.ORG_ADMIN,))  # no supplier role: not told
    make_product(w.city, "ready_mixed_concrete", GOOD, supplier=fits.organisation)
    make_product(w.city, "ready_mixed_concrete", GOOD, supplier=fits.organisation)  # two products: still one notice
    make_product(w.city, "wall_coatings", {"voc": (50, "g/L"), "fire_class": ("A", "")}, supplier=fits.organisation)
    unlisted = supplier("Unlisted")
    make_product(w.city, "ready_mixed_concrete", GOOD, supplier=unlisted.organisation, status="draft")
    failing = supplier("Failing Verdict")
    make_product(w.city, "ready_mixed_concrete", GOOD, supplier=failing.organisation, verdict="fail")
    elsewhere = supplier("Other City")
    make_product(World("suzhou").city, "ready_mixed_concrete", GOOD, supplier=elsewhere.organisation)
    unverified = supplier("Unverified", status="pending")
    make_product(w.city, "ready_mixed_concrete", GOOD, supplier=unverified.organisation)
    other_category = supplier("Glass Only")
    make_product(w.city, "windows_doors", {"u_value": (2.0, "W/(m2.K)")}, supplier=other_category.organisation)

    assert opportunities.announce(tender) == 1
    db.session.commit()
    rows = notified()
    assert sorted(n.user_id for n in rows) == sorted([fits.id, colleague.id])
    assert admin_only.id not in {n.user_id for n in rows}
    text = render_payload_english(rows[0].message)
    assert "1. Lot 1; 2. Lot 2" in text and tender.reference in text and "UTC+8" in text
    assert rows[0].link == f"/tenders/{tender.id}"
    assert db.session.execute(select(func.count(MailMessage.id)).filter_by(kind=opportunities.OPPORTUNITY_KIND)).scalar() == 2
    # Announcing again tells nobody twice.
    assert opportunities.announce(tender) == 0
    db.session.commit()
    assert len(notified()) == 2


def test_a_lots_requirements_decide_who_fits(w):
    tender = make_tender(w)
    lot = db.session.get(Lot, tender.lots[0].id)
    lot.requirements = [{"key": "radionuclide_ira", "comparison": "<=", "limit": 0.5, "unit": "", "kind": "green",
                         "name_en": "Internal exposure index", "name_zh": "内照射指数", "scale": None}]
    db.session.commit()
    strict = supplier("Meets the lot")
    make_product(w.city, "ready_mixed_concrete", {"radionuclide_ira": (0.4, "")}, supplier=strict.organisation)
    loose = supplier("Passes the city only")
    make_product(w.city, "ready_mixed_concrete", {"radionuclide_ira": (0.9, "")}, supplier=loose.organisation)
    assert opportunities.announce(tender) == 1
    db.session.commit()
    assert [n.user_id for n in notified()] == [strict.id]


def test_nothing_fits_nobody_hears(w):
    tender = make_tender(w, category_code="valves")
    assert opportunities.announce(tender) == 0
    assert notified() == []
