"""The lifecycles of inspection campaigns, inspections, team seats and rectification notices as
explicit transition tables (`core.statemachine`), and the package's code words. Pure.

    campaign:      planned --draw--> active --close--> closed;  planned --cancel--> cancelled
    inspection:    team_pending --draw_team--> scheduled --record--> recorded --publish--> published
                   scheduled --recuse--> team_pending      (a drawn inspector has a conflict: redraw)
    seat:          active --recuse--> recused
    rectification: open --respond--> responded --close--> closed
                   open | responded --escalate--> escalated --close--> closed

A campaign is *planned* when the authority opens it: the target draw's commitment is public. The
target draw makes it *active*, with one inspection per drawn target, each with its team draw
committed. An inspection is *recorded* when its team records the results (the inspection ends
that day); its publication is due 20 working days later (the dated rule). A rectification is
open until a re-inspection closes it; escalated ones stay open (they still block acceptance).
"""

from __future__ import annotations

from core.statemachine import Move, StateMachine

PLANNED, ACTIVE, CLOSED, CANCELLED = "planned", "active", "closed", "cancelled"
CAMPAIGN_STATES = (PLANNED, ACTIVE, CLOSED, CANCELLED)
CAMPAIGN = StateMachine("inspection campaign", CAMPAIGN_STATES, [
    Move("draw", (PLANNED,), ACTIVE),
    Move("close", (ACTIVE,), CLOSED),
    Move("cancel", (PLANNED,), CANCELLED),
], final=(CLOSED, CANCELLED))

TEAM_PENDING, SCHEDULED, RECORDED, PUBLISHED = "team_pending", "scheduled", "recorded", "published"
INSPECTION_STATES = (TEAM_PENDING, SCHEDULED, RECORDED, PUBLISHED)
INSPECTION = StateMachine("inspection", INSPECTION_STATES, [
    Move("draw_team", (TEAM_PENDING,), SCHEDULED),
    Move("recuse", (SCHEDULED, TEAM_PENDING), TEAM_PENDING),
    Move("record", (SCHEDULED,), RECORDED),
    Move("publish", (RECORDED,), PUBLISHED),
], final=(PUBLISHED,))

SEAT_ACTIVE, SEAT_RECUSED = "active", "recused"
SEAT_STATES = (SEAT_ACTIVE, SEAT_RECUSED)
SEAT = StateMachine("inspection seat", SEAT_STATES, [Move("recuse", (SEAT_ACTIVE,), SEAT_RECUSED)],
                    final=(SEAT_RECUSED,))

OPEN, RESPONDED, ESCALATED, RECT_CLOSED = "open", "responded", "escalated", "closed"
RECTIFICATION_STATES = (OPEN, RESPONDED, ESCALATED, RECT_CLOSED)
#: Not closed: these block completion acceptance (`gate.open_rectifications`).
UNRESOLVED = (OPEN, RESPONDED, ESCALATED)
RECTIFICATION = StateMachine("rectification", RECTIFICATION_STATES, [
    Move("respond", (OPEN, ESCALATED), RESPONDED),
    Move("close", (RESPONDED, ESCALATED), RECT_CLOSED),
    Move("escalate", (OPEN, RESPONDED), ESCALATED),
], final=(RECT_CLOSED,))

#: What a campaign may target: projects under construction, supplier firms, listed products.
TARGET_KINDS = ("project", "firm", "product")
#: Key items: any share of their pool (up to all of it); general items: at most the rule's share.
ITEM_CLASSES = ("key", "general")
#: The outcome of an inspected item and of a sample.
ITEM_OUTCOMES = ("pass", "fail", "not_applicable")
SAMPLE_OUTCOMES = ("pass", "fail", "pending")
#: Why an inspector has a recorded tie to an organisation.
TIE_REASONS = ("employer", "former_employer", "relative", "financial_interest", "other")

#: Draw purposes (`core.draws`) and the exclusion reason keys of their pool snapshots.
TARGET_PURPOSE, TEAM_PURPOSE = "inspection_targets", "inspection_team"
TARGET_EXCLUSIONS = ("recently_inspected",)
TEAM_EXCLUSIONS = ("already_drawn", "account_not_active", "own_organisation", "recorded_tie")

#: The scheduler's deadline kinds.
PUBLICATION_DUE = "inspection_publication_due"
RECTIFICATION_DUE = "rectification_deadline"
