"""Open data tests build awards with the award tests' builders; the ranking is read from the
opening's qualified bids, as there (`tests/procurement/awards/conftest.py`)."""

from __future__ import annotations

import pytest

from tests.procurement.awards.helpers import ranking_from_opening


@pytest.fixture(autouse=True)
def _ranking_from_opening(monkeypatch):
    from procurement.awards import ranking

    monkeypatch.setattr(ranking, "ranked_candidates", ranking_from_opening)
    yield
