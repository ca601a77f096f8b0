"""`flask audit verify|checkpoint`, `flask users ...`, `flask mail send`, `flask calendar ...`
and `flask chronograph tick|list`."""
import sys

import click
from flask.cli import AppGroup

from core.extensions import db

audit_cli = AppGroup("audit", help="Audit trail.")
users_cli = AppGroup("users", help="Accounts.")


@audit_cli.command("verify")
@click.option("--checkpoint", "checkpoint_files", multiple=True, metavar="FILE",
              help="A saved checkpoint (latest.json) the chain must still extend; repeatable.")
@click.option("--public-key", "public_keys", multiple=True, metavar="BASE64",
              help="Also trust checkpoints signed by this Ed25519 public key; repeatable.")
def verify_command(checkpoint_files, public_keys):
    """Check the audit hash chain, its head and every signed checkpoint (stored, and each FILE).

    Exits 1 with one line naming the first problem.
    """
    from core import checkpoints

    try:
        files = [(path, checkpoints.read_file(path)) for path in checkpoint_files]
        report = checkpoints.verify(files, extra_keys=public_keys)
    except checkpoints.CheckpointError as exc:
        click.echo(f"CHECKPOINT INVALID: {exc}", err=True)
        sys.exit(1)
    if not report.ok:
        click.echo(f"AUDIT CHAIN BROKEN: {report.message}", err=True)
        sys.exit(1)
    held = f"; extends {report.anchors} signed checkpoint(s)" if report.anchors else "; no signed checkpoint yet"
    click.echo(f"{report.message}{held}")


@audit_cli.command("checkpoint")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
              help="Also write the signed checkpoint (the latest.json document) to FILE.")
def checkpoint_command(out):
    """Check the chain, then sign and store a checkpoint of its head (cron: hourly or daily).

    Writes nothing when the head has not moved since the latest checkpoint. Exits 1 with one
    line when the chain is broken or no signing key is available.
    """
    import json

    from core import checkpoints

    try:
        checkpoint, written = checkpoints.write_checkpoint()
    except checkpoints.CheckpointError as exc:
        click.echo(f"NO CHECKPOINT: {exc}", err=True)
        sys.exit(1)
    if checkpoint is None:
        click.echo("nothing to sign: the audit trail is empty")
        return
    what = "signed checkpoint" if written else "head unchanged; latest checkpoint is"
    click.echo(f"{what} #{checkpoint.id}: seq {checkpoint.seq}, head {checkpoint.head_hash}, key {checkpoint.key_id}")
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            json.dump(checkpoint.document(), fh, ensure_ascii=False, indent=2)
            fh.write("\n")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--org-id", type=int, required=True)
@click.option("--role", "roles", multiple=True, required=True)
@click.password_option()
def create_user_command(email, name, org_id, roles, password):
    """Create a user in an existing organisation."""
    from core.accounts import create_user
    from core.errors import ServiceError
    from core.models import Organisation

    org = db.session.get(Organisation, org_id)
    if org is None:
        raise click.UsageError(f"no organisation with id {org_id}")
    try:
        user = create_user(org, email=email, name=name, password=password, roles=roles)
    except ServiceError as exc:
        raise click.UsageError(f"{exc.message} {exc.fields or ''}") from None
    click.echo(f"created user {user.id} ({user.email})")


mail_cli = AppGroup("mail", help="E-mail outbox.")


@mail_cli.command("send")
def send_mail_command():
    """Send pending mail now (cron, or after an SMTP outage); exit 1 if some could not be sent."""
    from core.mail import send_pending

    counts = send_pending()
    click.echo(f"sent {counts['sent']}, failed {counts['failed']}, still pending {counts['pending']}")
    if counts["failed"] or counts["pending"]:
        sys.exit(1)


calendar_cli = AppGroup("calendar", help="Working-day calendar: State Council holidays and make-up working days.")


