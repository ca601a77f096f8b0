"""Bond pages without JavaScript: the supplier pays on the embedded test page (localstripe) and
uploads a guarantee; the centre sees nothing before the deadline and the list after it; the pages
read in Chinese without English sentences."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

import procurement.models  # noqa: F401
from core.extensions import db
from procurement.bonds.models import Bond
from tests.factories import login_as
from tests.procurement.bonds.helpers import supplier
from tests.procurement.helpers import World, make_standard
from tests.procurement.tendering_helpers import make_tender

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def w(app):
    make_standard()
    return World()


def _close(tender):
    from core.timeutil import utcnow

    tender.bid_deadline_at = utcnow()
    tender.status = "closed"
    db.session.commit()


def test_supplier_pays_by_card_on_the_test_page(w, client):
    tender = make_tender(w)
    lot = tender.lots[0]
    s = supplier()
    login_as(client, s)
    page = client.get(f"/lots/{lot.id}/bond")
    assert page.status_code == 200 and "Pay by card" in page.text and "1,000.00" in page.text
    r = client.post(f"/lots/{lot.id}/bond/card")
    assert r.status_code == 302 and "/pay" in r.headers["Location"]
    pay = client.get(r.headers["Location"])
    assert pay.status_code == 200 and "pm_card_visa" in pay.text and "<script" not in pay.text
    done = client.post(r.headers["Location"], data={"payment_method": "pm_card_visa"})
    assert done.status_code == 302
    bond_page = client.get(done.headers["Location"])
    assert bond_page.status_code == 200 and "Held" in bond_page.text
    assert db.session.execute(select(Bond.status)).scalar_one() == "held"
    bad = client.post(r.headers["Location"], data={"payment_method": "pm_card_unknown"})
    assert bad.status_code == 302  # refused with a message, nothing changed
    assert db.session.execute(select(Bond.status)).scalar_one() == "held"


def test_guarantee_upload_and_centre_list_only_after_the_deadline(w, client):
    tender = make_tender(w)
    lot = tender.lots[0]
    s = supplier("Guarantor Ltd")
    login_as(client, s)
    r = client.post(f"/lots/{lot.id}/bond/guarantee", data={"file": (io.BytesIO(PDF), "g.pdf")},
                    content_type="multipart/form-data")
    assert r.status_code == 302
    bond = db.session.execute(select(Bond)).scalar_one()
    login_as(client, w.centre)
    before = client.get(f"/tenders/{tender.id}/bonds")
    assert before.status_code == 200 and "Guarantor Ltd" not in before.text and "after the bid deadline" in before.text
    assert client.get(f"/bonds/{bond.id}").status_code == 404
    _close(tender)
    after = client.get(f"/tenders/{tender.id}/bonds")
    assert "Guarantor Ltd" in after.text
    assert client.post(f"/bonds/{bond.id}/verify").status_code == 302
    db.session.expire_all()
    assert db.session.get(Bond, bond.id).status == "held"
    login_as(client, w.purchaser)
    assert client.get(f"/tenders/{tender.id}/bonds").status_code == 404


ENGLISH = ("Pay by card", "Bid bond for lot", "Give a bank guarantee", "Bid bonds are shown only", "Held since")


def test_bond_pages_in_chinese(w, client):
    tender = make_tender(w)
    lot = tender.lots[0]
    s = supplier()
    s.locale = "zh_Hans"
    w.centre.locale = "zh_Hans"
    db.session.commit()
    login_as(client, s)
    page = client.get(f"/lots/{lot.id}/bond")
    assert "银行卡支付" in page.text and "提交银行保函" in page.text
    r = client.post(f"/lots/{lot.id}/bond/card")
    pay = client.get(r.headers["Location"])
    done = client.post(r.headers["Location"], data={"payment_method": "pm_card_visa"})
    bond_page = client.get(done.headers["Location"])
    login_as(client, w.centre)
    hidden = client.get(f"/tenders/{tender.id}/bonds")
    _close(tender)
    listed = client.get(f"/tenders/{tender.id}/bonds")
    for resp in (page, pay, bond_page, hidden, listed):
        assert resp.status_code == 200
        for sentence in ENGLISH:
            assert sentence not in resp.text, (sentence, resp.request.path)
    assert "已收取" in listed.text
