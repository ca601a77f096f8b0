"""Who hears of an award's steps, and where each step is written: the award's audit event and
one record on the chain of every project contributing to the lot, in the caller's transaction.

Records carry no challenge or complaint text (they are read by every contributing purchaser):
only numbers, dates and statuses; the winner's name is public from the award notice on.
"""

from __future__ import annotations

from sqlalchemy import select

from core import audit
from core.extensions import db
from core.models import Organisation, User
from core.notifications import notify, notify_organisation
from procurement.awards import policy
from procurement.opening.qualification import lot_projects
from procurement.tendering.clarifications import centre_officers
from procurement.tendering.records import record_on_projects


def award_link(award_id: int) -> str:
    """The award notice page (public once published)."""
    return f"/awards/{int(award_id)}"


def manage_link(tender_id: int) -> str:
    """The centre's and the finance office's page of a tender's awards."""
    return f"/tenders/{int(tender_id)}/awards"


def challenge_link(challenge_id: int) -> str:
    return f"/award-challenges/{int(challenge_id)}"


def firm_name(org_id: int | None) -> str:
    """The firm's legal (Chinese) name, else its English name; '' for none."""
    org = db.session.get(Organisation, org_id) if org_id else None
    return (org.name_zh or org.name_en) if org is not None else ""


def params(award, **extra) -> dict:
    """The parameters every award message uses: tender reference and lot number."""
    return {"reference": award.tender.reference, "lot": str(award.lot.number), **extra}


def payload(award, **extra) -> dict:
    """The body of a project record about the award."""
    return {"tender_id": award.tender_id, "reference": award.tender.reference, "lot": award.lot.number,
            "lot_id": award.lot_id, "award_id": award.id, **extra}


def record_step(award, kind: str, action: str, *, actor, before: dict | None = None, **extra) -> None:
    """The award's audit event (`action`, before/after) and a `kind` record on each project of the lot."""
    db.session.flush()
    audit.record(action, award, before=before, after=award.snapshot(), actor=actor)
    record_on_projects(lot_projects(award.lot), kind, payload(award, **extra), actor=actor)


def record_on_lot_projects(award, kind: str, *, actor, **extra) -> None:
    """Only the projects' records (the step has its own audit event, e.g. a challenge's)."""
    record_on_projects(lot_projects(award.lot), kind, payload(award, **extra), actor=actor)


def reviewers(tender) -> list[User]:
    """The active finance reviewers of the tender's city (`policy.is_award_reviewer`)."""
    users = db.session.execute(select(User).join(Organisation, Organisation.id == User.organisation_id)
                               .where(Organisation.city_id == tender.city_id, User.active.is_(True))
                               .order_by(User.id)).scalars()
    return [u for u in users if policy.is_award_reviewer(u, tender)]


def tell_reviewers(award, kind: str, template: str, extra: dict | None = None) -> None:
    notify(reviewers(award.tender), kind, template, params(award, **(extra or {})),
           link=manage_link(award.tender_id))


def tell_centre(award, kind: str, template: str, extra: dict | None = None, *, link: str | None = None) -> None:
    notify(centre_officers(award.tender), kind, template, params(award, **(extra or {})),
           link=link or manage_link(award.tender_id))


def tell_firm(org_id: int, kind: str, template: str, award, extra: dict | None = None, *,
              link: str | None = None) -> None:
    from core import roles as R

    notify_organisation(org_id, kind, template, params(award, **(extra or {})), roles=(R.SUPPLIER,),
                        link=link or award_link(award.id))


def purchaser_orgs(lot) -> list[int]:
    """The purchasers of the projects contributing to the lot (sorted)."""
    from procurement.projects.models import Project

    ids = lot_projects(lot)
    if not ids:
        return []
    return sorted(set(db.session.execute(select(Project.purchaser_org_id).where(Project.id.in_(ids))).scalars()))


def tell_purchasers(award, kind: str, template: str, extra: dict | None = None) -> None:
    from core import roles as R

    for org_id in purchaser_orgs(award.lot):
        notify_organisation(org_id, kind, template, params(award, **(extra or {})), roles=(R.PURCHASER,),
                            link=award_link(award.id))
