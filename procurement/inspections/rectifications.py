"""Rectification notices: issued after an inspection (recorded or published) to the inspected
organisation with the required actions and a deadline, or, in the transaction that records a
failed lab report on a delivery sample, to the supplier of the delivery (`issue_for_sample`);
the organisation responds with evidence
(files of `core.documents`); a re-inspection closes the notice or escalates it (an escalated
notice stays open: it still blocks completion acceptance, and the organisation may respond
again). The chronograph tells the authority when a deadline passes (`deadline_passed`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from core import audit, scheduler
from core.documents import Document, store_document
from core.errors import NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.i18n import N_
from core.notifications import notify_organisation
from core.services import unit_of_work
from core.timeutil import today_cn, utcnow
from core.validation import Errors, choice, date, plain_text, text
from procurement.inspections import policy
from procurement.inspections.common import NO_INSPECTION, NO_RECTIFICATION, as_id, day_end_utc, lock, on_project
from procurement.inspections.models import Inspection, Rectification
from procurement.inspections.states import (
    RECTIFICATION,
    RECTIFICATION_DUE,
    RECT_CLOSED,
    SCHEDULED,
    TEAM_PENDING,
    UNRESOLVED,
)

TEXT_MIN, TEXT_MAX, MAX_EVIDENCE = 5, 4000, 10
OUTCOMES = ("close", "escalate")


def get_rectification(actor, rectification_id) -> Rectification:
    oid = as_id(rectification_id)
    rect = db.session.get(Rectification, oid) if oid else None
    if rect is None or not policy.can_view_rectification(actor, rect):
        raise NotFound(NO_RECTIFICATION)
    return rect


def of_organisation(actor) -> list[Rectification]:
    """Notices addressed to the actor's organisation, newest first."""
    org_id = getattr(actor, "organisation_id", None)
    if org_id is None:
        return []
    return list(db.session.execute(select(Rectification).where(Rectification.org_id == org_id)
                                   .order_by(Rectification.id.desc()).limit(200)).scalars())


def evidence_of(rect: Rectification) -> list[Document]:
    ids = list(rect.evidence_document_ids or [])
    if not ids:
        return []
    return list(db.session.execute(select(Document).where(Document.id.in_(ids)).order_by(Document.id)).scalars())


def clean_notice(data: dict, errors: Errors) -> tuple[str, dt.date | None]:
    """The notice's `required_actions` (5 to 4000 characters) and `deadline` (today to a year
    ahead, China date); problems are added to `errors`."""
    actions = text(data, "required_actions", errors, max_len=TEXT_MAX)
    if actions and len(actions) < TEXT_MIN:
        errors.add("required_actions", N_("At least %(n)s characters."), n=TEXT_MIN)
    deadline = date(data, "deadline", errors, first=today_cn(), last=today_cn() + dt.timedelta(days=366))
    return actions, deadline


def _overseer_org_id(rect: Rectification) -> int:
    """Who follows the notice up: the campaign's authority, or for a failed delivery sample the
    project's purchasing organisation (its site manager)."""
    return rect.inspection.campaign.authority_org_id if rect.inspection is not None else rect.project.purchaser_org_id


def _target_name(rect: Rectification) -> str:
    if rect.inspection is not None:
        return rect.inspection.target_name
    return rect.organisation.name_zh or rect.organisation.name_en


def _schedule_and_tell(rect: Rectification) -> None:
    from procurement.blueprints import page_path

    scheduler.schedule(RECTIFICATION_DUE, "rectification", rect.id, day_end_utc(rect.deadline))
    notify_organisation(rect.org_id, "rectification.issued",
                        N_("Rectification notice %(reference)s: the required actions are due by %(date)s."),
                        {"reference": rect.reference, "date": rect.deadline.isoformat()},
                        link=page_path("inspections.rectification_page", rectification_id=rect.id))


