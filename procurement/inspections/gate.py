"""What completion acceptance (procurement.acceptance) reads of inspections: the open
rectification notices of a project (open = not closed: escalated ones too) and the project's
inspections with their results. Plain values, no models."""

from __future__ import annotations

from sqlalchemy import select

from core.extensions import db
from procurement.inspections.models import Inspection, Rectification
from procurement.inspections.states import UNRESOLVED


def _rect(r: Rectification) -> dict:
    return {"id": r.id, "reference": r.reference, "inspection_id": r.inspection_id,
            "delivery_sample_id": r.delivery_sample_id, "status": r.status,
            "deadline": r.deadline, "required_actions": r.required_actions, "org_id": r.org_id}


def open_rectifications(project_id: int) -> list[dict]:
    """The project's rectification notices not closed yet (open, responded, escalated), oldest first,
    from inspections and from failed delivery samples alike: ``[{"id", "reference",
    "inspection_id", "delivery_sample_id", "status", "deadline", "required_actions", "org_id"}]``."""
    rows = db.session.execute(select(Rectification).where(Rectification.project_id == project_id,
                                                          Rectification.status.in_(UNRESOLVED))
                              .order_by(Rectification.id)).scalars()
    return [_rect(r) for r in rows]


def project_inspections(project_id: int) -> list[dict]:
    """The project's inspections (as a drawn target), oldest first, with their results:
    ``[{"id", "campaign", "campaign_title", "status", "items": [{"code", "name", "outcome", "note"}],
    "samples": [...], "findings", "compliant", "ended_on", "publish_due_on", "published_at",
    "rectifications": [{...}]}]``; `compliant` is None until results are recorded."""
    rows = db.session.execute(select(Inspection).where(Inspection.project_id == project_id)
                              .order_by(Inspection.id)).unique().scalars()
    out = []
    for i in rows:
        names = {item["code"]: item["name"] for item in i.campaign.items}
        checked = {c["code"]: c for c in i.items_checked or []}
        out.append({"id": i.id, "campaign": i.campaign.reference, "campaign_title": i.campaign.title,
                    "status": i.status,
                    "items": [{"code": code, "name": names.get(code, code),
                               "outcome": checked.get(code, {}).get("outcome"),
                               "note": checked.get(code, {}).get("note", "")} for code in i.item_codes],
                    "samples": list(i.samples or []), "findings": i.findings, "compliant": i.compliant,
                    "ended_on": i.ended_on, "publish_due_on": i.publish_due_on, "published_at": i.published_at,
                    "rectifications": [_rect(r) for r in i.rectifications]})
    return out
