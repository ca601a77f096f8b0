"""Builders for bond tests: suppliers, signed webhook deliveries, provider events."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time

from core import roles as R
from tests.factories import make_org, make_user

_seq = itertools.count(1)


def supplier(name=None, status="verified"):
    n = next(_seq)
    name = name or f"Supplier {n} Ltd"
    org = make_org(R.ORG_SUPPLIER, name_en=name, name_zh=name + "（中文）", status=status)
    return make_user(org, roles=(R.SUPPLIER,))


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A Stripe-Signature header: t=..., v1=HMAC-SHA256 of "t.payload" with the secret."""
    t = int(timestamp if timestamp is not None else time.time())
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def event(kind: str, obj: dict, *, event_id: str | None = None, created: int | None = None) -> dict:
    return {"id": event_id or f"evt_test_{next(_seq)}", "object": "event", "type": kind,
            "created": int(created if created is not None else time.time()), "data": {"object": obj}}


def intent_object(bond, *, status="succeeded", payment_method="pm_card_visa", amount=None) -> dict:
    return {"id": bond.payment_intent_id, "object": "payment_intent", "amount": amount or bond.amount_fen,
            "currency": "cny", "status": status, "payment_method": payment_method,
            "metadata": {"bond_id": str(bond.id)}}


def charge_refunded(bond, refund_id="re_test_1") -> dict:
    return {"id": "ch_test_1", "object": "charge", "payment_intent": bond.payment_intent_id, "refunded": True,
            "refunds": {"object": "list", "data": [{"id": refund_id, "object": "refund"}]}}


def deliver(client, app, payload: dict | bytes, *, secret=None, signature=None):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    header = signature if signature is not None else sign(body, secret or app.config["STRIPE_WEBHOOK_SECRET"])
    return client.post("/payments/stripe/webhook", data=body,
                       headers={"Stripe-Signature": header, "Content-Type": "application/json"})
