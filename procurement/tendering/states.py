"""The tender and lot lifecycles as explicit transition tables (`core.statemachine`), plus the
code words they use (cancellation reason types). Pure: no database."""

from __future__ import annotations

from core.statemachine import Move, StateMachine

DRAFT = "draft"
FINANCE_REVIEW = "finance_review"
APPROVED = "approved"
PUBLISHED = "published"
CLOSED = "closed"            # tendering closed at the bid deadline (opening comes next)
CANCELLED = "cancelled"
FAILED = "failed"
TENDER_STATES = (DRAFT, FINANCE_REVIEW, APPROVED, PUBLISHED, CLOSED, CANCELLED, FAILED)
#: States in which the public sees the tender.
PUBLIC_STATES = (PUBLISHED, CLOSED, CANCELLED, FAILED)

#: draft -> finance review -> approved -> published -> closed; returned to draft by the finance
#: office; cancelled (with a reason type) from any live state; failed once published.
#: Later issues add opening, evaluation and award after `closed`.
TENDER = StateMachine("tender", TENDER_STATES, [
    Move("submit", (DRAFT,), FINANCE_REVIEW),
    Move("return", (FINANCE_REVIEW,), DRAFT),
    Move("approve", (FINANCE_REVIEW,), APPROVED),
    Move("withdraw_approval", (APPROVED,), DRAFT),   # the centre wants to change an approved draft
    Move("publish", (APPROVED,), PUBLISHED),
    Move("close", (PUBLISHED,), CLOSED),
    Move("cancel", (DRAFT, FINANCE_REVIEW, APPROVED, PUBLISHED, CLOSED), CANCELLED),
    Move("fail", (PUBLISHED, CLOSED), FAILED),
], final=(CANCELLED, FAILED))

LOT_ACTIVE, LOT_CANCELLED, LOT_FAILED = "active", "cancelled", "failed"
LOT_STATES = (LOT_ACTIVE, LOT_CANCELLED, LOT_FAILED)
LOT = StateMachine("lot", LOT_STATES, [
    Move("cancel", (LOT_ACTIVE,), LOT_CANCELLED),
    Move("fail", (LOT_ACTIVE,), LOT_FAILED),
], final=(LOT_CANCELLED, LOT_FAILED))

QUESTION_OPEN, QUESTION_ANSWERED = "open", "answered"
QUESTION_STATES = (QUESTION_OPEN, QUESTION_ANSWERED)
QUESTION = StateMachine("question", QUESTION_STATES, [
    Move("answer", (QUESTION_OPEN,), QUESTION_ANSWERED),
], final=(QUESTION_ANSWERED,))

#: Why a tender is cancelled (OCDS: tender status "cancelled" with a rationale).
CANCEL_REASONS = ("no_longer_needed", "budget_withdrawn", "requirements_changed", "irregularity",
                  "insufficient_competition", "other")

#: Scheduler kinds (`core.scheduler`) the tendering capability handles.
DEADLINE_BIDS = "tender.bid_deadline"           # tendering closes
DEADLINE_CUTOFF = "tender.clarification_cutoff"  # questions close; unanswered ones flagged
