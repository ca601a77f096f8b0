"""Use cases of negotiations: start (for a lot, or a framework mini-competition among given
firms), open a round (improvement or final), submit a sealed offer, close a round at its
deadline (the chronograph), cancel. One transaction each, with its audit event and a record on
every contributing project's chain for the steps that change the procurement.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from core import audit, scheduler
from core.errors import Conflict, NotFound, PermissionDenied
from core.extensions import db
from core.i18n import N_
from core.models import Organisation
from core.money import format_fen
from core.notifications import notify_organisation
from core.services import unit_of_work
from core.timeutil import china_time, utcnow
from core.validation import Errors, choice, integer, parse_moment, text
from procurement.bids import commitments
from procurement.negotiation import policy, ranking, sealed
from procurement.negotiation.models import (
    Negotiation,
    NegotiationOffer,
    NegotiationParticipant,
    NegotiationRound,
)
from procurement.negotiation.rules import highest_allowed, step_fen
from procurement.negotiation.states import (
    CANCELLED,
    DEADLINE_ROUND,
    FAILED,
    FINAL,
    KINDS,
    MIN_PARTICIPANTS,
    MINI_COMPETITION,
    NEGOTIATION,
    ROUND_OBJECT,
    ROUND_OPEN,
    SEALED,
    TIE_RULES,
)
from procurement.tendering.records import record_on_projects

TITLE_MAX, REASON_MIN, REASON_MAX = 300, 5, 2000
MAX_FIRMS = 30
MAX_ROUNDS = 20


def get(negotiation_id) -> Negotiation | None:
    try:
        return db.session.get(Negotiation, int(negotiation_id))
    except (TypeError, ValueError):
        return None


def visible(actor, negotiation_id) -> Negotiation:
    """The negotiation if `actor` may see it (rounds past their deadline closed first)."""
    found = get(negotiation_id)
    if found is not None:
        catch_up(found)
        found = get(negotiation_id)
    if found is None or not policy.can_view(actor, found):
        raise NotFound(N_("No such negotiation."))
    return found


def catch_up(negotiation) -> None:
    """Close the rounds whose deadline has passed (checked on read, as the chronograph would)."""
    now = utcnow()
    for rnd in list(negotiation.rounds):
        if rnd.status == ROUND_OPEN and rnd.deadline_at <= now:
            scheduler.catch_up(ROUND_OBJECT, rnd.id)
    db.session.expire_all()


def locked(negotiation_id) -> Negotiation:
    """The negotiation row, locked for this transaction (SQLite: a no-op UPDATE takes the lock)."""
    found = get(negotiation_id)
    if found is None:
        raise NotFound(N_("No such negotiation."))
    db.session.execute(update(Negotiation).where(Negotiation.id == found.id).values(updated_at=Negotiation.updated_at))
    db.session.refresh(found)
    return found


def record_step(negotiation, kind: str, payload: dict, *, actor, before: dict | None = None) -> None:
    """The audit event and one record on each contributing project's chain."""
    body = {"negotiation_id": negotiation.id, "reference": negotiation.reference, **payload}
    db.session.flush()
    after = negotiation.snapshot()
    if "follows" in payload:  # what the negotiation continues: its tender's method, a failed opening or award
        after["follows"] = payload["follows"]
    audit.record(f"negotiation.{kind.removeprefix('negotiation_')}", negotiation, before=before, after=after,
                 actor=actor)
    record_on_projects(negotiation.project_ids or [], kind, body, actor=actor)


def _deadline(raw, errors: Errors, now: dt.datetime, field: str = "deadline_at") -> dt.datetime | None:
    try:
        value = parse_moment(raw)
    except (TypeError, ValueError):
        errors.add(field, N_("Give a date and time such as 2027-01-20T09:00 (China time) or with a zone such as "
                             "2027-01-20T09:00+08:00."))
        return None
    if value <= now:
        errors.add(field, N_("The deadline must be in the future."))
        return None
    return value


# ------------------------------------------------------------------ start

def _firms(raw, errors: Errors) -> list[Organisation]:
    from procurement.opening.policy import is_verified_supplier_firm

    if not isinstance(raw, list) or not all(type(x) is int for x in raw) or not 1 <= len(raw) <= MAX_FIRMS:
        errors.add("supplier_org_ids", N_("Give the invited supplier firms as a list of organisation ids."))
        return []
    ids = sorted(set(raw))
    firms = list(db.session.execute(select(Organisation).where(Organisation.id.in_(ids))).scalars())
    if len(firms) != len(ids) or not all(is_verified_supplier_firm(f) for f in firms):
        errors.add("supplier_org_ids", N_("Every invited firm must be a verified supplier firm."))
    elif len(firms) < MIN_PARTICIPANTS:
        errors.add("supplier_org_ids", N_("Invite at least %(n)s supplier firms."), n=MIN_PARTICIPANTS)
    return firms