def issue_for_sample(actor, project, delivery, sample, actions: str, deadline: dt.date, *,
                     now: dt.datetime) -> Rectification:
    """A notice to the delivery's supplier for a sample that failed at the lab, in the caller's
    transaction (`procurement.deliveries.services.record_lab_report`, which holds the project
    lock, checked the actor and cleaned `actions` and `deadline` with `clean_notice`)."""
    rect = Rectification(reference=f"ZG-{delivery.reference}-S{sample.id}", delivery_sample_id=sample.id,
                         city_id=project.city_id, org_id=delivery.supplier_org_id, project_id=project.id,
                         required_actions=actions, deadline=deadline, issued_by_id=actor.id, issued_at=now,
                         updated_at=now)
    db.session.add(rect)
    db.session.flush()
    on_project(project.id, "rectification_issued",
               {"rectification_id": rect.id, "reference": rect.reference, "delivery": delivery.reference,
                "delivery_sample_id": sample.id, "deadline": deadline.isoformat(), "required_actions": actions},
               actor=actor, obj=rect, action="rectification.issue", after=rect.snapshot())
    _schedule_and_tell(rect)
    return rect


def issue(actor, inspection_id, data: dict, *, now: dt.datetime | None = None) -> Rectification:
    """Issue a notice (`required_actions`, `deadline`) after the inspection's results are recorded."""
    now = now or utcnow()
    errors = Errors()
    actions, deadline = clean_notice(data, errors)
    errors.raise_if_any(N_("The rectification notice was not issued."))
    with unit_of_work(N_("Another notice took that reference at the same moment; try again.")):
        inspection = lock(Inspection, inspection_id, NO_INSPECTION)
        if not policy.can_view_inspection(actor, inspection):
            raise NotFound(NO_INSPECTION)
        if not policy.can_issue_rectification(actor, inspection):
            raise PermissionDenied(N_("Only the inspection team or the campaign's authority issues rectification "
                                      "notices."))
        if inspection.status in (TEAM_PENDING, SCHEDULED):
            raise ValidationError(N_("Record the inspection's results before issuing a rectification notice."))
        count = db.session.execute(select(func.count(Rectification.id))
                                   .where(Rectification.inspection_id == inspection.id)).scalar_one()
        rect = Rectification(reference=f"{inspection.campaign.reference}-ZG{inspection.id}-{count + 1}",
                             inspection_id=inspection.id, city_id=inspection.city_id, org_id=inspection.org_id,
                             project_id=inspection.project_id, required_actions=actions, deadline=deadline,
                             issued_by_id=actor.id, issued_at=now, updated_at=now)
        db.session.add(rect)
        db.session.flush()
        on_project(rect.project_id, "rectification_issued",
                   {"rectification_id": rect.id, "reference": rect.reference, "inspection_id": inspection.id,
                    "deadline": deadline.isoformat(), "required_actions": actions},
                   actor=actor, obj=rect, action="rectification.issue", after=rect.snapshot())
        _schedule_and_tell(rect)
    return rect


def respond(actor, rectification_id, response, files, *, now: dt.datetime | None = None) -> Rectification:
    """The inspected organisation answers with what it did and evidence (1 to 10 files given as
    ``[(stream, filename)]``)."""
    from procurement.blueprints import page_path

    now = now or utcnow()
    response = plain_text(response, "response", minimum=TEXT_MIN, maximum=TEXT_MAX,
                          refused=N_("Say what was done to rectify."))
    files = list(files or [])
    if not files:
        raise ValidationError(N_("Attach the evidence (PDF, JPEG or PNG)."), {"evidence": N_("Required.")})
    if len(files) > MAX_EVIDENCE:
        raise ValidationError(N_("At most %(n)s files."), {"evidence": N_("Too many files.")}, n=MAX_EVIDENCE)
    with unit_of_work():
        rect = lock(Rectification, rectification_id, NO_RECTIFICATION)
        if not policy.can_view_rectification(actor, rect):
            raise NotFound(NO_RECTIFICATION)
        if not policy.can_respond(actor, rect):
            raise PermissionDenied(N_("Only the organisation the notice is addressed to responds to it."))
        RECTIFICATION.check(rect.status, "respond")
        docs = [store_document(stream, name, actor, field="evidence") for stream, name in files]
        db.session.flush()
        ids = sorted(set(rect.evidence_document_ids or []) | {d.id for d in docs})
        before = rect.snapshot()
        RECTIFICATION.apply(Rectification, rect.id, "respond", response=response, evidence_document_ids=ids,
                            responded_by_id=actor.id, responded_at=now, updated_at=now)
        db.session.refresh(rect)
        on_project(rect.project_id, "rectification_responded",
                   {"rectification_id": rect.id, "reference": rect.reference,
                    "evidence": [{"document_id": d.id, "sha256": d.sha256} for d in docs]},
                   actor=actor, obj=rect, action="rectification.respond", before=before, after=rect.snapshot())
        notify_organisation(_overseer_org_id(rect), "rectification.responded",
                            N_("%(name)s responded to rectification notice %(reference)s: re-inspect it."),
                            {"name": _target_name(rect), "reference": rect.reference},
                            link=page_path("inspections.rectification_page", rectification_id=rect.id))
    return rect


