"""Who sees and changes a project: every role, own/other organisation, own/other city."""

import pytest

from core import roles as R
from procurement.budget.policy import can_review_budget, can_submit_budget
from procurement.design.policy import can_edit_bom
from procurement.machine.policy import available_transitions, can_request_transition
from procurement.machine.stages import classify
from procurement.projects.policy import can_edit_project, can_view_project, visible_projects_filter
from tests.factories import make_org, make_user
from tests.procurement.helpers import World, make_standard, new_project

# actor key -> expected (view, edit, submit_budget, review_budget, edit_bom-in-design,
#                        advance budget->design, return design->budget)
MATRIX = {
    "own_purchaser":       (True, True, True, False, True, True, False),
    "other_purchaser":     (False, False, False, False, False, False, False),
    "city_finance":        (True, False, False, True, False, False, True),
    "other_city_finance":  (False, False, False, False, False, False, False),
    "city_centre":         (True, False, False, False, False, False, False),
    "other_city_centre":   (False, False, False, False, False, False, False),
    "city_inspector":      (True, False, False, False, False, False, False),
    "platform_admin":      (True, False, False, False, False, False, False),
    "platform_reviewer":   (True, False, False, False, False, False, False),
    "supplier":            (False, False, False, False, False, False, False),
    "anonymous":           (False, False, False, False, False, False, False),
}


class Anonymous:
    is_authenticated = False

    def has_role(self, *names):
        return False


@pytest.fixture
def setup(app):
    make_standard()
    w = World("nanjing")
    q = World("qingdao")
    other = World("nanjing")
    platform = make_org(R.ORG_PLATFORM)
    actors = {
        "own_purchaser": w.purchaser, "other_purchaser": other.purchaser, "city_finance": w.finance,
        "other_city_finance": q.finance, "city_centre": w.centre, "other_city_centre": q.centre,
        "city_inspector": w.inspector,
        "platform_admin": make_user(platform, roles=(R.PLATFORM_ADMIN,)),
        "platform_reviewer": make_user(platform, roles=(R.PLATFORM_REVIEWER,)),
        "supplier": make_user(make_org(R.ORG_SUPPLIER), roles=(R.SUPPLIER,)), "anonymous": Anonymous(),
    }
    return new_project(w), actors


@pytest.mark.parametrize("who", list(MATRIX))
def test_permission_matrix(setup, who):
    project, actors = setup
    user = actors[who]
    view, edit, submit, review, bom, advance, ret = MATRIX[who]
    assert can_view_project(user, project) is view
    assert can_edit_project(user, project) is edit
    assert can_submit_budget(user, project) is submit
    assert can_review_budget(user, project) is review
    assert can_request_transition(user, project, classify("budget", "design")) is advance
    project.stage = "design"  # in-memory only, to ask about design-stage rights
    assert can_edit_bom(user, project) is bom
    assert can_request_transition(user, project, classify("design", "budget", "return")) is ret
    assert can_review_budget(user, project) is False  # review only in the budget stage


def test_city_officials_scope_per_return(setup):
    project, actors = setup
    project.stage = "procurement"
    t = classify("procurement", "design", "return")
    assert can_request_transition(actors["city_centre"], project, t)
    assert not can_request_transition(actors["other_city_centre"], project, t)
    project.stage = "acceptance"
    t = classify("acceptance", "construction", "return")
    assert can_request_transition(actors["city_inspector"], project, t)
    assert not can_request_transition(actors["own_purchaser"], project, t)


def test_list_filter_matches_view_policy(setup):
    from core.extensions import db
    from procurement.projects.models import Project

    project, actors = setup
    for who, user in actors.items():
        visible = db.session.execute(db.select(Project.id).where(visible_projects_filter(user))).scalars().all()
        assert (project.id in visible) is MATRIX[who][0], who


def test_closed_project_not_editable(setup):
    project, actors = setup
    project.stage = "closed"
    assert not can_edit_project(actors["own_purchaser"], project)
    assert available_transitions(actors["own_purchaser"], project) == []
