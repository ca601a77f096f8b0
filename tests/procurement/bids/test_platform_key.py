"""The platform key that signs receipts is derived once (every submission signs a receipt and
shows the public key), yet a changed key is used at once."""

from __future__ import annotations

import base64
import os

from procurement.bids import commitments


def test_the_platform_key_is_derived_once_but_follows_a_changed_key(app, tmp_path):
    """Receipts are signed with a key derived once per configured key, not per request; a new
    configured key (or key file) is used at once, and receipts stay verifiable."""
    first = commitments.public_key()
    assert commitments.public_key() == first
    old_key, old_file = app.config["AUDIT_SIGNING_KEY"], app.config.get("AUDIT_SIGNING_KEY_FILE")
    try:
        app.config["AUDIT_SIGNING_KEY"] = base64.b64encode(os.urandom(32)).decode()
        second = commitments.public_key()
        assert second != first
        text, signature = commitments.sign({"action": "submitted", "bid": 1})
        assert commitments.verify_signature(text, signature, second)
        assert not commitments.verify_signature(text, signature, first)
        # A key file: read once, read again when it is replaced.
        key_file = tmp_path / "platform.key"
        app.config.update(AUDIT_SIGNING_KEY=None, AUDIT_SIGNING_KEY_FILE=str(key_file))
        from_file = commitments.public_key()          # generated on first use
        assert key_file.exists() and from_file not in (first, second)
        assert commitments.public_key() == from_file
        key_file.write_text(base64.b64encode(os.urandom(32)).decode() + "\n  ")
        assert commitments.public_key() != from_file
    finally:
        app.config.update(AUDIT_SIGNING_KEY=old_key, AUDIT_SIGNING_KEY_FILE=old_file)
    assert commitments.public_key() == first
