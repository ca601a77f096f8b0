"""Demand standards and categories: which rules apply where and when, new versions, category edits.

Dates are China calendar dates: an edition "effective 2025-01-01" starts at midnight in Beijing,
so "today" is computed in Asia/Shanghai. A version applies from its ``effective_from`` until a
later published version of the same edition takes over; editions take over from each other in
the same way. Drafts never apply.
"""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core import audit
from core.errors import NotFound, ValidationError
from core.extensions import db
from core.models import CLIMATE_ZONES, City
from core.services import unit_of_work
from core.timeutil import utcnow

from catalog import compliance, units
from catalog.models.standards import (
    PUBLISHED_STATUSES,
    REQUIREMENTS,
    Category,
    CategoryGroup,
    CategoryRequirement,
    IndicatorRule,
    StandardEdition,
    StandardVersion,
)

CHINA = ZoneInfo("Asia/Shanghai")
_CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def today_cn() -> dt.date:
    """Today's date in China (effective dates are Beijing dates)."""
    return dt.datetime.now(CHINA).date()


def _as_date(at) -> dt.date:
    if at is None:
        return today_cn()
    if isinstance(at, dt.datetime):
        return (at.astimezone(CHINA) if at.tzinfo else at).date()
    if isinstance(at, dt.date):
        return at
    try:
        return dt.date.fromisoformat(str(at))
    except ValueError:
        raise ValidationError("Dates are written YYYY-MM-DD.", {"at": "Dates are written YYYY-MM-DD."}) from None


# --------------------------------------------------------------------------- lookups


def list_groups() -> list[CategoryGroup]:
    """Category groups in catalogue order, categories loaded."""
    groups = db.session.execute(select(CategoryGroup).order_by(CategoryGroup.position)).scalars().all()
    return list(groups)


def list_categories() -> list[Category]:
    return list(db.session.execute(
        select(Category).join(CategoryGroup).order_by(CategoryGroup.position, Category.position)).unique().scalars())


def get_category(category) -> Category:
    """A Category from an instance, an id or a code; NotFound otherwise."""
    if isinstance(category, Category):
        return category
    found = None
    if isinstance(category, int):
        found = db.session.get(Category, category)
    elif isinstance(category, str):
        found = db.session.execute(select(Category).filter_by(code=category.strip())).unique().scalar_one_or_none()
    if found is None:
        raise NotFound(f"No category {category!r}.")
    return found


def get_city(city) -> City:
    if isinstance(city, City):
        return city
    found = None
    if isinstance(city, int):
        found = db.session.get(City, city)
    elif isinstance(city, str):
        found = db.session.execute(select(City).filter_by(code=city.strip().lower())).scalar_one_or_none()
    if found is None:
        raise NotFound(f"No city {city!r}.")
    return found


def list_editions() -> list[StandardEdition]:
    return list(db.session.execute(select(StandardEdition).order_by(StandardEdition.effective_from)).scalars())


def get_edition(code: str) -> StandardEdition:
    edition = db.session.execute(select(StandardEdition).filter_by(code=str(code))).scalar_one_or_none()
    if edition is None:
        raise NotFound(f"No standard edition {code!r}.")
    return edition


def current_version(edition_code: str | StandardEdition, at=None) -> StandardVersion | None:
    """The published version of an edition in force on date ``at`` (default: today in China).

    The latest ``effective_from`` not after ``at`` wins; between equal dates the higher number.
    """
    edition = edition_code if isinstance(edition_code, StandardEdition) else get_edition(edition_code)
    day = _as_date(at)
    return db.session.execute(
        select(StandardVersion)
        .where(StandardVersion.edition_id == edition.id, StandardVersion.status.in_(PUBLISHED_STATUSES),
               StandardVersion.effective_from <= day)
        .order_by(StandardVersion.effective_from.desc(), StandardVersion.number.desc())
        .limit(1)
    ).unique().scalar_one_or_none()


def latest_version(edition: StandardEdition) -> StandardVersion | None:
    """The highest-numbered version of an edition, published or draft."""
    return db.session.execute(
        select(StandardVersion).where(StandardVersion.edition_id == edition.id)
        .order_by(StandardVersion.number.desc()).limit(1)).unique().scalar_one_or_none()


