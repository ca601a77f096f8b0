"""Award pages: the centre sends the recommendation and publishes the notice, the finance office
of the city reviews (another city's gets a 404), the public notice and tender page without
signing in (statuses only, no challenge text), a bidder's challenge form with its error shown on
the form, the challenge page's answer and complaint forms, the offer forms, and Chinese pages."""

from __future__ import annotations

import re

from sqlalchemy import select

from core.extensions import db
from procurement.awards import challenges, succession
from procurement.awards.models import Award, Challenge
from tests.core.test_chinese_pages import english_sentences
from tests.factories import login_as
from tests.procurement.awards.helpers import award_in, qualified_lot, supplier_of

TEXT = "The winning price is abnormally low and was not justified."


def _award() -> Award:
    db.session.expire_all()
    return db.session.execute(select(Award)).unique().scalar_one()


def test_recommendation_review_and_notice_through_the_pages(app, client):
    ctx = qualified_lot(3)
    url = f"/tenders/{ctx.tender.id}/awards"
    login_as(client, supplier_of(ctx, 0))
    assert client.get(url).status_code == 404
    login_as(client, ctx.world.centre)
    page = client.get(url).get_data(as_text=True)
    assert "Send the recommendation to the finance office" in page
    client.post(f"/tenders/{ctx.tender.id}/lots/{ctx.lot.id}/award", data={})
    award = _award()
    assert award.status == "finance_review"

    login_as(client, ctx.other_finance)
    assert client.get(url).status_code == 404
    refused = client.post(f"/awards/{award.id}/review", data={f"review{award.id}-decision": "approve"},
                          follow_redirects=True)
    assert refused.status_code == 404 or "finance office of the tender's city" in refused.get_data(as_text=True)
    assert _award().status == "finance_review"

    login_as(client, ctx.world.finance)
    page = client.get(url).get_data(as_text=True)
    assert "Record the review" in page and "Publish the award notice" not in page
    returned = client.post(f"/awards/{award.id}/review", data={f"review{award.id}-decision": "return",
                                                              f"review{award.id}-comment": ""}, follow_redirects=True)
    assert "A reason is required." in returned.get_data(as_text=True) and _award().status == "finance_review"
    client.post(f"/awards/{award.id}/review", data={f"review{award.id}-decision": "approve"})
    assert _award().status == "approved"

    login_as(client, ctx.world.centre)
    done = client.post(f"/awards/{award.id}/publish", data={}, follow_redirects=True).get_data(as_text=True)
    assert "The award notice is published." in done and _award().status == "notified"

    client.post("/logout")
    public = client.get(f"/tenders/{ctx.tender.id}").get_data(as_text=True)
    winner = db.session.get(Award, award.id).winner
    assert "Awards" in public and winner.name_en in public and "¥40,000.00" in public
    notice = client.get(f"/awards/{award.id}")
    assert notice.status_code == 200 and "No challenge has been lodged." in notice.get_data(as_text=True)
    assert "Challenge this award" not in notice.get_data(as_text=True)


def test_a_bidder_challenges_on_the_notice_page_and_the_parties_follow_up(app, client):
    ctx = qualified_lot(3)
    from procurement.awards import services

    award = services.submit(ctx.world.centre, ctx.tender.id, ctx.lot.id)
    services.approve(ctx.world.finance, award.id, "")
    services.publish(ctx.world.centre, award.id)
    loser = supplier_of(ctx, 1)
    login_as(client, loser)
    page = client.get(f"/awards/{award.id}").get_data(as_text=True)
    assert "Challenge this award" in page
    short = client.post(f"/awards/{award.id}/challenges", data={"text": "too short"})
    assert short.status_code == 200 and "At least 20 characters." in short.get_data(as_text=True)
    done = client.post(f"/awards/{award.id}/challenges", data={"text": TEXT}, follow_redirects=True)
    assert "Your challenge is lodged" in done.get_data(as_text=True) and TEXT in done.get_data(as_text=True)
    challenge = db.session.execute(select(Challenge)).unique().scalar_one()

    client.post("/logout")
    public = client.get(f"/awards/{award.id}").get_data(as_text=True)
    assert "Waiting for the answer" in public and TEXT not in public and loser.organisation.name_en not in public
    assert client.get(f"/award-challenges/{challenge.id}").status_code in (302, 401, 404)
    login_as(client, supplier_of(ctx, 2))
    assert client.get(f"/award-challenges/{challenge.id}").status_code == 404

    login_as(client, ctx.world.centre)
    page = client.get(f"/award-challenges/{challenge.id}").get_data(as_text=True)
    assert TEXT in page and "Send the answer" in page
    client.post(f"/award-challenges/{challenge.id}/answer", data={"answer": "The price was justified in writing."})
    login_as(client, loser)
    page = client.get(f"/award-challenges/{challenge.id}").get_data(as_text=True)
    assert "The price was justified in writing." in page and "Complain to the finance office" in page
    client.post(f"/award-challenges/{challenge.id}/complaint", data={"text": TEXT + " The answer ignores it."})
    login_as(client, ctx.world.finance)
    page = client.get(f"/award-challenges/{challenge.id}").get_data(as_text=True)
    assert "Record the decision" in page
    client.post(f"/award-complaints/{challenge.complaint.id}/decide",
                data={"outcome": "dismissed", "reason": "The justification was accepted by the panel."})
    db.session.expire_all()
    assert db.session.get(Challenge, challenge.id).complaint.status == "dismissed"


def test_the_offered_firm_answers_on_the_notice_page(app, client):
    ctx, award = award_in("notified")
    succession.record_withdrawal(ctx.world.centre, award.id, "winner_withdrew", "Withdrew by letter")
    login_as(client, supplier_of(ctx, 1))
    page = client.get(f"/awards/{award.id}").get_data(as_text=True)
    assert "The award is offered to your firm" in page
    offer = _award().offers[1]
    client.post(f"/award-offers/{offer.id}/decline", data={"reason": "Fully booked"})
    assert _award().offers[1].status == "declined" and _award().offers[2].status == "offered"


def test_award_pages_in_chinese(app, client):
    ctx, award = award_in("notified")
    challenge = challenges.lodge(supplier_of(ctx, 1), award.id, TEXT, now=award.notice_at)
    client.post("/language", data={"lang": "zh_Hans"})
    problems = []

    def check(user, url):
        if user is not None:
            login_as(client, user)
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        problems.extend(f"{url}: {s}" for s in english_sentences(html.replace(TEXT, "")))
        return html

    check(ctx.world.centre, f"/tenders/{ctx.tender.id}/awards")
    check(ctx.world.centre, f"/award-challenges/{challenge.id}")
    check(ctx.world.finance, f"/tenders/{ctx.tender.id}/awards")
    client.post("/logout")
    client.post("/language", data={"lang": "zh_Hans"})
    html = check(None, f"/awards/{award.id}")
    assert "中标公告已发布" in html and re.search("第 1 包中标结果", html)
    check(None, f"/tenders/{ctx.tender.id}")
    assert not problems, "\n".join(sorted(set(problems)))
