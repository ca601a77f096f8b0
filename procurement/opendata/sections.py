"""The sections of a tender process's release as they stood at a moment (`as_of`): planning
(the pooled lines' estimated amounts, per project), tender (lots, items, documents, periods,
amendments), bids (only once opened), awards (only once their notice is published).

Only public facts: a tender is read only once published; a bid, its firm and its price only
after the opening session opened the bids; an award only from its notice. The tender's own
fields are their current values (amendments are listed with their rationale and changes).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

import catalog.interface as catalog
from core.extensions import db
from core.models import Organisation
from procurement.awards import policy as award_policy
from procurement.awards.models import Award
from procurement.awards.states import FAILED as AWARD_FAILED
from procurement.awards.states import NEGOTIATION as AWARD_NEGOTIATION
from procurement.awards.states import NOTIFIED
from procurement.awards.states import RETENDER as AWARD_RETENDER
from procurement.opendata import values as V
from procurement.opening import reading as opening_reading
from procurement.opening import services as opening_services
from procurement.opening.models import LotOpening, OpenedBid
from procurement.opening.states import FAILED as OPENING_FAILED
from procurement.opening.states import NEGOTIATION as OPENING_NEGOTIATION
from procurement.opening.states import OPENED, VALID
from procurement.opening.states import RETENDER as OPENING_RETENDER
from procurement.pooling.models import PooledLine
from procurement.projects.models import Project
from procurement.tendering.models import Tender
from procurement.tendering.states import (
    CANCELLED,
    FAILED,
    LOT_CANCELLED,
    LOT_FAILED,
    PUBLIC_STATES,
)


def is_published(tender: Tender) -> bool:
    """Only a tender the public may read has open data."""
    return tender.status in PUBLIC_STATES and tender.published_at is not None


def _orgs(ids) -> dict[int, Organisation]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {o.id: o for o in db.session.execute(select(Organisation).where(Organisation.id.in_(ids))).scalars()}


class ProcessFacts:
    """Everything public about one tender, loaded once (a handful of queries) and then read
    at any moment by the section builders."""

    def __init__(self, tender: Tender):
        self.tender = tender
        lot_ids = [lot.id for lot in tender.lots]
        self.lines = list(db.session.execute(select(PooledLine).where(PooledLine.lot_id.in_(lot_ids))
                                             .order_by(PooledLine.id)).unique().scalars()) if lot_ids else []
        project_ids = {line.project_id for line in self.lines}
        self.projects = {p.id: p for p in db.session.execute(select(Project).where(Project.id.in_(project_ids)))
                         .unique().scalars()} if project_ids else {}
        session = opening_services.session_of(tender.id)
        self.opened_at = session.opened_at if session is not None and session.status == OPENED else None
        self.opened = []
        self.outcomes = {}
        if self.opened_at is not None:
            self.opened = list(db.session.execute(select(OpenedBid).where(OpenedBid.tender_id == tender.id)
                                                  .order_by(OpenedBid.id)).unique().scalars())
            self.outcomes = {o.lot_id: o for o in db.session.execute(
                select(LotOpening).where(LotOpening.tender_id == tender.id)).unique().scalars()}
        # Awards are public from their notice on (the award policy's one rule).
        self.awards = [a for a in db.session.execute(select(Award).where(Award.tender_id == tender.id)
                                                     .order_by(Award.id)).unique().scalars()
                       if award_policy.is_public(a) and a.notice_at is not None]
        self.categories = {c.id: c for c in catalog.categories({lot.category_id for lot in tender.lots})}
        self.orgs = _orgs([tender.centre_org_id] + [p.purchaser_org_id for p in self.projects.values()]
                          + [b.supplier_org_id for b in self.opened] + [a.winner_org_id for a in self.awards])

    # ------------------------------------------------------------------ moments

    def is_opened(self, as_of: dt.datetime) -> bool:
        return self.opened_at is not None and self.opened_at <= as_of

    def awards_as_of(self, as_of: dt.datetime) -> list[Award]:
        return [a for a in self.awards if a.notice_at <= as_of]


# ---------------------------------------------------------------------- planning

def planning(facts: ProcessFacts, parties: V.Parties) -> dict:
    """The pooled demand behind the tender: its estimated amount, per project (each project's
    purchaser is a buyer)."""
    per_project: dict[int, int] = {}
    for line in facts.lines:
        per_project[line.project_id] = per_project.get(line.project_id, 0) + line.est_amount_fen
    for project_id in sorted(per_project):
        org = facts.orgs.get(facts.projects[project_id].purchaser_org_id)
        if org is not None:
            parties.add(org, "buyer")
    description = "; ".join(f"{facts.projects[pid].code} {facts.projects[pid].name}: "
                            f"{V.amount(fen)['amount']} {V.CURRENCY}" for pid, fen in sorted(per_project.items()))
    budget = {"id": f"{facts.tender.reference}-pooled-demand",
              "amount": V.amount(sum(per_project.values())),
              "projectID": ", ".join(facts.projects[pid].code for pid in sorted(per_project))}
    if description:
        budget["description"] = description
    if facts.tender.pooling_round is not None:
        budget["project"] = facts.tender.pooling_round.title
    return {"budget": budget}


# ---------------------------------------------------------------------- tender

def _lot_status(facts: ProcessFacts, lot, as_of: dt.datetime) -> str:
    if lot.status == LOT_CANCELLED:
        return "cancelled"
    if lot.status == LOT_FAILED:
        return "unsuccessful"
    outcome = facts.outcomes.get(lot.id) if facts.is_opened(as_of) else None
    if outcome is not None and outcome.status in (OPENING_FAILED, OPENING_RETENDER, OPENING_NEGOTIATION):
        return "unsuccessful"
    award = next((a for a in facts.awards_as_of(as_of) if a.lot_id == lot.id), None)
    if award is not None and award.status in (AWARD_FAILED, AWARD_RETENDER, AWARD_NEGOTIATION):
        return "unsuccessful"
    if award is not None and award.status == NOTIFIED:
        return "complete"
    return "active"


def _tender_status(tender: Tender, lot_statuses: list[str], as_of: dt.datetime) -> str:
    if tender.status == CANCELLED and tender.cancelled_at is not None and tender.cancelled_at <= as_of:
        return "cancelled"
    if tender.status == FAILED:
        return "unsuccessful"
    live = [s for s in lot_statuses if s != "cancelled"]
    if live and all(s == "complete" for s in live):
        return "complete"
    if live and all(s == "unsuccessful" for s in live):
        return "unsuccessful"
    return "active"


def _documents(tender: Tender, as_of: dt.datetime, base_url: str | None) -> list[dict]:
    out = []
    amended_at = {a.id: a.created_at for a in tender.amendments}
    for link in tender.documents:
        if link.withdrawn:
            continue
        # A document is public with the tender, or with the amendment that added it.
        published = max(amended_at.get(link.amendment_id, link.added_at), tender.published_at)
        if published > as_of:
            continue
        doc = {"id": f"doc-{link.id}", "documentType": "biddingDocuments" if link.amendment_id is None
               else "tenderNotice", "title": link.title, "datePublished": V.iso(published),
               "format": link.document.content_type}
        if base_url:
            doc["url"] = f"{base_url.rstrip('/')}/tenders/{tender.reference}/documents/{link.id}"
        out.append(doc)
    return out


def _amendments(tender: Tender, as_of: dt.datetime, ocid: str) -> list[dict]:
    out = []
    for a in tender.amendments:
        if a.created_at > as_of:
            continue
        fields = sorted({str(c.get("field")) for c in (a.changes or []) if c.get("field")})
        item = {"id": f"amendment-{a.number}", "date": V.iso(a.created_at), "rationale": a.rationale,
                "releaseID": f"{ocid}-amendment-{a.number}"}
        if fields:
            item["description"] = ", ".join(fields)
        out.append(item)
    return out


def tender_section(facts: ProcessFacts, parties: V.Parties, as_of: dt.datetime, *, ocid: str,
                   base_url: str | None = None) -> dict:
    t = facts.tender
    lots, items = [], []
    lines_by_lot: dict[int, list] = {}
    for line in facts.lines:
        lines_by_lot.setdefault(line.lot_id, []).append(line)
    statuses = []
    for lot in t.lots:
        status = _lot_status(facts, lot, as_of)
        statuses.append(status)
        lots.append({"id": str(lot.id), "title": f"{lot.number}. {lot.title}", "description": lot.specification,
                     "status": status, "value": V.amount(lot.ceiling_fen)})
        category = facts.categories.get(lot.category_id)
        classification = {"scheme": V.CATEGORY_SCHEME, "id": category.code if category else str(lot.category_id)}
        if category is not None:
            classification["description"] = category.name_zh
        for line in lines_by_lot.get(lot.id) or []:
            project = facts.projects.get(line.project_id)
            items.append({"id": f"line-{line.id}", "description": f"{project.code if project else ''} "
                          f"{line.specification}".strip(), "classification": classification,
                          "quantity": V.quantity(line.quantity_milli),
                          "unit": V.unit(line.unit, line.est_unit_price_fen), "relatedLot": str(lot.id)})
        if not lines_by_lot.get(lot.id):
            items.append({"id": f"lot-{lot.id}", "description": lot.specification, "classification": classification,
                          "quantity": V.quantity(lot.quantity_milli), "unit": V.unit(lot.unit),
                          "relatedLot": str(lot.id)})
    centre = facts.orgs.get(t.centre_org_id)
    out = {
        "id": t.reference, "title": t.title, "status": _tender_status(t, statuses, as_of),
        "value": V.amount(sum(lot.ceiling_fen for lot in t.lots if lot.status != LOT_CANCELLED)),
        "procurementMethod": V.METHODS.get(t.method, "open"), "procurementMethodDetails": t.method,
        "mainProcurementCategory": "goods", "submissionMethod": ["electronicSubmission"],
        "tenderPeriod": {"startDate": V.iso(t.published_at), "endDate": V.iso(t.bid_deadline_at)},
        "enquiryPeriod": {"startDate": V.iso(t.published_at), "endDate": V.iso(t.clarification_cutoff_at)},
        "lots": lots, "items": items,
    }
    if t.description:
        out["description"] = t.description
    if centre is not None:
        out["procuringEntity"] = parties.add(centre, "procuringEntity")
    documents = _documents(t, as_of, base_url)
    if documents:
        out["documents"] = documents
    amendments = _amendments(t, as_of, ocid)
    if amendments:
        out["amendments"] = amendments
    if facts.is_opened(as_of):
        firms = sorted({b.supplier_org_id for b in facts.opened})
        out["numberOfTenderers"] = len(firms)
        out["tenderers"] = [parties.add(facts.orgs[f], "tenderer") for f in firms if f in facts.orgs]
    return out


# ---------------------------------------------------------------------- bids (only once opened)

def bids_section(facts: ProcessFacts, parties: V.Parties, as_of: dt.datetime) -> dict | None:
    if not facts.is_opened(as_of):
        return None
    details, stats = [], []
    for b in facts.opened:
        org = facts.orgs.get(b.supplier_org_id)
        qualified = opening_reading.is_qualified(b)
        bid = {"id": f"bid-{b.id}", "date": V.iso(b.bid.received_at if b.bid is not None else b.opened_at),
               "status": "valid" if b.status == VALID and (qualified or not b.results) else "disqualified",
               "relatedLots": [str(b.lot_id)]}
        if org is not None:
            bid["tenderers"] = [parties.add(org, "tenderer")]
        if b.status == VALID and b.total_fen is not None:
            bid["value"] = V.amount(b.total_fen)
        details.append(bid)
    for lot in facts.tender.lots:
        rows = [b for b in facts.opened if b.lot_id == lot.id]
        if not rows:
            continue
        valid = [b for b in rows if b.status == VALID and b.total_fen is not None]
        figures = [("bids", len(rows)), ("validBids", len(valid))]
        if valid:
            figures += [("lowestValidBidValue", min(b.total_fen for b in valid)),
                        ("highestValidBidValue", max(b.total_fen for b in valid))]
        for measure, value in figures:
            stat = {"id": f"{lot.id}-{measure}", "measure": measure, "date": V.iso(facts.opened_at),
                    "relatedLot": str(lot.id)}
            if measure.endswith("Value"):
                stat.update(value=V.amount(value)["amount"], currency=V.CURRENCY)
            else:
                stat["value"] = value
            stats.append(stat)
    return {"statistics": stats, "details": details}


# ---------------------------------------------------------------------- awards (from the notice on)

def _award_status(award: Award) -> str:
    if award.status == NOTIFIED:
        return "active"
    if award.status in (AWARD_FAILED, AWARD_RETENDER, AWARD_NEGOTIATION):
        return "unsuccessful"
    return "pending"  # a notified winner withdrew: the next-ranked firm is being offered the lot


def awards_section(facts: ProcessFacts, parties: V.Parties, as_of: dt.datetime) -> list[dict]:
    out = []
    for a in facts.awards_as_of(as_of):
        item = {"id": f"award-{a.id}", "title": a.lot.title, "status": _award_status(a), "date": V.iso(a.notice_at),
                "relatedLots": [str(a.lot_id)]}
        if a.status == NOTIFIED and a.winner_org_id in facts.orgs:
            item["suppliers"] = [parties.add(facts.orgs[a.winner_org_id], "supplier")]
            if a.total_fen is not None:
                item["value"] = V.amount(a.total_fen)
            winner = next((b for b in facts.opened if b.bid_id == a.winner_bid_id), None)
            if winner is not None and facts.is_opened(as_of):
                item["relatedBid"] = f"bid-{winner.id}"
        out.append(item)
    return out
