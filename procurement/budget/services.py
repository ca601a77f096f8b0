"""Budget stage: the purchaser submits, the city's finance office approves or returns.

Approval and return lock the project row first, so two reviewers acting at once are serialised:
the second one finds the budget no longer ``submitted`` and gets a Conflict (exactly one approval).
"""

from __future__ import annotations

from core.errors import Conflict, PermissionDenied, ValidationError
from core.extensions import db
from core.i18n import N_, Term
from core.money import MAX_FEN, format_fen
from core.notifications import notify_organisation
from core.services import unit_of_work
from core.timeutil import utcnow
from core.validation import Errors, choice, integer, object_list, plain_text, text
from procurement.blueprints import page_path
from procurement.budget import policy
from procurement.budget.models import APPROVED, FUNDING_KINDS, RETURNED, SUBMITTED, Budget, FundingSource
from procurement.machine.stages import BUDGET
from procurement.projects.models import Project
from procurement.records.services import append_record, lock_visible_project

MAX_FUNDING_SOURCES = 20
COMMENT_MAX = 2000
COMMENT_MIN = 5


def _clean_source(item: dict, errors: Errors) -> dict:
    return {"kind": choice(item, "kind", errors, FUNDING_KINDS),
            "description": text(item, "description", errors, required=False, max_len=200),
            "amount_fen": integer(item, "amount_fen", errors, minimum=1, maximum=MAX_FEN)}


def clean_budget_data(data: dict) -> dict:
    """Validate ``{total_fen, green_share_bp, funding_sources: [{kind, description, amount_fen}]}``.

    A budget larger than the sum of its funding sources is refused.
    """
    if not isinstance(data, dict):
        raise ValidationError(N_("The budget must be an object."))
    errors = Errors()
    total = integer(data, "total_fen", errors, minimum=1, maximum=MAX_FEN)
    share = integer(data, "green_share_bp", errors, minimum=0, maximum=10000)
    sources = object_list(data.get("funding_sources"), "funding_sources", errors, _clean_source,
                          max_items=MAX_FUNDING_SOURCES, min_items=1,
                          not_a_list=N_("Give at least one funding source."),
                          too_many=N_("At most %(n)s funding sources."),
                          not_an_object=N_("Must be an object with kind, description and amount_fen."))
    if not errors and total is not None:
        funding = sum(s["amount_fen"] for s in sources)
        if total > funding:
            errors.add("total_fen", N_("The budget (%(total)s) exceeds the funding total (%(funding)s)."),
                       total=format_fen(total), funding=format_fen(funding))
    errors.raise_if_any(N_("The budget was not accepted."))
    return {"total_fen": total, "green_share_bp": share, "funding_sources": sources}


def load_budget(project_id: int) -> Budget | None:
    """The project's budget as committed (not a stale copy from the session)."""
    return db.session.execute(db.select(Budget).where(Budget.project_id == project_id)
                              .execution_options(populate_existing=True)).scalar_one_or_none()


def submit_budget(actor, project_id, data: dict) -> Budget:
    """Submit (or resubmit after a return) the project's budget for review."""
    clean = clean_budget_data(data)
    with unit_of_work():
        project = lock_visible_project(actor, project_id)
        if not policy.is_budget_submitter(actor, project):
            raise PermissionDenied("Only the project's purchaser can submit its budget.")
        if project.stage != BUDGET:
            raise Conflict(N_("The budget can only be submitted in the budget stage (the project is in the "
                              "%(stage)s stage)."), stage=Term(project.stage))
        budget = project.budget
        if budget is not None and budget.status in (SUBMITTED, APPROVED):
            raise Conflict(N_("The budget is already %(status)s; it can be changed only after a return."),
                           status=Term(budget.status))
        before = budget.snapshot() if budget is not None else None
        if budget is None:
            budget = Budget(project=project, revision=1)
            db.session.add(budget)
        else:
            budget.revision += 1
            budget.funding_sources.clear()
            db.session.flush()
        budget.total_fen = clean["total_fen"]
        budget.green_share_bp = clean["green_share_bp"]
        budget.status = SUBMITTED
        budget.submitted_by_id = actor.id
        budget.submitted_at = utcnow()
        budget.reviewed_by_id = None
        budget.reviewed_at = None
        for s in clean["funding_sources"]:
            budget.funding_sources.append(FundingSource(**s))
        db.session.flush()
        append_record(project, "budget_submitted", {"budget": budget.snapshot()}, actor=actor,
                      action="budget.submit", before=before, after=budget.snapshot())
    return budget


