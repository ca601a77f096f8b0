"""Health of each dependency for `/healthz`.

Each package registers a check for the extension it owns (`register(app, "search", func)`);
a check returns a dict with at least `status` and never raises.
"""
from __future__ import annotations

from flask import current_app

EXTENSION_KEY = "health_checks"


def register(app, name: str, check) -> None:
    """Ask `check()` for the state of `name` whenever health is reported."""
    app.extensions.setdefault(EXTENSION_KEY, {})[name] = check


def report(app=None) -> dict:
    """Every registered dependency's state, by name. A crashing check is reported as down."""
    app = app or current_app
    out = {}
    for name, check in sorted(app.extensions.get(EXTENSION_KEY, {}).items()):
        try:
            out[name] = check()
        except Exception as exc:  # health must report, not crash
            out[name] = {"status": "down", "error": exc.__class__.__name__}
    return out
