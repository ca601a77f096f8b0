"""The use cases of a lot's evaluation: start, the experts' score sheets, the report's issue,
signatures and taking the report back. (Justifications: `justifications.py`.)

Each is one transaction that locks the evaluation row (or, to start, the tender row) first, so
the steps of one lot never interleave; status changes go through `states.EVALUATION` (atomic
conditional updates); each writes its audit event and, for the lot-level steps, one record on
the chain of every project with lines in the lot (experts are never named there).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from core import audit, scheduler
from core.errors import Conflict, NotFound, PermissionDenied
from core.extensions import db
from core.i18n import N_
from core.models import User
from core.notifications import notify, notify_organisation
from core.services import unit_of_work
from core.timeutil import CHINA, utcnow
from core.validation import Errors, plain_text
from procurement.blueprints import page_path
from procurement.evaluation.scoring import arithmetic, criteria, policy, report, rules
from procurement.evaluation.scoring.models import (
    LotEvaluation,
    PriceFlag,
    ReportSignature,
    Score,
    ScoreSheet,
)
from procurement.evaluation.scoring.states import (
    AWAITING,
    COMPREHENSIVE,
    DEADLINE_JUSTIFICATION,
    EVALUATION,
    OBJECT_TYPE,
    OPEN_FLAG_STATES,
    REASON_MAX,
    REASON_MIN,
    SCORING,
    SIGNED,
)
from procurement.opening.qualification import lot_projects
from procurement.opening.reading import lot_outcome, qualified_bids
from procurement.opening.states import QUALIFIED
from procurement.tendering.clarifications import lock_tender
from procurement.tendering.models import Lot
from procurement.tendering.records import record_on_projects

# ------------------------------------------------------------------ reading and locking

def find_lot(actor, lot_id) -> Lot:
    """The lot if `actor` may see its evaluation (the centre, the city's finance office, platform
    staff, its panel members); NotFound otherwise."""
    try:
        lot = db.session.get(Lot, int(lot_id))
    except (TypeError, ValueError, OverflowError):
        lot = None
    if lot is None or not policy.can_view_evaluation(actor, lot):
        raise NotFound(N_("No such lot (or its evaluation is not visible to you)."))
    return lot


def evaluation_of(lot_id: int) -> LotEvaluation | None:
    return db.session.execute(select(LotEvaluation).where(LotEvaluation.lot_id == int(lot_id))
                              .execution_options(populate_existing=True)).unique().scalar_one_or_none()


def lock_evaluation(actor, lot_id) -> LotEvaluation:
    """The lot's evaluation row locked for this transaction (SQLite: a no-op UPDATE takes the
    write lock first), after checking that `actor` may see it."""
    lot = find_lot(actor, lot_id)
    if db.engine.dialect.name == "sqlite":
        db.session.execute(update(LotEvaluation).where(LotEvaluation.lot_id == lot.id)
                           .values(updated_at=LotEvaluation.updated_at).execution_options(synchronize_session=False))
    evaluation = db.session.execute(select(LotEvaluation).where(LotEvaluation.lot_id == lot.id)
                                    .with_for_update(of=LotEvaluation)
                                    .execution_options(populate_existing=True)).unique().scalar_one_or_none()
    if evaluation is None:
        raise Conflict(N_("The evaluation of this lot has not started yet."))
    return evaluation


def members_of(lot) -> list[User]:
    ids = policy.member_user_ids(policy.panel_of(lot))
    return [db.session.get(User, i) for i in ids]


def _payload(evaluation, **extra) -> dict:
    lot = evaluation.lot
    return {"tender_id": evaluation.tender_id, "reference": lot.tender.reference, "lot": lot.number,
            "lot_id": lot.id, "method": {"term": evaluation.method}, **extra}


def _step(evaluation, action: str, kind: str | None, *, actor, before=None, **extra) -> None:
    """The audit event and, for lot-level steps, the record on each contributing project."""
    db.session.flush()
    db.session.refresh(evaluation)
    audit.record(f"scoring.{action}", evaluation, before=before, after=evaluation.snapshot(), actor=actor)
    if kind is not None:
        record_on_projects(lot_projects(evaluation.lot), kind, _payload(evaluation, **extra), actor=actor)


def _link(lot) -> str:
    return page_path("scoring.lot_page", lot_id=lot.id)


# ------------------------------------------------------------------ start

def start(actor, lot_id, *, now: dt.datetime | None = None) -> LotEvaluation:
    """The centre starts a qualified lot's evaluation once its panel is complete: the method and
    criteria are copied from the tender's plan, abnormally low prices are flagged by the rule in
    force for the city today and their bidders asked to justify them by the rule's deadline."""
    now = now or utcnow()
    with unit_of_work(N_("The evaluation of this lot has already started.")):
        lot = find_lot(actor, lot_id)
        tender = lock_tender(lot.tender_id)  # one start per lot, and no overlap with opening's steps
        if not policy.can_manage_evaluation(actor, lot):
            raise PermissionDenied(N_("Only the tender's procurement centre starts the evaluation."))
        outcome = lot_outcome(lot.id)
        if outcome is None or outcome.status != QUALIFIED:
            raise Conflict(N_("The lot's qualification has not been confirmed: there is nothing to evaluate yet."))
        if not policy.panel_complete(lot):
            raise Conflict(N_("The lot's evaluation panel is not complete yet."))
        if evaluation_of(lot.id) is not None:
            raise Conflict(N_("The evaluation of this lot has already started."))
        plan = criteria.effective(criteria.plan_for(lot))
        rule = rules.rule_for(tender.city_id, now.astimezone(CHINA).date())
        evaluation = LotEvaluation(lot_id=lot.id, tender_id=tender.id, panel_id=policy.panel_of(lot).id,
                                   status=SCORING, method=plan["method"], subject=plan["subject"],
                                   price_weight_bp=plan["price_weight_bp"], criteria=plan["criteria"],
                                   rule_id=rule.id if rule else None, started_by_id=actor.id, started_at=now,
                                   updated_at=now)
        db.session.add(evaluation)
        db.session.flush()
        flagged = rules.flag_reasons(qualified_bids(lot.id), lot.ceiling_fen, rule)
        if flagged:
            evaluation.justification_due_at = rules.justification_due(rule, now)
            for bid in qualified_bids(lot.id):
                if bid.opened_bid_id in flagged:
                    db.session.add(PriceFlag(evaluation_id=evaluation.id, opened_bid_id=bid.opened_bid_id,
                                             supplier_org_id=bid.supplier_org_id, status=AWAITING,
                                             reasons=flagged[bid.opened_bid_id],
                                             due_at=evaluation.justification_due_at))
            scheduler.schedule(DEADLINE_JUSTIFICATION, OBJECT_TYPE, evaluation.id, evaluation.justification_due_at)
        _step(evaluation, "started", "tender_lot_evaluation_started", actor=actor, flagged=len(flagged),
              bids=len(qualified_bids(lot.id)))
        for flag in evaluation.flags:
            notify_organisation(flag.supplier_org_id, "scoring.justification_requested",
                                N_("Your price for lot %(lot)s of %(reference)s is abnormally low under the procedure "
                                   "rules. Justify it by %(due)s, or the bid is excluded from the ranking."),
                                {"lot": lot.number, "reference": tender.reference,
                                 "due": _china(flag.due_at)}, roles=policy.BIDDER_ROLES,
                                link=page_path("scoring.justification_page", flag_id=flag.id))
        notify(members_of(lot), "scoring.started",
               N_("The evaluation of lot %(lot)s of %(reference)s has started."),
               {"lot": lot.number, "reference": tender.reference}, link=_link(lot))
    return evaluation


