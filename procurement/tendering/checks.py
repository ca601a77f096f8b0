"""The checks a tender must pass before it goes to the finance office, before the finance office
approves it and again when the centre publishes it: one function (`run_checks`) used by all
three, so the centre, the finance office and the publication see the same named results.

Each check is ``{"check": name, "ok": bool, "message": payload, "problems": [payload, ...]}``
where payloads are stored messages (`core.i18n.message_payload`) read in each reader's language.
The numbers come from the procedure profile in force for the tender's city, method and track on
the day of the check (`procurement.profiles.services.profile_for`):

- ``lots``: at least one lot; no lot mixes categories or units;
- ``method``: a profile is in force for the method and track in the city;
- ``ceilings``: each lot's ceiling is above zero and is the total of its lines' estimates;
- ``bond``: each lot's bid bond is at most the profile's cap (a share of the lot's ceiling);
- ``periods``: the bid deadline is at least the minimum tender period after publication (now),
  the document availability period (working days) ends before it, and so does the
  clarification cut-off;
- ``budget``: each contributing project's approved budget still covers its lines;
- ``evaluation``: the evaluation method (`procurement.evaluation.scoring.criteria.tender_check`):
  comprehensive scoring with the price weight at least the profile's floor and weights adding up
  to 100; no plan is lowest evaluated price.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from core.i18n import N_, Message, message_payload
from core.money import format_fen
from core.timeutil import CHINA, china_time, utcnow
from core.workdays import add_working_days, load_calendar
from procurement.profiles.services import NoProfile, profile_for
from procurement.quantities import format_bp
from procurement.tendering.states import LOT_ACTIVE

CHECKS = ("lots", "method", "ceilings", "bond", "periods", "budget", "evaluation")

#: What each check looks at, for people (pages show these instead of the code names).
CHECK_TITLES = {
    "lots": _l("Lots"), "method": _l("Procurement method and rules"), "ceilings": _l("Lot ceilings"),
    "bond": _l("Bid bonds"), "periods": _l("Tender periods"), "budget": _l("Project budgets"),
    "evaluation": _l("Evaluation method"),
}

#: Method and legal-track names used inside messages (Message parameters, translated when shown).
METHOD_NAMES = {
    "public_tender": N_("Public tender"), "competitive_negotiation": N_("Competitive negotiation"),
    "competitive_consultation": N_("Competitive consultation"), "framework_agreement": N_("Framework agreement"),
    "call_off": N_("Call-off under a framework agreement"),
}
TRACK_NAMES = {"gpl": N_("Government Procurement Law"), "tbl": N_("Tendering and Bidding Law")}

#: Tender statuses and procurement methods as code words inside messages (`Term`, e.g. in
#: `IllegalMove` and `profiles.services.NoProfile`), translated when shown.
TERMS = [_l("finance_review"), _l("published"), _l("closed"), _l("cancelled"), _l("public_tender"),
         _l("competitive_negotiation"), _l("competitive_consultation"), _l("framework_agreement"), _l("call_off")]

DAY_END = dt.time(23, 59, 59)


def method_name(method: str) -> Message:
    return Message(METHOD_NAMES.get(method, method))


def track_name(track: str) -> Message:
    return Message(TRACK_NAMES.get(track, track))


def lot_name(lot) -> str:
    return str(lot.number)


# ------------------------------------------------------------------ the profile's dates

def find_profile(tender, at: dt.datetime):
    """The profile in force for the tender's method, track and city on the China date of `at`,
    or None."""
    try:
        return profile_for(tender.method, tender.track, tender.city_id, at.astimezone(CHINA).date())
    except NoProfile:
        return None


def documents_until(profile, at: dt.datetime, calendar=None) -> dt.datetime:
    """The end (23:59:59 China time) of the last day of the document availability period for
    documents published at `at`: the profile's number of working days after that date."""
    last = add_working_days(at.astimezone(CHINA).date(), profile.doc_availability_working_days, calendar=calendar)
    return dt.datetime.combine(last, DAY_END, tzinfo=CHINA).astimezone(dt.timezone.utc)


def clarification_cutoff(profile, deadline: dt.datetime) -> dt.datetime:
    """The last moment for questions and for amendments that leave the deadline where it is."""
    return deadline - dt.timedelta(days=profile.clarification_cutoff_days)


def earliest_deadline(profile, at: dt.datetime) -> dt.datetime:
    return at + dt.timedelta(days=profile.min_tender_days)


