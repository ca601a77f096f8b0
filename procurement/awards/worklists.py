""""Waiting for you" items (`core.worklists`, registered by `awards.wiring`): key holders see the
closed tenders waiting for their share of the opening key, the finance office the award
recommendations of its city waiting for its review. One query each; the link goes to the
tender's page when one tender waits, else to the list of tenders."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, select

from core import roles as R
from core.extensions import db
from core.policy import has_role, organisation_of
from core.worklists import WorkItem
from procurement.blueprints import page_path


def _link(tender_ids: list[int], endpoint: str) -> str:
    if len(tender_ids) == 1:
        return page_path(endpoint, tender_id=tender_ids[0])
    return page_path("tendering.tender_manage_list")


def shares_waiting(user) -> list[WorkItem]:
    """Closed tenders whose opening waits for this key holder's share."""
    from procurement.bids.models import KeyShare
    from procurement.opening.models import OpeningSession, UnlockedShare
    from procurement.opening.states import OPENED
    from procurement.tendering.models import Tender
    from procurement.tendering.states import CLOSED

    if getattr(user, "id", None) is None or not (has_role(user, R.PROCUREMENT_OFFICER)
                                                 or has_role(user, R.FINANCE_REVIEWER)):
        return []
    opened = exists().where(OpeningSession.tender_id == Tender.id, OpeningSession.status == OPENED)
    mine = exists().where(OpeningSession.tender_id == Tender.id, UnlockedShare.session_id == OpeningSession.id,
                          UnlockedShare.attempt == OpeningSession.attempt, UnlockedShare.holder_user_id == user.id)
    ids = list(db.session.execute(
        select(Tender.id).join(KeyShare, and_(KeyShare.tender_id == Tender.id, KeyShare.holder_user_id == user.id))
        .where(Tender.status == CLOSED, ~opened, ~mine).order_by(Tender.id).limit(100)).scalars())
    if not ids:
        return []
    return [WorkItem(_l("Tenders waiting for your opening key share"), len(ids), _link(ids, "opening.opening_page"))]


def awards_to_review(user) -> list[WorkItem]:
    """Award recommendations of the finance office's city waiting for its review."""
    from procurement.awards.models import Award
    from procurement.awards.states import FINANCE_REVIEW
    from procurement.tendering.models import Tender

    org = organisation_of(user)
    if org is None or org.kind != R.ORG_FINANCE or not has_role(user, R.FINANCE_REVIEWER) or org.city_id is None:
        return []
    rows = db.session.execute(select(Award.tender_id, func.count(Award.id)).join(Tender, Tender.id == Award.tender_id)
                              .where(Award.status == FINANCE_REVIEW, Tender.city_id == org.city_id)
                              .group_by(Award.tender_id).order_by(Award.tender_id)).all()
    if not rows:
        return []
    return [WorkItem(_l("Award recommendations waiting for your review"), sum(n for _t, n in rows),
                     _link([t for t, _n in rows], "awards.manage"))]


PROVIDERS = (shares_waiting, awards_to_review)
