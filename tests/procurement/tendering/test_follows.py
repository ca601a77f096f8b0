"""Following a tender, "Tenders I follow", and who hears of a cancellation."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

import procurement.models  # noqa: F401  (every table mapped before the app configures the mappers)
from core.errors import Conflict, NotFound
from core.extensions import db
from core.i18n import render_payload_english
from core.models import MailMessage, Notification
from procurement.tendering import clarifications, follows, opportunities
from procurement.tendering.models import TenderFollow
from tests.factories import api_token, auth_header, login_as
from tests.procurement.helpers import World, make_product, make_standard
from tests.procurement.tendering.test_clarifications import supplier
from tests.procurement.tendering_helpers import make_tender


@pytest.fixture
def w(app):
    make_standard()
    return World()


def test_following_is_idempotent_and_needs_a_published_tender(w):
    tender = make_tender(w)
    fan = supplier()
    assert follows.follow(fan, tender.id) is True
    assert follows.follow(fan, tender.id) is False
    assert [u.id for u in follows.followers(tender)] == [fan.id]
    assert follows.is_following(fan, tender)
    assert follows.unfollow(fan, tender.id) is True
    assert follows.unfollow(fan, tender.id) is False
    assert follows.followers(tender) == []
    with pytest.raises(NotFound):
        follows.follow(fan, make_tender(w, status="draft").id)
    with pytest.raises(Conflict):  # its own centre sees the draft but there is nothing to follow yet
        follows.follow(w.centre, make_tender(w, status="draft").id)
    assert db.session.execute(select(func.count()).select_from(TenderFollow)).scalar() == 0


def test_anyone_signed_in_follows_through_the_page_and_sees_tenders_i_follow(w, client):
    tender = make_tender(w)
    login_as(client, w.purchaser)
    res = client.post(f"/tenders/{tender.id}/follow",
                      data={"action": "follow", "next": f"/tenders/{tender.id}/questions"})
    assert res.status_code == 302 and res.headers["Location"].endswith(f"/tenders/{tender.id}/questions")
    page = client.get("/tenders/following").get_data(as_text=True)
    assert tender.reference in page and tender.title in page
    questions = client.get(f"/tenders/{tender.id}/questions").get_data(as_text=True)
    assert "Stop following" in questions
    evil = client.post(f"/tenders/{tender.id}/follow", data={"action": "unfollow", "next": "//evil.example/x"})
    assert evil.status_code == 302 and "evil.example" not in evil.headers["Location"]
    assert "You follow no tenders yet." in client.get("/tenders/following").get_data(as_text=True)
    anonymous = client.application.test_client()
    assert anonymous.get("/tenders/following").status_code == 302
    assert anonymous.post(f"/tenders/{tender.id}/follow", data={"action": "follow"}).status_code == 302
    assert db.session.execute(select(func.count()).select_from(TenderFollow)).scalar() == 0


def test_following_through_the_api(w, client):
    tender = make_tender(w)
    fan = supplier()
    url = f"/api/v1/tenders/{tender.id}/follow"
    assert client.put(url).status_code == 401
    res = client.put(url, headers=auth_header(api_token(fan)))
    assert res.status_code == 200 and res.json == {"following": True}
    assert client.put(url, headers=auth_header(api_token(fan))).json == {"following": True}
    assert client.delete(url, headers=auth_header(api_token(fan))).json == {"following": False}
    draft = make_tender(w, status="draft")
    assert client.put(f"/api/v1/tenders/{draft.id}/follow", headers=auth_header(api_token(fan))).status_code == 404


def test_a_cancellation_reaches_everyone_who_showed_interest_once(w):
    tender = make_tender(w)
    fan, asker, both = supplier("Fan Firm"), supplier("Asker Firm"), supplier("Both Firm")
    seller = supplier("Told Firm")
    make_product(w.city, "ready_mixed_concrete", {"radionuclide_ira": (0.5, "")}, supplier=seller.organisation)
    told = seller.id
    follows.follow(fan, tender.id)
    follows.follow(both, tender.id)
    clarifications.ask(asker, tender.id, "Which delivery window applies?")
    clarifications.ask(both, tender.id, "Which test report is needed?")
    opportunities.announce(tender)
    db.session.commit()
    bystander = supplier("Bystander Firm")
    tender.status, tender.cancel_reason_type, tender.cancel_reason = "cancelled", "budget_withdrawn", "Funds moved."
    users = follows.notify_cancelled(tender)
    db.session.commit()
    assert sorted(u.id for u in users) == sorted({fan.id, asker.id, both.id, told})
    notices = db.session.execute(select(Notification).filter_by(kind="tender.cancelled")).scalars().all()
    assert sorted(n.user_id for n in notices) == sorted({fan.id, asker.id, both.id, told})
    assert bystander.id not in {n.user_id for n in notices}
    text = render_payload_english(notices[0].message)
    assert "budget withdrawn" in text and "Funds moved." in text and tender.reference in text
    assert db.session.execute(select(func.count(MailMessage.id)).filter_by(kind="tender.cancelled")).scalar() == 4
