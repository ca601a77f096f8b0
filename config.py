"""Configuration from the environment.

`Config` holds the embedded defaults (SQLite file, embedded search and payments);
`ProductionConfig` refuses to start without a secret key and a real database.
"""
import base64
import os
import secrets
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))


def _env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_float(name, default):
    return float(os.environ.get(name, str(default)))


def _env_refresh(name, default="wait_for"):
    """An Elasticsearch refresh policy: "wait_for", "true", or False for any false-ish word."""
    value = os.environ.get(name, default)
    return False if value.strip().lower() in ("0", "false", "no", "off") else value


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
    SEARCH_BULK_TIMEOUT = _env_float("SEARCH_BULK_TIMEOUT", 120)
    # Outbox delivery: thread | rq | inline | off; unset = "rq" with JOBS_BACKEND=rq, else "thread"
    # (decided by catalog.search.engine, which sees the final JOBS_BACKEND).
    SEARCH_SYNC_MODE = os.environ.get("SEARCH_SYNC_MODE") or None
    SEARCH_SYNC_POLL = _env_float("SEARCH_SYNC_POLL", 2)
    SEARCH_SYNC_MAX_BACKOFF = _env_float("SEARCH_SYNC_MAX_BACKOFF", 60)
    # Refresh after each delivery so a change is searchable at once ("wait_for"), "true" or "false".
    SEARCH_REFRESH = _env_refresh("SEARCH_REFRESH")
    # Build the index from the database at start-up; unset (None) = only for the embedded engine.
    SEARCH_REINDEX_ON_START = _env_bool("SEARCH_REINDEX_ON_START", None)

    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY")
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET")
    # Where the embedded localstripe (started when STRIPE_SECRET_KEY is unset) sends its signed
    # webhook events: this app's own address as seen from this machine; the web process registers
    # <this>/payments/stripe/webhook with it at start. Unset: PUBLIC_BASE_URL, else
    # http://127.0.0.1:<FLASK_RUN_PORT or PORT (as in `PORT=8000 make run`), 5000 by default>.
    PAYMENTS_WEBHOOK_BASE_URL = (os.environ.get("PAYMENTS_WEBHOOK_BASE_URL") or os.environ.get("PUBLIC_BASE_URL")
                                 or f"http://127.0.0.1:{os.environ.get('FLASK_RUN_PORT') or os.environ.get('PORT') or 5000}")

    REDIS_URL = os.environ.get("REDIS_URL")
    JOBS_BACKEND = os.environ.get("JOBS_BACKEND", "thread")  # "thread" or "rq"
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get("REDIS_URL") or "memory://"
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")

    # Start osmem-server / localstripe when the real services are not configured.
    EMBEDDED_SERVICES = _env_bool("EMBEDDED_SERVICES", True)
    # Where the web process records its embedded services (URLs, pid) for `flask` commands run
    # from another shell; removed when it exits (see core.embedded).
    EMBEDDED_STATE_FILE = os.environ.get("EMBEDDED_STATE_FILE", str(INSTANCE_DIR / "embedded.json"))
    # The daily certificate-expiry thread of the web process; unset (None) = on in the embedded
    # default (embedded services, thread jobs), off otherwise. Production: 0 and cron.
    PRODUCT_EXPIRY_DAILY = _env_bool("PRODUCT_EXPIRY_DAILY", None)
    # The chronograph (core.scheduler) runs due deadlines every this many seconds: a thread of the
    # web process with JOBS_BACKEND=thread, a job enqueued by worker.py with rq; 0 turns the
    # periodic trigger off (then cron runs `flask chronograph tick`).
    CHRONOGRAPH_INTERVAL = _env_float("CHRONOGRAPH_INTERVAL", 15)

    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", str(32 * 1024 * 1024)))
    MAX_DOCUMENT_BYTES = int(os.environ.get("MAX_DOCUMENT_BYTES", str(10 * 1024 * 1024)))
    DOCUMENT_STORE = os.environ.get("DOCUMENT_STORE", str(INSTANCE_DIR / "documents"))
    # Until the platform verifies a supplier firm, its product documents are capped (all its
    # uploads together): so an unverified sign-up cannot fill the document store.
    UNVERIFIED_SUPPLIER_UPLOAD_BYTES = int(os.environ.get("UNVERIFIED_SUPPLIER_UPLOAD_BYTES", str(50 * 1024 * 1024)))
    UNVERIFIED_SUPPLIER_UPLOAD_DOCUMENTS = int(os.environ.get("UNVERIFIED_SUPPLIER_UPLOAD_DOCUMENTS", "20"))
    # Bulk catalog import: uploaded files wait here for their job; larger files are refused.
    IMPORT_DIR = os.environ.get("IMPORT_DIR", str(INSTANCE_DIR / "imports"))
    IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "100000"))
    # Cells per row of an import file (XLSX rows are checked while streaming, before parsing).
    IMPORT_MAX_COLUMNS = int(os.environ.get("IMPORT_MAX_COLUMNS", "1000"))

    # Signed audit checkpoints (core.checkpoints): the Ed25519 signing key, base64 of a 32-byte
    # seed. Unset: a dev key is generated in AUDIT_SIGNING_KEY_FILE (owner-only) on first use.
    AUDIT_SIGNING_KEY = os.environ.get("AUDIT_SIGNING_KEY")
    AUDIT_SIGNING_KEY_FILE = os.environ.get("AUDIT_SIGNING_KEY_FILE", str(INSTANCE_DIR / "audit-signing.key"))
    # More trusted public keys (base64, comma-separated): old keys after a rotation, or the only
    # keys of a verifier's machine that holds no private key.
    AUDIT_PUBLIC_KEYS = os.environ.get("AUDIT_PUBLIC_KEYS", "")

    # Sealed bids (procurement.bids.sealing): argon2id limits that turn an opening key holder's
    # passphrase into the key wrapping the holder's private key (libsodium's "interactive" limits
    # by default; tests use the minimum), and the k of n threshold of the opening key shares.
    SEALING_PWHASH_OPSLIMIT = int(os.environ.get("SEALING_PWHASH_OPSLIMIT", "2"))
    SEALING_PWHASH_MEMLIMIT = int(os.environ.get("SEALING_PWHASH_MEMLIMIT", str(64 * 1024 * 1024)))
    SEALING_THRESHOLD = int(os.environ.get("SEALING_THRESHOLD", "2"))
    # Bid opening (procurement.opening): each key holder's unlocked share is re-sealed to an opening
    # session's own X25519 key, whose private half is wrapped with a key derived from this secret
    # (base64 of 32 bytes; unset: derived from SECRET_KEY). Unlocked shares are wiped when the
    # bids are opened or when the session expires, this many minutes after the first unlock.
    OPENING_SESSION_KEY = os.environ.get("OPENING_SESSION_KEY")
    OPENING_SESSION_MINUTES = int(os.environ.get("OPENING_SESSION_MINUTES", "240"))

    # Mail: an SMTP URL (smtp://user:password@host:port, smtps://..., ?starttls=1); unset in the
    # embedded default, where core.embedded starts a local SMTP sink and fills it in.
    MAIL_URL = os.environ.get("MAIL_URL")
    MAIL_FROM = os.environ.get("MAIL_FROM", "no-reply@gbm.example.cn")
    # After commit: "thread" sends in the background of this process; "off" leaves it to
    # `flask mail send` (cron) or a worker; "inline" sends before the response (tests).
    MAIL_DELIVERY = os.environ.get("MAIL_DELIVERY", "thread")
    # Absolute links in e-mails; unset = the address of the request that queued the mail.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL")
    # OCDS open data (procurement.opendata): every ocid starts with this prefix. "ocds-xxxxxx" is
    # the standard's placeholder for tests and demos; a publisher registers its own prefix with
    # the Open Contracting Partnership and must never change it once data is out.
    OCDS_OCID_PREFIX = os.environ.get("OCDS_OCID_PREFIX", "ocds-xxxxxx")
    # The publisher named in every OCDS package.
    OCDS_PUBLISHER_NAME = os.environ.get("OCDS_PUBLISHER_NAME", "Green Building Materials Procurement Platform")
    # How often the chronograph publishes what the audit trail says happened (reads catch up anyway).
    OCDS_SWEEP_MINUTES = int(os.environ.get("OCDS_SWEEP_MINUTES", "5"))
    # How often the chronograph rebuilds the dashboards' monthly figures (procurement.oversight).
    OVERSIGHT_REFRESH_MINUTES = int(os.environ.get("OVERSIGHT_REFRESH_MINUTES", "60"))

    # Sign-in sessions live on the server (core.sessions): they end after this long without a
    # request, or this long after sign-in at the latest; the cookie lasts no longer either.
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "120"))
    SESSION_MAX_HOURS = int(os.environ.get("SESSION_MAX_HOURS", "12"))
    PERMANENT_SESSION_LIFETIME = SESSION_MAX_HOURS * 3600
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
    """Refuses to start without a secret key, a real database URL and an audit signing key."""

    ENV_NAME = "production"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = True
    JOBS_BACKEND = os.environ.get("JOBS_BACKEND", "rq")
    AUDIT_SIGNING_KEY_FILE = os.environ.get("AUDIT_SIGNING_KEY_FILE")  # no generated dev key

    @classmethod
    def validate(cls):
        missing = []
        if not os.environ.get("SECRET_KEY"):
            missing.append("SECRET_KEY")
        url = os.environ.get("DATABASE_URL", "")
        if not url or url.startswith("sqlite"):
            missing.append("DATABASE_URL (a PostgreSQL URL)")
        if not (os.environ.get("AUDIT_SIGNING_KEY") or os.environ.get("AUDIT_SIGNING_KEY_FILE")):
            # Signed checkpoints are what lets outsiders detect a rewritten audit trail; a
            # production instance must sign with a key its operators keep, never a generated one.
            missing.append("AUDIT_SIGNING_KEY or AUDIT_SIGNING_KEY_FILE")
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
    MAIL_DELIVERY = "off"  # tests send explicitly, to an SMTP sink they start
    AUDIT_SIGNING_KEY = base64.b64encode(secrets.token_bytes(32)).decode("ascii")  # this test run's own
    AUDIT_SIGNING_KEY_FILE = None
    SEALING_PWHASH_OPSLIMIT = 1        # argon2id minimums: fast key-holder enrolment in tests
    SEALING_PWHASH_MEMLIMIT = 8192
    # Private to this test process: tests never read or clobber a running instance's record.
    EMBEDDED_STATE_FILE = str(Path(tempfile.gettempdir()) / f"gbm-test-embedded-{os.getpid()}.json")


CONFIGS = {"development": Config, "production": ProductionConfig, "testing": TestConfig}


def config_from_env():
    """Pick the config class named by APP_ENV (development, production, testing)."""
    name = os.environ.get("APP_ENV", "development")
    if name not in CONFIGS:
        raise ConfigError(f"APP_ENV={name!r} is not one of {', '.join(CONFIGS)}")
    return CONFIGS[name]