def applicable_version(at=None, edition=None) -> StandardVersion | None:
    """The version in force on ``at``: of ``edition`` if given, else of the newest edition in force."""
    if edition is not None:
        return current_version(edition, at)
    day = _as_date(at)
    for ed in sorted(list_editions(), key=lambda e: e.effective_from, reverse=True):
        if ed.effective_from <= day:
            version = current_version(ed, day)
            if version is not None:
                return version
    return None


def version_rules(version: StandardVersion, category: Category) -> list[compliance.Rule]:
    """All rules of a version for a category (every scope, unresolved), in seed order."""
    rows = db.session.execute(
        select(IndicatorRule).where(IndicatorRule.version_id == version.id, IndicatorRule.category_id == category.id)
        .order_by(IndicatorRule.position, IndicatorRule.id)).scalars()
    return [r.to_rule() for r in rows]


def rules_for(category, city, at=None, edition=None, *, on=None) -> tuple[StandardVersion | None, list[compliance.Rule]]:
    """(version, rules) that apply to ``category`` in ``city`` on date ``at`` (``on`` is an alias).

    Rules are resolved for the city (city override > climate-zone override > base). Without a
    version in force the result is ``(None, [])``. ``category``/``city`` may be objects, ids or codes.
    """
    cat = get_category(category)
    place = get_city(city)
    version = applicable_version(at if at is not None else on, edition)
    if version is None:
        return None, []
    return version, compliance.resolve_rules(version_rules(version, cat), place.code, place.climate_zone)


def requirement_for(category, at=None, edition=None) -> str | None:
    """``mandatory`` / ``optional`` for a category under the version in force (None: not listed)."""
    cat = get_category(category)
    version = applicable_version(at, edition)
    if version is None:
        return None
    return db.session.execute(
        select(CategoryRequirement.requirement).where(CategoryRequirement.version_id == version.id,
                                                      CategoryRequirement.category_id == cat.id)).scalar_one_or_none()


def requirements(version: StandardVersion) -> dict[str, str]:
    """``{category code: mandatory|optional}`` for a version."""
    rows = db.session.execute(
        select(Category.code, CategoryRequirement.requirement).join(Category, Category.id == CategoryRequirement.category_id)
        .where(CategoryRequirement.version_id == version.id)).all()
    return {code: req for code, req in rows}


def optional_green_share_min(at=None, edition=None) -> float | None:
    """The edition-wide minimum green share of optional material kinds (0.40 in 2025), if any."""
    version = applicable_version(at, edition)
    return None if version is None else version.edition.optional_green_share_min


def rule_units(category, at=None, edition=None) -> dict[str, str]:
    """``{indicator key: unit}`` over every scope of the applicable version (for input checks)."""
    cat = get_category(category)
    version = applicable_version(at, edition)
    if version is None:
        return {}
    out: dict[str, str] = {}
    for rule in version_rules(version, cat):
        out.setdefault(rule.key, rule.unit)
    return out


# --------------------------------------------------------------------------- new versions


def _clean_rule_change(change: dict, categories: dict[str, Category], errors: dict, n: int) -> tuple | None:
    prefix = f"rules.{n}"
    if not isinstance(change, dict):
        errors[prefix] = "Each change must be an object."
        return None
    code = str(change.get("category") or "").strip()
    if code not in categories:
        errors[f"{prefix}.category"] = f"Unknown category {code!r}."
        return None
    zone = change.get("climate_zone") or None
    city = change.get("city_code") or None
    if zone is not None and zone not in CLIMATE_ZONES:
        errors[f"{prefix}.climate_zone"] = f"Unknown climate zone {zone!r}."
        return None
    if city is not None and not _CODE_RE.match(str(city)):
        errors[f"{prefix}.city_code"] = "City codes are lower-case letters, digits and underscores."
        return None
    if zone and city:
        errors[f"{prefix}"] = "A rule is scoped to a climate zone or a city, not both."
        return None
    key = str(change.get("key") or "").strip()
    if not _CODE_RE.match(key):
        errors[f"{prefix}.key"] = "Indicator keys are lower-case letters, digits and underscores."
        return None
    if change.get("remove"):
        return (code, key, IndicatorRule.scope_for(zone, city), None)
    data = {k: change.get(k) for k in ("key", "name_en", "name_zh", "unit", "kind", "comparison", "limit", "scale",
                                       "test_standard", "confidence", "source") if change.get(k) is not None}
    data["key"] = key
    data.setdefault("kind", "quality")
    if zone:
        data["climate_zone"] = zone
    if city:
        data["city_code"] = city
    if data.get("unit") and units.is_known(data["unit"]):
        data["unit"] = units.canonical(data["unit"])
    try:
        compliance.validate_rule(_rule_of(data))
    except (compliance.RuleError, KeyError, TypeError) as exc:
        errors[prefix] = str(exc)
        return None
    return (code, key, IndicatorRule.scope_for(zone, city), data)


