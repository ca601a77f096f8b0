"""`flask audit verify|checkpoint`, `flask users ...` and `flask mail send`."""
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