def _subject(actor, data: dict, errors: Errors) -> dict:
    """The subject: a lot of one of the centre's tenders, or given values (a mini-competition)."""
    from procurement.opening.qualification import lot_projects
    from procurement.tendering.models import Lot

    raw_lot = data.get("lot_id")
    if raw_lot not in (None, ""):
        lot = db.session.get(Lot, raw_lot) if type(raw_lot) is int else None
        if lot is None or not policy.can_manage(actor, lot.tender):
            errors.add("lot_id", N_("Choose a lot of one of your centre's tenders."))
            return {}
        follows = policy.lot_negotiable(lot)
        if follows is None:  # DOMAIN.md 9: no re-bidding in an open tender unless its lot failed
            errors.add("lot_id", N_("Lot %(lot)s is not negotiated: its tender's method is not a negotiation, and it "
                                    "has not failed with the negotiation chosen as its next step."), lot=lot.number)
            return {}
        if db.session.execute(select(Negotiation.id).where(Negotiation.lot_id == lot.id,
                                                           Negotiation.status.notin_((FAILED, CANCELLED)))).first():
            errors.add("lot_id", N_("Lot %(lot)s already has a negotiation."), lot=lot.number)
            return {}
        return {"tender_id": lot.tender_id, "lot_id": lot.id, "category_id": lot.category_id,
                "quantity_milli": lot.quantity_milli, "unit": lot.unit, "project_ids": lot_projects(lot),
                "ceiling_fen": lot.ceiling_fen, "follows": follows}
    out = {"quantity_milli": integer(data, "quantity_milli", errors, minimum=1, maximum=10**15),
           "unit": text(data, "unit", errors, max_len=20),
           "category_id": integer(data, "category_id", errors, minimum=1, maximum=2**31, required=False),
           "agreement_id": integer(data, "agreement_id", errors, minimum=1, maximum=2**31, required=False)}
    projects = data.get("project_ids", [])
    if not isinstance(projects, list) or not all(type(x) is int and x > 0 for x in projects) or len(projects) > 500:
        errors.add("project_ids", N_("Give the contributing projects as a list of project ids."))
        projects = []
    out["project_ids"] = sorted(set(projects))
    return out


def start(actor, data: dict, *, now: dt.datetime | None = None) -> Negotiation:
    """The centre starts a negotiation among the invited firms, with its published rules (step,
    rounds before the final offers at least the profile's, tie rule) and round 1 open until its
    deadline. `kind`: competitive negotiation or consultation (`lot_id`: the subject) or a
    framework mini-competition (quantity, unit, category, projects, agreement given)."""
    from procurement.profiles.services import NoProfile, profile_for

    now = commitments.truncate_ms(now or utcnow())
    if not policy.can_start(actor):
        raise PermissionDenied(N_("Only a procurement centre's officers start negotiations."))
    data = data if isinstance(data, dict) else {}
    errors = Errors()
    kind = choice(data, "kind", errors, KINDS)
    title = text(data, "title", errors, max_len=TITLE_MAX)
    firms = _firms(data.get("supplier_org_ids"), errors)
    subject = _subject(actor, data, errors)
    ceiling = integer(data, "ceiling_fen", errors, minimum=1, maximum=10**15,
                      required="ceiling_fen" not in subject and data.get("lot_id") in (None, ""),
                      default=subject.get("ceiling_fen"))
    step_bp = integer(data, "step_bp", errors, minimum=0, maximum=5000, required=False, default=0)
    step_min = integer(data, "step_min_fen", errors, minimum=0, maximum=10**12, required=False, default=0)
    tie_rule = choice(data, "tie_rule", errors, TIE_RULES)
    city_id = actor.organisation.city_id
    profile = None
    if kind in KINDS:
        try:  # the profile's rounds before final offers is the floor (none for a mini-competition: 1)
            profile = profile_for(kind if kind != MINI_COMPETITION else "framework_agreement", "gpl", city_id)
        except NoProfile:
            profile = None
    floor = max(1, int(getattr(profile, "min_negotiation_rounds", 0) or 0))
    min_rounds = integer(data, "min_rounds", errors, minimum=floor, maximum=MAX_ROUNDS, required=False, default=floor)
    deadline = _deadline(data.get("first_deadline_at"), errors, now, "first_deadline_at")
    if not errors and step_bp == 0 and step_min == 0:
        errors.add("step_bp", N_("Give a minimal step: a share of the previous offer, an amount, or both."))
    errors.raise_if_any(N_("The negotiation was not started."))
    with unit_of_work(N_("That negotiation conflicts with an existing one.")):
        negotiation = Negotiation(reference=f"NEG-{now:%Y%m%d%H%M%S%f}"[:40], kind=kind, title=title, city_id=city_id,
                                  centre_org_id=actor.organisation_id, ceiling_fen=ceiling, step_bp=step_bp,
                                  step_min_fen=step_min, min_rounds=min_rounds, tie_rule=tie_rule,
                                  created_by_id=actor.id, created_at=now, updated_at=now,
                                  **{k: v for k, v in subject.items() if k not in ("ceiling_fen", "follows")})
        db.session.add(negotiation)
        db.session.flush()
        negotiation.reference = f"NEG-{now:%Y}-{negotiation.id:05d}"
        for firm in firms:
            db.session.add(NegotiationParticipant(negotiation_id=negotiation.id, supplier_org_id=firm.id,
                                                  invited_at=now))
        rnd = _new_round(negotiation, 1, False, deadline, now)
        record_step(negotiation, "negotiation_started", {"kind": kind, "participants": len(firms),
                                                      "ceiling_fen": ceiling, "step_bp": step_bp,
                                                      "step_min_fen": step_min, "min_rounds": min_rounds,
                                                      "tie_rule": tie_rule,
                                                      **({"follows": subject["follows"]} if "follows" in subject
                                                         else {})}, actor=actor)
        _tell_firms(negotiation, rnd, N_("You are invited to negotiation %(reference)s (%(title)s). Round %(round)s "
                                         "is open for sealed offers until %(deadline)s."))
    return negotiation


