"""Signed checkpoints: the audit chain is held to every checkpoint anyone saved.

Without a checkpoint a database writer can still rewrite every hash, or truncate the chain and
its head row together; these tests show each such edit passing the plain chain check and being
found against a stored checkpoint or a saved file (`flask audit verify --checkpoint FILE`).
"""
import base64
import json
import os
import stat
from types import SimpleNamespace

import pytest
from nacl.signing import SigningKey
from sqlalchemy import text

from core import audit, checkpoints
from core.extensions import db
from core.hashchain import canonical_json
from core.models import AuditEvent
from core.services import unit_of_work


def _events(n=5, start=0):
    for i in range(start, start + n):
        with unit_of_work():
            audit.record("test.event", object_type="test", object_id=i, before={"i": i}, after={"i": i + 1})


def _sql(stmt, **params):
    with db.engine.begin() as conn:
        conn.execute(text(stmt), params)
    db.session.expire_all()


def cli(app, *args):
    return app.test_cli_runner().invoke(args=["audit", *args])


def _checkpoint_file(app, tmp_path, name="latest.json"):
    path = tmp_path / name
    res = cli(app, "checkpoint", "--out", str(path))
    assert res.exit_code == 0, res.output
    return path


def _rewrite_everything(change_seq=2):
    """What an attacker with the database can do: alter one event, then recompute every later
    hash and link, and the head row, so the chain is self-consistent again."""
    rows = db.session.execute(db.select(*audit._CHAIN_COLUMNS).order_by(AuditEvent.seq)).all()
    prev = audit.GENESIS_HASH
    with db.engine.begin() as conn:
        for row in rows:
            ev = SimpleNamespace(**row._mapping)
            if ev.seq == change_seq:
                ev.after = {"i": 999}
            ev.prev_hash = prev
            ev.hash = audit.event_hash(prev, audit._hashed_fields(ev))
            conn.execute(text("UPDATE audit_events SET after = :a, prev_hash = :p, hash = :h WHERE id = :id"),
                         {"a": json.dumps(ev.after), "p": ev.prev_hash, "h": ev.hash, "id": ev.id})
            prev = ev.hash
        conn.execute(text("UPDATE audit_chain_head SET last_hash = :h"), {"h": prev})
    db.session.expire_all()


def test_checkpoint_signs_the_chain_head(app, tmp_path):
    _events(3)
    path = _checkpoint_file(app, tmp_path)
    doc = json.loads(path.read_text())
    statement = doc["checkpoint"]
    last = db.session.execute(db.select(AuditEvent).order_by(AuditEvent.seq.desc())).scalars().first()
    assert statement["format"] == "gbm-audit-checkpoint/1"
    assert (statement["seq"], statement["head_hash"]) == (3, last.hash)
    assert statement["created_at"].endswith("Z")
    # an independent check with nothing but the public key and the canonical JSON rule
    from nacl.signing import VerifyKey

    VerifyKey(base64.b64decode(doc["public_key"])).verify(
        canonical_json(statement).encode(), base64.b64decode(doc["signature"]))
    assert statement["key_id"] == checkpoints.key_id(base64.b64decode(doc["public_key"]))
    res = cli(app, "verify", "--checkpoint", str(path))
    assert res.exit_code == 0, res.output
    assert "intact: 3 events" in res.output and "extends 2 signed checkpoint(s)" in res.output  # stored + file


def test_unchanged_head_writes_no_new_checkpoint_and_empty_trail_signs_nothing(app):
    res = cli(app, "checkpoint")
    assert res.exit_code == 0 and "nothing to sign" in res.output
    _events(2)
    first = cli(app, "checkpoint")
    assert first.exit_code == 0 and "signed checkpoint #" in first.output
    again = cli(app, "checkpoint")
    assert again.exit_code == 0 and "head unchanged" in again.output
    assert db.session.execute(db.select(db.func.count(checkpoints.AuditCheckpoint.id))).scalar() == 1
    _events(1, start=2)
    assert "signed checkpoint #" in cli(app, "checkpoint").output
    assert [c.seq for c in checkpoints.recent()] == [3, 2]