def _china(at: dt.datetime) -> str:
    from core.timeutil import china_time

    return china_time(at)


# ------------------------------------------------------------------ score sheets

def _clean_scores(data, evaluation) -> dict[tuple[int, int], int]:
    """{(opened bid id, criterion id): hundredths} covering every qualified bid on every
    criterion once, each within 0 .. the criterion's maximum; ValidationError otherwise."""
    bids = {q.opened_bid_id for q in qualified_bids(evaluation.lot_id)}
    maxima = {c["id"]: c["max_score_cp"] for c in evaluation.criteria or []}
    raw = data.get("scores") if isinstance(data, dict) else None
    errors = Errors()
    if not isinstance(raw, list) or len(raw) > len(bids) * len(maxima) + 50:
        errors.add("scores", N_("Give the scores as a list of {opened_bid_id, criterion_id, score}."))
        errors.raise_if_any(N_("Your scores were not accepted: nothing was saved."))
    cells: dict[tuple[int, int], int] = {}
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            errors.add(f"scores.{i}", N_("Each score is an object {opened_bid_id, criterion_id, score}."))
            continue
        key = (item.get("opened_bid_id"), item.get("criterion_id"))
        if not all(type(k) is int for k in key) or key[0] not in bids or key[1] not in maxima:
            errors.add(f"scores.{i}", N_("No such bid or criterion in this lot's evaluation."))
            continue
        if key in cells:
            errors.add(f"scores.{i}", N_("This bid and criterion are scored twice."))
            continue
        try:
            value = arithmetic.parse_points(item.get("score"))
        except ValueError:
            errors.add(f"scores.{i}.score", N_("Give a number of points with at most 2 decimals."))
            continue
        if value > maxima[key[1]]:
            errors.add(f"scores.{i}.score", N_("Between 0 and %(max)s points."),
                       max=arithmetic.format_points(maxima[key[1]]))
            continue
        cells[key] = value
    missing = len(bids) * len(maxima) - len(cells)
    if not errors and missing:
        errors.add("scores", N_("Score every bid on every criterion: %(n)s scores are missing."), n=missing)
    errors.raise_if_any(N_("Your scores were not accepted: nothing was saved."))
    return cells


