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
    assert lines == ["production config: missing SECRET_KEY, DATABASE_URL (a PostgreSQL URL), "
                     "AUDIT_SIGNING_KEY or AUDIT_SIGNING_KEY_FILE"]


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


SEARCH_AND_SCHEDULE_ENV = ("SEARCH_SYNC_MODE", "SEARCH_REINDEX_ON_START", "SEARCH_REFRESH", "SEARCH_SYNC_POLL",
                           "SEARCH_BULK_TIMEOUT", "SEARCH_SYNC_MAX_BACKOFF", "PRODUCT_EXPIRY_DAILY",
                           "EMBEDDED_STATE_FILE")


def _reloaded_config(monkeypatch, **env):
    import importlib

    import config

    for name in SEARCH_AND_SCHEDULE_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return importlib.reload(config)


def test_search_and_schedule_settings_are_read_by_config(monkeypatch):
    import importlib

    import config

    try:
        c = _reloaded_config(monkeypatch).Config
        assert (c.SEARCH_SYNC_MODE, c.SEARCH_REINDEX_ON_START, c.SEARCH_REFRESH) == (None, None, "wait_for")
        assert (c.SEARCH_SYNC_POLL, c.SEARCH_BULK_TIMEOUT, c.SEARCH_SYNC_MAX_BACKOFF) == (2.0, 120.0, 60.0)
        assert c.PRODUCT_EXPIRY_DAILY is None
        assert c.EMBEDDED_STATE_FILE == str(config.INSTANCE_DIR / "embedded.json")
        c = _reloaded_config(monkeypatch, SEARCH_SYNC_MODE="inline", SEARCH_REINDEX_ON_START="0", SEARCH_REFRESH="false",
                             SEARCH_SYNC_POLL="0.5", SEARCH_BULK_TIMEOUT="30", SEARCH_SYNC_MAX_BACKOFF="10",
                             PRODUCT_EXPIRY_DAILY="0", EMBEDDED_STATE_FILE="/run/gbm/embedded.json").Config
        assert (c.SEARCH_SYNC_MODE, c.SEARCH_REINDEX_ON_START, c.SEARCH_REFRESH) == ("inline", False, False)
        assert (c.SEARCH_SYNC_POLL, c.SEARCH_BULK_TIMEOUT, c.SEARCH_SYNC_MAX_BACKOFF) == (0.5, 30.0, 10.0)
        assert c.PRODUCT_EXPIRY_DAILY is False and c.EMBEDDED_STATE_FILE == "/run/gbm/embedded.json"
        assert _reloaded_config(monkeypatch, SEARCH_REFRESH="true").Config.SEARCH_REFRESH == "true"
    finally:
        monkeypatch.undo()
        importlib.reload(config)


def test_search_sync_mode_follows_the_jobs_backend_unless_set():
    from flask import Flask

    from catalog.search.engine import SearchEngine

    for jobs, mode, expected in (("thread", None, "thread"), ("rq", None, "rq"), ("rq", "off", "off")):
        app = Flask(__name__)
        app.config.update(JOBS_BACKEND=jobs, SEARCH_SYNC_MODE=mode)
        SearchEngine().init_app(app)
        assert app.config["SEARCH_SYNC_MODE"] == expected