def bond_cap_fen(profile, ceiling_fen: int) -> int:
    """The largest bid bond the profile allows for a lot with that ceiling (rounded down to a fen)."""
    return ceiling_fen * profile.bond_cap_bp // 10000


def period_problems(profile, deadline: dt.datetime | None, at: dt.datetime, calendar=None) -> list[tuple]:
    """What is wrong with `deadline` for a publication at `at` under `profile`, as (template,
    params) pairs; empty when the periods are right."""
    if deadline is None:
        return [(N_("No bid deadline is set."), {})]
    problems = []
    earliest = earliest_deadline(profile, at)
    if deadline < earliest:
        problems.append((N_("The bid deadline %(deadline)s is less than %(days)s days after publication; "
                            "the earliest allowed is %(earliest)s."),
                         {"deadline": china_time(deadline), "days": profile.min_tender_days,
                          "earliest": china_time(earliest)}))
    until = documents_until(profile, at, calendar)
    if until > deadline:
        problems.append((N_("The documents must be available for %(days)s working days, until %(until)s, "
                            "which is after the bid deadline."),
                         {"days": profile.doc_availability_working_days, "until": china_time(until)}))
    cutoff = clarification_cutoff(profile, deadline)
    if not problems and cutoff < at:
        problems.append((N_("The clarification cut-off (%(days)s days before the deadline) would be before "
                            "publication."), {"days": profile.clarification_cutoff_days}))
    return problems


def bond_problem(profile, lot_number, ceiling_fen: int, bond_fen: int):
    """(template, params) when the bond is above the profile's cap, else None."""
    cap = bond_cap_fen(profile, ceiling_fen)
    if bond_fen > cap:
        return (N_("Lot %(lot)s: the bid bond %(bond)s is above the cap of %(cap)s (%(percent)s %% of the "
                   "ceiling)."), {"lot": str(lot_number), "bond": format_fen(bond_fen), "cap": format_fen(cap),
                                  "percent": format_bp(profile.bond_cap_bp)})
    return None


# ------------------------------------------------------------------ the checks

@dataclass
class _Context:
    tender: object
    at: dt.datetime
    profile: object
    lots: list
    lines: dict  # lot id -> live pooled lines


def _result(name: str, problems: list[tuple], ok_message: tuple) -> dict:
    if problems:
        payloads = [message_payload(t, p) for t, p in problems]
        return {"check": name, "ok": False, "message": payloads[0], "problems": payloads}
    return {"check": name, "ok": True, "message": message_payload(*ok_message), "problems": []}


def _check_lots(ctx: _Context) -> dict:
    problems = []
    if not ctx.lots:
        problems.append((N_("The tender has no lots."), {}))
    for lot in ctx.lots:
        lines = ctx.lines.get(lot.id, [])
        if any(line.category_id != lot.category_id for line in lines):
            problems.append((N_("Lot %(lot)s mixes lines of different categories."), {"lot": lot_name(lot)}))
        if any(line.unit != lot.unit for line in lines):
            problems.append((N_("Lot %(lot)s mixes lines in different units."), {"lot": lot_name(lot)}))
        if lines and sum(line.quantity_milli for line in lines) != lot.quantity_milli:
            problems.append((N_("Lot %(lot)s: its quantity is not the total of its lines."), {"lot": lot_name(lot)}))
    return _result("lots", problems, (N_("Lots: %(n)s, each of one category and unit."), {"n": len(ctx.lots)}))


def _check_method(ctx: _Context) -> dict:
    tender = ctx.tender
    if ctx.profile is None:
        return _result("method", [(N_("No procedure rules are in force for %(method)s (%(track)s) in this city on "
                                      "%(date)s."), {"method": method_name(tender.method),
                                                     "track": track_name(tender.track),
                                                     "date": ctx.at.astimezone(CHINA).date().isoformat()})], ())
    p = ctx.profile
    return _result("method", [], (N_("%(method)s (%(track)s): the rules in force since %(date)s apply."),
                                  {"method": method_name(tender.method), "track": track_name(tender.track),
                                   "date": p.effective_from.isoformat()}))


