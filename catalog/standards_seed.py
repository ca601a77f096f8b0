"""Seed categories and demand standards from the versioned JSON files in `standards_data/`.

Idempotent: groups, categories and editions are created when missing (names an admin has edited
are left alone), and a standard version is created only if its edition does not have that version
number yet (published versions are immutable, so an existing one is never touched). Used by the
demo seed (`flask demo seed`), by `flask catalog seed-standards` and by tests.
"""
from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select

from core import audit
from core.extensions import db
from core.i18n import N_
from core.timeutil import utcnow

from catalog.models.standards import (
    Category,
    CategoryGroup,
    CategoryRequirement,
    IndicatorRule,
    StandardEdition,
    StandardVersion,
)
from catalog.rule_validation import rule_from_data, scope_of, validate_rule

DATA_DIR = Path(__file__).resolve().parent / "standards_data"
# The seed files' version note, marked for translation: pages show notes through gettext.
# (Migration 0011 rewrites the older, developer-facing note of databases seeded before.)
SEED_NOTE = N_("First version on the platform. Limits marked as platform defaults can be tightened in a later version.")
STANDARD_FILES = ("standard-2022.json", "standard-2025.json")


@lru_cache(maxsize=None)
def load_json(name: str) -> dict:
    """Parsed content of one seed file (cached: the files ship with the code)."""
    with open(DATA_DIR / name, encoding="utf-8") as fh:
        return json.load(fh)


def rule_row(version: StandardVersion, category: Category, data: dict, position: int) -> IndicatorRule:
    """Validate one rule (seed JSON shape) and build its row."""
    validate_rule(rule_from_data(data))
    return IndicatorRule(
        version=version, category_id=category.id, key=data["key"], name_en=data.get("name_en", ""),
        name_zh=data.get("name_zh", ""), unit=data.get("unit") or "", kind=data.get("kind", "quality"),
        comparison=data["comparison"], limit=data.get("limit"), scale=list(data["scale"]) if data.get("scale") else None,
        test_standard=data.get("test_standard", ""), climate_zone=data.get("climate_zone"),
        city_code=data.get("city_code"), confidence=data.get("confidence", ""), source=data.get("source", "")[:300],
        position=position,
        scope=scope_of(data.get("climate_zone"), data.get("city_code")),
    )


def _seed_categories(summary: dict) -> dict[str, Category]:
    data = load_json("categories.json")
    groups = {g.code: g for g in db.session.execute(select(CategoryGroup)).scalars()}
    for g in data["groups"]:
        if g["code"] not in groups:
            groups[g["code"]] = CategoryGroup(code=g["code"], name_en=g["name_en"], name_zh=g["name_zh"], position=g["position"])
            db.session.add(groups[g["code"]])
            summary["groups"] += 1
    db.session.flush()
    cats = {c.code: c for c in db.session.execute(select(Category)).unique().scalars()}
    for c in data["categories"]:
        if c["code"] not in cats:
            cats[c["code"]] = Category(code=c["code"], group=groups[c["group"]], name_en=c["name_en"], name_zh=c["name_zh"],
                                       default_unit=c["default_unit"], position=c["position"])
            db.session.add(cats[c["code"]])
            summary["categories"] += 1
    db.session.flush()
    return cats


def _seed_standard(doc: dict, cats: dict[str, Category], summary: dict) -> None:
    ed = doc["edition"]
    edition = db.session.execute(select(StandardEdition).filter_by(code=ed["code"])).scalar_one_or_none()
    if edition is None:
        edition = StandardEdition(code=ed["code"], title=ed["title"], title_zh=ed.get("title_zh", ""),
                                  effective_from=dt.date.fromisoformat(ed["effective_from"]),
                                  optional_green_share_min=ed.get("optional_green_share_min"), notes=doc.get("notes", ""))
        db.session.add(edition)
        db.session.flush()
        summary["editions"] += 1
    ver = doc["version"]
    exists = db.session.execute(
        select(StandardVersion.id).filter_by(edition_id=edition.id, number=ver["number"])).first()
    if exists:
        return
    version = StandardVersion(edition_id=edition.id, edition=edition, number=ver["number"],
                              effective_from=dt.date.fromisoformat(ver["effective_from"]),
                              status="draft", note=ver.get("note", ""))
    db.session.add(version)
    db.session.flush()
    for code, requirement in doc["requirements"].items():
        db.session.add(CategoryRequirement(version_id=version.id, category_id=cats[code].id, requirement=requirement))
    position = 0
    for code, rules in doc["rules"].items():
        for data in rules:
            position += 1
            db.session.add(rule_row(version, cats[code], data, position))
            summary["rules"] += 1
    db.session.flush()
    # Published last, after its rules exist: from here on the version is immutable.
    version.status = ver.get("status", "in_force")
    version.published_at = utcnow() if version.status != "draft" else None
    summary["versions"] += 1


def seed_standards(actor=None) -> dict:
    """Create missing groups, categories, editions and versions (no commit). Returns counts."""
    summary = {"groups": 0, "categories": 0, "editions": 0, "versions": 0, "rules": 0}
    cats = _seed_categories(summary)
    for name in STANDARD_FILES:
        _seed_standard(load_json(name), cats, summary)
    db.session.flush()
    if any(summary.values()):
        audit.record("standards.seed", object_type="standard_editions", object_id="seed", after=summary, actor=actor)
    return summary


def demo_seeder(ctx: dict) -> None:
    """`flask demo seed` step (order 10: before products)."""
    seed_standards()