def _clean_comment(comment, *, required: bool) -> str:
    return plain_text(comment, "comment", minimum=COMMENT_MIN if required else 0, maximum=COMMENT_MAX,
                      refused=N_("The comment was not accepted."), too_short=N_("Say why the budget is returned."))


def _review(actor, project_id, *, approve: bool, comment: str | None) -> Budget:
    comment = _clean_comment(comment, required=not approve)
    with unit_of_work():
        project = lock_visible_project(actor, project_id)  # serialises concurrent reviewers
        if not policy.is_budget_reviewer(actor, project):
            raise PermissionDenied("Only the city's finance office reviews budgets.")
        budget = load_budget(project.id)
        if project.stage != BUDGET:
            raise Conflict(N_("The project is in the %(stage)s stage; its budget is no longer under review."),
                           stage=Term(project.stage))
        if budget is None:
            raise Conflict("No budget has been submitted yet.")
        if budget.status != SUBMITTED:
            raise Conflict(N_("The budget was already %(status)s (by another reviewer or earlier)."),
                           status=Term(budget.status))
        before = budget.snapshot()
        budget.status = APPROVED if approve else RETURNED
        budget.reviewed_by_id = actor.id
        budget.reviewed_at = utcnow()
        budget.review_comment = comment
        db.session.flush()
        kind = "budget_approved" if approve else "budget_returned"
        append_record(project, kind, {"revision": budget.revision, "total_fen": budget.total_fen,
                                      "comment": comment}, actor=actor,
                      action="budget.approve" if approve else "budget.return", before=before, after=budget.snapshot())
        _tell_purchaser(project, budget, approved=approve, reason=comment)
    return budget


def _tell_purchaser(project, budget: Budget, *, approved: bool, reason: str, reopened: bool = False) -> None:
    """Everyone at the project's purchaser hears of the decision, in the app and by e-mail, each
    in their own language (written in the caller's transaction: nothing is sent on a rollback)."""
    params = {"code": project.code, "name": project.name, "total": format_fen(budget.total_fen), "reason": reason}
    if approved:
        kind, template = "budget.approved", N_("The finance office approved the budget of project %(code)s "
                                               "(%(name)s): %(total)s.")
    elif reopened:
        kind, template = "budget.returned", N_("The budget of project %(code)s (%(name)s) needs a new approval: "
                                               "the design was returned to the budget stage. Reason: %(reason)s")
    else:
        kind, template = "budget.returned", N_("The finance office returned the budget of project %(code)s "
                                               "(%(name)s). Comment: %(reason)s")
    notify_organisation(project.purchaser_org_id, kind, template, params,
                        link=page_path("procurement.budget", project_id=project.id))


def approve_budget(actor, project_id, comment: str | None = None) -> Budget:
    """Finance office approves the submitted budget; it becomes the ceiling for design."""
    return _review(actor, project_id, approve=True, comment=comment)


def return_budget(actor, project_id, comment: str) -> Budget:
    """Finance office returns the submitted budget with comments; the purchaser may resubmit."""
    return _review(actor, project_id, approve=False, comment=comment)


def reopen_after_design_return(project, decision, actor) -> None:
    """Effect of returning design to budget: the approved budget is returned with the reason,
    so moving to design again needs a new approval (installed by `procurement.register`)."""
    budget = db.session.execute(db.select(Budget).where(Budget.project_id == project.id)).scalar_one_or_none()
    if budget is not None:
        budget.status = RETURNED
        budget.review_comment = decision.reason
        budget.reviewed_by_id = actor.id
        budget.reviewed_at = utcnow()
        _tell_purchaser(project, budget, approved=False, reason=decision.reason, reopened=True)


def count_awaiting_review(city_id: int) -> int:
    """Budgets of the city's projects submitted and not yet reviewed (one query)."""
    return db.session.execute(
        db.select(db.func.count(Budget.id)).join(Project, Project.id == Budget.project_id)
        .where(Project.city_id == city_id, Project.stage == BUDGET, Budget.status == SUBMITTED)).scalar_one()
