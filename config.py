"""Configuration from the environment.

`Config` holds the embedded defaults (SQLite file, embedded search and payments);
`ProductionConfig` refuses to start without a secret key and a real database.
"""
import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))


def _env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class ConfigError(RuntimeError):
    """A required setting is missing; the message says which."""


class Config:
    """Embedded defaults: everything runs on one machine with no set-up."""

    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY") or secrets.token_hex(32)
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'platform.db'}"
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    ELASTICSEARCH_URL = os.environ.get("ELASTICSEARCH_URL")
    ELASTICSEARCH_API_KEY = os.environ.get("ELASTICSEARCH_API_KEY")
    ELASTICSEARCH_CA_CERTS = os.environ.get("ELASTICSEARCH_CA_CERTS")
    # osmem-server only accepts plain application/json; real Elasticsearch 8/9 accepts it too.
    ELASTICSEARCH_PLAIN_JSON = _env_bool("ELASTICSEARCH_PLAIN_JSON", True)
    ELASTICSEARCH_TIMEOUT = float(os.environ.get("ELASTICSEARCH_TIMEOUT", "5"))
    SEARCH_INDEX_ALIAS = os.environ.get("SEARCH_INDEX_ALIAS", "products")

    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY")
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET")

    REDIS_URL = os.environ.get("REDIS_URL")
    JOBS_BACKEND = os.environ.get("JOBS_BACKEND", "thread")  # "thread" or "rq"
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get("REDIS_URL") or "memory://"
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")

    # Start osmem-server / localstripe when the real services are not configured.
    EMBEDDED_SERVICES = _env_bool("EMBEDDED_SERVICES", True)

    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", str(32 * 1024 * 1024)))
    MAX_DOCUMENT_BYTES = int(os.environ.get("MAX_DOCUMENT_BYTES", str(10 * 1024 * 1024)))
    DOCUMENT_STORE = os.environ.get("DOCUMENT_STORE", str(INSTANCE_DIR / "documents"))
    # Bulk catalog import: uploaded files wait here for their job; larger files are refused.
    IMPORT_DIR = os.environ.get("IMPORT_DIR", str(INSTANCE_DIR / "imports"))
    IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "100000"))

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = None

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("en", "zh_Hans")
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    BOOTSTRAP_SERVE_LOCAL = True

    # argon2id cost; tests lower it to keep the suite fast.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536
    ARGON2_PARALLELISM = 2

    @classmethod
    def validate(cls):
        """Hook for stricter configs; the embedded default needs nothing."""


class ProductionConfig(Config):
    """Refuses to start without a secret key and a real database URL."""

    ENV_NAME = "production"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = True
    JOBS_BACKEND = os.environ.get("JOBS_BACKEND", "rq")

    @classmethod
    def validate(cls):
        missing = []
        if not os.environ.get("SECRET_KEY"):
            missing.append("SECRET_KEY")
        url = os.environ.get("DATABASE_URL", "")
        if not url or url.startswith("sqlite"):
            missing.append("DATABASE_URL (a PostgreSQL URL)")
        if missing:
            raise ConfigError("production config: missing " + ", ".join(missing))


class TestConfig(Config):
    """Test suite settings; the database URL is chosen by tests/conftest.py."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key"
    WTF_CSRF_ENABLED = False
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    ARGON2_PARALLELISM = 1
    RATELIMIT_STORAGE_URI = "memory://"
    JOBS_BACKEND = "thread"


CONFIGS = {"development": Config, "production": ProductionConfig, "testing": TestConfig}


def config_from_env():
    """Pick the config class named by APP_ENV (development, production, testing)."""
    name = os.environ.get("APP_ENV", "development")
    if name not in CONFIGS:
        raise ConfigError(f"APP_ENV={name!r} is not one of {', '.join(CONFIGS)}")
    return CONFIGS[name]
