"""Opening pages: the key holders' unlock form (a wrong passphrase shown on the form, nothing
changed), the centre's qualification page with override, confirmation and next step, the public
opening record on the tender page, access rules, and the pages in Chinese."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from core.extensions import db
from procurement.opening.models import LotOpening, OpeningSession, QualificationResult
from tests.core.test_chinese_pages import english_sentences
from tests.factories import login_as
from tests.procurement.bids.helpers import KEY_PASSPHRASE
from tests.procurement.opening.helpers import open_bids, opening_tender


def test_key_holders_unlock_through_the_page_and_the_record_goes_public(app, client):
    ctx = opening_tender(3)
    url = f"/tenders/{ctx.tender.id}/opening"
    login_as(client, ctx.supplier)
    assert client.get(url).status_code == 404
    login_as(client, ctx.holders[0][0])
    page = client.get(url).get_data(as_text=True)
    assert "Unlock my share" in page and "0 of 2 shares needed" in page
    wrong = client.post(url, data={"passphrase": "this is not it"})
    assert wrong.status_code == 200 and "Wrong passphrase." in wrong.get_data(as_text=True)
    assert db.session.execute(select(func.count(OpeningSession.id))).scalar() == 0
    done = client.post(url, data={"passphrase": KEY_PASSPHRASE}, follow_redirects=True).get_data(as_text=True)
    assert "Your share is unlocked (1 of 2)." in done and "Unlock my share" not in done  # once is enough

    public = client.get(f"/tenders/{ctx.tender.id}").get_data(as_text=True)
    assert "Bid opening" in public and "1 have unlocked their share so far" in public

    login_as(client, ctx.holders[1][0])
    done = client.post(url, data={"passphrase": KEY_PASSPHRASE}, follow_redirects=True).get_data(as_text=True)
    assert "the bids are opened" in done
    client.post("/logout")
    public = client.get(f"/tenders/{ctx.tender.id}").get_data(as_text=True)
    for user, product in ctx.firms:
        assert product.sku in public
    assert "¥401.00" in public and "¥40,100.00" in public
    assert "Opening session and qualification" not in public  # the staff link only for staff


def test_the_centre_overrides_confirms_and_chooses_the_next_step_on_the_page(app, client):
    ctx = opening_tender(3)
    open_bids(ctx)
    centre = ctx.world.centre
    login_as(client, centre)
    url = f"/tenders/{ctx.tender.id}/opening"
    page = client.get(url).get_data(as_text=True)
    assert "Override this result" in page and "Close qualification of this lot" in page
    result = db.session.execute(select(QualificationResult).where(QualificationResult.check_name == "price")
                                .order_by(QualificationResult.id)).scalars().first()
    refused = client.post(f"/opening/results/{result.id}/override",
                          data={f"r{result.id}-passed": "fail", f"r{result.id}-reason": ""}, follow_redirects=True)
    assert "A reason is required." in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(QualificationResult, result.id).passed is True
    client.post(f"/opening/results/{result.id}/override",
                data={f"r{result.id}-passed": "fail", f"r{result.id}-reason": "Abnormally low price, see note 4"})
    db.session.expire_all()
    assert db.session.get(QualificationResult, result.id).passed is False
    page = client.get(url).get_data(as_text=True)
    assert "Abnormally low price, see note 4" in page

    client.post(f"/tenders/{ctx.tender.id}/lots/{ctx.lot.id}/qualification/confirm", data={})
    db.session.expire_all()
    assert db.session.execute(select(LotOpening)).scalar_one().status == "failed"
    page = client.get(url).get_data(as_text=True)
    assert "Next step for this lot" in page
    client.post(f"/tenders/{ctx.tender.id}/lots/{ctx.lot.id}/next-step",
                data={f"step{ctx.lot.id}-choice": "retender", f"step{ctx.lot.id}-reason": "New tender in July"})
    db.session.expire_all()
    outcome = db.session.execute(select(LotOpening)).scalar_one()
    assert (outcome.status, outcome.next_step_reason) == ("retender", "New tender in July")

    login_as(client, ctx.world.finance)  # the finance office sees results but decides nothing
    page = client.get(url).get_data(as_text=True)
    assert "Abnormally low price" in page and "Override this result" not in page


def test_opening_pages_in_chinese(app, client):
    ctx = opening_tender(3)
    client.post("/language", data={"lang": "zh_Hans"})
    problems = []

    def check(user, url):
        if user is not None:
            login_as(client, user)
        response = client.get(url)
        assert response.status_code == 200, url
        problems.extend(f"{url}: {s}" for s in english_sentences(response.get_data(as_text=True)))

    check(ctx.world.centre, f"/tenders/{ctx.tender.id}/opening")
    open_bids(ctx)
    check(ctx.world.centre, f"/tenders/{ctx.tender.id}/opening")
    check(ctx.world.finance, f"/tenders/{ctx.tender.id}/opening")
    check(None, f"/tenders/{ctx.tender.id}")
    html = client.get(f"/tenders/{ctx.tender.id}").get_data(as_text=True)
    assert "开标" in html and re.search("有效投标 3 个", html)
    assert not problems, "\n".join(sorted(set(problems)))


def test_the_forms_carry_csrf_tokens(app, client, csrf_enabled):
    ctx = opening_tender(3)
    url = f"/tenders/{ctx.tender.id}/opening"
    login_as(client, ctx.holders[0][0])
    assert client.post(url, data={"passphrase": KEY_PASSPHRASE}).status_code == 400  # no token
    assert db.session.execute(select(func.count(OpeningSession.id))).scalar() == 0
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(url).get_data(as_text=True))
    done = client.post(url, data={"passphrase": KEY_PASSPHRASE, "csrf_token": token.group(1)}, follow_redirects=True)
    assert "Your share is unlocked (1 of 2)." in done.get_data(as_text=True)
    login_as(client, ctx.holders[1][0])
    page = client.get(url).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post(url, data={"passphrase": KEY_PASSPHRASE, "csrf_token": token})
    login_as(client, ctx.world.centre)
    page = client.get(url).get_data(as_text=True)
    result = db.session.execute(select(QualificationResult).order_by(QualificationResult.id)).scalars().first()
    field = re.search(rf'name="r{result.id}-csrf_token" type="hidden" value="([^"]+)"', page)
    assert field, "override form without its CSRF token"
    client.post(f"/opening/results/{result.id}/override",
                data={f"r{result.id}-csrf_token": field.group(1), f"r{result.id}-passed": "fail",
                      f"r{result.id}-reason": "Checked with the certification body"})
    db.session.expire_all()
    assert db.session.get(QualificationResult, result.id).passed is False
