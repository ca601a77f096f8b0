"""Embedded services start only where they are used.

The web server (and the worker, and the test suite) starts the embedded engine and payments
server as children, records them in EMBEDDED_STATE_FILE, and stops them (and removes the record)
on exit. Every other `flask` command starts nothing; `flask search check/reindex` use the engine
the running web process recorded, or say in one line that there is none.
"""
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).parent / "flask")
NO_ENGINE = ("No search engine to use: start the platform (`make run`) in another shell, "
             "or set ELASTICSEARCH_URL.")

SCRIPT = """
import json, os, sys
from config import Config
from platform_app import create_app

class C(Config):
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    ELASTICSEARCH_URL = None
    STRIPE_SECRET_KEY = None
    EMBEDDED_STATE_FILE = sys.argv[1]

app = create_app(C, process="web")
with open(sys.argv[1], encoding="utf-8") as fh:
    recorded = json.load(fh)
print(json.dumps({"es": app.config["ELASTICSEARCH_URL"], "stripe": app.config["STRIPE_API_BASE"],
                  "pid": os.getpid(), "recorded": recorded}), flush=True)
"""

# A web process as `make run` starts it: migrate and seed as a CLI app (starting nothing), then
# the web app (embedded services, initial index build). Prints when the index is ready and
# runs until its stdin is closed.
WEB = """
import json, sys, time
from config import Config
from platform_app import create_app

class C(Config):
    SQLALCHEMY_DATABASE_URI = sys.argv[1]
    EMBEDDED_STATE_FILE = sys.argv[2]

cli = create_app(C, process="cli")
with cli.app_context():
    from flask_migrate import upgrade
    from tests.catalog.search.conftest import build_catalog
    upgrade(revision="heads")
    build_catalog(n=12)

web = create_app(C, process="web")
web.extensions["search_build_thread"].join(120)
from catalog.search.engine import search_engine
with web.app_context():
    state = search_engine.index_state()[0]
print(json.dumps({"index": state, "es": web.config["ELASTICSEARCH_URL"]}), flush=True)
sys.stdin.read()
"""

# A `flask` command run in-process with process spawning and listening sockets recorded.
CLI = """
import json, socket, subprocess, sys, threading
spawned, listening = [], []
real_popen, real_listen = subprocess.Popen.__init__, socket.socket.listen

def popen(self, args, *a, **kw):
    spawned.append(str(args)[:200])
    return real_popen(self, args, *a, **kw)

def listen(self, *a):
    listening.append(str(self.getsockname()))
    return real_listen(self, *a)

subprocess.Popen.__init__, socket.socket.listen = popen, listen

from flask.cli import main
codes = []
for command in json.loads(sys.argv[1]):
    sys.argv = ["flask", *command]  # what the `flask` script sees
    try:
        main()
    except SystemExit as exc:
        codes.append(exc.code or 0)

import wsgi
from catalog.search.sync import backlog
with wsgi.app.app_context():
    pending = backlog()
print(json.dumps({"codes": codes, "spawned": spawned, "listening": listening, "pending": pending,
                  "kind": wsgi.app.config["PROCESS_KIND"], "search_url": wsgi.app.config.get("ELASTICSEARCH_URL"),
                  "threads": sorted(t.name for t in threading.enumerate())}))
"""


def _env(**extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("ELASTICSEARCH_URL", "STRIPE_SECRET_KEY", "STRIPE_API_BASE", "STRIPE_WEBHOOK_SECRET",
                        "EMBEDDED_SERVICES", "DATABASE_URL", "EMBEDDED_STATE_FILE")}
    env.update(APP_ENV="development", FLASK_APP="wsgi.py", SECRET_KEY="test-secret-key", **extra)
    return env


def _port_open(url):
    host, port = url.split("//")[1].split(":")
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, int(port))) == 0


def test_embedded_services_start_on_loopback_are_recorded_and_stop_with_the_process(tmp_path):
    state_file = tmp_path / "embedded.json"
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(state_file)], cwd=ROOT, env=_env(),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    urls = json.loads(result.stdout.strip().splitlines()[-1])
    assert urls["es"].startswith("http://127.0.0.1:") and urls["stripe"].startswith("http://127.0.0.1:")
    recorded = urls["recorded"]
    assert recorded["pid"] == urls["pid"]
    assert recorded["search"] == {"url": urls["es"]}
    assert recorded["payments"]["api_base"] == urls["stripe"] and recorded["payments"]["secret_key"]
    assert "sqlite" not in json.dumps(recorded)  # the database is named by a fingerprint only
    assert not state_file.exists(), "the record outlived the process"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (_port_open(urls["es"]) or _port_open(urls["stripe"])):
        time.sleep(0.2)
    assert not _port_open(urls["es"]), "osmem-server outlived the app process"
    assert not _port_open(urls["stripe"]), "localstripe outlived the app process"


