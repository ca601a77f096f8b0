"""Catalog rules live in `catalog.policy` and fail closed; the catalog wires itself only in
`catalog.register(app)`, never because a module was imported."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from core.errors import PermissionDenied
from tests.catalog.product_helpers import reviewer_user, supplier_user, window_data

from catalog import policy
from catalog.services import product_edit as edit
from catalog.services import product_lifecycle as lifecycle

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.pure
@pytest.mark.parametrize("organisation", [None, SimpleNamespace(), SimpleNamespace(status=None),
                                          SimpleNamespace(status="pending"), SimpleNamespace(status="rejected")])
def test_a_supplier_without_a_known_verified_status_is_not_verified(organisation):
    assert policy.supplier_is_verified(organisation) is False


@pytest.mark.pure
def test_only_verified_counts():
    assert policy.supplier_is_verified(SimpleNamespace(status="verified")) is True


@pytest.mark.pure
@pytest.mark.parametrize("user", [None, SimpleNamespace(is_authenticated=False)])
def test_anonymous_users_may_nothing_but_view_public_products(user):
    product = SimpleNamespace(status="draft", supplier_id=1, suspension_kind=None)
    assert not policy.can_edit_product(user, product)
    assert not policy.can_review_product(user, product)
    assert not policy.can_view_product(user, product)
    assert not policy.can_reinstate_product(user, product)
    assert not policy.is_supplier(user)
    assert policy.can_view_product(user, SimpleNamespace(status="listed", supplier_id=1))


@pytest.mark.parametrize("status", ["pending", "rejected"])
def test_submit_is_refused_unless_the_supplier_is_verified(catalog, db, status):
    """The service enforces the same rule (`policy.supplier_is_verified`); nothing changes."""
    user = supplier_user(status=status)
    product = edit.create_product(user, window_data())
    with pytest.raises(PermissionDenied):
        lifecycle.submit_product(user, product.id)
    db.session.expire_all()
    assert db.session.get(type(product), product.id).status == "draft"


def test_a_supplier_reinstates_only_what_a_reviewer_did_not_suspend(catalog, db):
    supplier, reviewer = supplier_user(), reviewer_user()
    product = SimpleNamespace(status="suspended", supplier_id=supplier.organisation_id, suspension_kind="review")
    assert not policy.can_reinstate_product(supplier, product)
    assert policy.can_reinstate_product(reviewer, product)
    product.suspension_kind = "certificate"
    assert policy.can_reinstate_product(supplier, product)
    assert not policy.can_reinstate_product(supplier_user(), product)  # another supplier's


@pytest.mark.pure
def test_importing_every_catalog_module_registers_nothing():
    """Import all of the catalog (not search) in a fresh interpreter: no CLI command on the
    blueprint, no session listener, no thread; `register(app)` does all of that."""
    probe = r'''
import importlib, pkgutil, threading
import catalog
before = threading.active_count()
for mod in pkgutil.walk_packages(catalog.__path__, "catalog."):
    if not mod.name.startswith("catalog.search"):
        importlib.import_module(mod.name)
from sqlalchemy import event
from sqlalchemy.orm import Session
from catalog.models import standards
from catalog.services import deferred
assert catalog.bp.cli.commands == {}, catalog.bp.cli.commands
for name, fn in (("after_flush_postexec", deferred._write), ("after_soft_rollback", deferred._drop),
                 ("before_flush", standards._guard_published_versions)):
    assert not event.contains(Session, name, fn), name
assert threading.active_count() == before
print("ok")
'''
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_register_wires_commands_listeners_and_policies(app):
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from catalog import bp
    from catalog.models import standards
    from catalog.services import deferred

    assert {"expire", "refresh-verdicts", "seed-standards", "new-standard-version", "import", "export"} \
        <= set(bp.cli.commands)
    assert event.contains(Session, "after_flush_postexec", deferred._write)
    assert event.contains(Session, "before_flush", standards._guard_published_versions)
    assert {"edit_product", "view_product", "review_product", "reinstate_product", "edit_categories"} \
        <= set(app.extensions["policies"])
