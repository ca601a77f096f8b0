"""Budget stage: the purchaser submits, the city's finance office approves or returns.

Approval and return lock the project row first, so two reviewers acting at once are serialised:
the second one finds the budget no longer ``submitted`` and gets a Conflict (exactly one approval).
"""

from __future__ import annotations

from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.services import unit_of_work
from core.timeutil import utcnow
from procurement import policy, stages
from procurement.models import FUNDING_KINDS, Budget, FundingSource
from procurement.quantities import MAX_AMOUNT_FEN, format_fen
from procurement.services.records import append_record, lock_project
from procurement.services.validation import Errors, choice, integer, text

MAX_FUNDING_SOURCES = 20
COMMENT_MAX = 2000


def clean_budget_data(data: dict) -> dict:
    """Validate ``{total_fen, green_share_bp, funding_sources: [{kind, description, amount_fen}]}``.

    A budget larger than the sum of its funding sources is refused.
    """
    errors = Errors()
    if not isinstance(data, dict):
        raise ValidationError("The budget must be an object.")
    total = integer(data, "total_fen", errors, minimum=1, maximum=MAX_AMOUNT_FEN)
    share = integer(data, "green_share_bp", errors, minimum=0, maximum=10000)
    raw = data.get("funding_sources")
    sources = []
    if not isinstance(raw, list) or not raw:
        errors.add("funding_sources", "Give at least one funding source.")
    elif len(raw) > MAX_FUNDING_SOURCES:
        errors.add("funding_sources", f"At most {MAX_FUNDING_SOURCES} funding sources.")
    else:
        for i, item in enumerate(raw):
            if not isinstance(item, dict):
                errors.add(f"funding_sources.{i}", "Must be an object with kind, description and amount_fen.")
                continue
            sub = Errors()
            kind = choice(item, "kind", sub, FUNDING_KINDS)
            desc = text(item, "description", sub, required=False, max_len=200)
            amount = integer(item, "amount_fen", sub, minimum=1, maximum=MAX_AMOUNT_FEN)
            for k, v in sub.fields.items():
                errors.add(f"funding_sources.{i}.{k}", v)
            if not sub:
                sources.append({"kind": kind, "description": desc, "amount_fen": amount})
    if not errors and total is not None:
        funding = sum(s["amount_fen"] for s in sources)
        if total > funding:
            errors.add("total_fen", f"The budget (CNY {format_fen(total)}) exceeds the funding total "
                                    f"(CNY {format_fen(funding)}).")
    errors.raise_if_any("The budget was not accepted.")
    return {"total_fen": total, "green_share_bp": share, "funding_sources": sources}


def submit_budget(actor, project_id, data: dict) -> Budget:
    """Submit (or resubmit after a return) the project's budget for review."""
    clean = clean_budget_data(data)
    with unit_of_work():
        project = lock_project(project_id)
        if not policy.can_view_project(actor, project):
            raise NotFound("No such project.")
        if not policy.is_own_purchaser(actor, project):
            raise PermissionDenied("Only the project's purchaser can submit its budget.")
        if project.stage != stages.BUDGET:
            raise Conflict(f"The budget can only be submitted in the budget stage (the project is in {project.stage}).")
        budget = project.budget
        if budget is not None and budget.status in ("submitted", "approved"):
            raise Conflict(f"The budget is already {budget.status}; it can be changed only after a return.")
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
        budget.status = "submitted"
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


def _review(actor, project_id, *, approve: bool, comment: str | None) -> Budget:
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise ValidationError("The comment is too long.", {"comment": f"At most {COMMENT_MAX} characters."})
    if not approve and len(comment) < 5:
        raise ValidationError("Say why the budget is returned.", {"comment": "A return needs a comment (5+ characters)."})
    with unit_of_work():
        project = lock_project(project_id)  # serialises concurrent reviewers
        if not policy.can_view_project(actor, project):
            raise NotFound("No such project.")
        if not policy.is_city_official(actor, project, "finance_reviewer"):
            raise PermissionDenied("Only the city's finance office reviews budgets.")
        budget = db.session.execute(
            db.select(Budget).where(Budget.project_id == project.id).execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if project.stage != stages.BUDGET:
            raise Conflict(f"The project is in the {project.stage} stage; its budget is no longer under review.")
        if budget is None:
            raise Conflict("No budget has been submitted yet.")
        if budget.status != "submitted":
            raise Conflict(f"The budget was already {budget.status} (by another reviewer or earlier).")
        before = budget.snapshot()
        budget.status = "approved" if approve else "returned"
        budget.reviewed_by_id = actor.id
        budget.reviewed_at = utcnow()
        budget.review_comment = comment
        db.session.flush()
        kind = "budget_approved" if approve else "budget_returned"
        append_record(project, kind, {"revision": budget.revision, "total_fen": budget.total_fen,
                                      "comment": comment}, actor=actor,
                      action="budget.approve" if approve else "budget.return", before=before, after=budget.snapshot())
    return budget


def approve_budget(actor, project_id, comment: str | None = None) -> Budget:
    """Finance office approves the submitted budget; it becomes the ceiling for design."""
    return _review(actor, project_id, approve=True, comment=comment)


def return_budget(actor, project_id, comment: str) -> Budget:
    """Finance office returns the submitted budget with comments; the purchaser may resubmit."""
    return _review(actor, project_id, approve=False, comment=comment)
