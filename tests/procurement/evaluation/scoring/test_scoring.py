"""A lot's evaluation end to end: five experts score on their own sheets (stored separately, final),
the ranking in exact fractions against hand-computed values, nobody sees others' scores before
submitting their own, the report waits for every sheet, every member signs, and only then is the
recommendation available (`results`). Scores out of range and experts off the panel are refused
with nothing written."""

from __future__ import annotations

from fractions import Fraction

import pytest
from sqlalchemy import func, select

from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.models import AuditEvent
from procurement.evaluation.scoring import results, services
from procurement.evaluation.scoring.models import ReportSignature, Score, ScoreSheet
from tests.factories import api_token, auth_header
from tests.procurement.evaluation.scoring.helpers import (
    evaluation_ready,
    opened_ids,
    qualified_lot,
    sheet,
)
from tests.procurement.tendering.tender_builders import record_kinds

#: Five experts' marks {firm: (technical 0..10, service 0..5)}; firms bid 40,000 / 42,000 / 45,000
#: fen per m3 on 200 m3: totals CNY 80,000 / 84,000 / 90,000.
MARKS = [{0: (8, 4), 1: (9, 5), 2: (7, 3)},
         {0: (7, 4.5), 1: (9.5, 4), 2: (8, 3)},
         {0: (9, 5), 1: (8, 4), 2: (6, 2)},
         {0: (8, 4), 1: (9, 4.5), 2: (7, 3.5)},
         {0: (8.5, 3.5), 1: (9, 5), 2: (7.5, 3)}]
#: By hand (price 40 %, technical 40 %, service 20 %):
#: firm 0: price 40 (lowest); technical mean 8.1 -> 32.4; service mean 4.2 -> 16.8; total 89.2 = 446/5
#: firm 1: price 80,000/84,000 x 40 = 800/21; technical 8.9 -> 35.6; service 4.5 -> 18;
#:         total 800/21 + 268/5 = 9628/105 (91.695...)
#: firm 2: price 80,000/90,000 x 40 = 320/9; technical 7.1 -> 28.4; service 2.9 -> 11.6;
#:         total 320/9 + 40 = 680/9 (75.555...)
EXPECTED = {1: (1, Fraction(9628, 105)), 0: (2, Fraction(446, 5)), 2: (3, Fraction(680, 9))}


def _h(user) -> dict:
    return auth_header(api_token(user))


def _count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar()


@pytest.fixture
def ready(app):
    return evaluation_ready()


def test_five_experts_the_exact_ranking_and_the_signed_recommendation(ready, client):
    ctx = ready
    for member, marks in zip(ctx.members, MARKS):
        services.submit_scores(member, ctx.lot.id, sheet(ctx, marks))
    assert _count(ScoreSheet) == 5 and _count(Score) == 5 * 3 * 2  # one sheet per expert, stored apart
    assert results.ranking(ctx.lot.id) == [] and results.recommendation(ctx.lot.id) is None

    evaluation = services.issue_report(ctx.world.centre, ctx.lot.id)
    assert evaluation.status == "signing" and len(evaluation.report_sha256) == 64
    by_bid = {b["opened_bid_id"]: b for b in evaluation.report["bids"]}
    obs = opened_ids(ctx)
    for firm, (rank, score) in EXPECTED.items():
        row = by_bid[obs[firm]]
        assert (row["rank"], Fraction(row["score"])) == (rank, score), (firm, row)
    assert by_bid[obs[1]]["score_display"] == "91.70" and by_bid[obs[2]]["score"] == "680/9"
    assert len(evaluation.report["sheets"]) == 5 and evaluation.report["lowest_valid_total_fen"] == 8_000_000

    for member in ctx.members[:4]:
        services.sign(member, ctx.lot.id)
        assert results.recommendation(ctx.lot.id) is None  # not until every member signed
    with pytest.raises(Conflict):
        services.sign(ctx.members[0], ctx.lot.id)
    services.sign(ctx.members[4], ctx.lot.id)

    ranking = results.ranking(ctx.lot.id)
    assert [(r.rank, r.supplier_org_id, r.score) for r in ranking] == [
        (EXPECTED[f][0], ctx.bidders[f].organisation_id, EXPECTED[f][1]) for f in (1, 0, 2)]
    first = results.recommendation(ctx.lot.id)
    assert (first.bid_id, first.total_fen, first.price_score, first.excluded) == (
        ctx.bids[1].id, 8_400_000, Fraction(800, 21), False)
    assert results.signed_at(ctx.lot.id) is not None
    assert _count(ReportSignature) == 5
    actions = set(db.session.execute(select(AuditEvent.action).where(AuditEvent.action.like("scoring.%"))).scalars())
    assert {"scoring.started", "scoring.sheet_submitted", "scoring.report_issued", "scoring.report_signature",
            "scoring.report_signed"} <= actions
    for project in ctx.projects:
        kinds = record_kinds(project)
        assert {"tender_lot_evaluation_started", "tender_lot_report_issued", "tender_lot_report_signed"} <= set(kinds)
    with pytest.raises(Conflict):
        services.sign(ctx.members[1], ctx.lot.id)

    body = client.get(f"/api/v1/lots/{ctx.lot.id}/evaluation/report", headers=_h(ctx.world.centre)).get_json()
    assert body["status"] == "signed" and [r["score"] for r in body["ranking"]] == ["9628/105", "446/5", "680/9"]
    assert len(body["signatures"]) == 5


