"""The panel and panel-member lifecycles as explicit transition tables (`core.statemachine`),
and the code words of the package. Pure: no database.

    panel:  requested --draw--> inviting --complete--> complete
            complete --reopen--> inviting            (an expert withdrew: a replacement is drawn)
            requested | inviting | complete --cancel--> cancelled
    member: invited --accept--> accepted; invited --decline--> declined;
            accepted --withdraw--> declined; invited | accepted --release--> released (panel cancelled)

A panel is *requested* when the centre asks for it: the draw's seed commitment is published
then. *Inviting*: drawn, the experts are asked. *Complete*: every seat has an expert who
accepted; the draws are revealed. The scoring piece (later) starts from a complete panel.
"""

from __future__ import annotations

from core.statemachine import Move, StateMachine

REQUESTED, INVITING, COMPLETE, CANCELLED = "requested", "inviting", "complete", "cancelled"
PANEL_STATES = (REQUESTED, INVITING, COMPLETE, CANCELLED)
LIVE_PANEL_STATES = (REQUESTED, INVITING, COMPLETE)
PANEL = StateMachine("panel", PANEL_STATES, [
    Move("draw", (REQUESTED,), INVITING),
    Move("complete", (INVITING,), COMPLETE),
    Move("reopen", (COMPLETE,), INVITING),
    Move("cancel", (REQUESTED, INVITING, COMPLETE), CANCELLED),
], final=(CANCELLED,))

INVITED, ACCEPTED, DECLINED, RELEASED = "invited", "accepted", "declined", "released"
MEMBER_STATES = (INVITED, ACCEPTED, DECLINED, RELEASED)
#: A seat is held by at most one member in these states (partial unique index).
SEATED_STATES = (INVITED, ACCEPTED)
MEMBER = StateMachine("panel_member", MEMBER_STATES, [
    Move("accept", (INVITED,), ACCEPTED),
    Move("decline", (INVITED,), DECLINED),
    Move("withdraw", (ACCEPTED,), DECLINED),
    Move("release", (INVITED, ACCEPTED), RELEASED),
], final=(DECLINED, RELEASED))

#: Why an expert declines (or withdraws after accepting).
DECLINE_REASONS = ("conflict_of_interest", "unavailable", "other")

#: The draw purpose of evaluation panels (`core.draws`), and the exclusion reason keys its pool
#: snapshots use, in the order they are tested (the first that applies is recorded).
DRAW_PURPOSE = "evaluation_panel"
EXCLUSION_REASONS = ("already_drawn", "inactive", "account_not_active", "speciality_mismatch",
                     "bidder_affiliation", "purchaser_affiliation", "recent_service")
