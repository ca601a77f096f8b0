"""Amendments: changes to a published tender, each with its rationale and a readable diff.

Only the tender's centre amends, and only while the tender is open for bids (published, before
the bid deadline by the server clock): an amendment on a closed tender is a 409 and writes
nothing. What may change:

- the tender's title and description;
- the bid deadline: extended freely (at most a year ahead); shortened only if it still leaves the
  profile's minimum tendering period from publication and the clarification period after this
  amendment;
- per lot: the quantity, the ceiling (lowered freely; raised above the ceiling the finance office
  approved only when the lot's contributing projects' approved budgets still cover their parts,
  `procurement.tendering.lots.budget_problems`; a lot without pooled lines cannot be raised above
  it), the bid bond (at most the profile's cap, a share of the lot's ceiling);
- documents: published documents withdrawn, new ones added (pages; the JSON API withdraws only).

The rule that protects bidders (DOMAIN 9: clarifications or amendments that affect bids come at
least `clarification_cutoff_days` before the deadline, otherwise the deadline moves): when
``now + clarification_cutoff_days`` is later than the (requested) deadline, the deadline moves to
that moment exactly (no rounding: the cut-off that moves with it, ``deadline -
clarification_cutoff_days``, is then the amendment's own moment, so questions stay closed). The chronograph's deadlines of the tender
(`DEADLINE_BIDS`, `DEADLINE_CUTOFF`) are re-armed in the same transaction.

Each amendment is numbered per tender, applied in the transaction that stores it, audited and
recorded (`tender_amended`) on every contributing project's chain; followers and askers are
told, and the listeners registered with `on_amended(app, func)` (bids, next issue: "needs
re-confirmation") are called with ``(tender, amendment)`` inside the transaction.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

from core.errors import Conflict, PermissionDenied, ValidationError
from core.extensions import db
from core.i18n import N_, Term
from core.money import MAX_FEN, format_fen
from core.services import unit_of_work
from core.timeutil import china_time, utcnow
from core.validation import Errors, integer, parse_moment, plain_text, text
from procurement.pooling.models import LIVE_LINE_STATES, PooledLine
from procurement.quantities import MAX_QUANTITY
from procurement.tendering import policy
from procurement.tendering.clarifications import visible_tender
from procurement.tendering.models import Amendment, TenderDocument
from procurement.tendering.records import record_tender_step
from procurement.tendering.states import LOT_ACTIVE, PUBLISHED

RATIONALE_MIN, RATIONALE_MAX = 10, 2000
TITLE_MAX = 200
DESCRIPTION_MAX = 20000
DOCUMENT_TITLE_MAX = 200
MAX_DOCUMENTS = 10
MAX_LOTS = 500
MAX_DEADLINE_DAYS = 366
MAX_QUANTITY_MILLI = int(MAX_QUANTITY) * 1000
CHANGE_KEYS = ("title", "description", "bid_deadline_at", "lots", "withdraw_documents")
LOT_FIELDS = ("quantity_milli", "ceiling_fen", "bond_fen")
LISTENERS_KEY = "tender_amended_listeners"
#: What each kind of change is called on pages (translated where shown).
FIELD_NAMES = {
    "title": N_("Title"), "description": N_("Description"), "bid_deadline_at": N_("Bid deadline"),
    "clarification_cutoff_at": N_("Clarification cut-off"), "quantity_milli": N_("Quantity"),
    "ceiling_fen": N_("Ceiling price"), "bond_fen": N_("Bid bond"), "document_withdrawn": N_("Document withdrawn"),
    "document_added": N_("Document added"),
}


# ------------------------------------------------------------------ listeners

def on_amended(app, func) -> None:
    """Call `func(tender, amendment)` inside every amendment's transaction (from `register(app)`).
    An exception in `func` rolls the amendment back."""
    funcs = app.extensions.setdefault(LISTENERS_KEY, [])
    if func not in funcs:
        funcs.append(func)


def listeners(app=None) -> list:
    return list((app or current_app).extensions.get(LISTENERS_KEY, []))


# ------------------------------------------------------------------ input

def _clean_lot(item: dict, errors: Errors) -> dict:
    out = {"number": integer(item, "number", errors, minimum=1, maximum=MAX_LOTS)}
    for key in item:
        if key not in ("number", *LOT_FIELDS):
            errors.add(key, N_("This cannot be amended."))
    if "quantity_milli" in item:
        out["quantity_milli"] = integer(item, "quantity_milli", errors, minimum=1, maximum=MAX_QUANTITY_MILLI)
    if "ceiling_fen" in item:
        out["ceiling_fen"] = integer(item, "ceiling_fen", errors, minimum=1, maximum=MAX_FEN)
    if "bond_fen" in item:
        out["bond_fen"] = integer(item, "bond_fen", errors, minimum=0, maximum=MAX_FEN)
    return out


def clean_changes(data) -> dict:
    """Validate the shape of ``{title, description, bid_deadline_at, lots: [{number,
    quantity_milli, ceiling_fen, bond_fen}], withdraw_documents: [ids]}`` (every key optional;
    what the values mean for the tender is checked by `plan`)."""
    if not isinstance(data, dict):
        raise ValidationError(N_("The changes must be an object."), {"changes": N_("Must be an object.")})
    errors = Errors()
    out: dict = {}
    for key in data:
        if key not in CHANGE_KEYS:
            errors.add(str(key)[:40], N_("This cannot be amended."))
    if "title" in data:
        out["title"] = text(data, "title", errors, max_len=TITLE_MAX)
    if "description" in data:
        out["description"] = text(data, "description", errors, required=False, max_len=DESCRIPTION_MAX)
    if "bid_deadline_at" in data:
        try:
            out["bid_deadline_at"] = parse_moment(data["bid_deadline_at"], naive_zone=None)
        except (TypeError, ValueError):
            errors.add("bid_deadline_at", N_("Give a date and time with its offset, e.g. 2026-06-30T09:00:00+08:00."))
    if "lots" in data:
        raw = data["lots"]
        if not isinstance(raw, list) or len(raw) > MAX_LOTS:
            errors.add("lots", N_("Give a list of lots (at most %(n)s)."), n=MAX_LOTS)
        else:
            numbers = set()
            out["lots"] = []
            for i, item in enumerate(raw):
                if not isinstance(item, dict):
                    errors.add(f"lots.{i}", N_("Must be an object with the lot's number and its new values."))
                    continue
                sub = Errors()
                cleaned = _clean_lot(item, sub)
                for key, message in sub.fields.items():
                    errors.add(f"lots.{i}.{key}", message)
                if cleaned["number"] in numbers:
                    errors.add(f"lots.{i}.number", N_("Lot %(n)s is given twice."), n=cleaned["number"])
                numbers.add(cleaned["number"])
                if not sub:
                    out["lots"].append(cleaned)
    if "withdraw_documents" in data:
        raw = data["withdraw_documents"]
        if (not isinstance(raw, list) or len(raw) > 100
                or any(isinstance(i, bool) or not isinstance(i, int) or not 1 <= i <= 2**31 - 1 for i in raw)):
            errors.add("withdraw_documents", N_("Give a list of document ids."))
        else:
            out["withdraw_documents"] = sorted(set(raw))
    errors.raise_if_any(N_("The amendment was not accepted."))
    return out


def clean_documents(documents) -> list[tuple]:
    """New documents as ``[(stream, file name, title)]``: titles of 1..200 characters."""
    documents = list(documents or [])
    errors = Errors()
    if len(documents) > MAX_DOCUMENTS:
        errors.add("documents", N_("At most %(n)s documents at once."), n=MAX_DOCUMENTS)
    out = []
    for i, (stream, name, title) in enumerate(documents[:MAX_DOCUMENTS]):
        cleaned = text({"title": title}, "title", errors, max_len=DOCUMENT_TITLE_MAX)
        out.append((stream, name or "document", cleaned))
    errors.raise_if_any(N_("The amendment was not accepted."))
    return out


# ------------------------------------------------------------------ the plan

@dataclass
class Plan:
    """What an amendment would change: the diff rows, the deadline before and after (moved by the
    cut-off rule or not), and the values to write."""

    changes: list[dict] = field(default_factory=list)
    deadline_before: dt.datetime | None = None
    deadline_after: dt.datetime | None = None
    requested_deadline: dt.datetime | None = None
    cutoff_before: dt.datetime | None = None
    cutoff_after: dt.datetime | None = None
    deadline_moved: bool = False
    cutoff_days: int = 0
    tender_values: dict = field(default_factory=dict)
    lot_values: dict = field(default_factory=dict)     # lot id -> {field: value}
    withdraw: list = field(default_factory=list)        # TenderDocument rows

    @property
    def deadline_changes(self) -> bool:
        return self.deadline_after != self.deadline_before


def _iso(moment):
    return moment.isoformat() if moment is not None else None


def cutoff_days(tender) -> int:
    """The clarification period of the tender's profile (days before the deadline)."""
    if tender.profile is not None:
        return tender.profile.clarification_cutoff_days
    if tender.bid_deadline_at and tender.clarification_cutoff_at:
        return max(0, math.ceil((tender.bid_deadline_at - tender.clarification_cutoff_at).total_seconds() / 86400))
    return 0


