"""A failed lab sample opens a rectification notice against the supplier.

The notice is the inspections capability's own (`procurement.inspections.rectifications`, a
notice whose origin is the delivery sample instead of a campaign's inspection): the supplier
responds with evidence on the rectification pages, the site manager or the city's inspectors
re-inspect, and `inspections.gate.open_rectifications` keeps the construction -> acceptance gate
shut until it is closed. The sample keeps the notice's reference (`rectification_ref`).
"""

from __future__ import annotations

import datetime as dt

from core.validation import Errors


def clean_notice(data: dict, errors: Errors) -> tuple[str, dt.date | None]:
    """The notice's required actions and deadline from the lab report's input (into `errors`)."""
    from procurement.inspections.rectifications import clean_notice as clean

    return clean(data, errors)


def open_for_failed_sample(actor, project, delivery, sample, actions: str, deadline: dt.date, *,
                           now: dt.datetime) -> str:
    """Issue the notice for a failed sample (in the caller's transaction); its reference."""
    from procurement.inspections.rectifications import issue_for_sample

    return issue_for_sample(actor, project, delivery, sample, actions, deadline, now=now).reference
