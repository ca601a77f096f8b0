"""The embedded engine and payments server start as children, answer, and stop on exit."""
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json, urllib.request
from config import Config
from platform_app import create_app

class C(Config):
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    ELASTICSEARCH_URL = None
    STRIPE_SECRET_KEY = None

app = create_app(C, process="web")
print(json.dumps({"es": app.config["ELASTICSEARCH_URL"], "stripe": app.config["STRIPE_API_BASE"]}), flush=True)
"""


def _port_open(url):
    host, port = url.split("//")[1].split(":")
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, int(port))) == 0


def test_embedded_services_start_on_loopback_and_stop_with_the_process():
    env = {k: v for k, v in os.environ.items() if k not in ("ELASTICSEARCH_URL", "STRIPE_SECRET_KEY", "STRIPE_API_BASE")}
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    urls = json.loads(result.stdout.strip().splitlines()[-1])
    assert urls["es"].startswith("http://127.0.0.1:") and urls["stripe"].startswith("http://127.0.0.1:")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (_port_open(urls["es"]) or _port_open(urls["stripe"])):
        time.sleep(0.2)
    assert not _port_open(urls["es"]), "osmem-server outlived the app process"
    assert not _port_open(urls["stripe"]), "localstripe outlived the app process"


def test_running_app_uses_the_embedded_services(app):
    from catalog.search.engine import search_engine
    from procurement.payments.gateway import payment_gateway

    assert app.config["SEARCH_EMBEDDED"] and app.config["PAYMENTS_EMBEDDED"]
    assert search_engine.client.info()["version"]["number"]
    customer = payment_gateway.client.v1.customers.create(params={"email": "buyer@example.test"})
    assert customer.id.startswith("cus_")
