"""Demo step (`flask demo seed`, last): publish the open data of everything the demo did."""

from __future__ import annotations

from core.services import unit_of_work
from procurement.opendata import publishing


def seed_open_data(ctx) -> None:
    """Follow the whole audit trail once: every published demo tender, opening, award notice,
    contract and call-off gets its releases (dated when each happened)."""
    with unit_of_work():
        publishing.follow_audit()
        publishing.arm()
