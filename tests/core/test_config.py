import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _import_wsgi(env):
    full = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL")}
    full.update(env)
    return subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=full, capture_output=True, text=True, timeout=120)


def test_production_refuses_to_start_without_secret_and_database():
    result = _import_wsgi({"APP_ENV": "production"})
    assert result.returncode == 2
    lines = [line for line in result.stderr.strip().splitlines() if line]
    assert lines == ["production config: missing SECRET_KEY, DATABASE_URL (a PostgreSQL URL)"]


def test_production_refuses_sqlite():
    result = _import_wsgi({"APP_ENV": "production", "SECRET_KEY": "x" * 32, "DATABASE_URL": "sqlite:///x.db"})
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr and "SECRET_KEY" not in result.stderr


def test_unknown_app_env_is_named():
    result = _import_wsgi({"APP_ENV": "staging"})
    assert result.returncode == 2 and "staging" in result.stderr


def test_config_reads_environment(monkeypatch):
    import importlib

    import config

    monkeypatch.setenv("ELASTICSEARCH_URL", "http://search.internal:9200")
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_x")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    reloaded = importlib.reload(config)
    try:
        assert reloaded.Config.ELASTICSEARCH_URL == "http://search.internal:9200"
        assert reloaded.Config.STRIPE_SECRET_KEY == "sk_test_x"
        assert reloaded.Config.RATELIMIT_STORAGE_URI == "redis://127.0.0.1:6379/3"
    finally:
        monkeypatch.undo()
        importlib.reload(config)