def submit_scores(actor, lot_id, data: dict, *, now: dt.datetime | None = None) -> ScoreSheet:
    """A panel member submits their scores for every bid on every criterion at once. Submitted
    scores are final; only then does the member see the other members' scores."""
    now = now or utcnow()
    with unit_of_work(N_("Your scores for this lot were already submitted; submitted scores are final.")):
        evaluation = lock_evaluation(actor, lot_id)
        if not policy.is_member(actor, evaluation.lot):
            raise PermissionDenied(N_("Only the members of the lot's complete evaluation panel score it."))
        if evaluation.method != COMPREHENSIVE:
            raise Conflict(N_("This lot is evaluated at the lowest price: there are no criteria to score."))
        EVALUATION.check(evaluation.status, "issue")  # still scoring
        if policy.has_submitted(actor, evaluation):
            raise Conflict(N_("Your scores for this lot were already submitted; submitted scores are final."))
        cells = _clean_scores(data, evaluation)
        sheet = ScoreSheet(evaluation_id=evaluation.id, expert_user_id=actor.id, submitted_at=now)
        sheet.scores = [Score(opened_bid_id=b, criterion_id=c, score_cp=v) for (b, c), v in sorted(cells.items())]
        db.session.add(sheet)
        db.session.flush()
        audit.record("scoring.sheet_submitted", sheet, actor=actor,
                     after={"lot_id": evaluation.lot_id, "scores": [[b, c, v] for (b, c), v in sorted(cells.items())]})
        db.session.refresh(evaluation)
        if _ready(evaluation):
            _tell_centre(evaluation, N_("Every score of lot %(lot)s of %(reference)s is in: issue the evaluation "
                                        "report."))
    return sheet


