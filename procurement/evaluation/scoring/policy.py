"""Who may do what in scoring (one function per rule; services enforce them, pages ask the same
functions through `can(...)`).

- The tender's centre sets the evaluation method and criteria while the tender is a draft;
  everyone who may read the tender reads them (they are part of the tender documents).
- The centre starts a lot's evaluation (lot qualified, panel complete), issues the report when
  every score and price decision is in, and may take an issued report back (with a reason).
- Panel members (experts who accepted a seat on the lot's complete panel: `is_member`, the one
  door to the panels package) score, decide on justifications and sign the report.
- **Nobody sees an expert's scores before that expert has submitted their own**: a member sees
  the other members' sheets only after submitting theirs; the centre, the city's finance office
  and platform staff see the sheets once the report is issued (before that only who submitted).
- The bidding firm (its supplier people) justifies its flagged price before the deadline.
"""

from __future__ import annotations

import datetime as dt

from core import roles as R
from core.policy import has_role, in_organisation, is_platform
from core.timeutil import utcnow
from procurement.evaluation.scoring.states import (
    AWAITING,
    COMPREHENSIVE,
    JUSTIFIED,
    SCORING,
    SIGNING,
)
from procurement.tendering import policy as tender_policy
from procurement.tendering.states import DRAFT

#: Who of an organisation hears of its steps: the flagged firm's supplier people; the centre's
#: procurement officers.
BIDDER_ROLES = (R.SUPPLIER,)
CENTRE_ROLES = (R.PROCUREMENT_OFFICER,)


# ------------------------------------------------------------------ panels (the one door)

def panel_of(lot):
    """The live panel evaluating `lot` (its own or its tender's), or None."""
    from procurement.evaluation.policy import panel_for

    return panel_for(lot)


def panel_complete(lot) -> bool:
    panel = panel_of(lot)
    return panel is not None and panel.status == "complete"


def member_user_ids(panel) -> list[int]:
    """User ids of the experts who accepted a seat on `panel`, by seat."""
    if panel is None:
        return []
    return [m.expert.user_id for m in panel.members if m.status == "accepted"]


def is_member(user, lot) -> bool:
    """`user` holds an accepted seat on the lot's panel, and the panel is complete (a panel
    reopened to replace a member pauses scoring and signing)."""
    from procurement.evaluation.policy import is_panel_member

    return is_panel_member(user, lot) and panel_complete(lot)


# ------------------------------------------------------------------ criteria

def can_edit_criteria(user, tender) -> bool:
    """The tender's centre, while the tender is a draft."""
    return tender_policy.can_manage_tender(user, tender) and tender.status == DRAFT


# ------------------------------------------------------------------ the evaluation

def can_manage_evaluation(user, lot) -> bool:
    """The tender's centre starts the evaluation, issues and takes back the report."""
    return tender_policy.can_manage_tender(user, lot.tender)


def is_overseer(user, lot) -> bool:
    """The centre, the city's finance office, platform staff."""
    return (tender_policy.can_manage_tender(user, lot.tender) or tender_policy.is_tender_reviewer(user, lot.tender)
            or is_platform(user))


def can_view_evaluation(user, lot) -> bool:
    """Overseers and the lot's panel members."""
    from procurement.evaluation.policy import is_panel_member

    return is_overseer(user, lot) or is_panel_member(user, lot)


def can_score(user, evaluation) -> bool:
    """A panel member, while the lot (comprehensive scoring) is being scored."""
    return (evaluation.status == SCORING and evaluation.method == COMPREHENSIVE
            and is_member(user, evaluation.lot))


def has_submitted(user, evaluation) -> bool:
    user_id = getattr(user, "id", None)
    return user_id is not None and any(s.expert_user_id == user_id for s in evaluation.sheets)


def can_see_sheets(user, evaluation) -> bool:
    """Everyone's scores: a member who has submitted their own sheet; overseers once the report
    is issued."""
    from procurement.evaluation.policy import is_panel_member

    if evaluation.status != SCORING and is_overseer(user, evaluation.lot):
        return True
    return is_panel_member(user, evaluation.lot) and has_submitted(user, evaluation)


def can_decide_justification(user, flag) -> bool:
    """A panel member records the panel's decision on a justification received, while scoring."""
    return flag.status == JUSTIFIED and flag.evaluation.status == SCORING and is_member(user, flag.evaluation.lot)


def can_sign(user, evaluation) -> bool:
    """A member named on the issued report who is still on the complete panel."""
    return (evaluation.status == SIGNING and getattr(user, "id", None) in (evaluation.member_user_ids or [])
            and is_member(user, evaluation.lot))


# ------------------------------------------------------------------ the bidder

def is_bidder_of(user, flag) -> bool:
    """A supplier person of the firm whose price is flagged."""
    return has_role(user, R.SUPPLIER) and in_organisation(user, flag.supplier_org_id)


def can_justify(user, flag, now: dt.datetime | None = None) -> bool:
    """The flagged firm, until the deadline (server clock; at the deadline itself: too late)."""
    return (is_bidder_of(user, flag) and flag.status == AWAITING
            and (now or utcnow()) < flag.due_at)


def can_view_flag(user, flag) -> bool:
    return is_bidder_of(user, flag) or can_view_evaluation(user, flag.evaluation.lot)
