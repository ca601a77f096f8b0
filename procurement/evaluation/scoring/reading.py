"""What the scoring pages and the API show about a lot's evaluation, already filtered by who asks
(`policy`): nobody gets an expert's scores before submitting their own, overseers get them once
the report is issued. Reads only."""

from __future__ import annotations

import datetime as dt

from core.timeutil import utcnow
from procurement.evaluation.scoring import (
    arithmetic,
    criteria,
    policy,
    report,
    services,
)
from procurement.evaluation.scoring.states import COMPREHENSIVE, SCORING
from procurement.opening.reading import lot_outcome, opened_bids, qualified_bids
from procurement.opening.states import QUALIFIED


def plan_view(lot, plans: dict | None = None) -> dict:
    """The method a lot is evaluated by (its own plan, its tender's, or the default). `plans`:
    the tender's plans by lot id (`criteria.plans_of`), to read them once for every lot."""
    if plans is None:
        plan = criteria.plan_for(lot)
    else:
        plan = plans.get(lot.id) or plans.get(None)
    out = criteria.effective(plan)
    out["own"] = plan is not None and plan.lot_id == lot.id
    out["default"] = plan is None
    return out


def tender_view(actor, tender) -> dict:
    """For the tender pages: every lot's method (cancelled lots left out) and, for those who may
    see it, its evaluation's status. A few statements whatever the number of lots, plus the
    panel lookups for signed-in people."""
    from sqlalchemy import select

    from core.extensions import db
    from procurement.evaluation.scoring.models import LotEvaluation

    plans = criteria.plans_of(tender)
    lots = [lot for lot in tender.lots if lot.status != "cancelled"]
    evaluations = {e.lot_id: e for e in db.session.execute(
        select(LotEvaluation).where(LotEvaluation.tender_id == tender.id)).unique().scalars()}
    signed_in = getattr(actor, "is_authenticated", False)
    rows = [{"lot": lot, "plan": plan_view(lot, plans), "evaluation": evaluations.get(lot.id),
             "can_view": signed_in and policy.can_view_evaluation(actor, lot)} for lot in lots]
    return {"lots": rows, "can_edit": policy.can_edit_criteria(actor, tender), "tender_plan": plans.get(None)}


def supplier_names(lot_id: int) -> dict:
    """The firm of each opened bid of the lot, by opened bid id."""
    return {b.id: b.supplier for b in opened_bids(lot_id)}


def lot_view(actor, lot, now: dt.datetime | None = None) -> dict:
    """Everything the lot's evaluation page shows to `actor`."""
    now = now or utcnow()
    evaluation = services.evaluation_of(lot.id)
    outcome = lot_outcome(lot.id)
    panel = policy.panel_of(lot)
    members = services.members_of(lot) if panel is not None else []
    bids = qualified_bids(lot.id)
    suppliers = supplier_names(lot.id)
    view = {"lot": lot, "tender": lot.tender, "outcome": outcome, "panel": panel, "members": members,
            "plan": plan_view(lot), "evaluation": evaluation, "bids": bids, "suppliers": suppliers,
            "manages": policy.can_manage_evaluation(actor, lot), "is_member": policy.is_member(actor, lot),
            "sheets": [], "scored": [], "submitted_ids": set(), "signed_ids": set(), "own_sheet": None,
            "can_score": False, "can_sign": False, "can_see_sheets": False, "now": now,
            "can_start": (evaluation is None and outcome is not None and outcome.status == QUALIFIED
                          and policy.panel_complete(lot) and policy.can_manage_evaluation(actor, lot))}
    if evaluation is None:
        return view
    view["submitted_ids"] = {s.expert_user_id for s in evaluation.sheets}
    view["signed_ids"] = {s.expert_user_id for s in services.signatures(evaluation)} if evaluation.report else set()
    view["own_sheet"] = next((s for s in evaluation.sheets if s.expert_user_id == getattr(actor, "id", None)), None)
    view["can_score"] = policy.can_score(actor, evaluation) and view["own_sheet"] is None
    view["can_sign"] = policy.can_sign(actor, evaluation) and actor.id not in view["signed_ids"]
    view["can_see_sheets"] = policy.can_see_sheets(actor, evaluation)
    if view["can_see_sheets"] and evaluation.status == SCORING:
        ids = [u.id for u in members]
        view["sheets"] = report.counted_sheets(evaluation, ids)
        view["scored"] = report.compute(evaluation, ids)
    view["ready"] = services._ready(evaluation) if evaluation.status == SCORING else False
    view["flags"] = list(evaluation.flags)
    view["criteria"] = list(evaluation.criteria or [])
    return view


def sheet_rows(evaluation, sheet) -> dict:
    """{(opened bid id, criterion id): points text} of a sheet."""
    return {(x.opened_bid_id, x.criterion_id): arithmetic.format_points(x.score_cp) for x in sheet.scores}


def report_rows(document: dict) -> dict:
    """Lookups the printable report uses: bids by opened bid id, each sheet's scores as text."""
    bids = {b["opened_bid_id"]: b for b in document["bids"]}
    sheets = [{"name": s["name"], "submitted_at": s["submitted_at"],
               "scores": {(int(ob), int(c)): arithmetic.format_points(v)
                          for ob, row in s["scores"].items() for c, v in row.items()}} for s in document["sheets"]]
    return {"bids": bids, "sheets": sheets, "comprehensive": document["method"] == COMPREHENSIVE}
