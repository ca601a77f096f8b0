"""A failed lab sample opens a rectification against the supplier.

Rectification notices of the inspections capability hang on an inspection (a campaign's drawn
target), which a site sample is not; so the failed sample itself is the rectification on the
delivery side: the delivery is rejected, the batch must be replaced, and the construction ->
acceptance gate stays shut until the line is accepted in full. Its reference is the sample's
(``SAMPLE-<id>``), shown on the record, the report and the API.
"""

from __future__ import annotations


def open_for_failed_sample(actor, project, delivery, sample, *, now) -> str:
    """Open the rectification for a failed sample (in the caller's transaction); its reference."""
    return f"SAMPLE-{sample.id}"