def start_mini_competition(actor, *, title: str, supplier_org_ids: list[int], quantity_milli: int, unit: str,
                           ceiling_fen: int, first_deadline_at, project_ids=(), category_id=None, agreement_id=None,
                           min_rounds: int | None = None, step_bp: int = 100, step_min_fen: int = 0,
                           tie_rule: str = "earliest_offer", now: dt.datetime | None = None) -> Negotiation:
    """A framework mini-competition: rounds among the given firms (the agreement's suppliers)
    for a given subject (a call-off's quantity, its projects)."""
    data = {"kind": MINI_COMPETITION, "title": title, "supplier_org_ids": list(supplier_org_ids),
            "quantity_milli": quantity_milli, "unit": unit, "ceiling_fen": ceiling_fen,
            "first_deadline_at": first_deadline_at, "project_ids": list(project_ids), "category_id": category_id,
            "agreement_id": agreement_id, "step_bp": step_bp, "step_min_fen": step_min_fen, "tie_rule": tie_rule}
    if min_rounds is not None:
        data["min_rounds"] = min_rounds
    return start(actor, data, now=now)


def _new_round(negotiation, number: int, final: bool, deadline: dt.datetime, now: dt.datetime) -> NegotiationRound:
    key = sealed.round_key()
    rnd = NegotiationRound(negotiation_id=negotiation.id, number=number, final=final, status=ROUND_OPEN,
                           opened_at=now, deadline_at=deadline, public_key=key.public_key,
                           wrapped_private_key=key.wrapped_private_key, key_salt=key.salt)
    db.session.add(rnd)
    db.session.flush()
    scheduler.schedule(DEADLINE_ROUND, ROUND_OBJECT, rnd.id, deadline)
    return rnd


def _tell_firms(negotiation, rnd, template: str) -> None:
    from procurement.blueprints import page_path

    for p in negotiation.participants:
        notify_organisation(p.supplier_org_id, "negotiation.round", template,
                            {"reference": negotiation.reference, "title": negotiation.title, "round": rnd.number,
                             "deadline": china_time(rnd.deadline_at)},
                            link=page_path("negotiation.page", negotiation_id=negotiation.id))


# ------------------------------------------------------------------ rounds and offers

