"""Embedded stand-ins for Elasticsearch and Stripe.

When `ELASTICSEARCH_URL` / `STRIPE_SECRET_KEY` are unset, this module starts `osmem-server`
(an in-memory Elasticsearch-compatible engine) and `localstripe` (a local Stripe-compatible
server) as child processes on free loopback ports, waits until they answer, and stops them
when the process exits. Nothing else in the code base knows these programs exist.
"""
from __future__ import annotations

import atexit
import logging
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

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
            proc = subprocess.Popen([sys.executable, "-m", "core.embedded", "localstripe", str(port)],
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


def attach(app) -> None:
    """CLI processes start nothing; see `start` for servers."""


def start(app) -> None:
    """Point the app at embedded services for whatever the environment left unset."""
    if not app.config.get("EMBEDDED_SERVICES", True):
        return
    if not app.config.get("ELASTICSEARCH_URL"):
        app.config["ELASTICSEARCH_URL"] = start_search_engine()
        app.config["SEARCH_EMBEDDED"] = True
    if not app.config.get("STRIPE_SECRET_KEY"):
        app.config["STRIPE_API_BASE"] = start_payments()
        app.config["STRIPE_SECRET_KEY"] = "sk_test_embedded_localstripe"
        app.config["PAYMENTS_EMBEDDED"] = True
        if not app.config.get("STRIPE_WEBHOOK_SECRET"):
            app.config["STRIPE_WEBHOOK_SECRET"] = "whsec_" + secrets.token_hex(16)


def _run_localstripe(port: int) -> None:
    """Serve localstripe on loopback only, keeping its store in memory."""
    from aiohttp import web
    from localstripe import server
    from localstripe.resources import store

    store.dump_to_disk = lambda: None  # embedded use: nothing persisted to /tmp
    web.run_app(server.app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":  # python -m core.embedded localstripe PORT
    if len(sys.argv) == 3 and sys.argv[1] == "localstripe":
        _run_localstripe(int(sys.argv[2]))
    else:
        sys.exit("usage: python -m core.embedded localstripe PORT")