def earliest_deadline(tender, now: dt.datetime) -> dt.datetime:
    """The earliest deadline an amendment made at `now` may leave: `now` plus the clarification
    period (an amendment after the cut-off moves the deadline at least this far)."""
    return now + dt.timedelta(days=cutoff_days(tender))


def deadline_after_amendment(tender, now: dt.datetime, requested: dt.datetime | None = None) -> tuple[dt.datetime, bool]:
    """(the deadline after an amendment made at `now`, moved?) for the `requested` deadline
    (default: the current one)."""
    requested = requested or tender.bid_deadline_at
    floor = earliest_deadline(tender, now)
    if requested >= floor:
        return requested, False
    return floor, True


def approved_ceiling(tender, lot) -> int:
    """The lot's ceiling as the finance office approved it (before the first amendment of it)."""
    for amendment in sorted(tender.amendments, key=lambda a: a.number):
        for change in amendment.changes or []:
            if change.get("field") == "ceiling_fen" and change.get("lot") == lot.number:
                return int(change["before"])
    return lot.ceiling_fen


def _ceiling_problems(lot, ceiling_fen: int) -> list:
    """Why raising the lot's ceiling to `ceiling_fen` is not covered by its projects' budgets."""
    from procurement.tendering import lots as lot_rules

    lines = list(db.session.execute(select(PooledLine).where(PooledLine.lot_id == lot.id,
                                                             PooledLine.status.in_(LIVE_LINE_STATES))).scalars())
    if not lines:
        return [(N_("Lot %(n)s has no pooled lines whose budgets could cover a higher ceiling than the approved "
                    "%(approved)s."), {"n": lot.number, "approved": format_fen(approved_ceiling(lot.tender, lot))})]
    shares = lot_rules.ceiling_shares(ceiling_fen, lines)
    return [p.text for p in lot_rules.budget_problems(lot_rules.lines_by_project(lines), amounts=shares)]


