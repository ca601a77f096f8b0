"""Reproducible random draws (`core.draws`): commit, draw, reveal, verify; what the public sees
before and after the reveal; tampering found by `flask draws verify`; the stand-alone script."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import update

from core import draws
from core.draws import Candidate, Draw, Excluded
from core.extensions import db
from core.services import unit_of_work
from core.statemachine import IllegalMove

ROOT = Path(__file__).resolve().parents[2]


def _pool(n=10, stratum="all"):
    return [Candidate(f"c:{i}", stratum) for i in range(1, n + 1)]


def _drawn(size=3, *, reveal=False, purpose="evaluation_panel", subject="lot:1", parent=None, pool=None,
           excluded=()):
    with unit_of_work():
        draw = draws.commit(purpose, subject, parent=parent)
    with unit_of_work():
        draws.perform(draw.id, pool if pool is not None else _pool(), list(excluded), size)
    if reveal:
        with unit_of_work():
            draws.reveal(draw.id)
    db.session.expire_all()
    return db.session.get(Draw, draw.id)


@pytest.mark.pure
def test_the_algorithm_is_deterministic_and_documented():
    snapshot = draws.build_snapshot("evaluation_panel", "lot:7", _pool(6), [Excluded("c:99", "inactive")], 3)
    seed = "ab" * 32
    result = draws.compute(seed, snapshot)
    assert result == draws.compute(seed, json.loads(json.dumps(snapshot)))
    # by hand: rank = SHA-256 of "seed|purpose|subject|id", lowest first
    import hashlib
    ranks = sorted((hashlib.sha256(f"{seed}|evaluation_panel|lot:7|{c.id}".encode()).hexdigest(), c.id)
                   for c in _pool(6))
    assert result == [cid for _rank, cid in ranks[:3]]
    assert draws.commitment_of(seed) == hashlib.sha256(seed.encode()).hexdigest()


@pytest.mark.pure
def test_strata_take_their_own_sizes_and_an_uncapped_stratum_takes_all():
    pool = _pool(3, "key") + [Candidate(f"g:{i}", "general") for i in range(10)]
    snapshot = draws.build_snapshot("inspection_targets", "city:1", pool, [], [("key", None), ("general", 2)])
    result = draws.compute("00" * 32, snapshot)
    assert sorted(result[:3]) == ["c:1", "c:2", "c:3"]
    assert len(result) == 5 and all(r.startswith("g:") for r in result[3:])


@pytest.mark.pure
def test_bad_pools_are_refused():
    with pytest.raises(ValueError):
        draws.build_snapshot("p", "s", [Candidate("a"), Candidate("a")], [], 1)
    with pytest.raises(ValueError):
        draws.build_snapshot("p", "s", [Candidate("a|b")], [], 1)
    with pytest.raises(ValueError):
        draws.build_snapshot("p", "s", [Candidate("a")], [Excluded("a", "inactive")], 1)


def test_a_revealed_draw_verifies_and_the_public_sees_everything(client):
    draw = _drawn(reveal=True)
    assert draw.status == "revealed" and len(draw.result) == 3
    report = draws.verify(draw)
    assert report.ok, report.problems
    body = client.get(f"/api/v1/draws/{draw.id}").get_json()["draw"]
    assert body["seed"] == draw.seed and body["result"] == draw.result
    assert draws.compute(body["seed"], json.loads(body["snapshot"])) == body["result"]
    page = client.get(f"/draws/{draw.id}").get_data(as_text=True)
    assert draw.seed in page and draw.commitment in page


def test_the_seed_is_secret_before_the_reveal(client):
    with unit_of_work():
        draw = draws.commit("evaluation_panel", "lot:2")
    seed, draw_id = draw.seed, draw.id
    for _step in ("committed", "drawn"):
        body = client.get(f"/api/v1/draws/{draw_id}").get_json()["draw"]
        page = client.get(f"/draws/{draw_id}").get_data(as_text=True)
        assert body["commitment"] == draws.commitment_of(seed)
        assert body["seed"] is None and body["snapshot"] is None and body["result"] is None
        assert seed not in page and seed not in json.dumps(body)
        with unit_of_work():
            if _step == "committed":
                draws.perform(draw_id, _pool(), [], 3)
    assert body["pool_size"] == 10  # the second round: drawn, pool size public, result not


@pytest.mark.parametrize("column,value,expected", [
    ("seed", "00" * 32, "does not match the commitment"),
    ("result", None, "result does not follow"),
    ("pool_snapshot", None, "differs from the one drawn from"),
    ("commitment", None, "commitment differs"),
])
def test_tampering_is_found(column, value, expected):
    draw = _drawn(reveal=True)
    if column == "result":
        value = list(reversed(draw.result))
    elif column == "pool_snapshot":
        snap = json.loads(draw.pool_snapshot)
        snap["candidates"] = snap["candidates"][:-1]
        value = json.dumps(snap, sort_keys=True, separators=(",", ":"))
    elif column == "commitment":
        value = draws.commitment_of("11" * 32)
    values = {column: value}
    if column == "pool_snapshot":
        values["pool_sha256"] = draws.sha256_text(value)  # a careful forger fixes the hash too
    if column == "commitment":
        values["seed"] = "11" * 32  # ... and the seed to match
    db.session.execute(update(Draw).where(Draw.id == draw.id).values(**values))
    db.session.commit()
    report = draws.verify(db.session.get(Draw, draw.id))
    assert not report.ok
    assert any(expected in p for p in report.problems), report.problems


def test_a_replacement_draw_must_leave_out_everyone_drawn_before():
    first = _drawn(size=2)
    ok = _drawn(size=2, parent=first, pool=[c for c in _pool() if c.id not in first.result],
                excluded=[Excluded(cid, "already_drawn") for cid in first.result])
    assert draws.verify(ok).ok
    bad = _drawn(size=2, parent=first, subject="lot:9")
    report = draws.verify(bad)
    assert not report.ok and any("already drawn" in p for p in report.problems)


def test_a_pool_smaller_than_the_size_draws_nothing():
    with unit_of_work():
        draw = draws.commit("evaluation_panel", "lot:3")
    with pytest.raises(draws.PoolTooSmall), unit_of_work():
        draws.perform(draw.id, _pool(2), [], 3)
    assert db.session.get(Draw, draw.id).status == "committed"


def test_a_draw_is_made_once():
    draw = _drawn()
    with pytest.raises(IllegalMove), unit_of_work():
        draws.perform(draw.id, _pool(), [], 3)


def test_cli_verify_and_show(app):
    draw = _drawn(reveal=True)
    runner = app.test_cli_runner()
    out = runner.invoke(args=["draws", "verify", str(draw.id)])
    assert out.exit_code == 0 and out.output.strip().splitlines()[-1].startswith(f"OK draw {draw.id}")
    shown = runner.invoke(args=["draws", "show", str(draw.id)])
    assert draw.seed in shown.output
    db.session.execute(update(Draw).where(Draw.id == draw.id).values(result=list(reversed(draw.result))))
    db.session.commit()
    bad = runner.invoke(args=["draws", "verify", str(draw.id)])
    assert bad.exit_code == 1 and "DIFFERS: the result does not follow" in bad.output
    assert runner.invoke(args=["draws", "verify", "424242"]).exit_code == 2


def test_cli_show_keeps_the_seed_secret_until_revealed(app):
    draw = _drawn()
    shown = app.test_cli_runner().invoke(args=["draws", "show", str(draw.id)])
    assert draw.seed not in shown.output and "secret until revealed" in shown.output


def test_the_documented_script_recomputes_a_draw(client, tmp_path):
    from core.draws_views import VERIFY_SCRIPT

    docs = (ROOT / "docs" / "draws.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(.*?)```", docs, re.S).group(1)
    assert block == VERIFY_SCRIPT
    draw = _drawn(reveal=True)
    (tmp_path / "draw.json").write_text(client.get(f"/api/v1/draws/{draw.id}").get_data(as_text=True))
    (tmp_path / "check_draw.py").write_text(block)
    run = subprocess.run([sys.executable, "check_draw.py", "draw.json"], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout.count("OK") == 4, run.stdout
    data = json.loads((tmp_path / "draw.json").read_text())
    data["draw"]["result"] = data["draw"]["result"][::-1]
    (tmp_path / "draw.json").write_text(json.dumps(data))
    run = subprocess.run([sys.executable, "check_draw.py", "draw.json"], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 1 and "FAIL the result follows" in run.stdout


def test_unknown_draws_are_not_found(client):
    assert client.get("/draws/999999").status_code == 404
    assert client.get("/api/v1/draws/999999").status_code == 404