def test_a_score_outside_a_criterions_range_is_refused_and_nothing_is_written(ready, client):
    ctx = ready
    member = ctx.members[0]
    too_high = sheet(ctx, {0: (10.5, 4), 1: (9, 5), 2: (7, 3)})       # technical is 0..10
    with pytest.raises(ValidationError) as exc:
        services.submit_scores(member, ctx.lot.id, too_high)
    assert exc.value.status == 400 and list(exc.value.fields) == ["scores.0.score"]
    for bad in (sheet(ctx, {0: (8, -1), 1: (9, 5), 2: (7, 3)}),          # negative
                sheet(ctx, {0: (8, 4.555), 1: (9, 5), 2: (7, 3)}),       # three decimals
                sheet(ctx, {0: (8, 4), 1: (9, 5)}),                      # a bid missing
                {"scores": "all tens"},
                {"scores": [{"opened_bid_id": [1], "criterion_id": {"a": 1}, "score": "1"}]}):
        with pytest.raises(ValidationError):
            services.submit_scores(member, ctx.lot.id, bad)
    duplicated = sheet(ctx, MARKS[0])
    duplicated["scores"].append(dict(duplicated["scores"][0]))
    with pytest.raises(ValidationError):
        services.submit_scores(member, ctx.lot.id, duplicated)
    response = client.post(f"/api/v1/lots/{ctx.lot.id}/evaluation/scores", json=too_high, headers=_h(member))
    assert response.status_code == 400 and "scores.0.score" in response.get_json()["error"]["fields"]
    assert _count(ScoreSheet) == 0 and _count(Score) == 0

    services.submit_scores(member, ctx.lot.id, sheet(ctx, MARKS[0]))
    with pytest.raises(Conflict):  # final: a second sheet is refused
        services.submit_scores(member, ctx.lot.id, sheet(ctx, MARKS[1]))
    assert _count(ScoreSheet) == 1 and _count(Score) == 6


def test_an_expert_not_on_the_lots_panel_cannot_score_it(ready, client):
    ctx = ready
    outsider = ctx.outsiders[0]
    body = sheet(ctx, MARKS[0])
    with pytest.raises(NotFound):
        services.submit_scores(outsider, ctx.lot.id, body)
    assert client.post(f"/api/v1/lots/{ctx.lot.id}/evaluation/scores", json=body,
                       headers=_h(outsider)).status_code == 404
    assert client.get(f"/api/v1/lots/{ctx.lot.id}/evaluation", headers=_h(outsider)).status_code == 404
    with pytest.raises(PermissionDenied):  # the finance office sees the evaluation but does not score
        services.submit_scores(ctx.world.finance, ctx.lot.id, body)
    assert client.post(f"/api/v1/lots/{ctx.lot.id}/evaluation/scores", json=body,
                       headers=_h(ctx.world.centre)).status_code == 403
    with pytest.raises(NotFound):
        services.submit_scores(ctx.bidders[0], ctx.lot.id, body)
    assert _count(ScoreSheet) == 0


