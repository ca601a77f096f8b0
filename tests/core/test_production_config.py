"""The production configuration refuses to start without its secrets."""
import importlib

import pytest

pytestmark = pytest.mark.pure

def _config():
    """The config module as it is now (another test reloads it, which makes new classes)."""
    return importlib.import_module("config")


FULL = {"SECRET_KEY": "s" * 32, "DATABASE_URL": "postgresql://db/gbm", "AUDIT_SIGNING_KEY": "a" * 44}


@pytest.mark.parametrize("missing, named", [
    ("SECRET_KEY", "SECRET_KEY"),
    ("DATABASE_URL", "DATABASE_URL"),
    ("AUDIT_SIGNING_KEY", "AUDIT_SIGNING_KEY or AUDIT_SIGNING_KEY_FILE"),
])
def test_each_missing_secret_is_named(monkeypatch, missing, named):
    for key, value in FULL.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AUDIT_SIGNING_KEY_FILE", raising=False)
    monkeypatch.delenv(missing)
    config = _config()
    with pytest.raises(config.ConfigError, match=named):
        config.ProductionConfig.validate()


def test_a_key_file_is_enough_and_sqlite_is_refused(monkeypatch):
    for key, value in FULL.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AUDIT_SIGNING_KEY")
    monkeypatch.setenv("AUDIT_SIGNING_KEY_FILE", "/etc/gbm/audit.key")
    config = _config()
    config.ProductionConfig.validate()  # complete: no error
    monkeypatch.setenv("DATABASE_URL", "sqlite:///x.db")
    with pytest.raises(config.ConfigError, match="PostgreSQL"):
        config.ProductionConfig.validate()
