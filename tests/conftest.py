"""Test harness.

The suite runs on PostgreSQL when TEST_DATABASE_URL is set (each run gets its own fresh
database, dropped afterwards) and on a temporary SQLite file otherwise. The schema is built
with the real Alembic migrations (`upgrade heads`), never with `create_all`.
"""
from __future__ import annotations

import os
import secrets
import tempfile

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

os.environ.setdefault("APP_ENV", "testing")


def _normalise(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@pytest.fixture(scope="session")
def database_url():
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        tmpdir = tempfile.mkdtemp(prefix="gbm-test-")
        yield f"sqlite:///{tmpdir}/test.db"
        return
    base = make_url(_normalise(base))
    name = f"gbm_test_{secrets.token_hex(4)}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        # A throw-away database: no need to wait for the disk on every commit.
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(scope="session")
def app(database_url):
    from flask_migrate import upgrade

    from config import TestConfig
    from platform_app import create_app

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        DOCUMENT_STORE = tempfile.mkdtemp(prefix="gbm-docs-")

    application = create_app(Config, process="test")

    @application.before_request
    def _fresh_request_globals():
        # Tests hold an app context open, and requests reuse it; production requests each get
        # their own. Drop per-request caches so one request's user (or language) never leaks into the next.
        from flask import g

        for key in ("_login_user", "api_user", "_flask_babel"):  # babel caches the locale in g
            g.pop(key, None)

    with application.app_context():
        upgrade(revision="heads")
        _remember_seeded_rows()
    yield application


@pytest.fixture(autouse=True)
def _app_context(request):
    """Every test runs inside an app context and leaves empty tables behind.

    Pure unit tests can opt out with `@pytest.mark.pure` (no app, no database).
    """
    if request.node.get_closest_marker("pure"):
        yield
        return
    application = request.getfixturevalue("app")
    from core.extensions import limiter

    limiter.reset()  # rate-limit counters must not leak between tests
    with application.app_context():
        yield
        _truncate_all()


#: Reference tables the migrations seed (every database has their rows): the ids present right
#: after `upgrade` are kept between tests, rows a test adds are deleted.
SEEDED_BY_MIGRATIONS = {"procedure_profiles": set(),  # national profiles of 0013_tendering
                        "expert_draw_rules": set(),  # the national expert-draw rule of 0017_draws_panels
                        "abnormal_price_rules": set(),  # the national abnormal-price rule of 0018_scoring
                        "inspection_rules": set(),  # the national inspection rule of 0022_inspections
                        "oversight_rules": set(),  # the national oversight rule of 0025_oversight
                        "delivery_rules": set()}  # the national delivery rule of 0026_delivery_gaps


def _remember_seeded_rows() -> None:
    from core.extensions import db

    with db.engine.connect() as conn:
        for name in SEEDED_BY_MIGRATIONS:
            table = db.metadata.tables[name]
            SEEDED_BY_MIGRATIONS[name] = set(conn.execute(db.select(table.c.id)).scalars())


def _truncate_all():
    from core.extensions import db

    db.session.remove()
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    # DELETE, not TRUNCATE: test tables hold a handful of rows, and TRUNCATE on PostgreSQL
    # rewrites every table's files and waits for exclusive locks (about 1 s per test).
    with db.engine.begin() as conn:
        for table in tables:
            if table.name in SEEDED_BY_MIGRATIONS:
                conn.execute(table.delete().where(table.c.id.not_in(SEEDED_BY_MIGRATIONS[table.name])))
            else:
                conn.execute(table.delete())


@pytest.fixture
def db(app):
    from core.extensions import db as database

    return database


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def csrf_enabled(app):
    """Turn CSRF protection on for one test."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture(scope="session", autouse=True)
def _service_errors_must_be_translatable():
    """A ServiceError raised anywhere in the suite with a message that is not a translated
    entry of the catalogue fails the test that raised it (see tests/core/test_messages.py)."""
    from core.errors import ServiceError
    from tests.message_catalogue import translated_msgids

    original = ServiceError.__init__

    def checked(self, message, fields=None, **params):
        original(self, message, fields, **params)
        if self.template not in translated_msgids():
            raise AssertionError(f"ServiceError message not in the catalogue: {self.template!r}")

    ServiceError.__init__ = checked
    yield
    ServiceError.__init__ = original
