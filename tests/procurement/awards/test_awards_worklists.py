"""The home page's "waiting for you" items of key holders (closed tenders waiting for their
opening key share) and of the finance office (award recommendations waiting for its review)."""

from __future__ import annotations

from core.extensions import db
from procurement.awards.worklists import awards_to_review, shares_waiting
from tests.procurement.awards.helpers import award_in
from tests.procurement.opening.helpers import opening_tender, unlock


def test_key_holders_see_tenders_waiting_for_their_share():
    ctx = opening_tender(3)
    centre, finance = ctx.holders[0][0], ctx.holders[1][0]
    assert [i.count for i in shares_waiting(centre)] == [1] and [i.count for i in shares_waiting(finance)] == [1]
    assert f"/tenders/{ctx.tender.id}/opening" in shares_waiting(centre)[0].url
    unlock(ctx, 0)
    db.session.expire_all()
    assert shares_waiting(centre) == [] and [i.count for i in shares_waiting(finance)] == [1]
    unlock(ctx, 1)
    db.session.expire_all()
    assert shares_waiting(finance) == []
    assert shares_waiting(ctx.supplier) == []


def test_finance_office_sees_recommendations_to_review():
    ctx, award = award_in("finance_review")
    [item] = awards_to_review(ctx.world.finance)
    assert item.count == 1 and f"/tenders/{award.tender_id}/awards" in item.url
    assert awards_to_review(ctx.other_finance) == [] and awards_to_review(ctx.world.centre) == []
