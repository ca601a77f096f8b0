"""Categories and demand standards: seeding, version selection, city resolution, copy-on-write
versions, immutability, category admin, JSON API and pages."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from core import roles as R
from core.errors import ValidationError
from core.extensions import db
from core.models import AuditEvent
from tests.factories import api_token, auth_header, login, make_city, make_role_user

from catalog.models.standards import (
    Category, CategoryRequirement, ImmutableVersionError, IndicatorRule, StandardEdition, StandardVersion,
)
from catalog.services import standard_versions as versions
from catalog.services import standards as svc
from catalog.services.category_admin import update_category
from catalog.standards_seed import seed_standards


def admin_user():
    return make_role_user(R.PLATFORM_ADMIN)


CITIES = ("nanjing", "hangzhou", "shaoxing", "huzhou", "qingdao", "foshan")
D2024 = dt.date(2024, 6, 1)
D2025 = dt.date(2025, 6, 1)


@pytest.fixture
def seeded(app):
    for code in CITIES:
        make_city(code)
    summary = seed_standards()
    db.session.commit()
    return summary


def _u(category, city, at):
    version, rules = svc.rules_for(category, city, at=at)
    return version, {r.key: r for r in rules}


def test_seed_counts_and_idempotence(seeded):
    assert seeded["groups"] == 6 and seeded["categories"] == 51 and seeded["editions"] == 2 and seeded["versions"] == 2
    assert db.session.scalar(select(func.count()).select_from(Category)) == 51
    again = seed_standards()
    db.session.commit()
    assert again == {"groups": 0, "categories": 0, "editions": 0, "versions": 0, "rules": 0}
    assert db.session.scalar(select(func.count()).select_from(IndicatorRule)) == seeded["rules"]
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "standards.seed")) == 1


def test_seed_keeps_admin_edits(seeded):
    cat = svc.get_category("stone")
    update_category(cat.id, {"name_en": "Natural stone"}, actor=admin_user())
    seed_standards()
    db.session.commit()
    assert svc.get_category("stone").name_en == "Natural stone"


def test_at_least_twelve_required_categories_have_green_and_quality_rules(seeded):
    version = svc.current_version("2025", D2025)
    required = ["energy_saving_glass", "windows_doors", "thermal_insulation_systems", "wall_coatings",
                "architectural_ceramics", "ready_mixed_concrete", "waterproof_membranes", "steel_members",
                "paper_faced_gypsum_board", "stone", "masonry", "sealants"]
    for code in required:
        kinds = {r.kind for r in svc.version_rules(version, svc.get_category(code))}
        assert kinds, code
    all_kinds = {r.kind for code in required for r in svc.version_rules(version, svc.get_category(code))}
    assert all_kinds == {"green", "quality"}


def test_version_by_date(seeded):
    assert svc.applicable_version(D2024).edition.code == "2022"
    assert svc.applicable_version(D2025).edition.code == "2025"
    assert svc.applicable_version(dt.date(2020, 1, 1)) is None
    assert svc.current_version("2025", dt.date(2024, 12, 31)) is None
    assert svc.current_version("2022", D2025).edition.code == "2022"


def test_window_u_value_differs_by_city(seeded):
    _v, qingdao = _u("windows_doors", "qingdao", D2025)
    _v, nanjing = _u("windows_doors", "nanjing", D2025)
    _v, foshan = _u("windows_doors", "foshan", D2025)
    assert qingdao["u_value"].limit == 3.0 and qingdao["u_value"].climate_zone == "cold_a"
    assert nanjing["u_value"].limit == 3.5 and nanjing["u_value"].climate_zone == "hscw_a"
    assert foshan["u_value"].limit == 4.0
    # the Foshan-only city rule applies only there
    assert "shgc" in foshan and foshan["shgc"].city_code == "foshan"
    assert "shgc" not in qingdao and "shgc" not in nanjing


def test_rules_for_accepts_ids_codes_and_on_alias(seeded):
    cat = svc.get_category("wall_coatings")
    city = svc.get_city("hangzhou")
    a = svc.rules_for(cat, city, at=D2025)
    b = svc.rules_for("wall_coatings", "hangzhou", on=D2025)
    c = svc.rules_for(cat.id, city.id, at=D2025)
    assert a[0].id == b[0].id == c[0].id
    assert [r.key for r in a[1]] == [r.key for r in b[1]] == [r.key for r in c[1]]
    voc = {r.key: r for r in a[1]}["voc"]
    assert voc.limit == 80 and voc.unit == "g/L" and voc.test_standard == "GB 18582-2020"


def test_edition_parameters_and_requirements(seeded):
    assert svc.get_edition("2025").optional_green_share_min == pytest.approx(0.40)
    assert svc.get_edition("2022").optional_green_share_min is None
    assert svc.requirement_for("ready_mixed_concrete", D2025) == "mandatory"
    assert svc.requirement_for("led_lighting", D2025) == "optional"
    assert svc.requirement_for("led_lighting", D2024) == "mandatory"
    assert svc.optional_green_share_min(D2025) == pytest.approx(0.40)


def test_insulation_fire_class_stricter_in_2025(seeded):
    _v, r22 = _u("thermal_insulation_systems", "nanjing", D2024)
    _v, r25 = _u("thermal_insulation_systems", "nanjing", D2025)
    assert (r22["fire_class"].limit, r25["fire_class"].limit) == ("B1", "A")
    assert r25["fire_class"].scale == ("A", "B1", "B2", "B3")


def test_published_version_is_immutable(seeded):
    version = svc.current_version("2025", D2025)
    rule = db.session.execute(select(IndicatorRule).where(IndicatorRule.version_id == version.id)).scalars().first()
    rule.limit = 999
    with pytest.raises(ImmutableVersionError):
        db.session.flush()
    db.session.rollback()
    version = svc.current_version("2025", D2025)
    version.effective_from = dt.date(2030, 1, 1)
    with pytest.raises(ImmutableVersionError):
        db.session.flush()
    db.session.rollback()
    req = db.session.execute(select(CategoryRequirement)).scalars().first()
    db.session.delete(req)
    with pytest.raises(ImmutableVersionError):
        db.session.flush()
    db.session.rollback()


def test_create_new_version_copy_on_write(seeded):
    today = dt.date(2026, 3, 1)
    old = svc.current_version("2025", today)
    old_rules = {(r.key, r.scope): r.limit for r in svc.version_rules(old, svc.get_category("windows_doors"))}
    new = versions.create_new_version(
        "2025", dt.date(2026, 4, 1), today=today, note="Qingdao tightens U",
        rule_changes=[{"category": "windows_doors", "key": "u_value", "city_code": "qingdao", "comparison": "<=",
                       "limit": 2.5, "unit": "W/(m2.K)", "kind": "green", "name_en": "Thermal transmittance U"},
                      {"category": "taps", "key": "flow_rate", "remove": True},
                      {"category": "wall_coatings", "key": "voc", "comparison": "<=", "limit": 60, "unit": "g/L",
                       "kind": "green", "test_standard": "GB 18582-2020"}],
        requirement_changes={"led_lighting": "mandatory"})
    assert new.number == 2 and new.status == "in_force" and new.based_on_id == old.id
    # old version untouched and still used before the new effective date
    assert {(r.key, r.scope): r.limit for r in svc.version_rules(old, svc.get_category("windows_doors"))} == old_rules
    v, before = _u("windows_doors", "qingdao", dt.date(2026, 3, 31))
    assert v.id == old.id and before["u_value"].limit == 3.0
    v, after = _u("windows_doors", "qingdao", dt.date(2026, 4, 1))
    assert v.id == new.id and after["u_value"].limit == 2.5 and after["u_value"].city_code == "qingdao"
    _v, nanjing = _u("windows_doors", "nanjing", dt.date(2026, 4, 1))
    assert nanjing["u_value"].limit == 3.5
    _v, taps = _u("taps", "nanjing", dt.date(2026, 4, 1))
    assert "flow_rate" not in taps
    assert svc.requirement_for("led_lighting", dt.date(2026, 4, 1)) == "mandatory"
    assert svc.requirement_for("led_lighting", dt.date(2026, 3, 1)) == "optional"
    ev = db.session.execute(select(AuditEvent).where(AuditEvent.action == "standard.version_create")).scalar_one()
    changes = ev.after["rule_changes"]
    assert ev.after["number"] == 2 and changes[0]["before"] is None and changes[0]["after"]["limit"] == 2.5
    assert changes[1]["removed"]["key"] == "flow_rate"
    assert changes[2]["before"]["limit"] == 80 and changes[2]["after"]["limit"] == 60
    _v, coat = _u("wall_coatings", "foshan", dt.date(2026, 4, 1))
    assert coat["voc"].limit == 60 and "free_formaldehyde" in coat  # untouched rules were copied


@pytest.mark.parametrize("kwargs, field", [
    ({"effective_from": dt.date(2026, 2, 1), "rule_changes": [{"category": "taps", "key": "flow_rate", "remove": True}]}, "effective_from"),
    ({"effective_from": dt.date(2026, 4, 1), "rule_changes": []}, "rules"),
    ({"effective_from": dt.date(2026, 4, 1), "rule_changes": [{"category": "nope", "key": "x", "comparison": "<=", "limit": 1}]}, "rules.0.category"),
    ({"effective_from": dt.date(2026, 4, 1), "rule_changes": [{"category": "taps", "key": "flow_rate", "comparison": "<=", "limit": "lots"}]}, "rules.0"),
    ({"effective_from": dt.date(2026, 4, 1), "rule_changes": [{"category": "taps", "key": "flow_rate", "climate_zone": "arctic", "comparison": "<=", "limit": 1}]}, "rules.0.climate_zone"),
    ({"effective_from": dt.date(2026, 4, 1), "requirement_changes": {"taps": "sometimes"}}, "requirements.taps"),
])
def test_create_new_version_rejects_bad_input(seeded, kwargs, field):
    with pytest.raises(ValidationError) as exc:
        versions.create_new_version("2025", today=dt.date(2026, 3, 1), **kwargs)
    assert field in exc.value.fields
    assert db.session.scalar(select(func.count()).select_from(StandardVersion)) == 2


def test_superseded_label_after_successor_takes_effect(seeded):
    versions.create_new_version("2025", dt.date(2026, 4, 1), today=dt.date(2026, 3, 1),
                           rule_changes=[{"category": "taps", "key": "flow_rate", "remove": True}])
    assert versions.mark_superseded(dt.date(2026, 3, 15)) == 0
    assert versions.mark_superseded(dt.date(2026, 4, 2)) == 1
    first = db.session.execute(select(StandardVersion).join(StandardEdition)
                               .where(StandardEdition.code == "2025", StandardVersion.number == 1)).unique().scalar_one()
    assert first.status == "superseded"
    # superseded versions still answer for dates they covered
    assert svc.current_version("2025", dt.date(2025, 6, 1)).id == first.id


def test_update_category_validates_and_audits(seeded):
    cat = svc.get_category("stone")
    with pytest.raises(ValidationError) as exc:
        update_category(cat.id, {"name_en": "  ", "default_unit": "x" * 40}, actor=admin_user())
    assert set(exc.value.fields) == {"name_en", "default_unit"}
    update_category(cat.id, {"name_zh": "天然石材", "default_unit": "m2"}, actor=admin_user())
    ev = db.session.execute(select(AuditEvent).where(AuditEvent.action == "category.update")).scalar_one()
    assert ev.before["name_zh"] == "石材" and ev.after["name_zh"] == "天然石材"


# ----------------------------------------------------------------------------- API

def test_api_categories(client, seeded):
    body = client.get("/api/v1/categories").get_json()
    assert body["count"] == 51 and len(body["groups"]) == 6
    cats = {c["code"]: c for g in body["groups"] for c in g["categories"]}
    assert cats["ready_mixed_concrete"]["requirements"]["2025"] == "mandatory"
    assert cats["energy_saving_glass"]["name_zh"] == "节能玻璃"


def test_api_standards_and_resolved_rules(client, seeded):
    body = client.get("/api/v1/standards").get_json()
    assert [e["code"] for e in body["editions"]] == ["2022", "2025"]
    assert body["editions"][1]["optional_green_share_min"] == pytest.approx(0.4)
    r = client.get("/api/v1/standards/2025/categories/windows_doors?city=qingdao")
    assert r.status_code == 200
    rules = {x["key"]: x for x in r.get_json()["rules"]}
    assert rules["u_value"]["limit"] == 3.0 and rules["u_value"]["scope"] == "climate_zone"
    assert r.get_json()["city"]["climate_zone"] == "cold_a"
    unresolved = client.get("/api/v1/standards/2025/categories/windows_doors").get_json()
    assert len([x for x in unresolved["rules"] if x["key"] == "u_value"]) > 1 and unresolved["resolved"] is False
    old = client.get("/api/v1/standards/2025/categories/windows_doors?city=foshan&at=2024-01-01")
    assert old.status_code == 404


@pytest.mark.parametrize("url, status", [
    ("/api/v1/standards/1999/categories/windows_doors", 404),
    ("/api/v1/standards/2025/categories/nope", 404),
    ("/api/v1/standards/2025/categories/windows_doors?city=atlantis", 404),
    ("/api/v1/standards/2025/categories/windows_doors?at=yesterday", 400),
])
def test_api_bad_input(client, seeded, url, status):
    r = client.get(url)
    assert r.status_code == status and r.get_json()["error"]["message"]


def test_api_with_token(client, seeded):
    user = make_role_user(R.PURCHASER)
    r = client.get("/api/v1/categories", headers=auth_header(api_token(user)))
    assert r.status_code == 200


def test_openapi_lists_standards_endpoints(client, seeded):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for p in ("/categories", "/standards", "/standards/{edition}/categories/{code}"):
        assert "get" in paths[p]


# ----------------------------------------------------------------------------- pages

def test_category_page_lists_groups(client, seeded):
    html = client.get("/categories").get_data(as_text=True)
    assert "Ready-mixed concrete" in html and "Envelope and concrete" in html and "mandatory" in html


def test_standard_page_table_per_city(client, seeded):
    r = client.get("/standards/2025/categories/windows_doors")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "&lt;= 3 W/(m2.K)" in html and "&lt;= 3.5 W/(m2.K)" in html and "Qingdao" in html and "Foshan" in html
    assert client.get("/standards").status_code == 200
    assert client.get("/standards/2025/categories/nope").status_code == 404


def test_admin_category_edit(client, seeded):
    cat = svc.get_category("sealants")
    url = f"/admin/categories/{cat.id}/edit"
    supplier = make_role_user(R.SUPPLIER)
    login(client, supplier)
    assert client.get(url).status_code == 403
    client.post("/logout")
    admin = make_role_user(R.PLATFORM_ADMIN)
    login(client, admin)
    assert client.get(url).status_code == 200
    bad = client.post(url, data={"name_en": "", "name_zh": "密封胶", "default_unit": "kg"})
    assert bad.status_code == 200 and "is-invalid" in bad.get_data(as_text=True)
    ok = client.post(url, data={"name_en": "Building sealants", "name_zh": "建筑密封胶", "default_unit": "kg"})
    assert ok.status_code == 302
    db.session.expire_all()
    assert svc.get_category("sealants").name_en == "Building sealants"
    ev = db.session.execute(select(AuditEvent).where(AuditEvent.action == "category.update")).scalar_one()
    assert ev.actor_id == admin.id


def test_cli_new_standard_version(app, seeded, tmp_path):
    import json

    changes = tmp_path / "changes.json"
    changes.write_text(json.dumps({"rules": [{"category": "wall_coatings", "key": "voc", "comparison": "<=", "limit": 50,
                                              "unit": "g/L", "kind": "green"}]}), encoding="utf-8")
    runner = app.test_cli_runner()
    future = (svc.today_cn() + dt.timedelta(days=30)).isoformat()
    ok = runner.invoke(args=["catalog", "new-standard-version", "2025", "--effective-from", future,
                             "--changes", str(changes), "--note", "VOC 50"])
    assert ok.exit_code == 0, ok.output
    assert "version 2 (in_force)" in ok.output
    _v, coat = _u("wall_coatings", "nanjing", dt.date.fromisoformat(future))
    assert coat["voc"].limit == 50
    bad = runner.invoke(args=["catalog", "new-standard-version", "2025", "--effective-from", "2000-01-01",
                              "--changes", str(changes)])
    assert bad.exit_code != 0 and "effective_from" in bad.output
    changes.write_text("{not json", encoding="utf-8")
    broken = runner.invoke(args=["catalog", "new-standard-version", "2025", "--effective-from", future, "--changes", str(changes)])
    assert broken.exit_code != 0 and "not valid JSON" in broken.output


def test_draft_version_is_editable_and_applies_only_once_published(seeded):
    today = dt.date(2026, 3, 1)
    draft = versions.create_new_version("2025", dt.date(2026, 4, 1), today=today, publish=False,
                                   rule_changes=[{"category": "taps", "key": "flow_rate", "comparison": "<=", "limit": 0.1,
                                                  "unit": "L/s", "kind": "green"}])
    assert draft.status == "draft"
    assert svc.current_version("2025", dt.date(2026, 5, 1)).number == 1
    # a draft's rules may still be corrected in place
    rule = db.session.execute(select(IndicatorRule).where(IndicatorRule.version_id == draft.id,
                                                          IndicatorRule.key == "flow_rate")).scalar_one()
    rule.limit = 0.11
    db.session.commit()
    versions.publish_version(draft.id, today=today)
    v, taps = _u("taps", "qingdao", dt.date(2026, 5, 1))
    assert v.id == draft.id and taps["flow_rate"].limit == 0.11
    with pytest.raises(ValidationError):
        versions.publish_version(draft.id, today=today)
    rule = db.session.get(IndicatorRule, rule.id)
    rule.limit = 0.5
    with pytest.raises(ImmutableVersionError):
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "standard.version_publish")) == 1
