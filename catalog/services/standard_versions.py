"""New versions of a demand standard (copy-on-write: published versions never change), their
publication, and marking versions superseded once a successor applies. Operator use cases
(`flask catalog new-standard-version`); one transaction with its audit event each."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core import audit
from core.errors import NotFound, ValidationError
from core.extensions import db
from core.i18n import N_
from core.services import unit_of_work
from core.timeutil import today_cn, utcnow

from catalog.models.standards import PUBLISHED_STATUSES, REQUIREMENTS, CategoryRequirement, IndicatorRule, StandardVersion
from catalog.rule_validation import clean_rule_change
from catalog.services.standards import (DATE_FORMAT, as_date, current_version, get_edition, latest_version,
                                        list_categories, list_editions, requirements)

NOT_CREATED = N_("The new version could not be created.")
NOTHING_TO_REMOVE = N_("No rule %(key)s (%(scope)s) for %(code)s to remove.")


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
        eff = as_date(effective_from)
    except ValidationError:
        eff = None
        errors["effective_from"] = DATE_FORMAT
    base = db.session.execute(
        select(StandardVersion).where(StandardVersion.edition_id == edition.id,
                                      StandardVersion.status.in_(PUBLISHED_STATUSES))
        .order_by(StandardVersion.effective_from.desc(), StandardVersion.number.desc()).limit(1)
    ).unique().scalar_one_or_none()
    if eff is not None:
        if eff < today:
            errors["effective_from"] = N_("A new version cannot take effect in the past.")
        elif base is not None and eff < base.effective_from:
            errors["effective_from"] = (N_("Must not be before the current version's date (%(date)s)."),
                                        {"date": base.effective_from.isoformat()})
    categories = {c.code: c for c in list_categories()}
    changes = []
    for n, change in enumerate(rule_changes or ()):
        cleaned = clean_rule_change(change, categories, errors, n)
        if cleaned is not None:
            changes.append(cleaned)
    req_changes = {}
    for code, req in (requirement_changes or {}).items():
        if code not in categories:
            errors[f"requirements.{code}"] = (N_("Unknown category '%(code)s'."), {"code": str(code)[:64]})
        elif req not in REQUIREMENTS:
            errors[f"requirements.{code}"] = N_("Either mandatory or optional.")
        else:
            req_changes[code] = req
    if not changes and not req_changes:
        errors.setdefault("rules", N_("A new version needs at least one change."))
    if errors:
        raise ValidationError(NOT_CREATED, errors)

    from catalog.standards_seed import rule_row

    with unit_of_work(N_("Another version of this edition was created at the same time; try again.")):
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
                    raise ValidationError(NOT_CREATED, {"rules": (
                        NOTHING_TO_REMOVE, {"key": key, "scope": scope, "code": code})})
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
            raise NotFound(N_("No such standard version."))
        if version.status != "draft":
            raise ValidationError(N_("Only a draft version can be published."), {"status": N_("Already published.")})
        if version.effective_from < today:
            raise ValidationError(N_("A version cannot take effect in the past."), {"effective_from": N_("In the past.")})
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