def _rule_of(data: dict) -> compliance.Rule:
    from catalog.standards_seed import rule_from_data

    return rule_from_data(data)


def create_new_version(edition_code: str, effective_from, *, actor=None, rule_changes=(), requirement_changes=None,
                       note: str = "", publish: bool = True, today: dt.date | None = None) -> StandardVersion:
    """Copy the edition's latest published version into a new version with the given changes.

    Published versions never change (copy-on-write). ``rule_changes`` is a list of rule objects
    in the seed JSON shape plus ``category`` (code); a change replaces the rule with the same
    category, key and scope (base / climate zone / city) or adds it; ``{"remove": true}`` deletes
    it. ``requirement_changes`` maps category code -> mandatory|optional. The new version applies
    from ``effective_from``, which may not be in the past nor before the current version's date.
    One transaction with its audit event.
    """
    today = today or today_cn()
    edition = get_edition(edition_code)
    errors: dict = {}
    try:
        eff = _as_date(effective_from)
    except ValidationError:
        eff = None
        errors["effective_from"] = "Dates are written YYYY-MM-DD."
    base = db.session.execute(
        select(StandardVersion).where(StandardVersion.edition_id == edition.id,
                                      StandardVersion.status.in_(PUBLISHED_STATUSES))
        .order_by(StandardVersion.effective_from.desc(), StandardVersion.number.desc()).limit(1)
    ).unique().scalar_one_or_none()
    if eff is not None:
        if eff < today:
            errors["effective_from"] = "A new version cannot take effect in the past."
        elif base is not None and eff < base.effective_from:
            errors["effective_from"] = f"Must not be before the current version's date ({base.effective_from.isoformat()})."
    categories = {c.code: c for c in list_categories()}
    changes = []
    for n, change in enumerate(rule_changes or ()):
        cleaned = _clean_rule_change(change, categories, errors, n)
        if cleaned is not None:
            changes.append(cleaned)
    req_changes = {}
    for code, req in (requirement_changes or {}).items():
        if code not in categories:
            errors[f"requirements.{code}"] = f"Unknown category {code!r}."
        elif req not in REQUIREMENTS:
            errors[f"requirements.{code}"] = "Either mandatory or optional."
        else:
            req_changes[code] = req
    if not changes and not req_changes:
        errors.setdefault("rules", "A new version needs at least one change.")
    if errors:
        raise ValidationError("The new version could not be created.", errors)

    from catalog.standards_seed import rule_row

    with unit_of_work("Another version of this edition was created at the same time; try again."):
        number = (latest_version(edition).number + 1) if latest_version(edition) else 1
        version = StandardVersion(edition=edition, edition_id=edition.id, number=number, effective_from=eff,
                                  status="draft", note=note or "", based_on_id=base.id if base else None)
        db.session.add(version)
        db.session.flush()
        by_id = {c.id: c for c in categories.values()}
        rules: dict[tuple, dict] = {}
        order: list[tuple] = []
        if base is not None:
            rows = db.session.execute(select(IndicatorRule).where(IndicatorRule.version_id == base.id)
                                      .order_by(IndicatorRule.position, IndicatorRule.id)).scalars()
            for row in rows:
                k = (by_id[row.category_id].code, row.key, row.scope)
                rules[k] = row.as_data()
                order.append(k)
        applied = []
        for code, key, scope, data in changes:
            k = (code, key, scope)
            if data is None:
                if k not in rules:
                    raise ValidationError("The new version could not be created.",
                                          {"rules": f"No rule {key} ({scope}) for {code} to remove."})
                before = rules.pop(k)
                order.remove(k)
                applied.append({"category": code, "key": key, "scope": scope, "removed": before})
            else:
                before = rules.get(k)
                if k not in rules:
                    order.append(k)
                rules[k] = data
                applied.append({"category": code, "key": key, "scope": scope, "before": before, "after": data})
        for position, k in enumerate(order, 1):
            db.session.add(rule_row(version, categories[k[0]], rules[k], position))
        reqs = requirements(base) if base is not None else {}
        reqs.update(req_changes)
        for code, req in reqs.items():
            db.session.add(CategoryRequirement(version_id=version.id, category_id=categories[code].id, requirement=req))
        db.session.flush()
        if publish:
            _publish(version, today)
        audit.record("standard.version_create", version, before=None if base is None else {"version_id": base.id},
                     after={"edition": edition.code, "number": number, "effective_from": eff.isoformat(),
                            "status": version.status, "rule_changes": applied, "requirement_changes": req_changes,
                            "note": note or ""}, actor=actor)
    return version


