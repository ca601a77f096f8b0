"""The tender pages: the public list and tender page without login (lots, quantities, requirements
as indicator rules, ceilings, bonds, timeline in China time, documents with SHA-256), the
printable tender documents, and the centre's and finance office's pages: a draft from a round,
the edit page with field errors, the review with each named check, buttons disabled with their
reasons, publication, cancellation, documents, worklists."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from sqlalchemy import select

from core.extensions import db
from core.worklists import items_for
from procurement.tendering.models import Lot, Tender, TenderDocument
from tests.factories import login_as
from tests.procurement.helpers import World
from tests.procurement.tendering.tender_builders import closed_round, deadline, tender_in

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def reload(tender) -> Tender:
    db.session.expire_all()
    return db.session.get(Tender, tender.id)


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_public_tender_page_needs_no_login(app, client):
    _world, _projects, tender = tender_in("published")
    page = text(client.get(f"/tenders/{tender.id}"))
    assert tender.title in page and tender.reference in page
    assert "Open for bids" in page
    assert "300" in page and "m³" in page  # quantity and unit
    assert "¥150,000.00" in page and "¥3,000.00" in page  # ceiling and bond
    assert "Internal exposure index" in page and "≤ 1" in page  # the requirement as a rule
    assert "(UTC+8)" in page and "Clarification cut-off" in page and "Documents available until" in page
    assert text(client.get(f"/tenders/{tender.reference}")) == page or tender.title in text(client.get(f"/tenders/{tender.reference}"))
    listing = text(client.get("/tenders"))
    assert tender.reference in listing


def test_unpublished_tenders_are_not_found_by_the_public(app, client):
    world, _projects, tender = tender_in("draft")
    assert client.get(f"/tenders/{tender.id}").status_code == 404
    assert client.get(f"/tenders/{tender.id}/documents/print").status_code == 404
    assert tender.reference not in text(client.get("/tenders"))
    login_as(client, world.centre)
    assert "Not published" in text(client.get(f"/tenders/{tender.id}"))


def test_the_public_list_filters_and_paginates(app, client):
    world, _projects, tender = tender_in("published")
    lot_category = tender.lots[0].category_id
    assert tender.reference in text(client.get(f"/tenders?city={world.city.code}&category={lot_category}&status=published"))
    assert tender.reference not in text(client.get("/tenders?city=qingdao"))
    assert tender.reference not in text(client.get("/tenders?status=cancelled"))
    assert client.get("/tenders?page=99999999999&category=abc&status=zzz").status_code == 200


def test_printable_tender_documents(app, client):
    _world, _projects, tender = tender_in("published")
    page = text(client.get(f"/tenders/{tender.id}/documents/print"))
    assert "Tender documents" in page and "Lot 1" in page and "Minimum tender period" in page and "20 days" in page
    assert "<nav" not in page


def test_the_centre_builds_edits_submits_and_the_finance_office_approves(app, client):
    world, projects, rnd = closed_round(2)
    login_as(client, world.centre)
    form = text(client.get(f"/tenders/new?round={rnd.id}"))
    assert rnd.reference in form and 'type="datetime-local"' in form
    local = deadline(30).astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/tenders/new", data={"round_id": rnd.id, "title": "Concrete for two schools",
                                                 "description": "", "method": "public_tender", "track": "gpl",
                                                 "bid_deadline": local})
    assert response.status_code == 302
    tender = db.session.execute(select(Tender)).scalar_one()
    manage = text(client.get(f"/tenders/{tender.id}/manage"))
    assert "Checks against the procedure rules" in manage and "Bid bonds" in manage
    assert "Send to the finance office for review" in manage and "disabled" not in manage.split("Send to the finance")[0][-200:]

    # a bond above the cap: a field error on the edit page, nothing saved
    edit = client.post(f"/tenders/{tender.id}/edit", data={
        "title": "Concrete 2027", "description": "", "method": "public_tender", "track": "gpl", "bid_deadline": local,
        "lots-0-number": "1", "lots-0-title": "Lot one", "lots-0-bond": "2000.01"})
    assert edit.status_code == 200 and "above the cap of ¥2,000.00" in text(edit)
    assert reload(tender).title == "Concrete for two schools"
    edit = client.post(f"/tenders/{tender.id}/edit", data={
        "title": "Concrete 2027", "description": "", "method": "public_tender", "track": "gpl", "bid_deadline": local,
        "lots-0-number": "1", "lots-0-title": "Lot one", "lots-0-bond": "1000"})
    assert edit.status_code == 302
    assert (reload(tender).title, reload(tender).lots[0].bond_fen) == ("Concrete 2027", 100_000)

    upload = client.post(f"/tenders/{tender.id}/documents", data={"title": "Tender documents (PDF)",
                                                                  "file": (io.BytesIO(PDF), "documents.pdf")},
                         content_type="multipart/form-data")
    assert upload.status_code == 302
    doc = db.session.execute(select(TenderDocument)).scalar_one()
    assert doc.document.sha256 in text(client.get(f"/tenders/{tender.id}/manage"))

    assert client.post(f"/tenders/{tender.id}/submit").status_code == 302
    assert reload(tender).status == "finance_review"

    login_as(client, world.finance)
    assert [i.label for i in items_for(world.finance) if "review" in str(i.label)]
    review = text(client.get(f"/tenders/{tender.id}/manage"))
    assert "Finance review" in review and review.count("verdict-pass") == 7
    client.post(f"/tenders/{tender.id}/review", data={"comment": "", "approve": "y"})
    assert reload(tender).status == "approved"

    login_as(client, world.centre)
    assert any("publish" in str(i.label) for i in items_for(world.centre))
    client.post(f"/tenders/{tender.id}/publish")
    assert reload(tender).status == "published"
    public = text(client.get(f"/tenders/{tender.id}"))
    assert doc.document.sha256 in public and "Tender documents (PDF)" in public
    download = client.get(f"/tenders/{tender.id}/documents/{doc.id}")
    assert download.status_code == 200 and download.data == PDF


def test_buttons_are_disabled_with_the_reasons_when_checks_fail(app, client):
    world, _projects, tender = tender_in("approved")
    db.session.execute(Lot.__table__.update().where(Lot.tender_id == tender.id).values(bond_fen=999_999))
    db.session.commit()
    login_as(client, world.centre)
    page = text(client.get(f"/tenders/{tender.id}/manage"))
    assert re.search(r"<button[^>]*disabled[^>]*>Publish the tender", page)
    assert "Fix the failing checks first" in page and "verdict-fail" in page
    client.post(f"/tenders/{tender.id}/publish", follow_redirects=True)
    assert reload(tender).status == "approved"


def test_the_finance_office_returns_with_a_comment(app, client):
    world, _projects, tender = tender_in("finance_review")
    login_as(client, world.finance)
    response = client.post(f"/tenders/{tender.id}/review", data={"comment": "", "send_back": "y"},
                           follow_redirects=True)
    assert "At least 5 characters" in text(response) and reload(tender).status == "finance_review"
    client.post(f"/tenders/{tender.id}/review", data={"comment": "Bond letter missing", "send_back": "y"})
    assert reload(tender).status == "draft"


def test_cancellation_from_the_manage_page(app, client):
    world, _projects, tender = tender_in("published")
    login_as(client, world.centre)
    client.post(f"/tenders/{tender.id}/cancel", data={"reason_type": "irregularity", "reason": "A brand was named."})
    tender = reload(tender)
    assert tender.status == "cancelled"
    page = text(client.get(f"/tenders/{tender.id}"))
    assert "This tender was cancelled" in page and "A brand was named." in page


@pytest.mark.parametrize("who", ["purchaser", "other_centre", "anonymous"])
def test_others_cannot_use_the_manage_pages(app, client, who):
    world, _projects, tender = tender_in("draft", n_projects=1)
    if who == "purchaser":
        login_as(client, world.purchaser)
    elif who == "other_centre":
        login_as(client, World("hangzhou").centre)
    for url in (f"/tenders/{tender.id}/manage", f"/tenders/{tender.id}/edit"):
        assert client.get(url).status_code in (302, 404)
    client.post(f"/tenders/{tender.id}/submit")
    assert reload(tender).status == "draft"


def test_user_text_is_escaped(app, client):
    world, _projects, tender = tender_in("published", title="<script>alert(1)</script>")
    page = text(client.get(f"/tenders/{tender.id}"))
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_the_procedure_rules_and_tenders_are_in_the_public_navigation(app, client):
    page = text(client.get("/"))
    assert 'href="/tenders"' in page


def test_tender_records_read_as_sentences_on_the_projects_records_page(app, client):
    from core import scheduler
    from tests.procurement.test_readable_pages import RAW, visible

    world, projects, tender = tender_in("published")
    scheduler.run_due(now=tender.bid_deadline_at)
    login_as(client, world.purchaser)
    page = visible(text(client.get(f"/projects/{projects[0].id}/records")))
    for sentence in ("Tender sent for finance review", "Tender approved by finance", "Tender published",
                     "Tendering closed", f"Tender {tender.reference}", "bids due"):
        assert sentence in page
    assert not RAW.findall(page), RAW.findall(page)
    client.post("/language", data={"lang": "zh_Hans"})
    page = visible(text(client.get(f"/projects/{projects[0].id}/records")))
    assert "招标项目发布" in page and "已截标" in page and not RAW.findall(page)


def test_the_buttons_carry_a_csrf_token(app, client, csrf_enabled):
    world, _projects, tender = tender_in("draft", n_projects=1)
    login_as(client, world.centre)
    page = text(client.get(f"/tenders/{tender.id}/manage"))
    form = re.search(r'action="/tenders/%d/submit".*?name="csrf_token" value="([^"]+)"' % tender.id, page, re.S)
    assert form is not None
    assert client.post(f"/tenders/{tender.id}/submit").status_code in (302, 400)
    assert reload(tender).status == "draft"  # no token: refused
    client.post(f"/tenders/{tender.id}/submit", data={"csrf_token": form.group(1)})
    assert reload(tender).status == "finance_review"
