"""POST /payments/stripe/webhook: the payment provider's events for bid bonds.

1. The Stripe-Signature header is verified against STRIPE_WEBHOOK_SECRET
   (`stripe.Webhook.construct_event`, through the gateway): a bad or missing signature is a 400
   JSON error and nothing is written.
2. The event id is stored first (`stripe_events`, unique) in the same transaction as its effect:
   a repeat (same id) answers 200 "duplicate" and changes nothing; if the effect fails, both roll
   back and the provider's retry finds nothing stored (nothing lost).
3. Effects never move a bond backwards and never count twice: each is a conditional state move
   (`BOND.apply`: ``UPDATE ... WHERE status IN (sources)``), so two deliveries racing for one
   intent hold the bond once, a success arriving after a refund changes nothing, and a refund
   arriving before the success moves the pending bond straight to refunded.

With the embedded localstripe (no STRIPE_SECRET_KEY), the web process registers this endpoint
with it at start (`register_with_embedded_payments`): `PAYMENTS_WEBHOOK_BASE_URL` + the path
below, signed with the same STRIPE_WEBHOOK_SECRET, so a card payment confirmed on the embedded
server reaches the app as a signed event, as with a real Stripe account.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app, jsonify, request
from sqlalchemy import select

from core import audit
from core.errors import Conflict, ServiceError
from core.extensions import db
from core.services import unit_of_work
from procurement.bonds import services
from procurement.bonds.models import Bond, StripeEvent
from procurement.payments import gateway
from procurement.tendering.blueprints import bp

WEBHOOK_PATH = "/payments/stripe/webhook"
HANDLED = ("payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled", "charge.refunded")


def _event_time(event) -> dt.datetime:
    created = event.get("created")
    try:
        return dt.datetime.fromtimestamp(int(created), tz=dt.timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        from core.timeutil import utcnow

        return utcnow()


def _refunded(charge, at) -> str:
    intent_id = charge.get("payment_intent")
    if not intent_id:
        return "unknown"
    bond = db.session.execute(select(Bond).where(Bond.payment_intent_id == intent_id)).scalar_one_or_none()
    if bond is None:
        return "unknown"
    refunds = (charge.get("refunds") or {}).get("data") or []
    refund_id = refunds[0].get("id") if refunds else None
    if bond.status == "forfeited":
        # The money went back although the bond was forfeited: recorded for the centre, no move.
        audit.record("bonds.refund_after_forfeit", bond, after={"charge": charge.get("id"), "refund_id": refund_id})
        return "flagged"
    moved = services._move(bond, "provider_refund", audit_action="bonds.refunded", refunded_at=at,
                           refund_id=bond.refund_id or refund_id)
    if moved:
        from core import scheduler

        scheduler.cancel(services.REFUND_OVERDUE, services.OBJECT_TYPE, bond.id)
    return "refunded" if moved else "unchanged"


def process(event) -> str:
    """Store the event and apply it (one transaction). Returns the outcome; "duplicate" for a
    repeat."""
    event_id = str(event.get("id") or "")
    kind = str(event.get("type") or "")
    obj = (event.get("data") or {}).get("object") or {}
    at = _event_time(event)
    if db.session.execute(select(StripeEvent.id).where(StripeEvent.event_id == event_id)).first():
        return "duplicate"
    try:
        with unit_of_work():
            row = StripeEvent(event_id=event_id[:100], type=kind[:100], object_id=str(obj.get("id") or "")[:100] or None,
                              created_at=at)
            db.session.add(row)
            db.session.flush()  # a concurrent delivery of the same event fails here (unique id)
            if kind.startswith("payment_intent."):
                outcome = services.apply_intent(obj, at=at, event_type=kind) if kind in HANDLED else "ignored"
            elif kind == "charge.refunded":
                outcome = _refunded(obj, at)
            else:
                outcome = "ignored"
            row.outcome = outcome
    except Conflict:
        return "duplicate"
    return outcome


def register_with_embedded_payments(app, base_url: str | None = None) -> bool:
    """Register `base_url` (default: config PAYMENTS_WEBHOOK_BASE_URL) + `WEBHOOK_PATH` with the
    embedded localstripe for the events handled here. False when payments are not embedded or it
    did not answer (logged; the pages still ask the provider how a payment stands)."""
    from core import embedded

    base = (base_url or app.config.get("PAYMENTS_WEBHOOK_BASE_URL") or "").rstrip("/")
    if not base:
        return False
    return embedded.register_payments_webhook(app, base + WEBHOOK_PATH, events=HANDLED)


@bp.post(WEBHOOK_PATH)
def stripe_webhook():
    payload = request.get_data(cache=False, as_text=False)
    try:
        event = gateway.construct_event(payload, request.headers.get("Stripe-Signature"),
                                        current_app.config.get("STRIPE_WEBHOOK_SECRET"))
    except gateway.BadSignature:
        return jsonify({"error": {"code": "bad_signature", "fields": {},
                                  "message": "The Stripe-Signature header does not verify for this body; "
                                             "nothing was recorded."}}), 400
    if not event.get("id") or not event.get("type"):
        return jsonify({"error": {"code": "bad_event", "fields": {},
                                  "message": "The event has no id or type; nothing was recorded."}}), 400
    try:
        outcome = process(event)
    except ServiceError as exc:  # e.g. the provider could not be asked for the card: retried later
        db.session.rollback()
        return jsonify(exc.to_dict()), exc.status
    return jsonify({"received": True, "outcome": outcome}), 200
