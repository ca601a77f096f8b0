"""Use cases for projects themselves: register, edit, find, list."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select

from core.errors import NotFound, PermissionDenied
from core.extensions import db
from core.services import unit_of_work
from procurement import policy
from procurement import standards as std
from procurement.models import BUILDING_TYPES, PERSON_ROLES, Budget, Project, ProjectPerson
from procurement.quantities import MAX_FLOOR_AREA_M2
from procurement.services.records import append_record, lock_project
from procurement.services.validation import Errors, choice, integer, text

MAX_PEOPLE = 20


def _clean_people(raw, errors: Errors) -> list[dict] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        errors.add("people", "Must be a list of {role, name, phone}.")
        return None
    if len(raw) > MAX_PEOPLE:
        errors.add("people", f"At most {MAX_PEOPLE} people.")
        return None
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            errors.add(f"people.{i}", "Must be an object with role, name and phone.")
            continue
        sub = Errors()
        role = choice(item, "role", sub, PERSON_ROLES)
        name = text(item, "name", sub, max_len=120)
        phone = text(item, "phone", sub, required=False, max_len=40)
        for k, v in sub.fields.items():
            errors.add(f"people.{i}.{k}", v)
        if not sub:
            out.append({"role": role, "name": name, "phone": phone})
    return out


def clean_project_data(data: dict, *, partial: bool = False) -> dict:
    """Validate project fields; returns only the fields given (all required unless ``partial``)."""
    if not isinstance(data, dict):
        Errors().raise_if_any()
    errors = Errors()
    clean: dict = {}

    def given(key):
        return not partial or key in data

    if given("name"):
        clean["name"] = text(data, "name", errors, required=True, max_len=200)
    if given("description"):
        clean["description"] = text(data, "description", errors, required=False, max_len=5000)
    if given("building_type"):
        clean["building_type"] = choice(data, "building_type", errors, BUILDING_TYPES, required=True)
    if given("floor_area_m2"):
        clean["floor_area_m2"] = integer(data, "floor_area_m2", errors, minimum=1, maximum=MAX_FLOOR_AREA_M2,
                                         required=True)
    if given("green_star_target"):
        clean["green_star_target"] = integer(data, "green_star_target", errors, minimum=0, maximum=3,
                                             required=False, default=None if partial else 1)
    if "people" in data:
        clean["people"] = _clean_people(data.get("people"), errors)
    errors.raise_if_any()
    return {k: v for k, v in clean.items() if v is not None or k == "people"}


def _set_people(project: Project, people: list[dict] | None) -> None:
    if people is None:
        return
    project.people.clear()
    for p in people:
        project.people.append(ProjectPerson(role=p["role"], name=p["name"], phone=p.get("phone", "")))


def create_project(actor, data: dict, *, registered_on: dt.date | None = None) -> Project:
    """Register a project for the actor's purchaser organisation in its city.

    The demand-standard edition in force on the registration date is fixed on the project.
    """
    if not policy.can_create_project(actor):
        raise PermissionDenied("Only a purchaser of a city's purchasing organisation can register projects.")
    clean = clean_project_data(data)
    org = actor.organisation
    registered_on = registered_on or dt.date.today()
    with unit_of_work():
        version = std.edition_in_force(org.city, registered_on)
        project = Project(
            code=f"tmp-{uuid.uuid4().hex}", name=clean["name"], description=clean.get("description", ""),
            purchaser_org_id=org.id, city_id=org.city_id, building_type=clean["building_type"],
            floor_area_m2=clean["floor_area_m2"], green_star_target=clean.get("green_star_target", 1),
            registered_on=registered_on, standard_edition_id=version.edition_id, standard_version_id=version.id,
            created_by_id=actor.id,
        )
        db.session.add(project)
        _set_people(project, clean.get("people") or [])
        db.session.flush()
        project.code = f"{org.city.code[:3].upper()}-{registered_on.year}-{project.id:05d}"
        db.session.flush()
        append_record(project, "project_registered", {"project": project.snapshot(),
                                                      "standard": std.edition_label(version)},
                      actor=actor, action="project.create", after=project.snapshot())
    return project


def update_project(actor, project_id, data: dict) -> Project:
    """Change a project's descriptive fields (not its city, organisation or edition)."""
    clean = clean_project_data(data, partial=True)
    with unit_of_work():
        project = lock_project(project_id)
        if not policy.can_view_project(actor, project):
            raise NotFound("No such project.")
        if not policy.can_edit_project(actor, project):
            raise PermissionDenied("You cannot edit this project.")
        before = project.snapshot()
        for key, value in clean.items():
            if key == "people":
                _set_people(project, value)
            else:
                setattr(project, key, value)
        db.session.flush()
        after = project.snapshot()
        changed = {k: {"from": before[k], "to": after[k]} for k in after if before.get(k) != after[k]}
        if changed:
            append_record(project, "project_updated", {"changes": changed}, actor=actor, action="project.update",
                          before=before, after=after)
    return project


def get_project(actor, project_id) -> Project:
    """The project if ``actor`` may see it; NotFound otherwise (no hint that it exists)."""
    try:
        pid = int(project_id)
    except (TypeError, ValueError):
        raise NotFound("No such project.") from None
    project = db.session.get(Project, pid)
    if project is None or not policy.can_view_project(actor, project):
        raise NotFound("No such project.")
    return project


def list_projects(actor, *, stage: str | None = None, budget_status: str | None = None, page: int = 1,
                  per_page: int = 25):
    """(projects, total) visible to ``actor``, newest first; optionally by stage or budget status
    (``submitted`` = awaiting the finance office's review)."""
    cond = policy.visible_projects_filter(actor)
    q = select(Project).where(cond)
    if stage:
        q = q.where(Project.stage == stage)
    if budget_status:
        q = q.where(Project.id.in_(select(Budget.project_id).where(Budget.status == budget_status)))
    total = db.session.execute(select(func.count()).select_from(q.subquery())).scalar_one()
    page = max(1, int(page or 1))
    per_page = min(max(1, int(per_page or 25)), 100)
    rows = db.session.execute(q.order_by(Project.id.desc()).offset((page - 1) * per_page).limit(per_page)).scalars().all()
    return rows, total
