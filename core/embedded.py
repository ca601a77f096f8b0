"""Embedded stand-ins for Elasticsearch, Stripe and an SMTP server, started only where they are used.

When `ELASTICSEARCH_URL` / `STRIPE_SECRET_KEY` are unset, `start` (web server, worker, tests)
runs `osmem-server` (an in-memory Elasticsearch-compatible engine) and `localstripe` (a local
Stripe-compatible server) as child processes on free loopback ports, waits until they answer,
and stops them when the process exits. Without `MAIL_URL`, a web process also runs a local SMTP
sink (aiosmtpd, on loopback) that accepts the platform's mail and keeps nothing: the mail page
lists what was sent from the outbox. It also records their URLs and its pid in
`EMBEDDED_STATE_FILE` (under `instance/`), removed again when the process exits.

`attach` (every other `flask` command) starts nothing: it reads that record and, when the
process that wrote it is alive, uses the same database and its services answer, points the app
at them. So `flask search check` in a second shell checks the running `make run` instance's
engine, and `flask db upgrade` or `flask audit verify` start no server at all.

`register_payments_webhook` asks the embedded localstripe to send its events, signed with the
app's webhook secret, to the app's webhook URL (the web process does it at start, from the bonds'
wiring), as Stripe's dashboard does for a real account.

Nothing else in the code base knows these programs exist.
"""
from __future__ import annotations

import atexit
import datetime as dt
import hashlib
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Optional

