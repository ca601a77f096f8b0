"""In the embedded default, run the certificate-expiry job once a day in a background thread.

Production runs `flask catalog expire` from cron (or a systemd timer) instead: set
PRODUCT_EXPIRY_DAILY=0 there. The job is idempotent (conditional updates), so two processes
running it on the same day do no harm. Tests and benchmarks (TESTING) never start the thread.
"""
from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)
FIRST_RUN_DELAY = 120  # seconds after start-up: let migrations and the demo seed finish first
INTERVAL = 24 * 3600


def _enabled(app) -> bool:
    explicit = app.config.get("PRODUCT_EXPIRY_DAILY")  # config.py: PRODUCT_EXPIRY_DAILY, unset = None
    if explicit is not None:
        return bool(explicit)
    return bool(app.config.get("EMBEDDED_SERVICES")) and not app.testing and \
        app.config.get("JOBS_BACKEND", "thread") == "thread"


def _loop(app, stop: threading.Event) -> None:
    from catalog.services.product_expiry import run_daily
    from core.extensions import db

    delay = FIRST_RUN_DELAY
    while not stop.wait(delay):
        delay = INTERVAL
        with app.app_context():
            try:
                suspended, warned = run_daily()
                log.info("certificate expiry: %d suspended, %d expiring certificates warned about", suspended, warned)
            except Exception:  # a missing table on a fresh database, a locked SQLite file...
                log.exception("certificate expiry job failed; will retry tomorrow")
            finally:
                db.session.remove()


def start(app) -> None:
    """Start the daily expiry thread when enabled (called by the composition root)."""
    if not _enabled(app):
        return
    stop = threading.Event()
    app.extensions["product_expiry_stop"] = stop
    threading.Thread(target=_loop, args=(app, stop), name="product-expiry", daemon=True).start()
