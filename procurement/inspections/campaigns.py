"""Campaigns: the authority opens one for its city (the target draw's commitment is published at
once), draws its targets (one inspection per drawn target, each with its team draw committed),
or cancels it before the draw. A campaign closes by itself when its last result is published
(`results.publish`): its target draw is revealed then.

Items: ``[{name, class: key|general, target: project|firm|product, share_bp}]`` (1 to 20); each
gets a code (``k1``, ``g1``...) that names its stratum in the draw.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from core import draws
from core.errors import Conflict, NotFound, PermissionDenied
from core.extensions import db
from core.i18n import N_, Term
from core.models import City
from core.services import unit_of_work
from core.timeutil import today_cn, utcnow
from core.validation import Errors, choice, date, integer, object_list, text
from procurement.inspections import policy, pools, rules
from procurement.inspections.common import NO_CAMPAIGN, lock, on_project
from procurement.inspections.models import Campaign, Inspection
from procurement.inspections.states import (
    CAMPAIGN,
    ITEM_CLASSES,
    PLANNED,
    TARGET_KINDS,
    TARGET_PURPOSE,
    TEAM_PURPOSE,
)

MAX_ITEMS, MAX_TEAM = 20, 9


# ------------------------------------------------------------------ reading

def get_campaign(actor, campaign_id) -> Campaign:
    """The campaign if `actor` may see it (its authority, platform staff)."""
    from procurement.inspections.common import as_id

    oid = as_id(campaign_id)
    campaign = db.session.get(Campaign, oid) if oid else None
    if campaign is None or not policy.can_view_campaign(actor, campaign):
        raise NotFound(NO_CAMPAIGN)
    return campaign


def campaigns_for(actor) -> list[Campaign]:
    """The campaigns of the actor's authority (platform staff: all), newest first."""
    from core.policy import is_platform

    stmt = select(Campaign).order_by(Campaign.id.desc()).limit(200)
    org = policy.authority_of(actor)
    if org is not None:
        stmt = stmt.where(Campaign.authority_org_id == org.id)
    elif not is_platform(actor):
        return []
    return list(db.session.execute(stmt).scalars())


# ------------------------------------------------------------------ opening

def _clean_item(item: dict, errors: Errors) -> dict:
    name = text(item, "name", errors, max_len=200)
    klass = choice(item, "class", errors, ITEM_CLASSES)
    target = choice(item, "target", errors, TARGET_KINDS)
    share = integer(item, "share_bp", errors, minimum=1, maximum=10_000)
    return {"name": name, "class": klass, "target": target, "share_bp": share}


def clean_campaign(data: dict, rule) -> dict:
    """The campaign's fields from input, or ValidationError naming every bad one."""
    errors = Errors()
    title = text(data, "title", errors, max_len=200)
    description = text(data, "description", errors, required=False, max_len=4000)
    team_size = integer(data, "team_size", errors, minimum=rule.min_team_size, maximum=MAX_TEAM)
    today = today_cn()
    starts_on = date(data, "starts_on", errors, first=today - dt.timedelta(days=366),
                     last=today + dt.timedelta(days=366))
    ends_on = date(data, "ends_on", errors, first=today - dt.timedelta(days=366), last=today + dt.timedelta(days=732))
    if starts_on and ends_on and ends_on < starts_on:
        errors.add("ends_on", N_("The campaign cannot end before it starts."))
    items = object_list(data.get("items"), "items", errors, _clean_item, max_items=MAX_ITEMS, min_items=1,
                        not_a_list=N_("Give at least one check item."),
                        too_many=N_("At most %(n)s check items."), not_an_object=N_("Each item is an object."))
    counters = {"key": 0, "general": 0}
    for i, item in enumerate(items):
        if item["class"] == "general" and item["share_bp"] > rule.max_general_share_bp:
            errors.add(f"items.{i}.share_bp", N_("A general item draws at most %(bp)s bp of its pool (the rule in "
                                                 "force)."), bp=rule.max_general_share_bp)
        counters[item["class"]] += 1
        item["code"] = f"{item['class'][0]}{counters[item['class']]}"
    errors.raise_if_any(N_("The campaign was not accepted."))
    return {"title": title, "description": description, "team_size": team_size, "starts_on": starts_on,
            "ends_on": ends_on, "items": items}


def _reference(city: City, year: int) -> str:
    count = db.session.execute(select(func.count(Campaign.id)).where(Campaign.city_id == city.id)).scalar_one()
    return f"{city.code.upper()}-SJ-{year}-{count + 1:03d}"


