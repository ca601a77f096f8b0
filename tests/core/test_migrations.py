"""Migrations run both ways on SQLite and PostgreSQL, and match the models."""
import os
import secrets
import tempfile

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url


def _app_for(url):
    from config import TestConfig
    from platform_app import create_app

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url

    return create_app(Config, process="test")


def _roundtrip(url):
    application = _app_for(url)
    with application.app_context():
        from core.extensions import db

        upgrade(revision="head")
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "organisations", "audit_events"} <= tables
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), db.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade(revision="head")
        db.engine.dispose()


def test_upgrade_downgrade_sqlite():
    _roundtrip(f"sqlite:///{tempfile.mkdtemp()}/mig.db")


@pytest.mark.postgres
def test_upgrade_downgrade_postgresql():
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL not set")
    url = make_url(base.replace("postgresql://", "postgresql+psycopg://", 1) if base.startswith("postgresql://") else base)
    name = f"gbm_mig_{secrets.token_hex(4)}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        _roundtrip(url.set(database=name).render_as_string(hide_password=False))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
