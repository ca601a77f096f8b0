"""`flask audit verify` and `flask users ...`."""
import sys

import click
from flask.cli import AppGroup

from core.extensions import db

audit_cli = AppGroup("audit", help="Audit trail.")
users_cli = AppGroup("users", help="Accounts.")


@audit_cli.command("verify")
def verify_command():
    """Check the audit hash chain; exit 1 naming the first broken event."""
    from core.audit import verify_chain

    ok, message, _count = verify_chain()
    if ok:
        click.echo(message)
        return
    click.echo(f"AUDIT CHAIN BROKEN: {message}", err=True)
    sys.exit(1)


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