def reinspect(actor, rectification_id, data: dict, *, now: dt.datetime | None = None) -> Rectification:
    """A re-inspection (`outcome` close or escalate, `note`) closes or escalates the notice."""
    now = now or utcnow()
    errors = Errors()
    outcome = choice(data, "outcome", errors, OUTCOMES)
    note = text(data, "note", errors, max_len=TEXT_MAX)
    if note and len(note) < TEXT_MIN:
        errors.add("note", N_("At least %(n)s characters."), n=TEXT_MIN)
    errors.raise_if_any(N_("The re-inspection was not recorded."))
    with unit_of_work():
        rect = lock(Rectification, rectification_id, NO_RECTIFICATION)
        if not policy.can_view_rectification(actor, rect):
            raise NotFound(NO_RECTIFICATION)
        if not policy.can_reinspect(actor, rect):
            raise PermissionDenied(N_("Only the inspection team or the campaign's authority re-inspects."))
        RECTIFICATION.check(rect.status, outcome)
        before = rect.snapshot()
        RECTIFICATION.apply(Rectification, rect.id, outcome, reinspection_note=note, reinspected_by_id=actor.id,
                            reinspected_at=now, updated_at=now)
        db.session.refresh(rect)
        if rect.status == RECT_CLOSED:
            scheduler.cancel(RECTIFICATION_DUE, "rectification", rect.id)
        kind = "rectification_closed" if rect.status == RECT_CLOSED else "rectification_escalated"
        on_project(rect.project_id, kind, {"rectification_id": rect.id, "reference": rect.reference, "note": note},
                   actor=actor, obj=rect, action=f"rectification.{outcome}", before=before, after=rect.snapshot())
        notify_organisation(rect.org_id, f"rectification.{outcome}",
                            N_("Rectification notice %(reference)s was closed after re-inspection.")
                            if rect.status == RECT_CLOSED else
                            N_("Rectification notice %(reference)s was escalated after re-inspection."),
                            {"reference": rect.reference})
    return rect


def deadline_passed(rectification_id: int, _due_at) -> None:
    """Chronograph handler: the deadline of a notice passed while it is still open: note it and
    tell the authority to re-inspect. Idempotent; does not commit."""
    rect = db.session.get(Rectification, rectification_id)
    if rect is None or rect.status not in UNRESOLVED or rect.deadline_passed_at is not None:
        return
    if today_cn() <= rect.deadline:
        return
    db.session.execute(update(Rectification).where(Rectification.id == rect.id,
                                                   Rectification.deadline_passed_at.is_(None))
                       .values(deadline_passed_at=utcnow()))
    audit.record("rectification.deadline_passed", rect, after={"deadline": rect.deadline.isoformat()})
    notify_organisation(_overseer_org_id(rect), "rectification.deadline",
                        N_("The deadline of rectification notice %(reference)s has passed: re-inspect."),
                        {"reference": rect.reference})


def is_past_deadline(rect: Rectification, today: dt.date | None = None) -> bool:
    """Open and past its deadline (by the clock)."""
    return rect.status in UNRESOLVED and (today or today_cn()) > rect.deadline
