"""Evaluation panels drawn at random from the city's expert pool (`core.draws`).

    request  (centre, after the bid deadline): panel `requested`, a draw committed: its seed's
             SHA-256 is public at /draws/<id> before anything is drawn
    draw     (centre): the pool is built (`conflicts.build_pool`: conflicts excluded, each with its
             reason), the draw made, one invitation per seat: panel `inviting`
    accept / decline (the expert): a decline (with a reason) frees the seat and commits a
             replacement draw (a child draw with its own commitment) if none is pending;
             `draw` again draws it, from a pool that excludes everyone already drawn
    complete (automatic, when every seat has accepted): the panel's draws are revealed
    cancel   (centre): seats released; drawn draws revealed, committed ones cancelled

Each use case is one transaction: the panel row is locked, the status moves through the
transition tables of `states` (atomic conditional updates), the audit event is written, and one
record goes on the chain of each project whose lines are in the lot(s) (experts are never named
there). Sizes come from the tender's procedure profile (`rules.panel_size`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from core import audit, draws
from core.errors import Conflict, NotFound, PermissionDenied
from core.extensions import db
from core.i18n import N_, Term
from core.notifications import notify
from core.services import unit_of_work
from core.timeutil import utcnow
from core.validation import Errors, choice, text
from procurement.evaluation import conflicts, policy, rules
from procurement.evaluation.models import Expert, Panel, PanelMember
from procurement.evaluation.states import (
    ACCEPTED,
    COMPLETE,
    DECLINE_REASONS,
    DRAW_PURPOSE,
    INVITED,
    INVITING,
    LIVE_PANEL_STATES,
    MEMBER,
    PANEL,
    REQUESTED,
    SEATED_STATES,
)
from procurement.tendering.clarifications import lock_tender
from procurement.tendering.drafts import parse_deadline
from procurement.tendering.models import Lot, Tender
from procurement.tendering.records import record_on_projects
from procurement.tendering.states import LOT_ACTIVE

REASON_MIN, REASON_MAX = 5, 2000


# ------------------------------------------------------------------ reading

def lock_panel(panel_id) -> Panel:
    """The panel row locked for this transaction (on SQLite a no-op UPDATE takes the write lock)."""
    try:
        pid = int(panel_id)
    except (TypeError, ValueError):
        raise NotFound(N_("No such panel.")) from None
    if db.engine.dialect.name == "sqlite":
        db.session.execute(update(Panel).where(Panel.id == pid).values(updated_at=Panel.updated_at)
                           .execution_options(synchronize_session=False))
    panel = db.session.execute(select(Panel).where(Panel.id == pid).with_for_update(of=Panel)
                               .execution_options(populate_existing=True)).unique().scalar_one_or_none()
    if panel is None:
        raise NotFound(N_("No such panel."))
    return panel


def get_panel(actor, panel_id) -> Panel:
    """The panel if `actor` may see it (its centre, the city's finance office, platform staff)."""
    panel = db.session.get(Panel, int(panel_id)) if str(panel_id).isdigit() and len(str(panel_id)) <= 9 else None
    if panel is None or not policy.can_view_panel(actor, panel):
        raise NotFound(N_("No such panel."))
    return panel


def panels_of_tender(actor, tender_id) -> tuple[Tender, list[Panel]]:
    tender = db.session.get(Tender, int(tender_id))
    if tender is None or not policy.can_see_panels_of(actor, tender):
        raise NotFound(N_("No such tender."))
    rows = db.session.execute(select(Panel).where(Panel.tender_id == tender.id).order_by(Panel.id)).scalars()
    return tender, list(rows)


def invitations_of(actor) -> list[PanelMember]:
    """The expert's own invitations and seats, newest first."""
    if not policy.is_expert(actor):
        return []
    return list(db.session.execute(select(PanelMember).join(Expert, Expert.id == PanelMember.expert_id)
                                   .where(Expert.user_id == actor.id).order_by(PanelMember.id.desc())).scalars())


def seated(panel: Panel) -> dict[int, PanelMember]:
    """The member holding each seat (invited or accepted), by seat number."""
    return {m.seat: m for m in panel.members if m.status in SEATED_STATES}


def open_seats(panel: Panel) -> list[int]:
    held = seated(panel)
    return [seat for seat in range(1, panel.size + 1) if seat not in held]


def draws_of(panel: Panel) -> list[draws.Draw]:
    """The panel's draws, first to last (the first and its chain of replacement draws)."""
    chain, draw = [], db.session.get(draws.Draw, panel.draw_id)
    while draw is not None:
        chain.append(draw)
        kids = draws.children(draw)
        draw = kids[0] if kids else None
    return chain


# ------------------------------------------------------------------ steps

def _record(panel: Panel, kind: str, payload: dict, *, actor, before: dict | None = None) -> None:
    body = {"panel_id": panel.id, "tender_id": panel.tender_id, "reference": panel.tender.reference,
            "lot_number": panel.lot.number if panel.lot is not None else None, **payload}
    db.session.flush()
    audit.record(f"panel.{kind.removeprefix('evaluation_panel_')}", panel, before=before, after=panel.snapshot(),
                 actor=actor)
    record_on_projects(panel.project_ids or [], kind, body, actor=actor)


def _clean_request(tender: Tender, data: dict) -> tuple[Lot | None, dt.datetime | None, str]:
    errors = Errors()
    lot = None
    raw_lot = data.get("lot_id")
    if raw_lot not in (None, ""):
        lot = next((x for x in tender.lots if str(x.id) == str(raw_lot).strip()), None)
        if lot is None:
            errors.add("lot_id", N_("Choose a lot of this tender."))
        elif lot.status != LOT_ACTIVE:
            errors.add("lot_id", N_("This lot is %(status)s."), status=Term(lot.status))
    when = None
    if data.get("evaluation_at") not in (None, ""):
        try:
            when = parse_deadline(data.get("evaluation_at"))
        except (TypeError, ValueError):
            errors.add("evaluation_at", N_("Give a date and time such as 2027-01-20T09:00 (China time) or with "
                                           "a zone such as 2027-01-20T09:00+08:00."))
    venue = text(data, "venue", errors, required=False, max_len=300)
    errors.raise_if_any(N_("The panel request was not accepted."))
    return lot, when, venue


def request_panel(actor, tender_id, data: dict, *, now: dt.datetime | None = None) -> Panel:
    """The centre asks for a panel for a lot (`lot_id`) or the whole tender (no `lot_id`), after
    the bid deadline. The draw's commitment is published at once. One live panel per lot (two
    officers at once: one panel, the other gets a 409)."""
    now = now or utcnow()
    with unit_of_work(N_("A panel is already requested for this lot or tender.")):
        tender = lock_tender(tender_id)
        if not policy.can_see_panels_of(actor, tender):
            raise NotFound(N_("No such tender."))
        if not policy.can_request_panel(actor, tender, now):
            if not policy.can_manage_panels_of(actor, tender):
                raise PermissionDenied(N_("Only the tender's procurement centre asks for evaluation panels."))
            raise Conflict(N_("Panels are drawn after the bid deadline, when the bidders are known."))
        lot, when, venue = _clean_request(tender, data)
        scopes = [f"tender:{tender.id}"] + [f"lot:{x.id}" for x in tender.lots] if lot is None \
            else [f"lot:{lot.id}", f"tender:{tender.id}"]
        if db.session.execute(select(Panel.id).where(Panel.scope.in_(scopes),
                                                     Panel.status.in_(LIVE_PANEL_STATES))).first():
            raise Conflict(N_("A panel is already requested for this lot or tender."))
        profile = rules.profile_of(tender)
        budget = lot.ceiling_fen if lot is not None else sum(x.ceiling_fen for x in tender.lots
                                                             if x.status == LOT_ACTIVE)
        scope = f"lot:{lot.id}" if lot is not None else f"tender:{tender.id}"
        project_ids = conflicts.projects_of(tender, lot)
        draw = draws.commit(DRAW_PURPOSE, scope, actor=actor)
        panel = Panel(tender_id=tender.id, lot_id=lot.id if lot else None, scope=scope, city_id=tender.city_id,
                      status=REQUESTED, size=rules.panel_size(profile, budget), budget_fen=budget,
                      profile_id=profile.id, recent_service_days=rules.rule_for(tender.city_id).recent_service_days,
                      draw_id=draw.id, evaluation_at=when, venue=venue, project_ids=project_ids,
                      purchaser_org_ids=conflicts.purchasers_of(project_ids), requested_by_id=actor.id,
                      requested_at=now)
        db.session.add(panel)
        db.session.flush()
        _record(panel, "evaluation_panel_requested", {"draw_id": draw.id, "commitment": draw.commitment,
                                                      "size": panel.size}, actor=actor)
    return panel


def draw_panel(actor, panel_id, *, now: dt.datetime | None = None) -> Panel:
    """Draw the panel (requested) or its pending replacement draw (inviting), and invite the
    drawn experts. Too few eligible experts: 409 and nothing changes (the commitment stays)."""
    now = now or utcnow()
    with unit_of_work():
        panel = lock_panel(panel_id)
        if not policy.can_view_panel(actor, panel):
            raise NotFound(N_("No such panel."))
        if not policy.can_manage_panel(actor, panel):
            raise PermissionDenied(N_("Only the tender's procurement centre draws its panels."))
        before = panel.snapshot()
        if panel.status == REQUESTED:
            draw_id, seats, kind = panel.draw_id, list(range(1, panel.size + 1)), "evaluation_panel_drawn"
        elif panel.pending_draw_id is not None and panel.status in LIVE_PANEL_STATES:
            draw_id, seats, kind = panel.pending_draw_id, open_seats(panel), "evaluation_panel_replacement_drawn"
        else:
            raise Conflict(N_("Nothing to draw: every seat is taken or the panel is %(status)s."),
                           status=Term(panel.status))
        candidates, excluded, experts = conflicts.build_pool(panel, now)
        draw = draws.perform(draw_id, candidates, excluded, len(seats), actor=actor)
        declined = {m.seat: m for m in panel.members if m.status not in SEATED_STATES}
        for seat, candidate_id in zip(seats, draw.result):
            replaced = declined.get(seat)
            db.session.add(PanelMember(panel_id=panel.id, seat=seat, expert_id=experts[candidate_id].id,
                                       draw_id=draw.id, status=INVITED, invited_at=now,
                                       replaces_id=replaced.id if replaced is not None else None))
        if panel.status == REQUESTED:
            PANEL.apply(Panel, panel.id, "draw", drawn_at=now, updated_at=now)
        else:
            db.session.execute(update(Panel).where(Panel.id == panel.id).values(pending_draw_id=None, updated_at=now))
        db.session.flush()
        db.session.refresh(panel)
        _record(panel, kind, {"draw_id": draw.id, "pool_size": draw.pool_size,
                              "excluded_count": draw.excluded_count, "seats": seats}, actor=actor, before=before)
        _invite([experts[cid] for cid in draw.result], panel)
    return panel


def _invite(experts, panel: Panel) -> None:
    from procurement.blueprints import page_path

    lot = panel.lot.number if panel.lot is not None else "—"
    notify([e.user for e in experts], "evaluation.invitation",
           N_("You were drawn for the evaluation panel of %(reference)s (lot %(lot)s). Please accept or "
              "decline on your invitations page."), {"reference": panel.tender.reference, "lot": lot},
           link=page_path("evaluation.invitations"))


def _own_seat(actor, panel: Panel) -> PanelMember:
    member = next((m for m in panel.members if m.status in SEATED_STATES and policy.is_invited(actor, m)), None)
    if member is None:
        raise PermissionDenied(N_("You have no invitation to this panel: you were not drawn for it, or your "
                                  "seat was already given up."))
    return member


def accept(actor, panel_id, *, now: dt.datetime | None = None) -> PanelMember:
    """The drawn expert accepts their seat; the panel is complete (and its draws revealed) when
    every seat has accepted."""
    now = now or utcnow()
    with unit_of_work():
        panel = lock_panel(panel_id)
        member = _own_seat(actor, panel)
        if panel.status != INVITING:
            raise Conflict(N_("This panel is %(status)s."), status=Term(panel.status))
        MEMBER.apply(PanelMember, member.id, "accept", responded_at=now)
        db.session.execute(update(Expert).where(Expert.id == member.expert_id).values(last_served_at=now))
        audit.record("panel.member_accept", member, actor=actor, after={"panel_id": panel.id, "seat": member.seat})
        db.session.refresh(panel)
        held = seated(panel)
        if len(held) == panel.size and all(m.status == ACCEPTED for m in held.values()) \
                and panel.pending_draw_id is None:
            before = panel.snapshot()
            PANEL.apply(Panel, panel.id, "complete", completed_at=now, updated_at=now)
            db.session.refresh(panel)
            _reveal_all(panel, actor)
            _record(panel, "evaluation_panel_completed", {"size": panel.size}, actor=actor, before=before)
    return member


def decline(actor, panel_id, reason_type, reason, *, now: dt.datetime | None = None) -> PanelMember:
    """The drawn expert declines (or gives up an accepted seat) with a reason type and reason.
    The seat is drawn again: a replacement draw is committed now (its commitment public) unless
    one is already pending."""
    errors = Errors()
    reason_type = choice({"reason_type": reason_type}, "reason_type", errors, DECLINE_REASONS)
    reason = text({"reason": reason}, "reason", errors, required=True, max_len=REASON_MAX)
    if not errors and len(reason) < REASON_MIN:
        errors.add("reason", N_("At least %(n)s characters."), n=REASON_MIN)
    errors.raise_if_any(N_("Give a reason type and a reason."))
    now = now or utcnow()
    with unit_of_work():
        panel = lock_panel(panel_id)
        member = _own_seat(actor, panel)
        if panel.status not in LIVE_PANEL_STATES:
            raise Conflict(N_("This panel is %(status)s."), status=Term(panel.status))
        before = panel.snapshot()
        MEMBER.apply(PanelMember, member.id, "decline" if member.status == INVITED else "withdraw",
                     responded_at=now, decline_reason_type=reason_type, decline_reason=reason)
        audit.record("panel.member_decline", member, actor=actor,
                     after={"panel_id": panel.id, "seat": member.seat, "reason_type": reason_type})
        if panel.status == COMPLETE:
            PANEL.apply(Panel, panel.id, "reopen", completed_at=None, updated_at=now)
        if panel.pending_draw_id is None:
            last = draws_of(panel)[-1]
            child = draws.commit(DRAW_PURPOSE, panel.scope, actor=actor, parent=last)
            db.session.execute(update(Panel).where(Panel.id == panel.id).values(pending_draw_id=child.id,
                                                                               updated_at=now))
        db.session.refresh(panel)
        pending = db.session.get(draws.Draw, panel.pending_draw_id)
        _record(panel, "evaluation_panel_seat_declined", {"seat": member.seat, "reason_type": reason_type,
                                                          "draw_id": pending.id, "commitment": pending.commitment},
                actor=actor, before=before)
        _tell_centre(panel, member)
    return member


def _tell_centre(panel: Panel, member: PanelMember) -> None:
    from core.notifications import notify_organisation
    from procurement.blueprints import page_path

    notify_organisation(panel.tender.centre_org_id, "evaluation.declined",
                        N_("A drawn expert declined seat %(seat)s of the evaluation panel of %(reference)s: draw "
                           "a replacement."), {"seat": member.seat, "reference": panel.tender.reference},
                        link=page_path("evaluation.panel_page", panel_id=panel.id))


def _reveal_all(panel: Panel, actor) -> None:
    """Publish the seeds of the panel's draws: drawn ones are revealed, committed ones cancelled."""
    for draw in draws_of(panel):
        if draw.status == draws.DRAWN:
            draws.reveal(draw.id, actor=actor)
        elif draw.status == draws.COMMITTED:
            draws.cancel(draw.id, actor=actor)


def _cancel(panel: Panel, reason: str, actor, now: dt.datetime) -> None:
    """Cancel a live panel in the caller's transaction: seats released, seeds published, the
    record written and the released experts told."""
    before = panel.snapshot()
    PANEL.apply(Panel, panel.id, "cancel", cancelled_at=now, cancel_reason=reason, pending_draw_id=None,
                updated_at=now)
    for member in panel.members:
        if member.status in SEATED_STATES:
            MEMBER.apply(PanelMember, member.id, "release")
    db.session.refresh(panel)
    _reveal_all(panel, actor)
    _record(panel, "evaluation_panel_cancelled", {"reason": reason}, actor=actor, before=before)
    notify([m.expert.user for m in panel.members if m.status == "released"], "evaluation.cancelled",
           N_("The evaluation panel of %(reference)s was cancelled; your seat is released."),
           {"reference": panel.tender.reference})


def cancel_panels_of_tender(tender) -> None:
    """`tendering.services.on_cancelled`: a cancelled tender's live panels are cancelled with it
    (inside the cancellation's transaction; no commit), the tender's reason as theirs."""
    panels = db.session.execute(select(Panel).where(Panel.tender_id == tender.id,
                                                    Panel.status.in_(LIVE_PANEL_STATES))).scalars().all()
    for panel in panels:
        _cancel(panel, (tender.cancel_reason or "")[:REASON_MAX] or "—", None, utcnow())


def cancel_panel(actor, panel_id, reason) -> Panel:
    """The centre cancels a live panel (with a reason): seats released, every draw's seed
    published. The lot can then have a new panel."""
    errors = Errors()
    reason = text({"reason": reason}, "reason", errors, required=True, max_len=REASON_MAX)
    if not errors and len(reason) < REASON_MIN:
        errors.add("reason", N_("At least %(n)s characters."), n=REASON_MIN)
    errors.raise_if_any(N_("Give a reason for the cancellation."))
    now = utcnow()
    with unit_of_work():
        panel = lock_panel(panel_id)
        if not policy.can_view_panel(actor, panel):
            raise NotFound(N_("No such panel."))
        if not policy.can_manage_panel(actor, panel):
            raise PermissionDenied(N_("Only the tender's procurement centre cancels its panels."))
        _cancel(panel, reason, actor, now)
    return panel