def _check_ceilings(ctx: _Context) -> dict:
    problems = []
    for lot in ctx.lots:
        lines = ctx.lines.get(lot.id, [])
        if not lot.ceiling_fen or lot.ceiling_fen <= 0:
            problems.append((N_("Lot %(lot)s has no ceiling."), {"lot": lot_name(lot)}))
        elif lines and sum(line.est_amount_fen for line in lines) != lot.ceiling_fen:
            problems.append((N_("Lot %(lot)s: the ceiling %(ceiling)s is not its lines' estimated total %(total)s."),
                             {"lot": lot_name(lot), "ceiling": format_fen(lot.ceiling_fen),
                              "total": format_fen(sum(line.est_amount_fen for line in lines))}))
    total = sum(lot.ceiling_fen or 0 for lot in ctx.lots)
    return _result("ceilings", problems, (N_("Every lot's ceiling is the total of its lines (%(total)s in all)."),
                                          {"total": format_fen(total)}))


def _check_bond(ctx: _Context) -> dict:
    if ctx.profile is None:
        return _result("bond", [(N_("No procedure rules to check the bid bonds against."), {})], ())
    problems = [p for lot in ctx.lots
                if (p := bond_problem(ctx.profile, lot.number, lot.ceiling_fen or 0, lot.bond_fen or 0))]
    return _result("bond", problems, (N_("Every bid bond is at most %(percent)s %% of its lot's ceiling."),
                                      {"percent": format_bp(ctx.profile.bond_cap_bp)}))


def _check_periods(ctx: _Context) -> dict:
    if ctx.profile is None:
        return _result("periods", [(N_("No procedure rules to check the tender periods against."), {})], ())
    calendar = load_calendar()
    deadline = ctx.tender.bid_deadline_at
    problems = period_problems(ctx.profile, deadline, ctx.at, calendar)
    if problems:
        return _result("periods", problems, ())
    days = (deadline - ctx.at).days
    return _result("periods", [], (
        N_("Bid deadline %(deadline)s: %(days)s days after publication (at least %(min)s); documents available "
           "until %(until)s; questions until %(cutoff)s."),
        {"deadline": china_time(deadline), "days": days, "min": ctx.profile.min_tender_days,
         "until": china_time(documents_until(ctx.profile, ctx.at, calendar)),
         "cutoff": china_time(clarification_cutoff(ctx.profile, deadline))}))


def _check_budget(ctx: _Context) -> dict:
    from procurement.tendering import lots as lot_rules

    lines = [line for lot in ctx.lots for line in ctx.lines.get(lot.id, [])]
    problems = [p.text for p in lot_rules.budget_problems(lot_rules.lines_by_project(lines))]
    projects = len({line.project_id for line in lines})
    return _result("budget", problems, (N_("Contributing projects: %(n)s; the approved budget of each covers its "
                                           "lines."), {"n": projects}))


def _check_evaluation(ctx: _Context) -> dict:
    if ctx.profile is None:
        return _result("evaluation", [(N_("No procedure rules to check the evaluation method against."), {})], ())
    from procurement.evaluation.scoring.criteria import tender_check

    problems, ok = tender_check(ctx.tender, ctx.profile)
    return _result("evaluation", problems, ok)


_RUNNERS = {"lots": _check_lots, "method": _check_method, "ceilings": _check_ceilings, "bond": _check_bond,
            "periods": _check_periods, "budget": _check_budget, "evaluation": _check_evaluation}


def live_lines(tender) -> dict:
    """The tender's live pooled lines by lot id (one query)."""
    from sqlalchemy import select

    from core.extensions import db
    from procurement.pooling.models import LIVE_LINE_STATES, PooledLine
    from procurement.tendering.models import Lot

    rows = db.session.execute(
        select(PooledLine).join(Lot, Lot.id == PooledLine.lot_id)
        .where(Lot.tender_id == tender.id, PooledLine.status.in_(LIVE_LINE_STATES))
        .order_by(PooledLine.id)).scalars()
    out: dict = {}
    for line in rows:
        out.setdefault(line.lot_id, []).append(line)
    return out


def run_checks(tender, *, at: dt.datetime | None = None) -> list[dict]:
    """Every check of `tender` as if it were published at `at` (default now), in `CHECKS` order."""
    at = at or utcnow()
    ctx = _Context(tender=tender, at=at, profile=find_profile(tender, at),
                   lots=[lot for lot in tender.lots if lot.status == LOT_ACTIVE], lines=live_lines(tender))
    return [_RUNNERS[name](ctx) for name in CHECKS]


def failing(checks: list[dict]) -> list[dict]:
    return [c for c in checks if not c["ok"]]


def all_pass(checks: list[dict]) -> bool:
    return not failing(checks)
