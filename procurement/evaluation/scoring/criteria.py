"""The evaluation method and criteria of a tender, set by its centre while the tender is a draft.

A plan belongs to the whole tender (`lot_id` NULL) or to one lot (overriding the tender's).
Lowest evaluated price is the default: a lot with no plan of its own and a tender with no plan
are evaluated at the lowest price. Comprehensive scoring needs the price weight at least the
procedure profile's floor (goods or services), one to `MAX_CRITERIA` criteria, each with a
weight above zero and a maximum score, and the weights (price included) adding up to exactly
100. The same rules are the tendering check ``evaluation`` (`tender_check`), run at submission,
review and publication against the profile in force then: a profile row added later with a
higher floor stops a draft whose plan no longer meets it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core import audit
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.i18n import N_, Term
from core.services import unit_of_work
from core.timeutil import utcnow
from core.validation import Errors, choice, message_of, object_list, text
from procurement.evaluation.scoring import arithmetic, policy
from procurement.evaluation.scoring.models import ScoringCriterion, ScoringPlan
from procurement.evaluation.scoring.states import (
    COMPREHENSIVE,
    GOODS,
    LOWEST_PRICE,
    MAX_CRITERIA,
    MAX_SCORE_CP,
    METHODS,
    SUBJECTS,
)
from procurement.quantities import QuantityError, format_bp, parse_percent_bp
from procurement.tendering import policy as tender_policy
from procurement.tendering.clarifications import lock_tender
from procurement.tendering.states import LOT_ACTIVE

FULL = 10000  # 100 points, in basis points


# ------------------------------------------------------------------ reading

def tender_plan(tender_id: int) -> ScoringPlan | None:
    return db.session.execute(select(ScoringPlan).where(ScoringPlan.tender_id == tender_id,
                                                        ScoringPlan.lot_id.is_(None))).scalar_one_or_none()


def plan_for(lot) -> ScoringPlan | None:
    """The lot's own plan, else its tender's; None: lowest evaluated price."""
    own = db.session.execute(select(ScoringPlan).where(ScoringPlan.lot_id == lot.id)).scalar_one_or_none()
    return own if own is not None else tender_plan(lot.tender_id)


def plans_of(tender) -> dict:
    """{None: the tender's plan, lot id: the lot's own plan} (only those that exist)."""
    rows = db.session.execute(select(ScoringPlan).where(ScoringPlan.tender_id == tender.id)).scalars()
    return {p.lot_id: p for p in rows}


def floor_bp(profile, subject: str) -> int:
    """The profile's least price weight for goods or services."""
    return profile.price_weight_floor_services_bp if subject == "services" else profile.price_weight_floor_goods_bp


def effective(plan: ScoringPlan | None) -> dict:
    """What a lot is evaluated by: method, subject, price weight and criteria (snapshots)."""
    if plan is None:
        return {"method": LOWEST_PRICE, "subject": GOODS, "price_weight_bp": FULL, "criteria": []}
    return {"method": plan.method, "subject": plan.subject, "price_weight_bp": plan.price_weight_bp,
            "criteria": [c.snapshot() for c in plan.criteria]}


# ------------------------------------------------------------------ rules

def problems(method: str, subject: str, price_weight_bp: int, weights: list[int], profile) -> list[tuple]:
    """What is wrong with a plan under `profile`, as (field, template, params)."""
    out = []
    if method == LOWEST_PRICE:
        if weights:
            out.append(("criteria", N_("Lowest evaluated price has no scoring criteria: remove them or choose "
                                       "comprehensive scoring."), {}))
        return out
    floor = floor_bp(profile, subject)
    if price_weight_bp < floor:
        out.append(("price_weight", N_("The price weight must be at least %(floor)s %% for %(subject)s under the "
                                       "procedure rules in force (it is %(weight)s %%)."),
                    {"floor": format_bp(floor), "subject": Term(subject), "weight": format_bp(price_weight_bp)}))
    if not weights:
        out.append(("criteria", N_("Comprehensive scoring needs at least one criterion besides the price."), {}))
    total = price_weight_bp + sum(weights)
    if weights and total != FULL:
        out.append(("criteria", N_("The weights, price included, add up to %(total)s; they must add up to 100."),
                    {"total": format_bp(total)}))
    return out


def _percent(raw, field: str, errors: Errors, *, positive: bool) -> int:
    if raw is None or raw == "" or isinstance(raw, bool):
        errors.add(field, N_("This field is required."))
        return 0
    try:
        bp = parse_percent_bp(raw)
    except QuantityError as exc:
        errors.add(field, message_of(exc))
        return 0
    if positive and bp <= 0:
        errors.add(field, N_("Must be more than 0."))
    return bp