def open_round(actor, negotiation_id, data: dict, *, now: dt.datetime | None = None) -> NegotiationRound:
    """The centre opens the next round (`final`: the final-offer round, allowed once the
    published number of improvement rounds has closed) until `deadline_at`."""
    now = commitments.truncate_ms(now or utcnow())
    data = data if isinstance(data, dict) else {}
    errors = Errors()
    deadline = _deadline(data.get("deadline_at"), errors, now)
    final = data.get("final") in (True, "true", "1", "on", "y")
    errors.raise_if_any(N_("The round was not opened."))
    with unit_of_work(N_("Another round was opened at the same moment.")):
        negotiation = locked(negotiation_id)
        if not policy.can_view(actor, negotiation):
            raise NotFound(N_("No such negotiation."))
        if not policy.can_manage(actor, negotiation):
            raise PermissionDenied(N_("Only the negotiation's procurement centre opens its rounds."))
        NEGOTIATION.check(negotiation.status, "finalise" if final else "cancel")  # live (and not final yet)
        if policy.open_round(negotiation) is not None:
            raise Conflict(N_("Round %(round)s is still open: it closes at its deadline."),
                           round=policy.open_round(negotiation).number)
        closed = len(negotiation.rounds)
        if final and closed < negotiation.min_rounds:
            raise Conflict(N_("The final offers come after %(n)s rounds of improved offers; %(done)s have closed."),
                           n=negotiation.min_rounds, done=closed)
        if not final and closed >= MAX_ROUNDS - 1:
            raise Conflict(N_("At most %(n)s rounds: open the final-offer round."), n=MAX_ROUNDS)
        before = negotiation.snapshot()
        rnd = _new_round(negotiation, closed + 1, final, deadline, now)
        if final:
            NEGOTIATION.apply(Negotiation, negotiation.id, "finalise", updated_at=now)
            db.session.refresh(negotiation)
        record_step(negotiation, "negotiation_round_opened", {"round": rnd.number, "final": final,
                                                          "deadline_at": rnd.deadline_at.isoformat()},
                actor=actor, before=before)
        _tell_firms(negotiation, rnd, N_("Final offers for %(reference)s: round %(round)s is open until %(deadline)s.")
                    if final else N_("Round %(round)s of %(reference)s is open for improved sealed offers until "
                                     "%(deadline)s."))
    return rnd


def _clean_total(data) -> int:
    errors = Errors()
    total = integer(data if isinstance(data, dict) else {}, "total_fen", errors, minimum=1, maximum=10**15)
    errors.raise_if_any(N_("Your offer was not accepted."))
    return total


def submit_offer(actor, negotiation_id, data: dict, *, now: dt.datetime | None = None) -> NegotiationOffer:
    """An invited firm's sealed offer in the open round (`total_fen`), before its deadline (no
    grace period), within the ceiling and at least the minimal step below the firm's previous
    offer (final round: not above it). One offer per firm and round: submitted offers are final."""
    total = _clean_total(data)
    now = commitments.truncate_ms(now or utcnow())
    with unit_of_work(N_("Your firm has already made its offer in this round; offers are final.")):
        negotiation = locked(negotiation_id)
        org_id = policy.participant_org(actor, negotiation)
        if org_id is None:
            if policy.can_view(actor, negotiation):
                raise PermissionDenied(N_("Only the invited firms make offers."))
            raise NotFound(N_("No such negotiation."))
        rnd = policy.open_round(negotiation)
        if rnd is None or negotiation.status not in (FINAL, "open"):
            raise Conflict(N_("No round of this negotiation is open for offers."))
        if now >= rnd.deadline_at:
            raise Conflict(N_("Offers for round %(round)s are no longer accepted: the deadline was %(deadline)s "
                              "(server time %(now)s; no grace period)."), round=rnd.number,
                           deadline=china_time(rnd.deadline_at), now=commitments.iso_ms(now))
        if any(o.supplier_org_id == org_id for o in rnd.offers):
            raise Conflict(N_("Your firm has already made its offer in this round; offers are final."))
        previous = ranking.previous_total(negotiation, org_id)
        allowed = highest_allowed(previous, ceiling_fen=negotiation.ceiling_fen, step_bp=negotiation.step_bp,
                                  step_min_fen=negotiation.step_min_fen, final=rnd.final)
        if total > allowed:
            _refuse_total(negotiation, rnd, total, previous, allowed)
        parts = sealed.seal_offer(negotiation, rnd, org_id, total, now)
        offer = NegotiationOffer(round_id=rnd.id, negotiation_id=negotiation.id, supplier_org_id=org_id,
                                 status=SEALED, received_at=now, submitted_by_id=actor.id, **parts)
        db.session.add(offer)
        db.session.flush()
        # The audit event names the firm and the commitment, never the amount (sealed until the deadline).
        audit.record("negotiation.offer_sealed", offer, actor=actor,
                     after={"round": rnd.number, "envelope_sha256": offer.envelope_sha256})
    return offer


def _refuse_total(negotiation, rnd, total, previous, allowed) -> None:
    errors = Errors()
    params = {"total": format_fen(total), "allowed": format_fen(allowed)}
    if previous is None:
        errors.add("total_fen", N_("%(total)s is above the ceiling, %(allowed)s."), **params)
    elif rnd.final:
        errors.add("total_fen", N_("A final offer may not be above your previous offer, %(allowed)s."), **params)
    else:
        errors.add("total_fen", N_("The minimal step is %(step)s below your previous offer of %(previous)s: offer at "
                                   "most %(allowed)s (you offered %(total)s)."),
                   step=format_fen(step_fen(previous, negotiation.step_bp, negotiation.step_min_fen)),
                   previous=format_fen(previous), **params)
    errors.raise_if_any(N_("Your offer was not accepted."))
