"""`flask catalog seed-standards` and `flask catalog new-standard-version`; added to the
`catalog` group by `catalog.cli.register`."""
import click

from core.extensions import db

from catalog.standards_seed import seed_standards


@click.command("seed-standards")
def seed_standards_command():
    """Create the 51 categories and the 2022/2025 demand standards if missing (idempotent)."""
    summary = seed_standards()
    db.session.commit()
    click.echo(", ".join(f"{k}: {v}" for k, v in summary.items()) + " created")


@click.command("new-standard-version")
@click.argument("edition")
@click.option("--effective-from", required=True, help="Date the new version applies from (YYYY-MM-DD, China date).")
@click.option("--changes", "changes_file", type=click.File("r", encoding="utf-8"), required=True,
              help='JSON: {"rules": [{"category", "key", ...rule fields or "remove": true}], "requirements": {code: "mandatory"|"optional"}}')
@click.option("--note", default="", help="Why the standard changes.")
@click.option("--draft", is_flag=True, help="Create a draft (publish later) instead of publishing at once.")
def new_standard_version_command(edition, effective_from, changes_file, note, draft):
    """Copy EDITION's current version into a new version with the given changes (published versions never change)."""
    import json

    from core.errors import ServiceError

    from catalog.services.standard_versions import create_new_version

    try:
        changes = json.load(changes_file)
    except ValueError as exc:
        raise click.ClickException(f"The changes file is not valid JSON: {exc}") from None
    if not isinstance(changes, dict):
        raise click.ClickException('The changes file must hold an object with "rules" and/or "requirements".')
    try:
        version = create_new_version(edition, effective_from, rule_changes=changes.get("rules") or [],
                                     requirement_changes=changes.get("requirements") or {}, note=note,
                                     publish=not draft)
    except ServiceError as exc:
        details = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
        raise click.ClickException(f"{exc.message} {details}".strip()) from None
    click.echo(f"edition {edition} version {version.number} ({version.status}) effective from "
               f"{version.effective_from.isoformat()}; run `flask catalog refresh-verdicts` once it applies")