def _clean_criterion(item: dict, errors: Errors) -> dict:
    name = text(item, "name", errors, max_len=200)
    description = text(item, "description", errors, required=False, max_len=2000)
    weight = _percent(item.get("weight"), "weight", errors, positive=True)
    raw = item.get("max_score")
    max_cp = 0
    try:
        max_cp = arithmetic.parse_points(raw)
    except ValueError:
        errors.add("max_score", N_("Give the maximum score as a number of points with at most 2 decimals."))
    else:
        if not 1 <= max_cp <= MAX_SCORE_CP:
            errors.add("max_score", N_("The maximum score must be more than 0 and at most %(n)s points."),
                       n=MAX_SCORE_CP // 100)
    return {"name": name, "description": description, "weight_bp": weight, "max_score_cp": max_cp}


def clean(data: dict, tender, profile) -> dict:
    """Validated plan fields (ValidationError naming every field at fault)."""
    errors = Errors()
    lot = None
    raw_lot = data.get("lot_id")
    if raw_lot not in (None, ""):
        lot = next((x for x in tender.lots if str(x.id) == str(raw_lot).strip()), None)
        if lot is None or lot.status != LOT_ACTIVE:
            errors.add("lot_id", N_("Choose a lot of this tender."))
    method = choice(data, "method", errors, METHODS)
    subject = choice(data, "subject", errors, SUBJECTS, required=False, default=GOODS)
    criteria: list[dict] = []
    weight = FULL
    if method == COMPREHENSIVE:
        weight = _percent(data.get("price_weight"), "price_weight", errors, positive=False)
    raw = data.get("criteria")
    if raw not in (None, []) and method is not None:
        criteria = object_list(raw, "criteria", errors, _clean_criterion, max_items=MAX_CRITERIA,
                               not_a_list=N_("Give the criteria as a list."),
                               too_many=N_("At most %(n)s criteria."),
                               not_an_object=N_("Each criterion is an object with a name, weight and maximum score."))
    if method is not None and not errors:
        for field, template, params in problems(method, subject, weight, [c["weight_bp"] for c in criteria], profile):
            errors.add(field, template, **params)
    errors.raise_if_any(N_("The evaluation method was not accepted."))
    return {"lot": lot, "method": method, "subject": subject, "price_weight_bp": weight, "criteria": criteria}


def _profile(tender, now: dt.datetime):
    from procurement.tendering.checks import find_profile

    profile = find_profile(tender, now)
    if profile is None:
        raise Conflict(N_("No procedure rules are in force for this method and legal track in the city, so the "
                          "price weight cannot be checked."))
    return profile


def _editable(actor, tender_id):
    try:
        tender = lock_tender(int(tender_id))
    except (TypeError, ValueError):
        raise NotFound(N_("No such tender.")) from None
    if not tender_policy.can_view_tender(actor, tender):
        raise NotFound(N_("No such tender."))
    if not tender_policy.can_manage_tender(actor, tender):
        raise PermissionDenied(N_("Only the tender's procurement centre sets its evaluation method."))
    if not policy.can_edit_criteria(actor, tender):
        raise Conflict(N_("The evaluation method and criteria can change only while the tender is a draft (it is "
                          "%(status)s)."), status=Term(tender.status))
    return tender


# ------------------------------------------------------------------ use cases

def set_plan(actor, tender_id, data: dict, *, now: dt.datetime | None = None) -> ScoringPlan:
    """Set the evaluation method of the tender (no `lot_id`) or of one lot: method, subject
    (goods or services: which floor applies), price weight (percent) and criteria
    ([{name, description, weight (percent), max_score (points)}]). Replaces what was there."""
    now = now or utcnow()
    if not isinstance(data, dict):
        raise ValidationError(N_("The evaluation method was not accepted."))
    with unit_of_work(N_("The evaluation method was changed at the same moment; try again.")):
        tender = _editable(actor, tender_id)
        values = clean(data, tender, _profile(tender, now))
        lot = values["lot"]
        plan = plans_of(tender).get(lot.id if lot is not None else None)
        before = plan.snapshot() if plan is not None else None
        if plan is None:
            plan = ScoringPlan(tender_id=tender.id, lot_id=lot.id if lot is not None else None)
            db.session.add(plan)
        plan.method, plan.subject = values["method"], values["subject"]
        plan.price_weight_bp, plan.updated_by_id, plan.updated_at = values["price_weight_bp"], actor.id, now
        plan.criteria.clear()
        db.session.flush()  # the old rows go before the new ones take their positions
        for position, item in enumerate(values["criteria"], start=1):
            plan.criteria.append(ScoringCriterion(position=position, **item))
        db.session.flush()
        audit.record("scoring.plan_set", object_type="tenders", object_id=tender.id, before=before,
                     after=plan.snapshot(), actor=actor)
    return plan


def clear_plan(actor, tender_id, lot_id=None) -> None:
    """Remove the plan of a lot (it follows the tender's again) or of the tender (lowest price)."""
    with unit_of_work():
        tender = _editable(actor, tender_id)
        plan = plans_of(tender).get(int(lot_id) if str(lot_id or "").isdigit() else None)
        if plan is None:
            raise NotFound(N_("There is no evaluation method of its own to remove here."))
        before = plan.snapshot()
        db.session.delete(plan)
        audit.record("scoring.plan_cleared", object_type="tenders", object_id=tender.id, before=before, actor=actor)


# ------------------------------------------------------------------ the tendering check

def tender_check(tender, profile) -> tuple[list[tuple], tuple]:
    """The ``evaluation`` check of `procurement.tendering.checks`: (problems as (template,
    params), the message when it passes)."""
    found = []
    plans = plans_of(tender)
    lots = {lot.id: lot for lot in tender.lots if lot.status == LOT_ACTIVE}
    for lot_id, plan in sorted(plans.items(), key=lambda kv: (kv[0] is not None, kv[0] or 0)):
        if lot_id is not None and lot_id not in lots:
            continue
        weights = [c.weight_bp for c in plan.criteria]
        for _field, template, params in problems(plan.method, plan.subject, plan.price_weight_bp, weights, profile):
            where = N_("The tender") if lot_id is None else N_("Lot %(lot)s")
            found.append((N_("%(where)s: %(problem)s"),
                          {"where": _message(where, lot=str(lots[lot_id].number) if lot_id else None),
                           "problem": _message(template, **params)}))
    comprehensive = sum(1 for lot in lots.values() if effective(plan_for(lot))["method"] == COMPREHENSIVE)
    return found, (N_("Evaluation: %(scored)s of %(lots)s lots by comprehensive scoring, the others at the lowest "
                      "evaluated price."), {"scored": comprehensive, "lots": len(lots)})


def _message(template, **params):
    from core.i18n import Message

    return Message(template, **{k: v for k, v in params.items() if v is not None})
