"""What open data publishes and when: nothing before a tender is published, no bid before the
bids are opened, no award before its notice; releases are stored once and never rewritten; a
later change makes a new release. Bad requests get clear JSON errors."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import Organisation
from procurement.opendata import publishing
from procurement.opendata.models import OcdsRelease
from procurement.opening.models import OpenedBid
from procurement.tendering import services as tender_svc
from tests.procurement.awards.helpers import award_in
from tests.procurement.opendata.helpers import publish
from tests.procurement.opening.helpers import open_bids, opening_tender
from tests.procurement.tendering.tender_builders import tender_in


def _record(client, reference):
    resp = client.get(f"/ocds/tenders/{reference}")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()["records"][0]


def _keys(ocid):
    return [r.key for r in db.session.execute(select(OcdsRelease).where(OcdsRelease.ocid == ocid)
                                              .order_by(OcdsRelease.date, OcdsRelease.id)).scalars()]


@pytest.mark.parametrize("status", ["draft", "finance_review", "approved"])
def test_an_unpublished_tender_has_no_open_data_and_answers_404_json(client, status):
    _world, _projects, tender = tender_in(status)
    assert publish() == 0
    assert db.session.execute(select(OcdsRelease)).first() is None
    for url in (f"/ocds/tenders/{tender.reference}", f"/api/v1/ocds/tenders/{tender.reference}",
                f"/ocds/records/ocds-xxxxxx-{tender.reference}", f"/ocds/releases/ocds-xxxxxx-{tender.reference}"):
        resp = client.get(url)
        assert resp.status_code == 404 and resp.is_json, url
        assert resp.get_json()["error"]["code"] == "not_found"
    assert tender.title not in client.get("/ocds/releases").get_data(as_text=True)


def test_publication_makes_planning_and_tender_releases_from_the_pooled_lines(client):
    _world, projects, tender = tender_in("published")
    record = _record(client, tender.reference)
    assert [r["tag"] for r in record["releases"]] == [["planning"], ["tender"]]
    planning, tender_release = record["releases"]
    assert "tender" not in planning and planning["date"] == tender_release["date"]
    compiled = record["compiledRelease"]
    lines = [line for lot in tender.lots for line in lot.lines]
    assert compiled["planning"]["budget"]["amount"]["amount"] * 100 == pytest.approx(
        sum(line.est_amount_fen for line in lines))
    assert {p.code for p in projects} <= set(compiled["planning"]["budget"]["projectID"].split(", "))
    assert len(compiled["tender"]["items"]) == len(lines)
    assert {i["relatedLot"] for i in compiled["tender"]["items"]} == {str(lot.id) for lot in tender.lots}
    assert compiled["tender"]["lots"][0]["value"]["amount"] * 100 == tender.lots[0].ceiling_fen
    roles = {role for p in compiled["parties"] for role in p["roles"]}
    assert roles == {"buyer", "procuringEntity"}
    centre = db.session.get(Organisation, tender.centre_org_id)
    assert compiled["tender"]["procuringEntity"]["name"] == centre.name_zh
    assert compiled["ocid"] == f"ocds-xxxxxx-{tender.reference}"


def test_sealed_bids_never_show_until_opened_then_the_opening_release_has_them(client, app):
    ctx = opening_tender(3)  # closed at its deadline, bids still sealed
    firms = [db.session.get(Organisation, user.organisation_id) for user, _p in ctx.firms]
    publish()
    text = json.dumps(client.get(f"/ocds/tenders/{ctx.tender.reference}").get_json(), ensure_ascii=False)
    record = json.loads(text)["records"][0]
    compiled = record["compiledRelease"]
    assert "bids" not in compiled and "numberOfTenderers" not in compiled["tender"]
    assert "tenderers" not in compiled["tender"]
    assert not any(firm.name_zh in text or firm.name_en in text for firm in firms)
    assert "tenderer" not in text
    bulk = client.get("/ocds/bulk.zip")
    assert bulk.status_code == 200 and all(firm.name_zh.encode() not in bulk.data for firm in firms)

    open_bids(ctx)
    record = _record(client, ctx.tender.reference)
    assert record["releases"][-1]["tag"] == ["tenderUpdate"]
    compiled = record["compiledRelease"]
    assert compiled["tender"]["numberOfTenderers"] == 3
    details = compiled["bids"]["details"]
    assert sorted(d["value"]["amount"] * 100 for d in details) == sorted(
        b.total_fen for b in db.session.execute(select(OpenedBid)).scalars())
    stats = {s["measure"]: s["value"] for s in compiled["bids"]["statistics"]}
    assert stats["bids"] == 3 and stats["validBids"] == 3
    assert {p["name"] for p in compiled["parties"] if "tenderer" in p["roles"]} == {f.name_zh for f in firms}


def test_an_award_appears_from_its_notice_with_its_supplier(client):
    ctx, award = award_in("approved")
    publish()
    compiled = _record(client, ctx.tender.reference)["compiledRelease"]
    assert "awards" not in compiled  # approved, notice not yet published
    from procurement.awards import services

    services.publish(ctx.world.centre, award.id, now=award.reviewed_at + dt.timedelta(hours=1))
    db.session.expire_all()
    record = _record(client, ctx.tender.reference)
    assert record["releases"][-1]["tag"] == ["award"]
    (item,) = record["compiledRelease"]["awards"]
    winner = db.session.get(Organisation, award.winner_org_id)
    assert item["status"] == "active" and item["suppliers"][0]["name"] == winner.name_zh
    assert item["value"]["amount"] * 100 == award.total_fen
    assert item["relatedBid"] in {b["id"] for b in record["compiledRelease"]["bids"]["details"]}


def test_releases_are_stored_once_and_a_later_change_makes_a_new_release(client):
    _world, _projects, tender = tender_in("published")
    assert publish() == 2
    assert publish() == 0  # nothing new happened: nothing new stored
    ocid = f"ocds-xxxxxx-{tender.reference}"
    before = {r.key: (r.sha256, r.data) for r in db.session.execute(select(OcdsRelease)).scalars()}
    tender_svc.cancel(_world.centre, tender.id, "no_longer_needed", "Demand withdrawn")
    publish()
    assert _keys(ocid) == ["planning", "tender", "cancellation"]
    after = {r.key: (r.sha256, r.data) for r in db.session.execute(select(OcdsRelease)).scalars()}
    assert {k: after[k] for k in before} == before  # history unchanged
    compiled = _record(client, tender.reference)["compiledRelease"]
    assert compiled["tender"]["status"] == "cancelled"
    assert after["tender"][1]["tender"]["status"] == "active"


def test_published_releases_cannot_be_changed_or_deleted(client):
    tender_in("published")
    publish()
    row = db.session.execute(select(OcdsRelease)).scalars().first()
    row.data = {"tampered": True}
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    row = db.session.execute(select(OcdsRelease)).scalars().first()
    db.session.delete(row)
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()


def test_reads_catch_up_without_the_chronograph(client):
    _world, _projects, tender = tender_in("published")  # nothing published yet: the read does it
    assert client.get(f"/ocds/tenders/{tender.reference}").status_code == 200
    from core import scheduler

    assert scheduler.deadline_for(publishing.SWEEP, *publishing.FEED_OBJECT).status == "pending"


def test_the_sweep_handler_publishes_and_arms_the_next_one(app):
    _world, _projects, tender = tender_in("published")
    from core import scheduler

    with app.app_context():
        publishing.arm(now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10))
        db.session.commit()
        counts = scheduler.run_due(object_type="ocds_feed")
    assert counts.done == 1 and counts.failed == 0
    assert len(_keys(f"ocds-xxxxxx-{tender.reference}")) == 2
    assert scheduler.deadline_for(publishing.SWEEP, *publishing.FEED_OBJECT).status == "pending"


@pytest.mark.parametrize("url,status", [
    ("/ocds/days/yesterday", 400), ("/ocds/days/2026-13-40", 400), ("/ocds/days/9999-01-01", 400),
    ("/api/v1/ocds/days/not-a-day", 400), ("/ocds/records/no-such-ocid", 404), ("/ocds/releases/" + "x" * 300, 404),
    ("/ocds/tenders/" + "T" * 100, 404), ("/api/v1/ocds/records/ocds-xxxxxx-NOPE", 404),
])
def test_bad_requests_get_clear_json_errors(client, url, status):
    resp = client.get(url)
    assert resp.status_code == status and resp.is_json
    body = resp.get_json()["error"]
    assert body["message"] and set(body) == {"code", "message", "fields"}


def test_day_packages_and_the_day_list(client):
    _world, _projects, tender = tender_in("published")
    days = client.get("/ocds/days").get_json()["days"]
    from core.timeutil import CHINA

    day = tender.published_at.astimezone(CHINA).date().isoformat()
    assert [d["date"] for d in days] == [day] and days[0]["releases"] == 2
    package = client.get(f"/ocds/days/{day}").get_json()
    assert [r["tag"] for r in package["releases"]] == [["planning"], ["tender"]]
    other = (tender.published_at.astimezone(CHINA).date() - dt.timedelta(days=1)).isoformat()
    assert client.get(f"/ocds/days/{other}").get_json()["releases"] == []


def test_export_writes_the_packages_and_refuses_a_file_as_directory(app, tmp_path):
    _world, _projects, tender = tender_in("published")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ocds", "export", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "2 releases of 1 processes" in result.output
    package = json.loads((tmp_path / "out" / "releases.json").read_text(encoding="utf-8"))
    assert [r["ocid"] for r in package["releases"]] == [f"ocds-xxxxxx-{tender.reference}"] * 2
    assert package["uri"].startswith("file://") and not list((tmp_path / "out").glob("*.part"))
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = runner.invoke(args=["ocds", "export", str(blocker)])
    assert result.exit_code != 0 and "cannot write to" in result.output
    assert blocker.read_text() == "not a directory"
