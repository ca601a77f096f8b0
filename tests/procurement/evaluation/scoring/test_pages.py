"""Scoring pages: the centre edits the evaluation method of a draft (the floor shown on the form,
nothing saved), the tender page shows the method; the centre starts the evaluation; an expert
scores on their own sheet (out of range: marked, nothing saved); an outsider gets 404; the
bidder justifies on its page; the printable report; the pages in Chinese."""

from __future__ import annotations

from sqlalchemy import func, select

from core.extensions import db
from procurement.evaluation.scoring import justifications, services
from procurement.evaluation.scoring.models import PriceFlag, ScoreSheet, ScoringPlan
from tests.core.test_chinese_pages import english_sentences
from tests.factories import login_as
from tests.procurement.evaluation.scoring.helpers import (
    COMPREHENSIVE,
    criterion_ids,
    evaluation_ready,
    opened_ids,
    sheet,
)
from tests.procurement.tendering.tender_builders import closed_round, draft

MARKS = {0: (8, 4), 1: (9, 5), 2: (7, 3)}
MANAGE = "/tenders/{id}/manage"


def _count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar()


def _plan_form(**overrides) -> dict:
    data = {"method": "comprehensive", "subject": "goods", "price_weight": "40",
            "criteria-0-name": "Technical merit", "criteria-0-description": "Mix design", "criteria-0-weight": "40",
            "criteria-0-max_score": "10", "criteria-1-name": "Service", "criteria-1-weight": "20",
            "criteria-1-max_score": "5", "criteria-2-name": "", "criteria-2-weight": "", "criteria-2-max_score": ""}
    data.update(overrides)
    return data


def test_the_centre_sets_the_method_on_the_draft_page(app, client):
    world, _projects, rnd = closed_round(2)
    tender = draft(world, rnd)
    url = f"/scoring/tenders/{tender.id}/plan"
    login_as(client, world.finance)
    page = client.get(url).get_data(as_text=True)
    assert "Save the evaluation method" not in page and "No method set: lowest evaluated price." in page
    assert client.post(url, data=_plan_form()).status_code == 403
    login_as(client, world.centre)
    page = client.get(url).get_data(as_text=True)
    assert "Save the evaluation method" in page and "at least 30 % for goods" in page
    low = client.post(url, data=_plan_form(price_weight="25", **{"criteria-0-weight": "55"}))
    assert low.status_code == 200
    assert "The price weight must be at least 30 % for goods" in low.get_data(as_text=True)
    assert _count(ScoringPlan) == 0
    wrong_sum = client.post(url, data=_plan_form(**{"criteria-1-weight": "10"}), follow_redirects=True)
    assert "they must add up to 100" in wrong_sum.get_data(as_text=True) and _count(ScoringPlan) == 0
    done = client.post(url, data=_plan_form(), follow_redirects=True).get_data(as_text=True)
    assert "The evaluation method is saved." in done and "Technical merit" in done
    assert _count(ScoringPlan) == 1
    for url in (f"/tenders/{tender.id}", MANAGE.format(id=tender.id)):
        shown = client.get(url).get_data(as_text=True)
        assert "Comprehensive scoring" in shown and "Edit the evaluation method" in shown, url


