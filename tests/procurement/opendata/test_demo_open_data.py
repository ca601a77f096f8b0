"""The whole demo's open data (`flask demo seed`, then `flask ocds export DIR`): valid OCDS
1.1.5 with the bids and lots extensions (libcoveocds: no schema error), every stage the demo
reaches has its release, and our compiled releases are the ones ocdskit compiles."""

from __future__ import annotations

import json

from ocdskit.combine import merge
from sqlalchemy import select

from core.extensions import db
from procurement.agreements.models import Agreement
from procurement.deliveries.models import Delivery
from procurement.orders.models import Order
from procurement.tendering.models import Tender
from procurement.tendering.states import PUBLIC_STATES
from tests.procurement.opendata.helpers import patched_schema, validate


def _without_ids(compiled: dict) -> dict:
    return {k: v for k, v in compiled.items() if k != "id"}


def test_the_demo_open_data_is_valid_ocds_and_compiles_as_ocdskit_does(app, tmp_path):
    runner = app.test_cli_runner()
    seeded = runner.invoke(args=["demo", "seed"])
    assert seeded.exit_code == 0, seeded.output
    exported = runner.invoke(args=["ocds", "export", str(tmp_path / "out")])
    assert exported.exit_code == 0, exported.output
    out = tmp_path / "out"
    releases = json.loads((out / "releases.json").read_text(encoding="utf-8"))
    records = json.loads((out / "records.json").read_text(encoding="utf-8"))
    assert releases["releases"] and records["records"]

    for package in (releases, records):
        result = validate(package)
        assert result["extensions"]["extensions"] and not result["extensions"]["invalid_extension"]
        assert result["validation_errors"] == [], json.dumps(result["validation_errors"][:5], ensure_ascii=False)[:3000]
        assert result["additional_fields"] == [], result["additional_fields"]  # nothing outside schema + extensions

    tags = {tag for r in releases["releases"] for tag in r["tag"]}
    assert {"planning", "tender", "tenderAmendment", "tenderUpdate", "award"} <= tags, tags
    assert len({r["id"] for r in releases["releases"]}) == len(releases["releases"])  # release ids unique
    assert all(r["ocid"].startswith("ocds-xxxxxx-") for r in releases["releases"])
    # Every tender the public sees has its process; none the public does not see has one.
    public = {f"ocds-xxxxxx-{t.reference}" for t in db.session.execute(select(Tender)).scalars()
              if t.status in PUBLIC_STATES}
    tender_ocids = {r["ocid"] for r in releases["releases"] if r["ocid"].split("-", 2)[2] in
                    {t.reference for t in db.session.execute(select(Tender)).scalars()}}
    assert tender_ocids == public
    # Each published contract of the demo has its contract release (framework call-offs: their own processes).
    contracts = db.session.execute(select(Agreement).where(Agreement.published_at.is_not(None))).scalars().all()
    released = {c["id"] for r in releases["releases"] for c in r.get("contracts", [])}
    assert {a.reference for a in contracts if a.kind == "contract"} <= released
    # Each confirmed call-off under a published framework is a process linked to the framework's.
    frameworks = {a.id: a for a in contracts if a.kind == "framework"}
    calloffs = [o for o in db.session.execute(select(Order).where(Order.confirmed_at.is_not(None))).scalars()
                if o.agreement_id in frameworks]
    by_ocid = {}
    for r in releases["releases"]:
        by_ocid.setdefault(r["ocid"], []).append(r)
    for order in calloffs:
        rels = by_ocid[f"ocds-xxxxxx-{order.reference}"]
        assert rels[0]["relatedProcesses"][0]["relationship"] == ["framework"]
    decided = db.session.execute(select(Delivery).where(Delivery.order_id.in_([o.id for o in calloffs]),
                                                        Delivery.decided_at.is_not(None))).scalars().all()
    if calloffs:
        assert "contract" in tags
    if decided:
        assert "implementation" in tags
    print(f"demo open data: {len(releases['releases'])} releases, {len(records['records'])} records, "
          f"{len(calloffs)} call-offs, {len(decided)} decided deliveries; tags {sorted(tags)}")

    # Per-day packages hold every release exactly once.
    day_ids = [r["id"] for path in sorted((out / "days").glob("*.json"))
               for r in json.loads(path.read_text(encoding="utf-8"))["releases"]]
    assert sorted(day_ids) == sorted(r["id"] for r in releases["releases"])

    # ocdskit compiles the same records from the releases.
    schema = patched_schema()
    compiled = {r["ocid"]: r for r in merge([releases], schema=schema)}
    ours = {rec["ocid"]: rec["compiledRelease"] for rec in records["records"]}
    assert set(compiled) == set(ours)
    for ocid, theirs in compiled.items():
        assert _without_ids(ours[ocid]) == _without_ids(theirs), ocid
        assert ours[ocid]["id"] == theirs["id"]