def plan(tender, clean: dict, now: dt.datetime, *, new_documents: list[str] = ()) -> Plan:
    """Compare `clean` (from `clean_changes`) with the tender and check the rules; a
    ValidationError names every problem. Writes nothing."""
    errors = Errors()
    days = cutoff_days(tender)
    out = Plan(deadline_before=tender.bid_deadline_at, cutoff_before=tender.clarification_cutoff_at, cutoff_days=days)

    for key in ("title", "description"):
        if key in clean and clean[key] != (getattr(tender, key) or ""):
            out.tender_values[key] = clean[key]
            out.changes.append({"field": key, "lot": None, "before": getattr(tender, key) or "", "after": clean[key]})

    # The deadline: asked for, then moved by the cut-off rule if the amendment comes too late.
    requested = clean.get("bid_deadline_at", tender.bid_deadline_at)
    if "bid_deadline_at" in clean and requested != tender.bid_deadline_at:
        profile = tender.profile
        if requested <= now:
            errors.add("bid_deadline_at", N_("The deadline must be in the future."))
        elif requested > now + dt.timedelta(days=MAX_DEADLINE_DAYS):
            errors.add("bid_deadline_at", N_("The deadline may be at most %(n)s days ahead."), n=MAX_DEADLINE_DAYS)
        elif requested < tender.bid_deadline_at:
            minimum = (tender.published_at + dt.timedelta(days=profile.min_tender_days)
                       if profile is not None and tender.published_at is not None else None)
            if minimum is not None and requested < minimum:
                errors.add("bid_deadline_at", N_("A shortened deadline must leave the minimum tendering period of "
                                                 "%(days)s days from publication: not before %(earliest)s."),
                           days=profile.min_tender_days, earliest=china_time(minimum))
            elif requested < earliest_deadline(tender, now):
                errors.add("bid_deadline_at", N_("A shortened deadline must leave %(days)s days after this amendment "
                                                 "for clarifications: not before %(earliest)s."),
                           days=days, earliest=china_time(earliest_deadline(tender, now)))
    out.requested_deadline = requested
    if "bid_deadline_at" not in errors.fields:
        final, moved = deadline_after_amendment(tender, now, requested)
        out.deadline_after, out.deadline_moved = final, moved
        out.cutoff_after = (final - dt.timedelta(days=days)) if final != tender.bid_deadline_at \
            else tender.clarification_cutoff_at
        if final != tender.bid_deadline_at:
            out.tender_values["bid_deadline_at"] = final
            out.tender_values["clarification_cutoff_at"] = out.cutoff_after
            out.changes.append({"field": "bid_deadline_at", "lot": None, "before": _iso(tender.bid_deadline_at),
                                "after": _iso(final)})
            out.changes.append({"field": "clarification_cutoff_at", "lot": None,
                                "before": _iso(tender.clarification_cutoff_at), "after": _iso(out.cutoff_after)})

    lots = {lot.number: lot for lot in tender.lots}
    cap_bp = tender.profile.bond_cap_bp if tender.profile is not None else None
    for i, entry in enumerate(clean.get("lots", [])):
        lot = lots.get(entry["number"])
        where = f"lots.{i}"
        if lot is None:
            errors.add(f"{where}.number", N_("The tender has no lot %(n)s."), n=entry["number"])
            continue
        if lot.status != LOT_ACTIVE:
            errors.add(f"{where}.number", N_("Lot %(n)s is %(status)s and cannot be amended."), n=lot.number,
                       status=Term(lot.status))
            continue
        values = {k: entry[k] for k in LOT_FIELDS if k in entry and entry[k] != getattr(lot, k)}
        ceiling = values.get("ceiling_fen", lot.ceiling_fen)
        bond = values.get("bond_fen", lot.bond_fen)
        if "ceiling_fen" in values and ceiling > approved_ceiling(tender, lot):
            problems = _ceiling_problems(lot, ceiling)
            if problems:
                template, params = problems[0]
                errors.add(f"{where}.ceiling_fen", template, **params)
        if cap_bp is not None and ("bond_fen" in values or "ceiling_fen" in values) and bond * 10000 > ceiling * cap_bp:
            errors.add(f"{where}.bond_fen", N_("The bid bond may be at most %(cap)s of the lot's ceiling: %(max)s."),
                       cap=f"{cap_bp / 100:g} %", max=format_fen(ceiling * cap_bp // 10000))
        if values:
            out.lot_values[lot.id] = values
            for key in LOT_FIELDS:
                if key in values:
                    out.changes.append({"field": key, "lot": lot.number, "before": getattr(lot, key),
                                        "after": values[key]})

    if clean.get("withdraw_documents"):
        docs = {d.id: d for d in tender.documents}
        for doc_id in clean["withdraw_documents"]:
            doc = docs.get(doc_id)
            if doc is None or doc.withdrawn:
                errors.add("withdraw_documents", N_("Document %(id)s is not a published document of this tender."),
                           id=doc_id)
                continue
            out.withdraw.append(doc)
            out.changes.append({"field": "document_withdrawn", "lot": None, "before": doc.title, "after": None})
    for title in new_documents:
        out.changes.append({"field": "document_added", "lot": None, "before": None, "after": title})

    errors.raise_if_any(N_("The amendment was not accepted."))
    if not out.changes:
        raise ValidationError(N_("The amendment changes nothing."), {"changes": N_("Change at least one value.")})
    return out


def _refuse(actor, tender, now) -> None:
    if not policy.can_manage_tender(actor, tender):
        raise PermissionDenied(N_("Only the procurement centre running the tender amends it."))
    if not policy.can_amend_tender(actor, tender, now):
        if tender.status == PUBLISHED and tender.bid_deadline_at is not None:
            raise Conflict(N_("Tendering closed at %(deadline)s; a closed tender can no longer be amended."),
                           deadline=china_time(tender.bid_deadline_at))
        raise Conflict(N_("Only a published tender open for bids can be amended; this one is %(status)s."),
                       status=Term(tender.status))


def preview(actor, tender_id: int, changes, *, now: dt.datetime | None = None, new_documents=()) -> Plan:
    """What `amend` would do now (same checks, nothing written)."""
    clean = clean_changes(changes)
    tender = visible_tender(actor, tender_id)
    now = now or utcnow()
    _refuse(actor, tender, now)
    return plan(tender, clean, now, new_documents=list(new_documents))


# ------------------------------------------------------------------ the use case

def amend(actor, tender_id: int, changes, rationale, *, documents=(), now: dt.datetime | None = None) -> Amendment:
    """Amend a published tender (see the module's docstring). `documents`: new documents as
    ``[(binary stream, file name, title)]``. One transaction: all of it or nothing."""
    from core.documents import store_document
    from procurement.tendering import follows
    from procurement.tendering.services import reschedule_deadlines

    reason = plain_text(rationale, "rationale", minimum=RATIONALE_MIN, maximum=RATIONALE_MAX)
    clean = clean_changes(changes)
    new_docs = clean_documents(documents)
    with unit_of_work():
        tender = visible_tender(actor, tender_id, lock=True)
        now = now or utcnow()
        _refuse(actor, tender, now)
        the_plan = plan(tender, clean, now, new_documents=[title for _s, _n, title in new_docs])
        before = tender.snapshot()

        for key, value in the_plan.tender_values.items():
            setattr(tender, key, value)
        lots = {lot.id: lot for lot in tender.lots}
        for lot_id, values in the_plan.lot_values.items():
            for key, value in values.items():
                setattr(lots[lot_id], key, value)
        number = (tender.amendment_count or 0) + 1
        amendment = Amendment(tender_id=tender.id, number=number, rationale=reason, changes=the_plan.changes,
                              deadline_before=the_plan.deadline_before, deadline_after=the_plan.deadline_after,
                              deadline_moved=the_plan.deadline_moved, created_by_id=actor.id, created_at=now)
        db.session.add(amendment)
        tender.amendment_count = number
        db.session.flush()
        for doc in the_plan.withdraw:
            doc.withdrawn = True
        for stream, name, title in new_docs:
            stored = store_document(stream, name, actor, field="documents")
            db.session.flush()
            db.session.add(TenderDocument(tender_id=tender.id, document_id=stored.id, title=title,
                                          display_name=stored.original_name, amendment_id=amendment.id,
                                          added_by_id=actor.id, added_at=now))
        db.session.flush()
        if the_plan.deadline_changes:
            reschedule_deadlines(tender)  # the chronograph's bid deadline and cut-off move too
        record_tender_step(tender, "tender_amended", {
            "number": number, "rationale": reason, "changes": the_plan.changes,
            "deadline_before": _iso(the_plan.deadline_before), "deadline_after": _iso(the_plan.deadline_after),
            "deadline_moved": the_plan.deadline_moved}, actor=actor, before=before)
        for func in listeners():
            func(tender, amendment)
        follows.notify_amended(tender, amendment)
    return amendment


def amendments_of(tender) -> list[Amendment]:
    """The tender's amendments, newest first."""
    return list(db.session.execute(select(Amendment).where(Amendment.tender_id == tender.id)
                                   .order_by(Amendment.number.desc())).scalars())