def _ready(evaluation) -> bool:
    members = set(policy.member_user_ids(policy.panel_of(evaluation.lot)))
    submitted = {s.expert_user_id for s in evaluation.sheets}
    scores_in = evaluation.method != COMPREHENSIVE or members <= submitted
    return scores_in and not any(f.status in OPEN_FLAG_STATES for f in evaluation.flags)


def _tell_centre(evaluation, template: str) -> None:
    lot = evaluation.lot
    notify_organisation(lot.tender.centre_org_id, "scoring.centre", template,
                        {"lot": lot.number, "reference": lot.tender.reference}, roles=policy.CENTRE_ROLES,
                        link=_link(lot))


# ------------------------------------------------------------------ the report

def lapse_overdue(evaluation, now: dt.datetime) -> int:
    """Flags still waiting for a justification at their deadline lapse (the bid is excluded).
    The chronograph's handler and every step that reads the flags call it (checked on read)."""
    from procurement.evaluation.scoring import justifications

    return justifications.lapse(evaluation, now)


def issue_report(actor, lot_id, *, now: dt.datetime | None = None) -> LotEvaluation:
    """The centre issues the report once every member's scores are in and every abnormally low
    price is decided: it is frozen (with its SHA-256) and the members are asked to sign it."""
    now = now or utcnow()
    with unit_of_work():
        evaluation = lock_evaluation(actor, lot_id)
        if not policy.can_manage_evaluation(actor, evaluation.lot):
            raise PermissionDenied(N_("Only the tender's procurement centre issues the evaluation report."))
        EVALUATION.check(evaluation.status, "issue")
        if not policy.panel_complete(evaluation.lot):
            raise Conflict(N_("The lot's evaluation panel is not complete: a seat is being filled again."))
        lapse_overdue(evaluation, now)
        members = members_of(evaluation.lot)
        submitted = {s.expert_user_id for s in evaluation.sheets}
        missing = [u for u in members if u.id not in submitted]
        if evaluation.method == COMPREHENSIVE and missing:
            raise Conflict(N_("%(n)s panel members have not submitted their scores yet."), n=len(missing))
        waiting = [f for f in evaluation.flags if f.status in OPEN_FLAG_STATES]
        if waiting:
            raise Conflict(N_("%(n)s abnormally low prices still wait for a justification or the panel's decision."),
                           n=len(waiting))
        before = evaluation.snapshot()
        version = evaluation.report_version + 1
        document = report.build(evaluation, members, issued_at=now, version=version)
        EVALUATION.apply(LotEvaluation, evaluation.id, "issue", report=document, report_sha256=report.digest(document),
                         report_version=version, report_issued_at=now, report_issued_by_id=actor.id,
                         member_user_ids=[u.id for u in members], reopen_reason="", updated_at=now)
        ranked = [b for b in document["bids"] if not b["excluded"]]
        _step(evaluation, "report_issued", "tender_lot_report_issued", actor=actor, before=before, version=version,
              sha256=report.digest(document), ranked=len(ranked), excluded=len(document["bids"]) - len(ranked))
        notify(members, "scoring.sign", N_("The evaluation report of lot %(lot)s of %(reference)s is ready: read and "
                                           "sign it."),
               {"lot": evaluation.lot.number, "reference": evaluation.lot.tender.reference}, link=_link(evaluation.lot))
    return evaluation