log = logging.getLogger(__name__)
_lock = threading.Lock()
_started: dict[str, object] = {}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_http(url: str, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"embedded service at {url} exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                resp.read()
                return
        except urllib.error.HTTPError:
            return  # it answered, even if with an error status
        except OSError as exc:
            last = exc
            time.sleep(0.05)
    raise RuntimeError(f"embedded service at {url} did not answer within {timeout} s: {last}")


def start_search_engine() -> str:
    """Start (once per process) an osmem-server and return its URL."""
    with _lock:
        if "search" not in _started:
            from osmem_server import OsmemServer

            server = OsmemServer.start(japanese=False)  # listens on 127.0.0.1, free port
            _wait_http(server.url, 30)
            atexit.register(server.close)
            _started["search"] = server
            log.info("embedded search engine (osmem-server) at %s", server.url)
        return _started["search"].url


def start_payments() -> str:
    """Start (once per process) a localstripe server on loopback and return its base URL."""
    with _lock:
        if "payments" not in _started:
            port = _free_port()
            proc = subprocess.Popen([sys.executable, "-m", "core.embedded", "localstripe", str(port), str(os.getpid())],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
            url = f"http://127.0.0.1:{port}"
            _wait_http(url + "/v1/balance", 30, proc)

            def _stop(p=proc):
                if p.poll() is None:
                    p.terminate()
                    try:
                        p.wait(5)
                    except subprocess.TimeoutExpired:
                        p.kill()

            atexit.register(_stop)
            _started["payments"] = (proc, url)
            log.info("embedded payments (localstripe) at %s", url)
        return _started["payments"][1]


def start_mail_sink() -> str:
    """Start (once per process) an SMTP server on loopback that accepts and drops every
    message; returns its smtp:// URL."""
    with _lock:
        if "mail" not in _started:
            from aiosmtpd.controller import Controller

            class Accept:
                async def handle_DATA(self, server, session, envelope):
                    return "250 Message accepted"

            controller = Controller(Accept(), hostname="127.0.0.1", port=_free_port())
            controller.start()
            atexit.register(controller.stop)
            _started["mail"] = controller
            log.info("embedded mail sink (aiosmtpd) at 127.0.0.1:%s", controller.port)
        return f"smtp://127.0.0.1:{_started['mail'].port}"


def start(app) -> None:
    """Point the app at embedded services for whatever the environment left unset, and record
    them for `flask` commands run from another shell (see `attach`)."""
    cfg = app.config
    if not cfg.get("EMBEDDED_SERVICES", True):
        return
    services: dict = {}
    if not cfg.get("ELASTICSEARCH_URL"):
        cfg["ELASTICSEARCH_URL"] = start_search_engine()
        cfg["SEARCH_EMBEDDED"] = True
        services["search"] = {"url": cfg["ELASTICSEARCH_URL"]}
    if not cfg.get("STRIPE_SECRET_KEY"):
        cfg["STRIPE_API_BASE"] = start_payments()
        cfg["STRIPE_SECRET_KEY"] = "sk_test_embedded_localstripe"
        cfg["PAYMENTS_EMBEDDED"] = True
        if not cfg.get("STRIPE_WEBHOOK_SECRET"):
            cfg["STRIPE_WEBHOOK_SECRET"] = "whsec_" + secrets.token_hex(16)
        services["payments"] = {"api_base": cfg["STRIPE_API_BASE"], "secret_key": cfg["STRIPE_SECRET_KEY"],
                                "webhook_secret": cfg["STRIPE_WEBHOOK_SECRET"]}
    if not cfg.get("MAIL_URL") and cfg.get("PROCESS_KIND") in ("web", "worker"):
        cfg["MAIL_URL"] = start_mail_sink()
        cfg["MAIL_EMBEDDED"] = True
        services["mail"] = {"url": cfg["MAIL_URL"]}
    if services and cfg.get("EMBEDDED_STATE_FILE") and cfg.get("PROCESS_KIND") != "worker":
        # A worker's own services are private to it (it attached to a web process's if one ran).
        write_state(cfg["EMBEDDED_STATE_FILE"], services, database=_fingerprint(cfg))
        if cfg.get("PROCESS_KIND") == "web":
            _exit_cleanly_on_sigterm()


WEBHOOK_NAME = "platform"


def register_payments_webhook(app, url: str, events=None) -> bool:
    """Ask the embedded localstripe to send its events to `url` (this app's webhook endpoint),
    signed with the app's STRIPE_WEBHOOK_SECRET (the one the endpoint verifies), as Stripe's
    dashboard does for a real account. Only for embedded payments; `events`: the event types to
    send (None: all). Registering again replaces the URL. Never raises: False (and a warning in
    the log) when there is nothing to register with or it did not answer."""
    cfg = app.config
    base, secret = cfg.get("STRIPE_API_BASE"), cfg.get("STRIPE_WEBHOOK_SECRET")
    if not (cfg.get("PAYMENTS_EMBEDDED") and base and secret):
        return False
    body = json.dumps({"url": url, "secret": secret, "events": list(events) if events is not None else None})
    request = urllib.request.Request(f"{base}/_config/webhooks/{WEBHOOK_NAME}", data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:
            resp.read()
    except OSError as exc:  # URLError, HTTPError, timeouts
        log.warning("could not register the payments webhook %s with localstripe at %s: %s", url, base, exc)
        return False
    log.info("embedded payments (localstripe) send their events to %s", url)
    return True


def attach(app) -> dict:
    """A CLI process starts nothing: it uses the services the running web process recorded in
    `EMBEDDED_STATE_FILE` for whatever the environment left unset. Returns what it used
    ({"pid", "search", "payments"}; empty when there is no running instance to attach to)."""
    cfg = app.config
    if not cfg.get("EMBEDDED_SERVICES", True) or not cfg.get("EMBEDDED_STATE_FILE"):
        return {}
    want_search, want_payments = not cfg.get("ELASTICSEARCH_URL"), not cfg.get("STRIPE_SECRET_KEY")
    if not (want_search or want_payments):
        return {}
    state = running_instance(cfg["EMBEDDED_STATE_FILE"])
    if state is None:
        return {}
    if state.get("database") != _fingerprint(cfg):
        log.warning("the running platform (pid %s) uses another database; not using its services", state["pid"])
        return {}
    used = {}
    search = state.get("search") or {}
    if want_search and search.get("url") and _answers(search["url"]):
        cfg["ELASTICSEARCH_URL"] = search["url"]
        cfg["SEARCH_EMBEDDED"] = True
        used["search"] = search
    payments = state.get("payments") or {}
    if want_payments and payments.get("api_base") and _answers(payments["api_base"] + "/v1/balance"):
        cfg["STRIPE_API_BASE"] = payments["api_base"]
        cfg["STRIPE_SECRET_KEY"] = payments["secret_key"]
        cfg["PAYMENTS_EMBEDDED"] = True
        if not cfg.get("STRIPE_WEBHOOK_SECRET"):
            cfg["STRIPE_WEBHOOK_SECRET"] = payments.get("webhook_secret")
        used["payments"] = payments
    mail = state.get("mail") or {}
    if not cfg.get("MAIL_URL") and mail.get("url"):
        cfg["MAIL_URL"] = mail["url"]  # checked when mail is sent; unsent mail stays queued
        used["mail"] = mail
    if used:
        cfg["EMBEDDED_ATTACHED_PID"] = used["pid"] = state["pid"]
    return used


# --------------------------------------------------------------------------- the state file

_recorded: set[str] = set()


def _fingerprint(cfg) -> str:
    """Which database an instance uses, without writing its URL (and password) to disk."""
    return hashlib.sha256(str(cfg.get("SQLALCHEMY_DATABASE_URI") or "").encode()).hexdigest()[:16]


def write_state(path, services: dict, *, database: str) -> None:
    """Record this process's embedded services (owner-only file, replaced atomically); the
    record is removed when this process exits."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"pid": os.getpid(), "started_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
              "database": database, **services}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(record, fh, indent=2)
    os.replace(tmp, path)
    key = str(path)
    if key not in _recorded:
        _recorded.add(key)
        atexit.register(remove_state, key)


def read_state(path) -> Optional[dict]:
    """The record in `path`, or None when there is none (or it is unreadable)."""
    try:
        with open(path, encoding="utf-8") as fh:
            record = json.load(fh)
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("pid"), int) else None


def remove_state(path) -> None:
    """Remove the record if this process wrote it (a forked child or a newer instance keeps it)."""
    record = read_state(path)
    if record is not None and record["pid"] == os.getpid():
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


def running_instance(path) -> Optional[dict]:
    """The record of a live instance, or None. A record left by a process that died without
    cleaning up (SIGKILL) is removed."""
    record = read_state(path)
    if record is None:
        return None
    if not pid_alive(record["pid"]):
        try:
            os.unlink(path)
        except OSError:
            pass
        return None
    return record


def _answers(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            resp.read()
        return True
    except urllib.error.HTTPError:
        return True  # it answered, even if with an error status
    except OSError:
        return False


def _exit_cleanly_on_sigterm() -> None:
    """`kill PID` of the web server runs the exit handlers (record removed, children stopped)
    instead of dying on the spot; servers with their own SIGTERM handling (gunicorn) keep it."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _raise_system_exit)


def _raise_system_exit(signum, frame):
    raise SystemExit(128 + signum)


def _run_localstripe(port: int, parent: int) -> None:
    """Serve localstripe on loopback only, keeping its store in memory, until the parent exits
    (even if it was killed and could not stop us)."""
    from aiohttp import web
    from localstripe import server
    from localstripe.resources import store

    def watch_parent():
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch_parent, name="parent-watch", daemon=True).start()
    store.dump_to_disk = lambda: None  # embedded use: nothing persisted to /tmp
    web.run_app(server.app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":  # python -m core.embedded localstripe PORT PARENT_PID
    if len(sys.argv) == 4 and sys.argv[1] == "localstripe":
        _run_localstripe(int(sys.argv[2]), int(sys.argv[3]))
    else:
        sys.exit("usage: python -m core.embedded localstripe PORT PARENT_PID")
