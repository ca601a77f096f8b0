"""Projects through the services: register, validate, edit, see (SQLite and PostgreSQL)."""

import datetime as dt

import pytest

from core.errors import NotFound, PermissionDenied, ValidationError
from core.extensions import db
from procurement.projects.models import Project
from procurement.projects.services import create_project, get_project, update_project
from procurement.records.models import ProjectRecord
from procurement.records.services import verify_project
from tests.procurement.helpers import PROJECT_DATA, World, make_standard, new_project


@pytest.fixture
def world(app):
    make_standard()
    return World()


def kinds(project):
    return [r.kind for r in db.session.execute(
        db.select(ProjectRecord).where(ProjectRecord.project_id == project.id).order_by(ProjectRecord.seq)).scalars()]


def test_create_project_fixes_edition_and_records(world):
    p = new_project(world)
    assert p.stage == "budget" and p.city_id == world.city.id
    assert p.standard_edition.code == "2025" and p.standard_version.number == 1
    assert p.code.startswith("NAN-2026-")
    assert p.people[0].name == "Wang Li"
    assert kinds(p) == ["project_registered"]
    assert verify_project(p).ok


def test_project_before_any_edition_refused(app):
    make_standard(effective_from=dt.date(2025, 1, 1))
    w = World()
    with pytest.raises(ValidationError, match="No demand standard"):
        create_project(w.purchaser, PROJECT_DATA, registered_on=dt.date(2020, 1, 1))
    assert db.session.execute(db.select(Project)).first() is None


@pytest.mark.parametrize("field,value", [
    ("floor_area_m2", -5), ("floor_area_m2", 0), ("floor_area_m2", 10**9), ("floor_area_m2", "12.5"),
    ("floor_area_m2", "lots"), ("building_type", "castle"), ("green_star_target", 4), ("name", ""),
    ("name", "x" * 201), ("people", "Wang"), ("people", [{"role": "king", "name": "x"}]),
])
def test_bad_project_input(world, field, value):
    data = dict(PROJECT_DATA, **{field: value})
    with pytest.raises(ValidationError) as exc:
        create_project(world.purchaser, data)
    assert any(k.startswith(field) for k in exc.value.fields)
    assert db.session.execute(db.select(Project)).first() is None


def test_only_purchasers_of_verified_organisations_create(world):
    for user in (world.finance, world.centre, world.inspector):
        with pytest.raises(PermissionDenied):
            create_project(user, PROJECT_DATA)
    world.purchaser_org.status = "pending"
    db.session.commit()
    with pytest.raises(PermissionDenied):
        create_project(world.purchaser, PROJECT_DATA)


def test_update_records_changes_and_other_purchaser_cannot(world):
    p = new_project(world)
    update_project(world.purchaser, p.id, {"floor_area_m2": 15000})
    assert kinds(p) == ["project_registered", "project_updated"]
    other = World("nanjing")  # same city, another purchaser organisation
    with pytest.raises(NotFound):
        update_project(other.purchaser, p.id, {"name": "Mine now"})
    with pytest.raises(NotFound):
        get_project(other.purchaser, p.id)
    with pytest.raises(PermissionDenied):
        update_project(world.finance, p.id, {"name": "Finance edit"})
    assert db.session.get(Project, p.id).name == PROJECT_DATA["name"]