def test_broken_chain_is_not_signed(app):
    _events(3)
    _sql("UPDATE audit_events SET action = 'forged' WHERE seq = 2")
    res = cli(app, "checkpoint")
    assert res.exit_code == 1
    assert "not signing a broken chain" in res.output and "seq 2" in res.output
    assert checkpoints.latest() is None


def test_full_rewrite_of_all_hashes_is_found_against_a_saved_checkpoint(app, tmp_path):
    _events(5)
    path = _checkpoint_file(app, tmp_path)
    _sql("DELETE FROM audit_checkpoints")  # the attacker removes the stored copies too
    _rewrite_everything(change_seq=2)
    plain = cli(app, "verify")
    assert plain.exit_code == 0, "a full rewrite passes the plain chain check (that is why checkpoints exist)"
    res = cli(app, "verify", "--checkpoint", str(path))
    assert res.exit_code == 1
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("AUDIT CHAIN BROKEN")
    assert "seq 5" in lines[0] and "rewritten" in lines[0] and str(path) in lines[0]


def test_stored_checkpoint_finds_a_rewrite_without_any_file(app):
    _events(4)
    assert cli(app, "checkpoint").exit_code == 0
    _rewrite_everything(change_seq=1)
    res = cli(app, "verify")
    assert res.exit_code == 1 and "stored checkpoint" in res.output and "rewritten" in res.output


def test_deleted_tail_with_its_head_row_is_found(app, tmp_path):
    _events(5)
    assert cli(app, "verify").exit_code == 0
    _sql("DELETE FROM audit_events WHERE seq >= 4")
    _sql("DELETE FROM audit_chain_head")
    res = cli(app, "verify")
    assert res.exit_code == 1 and "head row is missing" in res.output


def test_deleted_tail_with_a_rewound_head_row_is_found_against_checkpoints(app, tmp_path):
    _events(5)
    path = _checkpoint_file(app, tmp_path)
    third = db.session.execute(db.select(AuditEvent).where(AuditEvent.seq == 3)).scalar_one()
    _sql("DELETE FROM audit_events WHERE seq >= 4")
    _sql("UPDATE audit_chain_head SET last_seq = 3, last_hash = :h", h=third.hash)
    res = cli(app, "verify")
    assert res.exit_code == 1 and "ends at seq 3" in res.output and "removed" in res.output
    _sql("DELETE FROM audit_checkpoints")
    assert cli(app, "verify").exit_code == 0  # nothing left in the database to tell
    res = cli(app, "verify", "--checkpoint", str(path))
    assert res.exit_code == 1 and "ends at seq 3" in res.output and str(path) in res.output


def test_emptied_audit_table_is_found(app, tmp_path):
    _events(3)
    path = _checkpoint_file(app, tmp_path)
    _sql("DELETE FROM audit_events")
    _sql("DELETE FROM audit_chain_head")
    res = cli(app, "verify")
    assert res.exit_code == 1 and "ends at seq 0" in res.output
    _sql("DELETE FROM audit_checkpoints")
    res = cli(app, "verify", "--checkpoint", str(path))
    assert res.exit_code == 1 and "ends at seq 0" in res.output


def test_altered_checkpoint_file_is_refused(app, tmp_path):
    _events(3)
    path = _checkpoint_file(app, tmp_path)
    doc = json.loads(path.read_text())
    doc["checkpoint"]["seq"] = 2  # claim an older head
    path.write_text(json.dumps(doc))
    res = cli(app, "verify", "--checkpoint", str(path))
    assert res.exit_code == 1 and "CHECKPOINT INVALID" in res.output and "signature does not verify" in res.output
    path.write_text("{not json")
    res = cli(app, "verify", "--checkpoint", str(path))
    assert res.exit_code == 1 and "cannot be read" in res.output


def _signed_by(key: SigningKey, seq: int, head: str) -> dict:
    statement = {"format": checkpoints.FORMAT, "seq": seq, "head_hash": head, "created_at": "2026-12-01T00:00:00Z",
                 "key_id": checkpoints.key_id(bytes(key.verify_key))}
    return {"checkpoint": statement, "algorithm": "Ed25519", "public_key": checkpoints.public_key_text(key),
            "signature": base64.b64encode(key.sign(canonical_json(statement).encode()).signature).decode()}


