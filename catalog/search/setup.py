"""Wiring done by `search_engine.init_app`: outbox events, dispatcher, CLI, blueprints, nav,
and the embedded default's start-up build of the (empty, in-memory) index."""
from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)


def init_app(app, engine) -> None:
    from . import outbox, sync
    from .cli import search_cli

    cfg = app.config
    if cfg.get("TESTING"):
        # Tests choose their own mode; other packages' tests must not race a background thread.
        cfg.setdefault("SEARCH_SYNC_MODE_TESTING", "off")
        if cfg.get("SEARCH_SYNC_MODE") == "thread":
            cfg["SEARCH_SYNC_MODE"] = cfg["SEARCH_SYNC_MODE_TESTING"]
    outbox.install()
    outbox.on_commit(sync.after_commit)
    if "search" not in app.cli.commands:
        app.cli.add_command(search_cli)

    from .api import bp as api_bp
    from .views import bp as views_bp

    if "search" not in app.blueprints:
        app.register_blueprint(views_bp)
    if "search_api" not in app.blueprints:
        app.register_blueprint(api_bp)
    try:
        from core import nav

        nav.register("search.search_page", "Search products", public=True, order=15)
    except ImportError:  # pragma: no cover
        pass

    reindex_on_start = cfg.get("SEARCH_REINDEX_ON_START")
    if reindex_on_start is None:
        reindex_on_start = bool(cfg.get("SEARCH_EMBEDDED")) and not cfg.get("TESTING")
    server = _is_server_process() and not cfg.get("TESTING")
    if reindex_on_start and _is_server_process():
        start_background_build(app, engine)
    elif server and cfg.get("SEARCH_SYNC_MODE") == "thread":
        # Deliver rows other processes left pending (imports, seeding, the expiry job) even
        # before this process commits anything itself.
        sync.dispatcher_for(app).start()


def _is_server_process() -> bool:
    """True unless this is a `flask <command>` other than `run` (migrations, seeding...)."""
    import sys

    argv = [a for a in sys.argv[1:] if not a.startswith("-")]
    prog = sys.argv[0].rsplit("/", 1)[-1] if sys.argv else ""
    if prog in ("flask", "flask.exe") or (prog == "__main__.py" and "flask" in sys.argv[0]):
        return bool(argv) and argv[0] == "run"
    return True


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
