"""Payments (bid bonds) through Stripe; `gateway` is the only module that imports stripe."""