def _publish(version: StandardVersion, today: dt.date) -> None:
    version.status = "in_force"
    version.published_at = utcnow()
    if version.effective_from <= today:
        older = db.session.execute(
            select(StandardVersion).where(StandardVersion.edition_id == version.edition_id,
                                          StandardVersion.id != version.id, StandardVersion.status == "in_force",
                                          StandardVersion.effective_from <= version.effective_from)).unique().scalars()
        for old in older:
            old.status = "superseded"


def publish_version(version_id: int, *, actor=None, today: dt.date | None = None) -> StandardVersion:
    """Publish a draft version (it becomes immutable)."""
    today = today or today_cn()
    with unit_of_work():
        version = db.session.get(StandardVersion, version_id)
        if version is None:
            raise NotFound("No such standard version.")
        if version.status != "draft":
            raise ValidationError("Only a draft version can be published.", {"status": "Already published."})
        if version.effective_from < today:
            raise ValidationError("A version cannot take effect in the past.", {"effective_from": "In the past."})
        _publish(version, today)
        audit.record("standard.version_publish", version, after={"status": version.status}, actor=actor)
    return version


def mark_superseded(today: dt.date | None = None) -> int:
    """Label versions whose successor has taken effect as ``superseded`` (e.g. nightly). Returns count."""
    today = today or today_cn()
    count = 0
    with unit_of_work():
        for edition in list_editions():
            current = current_version(edition, today)
            if current is None:
                continue
            stale = db.session.execute(
                select(StandardVersion).where(StandardVersion.edition_id == edition.id,
                                              StandardVersion.status == "in_force",
                                              StandardVersion.id != current.id,
                                              StandardVersion.effective_from <= current.effective_from)).unique().scalars()
            for old in stale:
                old.status = "superseded"
                audit.record("standard.version_supersede", old, after={"status": "superseded", "by": current.id})
                count += 1
    return count


# --------------------------------------------------------------------------- category admin


def update_category(category_id: int, data: dict, *, actor=None) -> Category:
    """Edit a category's names and default unit (platform admins). One transaction with audit."""
    errors: dict = {}
    clean = {}
    for field, max_len, required in (("name_en", 200, True), ("name_zh", 200, True), ("default_unit", 32, False)):
        if field not in data:
            continue
        value = data.get(field)
        value = "" if value is None else str(value).strip()
        if required and not value:
            errors[field] = "This field is required."
        elif len(value) > max_len:
            errors[field] = f"At most {max_len} characters."
        elif any(ord(ch) < 32 for ch in value):
            errors[field] = "Contains control characters."
        else:
            clean[field] = value
    if errors:
        raise ValidationError("Please correct the highlighted fields.", errors)
    with unit_of_work():
        category = db.session.get(Category, category_id)
        if category is None:
            raise NotFound("No such category.")
        before = category.snapshot()
        for field, value in clean.items():
            setattr(category, field, value)
        after = category.snapshot()
        if after != before:
            audit.record("category.update", category, before=before, after=after, actor=actor)
    return category
