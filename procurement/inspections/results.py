"""Results of inspections and their publication ("one open").

The drawn team records, per target: each item checked with its outcome, the samples taken
(batch, product, laboratory, outcome) and the findings; the inspection ends that day (or on the
day given). The result must be published on the public portal no later than the campaign's
publication period (20 working days by the national rule, `core.workdays`: holidays do not
count, adjusted working weekends do) after the inspection ends. The chronograph flags an
unpublished result the day after its last day (`flag_overdue`); pages decide by the clock too
(`publication_state`). Only the campaign's own city's inspection authority publishes.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from core import draws, scheduler, workdays
from core.errors import Conflict, NotFound, PermissionDenied
from core.extensions import db
from core.i18n import N_, Term
from core.notifications import notify_organisation
from core.services import unit_of_work
from core.timeutil import CHINA, today_cn, utcnow
from core.validation import Errors, choice, date, object_list, text
from procurement.inspections import policy, teams
from procurement.inspections.common import NO_INSPECTION, day_end_utc, lock, on_project
from procurement.inspections.models import Campaign, Inspection
from procurement.inspections.states import (
    ACTIVE,
    CAMPAIGN,
    INSPECTION,
    ITEM_OUTCOMES,
    PUBLICATION_DUE,
    PUBLISHED,
    RECORDED,
    SAMPLE_OUTCOMES,
)

MAX_SAMPLES = 50


def publication_due_on(ended_on: dt.date, working_days: int, *, calendar=None) -> dt.date:
    """The last day a result may be published: `working_days` working days after `ended_on`."""
    return workdays.add_working_days(ended_on, working_days, calendar=calendar)


def publication_state(inspection: Inspection, today: dt.date | None = None) -> str | None:
    """"published", "published_late", "due" (recorded, still in time) or "overdue"; None before
    the results are recorded. Decided by the clock, whatever the chronograph did."""
    if inspection.publish_due_on is None:
        return None
    if inspection.status == PUBLISHED:
        day = inspection.published_at.astimezone(CHINA).date()
        return "published_late" if day > inspection.publish_due_on else "published"
    return "overdue" if (today or today_cn()) > inspection.publish_due_on else "due"


def flag_overdue(inspection_id: int, _due_at) -> None:
    """Chronograph handler: flag an unpublished result whose last day has passed and tell the
    authority. Idempotent; does not commit."""
    inspection = db.session.get(Inspection, inspection_id)
    if inspection is None or inspection.status != RECORDED or inspection.overdue_flagged_at is not None:
        return
    if today_cn() <= inspection.publish_due_on:
        return
    db.session.execute(update(Inspection).where(Inspection.id == inspection.id, Inspection.overdue_flagged_at.is_(None))
                       .values(overdue_flagged_at=utcnow()))
    from core import audit

    audit.record("inspection.publication_overdue", inspection,
                 after={"publish_due_on": inspection.publish_due_on.isoformat()})
    notify_organisation(inspection.campaign.authority_org_id, "inspection.overdue",
                        N_("The result of the inspection of %(name)s (campaign %(reference)s) was due for "
                           "publication by %(date)s and is not published."),
                        {"name": inspection.target_name, "reference": inspection.campaign.reference,
                         "date": inspection.publish_due_on.isoformat()})


def overdue(city_id: int | None = None, today: dt.date | None = None) -> list[Inspection]:
    """Recorded, unpublished results past their last day (by the clock)."""
    stmt = select(Inspection).where(Inspection.status == RECORDED, Inspection.publish_due_on < (today or today_cn()))
    if city_id is not None:
        stmt = stmt.where(Inspection.city_id == city_id)
    return list(db.session.execute(stmt.order_by(Inspection.publish_due_on)).scalars())


def _clean_check(item: dict, errors: Errors) -> dict:
    return {"code": text(item, "code", errors, max_len=10),
            "outcome": choice(item, "outcome", errors, ITEM_OUTCOMES),
            "note": text(item, "note", errors, required=False, max_len=1000)}


def _clean_sample(item: dict, errors: Errors) -> dict:
    return {"batch": text(item, "batch", errors, max_len=80), "product": text(item, "product", errors, max_len=200),
            "lab": text(item, "lab", errors, required=False, max_len=200),
            "outcome": choice(item, "outcome", errors, SAMPLE_OUTCOMES),
            "note": text(item, "note", errors, required=False, max_len=1000)}


def clean_results(inspection: Inspection, data: dict) -> dict:
    """The results from input (every drawn item checked once), or ValidationError."""
    errors = Errors()
    checks = object_list(data.get("items_checked"), "items_checked", errors, _clean_check, max_items=20,
                         min_items=1, not_a_list=N_("Give the outcome of every item the target was drawn for."),
                         too_many=N_("At most %(n)s items."), not_an_object=N_("Each item is an object."))
    samples = object_list(data.get("samples") if data.get("samples") is not None else [], "samples", errors,
                          _clean_sample, max_items=MAX_SAMPLES, not_a_list=N_("Samples are a list."),
                          too_many=N_("At most %(n)s samples."), not_an_object=N_("Each sample is an object."))
    findings = text(data, "findings", errors, max_len=8000)
    campaign = inspection.campaign
    ended_on = date(data, "ended_on", errors, required=False, first=campaign.starts_on, last=today_cn())
    if not errors.get("items_checked") and checks and sorted(c["code"] for c in checks) != sorted(inspection.item_codes):
        errors.add("items_checked", N_("Give one outcome for each item the target was drawn for: %(codes)s."),
                   codes=", ".join(inspection.item_codes))
    errors.raise_if_any(N_("The results were not recorded."))
    compliant = not any(c["outcome"] == "fail" for c in checks) and not any(s["outcome"] == "fail" for s in samples)
    return {"items_checked": checks, "samples": samples, "findings": findings,
            "ended_on": ended_on or today_cn(), "compliant": compliant}


def record_results(actor, inspection_id, data: dict, *, now: dt.datetime | None = None) -> Inspection:
    """A team member records the results; the inspection ends and its publication falls due."""
    now = now or utcnow()
    with unit_of_work():
        inspection = lock(Inspection, inspection_id, NO_INSPECTION)
        if not policy.can_view_inspection(actor, inspection):
            raise NotFound(NO_INSPECTION)
        if not policy.can_record_results(actor, inspection):
            raise PermissionDenied(N_("Only a member of the drawn team records the results."))
        INSPECTION.check(inspection.status, "record")
        conflicted = teams.conflicts_on_team(inspection)
        if conflicted:
            seat, reason = conflicted[0]
            raise Conflict(N_("%(name)s has a conflict of interest with the inspected organisation (%(reason)s): "
                              "they must recuse and a replacement be drawn before results are recorded."),
                           name=seat.inspector.name, reason=Term(reason))
        if len(teams.active_seats(inspection)) < max(2, inspection.campaign.min_team_size):
            raise Conflict(N_("The team is not complete: at least %(n)s drawn inspectors are needed."),
                           n=max(2, inspection.campaign.min_team_size))
        fields = clean_results(inspection, data)
        due = publication_due_on(fields["ended_on"], inspection.campaign.publication_working_days)
        before = inspection.snapshot()
        INSPECTION.apply(Inspection, inspection.id, "record", recorded_at=now, recorded_by_id=actor.id,
                         publish_due_on=due, updated_at=now, **fields)
        db.session.refresh(inspection)
        scheduler.schedule(PUBLICATION_DUE, "inspection", inspection.id, day_end_utc(due))
        on_project(inspection.project_id, "inspection_recorded",
                   {"inspection_id": inspection.id, "campaign": inspection.campaign.reference,
                    "compliant": inspection.compliant, "samples": len(inspection.samples),
                    "ended_on": inspection.ended_on.isoformat(), "publish_due_on": due.isoformat()},
                   actor=actor, obj=inspection, action="inspection.record", before=before,
                   after=inspection.snapshot())
    return inspection


def publish(actor, inspection_id, *, now: dt.datetime | None = None) -> Inspection:
    """The campaign's own city's inspection authority publishes the result (the team's draws are
    revealed); the campaign closes when its last result is published (its target draw revealed)."""
    now = now or utcnow()
    with unit_of_work():
        inspection = lock(Inspection, inspection_id, NO_INSPECTION)
        if not policy.can_publish(actor, inspection):
            raise PermissionDenied(N_("Only the inspection authority of %(city)s, which runs campaign %(reference)s, "
                                      "publishes its results."), city=inspection.campaign.city.name_zh,
                                   reference=inspection.campaign.reference)
        INSPECTION.check(inspection.status, "publish")
        state = publication_state(inspection, now.astimezone(CHINA).date())
        INSPECTION.apply(Inspection, inspection.id, "publish", published_at=now, published_by_id=actor.id,
                         updated_at=now)
        scheduler.cancel(PUBLICATION_DUE, "inspection", inspection.id)
        for draw in teams.draws_of(inspection):
            _reveal(draw, actor)
        db.session.refresh(inspection)
        on_project(inspection.project_id, "inspection_published",
                   {"inspection_id": inspection.id, "campaign": inspection.campaign.reference,
                    "compliant": inspection.compliant, "late": state == "overdue"},
                   actor=actor, obj=inspection, action="inspection.publish", after=inspection.snapshot())
        _close_if_done(actor, inspection.campaign_id, now)
    return inspection


def _reveal(draw, actor) -> None:
    if draw.status == draws.DRAWN:
        draws.reveal(draw.id, actor=actor)
    elif draw.status == draws.COMMITTED:
        draws.cancel(draw.id, actor=actor)


def _close_if_done(actor, campaign_id: int, now: dt.datetime) -> None:
    campaign = db.session.get(Campaign, campaign_id)
    db.session.refresh(campaign)
    if campaign.status != ACTIVE or any(i.status != PUBLISHED for i in campaign.inspections):
        return
    CAMPAIGN.apply(Campaign, campaign.id, "close", closed_at=now, updated_at=now)
    _reveal(draws.get(campaign.target_draw_id), actor)
    from core import audit

    audit.record("inspection_campaign.close", campaign, actor=actor, after={"closed_at": now.isoformat()})


def published_results(city_id: int | None = None, *, limit: int = 200) -> list[Inspection]:
    """Published results, newest first (the public portal)."""
    stmt = select(Inspection).where(Inspection.status == PUBLISHED)
    if city_id is not None:
        stmt = stmt.where(Inspection.city_id == city_id)
    return list(db.session.execute(stmt.order_by(Inspection.published_at.desc()).limit(limit)).scalars())


def public_inspection(inspection_id) -> Inspection:
    """A published result (NotFound otherwise: nothing unpublished is public)."""
    from procurement.inspections.common import as_id

    oid = as_id(inspection_id)
    inspection = db.session.get(Inspection, oid) if oid else None
    if inspection is None or inspection.status != PUBLISHED:
        raise NotFound(NO_INSPECTION)
    return inspection
