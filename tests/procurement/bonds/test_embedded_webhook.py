"""The embedded localstripe sends its events to the app as signed webhooks: a web process
registers PAYMENTS_WEBHOOK_BASE_URL + /payments/stripe/webhook with it at start (with the secret
the app verifies with), and a card payment confirmed only at the provider reaches the app, which
verifies the signature and holds the bond."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

import procurement.models  # noqa: F401
from core import embedded
from core.extensions import db
from procurement.bonds import services, webhooks
from procurement.bonds.models import Bond, StripeEvent
from procurement.payments import gateway
from tests.procurement.bonds.helpers import supplier
from tests.procurement.helpers import World, make_standard
from tests.procurement.tendering_helpers import make_tender

ROOT = Path(__file__).resolve().parents[3]
WAIT_SECONDS = 30  # localstripe waits 1 s before sending; generous for a loaded machine


def _wait_for(probe):
    end = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < end:
        found = probe()
        if found:
            return found
        time.sleep(0.2)
    return None


@pytest.fixture
def served(app):
    """The test app served by a werkzeug server thread on a free loopback port."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="test-webhook-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        # The suite's localstripe outlives this test: it sends nothing more anywhere.
        embedded.register_payments_webhook(app, "http://127.0.0.1:9/payments/stripe/webhook", events=[])
        server.shutdown()
        thread.join(10)


def test_a_payment_confirmed_on_localstripe_reaches_the_app_as_a_signed_webhook(app, served):
    make_standard()
    tender = make_tender(World())
    bond, _ = services.start_card_payment(supplier(), tender.lots[0].id)
    assert webhooks.register_with_embedded_payments(app, served)
    gateway.confirm_payment_intent(bond.payment_intent_id, "pm_card_visa")  # the app is not told directly

    def processed():
        db.session.rollback()  # a fresh read of what the server thread committed
        return db.session.execute(select(StripeEvent).where(StripeEvent.object_id == bond.payment_intent_id,
                                                            StripeEvent.type == "payment_intent.succeeded")
                                  ).scalar_one_or_none()

    event = _wait_for(processed)
    assert event is not None, "no webhook reached the app"
    assert event.outcome == "held"  # the signature verified and the event was applied
    db.session.rollback()
    bond = db.session.get(Bond, bond.id)
    assert bond.status == "held" and bond.card_fingerprint


def test_registration_needs_embedded_payments(app):
    class NotEmbedded:
        config = {"PAYMENTS_EMBEDDED": False, "STRIPE_API_BASE": "https://api.stripe.com",
                  "STRIPE_WEBHOOK_SECRET": "whsec_x"}

    assert embedded.register_payments_webhook(NotEmbedded, "http://127.0.0.1:5000/payments/stripe/webhook") is False

    class Unreachable:
        config = {"PAYMENTS_EMBEDDED": True, "STRIPE_API_BASE": "http://127.0.0.1:9", "STRIPE_WEBHOOK_SECRET": "whsec_x"}

    assert embedded.register_payments_webhook(Unreachable, "http://127.0.0.1:5000/payments/stripe/webhook") is False


# A web process as `make run` starts it (embedded localstripe), with PAYMENTS_WEBHOOK_BASE_URL
# pointing at a tiny receiver: a payment confirmed on localstripe arrives there, signed with the
# app's webhook secret.
WEB = """
import json, sys, threading, time
from http.server import BaseHTTPRequestHandler, HTTPServer

received = []

class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        received.append((self.path, self.headers.get("Stripe-Signature"), body))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass

receiver = HTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=receiver.serve_forever, daemon=True).start()

from config import Config
from platform_app import create_app

class C(Config):
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    ELASTICSEARCH_URL = None
    STRIPE_SECRET_KEY = None
    STRIPE_WEBHOOK_SECRET = None
    EMBEDDED_STATE_FILE = sys.argv[1]
    PAYMENTS_WEBHOOK_BASE_URL = "http://127.0.0.1:%d" % receiver.server_port
    CHRONOGRAPH_INTERVAL = 0
    PRODUCT_EXPIRY_DAILY = False
    SEARCH_REINDEX_ON_START = False
    SEARCH_SYNC_MODE = "off"

app = create_app(C, process="web")
with app.app_context():
    from procurement.payments import gateway
    intent = gateway.create_payment_intent(1000, metadata={"bond_id": 1}, idempotency_key="webhook-test")
    gateway.confirm_payment_intent(intent["id"], "pm_card_visa")
    end = time.monotonic() + float(sys.argv[2])
    while not received and time.monotonic() < end:
        time.sleep(0.1)
    path, signature, body = received[0]
    event = gateway.construct_event(body, signature, app.config["STRIPE_WEBHOOK_SECRET"])
    try:
        gateway.construct_event(body, signature, "whsec_someone_else")
        other_secret_verifies = True
    except gateway.BadSignature:
        other_secret_verifies = False
    print(json.dumps({"path": path, "type": event["type"], "object": event["data"]["object"]["id"],
                      "intent": intent["id"], "other_secret_verifies": other_secret_verifies}), flush=True)
"""


def test_a_web_process_registers_its_webhook_with_its_localstripe(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("ELASTICSEARCH_URL", "STRIPE_SECRET_KEY", "STRIPE_API_BASE", "STRIPE_WEBHOOK_SECRET",
                        "EMBEDDED_SERVICES", "DATABASE_URL", "EMBEDDED_STATE_FILE", "PAYMENTS_WEBHOOK_BASE_URL")}
    env.update(APP_ENV="development", SECRET_KEY="test-secret-key")
    result = subprocess.run([sys.executable, "-c", WEB, str(tmp_path / "embedded.json"), str(WAIT_SECONDS)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["path"] == webhooks.WEBHOOK_PATH
    assert report["type"] == "payment_intent.succeeded" and report["object"] == report["intent"]
    assert report["other_secret_verifies"] is False
