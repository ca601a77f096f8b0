"""Award tests read the ranking through the one adapter, `procurement.awards.ranking.ranked_candidates`.
Here it is built from the opening's qualified bids (cheapest first = lowest evaluated price), so the
award tests do not depend on how scoring reaches a signed report; `test_awards_scoring.py` uses
the real scoring API instead."""

from __future__ import annotations

import pytest

from tests.procurement.awards.helpers import ranking_from_opening


@pytest.fixture(autouse=True)
def _ranking_from_opening(request, monkeypatch):
    if getattr(request.module, "REAL_SCORING", False):
        yield
        return
    from procurement.awards import ranking

    monkeypatch.setattr(ranking, "ranked_candidates", ranking_from_opening)
    yield