def test_checkpoint_of_an_untrusted_key_is_refused_unless_its_key_is_given(app, tmp_path):
    _events(3)
    other = SigningKey.generate()
    head = db.session.execute(db.select(AuditEvent.hash).where(AuditEvent.seq == 3)).scalar_one()
    path = tmp_path / "other.json"
    path.write_text(json.dumps(_signed_by(other, 3, head)))
    res = cli(app, "verify", "--checkpoint", str(path))
    assert res.exit_code == 1 and "not trusted" in res.output
    res = cli(app, "verify", "--checkpoint", str(path), "--public-key", checkpoints.public_key_text(other))
    assert res.exit_code == 0, res.output


def test_forged_stored_checkpoint_is_found(app):
    _events(3)
    head = db.session.execute(db.select(AuditEvent.hash).where(AuditEvent.seq == 2)).scalar_one()
    forged = _signed_by(SigningKey.generate(), 2, head)
    with unit_of_work():
        db.session.add(checkpoints.AuditCheckpoint(
            seq=2, head_hash=head, statement=canonical_json(forged["checkpoint"]),
            public_key=forged["public_key"], signature=forged["signature"]))
    res = cli(app, "verify")
    assert res.exit_code == 1 and "stored checkpoint" in res.output and "not trusted" in res.output


def test_dev_key_is_generated_owner_only_and_reused(app, tmp_path, monkeypatch):
    key_file = tmp_path / "keys" / "audit-signing.key"
    monkeypatch.setitem(app.config, "AUDIT_SIGNING_KEY", None)
    monkeypatch.setitem(app.config, "AUDIT_SIGNING_KEY_FILE", str(key_file))
    assert checkpoints.signing_key() is None  # reading never creates one
    key = checkpoints.signing_key(create=True)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(base64.b64decode(key_file.read_text())) == 32
    assert bytes(checkpoints.signing_key().verify_key) == bytes(key.verify_key)
    os.chmod(key_file, 0o644)
    with pytest.raises(checkpoints.CheckpointError, match="chmod 600"):
        checkpoints.signing_key()


def test_no_key_no_checkpoint(app, monkeypatch):
    monkeypatch.setitem(app.config, "AUDIT_SIGNING_KEY", None)
    monkeypatch.setitem(app.config, "AUDIT_SIGNING_KEY_FILE", None)
    _events(1)
    res = cli(app, "checkpoint")
    assert res.exit_code == 1 and "AUDIT_SIGNING_KEY" in res.output


def test_verifier_with_only_the_public_key(app, monkeypatch, tmp_path):
    _events(2)
    path = _checkpoint_file(app, tmp_path)
    public = json.loads(path.read_text())["public_key"]
    monkeypatch.setitem(app.config, "AUDIT_SIGNING_KEY", None)
    monkeypatch.setitem(app.config, "AUDIT_SIGNING_KEY_FILE", None)
    res = cli(app, "verify", "--checkpoint", str(path))
    assert res.exit_code == 1 and "no public key" in res.output
    monkeypatch.setitem(app.config, "AUDIT_PUBLIC_KEYS", public)
    res = cli(app, "verify", "--checkpoint", str(path))
    assert res.exit_code == 0, res.output


def test_public_checkpoint_urls(app, client, tmp_path):
    res = client.get("/integrity/checkpoints/latest.json")
    assert res.status_code == 404 and res.get_json()["error"]["message"]
    _events(2)
    path = _checkpoint_file(app, tmp_path)
    latest = client.get("/integrity/checkpoints/latest.json")
    assert latest.status_code == 200 and latest.get_json() == json.loads(path.read_text())
    assert latest.headers["Access-Control-Allow-Origin"] == "*"
    listing = client.get("/integrity/checkpoints.json").get_json()
    assert listing["checkpoints"][0] == latest.get_json()
    assert listing["public_keys"][0]["public_key"] == latest.get_json()["public_key"] and listing["next"] is None
    assert client.get("/integrity/checkpoints.json?before=1").get_json()["checkpoints"] == []
    assert client.get("/integrity/checkpoints.json?before=<b>x").status_code == 200
    # what anyone downloaded verifies
    saved = tmp_path / "downloaded.json"
    saved.write_bytes(latest.data)
    assert cli(app, "verify", "--checkpoint", str(saved)).exit_code == 0
