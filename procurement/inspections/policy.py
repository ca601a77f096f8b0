"""Who may do what with inspections (one function per rule; services enforce them, routes and
templates ask the same functions through `can(...)`).

- The inspectors of a city's inspection authority (role `inspector`, organisation kind
  `inspection_authority`) open campaigns for their city, draw targets and teams, record ties,
  issue rectification notices and re-inspect. Only the campaign's own authority (of the
  campaign's city) publishes results.
- A drawn team member records the results of their inspection.
- The inspected organisation sees its inspections and rectification notices and answers them.
- Platform staff see everything; the public sees published results only.
"""

from __future__ import annotations

from core import roles as R
from core.policy import has_role, is_platform, is_signed_in, organisation_of
from procurement.inspections.states import SEAT_ACTIVE


def authority_of(user):
    """The inspection authority `user` inspects for (role inspector in such an organisation), or None."""
    org = organisation_of(user)
    if has_role(user, R.INSPECTOR) and org is not None and org.kind == R.ORG_INSPECTION and org.city_id is not None:
        return org
    return None


def is_inspector(user) -> bool:
    return authority_of(user) is not None


def can_open_campaign(user) -> bool:
    """An inspector of a city's inspection authority opens campaigns for that city."""
    return authority_of(user) is not None


def can_manage_campaign(user, campaign) -> bool:
    """Inspectors of the campaign's own authority, which must be of the campaign's city."""
    org = authority_of(user)
    return org is not None and org.id == campaign.authority_org_id and org.city_id == campaign.city_id


def can_view_campaign(user, campaign) -> bool:
    return can_manage_campaign(user, campaign) or is_platform(user)


def is_team_member(user, inspection) -> bool:
    """`user` holds an active seat of the inspection's team."""
    uid = getattr(user, "id", None)
    return is_signed_in(user) and any(s.inspector_id == uid and s.status == SEAT_ACTIVE for s in inspection.seats)


def is_target(user, obj) -> bool:
    """`user` belongs to the inspected organisation (of an inspection or a rectification)."""
    return is_signed_in(user) and getattr(user, "organisation_id", None) == obj.org_id


def can_view_inspection(user, inspection) -> bool:
    return can_view_campaign(user, inspection.campaign) or is_team_member(user, inspection) or is_target(user, inspection)


def can_record_results(user, inspection) -> bool:
    """A member of the drawn team records the results."""
    return is_team_member(user, inspection)


def can_publish(user, inspection) -> bool:
    """Only the campaign's own city's inspection authority publishes a result."""
    return can_manage_campaign(user, inspection.campaign)


def can_recuse(user, inspection) -> bool:
    """The drawn inspector declares a conflict, or the authority takes them off the team."""
    return is_team_member(user, inspection) or can_manage_campaign(user, inspection.campaign)


def can_issue_rectification(user, inspection) -> bool:
    return is_team_member(user, inspection) or can_manage_campaign(user, inspection.campaign)


def is_sample_overseer(user, rectification) -> bool:
    """For a notice from a failed delivery sample: the project's site manager or an inspector of
    the project's city (those who send samples and record lab reports)."""
    from procurement.deliveries.policy import is_site_manager
    from procurement.projects.policy import is_city_official

    project = rectification.project
    return project is not None and (is_site_manager(user, project) or is_city_official(user, project, R.INSPECTOR))


def can_view_rectification(user, rectification) -> bool:
    if is_target(user, rectification) or is_platform(user):
        return True
    if rectification.inspection is None:
        from procurement.projects.policy import can_view_project

        return rectification.project is not None and can_view_project(user, rectification.project)
    return can_view_inspection(user, rectification.inspection)


def can_respond(user, rectification) -> bool:
    """Someone of the organisation the notice is addressed to (not an inspector)."""
    return is_target(user, rectification) and not is_inspector(user)


def can_reinspect(user, rectification) -> bool:
    """The inspection team or the campaign's authority; for a failed delivery sample, the site
    manager or the city's inspectors."""
    if rectification.inspection is None:
        return is_sample_overseer(user, rectification)
    return can_issue_rectification(user, rectification.inspection)


def can_record_tie(user, inspector) -> bool:
    """The inspector's own authority records their ties (or the inspector declares one)."""
    org = authority_of(user)
    return org is not None and org.id == getattr(inspector, "organisation_id", None)