def sign(actor, lot_id, *, now: dt.datetime | None = None) -> LotEvaluation:
    """A member named on the issued report signs it. The last signature signs the report off:
    its first-ranked bid becomes the lot's recommendation (`results.recommendation`)."""
    now = now or utcnow()
    with unit_of_work(N_("You have already signed this report.")):
        evaluation = lock_evaluation(actor, lot_id)
        if evaluation.status == SIGNED:
            raise Conflict(N_("The report is already signed off."))
        EVALUATION.check(evaluation.status, "sign")
        if not policy.can_sign(actor, evaluation):
            raise PermissionDenied(N_("Only the panel members named on the report sign it."))
        named = set(evaluation.member_user_ids or [])
        if set(policy.member_user_ids(policy.panel_of(evaluation.lot))) != named:
            raise Conflict(N_("The panel changed since the report was issued: the centre takes the report back and "
                              "issues it again."))
        version = evaluation.report_version
        if db.session.execute(select(ReportSignature.id).where(
                ReportSignature.evaluation_id == evaluation.id, ReportSignature.version == version,
                ReportSignature.expert_user_id == actor.id)).first():
            raise Conflict(N_("You have already signed this report."))
        db.session.add(ReportSignature(evaluation_id=evaluation.id, version=version, expert_user_id=actor.id,
                                       report_sha256=evaluation.report_sha256, signed_at=now))
        EVALUATION.apply(LotEvaluation, evaluation.id, "sign", updated_at=now)
        db.session.flush()
        audit.record("scoring.report_signature", evaluation, actor=actor,
                     after={"version": version, "sha256": evaluation.report_sha256})
        signers = set(db.session.execute(select(ReportSignature.expert_user_id).where(
            ReportSignature.evaluation_id == evaluation.id, ReportSignature.version == version)).scalars())
        if named <= signers:
            before = evaluation.snapshot()
            EVALUATION.apply(LotEvaluation, evaluation.id, "complete", signed_at=now, updated_at=now)
            first = next((b for b in evaluation.report["bids"] if b["rank"] == 1), None)
            _step(evaluation, "report_signed", "tender_lot_report_signed", actor=actor, before=before,
                  version=version, sha256=evaluation.report_sha256,
                  recommended=None if first is None else {
                      "bid_id": first["bid_id"], "supplier_org_id": first["supplier_org_id"],
                      "total_fen": first["total_fen"], "score": first["score"]})
            _tell_centre(evaluation, N_("Every panel member signed the evaluation report of lot %(lot)s of "
                                        "%(reference)s: its recommendation is available."))
    return evaluation


def signatures(evaluation) -> list[ReportSignature]:
    """The signatures of the report's current version."""
    return list(db.session.execute(select(ReportSignature).where(
        ReportSignature.evaluation_id == evaluation.id, ReportSignature.version == evaluation.report_version)
        .order_by(ReportSignature.signed_at, ReportSignature.id)).unique().scalars())


def reopen(actor, lot_id, reason, *, now: dt.datetime | None = None) -> LotEvaluation:
    """The centre takes an issued, not yet signed-off report back (a member left the panel, an
    error was found), with a reason; the signatures given lapse with that version."""
    reason = plain_text(reason, "reason", minimum=REASON_MIN, maximum=REASON_MAX)
    now = now or utcnow()
    with unit_of_work():
        evaluation = lock_evaluation(actor, lot_id)
        if not policy.can_manage_evaluation(actor, evaluation.lot):
            raise PermissionDenied(N_("Only the tender's procurement centre takes a report back."))
        before = evaluation.snapshot()
        EVALUATION.apply(LotEvaluation, evaluation.id, "reopen", reopen_reason=reason, updated_at=now)
        _step(evaluation, "report_withdrawn", "tender_lot_report_withdrawn", actor=actor, before=before,
              version=evaluation.report_version, reason=reason)
        notify(members_of(evaluation.lot), "scoring.reopened",
               N_("The evaluation report of lot %(lot)s of %(reference)s was taken back: %(reason)s"),
               {"lot": evaluation.lot.number, "reference": evaluation.lot.tender.reference, "reason": reason},
               link=_link(evaluation.lot))
    return evaluation


def count_signatures(evaluation) -> int:
    return db.session.execute(select(func.count(ReportSignature.id)).where(
        ReportSignature.evaluation_id == evaluation.id, ReportSignature.version == evaluation.report_version)).scalar()


