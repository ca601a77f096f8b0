"""Demo: annual targets of every demo city for this year and last (through the real use case),
then a first refresh of the monthly figures, and the chronograph's refresh armed."""

from __future__ import annotations

from core import roles as R
from core.services import unit_of_work
from core.timeutil import today_cn
from procurement.oversight import refresh, targets


def seed_oversight(ctx) -> None:
    """Targets for each demo city (amounts scaled by a seeded draw), then refresh."""
    admin = ctx["users"][R.PLATFORM_ADMIN]
    rng = ctx["rng"]
    year = today_cn().year
    for code in sorted(ctx["cities"]):
        for y in (year - 1, year):
            targets.set_target(admin, {
                "city": code, "year": y, "green_amount_fen": rng.randrange(50, 400) * 1_000_000_00,
                "coverage_bp": rng.choice((6000, 7000, 8000)), "green_share_bp": rng.choice((4000, 6000, 7000)),
                "batch_share_bp": rng.choice((2000, 3000)), "prefab_share_bp": rng.choice((1500, 2500, 3000)),
                "note": "Demo target"})
    refresh.refresh_now(admin)
    with unit_of_work():
        refresh.arm()
