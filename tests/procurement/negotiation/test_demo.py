"""The demo (`flask demo seed`): the closed demo tenders taken through opening to award by the
real services (Nanjing qualified, Shaoxing's award under the finance office's review, Qingdao's
award past its standstill: its contract may be signed), and Qingdao's waterproofing batch as a
five-round negotiation ending at CNY 2,339,300, 39 % below the ceiling; idempotent."""

from __future__ import annotations

from sqlalchemy import func, select

from core.extensions import db
from procurement.awards import gate
from procurement.awards.demo import award_demo_tender, closed_demo_tender
from procurement.awards.models import Award
from procurement.negotiation import ranking
from procurement.negotiation.models import Negotiation, NegotiationOffer
from procurement.opening.reading import lot_outcome
from procurement.records.services import verify_project


def _ctx():
    from core.demo import seed_core

    return seed_core()


def test_demo_awards_and_qingdao_negotiation(app, client):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    ctx = _ctx()
    nanjing, shaoxing, qingdao = (closed_demo_tender(ctx, c) for c in ("nanjing", "shaoxing", "qingdao"))
    assert lot_outcome(nanjing.lots[0].id).status == "qualified"
    assert db.session.execute(select(Award).where(Award.lot_id == shaoxing.lots[0].id)).scalar_one().status \
        == "finance_review"
    award = db.session.execute(select(Award).where(Award.lot_id == qingdao.lots[0].id)).scalar_one()
    assert award.status == "notified" and gate.can_sign_contract(qingdao.lots[0])[0]
    assert [a.id for a in award_demo_tender(ctx, qingdao)] == [award.id]          # idempotent, usable by others

    negotiation = db.session.execute(select(Negotiation)).scalar_one()
    assert negotiation.status == "concluded" and len(negotiation.rounds) == 5 and negotiation.rounds[-1].final
    assert negotiation.ceiling_fen == 383_403_000 and negotiation.total_fen == 233_930_000
    assert 3_890 <= ranking.saving_bp(negotiation) < 3_910          # 39 % below the ceiling
    assert len(negotiation.project_ids) == 13
    # Bought by competitive negotiation (no re-bidding in an open tender): the batch's tender was
    # announced with that method before the rounds, took no sealed bids, and its page links the
    # negotiation (and the negotiation's page links back).
    from procurement.bids.models import Bid
    from procurement.tendering.demo import QINGDAO_TITLE
    from procurement.tendering.models import Tender

    batch = db.session.execute(select(Tender).where(Tender.title == QINGDAO_TITLE)).scalar_one()
    assert batch.method == "competitive_negotiation" and negotiation.tender_id == batch.id
    assert batch.published_at < batch.bid_deadline_at <= negotiation.created_at
    assert db.session.execute(select(func.count(Bid.id)).where(Bid.tender_id == batch.id)).scalar_one() == 0
    tender_page = client.get(f"/tenders/{batch.id}").get_data(as_text=True)
    assert f"/negotiations/{negotiation.id}" in tender_page and 'id="bids-heading' not in tender_page
    assert f'/tenders/{batch.id}"' in client.get(f"/negotiations/{negotiation.id}/result").get_data(as_text=True)
    from procurement.projects.models import Project

    for project in db.session.execute(select(Project).where(Project.id.in_(negotiation.project_ids))).scalars():
        assert verify_project(project).ok
    counts = [db.session.execute(select(func.count(m.id))).scalar_one() for m in (NegotiationOffer, Award)]
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    assert [db.session.execute(select(func.count(m.id))).scalar_one() for m in (NegotiationOffer, Award)] == counts

    # The pages in Chinese: no English sentence of the app's own, for the public, the winner, the
    # centre, and the Shaoxing finance office's home (its award waits for review).
    from tests.core.test_chinese_pages import _user, english_sentences
    from tests.factories import login_as

    client.post("/language", data={"lang": "zh_Hans"})
    nid = negotiation.id
    pages = [(None, "/negotiations"), (None, f"/negotiations/{nid}"), (None, f"/negotiations/{nid}/result"),
             ("supplier3@demo.gbm.cn", f"/negotiations/{nid}"), ("centre-qingdao@demo.gbm.cn", f"/negotiations/{nid}"),
             ("finance-shaoxing@demo.gbm.cn", "/home")]
    problems = []
    for email, url in pages:
        if email:
            login_as(client, _user(email))
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, (email, url)
        problems += [f"{url} ({email}): {s}" for s in english_sentences(response.get_data(as_text=True))]
        if email == "finance-shaoxing@demo.gbm.cn":
            assert "等待您审核的中标推荐" in response.get_data(as_text=True)
    assert not problems, "\n".join(sorted(set(problems)))
