"""`flask ocds publish` (publish what the audit trail says happened; `--all` looks at every
process) and `flask ocds export DIR` (the bulk files: every release, every record, one release
package per day)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from core.services import unit_of_work
from procurement.opendata import packages, publishing

ocds_cli = AppGroup("ocds", help="OCDS open data: publish releases, export packages.")


@ocds_cli.command("publish")
@click.option("--all", "everything", is_flag=True, help="Look at every published process, not only the new events.")
def publish_command(everything):
    """Store the releases of what happened since the last publication."""
    with unit_of_work():
        stored = publishing.follow_audit()
        if everything:
            stored += publishing.publish_all()
        publishing.arm()
    click.echo(f"{stored} new releases")


def _write(path: Path, data: dict | bytes) -> None:
    """Write the file whole or not at all: a partial file is never left under its real name."""
    part = path.with_name(path.name + ".part")
    if isinstance(data, bytes):
        part.write_bytes(data)
    else:
        part.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    part.replace(path)


@ocds_cli.command("export")
@click.argument("directory", type=click.Path(path_type=Path))
def export_command(directory: Path):
    """Write DIRECTORY/releases.json, records.json, days/YYYY-MM-DD.json and ocds-bulk.zip
    (created if missing; existing files of those names are replaced)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "days").mkdir(exist_ok=True)
    except OSError as exc:
        raise click.ClickException(f"cannot write to {directory}: {exc.strerror or exc}") from exc
    with unit_of_work():
        publishing.follow_audit()
        publishing.arm()
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    base = f"{base}/ocds" if base else directory.resolve().as_uri()
    rows = packages.all_rows()
    try:
        _write(directory / "releases.json", packages.release_package(rows, f"{base}/releases.json"))
        _write(directory / "records.json", packages.record_package(rows, f"{base}/records.json"))
        day_count = 0
        for day, _count in packages.days():
            _write(directory / "days" / f"{day.isoformat()}.json",
                   packages.release_package(packages.day_rows(day), f"{base}/days/{day.isoformat()}.json"))
            day_count += 1
        _write(directory / "ocds-bulk.zip", packages.bulk_zip(f"{base}/bulk"))
    except OSError as exc:
        raise click.ClickException(f"cannot write to {directory}: {exc.strerror or exc}") from exc
    processes = len({r.ocid for r in rows})
    click.echo(f"{len(rows)} releases of {processes} processes, {day_count} days, written to {directory}")
