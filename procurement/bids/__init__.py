"""Sealed bids (issue 11): bids, sealing, key holders, receipts and commitments."""
