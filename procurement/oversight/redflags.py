"""Risk red flags over the tenders of a scope and period, each with its explanation (a
translatable message with its figures) and the records behind it (links).

Thresholds: the oversight rule in force for the tender's city on its publication day
(`OversightRule`: near-ceiling share, repeat wins and their window, amendment share) and the
tender's procedure profile (minimum tender period, bond cap). Card fingerprints are the bonds'
own per-lot check (`procurement.bonds.services.fingerprint_flags`); network addresses are those
recorded with each bid (`Bid.client_address`). Contract publication uses the agreement's own
publication deadline (`publish_due_at`)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from core.extensions import db
from core.i18n import N_
from core.models import Organisation
from core.money import format_fen
from core.timeutil import china_time, utcnow
from procurement.awards.models import Award
from procurement.bids.models import Bid
from procurement.opening.models import OpenedBid
from procurement.oversight.period import Period, next_month
from procurement.oversight.rules import rule_for
from procurement.profiles.models import ProcedureProfile
from procurement.tendering.models import Amendment, Lot, Tender
from procurement.tendering.states import PUBLIC_STATES

MAX_TENDERS = 300
CHINA = dt.timezone(dt.timedelta(hours=8))

# code -> what the flag means (shown with every flag of that kind)
EXPLANATIONS = {
    "single_bidder": N_("Only one bid was opened on the lot: no competition."),
    "near_ceiling": N_("The winning price is within a small margin of the ceiling: the ceiling may have been known "
                       "or the bidders may have agreed."),
    "identical_prices": N_("Two or more firms bid exactly the same price on the lot."),
    "repeat_winner": N_("The same firm keeps winning lots of the same procurement centre."),
    "shared_card": N_("Bonds of different firms on the lot were paid with the same card."),
    "shared_address": N_("Bids of different firms on the tender came from the same network address."),
    "short_period": N_("The tender was open for bids for fewer days than its procedure profile requires."),
    "late_contract": N_("The contract was published after its deadline (or is still unpublished past it)."),
    "bond_above_cap": N_("The bid bond asked is above the cap of the procedure profile."),
    "amendment_value": N_("An amendment moved a lot's ceiling by more than the allowed share."),
}


@dataclass
class Flag:
    """One red flag: its code, the tender (and lot), the message with its figures and the
    records behind it: ``[(kind, id, label)]`` with kind in tender|lot|award|bid|bond|agreement."""

    code: str
    tender: Tender
    lot: Lot | None
    message: str
    params: dict
    records: list = field(default_factory=list)

    @property
    def explanation(self) -> str:
        return EXPLANATIONS[self.code]


def tenders_in(city_ids, period: Period, limit: int = MAX_TENDERS) -> list[Tender]:
    """Public tenders published in `period` (China calendar) in `city_ids` (None: all), newest first."""
    start = dt.datetime.combine(period.start, dt.time(), CHINA)
    end = dt.datetime.combine(next_month(period.end), dt.time(), CHINA)
    stmt = (select(Tender).where(Tender.status.in_(PUBLIC_STATES), Tender.published_at >= start,
                                 Tender.published_at < end)
            .order_by(Tender.published_at.desc(), Tender.id.desc()).limit(limit))
    if city_ids is not None:
        stmt = stmt.where(Tender.city_id.in_(list(city_ids)))
    return list(db.session.execute(stmt).scalars())


def flags_for(tenders: list[Tender], *, now: dt.datetime | None = None) -> list[Flag]:
    """Every red flag of `tenders` (a handful of queries for the whole list)."""
    if not tenders:
        return []
    now = now or utcnow()
    ids = [t.id for t in tenders]
    by_id = {t.id: t for t in tenders}
    lots = {lot.id: lot for lot in db.session.execute(select(Lot).where(Lot.tender_id.in_(ids))).scalars()}
    profiles = {p.id: p for p in db.session.execute(
        select(ProcedureProfile).where(ProcedureProfile.id.in_({t.profile_id for t in tenders if t.profile_id})))
        .scalars()}
    rules = {}

    def rule(tender):
        key = (tender.city_id, tender.published_at.astimezone(CHINA).date())
        if key not in rules:
            rules[key] = rule_for(*key)
        return rules[key]

    out: list[Flag] = []
    out += _opening_flags(ids, by_id, lots)
    awards = list(db.session.execute(select(Award).where(Award.tender_id.in_(ids), Award.notice_number > 0,
                                                         Award.total_fen.is_not(None))).scalars())
    for award in awards:
        lot, tender = lots.get(award.lot_id), by_id[award.tender_id]
        share = rule(tender).near_ceiling_bp
        if lot is not None and lot.ceiling_fen and award.total_fen * 10000 >= lot.ceiling_fen * share:
            out.append(Flag("near_ceiling", tender, lot,
                            N_("The winning price %(price)s is %(pct)s of the ceiling %(ceiling)s (flagged from "
                               "%(limit)s)."),
                            {"price": format_fen(award.total_fen), "ceiling": format_fen(lot.ceiling_fen),
                             "pct": _pct(award.total_fen * 10000 // lot.ceiling_fen), "limit": _pct(share)},
                            [("award", award.id, award.id)]))
    out += _repeat_winners(tenders, by_id, lots, rule)
    out += _shared_cards(tenders, lots)
    out += _shared_addresses(ids, by_id)
    for tender in tenders:
        profile = profiles.get(tender.profile_id)
        out += _profile_flags(tender, profile, [lot for lot in lots.values() if lot.tender_id == tender.id])
    out += _amendment_flags(ids, by_id, lots, rule)
    out += _contract_flags(ids, by_id, lots, now)
    return out


def _firm_name(org_id: int) -> str:
    org = db.session.get(Organisation, org_id)
    return org.name_en if org is None or not org.name_zh else f"{org.name_zh} ({org.name_en})"


def _pct(bp: int) -> str:
    return f"{bp / 100:.1f} %"


def _opening_flags(ids, by_id, lots) -> list[Flag]:
    out = []
    per_lot = defaultdict(list)
    for opened in db.session.execute(select(OpenedBid).where(OpenedBid.tender_id.in_(ids))).scalars():
        per_lot[opened.lot_id].append(opened)
    for lot_id, rows in per_lot.items():
        lot = lots.get(lot_id)
        tender = by_id[rows[0].tender_id]
        if len(rows) == 1:
            out.append(Flag("single_bidder", tender, lot, N_("One bid was opened on lot %(lot)s."),
                            {"lot": lot.number if lot else lot_id}, [("bid", rows[0].bid_id, rows[0].bid_id)]))
        prices = defaultdict(list)
        for row in rows:
            if row.total_fen is not None:
                prices[row.total_fen].append(row)
        for price, same in sorted(prices.items()):
            if len({r.supplier_org_id for r in same}) > 1:
                out.append(Flag("identical_prices", tender, lot, N_("%(n)s firms bid %(price)s on lot %(lot)s."),
                                {"n": len({r.supplier_org_id for r in same}), "price": format_fen(price),
                                 "lot": lot.number if lot else lot_id},
                                [("bid", r.bid_id, r.bid_id) for r in same]))
    return out


def _repeat_winners(tenders, by_id, lots, rule) -> list[Flag]:
    """A firm with `repeat_wins` or more notified awards of one centre within the window ending at
    one of the awards in scope (earlier awards of that centre count too)."""
    centres = {t.centre_org_id for t in tenders}
    earliest = min(t.published_at for t in tenders) - dt.timedelta(days=3660)
    rows = db.session.execute(
        select(Award, Tender.centre_org_id).join(Tender, Tender.id == Award.tender_id)
        .where(Tender.centre_org_id.in_(centres), Award.notice_number > 0, Award.notice_at.is_not(None),
               Award.winner_org_id.is_not(None), Award.notice_at >= earliest)
        .order_by(Award.notice_at)).all()
    history = defaultdict(list)
    for award, centre in rows:
        history[(centre, award.winner_org_id)].append(award)
    out = []
    for (centre, winner), awards in history.items():
        for award in awards:
            if award.tender_id not in by_id:
                continue
            r = rule(by_id[award.tender_id])
            window = [a for a in awards if award.notice_at - dt.timedelta(days=r.repeat_window_days) < a.notice_at
                      <= award.notice_at]
            if len(window) >= r.repeat_wins:
                out.append(Flag("repeat_winner", by_id[award.tender_id], lots.get(award.lot_id),
                                N_("The firm %(firm)s won %(n)s lots of this centre within %(days)s days (flagged "
                                   "from %(limit)s)."),
                                {"firm": _firm_name(winner), "n": len(window), "days": r.repeat_window_days,
                                 "limit": r.repeat_wins},
                                [("award", a.id, a.id) for a in window]))
    return out


def _shared_cards(tenders, lots) -> list[Flag]:
    from procurement.bonds.services import fingerprint_flags

    out = []
    for tender in tenders:
        for row in fingerprint_flags(tender.id):
            lot = lots.get(row["lot_id"])
            out.append(Flag("shared_card", tender, lot, N_("%(n)s firms paid their bonds on lot %(lot)s with one card."),
                            {"n": len(row["supplier_org_ids"]), "lot": lot.number if lot else row["lot_id"]},
                            [("firm", org, _firm_name(org)) for org in row["supplier_org_ids"]]))
    return out


def _shared_addresses(ids, by_id) -> list[Flag]:
    seen = defaultdict(dict)   # (tender, address) -> firm -> bid id
    for bid in db.session.execute(select(Bid.id, Bid.tender_id, Bid.supplier_org_id, Bid.client_address)
                                  .where(Bid.tender_id.in_(ids), Bid.client_address.is_not(None))
                                  .order_by(Bid.id)):
        seen[(bid.tender_id, bid.client_address)].setdefault(bid.supplier_org_id, bid.id)
    return [Flag("shared_address", by_id[tender_id], None,
                 N_("%(n)s firms bid on this tender from the network address %(address)s."),
                 {"n": len(firms), "address": address}, [("bid", b, b) for b in firms.values()])
            for (tender_id, address), firms in seen.items() if len(firms) > 1]


def _profile_flags(tender, profile, lots) -> list[Flag]:
    if profile is None:
        return []
    out = []
    if tender.bid_deadline_at is not None and tender.published_at is not None:
        days = (tender.bid_deadline_at - tender.published_at).total_seconds() / 86400
        if days < profile.min_tender_days:
            out.append(Flag("short_period", tender, None,
                            N_("Open for bids %(days)s days; the profile requires at least %(min)s."),
                            {"days": f"{days:.1f}", "min": profile.min_tender_days}, [("tender", tender.id, tender.reference)]))
    for lot in lots:
        if lot.ceiling_fen and lot.bond_fen * 10000 > lot.ceiling_fen * profile.bond_cap_bp:
            out.append(Flag("bond_above_cap", tender, lot,
                            N_("The bond %(bond)s of lot %(lot)s is %(pct)s of its ceiling; the cap is %(cap)s."),
                            {"bond": format_fen(lot.bond_fen), "lot": lot.number, "pct": _pct(lot.bond_fen * 10000 // lot.ceiling_fen),
                             "cap": _pct(profile.bond_cap_bp)}, [("lot", lot.id, lot.number)]))
    return out


def _amendment_flags(ids, by_id, lots, rule) -> list[Flag]:
    out = []
    by_number = {(lot.tender_id, lot.number): lot for lot in lots.values()}
    for amendment in db.session.execute(select(Amendment).where(Amendment.tender_id.in_(ids))).scalars():
        tender = by_id[amendment.tender_id]
        limit = rule(tender).amendment_bp
        for change in amendment.changes or []:
            before, after = change.get("before"), change.get("after")
            if change.get("field") != "ceiling_fen" or not isinstance(before, int) or not isinstance(after, int):
                continue
            if before > 0 and abs(after - before) * 10000 > before * limit:
                lot = by_number.get((tender.id, change.get("lot")))
                out.append(Flag("amendment_value", tender, lot,
                                N_("Amendment %(number)s moved the ceiling of lot %(lot)s from %(before)s to "
                                   "%(after)s (%(pct)s; flagged above %(limit)s)."),
                                {"number": amendment.number, "lot": change.get("lot"), "before": format_fen(before),
                                 "after": format_fen(after), "pct": _pct(abs(after - before) * 10000 // before),
                                 "limit": _pct(limit)}, [("tender", tender.id, tender.reference)]))
    return out


def _contract_flags(ids, by_id, lots, now) -> list[Flag]:
    from procurement.agreements.models import Agreement

    out = []
    for agreement in db.session.execute(select(Agreement).where(Agreement.tender_id.in_(ids),
                                                                Agreement.publish_due_at.is_not(None))).scalars():
        published = agreement.published_at
        if (published or now) > agreement.publish_due_at:
            out.append(Flag("late_contract", by_id[agreement.tender_id], lots.get(agreement.lot_id),
                            N_("Contract %(reference)s was due for publication by %(due)s; published: %(published)s."),
                            {"reference": agreement.reference, "due": china_time(agreement.publish_due_at),
                             "published": china_time(published) if published else "–"},
                            [("agreement", agreement.id, agreement.reference)]))
    return out