def open_campaign(actor, data: dict, *, now: dt.datetime | None = None) -> Campaign:
    """An authority's inspector opens a campaign for the authority's city. The target draw is
    committed now (its commitment public at /draws/<id>); the rule's numbers are copied."""
    now = now or utcnow()
    org = policy.authority_of(actor)
    if org is None:
        raise PermissionDenied(N_("Only the inspectors of a city's inspection authority open inspection campaigns."))
    rule = rules.rule_for(org.city_id)
    fields = clean_campaign(data, rule)
    with unit_of_work(N_("Another campaign took that reference at the same moment; try again.")):
        city = db.session.get(City, org.city_id)
        reference = _reference(city, today_cn().year)
        draw = draws.commit(TARGET_PURPOSE, reference, actor=actor)
        campaign = Campaign(reference=reference, city_id=org.city_id, authority_org_id=org.id, rule_id=rule.id,
                            recent_exclusion_days=rule.recent_exclusion_days, min_team_size=rule.min_team_size,
                            max_general_share_bp=rule.max_general_share_bp,
                            publication_working_days=rule.publication_working_days, status=PLANNED,
                            target_draw_id=draw.id, created_by_id=actor.id, created_at=now, **fields)
        db.session.add(campaign)
        db.session.flush()
        on_project(None, "", {}, actor=actor, obj=campaign, action="inspection_campaign.open",
                   after=campaign.snapshot())
    return campaign


def draw_targets(actor, campaign_id, *, now: dt.datetime | None = None) -> Campaign:
    """Draw the campaign's targets: one inspection per drawn target, on the items it was drawn
    for, each with its team draw committed. Nothing drawn (409) when a pool is too small."""
    now = now or utcnow()
    with unit_of_work():
        campaign = lock(Campaign, campaign_id, NO_CAMPAIGN)
        if not policy.can_view_campaign(actor, campaign):
            raise NotFound(NO_CAMPAIGN)
        if not policy.can_manage_campaign(actor, campaign):
            raise PermissionDenied(N_("Only the campaign's inspection authority draws its targets."))
        CAMPAIGN.check(campaign.status, "draw")
        candidates, excluded, strata, targets = pools.target_pool(campaign, now)
        if not candidates:
            raise Conflict(N_("No target is eligible for any item of this campaign: nothing was drawn."))
        draw = draws.perform(campaign.target_draw_id, candidates, excluded, strata, actor=actor)
        drawn: dict[str, list[str]] = {}
        for cid in draw.result:
            code, ref = cid.split(":", 1)
            drawn.setdefault(ref, []).append(code)
        CAMPAIGN.apply(Campaign, campaign.id, "draw", drawn_at=now, updated_at=now)
        for ref, codes in drawn.items():
            _inspection(actor, campaign, targets[ref], codes, now)
        db.session.refresh(campaign)
        on_project(None, "", {}, actor=actor, obj=campaign, action="inspection_campaign.draw",
                   after={"draw_id": draw.id, "targets": sorted(drawn), "pool_size": draw.pool_size,
                          "excluded_count": draw.excluded_count})
    return campaign


def _inspection(actor, campaign: Campaign, target, codes: list[str], now: dt.datetime) -> Inspection:
    team_draw = draws.commit(TEAM_PURPOSE, f"{campaign.reference}:{target.ref}", actor=actor)
    inspection = Inspection(campaign_id=campaign.id, city_id=campaign.city_id, target_kind=target.kind,
                            target_id=target.id, target_ref=target.ref, target_name=target.name[:300],
                            org_id=target.org_id, project_id=target.project_id, item_codes=codes,
                            team_draw_id=team_draw.id, created_at=now)
    db.session.add(inspection)
    db.session.flush()
    items = [i["name"] for i in campaign.items if i["code"] in codes]
    on_project(target.project_id, "inspection_drawn",
               {"inspection_id": inspection.id, "campaign": campaign.reference, "items": items,
                "target_draw_id": campaign.target_draw_id, "team_draw_id": team_draw.id},
               actor=actor, obj=inspection, action="inspection.drawn", after=inspection.snapshot())
    return inspection


def cancel_campaign(actor, campaign_id) -> Campaign:
    """Cancel a campaign before its targets are drawn (its seed is published)."""
    now = utcnow()
    with unit_of_work():
        campaign = lock(Campaign, campaign_id, NO_CAMPAIGN)
        if not policy.can_view_campaign(actor, campaign):
            raise NotFound(NO_CAMPAIGN)
        if not policy.can_manage_campaign(actor, campaign):
            raise PermissionDenied(N_("Only the campaign's inspection authority cancels it."))
        if campaign.status != PLANNED:
            raise Conflict(N_("Only a campaign whose targets are not drawn yet can be cancelled; this one is "
                              "%(status)s."), status=Term(campaign.status))
        before = campaign.snapshot()
        CAMPAIGN.apply(Campaign, campaign.id, "cancel", cancelled_at=now, updated_at=now)
        draws.cancel(campaign.target_draw_id, actor=actor)
        db.session.refresh(campaign)
        on_project(None, "", {}, actor=actor, obj=campaign, action="inspection_campaign.cancel", before=before,
                   after=campaign.snapshot())
    return campaign
