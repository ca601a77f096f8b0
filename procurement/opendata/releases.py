"""The releases a tender process has to publish, each for one event, built from the public
facts as they stood at the event's time:

| key | date | tag |
|---|---|---|
| ``planning`` | publication | planning (the pooled demand and its buyers) |
| ``tender`` | publication | tender |
| ``amendment-N`` | the amendment | tenderAmendment |
| ``opening`` | bids opened | tenderUpdate (bids and tenderers appear here, never before) |
| ``award-A-N`` | award notice N of award A | award |
| ``cancellation`` | cancellation | tenderCancellation |
| ``contract-…``, ``implementation-…`` | signature, deliveries and payments | contract, implementation |

`publish` stores the ones not yet stored and, when the process now reads differently from its
last release (a lot failed, an award was withdrawn), an ``update-N`` release dated when it was
noticed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app

from core.extensions import db
from procurement.opendata import contracts, sections
from procurement.opendata import values as V
from procurement.tendering.models import Tender


@dataclass(frozen=True)
class Candidate:
    """A release to publish: its key within the process, date, tags and whether it carries the
    planning section only."""

    key: str
    date: dt.datetime
    tags: tuple[str, ...]
    planning_only: bool = False


def events(facts: sections.ProcessFacts, extra) -> list[Candidate]:
    """The process's publishable events, oldest first (planning before tender at publication)."""
    t = facts.tender
    out = [Candidate("planning", t.published_at, ("planning",), planning_only=True),
           Candidate("tender", t.published_at, ("tender",))]
    out += [Candidate(f"amendment-{a.number}", max(a.created_at, t.published_at), ("tenderAmendment",))
            for a in t.amendments]
    if facts.opened_at is not None:
        out.append(Candidate("opening", facts.opened_at, ("tenderUpdate",)))
    out += [Candidate(f"award-{a.id}-{a.notice_number}", a.notice_at, ("award",)) for a in facts.awards]
    if t.cancelled_at is not None and t.status == "cancelled":
        out.append(Candidate("cancellation", max(t.cancelled_at, t.published_at), ("tenderCancellation",)))
    out += [Candidate(key, when, tags) for key, when, tags in extra.events()]
    # Nothing of a process is public before its tender is: an earlier clock (imported or
    # back-dated records) still dates the release at publication at the earliest.
    out = [Candidate(c.key, max(c.date, t.published_at), c.tags, c.planning_only) for c in out]
    return sorted(out, key=lambda c: c.date)  # stable: planning stays before tender


def build(facts: sections.ProcessFacts, extra, *, key: str, date: dt.datetime, tags, planning_only=False) -> dict:
    """The release of `key` as the process stood at `date`."""
    ocid = V.ocid_for(facts.tender.reference)
    parties = V.Parties()
    release = {"ocid": ocid, "id": f"{ocid}-{key}", "date": V.iso(date), "tag": list(tags),
               "initiationType": "tender", "language": "zh", "planning": sections.planning(facts, parties)}
    if not planning_only:
        release["tender"] = sections.tender_section(facts, parties, date, ocid=ocid,
                                                    base_url=current_app.config.get("PUBLIC_BASE_URL"))
        bids = sections.bids_section(facts, parties, date)
        if bids is not None:
            release["bids"] = bids
        awards = sections.awards_section(facts, parties, date)
        if awards:
            release["awards"] = awards
        extra.add_sections(release, parties, date)
    release["parties"] = parties.as_list()
    buyers = [p for p in release["parties"] if "buyer" in p["roles"]]
    if len(buyers) == 1:  # a pooled tender buys for several purchasers: each is a party with the buyer role
        release["buyer"] = {"id": buyers[0]["id"], "name": buyers[0]["name"]}
    return release


class TenderProcess:
    """A published tender's process: its ocid, its events and the release of each."""

    process_type = "tender"

    def __init__(self, tender):
        self.facts = sections.ProcessFacts(tender)
        self.extra = contracts.ContractFacts(self.facts)
        self.ocid = V.ocid_for(tender.reference)
        self.process_id = tender.id

    def candidates(self) -> list[tuple]:
        return [(c.key, c.date, c.tags) for c in events(self.facts, self.extra)]

    def build(self, key: str, date: dt.datetime, tags) -> dict:
        return build(self.facts, self.extra, key=key, date=date, tags=tags, planning_only=key == "planning")


def load(tender_id: int) -> TenderProcess | None:
    """The tender's process, or None while it is not published (drafts, finance review)."""
    tender = db.session.get(Tender, int(tender_id))
    if tender is None or not sections.is_published(tender):
        return None
    return TenderProcess(tender)


#: Sections compared to name what an update release changes, and the tag each change gives.
UPDATE_TAGS = (("planning", "planningUpdate"), ("tender", "tenderUpdate"), ("bids", "tenderUpdate"),
               ("awards", "awardUpdate"), ("contracts", "contractUpdate"))


def update_tags(before: dict, after: dict) -> list[str]:
    """The update tags naming the sections that differ between two releases."""
    tags = []
    for section, tag in UPDATE_TAGS:
        if before.get(section) != after.get(section) and tag not in tags:
            tags.append(tag)
    if before.get("contracts") != after.get("contracts") and any(
            (c.get("implementation") or {}) for c in after.get("contracts") or []):
        tags.append("implementationUpdate")
    return tags or ["tenderUpdate"]


def content(release: dict) -> dict:
    """A release without what only names it (id, date, tag): what two releases compare on."""
    return {k: v for k, v in release.items() if k not in ("id", "date", "tag")}
