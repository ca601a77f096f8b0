"""Inspection teams drawn at random from the authority's inspector pool (`pools.team_pool`),
exactly as evaluation panels are: the team draw was committed with the target draw; `draw_team`
freezes the pool and draws; a drawn inspector with a conflict of interest recuses (or is taken
off by the authority) and a replacement draw (a child draw, its own commitment) is committed at
once; `draw_team` again draws it, from a pool without anyone drawn before. A team has the
campaign's size (at least 2, the rule's minimum). The draws are revealed when the result is
published. Ties between inspectors and organisations are recorded here too.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from core import audit, draws
from core.errors import Conflict, NotFound, PermissionDenied
from core.extensions import db
from core.i18n import N_
from core.models import Organisation, User
from core.notifications import notify, notify_organisation
from core.services import unit_of_work
from core.timeutil import utcnow
from core.validation import Errors, choice, plain_text, text
from procurement.inspections import policy, pools
from procurement.inspections.common import NO_INSPECTION, as_id, lock
from procurement.inspections.models import Inspection, InspectorTie, TeamSeat
from procurement.inspections.states import (
    INSPECTION,
    SEAT,
    SEAT_ACTIVE,
    TEAM_PURPOSE,
    TIE_REASONS,
)

REASON_MIN, REASON_MAX = 5, 2000


def get_inspection(actor, inspection_id) -> Inspection:
    """The inspection if `actor` may see it (authority, team, the inspected organisation, platform)."""
    oid = as_id(inspection_id)
    inspection = db.session.get(Inspection, oid) if oid else None
    if inspection is None or not policy.can_view_inspection(actor, inspection):
        raise NotFound(NO_INSPECTION)
    return inspection


def active_seats(inspection: Inspection) -> dict[int, TeamSeat]:
    return {s.seat: s for s in inspection.seats if s.status == SEAT_ACTIVE}


def open_seats(inspection: Inspection) -> list[int]:
    held = active_seats(inspection)
    return [n for n in range(1, inspection.campaign.team_size + 1) if n not in held]


def draws_of(inspection: Inspection) -> list[draws.Draw]:
    """The team's draws, first to last (the first and its chain of replacement draws)."""
    chain, draw = [], db.session.get(draws.Draw, inspection.team_draw_id)
    while draw is not None:
        chain.append(draw)
        kids = draws.children(draw)
        draw = kids[0] if kids else None
    return chain


def draw_team(actor, inspection_id, *, now: dt.datetime | None = None) -> Inspection:
    """Draw the team (or its pending replacements) of an inspection waiting for one. Too few
    eligible inspectors: 409 and nothing changes (the commitment stays)."""
    from procurement.blueprints import page_path

    now = now or utcnow()
    with unit_of_work():
        inspection = lock(Inspection, inspection_id, NO_INSPECTION)
        if not policy.can_view_inspection(actor, inspection):
            raise NotFound(NO_INSPECTION)
        if not policy.can_manage_campaign(actor, inspection.campaign):
            raise PermissionDenied(N_("Only the campaign's inspection authority draws inspection teams."))
        INSPECTION.check(inspection.status, "draw_team")
        draw_id = inspection.pending_draw_id or inspection.team_draw_id
        seats = open_seats(inspection)
        candidates, excluded, inspectors = pools.team_pool(inspection)
        draw = draws.perform(draw_id, candidates, excluded, len(seats), actor=actor)
        recused = {s.seat: s for s in inspection.seats if s.status != SEAT_ACTIVE}
        for seat, cid in zip(seats, draw.result):
            replaced = recused.get(seat)
            db.session.add(TeamSeat(inspection_id=inspection.id, seat=seat, inspector_id=inspectors[cid].id,
                                    draw_id=draw.id, created_at=now,
                                    replaces_id=replaced.id if replaced is not None else None))
        INSPECTION.apply(Inspection, inspection.id, "draw_team", pending_draw_id=None, updated_at=now)
        db.session.flush()
        db.session.refresh(inspection)
        audit.record("inspection.team_drawn", inspection, actor=actor,
                     after={"draw_id": draw.id, "seats": seats, "pool_size": draw.pool_size,
                            "excluded_count": draw.excluded_count})
        link = page_path("inspections.inspection_page", inspection_id=inspection.id)
        notify([inspectors[cid] for cid in draw.result], "inspection.team",
               N_("You were drawn for the inspection of %(name)s (campaign %(reference)s)."),
               {"name": inspection.target_name, "reference": inspection.campaign.reference}, link=link)
        notify_organisation(inspection.org_id, "inspection.scheduled",
                            N_("%(name)s was drawn for inspection campaign %(reference)s; the inspection team "
                               "is drawn."), {"name": inspection.target_name,
                                              "reference": inspection.campaign.reference})
    return inspection


