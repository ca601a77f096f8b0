"""The pool of a panel draw: every expert of the city's pool, eligible or excluded with the key of
the first reason that applies (`states.EXCLUSION_REASONS`, in that order):

- ``already_drawn``: drawn before for this panel (replacement draws);
- ``inactive``: deactivated by the finance office; ``account_not_active``: the account cannot
  sign in (invitation not accepted yet, or deactivated), so the expert could not answer;
- ``speciality_mismatch``: the expert's specialities do not include the lot's category (for a
  whole-tender panel: every category of its active lots);
- ``bidder_affiliation``: the employer is a firm that bid on the tender (any lot, any status of
  the bid: a firm that took part at all);
- ``purchaser_affiliation``: the employer is a purchaser whose project is in the lot(s);
- ``recent_service``: the expert accepted a seat on another panel for one of these purchasers
  within the rule's period (`rules.rule_for`, stored on the panel at its request).

Employers are matched by unified social credit code, and by name (ignoring case, spaces and
brackets) so that an expert whose employer has no known code is still caught.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select

import catalog.interface as catalog
from core.draws import Candidate, Excluded
from core.extensions import db
from core.models import Organisation
from procurement.evaluation.models import Expert, Panel, PanelMember
from procurement.evaluation.states import ACCEPTED
from procurement.tendering.states import LOT_ACTIVE

_NOISE = re.compile(r"[\s()（）·.,，、\-]+")


def normalised_name(name: str | None) -> str:
    return _NOISE.sub("", (name or "")).casefold()


@dataclass(frozen=True)
class Party:
    """An organisation on the other side of a conflict: its credit code and names."""

    org_id: int
    credit_code: str | None
    names: frozenset

    def employs(self, expert: Expert) -> bool:
        code = (expert.employer_credit_code or "").upper()
        if code and self.credit_code and code == self.credit_code.upper():
            return True
        name = normalised_name(expert.employer_name)
        return bool(name) and name in self.names


def _parties(org_ids) -> list[Party]:
    ids = sorted(set(org_ids))
    if not ids:
        return []
    rows = db.session.execute(select(Organisation.id, Organisation.credit_code, Organisation.name_zh,
                                     Organisation.name_en).where(Organisation.id.in_(ids))).all()
    return [Party(r.id, r.credit_code, frozenset(n for n in (normalised_name(r.name_zh), normalised_name(r.name_en)) if n))
            for r in rows]


def bidder_org_ids(tender_id: int) -> list[int]:
    """Firms that placed a bid on the tender (any lot, any status), read from the bids tables.
    Known after the bid deadline only; callers check the deadline first."""
    from procurement.bids.models import Bid

    return sorted(set(db.session.execute(select(Bid.supplier_org_id).where(Bid.tender_id == tender_id)).scalars()))


def projects_of(tender, lot=None) -> list[int]:
    """Projects with a live pooled line in the lot (or in any active lot of the tender)."""
    from procurement.pooling.models import LIVE_LINE_STATES, PooledLine
    from procurement.tendering.models import Lot

    stmt = select(PooledLine.project_id).where(PooledLine.status.in_(LIVE_LINE_STATES))
    if lot is not None:
        stmt = stmt.where(PooledLine.lot_id == lot.id)
    else:
        stmt = stmt.join(Lot, Lot.id == PooledLine.lot_id).where(Lot.tender_id == tender.id, Lot.status == LOT_ACTIVE)
    return sorted(set(db.session.execute(stmt).scalars()))


def purchasers_of(project_ids) -> list[int]:
    from procurement.projects.models import Project

    ids = sorted(set(project_ids))
    if not ids:
        return []
    return sorted(set(db.session.execute(select(Project.purchaser_org_id).where(Project.id.in_(ids))).scalars()))


def required_categories(panel: Panel) -> list[str]:
    """Category codes an expert must cover: the lot's, or every active lot's of the tender."""
    lots = [panel.lot] if panel.lot is not None else [lot for lot in panel.tender.lots if lot.status == LOT_ACTIVE]
    codes = []
    for lot in lots:
        info = catalog.find_category(lot.category_id)
        if info is not None and info.code not in codes:
            codes.append(info.code)
    return codes


def _recently_served(panel: Panel, now: dt.datetime) -> set[int]:
    """Experts who accepted a seat, within the period, on another panel sharing a purchaser."""
    if not panel.purchaser_org_ids or panel.recent_service_days <= 0:
        return set()
    since = now - dt.timedelta(days=panel.recent_service_days)
    rows = db.session.execute(
        select(PanelMember.expert_id, Panel.purchaser_org_ids).join(Panel, Panel.id == PanelMember.panel_id)
        .where(PanelMember.status == ACCEPTED, PanelMember.responded_at >= since, Panel.id != panel.id,
               Panel.city_id == panel.city_id)).all()
    mine = set(panel.purchaser_org_ids)
    return {expert_id for expert_id, purchasers in rows if mine & set(purchasers or [])}


def build_pool(panel: Panel, now: dt.datetime) -> tuple[list[Candidate], list[Excluded], dict[str, Expert]]:
    """(candidates, excluded, experts by candidate id) for a draw of `panel` at `now`."""
    experts = list(db.session.execute(select(Expert).where(Expert.city_id == panel.city_id)
                                      .order_by(Expert.id)).scalars())
    drawn = set(db.session.execute(select(PanelMember.expert_id).where(PanelMember.panel_id == panel.id)).scalars())
    needed = required_categories(panel)
    bidders = _parties(bidder_org_ids(panel.tender_id))
    purchasers = _parties(panel.purchaser_org_ids or [])
    recent = _recently_served(panel, now)
    candidates, excluded, by_id = [], [], {}
    for expert in experts:
        by_id[expert.candidate_id] = expert
        specialities = set(expert.specialities or [])
        tests = (("already_drawn", expert.id in drawn), ("inactive", not expert.active),
                 ("account_not_active", not expert.user.active),
                 ("speciality_mismatch", not needed or not set(needed) <= specialities),
                 ("bidder_affiliation", any(p.employs(expert) for p in bidders)),
                 ("purchaser_affiliation", any(p.employs(expert) for p in purchasers)),
                 ("recent_service", expert.id in recent))
        reason = next((key for key, applies in tests if applies), None)
        if reason is None:
            candidates.append(Candidate(expert.candidate_id, attributes={"specialities": sorted(needed)}))
        else:
            excluded.append(Excluded(expert.candidate_id, reason))
    return candidates, excluded, by_id
