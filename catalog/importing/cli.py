"""`flask catalog import FILE --supplier CREDIT_CODE [--partial]` and `flask catalog export`;
added to the `catalog` group by `catalog.cli.register`."""
from __future__ import annotations

import sys

import click
from flask import current_app
from sqlalchemy import select

from core.extensions import db
from core.models import Organisation

from catalog import policy



def _supplier(credit_code: str) -> Organisation:
    org = db.session.execute(select(Organisation).filter_by(credit_code=credit_code.strip().upper())).scalar_one_or_none()
    if not policy.is_supplier_organisation(org):
        raise click.ClickException(f"No supplier with credit code {credit_code}.")
    return org


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--supplier", "credit_code", required=True, help="The supplier's unified social credit code.")
@click.option("--partial", is_flag=True, help="Write the good rows even when some rows fail.")
@click.option("--max-rows", type=int, default=None, help="Refuse files with more data rows (default 100,000).")
def import_command(file, credit_code, partial, max_rows):
    """Import products from a CSV or XLSX FILE (see docs/import-format.md). Exit 0 only on success."""
    from catalog.importing.runner import run_import

    supplier = _supplier(credit_code)
    max_rows = max_rows or current_app.config.get("IMPORT_MAX_ROWS")
    state = {"bar": None, "last": 0, "phase": None}
    show = sys.stderr.isatty()
    labels = {"check": "checking", "write": "writing"}

    def close_bar():
        if state["bar"] is not None:
            state["bar"].__exit__(None, None, None)
            state["bar"] = None

    def progress(done, total, phase):
        if phase == "scan":
            if show:
                click.echo(f"\rreading: {done:,} rows", nl=False, err=True)
            return
        if phase not in labels:
            return
        if state["phase"] != phase:
            close_bar()
            state["phase"], state["last"] = phase, 0
            if show:
                click.echo("", err=True)
            state["bar"] = click.progressbar(length=max(total, 1), label=labels[phase], file=sys.stderr,
                                             show_pos=True, show_percent=True)
            state["bar"].__enter__()
        state["bar"].update(done - state["last"])
        state["last"] = done

    try:
        result = run_import(file, supplier, None, partial=partial, max_rows=max_rows, progress=progress,
                            max_columns=current_app.config.get("IMPORT_MAX_COLUMNS"))
    finally:
        close_bar()
    for issue in result.issues:
        click.echo(str(issue), err=True)
    if result.issues_truncated:
        click.echo(f"... and {result.issues_truncated} more problems", err=True)
    click.echo(f"{result.rows} rows: {result.created} created, {result.updated} updated "
               f"({result.unchanged} unchanged), {result.failed_rows} failed" + ("" if result.written or not result.issues else "; nothing written"))
    if not result.ok:
        sys.exit(1)


@click.command("export")
@click.option("--supplier", "credit_code", required=True, help="The supplier's unified social credit code.")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
def export_command(credit_code, fmt, output):
    """Export a supplier's products in the import format (formula-like text neutralised)."""
    from catalog.exporting import export_to_file

    supplier = _supplier(credit_code)
    count = export_to_file(supplier, fmt, output)
    click.echo(f"{count} products written to {output}")
