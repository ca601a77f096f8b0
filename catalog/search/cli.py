"""`flask search ...`: reindex, sync, retry, check, status, prune."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from .engine import SearchUnavailable, search_engine

search_cli = AppGroup("search", help="Search index: build, keep in sync, check.")


NO_ENGINE = ("No search engine to use: start the platform (`make run`) in another shell, "
             "or set ELASTICSEARCH_URL.")


def _app():
    return current_app._get_current_object()


def _engine_app():
    """The app, once it has an engine: its own (ELASTICSEARCH_URL) or the running web process's
    (recorded in EMBEDDED_STATE_FILE, see core.embedded.attach). Otherwise exit 1 with one line:
    a `flask` command never starts an empty engine of its own."""
    app = _app()
    if not search_engine.configured:
        click.echo(NO_ENGINE, err=True)
        sys.exit(1)
    return app


@search_cli.command("reindex")
def reindex_command():
    """Build a new index from the database, swap the alias, drop the old index."""
    from .indexer import reindex

    app = _engine_app()
    bar_holder = {}

    def progress(done, total):
        bar = bar_holder.get("bar")
        if bar is None:
            bar = bar_holder["bar"] = click.progressbar(length=max(total, 1), label="Indexing products",
                                                        show_pos=True, file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)

    try:
        result = reindex(app, progress=progress)
    except SearchUnavailable as exc:
        raise click.ClickException(exc.message) from None
    finally:
        if "bar" in bar_holder:
            bar_holder["bar"].__exit__(None, None, None)
    search_engine.set_index_state("ready", app=app)
    click.echo(f"Indexed {result.documents} products into {result.index} in {result.seconds:.1f} s "
               f"({result.docs_per_second:.0f} docs/s); alias '{search_engine.alias}' now points to it.")
    if result.replayed:
        click.echo(f"Replayed {result.replayed} changes made during the build.")
    if result.failed:
        shown = "; ".join(f"{pid}: {reason}" for pid, reason in list(result.failed.items())[:5])
        click.echo(f"{len(result.failed)} products could not be indexed (parked in the outbox, see "
                   f"`flask search status`): {shown}", err=True)
    for name in result.dropped:
        click.echo(f"Dropped old index {name}.")


@search_cli.command("sync")
@click.option("--follow", is_flag=True, help="Keep running and deliver new changes as they arrive.")
@click.option("--poll", default=1.0, show_default=True, help="Seconds between polls with --follow.")
def sync_command(follow, poll):
    """Send pending outbox rows to the search engine."""
    from .sync import backlog, drain
    from .sync import follow as follow_loop

    app = _engine_app()
    if follow:
        click.echo(f"Following the search outbox every {poll:g} s (Ctrl-C to stop).")
        try:
            follow_loop(app, poll=poll, echo=lambda r: click.echo(f"sent {r['sent']}, failed {r['failed']}"))
        except KeyboardInterrupt:
            pass
        return
    result = drain(app)
    left = backlog()
    click.echo(f"Sent {result['sent']} changes, {result['failed']} failed ({result['parked']} parked); "
               f"{left} still pending.")
    if result["failed"]:
        sys.exit(1)


@search_cli.command("retry")
def retry_command():
    """Queue outbox rows parked as failed again (after fixing the data), then deliver."""
    from .sync import drain, retry_failed

    app = _engine_app()
    queued = retry_failed(app)
    result = drain(app)
    click.echo(f"Queued {queued} parked rows again; sent {result['sent']}, {result['parked']} parked again.")
    if result["failed"]:
        sys.exit(1)


@search_cli.command("check")
@click.option("--limit", default=20, show_default=True, help="How many ids of each kind to list.")
def check_command(limit):
    """Compare database and index (ids and versions); exit 1 on drift."""
    from .indexer import check
    from .sync import backlog

    app = _engine_app()
    try:
        drift = check(app)
    except SearchUnavailable as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Database: {drift.db_count} products; index: {drift.index_count} documents; "
               f"outbox backlog: {backlog()}.")
    if drift.clean:
        click.echo("No drift.")
        return
    if drift.missing:
        click.echo(f"Missing from index ({len(drift.missing)}): {', '.join(map(str, drift.missing[:limit]))}")
    if drift.extra:
        click.echo(f"In index but not in database ({len(drift.extra)}): {', '.join(map(str, drift.extra[:limit]))}")
    if drift.stale:
        shown = ", ".join(f"{pid} (index v{have} < db v{want})" for pid, have, want in drift.stale[:limit])
        click.echo(f"Stale ({len(drift.stale)}): {shown}")
    click.echo("Fix with `flask search sync` (pending changes) or `flask search reindex`.")
    sys.exit(1)


@search_cli.command("status")
def status_command():
    """Engine, alias and outbox status."""
    import json

    _engine_app()
    click.echo(json.dumps(search_engine.health(), indent=2, default=str))


@search_cli.command("prune")
@click.option("--days", default=7, show_default=True)
def prune_command(days):
    """Delete delivered outbox rows older than DAYS (each product's newest row is kept)."""
    import datetime as dt

    from .sync import prune

    click.echo(f"Deleted {prune(_app(), dt.timedelta(days=days))} delivered outbox rows.")
