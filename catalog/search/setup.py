"""Search wiring called by the composition root through `catalog.search.register` and
`catalog.search.start_background`."""
from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)


def register(app) -> None:
    """Client, outbox session events, `flask search` commands, blueprints, navigation, health."""
    from flask_babel import lazy_gettext as _l

    from core import health, nav, openapi

    from catalog.services.product_bulk import WRITTEN_LISTENERS

    from . import outbox, sync
    from .api import OPENAPI
    from .api import bp as api_bp
    from .cli import search_cli
    from .engine import search_engine
    from .views import bp as views_bp

    search_engine.init_app(app)
    cfg = app.config
    if cfg.get("TESTING"):
        # Tests choose their own mode; other packages' tests must not race a background thread.
        cfg.setdefault("SEARCH_SYNC_MODE_TESTING", "off")
        if cfg.get("SEARCH_SYNC_MODE") == "thread":
            cfg["SEARCH_SYNC_MODE"] = cfg["SEARCH_SYNC_MODE_TESTING"]
    elif cfg.get("PROCESS_KIND") in ("cli", "worker") and cfg.get("SEARCH_SYNC_MODE") == "thread":
        # Only the web process runs the dispatcher thread: rows committed by `flask` commands
        # (seeding, imports) or worker jobs wait in the outbox for its next poll.
        cfg["SEARCH_SYNC_MODE"] = "off"
    outbox.install()
    outbox.on_commit(sync.after_commit)
    written = app.extensions.setdefault(WRITTEN_LISTENERS, [])  # products written by plain SQL
    if outbox.announce not in written:
        written.append(outbox.announce)
    app.cli.add_command(search_cli)
    app.register_blueprint(views_bp)
    app.register_blueprint(api_bp)
    openapi.register(app, OPENAPI)
    nav.add(app, "search.search_page", _l("Search products"), public=True, order=15)
    health.register(app, "search", search_engine.health)


def start_background(app) -> None:
    """A web process's search threads: build the embedded (empty) index from the database, or
    deliver outbox rows other processes left pending (imports, seeding, the expiry job)."""
    from . import sync
    from .engine import search_engine

    cfg = app.config
    reindex_on_start = cfg.get("SEARCH_REINDEX_ON_START")
    if reindex_on_start is None:
        reindex_on_start = bool(cfg.get("SEARCH_EMBEDDED"))
    if reindex_on_start:
        start_background_build(app, search_engine)
    elif cfg.get("SEARCH_SYNC_MODE") == "thread":
        sync.dispatcher_for(app).start()


def start_background_build(app, engine) -> threading.Thread:
    """Rebuild the index from the database without blocking start-up; the search page says
    "index is being built" meanwhile."""
    from . import indexer, sync

    engine.set_index_state("building", "The search index is being built from the catalogue.", app=app)

    def run():
        try:
            result = indexer.reindex(app)
            engine.set_index_state("ready", app=app)
            log.info("search index built: %d products in %.1f s", result.documents, result.seconds)
            if app.config.get("SEARCH_SYNC_MODE") == "thread":
                sync.dispatcher_for(app).notify()  # deliver anything that queued up meanwhile
        except Exception as exc:  # the site works without search; health and the page say so
            log.exception("building the search index failed")
            engine.set_index_state("failed", f"Building the search index failed: {exc}", app=app)

    thread = threading.Thread(target=run, name="search-initial-build", daemon=True)
    app.extensions["search_build_thread"] = thread
    thread.start()
    return thread
