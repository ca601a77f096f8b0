"""Demo projects (`flask demo seed`, order 30): every city at some stage it can really reach, one
design refused by the 40 % rule and one budget returned by a finance office. Idempotent
(projects are found by name)."""

from __future__ import annotations


def seed_projects(ctx) -> None:
    from procurement.demo_data import seed

    seed(ctx)