def test_the_evaluation_pages_from_start_to_signatures(app, client):
    ctx = evaluation_ready(start=False)
    lot_url = f"/scoring/lots/{ctx.lot.id}"
    login_as(client, ctx.world.centre)
    page = client.get(lot_url).get_data(as_text=True)
    assert "Start the evaluation" in page and "Equal totals are ordered by" in page
    done = client.post(f"{lot_url}/start", data={}, follow_redirects=True).get_data(as_text=True)
    assert "The evaluation has started" in done
    assert services.evaluation_of(ctx.lot.id).status == "scoring"

    login_as(client, ctx.outsiders[0])
    assert client.get(lot_url).status_code == 404 and client.get(f"{lot_url}/sheet").status_code == 404

    member = ctx.members[0]
    login_as(client, member)
    page = client.get(f"{lot_url}/sheet").get_data(as_text=True)
    assert "Submit my scores (final)" in page
    obs, cids = opened_ids(ctx), criterion_ids(ctx)
    form = {f"s-{obs[i]}-{cids[j]}": str(v) for i, marks in MARKS.items() for j, v in enumerate(marks)}
    bad = client.post(f"{lot_url}/sheet", data=dict(form, **{f"s-{obs[0]}-{cids[0]}": "11"}))
    text = bad.get_data(as_text=True)
    assert bad.status_code == 200 and "Between 0 and 10 points." in text and 'value="11"' in text
    assert _count(ScoreSheet) == 0
    ok = client.post(f"{lot_url}/sheet", data=form, follow_redirects=True).get_data(as_text=True)
    assert "Your scores are submitted" in ok and "Provisional ranking" in ok
    assert _count(ScoreSheet) == 1

    for other in ctx.members[1:]:
        services.submit_scores(other, ctx.lot.id, sheet(ctx, MARKS))
    login_as(client, ctx.world.centre)
    issued = client.post(f"{lot_url}/issue", data={}, follow_redirects=True).get_data(as_text=True)
    assert "The report is issued" in issued
    report = client.get(f"{lot_url}/report").get_data(as_text=True)
    assert "1. Ranking" in report and "2. Each member’s scores" in report and ctx.members[2].name in report

    login_as(client, member)
    assert "Evaluation reports waiting for your signature" in client.get("/home").get_data(as_text=True)
    signed = client.post(f"{lot_url}/sign", data={}, follow_redirects=True).get_data(as_text=True)
    assert "You signed the evaluation report." in signed and "I have read the report and sign it" not in signed
    home = client.get("/home").get_data(as_text=True)
    assert "Evaluation reports waiting for your signature" not in home


def test_the_bidder_justifies_on_its_page_and_the_panel_decides_on_the_lot_page(app, client):
    ctx = evaluation_ready((20_000, 42_000, 45_000), plan=None, outsiders=0)
    flag = db.session.execute(select(PriceFlag)).scalar_one()
    bidder = ctx.bidders[0]
    login_as(client, ctx.bidders[1])
    assert client.get(f"/scoring/justifications/{flag.id}").status_code == 404
    login_as(client, bidder)
    assert "Prices to justify to an evaluation panel" in client.get("/home").get_data(as_text=True)
    listing = client.get("/scoring/justifications").get_data(as_text=True)
    assert f"/scoring/justifications/{flag.id}" in listing
    page = client.get(f"/scoring/justifications/{flag.id}").get_data(as_text=True)
    assert "Send the justification" in page and "below 50 % of the average" in page
    short = client.post(f"/scoring/justifications/{flag.id}", data={"justification": "cheap"})
    assert "At least 20 characters." in short.get_data(as_text=True)
    done = client.post(f"/scoring/justifications/{flag.id}",
                       data={"justification": "Stock bought before the price rise; invoices attached."},
                       follow_redirects=True).get_data(as_text=True)
    assert "Your justification is sent to the evaluation panel." in done and "Send the justification" not in done

    login_as(client, ctx.members[0])
    page = client.get(f"/scoring/lots/{ctx.lot.id}").get_data(as_text=True)
    assert "Record the decision" in page and "Stock bought before the price rise" in page
    client.post(f"/scoring/flags/{flag.id}/decision",
                data={f"f{flag.id}-decision": "reject", f"f{flag.id}-reason": "Invoices do not match"})
    assert db.session.get(PriceFlag, flag.id).status == "rejected"
    assert justifications.find_flag(bidder, flag.id).decision_reason == "Invoices do not match"


def test_the_pages_in_chinese(app, client):
    ctx = evaluation_ready(plan=COMPREHENSIVE)
    for member in ctx.members:
        services.submit_scores(member, ctx.lot.id, sheet(ctx, MARKS))
    services.issue_report(ctx.world.centre, ctx.lot.id)
    login_as(client, ctx.members[0])
    client.post("/language", data={"lang": "zh_Hans"})
    for url in (f"/scoring/lots/{ctx.lot.id}", f"/scoring/lots/{ctx.lot.id}/sheet",
                f"/scoring/lots/{ctx.lot.id}/report", "/scoring/my", f"/scoring/tenders/{ctx.tender.id}/plan",
                f"/tenders/{ctx.tender.id}"):
        html = client.get(url).get_data(as_text=True)
        assert "评审" in html, url
        leftovers = [s for s in english_sentences(html) if "Technical merit" not in s and "Mix design" not in s
                     and "Delivery plan" not in s and "Test tender" not in s and "Concrete for" not in s
                     and "Batch of" not in s]
        assert not [s for s in leftovers if "scor" in s.lower() or "evaluat" in s.lower()
                    or "rank" in s.lower() or "report" in s.lower()], (url, leftovers)