def _calendar_date(ctx, param, value):
    from datetime import date

    try:
        return date.fromisoformat(value.strip())
    except (AttributeError, ValueError):
        raise click.BadParameter(f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2027-02-06") from None


@calendar_cli.command("set")
@click.argument("day", metavar="DATE", callback=_calendar_date)
@click.option("--working/--holiday", "working", default=None,
              help="A working day (e.g. a make-up working weekend) or a holiday.")
@click.option("--name", default="", help="What the day is, e.g. 春节 or 'Spring Festival make-up day'.")
def calendar_set_command(day, working, name):
    """Override the calendar for DATE (YYYY-MM-DD): --working or --holiday.

    Wins over the chinese_calendar package and covers years it does not know; setting a day
    again replaces the earlier override (both are in the audit trail).
    """
    from core import workdays
    from core.errors import ServiceError

    if working is None:
        raise click.UsageError("say --working or --holiday")
    try:
        workdays.set_day(day, working=working, name=name)
    except ServiceError as exc:
        raise click.UsageError(exc.message) from None
    weekday = day.strftime("%a")
    click.echo(f"{day.isoformat()} ({weekday}) is now a {'working day' if working else 'holiday'}"
               + (f": {' '.join(name.split())}" if name.strip() else ""))


@calendar_cli.command("unset")
@click.argument("day", metavar="DATE", callback=_calendar_date)
def calendar_unset_command(day):
    """Remove the override of DATE: the package (or Monday to Friday) decides again."""
    from core import workdays

    if not workdays.unset_day(day):
        click.echo(f"{day.isoformat()} has no override")
        return
    answer = "a working day" if workdays.is_working_day(day) else "not a working day"
    click.echo(f"override of {day.isoformat()} removed; it is {answer} by the {workdays.load_calendar().source(day)} rule")


@calendar_cli.command("show")
@click.argument("year", type=click.IntRange(1900, 2999))
def calendar_show_command(year):
    """List YEAR's holidays on weekdays, working weekends and overrides, and where each comes from."""
    from datetime import date

    from core import workdays

    calendar = workdays.load_calendar()
    if calendar.covers(year):
        origin = "chinese_calendar package" if workdays.package_covers(year) else "overrides only"
        click.echo(f"{year}: holiday data from the {origin}")
    else:
        click.echo(f"{year}: NO HOLIDAY DATA: Monday to Friday assumed; add the State Council notice "
                   "with `flask calendar set`")
    for entry in workdays.year_listing(year, calendar=calendar):
        day = entry["day"]
        what = "working" if entry["working"] else "holiday"
        name = f"  {entry['name']}" if entry["name"] else ""
        click.echo(f"{day.isoformat()} {day.strftime('%a')}  {what:<7}  {entry['source']:<8}{name}")
    total = calendar.working_days_between(date(year - 1, 12, 31), date(year, 12, 31))
    click.echo(f"{total} working days")


chronograph_cli = AppGroup("chronograph", help="Deadlines: time-driven transitions (core.scheduler).")


@chronograph_cli.command("tick")
@click.option("--limit", type=click.IntRange(1, 100000), default=500, show_default=True,
              help="Run at most this many due deadlines.")
def chronograph_tick_command(limit):
    """Run the deadlines that are due now, once (cron; safe next to running triggers)."""
    from core import scheduler

    counts = scheduler.run_due(limit=limit)
    click.echo(f"done {counts.done}, failed {counts.failed}, skipped {counts.skipped}")
    if counts.failed:
        sys.exit(1)


@chronograph_cli.command("list")
@click.option("--limit", type=click.IntRange(1, 100000), default=100, show_default=True)
def chronograph_list_command(limit):
    """Pending deadlines, soonest first (times in UTC)."""
    from core import scheduler

    rows = scheduler.pending(limit)
    if not rows:
        click.echo("no pending deadlines")
        return
    for row in rows:
        failing = f"  failed {row.attempts}x: {(row.last_error or '')[:80]}" if row.attempts else ""
        click.echo(f"{row.due_at:%Y-%m-%d %H:%M:%S}Z  {row.kind}  {row.object_type}:{row.object_id}{failing}")