def test_nobody_sees_anothers_scores_before_submitting_their_own(ready, client):
    ctx = ready
    first, second = ctx.members[0], ctx.members[1]
    services.submit_scores(first, ctx.lot.id, sheet(ctx, MARKS[0]))

    mine = client.get(f"/api/v1/lots/{ctx.lot.id}/evaluation/scores", headers=_h(second)).get_json()
    assert mine["sheets"] == []
    view = client.get(f"/api/v1/lots/{ctx.lot.id}/evaluation", headers=_h(second)).get_json()
    assert view["ranking"] is None and view["you"]["can_score"] and not view["you"]["can_see_scores"]
    assert [m["submitted"] for m in view["members"]].count(True) == 1  # who submitted is no secret
    centre = client.get(f"/api/v1/lots/{ctx.lot.id}/evaluation", headers=_h(ctx.world.centre)).get_json()
    assert centre["ranking"] is None
    assert client.get(f"/api/v1/lots/{ctx.lot.id}/evaluation/scores",
                      headers=_h(ctx.world.centre)).get_json()["sheets"] == []

    services.submit_scores(second, ctx.lot.id, sheet(ctx, MARKS[1]))
    seen = client.get(f"/api/v1/lots/{ctx.lot.id}/evaluation/scores", headers=_h(second)).get_json()
    assert sorted(s["user_id"] for s in seen["sheets"]) == sorted([first.id, second.id])
    view = client.get(f"/api/v1/lots/{ctx.lot.id}/evaluation", headers=_h(second)).get_json()
    assert [r["rank"] for r in view["ranking"]] == [1, 2, 3]


def test_the_report_waits_for_every_sheet_and_only_the_centre_issues_it(ready):
    ctx = ready
    for member, marks in zip(ctx.members[:4], MARKS):
        services.submit_scores(member, ctx.lot.id, sheet(ctx, marks))
    with pytest.raises(Conflict) as exc:
        services.issue_report(ctx.world.centre, ctx.lot.id)
    assert "1 panel members have not submitted" in exc.value.message
    services.submit_scores(ctx.members[4], ctx.lot.id, sheet(ctx, MARKS[4]))
    with pytest.raises(PermissionDenied):
        services.issue_report(ctx.members[0], ctx.lot.id)
    assert services.evaluation_of(ctx.lot.id).status == "scoring"
    services.issue_report(ctx.world.centre, ctx.lot.id)
    with pytest.raises(Conflict):  # the sheets are closed once the report is issued
        services.issue_report(ctx.world.centre, ctx.lot.id)
    reopened = services.reopen(ctx.world.centre, ctx.lot.id, "A figure in the report is being checked")
    assert reopened.status == "scoring" and reopened.report_version == 1
    services.issue_report(ctx.world.centre, ctx.lot.id)
    assert services.evaluation_of(ctx.lot.id).report_version == 2


def test_a_lowest_price_lot_needs_no_scores(app):
    ctx = evaluation_ready((45_000, 40_000, 42_000), plan=None, outsiders=0)
    evaluation = services.evaluation_of(ctx.lot.id)
    assert (evaluation.method, evaluation.price_weight_bp, evaluation.criteria) == ("lowest_price", 10000, [])
    with pytest.raises(Conflict):
        services.submit_scores(ctx.members[0], ctx.lot.id, {"scores": []})
    services.issue_report(ctx.world.centre, ctx.lot.id)
    for member in ctx.members:
        services.sign(member, ctx.lot.id)
    assert [(r.rank, r.total_fen, r.score) for r in results.ranking(ctx.lot.id)] == [
        (1, 8_000_000, 100), (2, 8_400_000, Fraction(2000, 21)), (3, 9_000_000, Fraction(800, 9))]
    assert results.recommendation(ctx.lot.id).bid_id == ctx.bids[1].id


def test_the_evaluation_starts_only_on_a_qualified_lot_with_a_complete_panel(app):
    ctx = qualified_lot()
    with pytest.raises(Conflict) as exc:
        services.start(ctx.world.centre, ctx.lot.id)
    assert "panel is not complete" in exc.value.message
    with pytest.raises(NotFound):
        services.start(ctx.bidders[0], ctx.lot.id)


def test_equal_prices_rank_by_the_earlier_receipt(app):
    """Firms 0 and 1 both bid CNY 80,000 (equal score, equal price score); firm 1 bid second (a
    higher bid and opening number) but its bid was received first, so it ranks first: the receipt
    time decides before the opening number, as published."""
    ctx = evaluation_ready((40_000, 40_000, 45_000), plan=None, outsiders=0, seconds=(5, 1, 9))
    assert ctx.bids[1].received_at < ctx.bids[0].received_at and ctx.bids[1].id > ctx.bids[0].id
    services.issue_report(ctx.world.centre, ctx.lot.id)
    for member in ctx.members:
        services.sign(member, ctx.lot.id)
    ranking = results.ranking(ctx.lot.id)
    assert [(r.rank, r.bid_id, r.score) for r in ranking] == [
        (1, ctx.bids[1].id, 100), (2, ctx.bids[0].id, 100), (3, ctx.bids[2].id, Fraction(800, 9))]
    assert ranking[0].received_at < ranking[1].received_at
    assert services.evaluation_of(ctx.lot.id).report["tie_rule"] == [
        "higher_total", "higher_price_score", "earlier_receipt", "lower_opening_number"]
