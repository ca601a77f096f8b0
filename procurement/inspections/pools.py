"""The pools of inspection draws.

**Targets** (one draw per campaign, one stratum per check item, in the campaign's item order).
An item's pool is every target of its kind in the campaign's city: projects under construction,
the supplier firms of products listed and passing in the city, and those products. A candidate
is ``<item code>:<target ref>`` (so a target can be drawn for several items and is then
inspected once, on all of them). Excluded, with reason ``recently_inspected``: a target drawn in
another campaign of the city within the rule's period. A key item draws its share of the pool
without cap (10,000 bp: all of it); a general item at most the rule's share. Sizes are rounded
up, so a non-empty pool gives at least one target.

**Teams** (one draw per inspection): every inspector of the campaign's authority. Excluded, with
the first reason that applies: ``already_drawn`` for this inspection, ``account_not_active``,
``own_organisation`` (the inspector belongs to the inspected organisation, or has a recorded
tie "employer" to it) and ``recorded_tie`` (any other recorded tie).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import select

import catalog.interface as catalog
from core import roles as R
from core.draws import Candidate, Excluded
from core.extensions import db
from core.models import Organisation, User
from procurement.inspections.models import Campaign, Inspection, InspectorTie, TeamSeat


@dataclass(frozen=True)
class Target:
    kind: str
    id: int
    name: str
    org_id: int
    project_id: int | None = None

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.id}"


def targets_of(city_id: int, kind: str) -> list[Target]:
    """Every target of `kind` in the city, by id."""
    if kind == "project":
        from procurement.machine.stages import CONSTRUCTION
        from procurement.projects.models import Project

        rows = db.session.execute(select(Project.id, Project.name, Project.purchaser_org_id)
                                  .where(Project.city_id == city_id, Project.stage == CONSTRUCTION)
                                  .order_by(Project.id)).all()
        return [Target("project", r.id, r.name, r.purchaser_org_id, r.id) for r in rows]
    offers = [o for group in catalog.listed_passing_products_by_category(
        city_id, [c.id for c in catalog.all_categories()]).values() for o in group]
    if kind == "product":
        return sorted((Target("product", o.id, o.name_zh or o.name_en, o.supplier.id) for o in offers),
                      key=lambda t: t.id)
    firms = {o.supplier.id: o.supplier for o in offers}
    return [Target("firm", s.id, s.name_zh or s.name_en, s.id) for _i, s in sorted(firms.items())]


def recently_inspected(campaign: Campaign, now: dt.datetime) -> set[str]:
    """Target refs drawn in another campaign of the city within the campaign's period."""
    if campaign.recent_exclusion_days <= 0:
        return set()
    since = now - dt.timedelta(days=campaign.recent_exclusion_days)
    return set(db.session.execute(select(Inspection.target_ref).where(
        Inspection.city_id == campaign.city_id, Inspection.campaign_id != campaign.id,
        Inspection.created_at >= since)).scalars())


def stratum_size(item: dict, available: int, max_general_share_bp: int) -> int | None:
    """How many of an item's `available` candidates are drawn: None (all: uncapped) for a key
    item at 10,000 bp; else the share rounded up, a general item's share capped by the rule."""
    share = int(item["share_bp"])
    if item["class"] == "key" and share >= 10_000:
        return None
    if item["class"] == "general":
        share = min(share, max_general_share_bp)
    return min(available, math.ceil(available * share / 10_000))


def target_pool(campaign: Campaign, now: dt.datetime):
    """(candidates, excluded, strata, targets by ref) for the campaign's target draw."""
    recent = recently_inspected(campaign, now)
    by_kind: dict[str, list[Target]] = {}
    candidates, excluded, strata, targets = [], [], [], {}
    for item in campaign.items:
        pool = by_kind.setdefault(item["target"], targets_of(campaign.city_id, item["target"]))
        available = 0
        for target in pool:
            targets[target.ref] = target
            cid = f"{item['code']}:{target.ref}"
            if target.ref in recent:
                excluded.append(Excluded(cid, "recently_inspected"))
            else:
                candidates.append(Candidate(cid, stratum=item["code"], attributes={"org_id": target.org_id}))
                available += 1
        strata.append((item["code"], stratum_size(item, available, campaign.max_general_share_bp)))
    return candidates, excluded, strata, targets


def inspectors_of(authority_org_id: int) -> list[User]:
    """The authority's inspector pool: its people holding the role inspector."""
    users = db.session.execute(select(User).where(User.organisation_id == authority_org_id)
                               .order_by(User.id)).scalars()
    return [u for u in users if u.has_role(R.INSPECTOR)]


def ties_to(org_id: int) -> dict[int, str]:
    """Recorded ties to the organisation: {inspector user id: reason}."""
    return dict(db.session.execute(select(InspectorTie.inspector_id, InspectorTie.reason)
                                   .where(InspectorTie.org_id == org_id)).all())


def conflict_of(user, org_id: int, ties: dict[int, str] | None = None) -> str | None:
    """The conflict-of-interest reason key between an inspector and an inspected organisation."""
    ties = ties_to(org_id) if ties is None else ties
    if user.organisation_id == org_id or ties.get(user.id) == "employer":
        return "own_organisation"
    if user.id in ties:
        return "recorded_tie"
    return None


def team_pool(inspection: Inspection):
    """(candidates, excluded, inspectors by candidate id) for a draw of the inspection's team."""
    drawn = set(db.session.execute(select(TeamSeat.inspector_id)
                                   .where(TeamSeat.inspection_id == inspection.id)).scalars())
    ties = ties_to(inspection.org_id)
    candidates, excluded, by_id = [], [], {}
    for user in inspectors_of(inspection.campaign.authority_org_id):
        cid = f"inspector:{user.id}"
        by_id[cid] = user
        tests = (("already_drawn", user.id in drawn), ("account_not_active", not user.active),
                 ("own_organisation", conflict_of(user, inspection.org_id, ties) == "own_organisation"),
                 ("recorded_tie", conflict_of(user, inspection.org_id, ties) == "recorded_tie"))
        reason = next((key for key, applies in tests if applies), None)
        if reason is None:
            candidates.append(Candidate(cid))
        else:
            excluded.append(Excluded(cid, reason))
    return candidates, excluded, by_id


def organisation_name(org_id: int) -> str:
    org = db.session.get(Organisation, org_id)
    return (org.name_zh or org.name_en) if org is not None else ""
