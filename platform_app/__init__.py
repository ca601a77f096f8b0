"""The composition root: builds the Flask app and wires every package into it, explicitly.

Nothing registers itself because a module was imported. `create_app` binds core's extensions,
then calls each package's `register(app)` in dependency order (core, catalog, catalog search,
procurement). Which embedded services and background threads a process starts is decided here,
by the kind of process:

- ``web``: the web server (gunicorn, `flask run`): starts the embedded services it needs and the
  background threads (search dispatcher or initial index build, daily certificate expiry);
- ``worker``: the RQ worker (`worker.py`): uses the running web process's embedded services, or
  starts its own when there is none; no threads;
- ``cli``: any other `flask` command (migrations, seeding, audit and record checks): starts
  nothing; `flask search check/reindex` use the running web server's engine instead;
- ``test``: the test suite: embedded services, no threads.
"""
from __future__ import annotations

import sys

from flask import Flask

PROCESS_KINDS = ("web", "worker", "cli", "test")


def create_app(config=None, *, process: str = "web") -> Flask:
    """Build the app. `config` is a config class or a dict of overrides on `config.Config`."""
    if process not in PROCESS_KINDS:
        raise ValueError(f"process must be one of {PROCESS_KINDS}, not {process!r}")
    from config import Config

    import catalog
    import catalog.search
    import core
    import procurement
    from core import embedded, extensions

    app = Flask("platform_app", root_path=str(_project_root()), template_folder="templates",
                static_folder="static", instance_relative_config=False)
    config = config or Config
    if isinstance(config, dict):
        app.config.from_object(Config)
        app.config.update(config)
    else:
        config.validate()
        app.config.from_object(config)
    app.config["PROCESS_KIND"] = process

    if process in ("web", "test"):
        embedded.start(app)
    elif process == "worker":
        embedded.attach(app)  # the running web process's services (one in-memory engine, one Stripe)
        embedded.start(app)  # its own for whatever is still unset
    else:
        embedded.attach(app)

    extensions.init_app(app)
    core.register(app)
    catalog.register(app)
    catalog.search.register(app)
    procurement.register(app)

    if process == "web" and not app.testing:
        core.start_background(app)
        catalog.start_background(app)
        catalog.search.start_background(app)
    return app


def process_kind_from_argv(argv=None) -> str:
    """"cli" for a `flask <command>` other than `run`; "web" otherwise (gunicorn, `flask run`)."""
    argv = list(sys.argv if argv is None else argv)
    prog = argv[0].replace("\\", "/").rsplit("/", 1)[-1] if argv else ""
    if prog in ("flask", "flask.exe") or (prog == "__main__.py" and "flask" in argv[0]):
        words = [a for a in argv[1:] if not a.startswith("-")]
        return "web" if words and words[0] == "run" else "cli"
    return "web"


def _project_root():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent
