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
        key = app.config.get("STRIPE_SECRET_KEY")
        if not key:
            self._client = None
            return
        base = app.config.get("STRIPE_API_BASE")
        kwargs = {"max_network_retries": 1}
        if base:
            kwargs["base_addresses"] = {"api": base}
        self._client = stripe.StripeClient(key, **kwargs)
        self.webhook_secret = app.config.get("STRIPE_WEBHOOK_SECRET")

    @property
    def client(self) -> stripe.StripeClient:
        if self._client is None:
            raise PaymentsUnavailable("No payment provider is configured.")
        return self._client

    def health(self) -> dict:
        """State for /healthz: never raises."""
        if self._client is None:
            return {"status": "unconfigured"}
        try:
            self._client.v1.balance.retrieve()
            return {"status": "ok"}
        except stripe.StripeError as exc:
            return {"status": "down", "error": exc.__class__.__name__}


payment_gateway = PaymentGateway()
