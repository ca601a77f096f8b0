"""`flask catalog expire` (the daily job: suspend products whose certificate lapsed, warn about
certificates expiring soon) and `flask catalog refresh-verdicts`; added to the `catalog` group by
`catalog.cli.register`."""
from __future__ import annotations


import click

from core.timeutil import parse_date, today_cn


@click.command("expire")
@click.option("--today", default=None, help="Run as of this date (YYYY-MM-DD); default: today.")
def expire_command(today):
    """Suspend listed products without a valid certificate, warn about certificates expiring
    within 30 days (once each), and notify the suppliers."""
    from catalog.services.product_expiry import run_daily

    try:
        day = parse_date(today) if today else today_cn()
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD", param_hint="--today") from None
    suspended, warned = run_daily(day)
    click.echo(f"{_count(suspended, 'product', 'products')} suspended, "
               f"{_count(warned, 'expiring certificate', 'expiring certificates')} warned about "
               f"as of {day.isoformat()}.")


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


@click.command("refresh-verdicts")
@click.option("--category", default=None, help="Only this category code.")
def refresh_verdicts_command(category):
    """Recompute every product's per-city verdict (after a new standard version takes effect)."""
    from sqlalchemy import select

    from catalog.models.standards import Category
    from catalog.services.product_queries import refresh_all_verdicts
    from core.extensions import db

    category_id = None
    if category:
        category_id = db.session.execute(select(Category.id).filter_by(code=category)).scalar_one_or_none()
        if category_id is None:
            raise click.BadParameter(f"no category {category!r}", param_hint="--category")
    with click.progressbar(length=1, label="Evaluating") as bar:
        def progress(done, total):
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        count = refresh_all_verdicts(category_id=category_id, progress=progress)
    click.echo(f"{_count(count, 'product', 'products')} evaluated.")