def recuse(actor, inspection_id, reason, *, seat_id=None, now: dt.datetime | None = None) -> Inspection:
    """A drawn inspector declares a conflict of interest (or the authority takes `seat_id` off the
    team) with a reason: the seat is freed and a replacement draw committed."""
    reason = plain_text(reason, "reason", minimum=REASON_MIN, maximum=REASON_MAX,
                        refused=N_("Give the reason for the recusal."))
    now = now or utcnow()
    with unit_of_work():
        inspection = lock(Inspection, inspection_id, NO_INSPECTION)
        if not policy.can_view_inspection(actor, inspection) or not policy.can_recuse(actor, inspection):
            raise PermissionDenied(N_("Only a drawn inspector or the campaign's authority takes someone off the "
                                      "team."))
        held = [s for s in inspection.seats if s.status == SEAT_ACTIVE]
        if seat_id not in (None, ""):
            if not policy.can_manage_campaign(actor, inspection.campaign):
                raise PermissionDenied(N_("Only the campaign's authority takes another inspector off the team."))
            seat = next((s for s in held if s.id == as_id(seat_id)), None)
        else:
            seat = next((s for s in held if s.inspector_id == actor.id), None)
        if seat is None:
            raise Conflict(N_("No such active seat on this team."))
        INSPECTION.apply(Inspection, inspection.id, "recuse", updated_at=now)
        SEAT.apply(TeamSeat, seat.id, "recuse", recusal_reason=reason, recused_at=now)
        if inspection.pending_draw_id is None:
            child = draws.commit(TEAM_PURPOSE, draws.get(inspection.team_draw_id).subject, actor=actor,
                                 parent=draws_of(inspection)[-1])
            db.session.execute(update(Inspection).where(Inspection.id == inspection.id)
                               .values(pending_draw_id=child.id))
        db.session.flush()
        db.session.refresh(inspection)
        audit.record("inspection.recusal", seat, actor=actor,
                     after={"inspection_id": inspection.id, "seat": seat.seat, "reason": reason,
                            "pending_draw_id": inspection.pending_draw_id})
    return inspection


def conflicts_on_team(inspection: Inspection) -> list[tuple[TeamSeat, str]]:
    """Active seats whose inspector has a conflict with the inspected organisation now (a tie
    recorded after the draw): results cannot be recorded until they recuse."""
    ties = pools.ties_to(inspection.org_id)
    out = []
    for seat in inspection.seats:
        if seat.status == SEAT_ACTIVE:
            reason = pools.conflict_of(seat.inspector, inspection.org_id, ties)
            if reason:
                out.append((seat, reason))
    return out


def record_tie(actor, data: dict) -> InspectorTie:
    """Record a tie between an inspector of the actor's authority and an organisation
    (`inspector_id`, `org_id`, `reason`, `note`): that inspector is never drawn for it."""
    errors = Errors()
    inspector = db.session.get(User, as_id(data.get("inspector_id")) or 0)
    if inspector is None or not policy.can_record_tie(actor, inspector):
        errors.add("inspector_id", N_("Choose an inspector of your authority."))
    org = db.session.get(Organisation, as_id(data.get("org_id")) or 0)
    if org is None:
        errors.add("org_id", N_("No such organisation."))
    reason = choice(data, "reason", errors, TIE_REASONS)
    note = text(data, "note", errors, required=False, max_len=300)
    errors.raise_if_any(N_("The tie was not recorded."))
    if not policy.is_inspector(actor):
        raise PermissionDenied(N_("Only an inspection authority records its inspectors' ties."))
    with unit_of_work(N_("That tie is already recorded.")):
        if db.session.execute(select(InspectorTie.id).where(InspectorTie.inspector_id == inspector.id,
                                                            InspectorTie.org_id == org.id)).first():
            raise Conflict(N_("That tie is already recorded."))
        tie = InspectorTie(inspector_id=inspector.id, org_id=org.id, reason=reason, note=note,
                           recorded_by_id=actor.id, recorded_at=utcnow())
        db.session.add(tie)
        db.session.flush()
        audit.record("inspector_tie.add", tie, actor=actor,
                     after={"inspector_id": inspector.id, "org_id": org.id, "reason": reason, "note": note})
    return tie


def ties_of_authority(actor) -> list[InspectorTie]:
    org = policy.authority_of(actor)
    if org is None:
        return []
    return list(db.session.execute(select(InspectorTie).join(User, User.id == InspectorTie.inspector_id)
                                   .where(User.organisation_id == org.id).order_by(InspectorTie.id)).scalars())


def team_of(actor) -> list[TeamSeat]:
    """The actor's own seats, newest first."""
    return list(db.session.execute(select(TeamSeat).where(TeamSeat.inspector_id == actor.id)
                                   .order_by(TeamSeat.id.desc()).limit(200)).scalars())
