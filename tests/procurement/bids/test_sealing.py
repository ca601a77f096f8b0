"""Sealing primitives without a database: GF(256) Shamir shares (any k recover the secret, k - 1
do not), sealed envelopes, passphrase-wrapped holder keys, signed receipts and the Merkle tree."""

from __future__ import annotations

import itertools
import os

import pytest

from procurement.bids import commitments, sealing


def test_gf256_inverse_and_known_products():
    assert sealing._gf_mul(0x57, 0x83) == 0xC1  # FIPS-197 section 4.2 example
    assert sealing._gf_mul(0x57, 0x13) == 0xFE
    for a in range(1, 256):
        assert sealing._gf_mul(a, sealing._gf_inv(a)) == 1
    with pytest.raises(ZeroDivisionError):
        sealing._gf_inv(0)


@pytest.mark.parametrize("k,n", [(2, 2), (2, 3), (3, 5), (5, 5)])
def test_any_k_shares_recover_the_secret(k, n):
    secret = os.urandom(32)
    shares = sealing.split_secret(secret, k, n)
    assert len(shares) == n and {x for x, _ in shares} == set(range(1, n + 1))
    for subset in itertools.combinations(shares, k):
        assert bytes(sealing.combine_shares(list(subset))) == secret
    for subset in itertools.combinations(shares, k - 1):
        if subset:
            assert bytes(sealing.combine_shares(list(subset))) != secret


def test_a_single_share_is_uniform_noise_not_the_secret():
    # With k = 2, share bytes are secret ^ a*x for a random a: over many splits of the same
    # secret, share 1's first byte takes many values (it does not leak the secret byte).
    secret = b"\x2a" * 32
    seen = {sealing.split_secret(secret, 2, 3)[0][1][0] for _ in range(200)}
    assert len(seen) > 100


def test_bad_parameters_and_shares_are_refused():
    with pytest.raises(ValueError):
        sealing.split_secret(b"x" * 32, 1, 3)
    with pytest.raises(ValueError):
        sealing.split_secret(b"x" * 32, 4, 3)
    shares = sealing.split_secret(b"x" * 32, 2, 3)
    with pytest.raises(sealing.SealingError):
        sealing.combine_shares([shares[0], shares[0]])
    with pytest.raises(sealing.SealingError):
        sealing.combine_shares([])


def test_k_holders_open_an_envelope_and_k_minus_one_cannot():
    pair = sealing.make_opening_key()
    shares = sealing.split_secret(pair.private_key, 2, 3)
    private = bytes(pair.private_key)
    sealing.wipe(pair.private_key)
    assert bytes(pair.private_key) == bytes(32)
    envelope = sealing.seal({"unit_price_fen": 4200, "product_id": 7}, pair.public_key)
    assert b"4200" not in envelope
    key = sealing.reconstruct_private_key([shares[2], shares[0]], pair.public_key)
    assert bytes(key) == private
    assert sealing.open_envelope(envelope, key) == {"unit_price_fen": 4200, "product_id": 7}
    with pytest.raises(sealing.SealingError):
        sealing.reconstruct_private_key([shares[1]], pair.public_key)
    wrong = sealing.combine_shares([shares[1]])
    with pytest.raises(sealing.SealingError):
        sealing.open_envelope(envelope, wrong)
    with pytest.raises(sealing.SealingError):
        sealing.open_envelope(envelope[:-1] + bytes([envelope[-1] ^ 1]), key)  # tampered


def test_holder_key_needs_its_passphrase():
    keys = sealing.enrol_holder("a long enough passphrase", opslimit=1, memlimit=8192)
    assert "a long enough passphrase" not in repr(keys)
    private = sealing.unwrap_holder_key(keys, "a long enough passphrase")
    sealed = sealing.seal_share(2, b"\x01" * 32, keys.public_key)
    assert sealing.open_share(sealed, private) == (2, b"\x01" * 32)
    with pytest.raises(sealing.SealingError):
        sealing.unwrap_holder_key(keys, "a long enough passphrasE")


def test_merkle_proofs_for_every_leaf_and_size():
    for size in range(1, 10):
        statements = [f'{{"bid":{i}}}' for i in range(size)]
        leaves = [commitments.leaf_hash(s) for s in statements]
        root = commitments.merkle_root(leaves)
        for i, statement in enumerate(statements):
            proof = commitments.inclusion_proof(leaves, i)
            assert commitments.verify_inclusion(statement, proof, root)
            assert not commitments.verify_inclusion(statement + " ", proof, root)
            if proof:
                bad = [dict(proof[0], hash="00" * 32)] + proof[1:]
                assert not commitments.verify_inclusion(statement, bad, root)
    assert commitments.merkle_root([]) == commitments.EMPTY_ROOT
    # A leaf can never pass for an inner node (domain separation).
    a, b = commitments.leaf_hash("a"), commitments.leaf_hash("b")
    assert commitments.merkle_root([a, b]) != commitments.merkle_root([commitments.leaf_hash("x")])


def test_millisecond_times():
    import datetime as dt

    moment = dt.datetime(2026, 12, 3, 2, 17, 0, 123987, tzinfo=dt.UTC)
    assert commitments.iso_ms(moment) == "2026-12-03T02:17:00.123Z"
    assert commitments.truncate_ms(moment).microsecond == 123000
