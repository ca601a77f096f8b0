"""Use cases for projects themselves: register, edit, find, list."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from core.errors import NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.i18n import N_
from core.services import unit_of_work
from core.timeutil import today_cn
from core.validation import Errors, choice, integer, object_list, text
from procurement import standards as std
from procurement.budget.models import Budget
from procurement.projects import policy
from procurement.projects.models import BUILDING_TYPES, PERSON_ROLES, Project, ProjectPerson
from procurement.quantities import MAX_FLOOR_AREA_M2
from procurement.records.models import ProjectRecord
from procurement.records.services import append_record, lock_visible_project

MAX_PEOPLE = 20


def _clean_person(item: dict, errors: Errors) -> dict:
    return {"role": choice(item, "role", errors, PERSON_ROLES), "name": text(item, "name", errors, max_len=120),
            "phone": text(item, "phone", errors, required=False, max_len=40)}


def clean_project_data(data: dict, *, partial: bool = False) -> dict:
    """Validate project fields; returns only the fields given (all required unless ``partial``)."""
    if not isinstance(data, dict):
        raise ValidationError(N_("Please correct the marked fields."))
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
    if data.get("people") is not None:
        clean["people"] = object_list(data["people"], "people", errors, _clean_person, max_items=MAX_PEOPLE,
                                      not_a_list=N_("Must be a list of {role, name, phone}."),
                                      too_many=N_("At most %(n)s people."),
                                      not_an_object=N_("Must be an object with role, name and phone."))
    errors.raise_if_any()
    return {k: v for k, v in clean.items() if v is not None}


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
    registered_on = registered_on or today_cn()
    with unit_of_work():
        version = std.edition_in_force(registered_on)
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
        project = lock_visible_project(actor, project_id)
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
    q = select(Project).where(policy.visible_projects_filter(actor))
    if stage:
        q = q.where(Project.stage == stage)
    if budget_status:
        q = q.where(Project.id.in_(select(Budget.project_id).where(Budget.status == budget_status)))
    total = db.session.execute(select(func.count()).select_from(q.subquery())).scalar_one()
    page = max(1, int(page or 1))
    per_page = min(max(1, int(per_page or 25)), 100)
    rows = db.session.execute(q.order_by(Project.id.desc()).offset((page - 1) * per_page).limit(per_page)
                              .options(selectinload(Project.budget))).scalars().all()
    return rows, total


def latest_records(project, n: int = 5) -> list[ProjectRecord]:
    """The project's newest `n` records, oldest of them first (one query, however long the record)."""
    rows = db.session.execute(select(ProjectRecord).where(ProjectRecord.project_id == project.id)
                              .order_by(ProjectRecord.seq.desc()).limit(n)).scalars().all()
    return list(reversed(rows))


def count_in_stage(city_id: int, stage: str) -> int:
    """Projects of a city in `stage` (one query)."""
    return db.session.execute(select(func.count(Project.id)).where(Project.city_id == city_id,
                                                                    Project.stage == stage)).scalar_one()
