"""The award reads the real signed ranking of scoring (no stand-in here): nothing to recommend
until every panel member signed the report, then the first-ranked bid with the exact scores."""

from __future__ import annotations

import pytest

from core.errors import Conflict
from procurement.awards import ranking, services
from procurement.awards.reading import score_text
from procurement.evaluation.scoring import services as scoring
from tests.procurement.evaluation.scoring.helpers import evaluation_ready

REAL_SCORING = True  # read by conftest.py: keep the real `ranking.ranked_candidates`


def test_the_recommendation_comes_from_the_signed_report(app):
    ctx = evaluation_ready((45_000, 40_000, 42_000), plan=None, outsiders=0)  # lowest evaluated price
    assert ranking.ranked_candidates(ctx.lot.id) is None
    scoring.issue_report(ctx.world.centre, ctx.lot.id)
    with pytest.raises(Conflict) as exc:  # issued but not signed by everyone
        services.submit(ctx.world.centre, ctx.tender.id, ctx.lot.id)
    assert "not signed off" in exc.value.message
    for member in ctx.members:
        scoring.sign(member, ctx.lot.id)
    award = services.submit(ctx.world.centre, ctx.tender.id, ctx.lot.id)
    assert (award.winner_bid_id, award.total_fen, award.winner_rank) == (ctx.bids[1].id, 8_000_000, 1)
    assert [(c["rank"], c["bid_id"], score_text(c["score"])) for c in award.candidates] == [
        (1, ctx.bids[1].id, "100.00"), (2, ctx.bids[2].id, "95.24"), (3, ctx.bids[0].id, "88.89")]