def test_cli_commands_start_no_service_thread_or_port(tmp_path):
    """`db upgrade`, `demo seed`, `audit verify`, `records verify` start nothing; the seed's
    catalog writes leave outbox rows for the web process's dispatcher."""
    commands = [["db", "upgrade"], ["demo", "seed"], ["audit", "verify"], ["records", "verify"]]
    env = _env(DATABASE_URL=f"sqlite:///{tmp_path}/platform.db", EMBEDDED_STATE_FILE=str(tmp_path / "embedded.json"))
    result = subprocess.run([sys.executable, "-c", CLI, json.dumps(commands)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["codes"] == [0, 0, 0, 0], result.stderr[-3000:]
    assert report["kind"] == "cli"
    assert report["spawned"] == [] and report["listening"] == []
    assert report["threads"] == ["MainThread"]
    assert report["search_url"] is None
    assert report["pending"] > 0  # delivered later by the web process, not here
    assert not (tmp_path / "embedded.json").exists()


def test_search_check_in_a_second_shell_uses_the_running_web_process(tmp_path):
    database = f"sqlite:///{tmp_path}/platform.db"
    state_file = tmp_path / "embedded.json"
    env = _env(DATABASE_URL=database, EMBEDDED_STATE_FILE=str(state_file))
    web = subprocess.Popen([sys.executable, "-c", WEB, database, str(state_file)], cwd=ROOT, env=env,
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready = json.loads(web.stdout.readline() or "null")
        assert ready and ready["index"] == "ready", web.stderr.read() if web.poll() is not None else ready
        assert json.loads(state_file.read_text())["search"]["url"] == ready["es"]

        def flask(*args):
            return subprocess.run([FLASK, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

        status = flask("search", "status")
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)["url"] == ready["es"]  # the web process's engine, not a new one
        check = flask("search", "check")
        assert check.returncode == 0, check.stdout + check.stderr
        assert "Database: 12 products; index: 12 documents" in check.stdout and "No drift." in check.stdout
        reindex = flask("search", "reindex")
        assert reindex.returncode == 0, reindex.stderr
        assert "Indexed 12 products" in reindex.stdout
        assert flask("search", "check").returncode == 0
    finally:
        web.stdin.close()
        web.wait(30)
    assert web.returncode == 0, web.stderr.read()
    assert not state_file.exists(), "the web process left its record behind"
    gone = subprocess.run([FLASK, "search", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert gone.returncode == 1
    assert gone.stdout == "" and gone.stderr.strip().splitlines() == [NO_ENGINE]


def test_a_record_left_by_a_dead_process_is_ignored_and_removed(tmp_path):
    from core import embedded

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    state_file = tmp_path / "embedded.json"
    state_file.write_text(json.dumps({"pid": int(dead.stdout), "database": "x", "search": {"url": "http://127.0.0.1:9"}}))

    class App:
        config = {"EMBEDDED_SERVICES": True, "EMBEDDED_STATE_FILE": str(state_file), "ELASTICSEARCH_URL": None,
                  "STRIPE_SECRET_KEY": None}

    assert embedded.attach(App) == {}
    assert App.config["ELASTICSEARCH_URL"] is None
    assert not state_file.exists()


def test_running_app_uses_the_embedded_services(app):
    from catalog.search.engine import search_engine
    from procurement.payments.gateway import payment_gateway

    assert app.config["SEARCH_EMBEDDED"] and app.config["PAYMENTS_EMBEDDED"]
    assert search_engine.client.info()["version"]["number"]
    customer = payment_gateway.client.v1.customers.create(params={"email": "buyer@example.test"})
    assert customer.id.startswith("cus_")


def test_the_test_suite_records_its_services_in_a_private_file(app):
    from config import Config

    assert app.config["EMBEDDED_STATE_FILE"] != Config.EMBEDDED_STATE_FILE
    assert str(os.getpid()) in Path(app.config["EMBEDDED_STATE_FILE"]).name
