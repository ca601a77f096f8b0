"""The one module that talks to Stripe (or the embedded localstripe)."""
from __future__ import annotations

import stripe


class PaymentsUnavailable(RuntimeError):
    """The payment provider could not be reached."""


class PaymentGateway:
    """Flask extension: configures a StripeClient from the app config."""

    def __init__(self, app=None):
        self._client = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app):
        app.extensions["payment_gateway"] = self
        app.extensions["payment_gateway_client"] = None
        key = app.config.get("STRIPE_SECRET_KEY")
        if not key:
            self._client = None
            return
        base = app.config.get("STRIPE_API_BASE")
        kwargs = {"max_network_retries": 1}
        if base:
            kwargs["base_addresses"] = {"api": base}
        self._client = stripe.StripeClient(key, **kwargs)
        app.extensions["payment_gateway_client"] = self._client
        self.webhook_secret = app.config.get("STRIPE_WEBHOOK_SECRET")

    def _current(self):
        """The client of the current app (each app keeps its own: a second app built in the same
        process, e.g. without payments, must not unconfigure the first), else the last one."""
        from flask import current_app, has_app_context

        if has_app_context() and "payment_gateway_client" in current_app.extensions:
            return current_app.extensions["payment_gateway_client"]
        return self._client

    @property
    def client(self) -> stripe.StripeClient:
        client = self._current()
        if client is None:
            raise PaymentsUnavailable("No payment provider is configured.")
        return client

    def health(self) -> dict:
        """State for /healthz: never raises."""
        client = self._current()
        if client is None:
            return {"status": "unconfigured"}
        try:
            client.v1.balance.retrieve()
            return {"status": "ok"}
        except stripe.StripeError as exc:
            return {"status": "down", "error": exc.__class__.__name__}


payment_gateway = PaymentGateway()


# --------------------------------------------------------------------------- bid bonds
# The calls `procurement.bonds` needs; nothing else imports stripe.

class PaymentError(RuntimeError):
    """The provider refused a request (declined card, bad request); `code` is its error code."""

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.code = code


class BadSignature(ValueError):
    """A webhook whose Stripe-Signature does not verify (or whose body is not an event)."""


def _plain(obj):
    """Provider objects as plain dicts (callers never see stripe types)."""
    return obj.to_dict() if hasattr(obj, "to_dict") else obj


def _call(func, *args, **kwargs):
    try:
        return _plain(func(*args, **kwargs))
    except stripe.CardError as exc:
        raise PaymentError(str(exc.user_message or exc), getattr(exc, "code", None)) from exc
    except (stripe.APIConnectionError, stripe.AuthenticationError) as exc:
        raise PaymentsUnavailable(str(exc)) from exc
    except stripe.StripeError as exc:
        raise PaymentError(str(getattr(exc, "user_message", None) or exc), getattr(exc, "code", None)) from exc


def create_payment_intent(amount_fen: int, *, metadata: dict, idempotency_key: str):
    """A card PaymentIntent in CNY, captured as soon as it is confirmed (bid bonds are captured
    at submission: a card hold would expire before a 20-day tender closes)."""
    return _call(payment_gateway.client.v1.payment_intents.create,
                 params={"amount": int(amount_fen), "currency": "cny", "capture_method": "automatic",
                         "payment_method_types": ["card"], "metadata": {k: str(v) for k, v in metadata.items()}},
                 options={"idempotency_key": idempotency_key})


def confirm_payment_intent(payment_intent_id: str, payment_method: str):
    """Attach `payment_method` and confirm (server side; the embedded test page uses it with a
    Stripe test method such as ``pm_card_visa``)."""
    client = payment_gateway.client
    _call(client.v1.payment_intents.update, payment_intent_id, params={"payment_method": payment_method})
    return _call(client.v1.payment_intents.confirm, payment_intent_id)


def retrieve_payment_intent(payment_intent_id: str):
    return _call(payment_gateway.client.v1.payment_intents.retrieve, payment_intent_id)


def cancel_payment_intent(payment_intent_id: str):
    """Cancel a PaymentIntent that has not succeeded (a bond no longer wanted: nothing is charged).
    Refused by the provider once the payment succeeded (refund it instead)."""
    return _call(payment_gateway.client.v1.payment_intents.cancel, payment_intent_id)


def retrieve_charge(charge_id: str):
    """A charge (e.g. a PaymentIntent's latest_charge), to see whether it was refunded."""
    return _call(payment_gateway.client.v1.charges.retrieve, charge_id)


def card_fingerprint(payment_intent) -> str | None:
    """The card fingerprint behind a PaymentIntent (same card, same fingerprint), or None."""
    method = payment_intent.get("payment_method")
    if not method:
        return None
    if not isinstance(method, str):
        card = method.get("card") or {}
        return card.get("fingerprint")
    pm = _call(payment_gateway.client.v1.payment_methods.retrieve, method)
    card = pm.get("card") or {}
    return card.get("fingerprint")


def refund_payment_intent(payment_intent_id: str, *, metadata: dict, idempotency_key: str):
    """Refund the whole captured amount (repeating the call with the same key refunds once)."""
    return _call(payment_gateway.client.v1.refunds.create,
                 params={"payment_intent": payment_intent_id, "metadata": {k: str(v) for k, v in metadata.items()}},
                 options={"idempotency_key": idempotency_key})


def construct_event(payload: bytes, signature: str | None, secret: str | None):
    """The verified event of a webhook body, or `BadSignature`."""
    if not secret:
        raise BadSignature("no webhook secret is configured")
    try:
        return _plain(stripe.Webhook.construct_event(payload, signature or "", secret))
    except stripe.SignatureVerificationError as exc:
        raise BadSignature(str(exc)) from exc
    except ValueError as exc:  # not JSON
        raise BadSignature(str(exc)) from exc


def is_test_mode() -> bool:
    """A test key (sk_test_...; the embedded localstripe uses one): test payment methods work."""
    from flask import current_app

    return str(current_app.config.get("STRIPE_SECRET_KEY") or "").startswith("sk_test_")
