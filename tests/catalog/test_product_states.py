"""The product status machine: the explicit table, every legal and illegal move, and the atomic
conditional apply (a move another request made first is refused, nothing changes)."""
from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from core.extensions import db
from core.statemachine import IllegalMove
from tests.catalog.product_helpers import supplier_user, window_data

from catalog.models.products import Product
from catalog.product_states import PRODUCT, PRODUCT_STATUSES
from catalog.services import product_edit as edit

# The whole table, written out: (from, action, to).
TABLE = {
    ("draft", "submit", "submitted"), ("rejected", "submit", "submitted"),
    ("submitted", "verify", "verified"),
    ("submitted", "reject", "rejected"),
    ("verified", "list", "listed"),
    ("listed", "suspend", "suspended"), ("verified", "suspend", "suspended"),
    ("suspended", "reinstate", "listed"),
    ("submitted", "reopen", "draft"), ("verified", "reopen", "draft"), ("listed", "reopen", "draft"),
    ("suspended", "reopen", "draft"),
}
ACTIONS = sorted({action for _s, action, _t in TABLE})
LEGAL = sorted(TABLE)
ILLEGAL = sorted((state, action) for state, action in itertools.product(PRODUCT_STATUSES, ACTIONS)
                 if not any(s == state and a == action for s, a, _t in TABLE))


@pytest.mark.pure
def test_the_table_is_exactly_the_documented_one():
    assert set(PRODUCT.table()) == TABLE
    assert set(PRODUCT.states) == set(PRODUCT_STATUSES)


@pytest.mark.pure
@pytest.mark.parametrize("state, action, target", LEGAL)
def test_legal_moves_are_allowed(state, action, target):
    assert PRODUCT.allows(state, action)
    assert PRODUCT.check(state, action).target == target


@pytest.mark.pure
@pytest.mark.parametrize("state, action", ILLEGAL)
def test_illegal_moves_are_refused_with_a_409(state, action):
    assert not PRODUCT.allows(state, action)
    with pytest.raises(IllegalMove) as err:
        PRODUCT.check(state, action)
    assert err.value.status == 409 and err.value.params["status"] == state


def _product_in(status: str) -> Product:
    product = edit.create_product(supplier_user(), window_data(sku=f"S-{status}"))
    db.session.execute(db.update(Product).where(Product.id == product.id).values(status=status))
    db.session.commit()
    return product


def _status(pid: int) -> str:
    db.session.expire_all()
    return db.session.execute(select(Product.status).where(Product.id == pid)).scalar_one()


@pytest.mark.parametrize("state, action, target", LEGAL)
def test_apply_moves_the_row(catalog, state, action, target):
    product = _product_in(state)
    PRODUCT.apply(Product, product.id, action)
    db.session.commit()
    assert _status(product.id) == target


@pytest.mark.parametrize("state, action", ILLEGAL)
def test_apply_refuses_and_changes_nothing(catalog, state, action):
    product = _product_in(state)
    with pytest.raises(IllegalMove):
        PRODUCT.apply(Product, product.id, action)
    db.session.rollback()
    assert _status(product.id) == state


def test_a_move_made_meanwhile_by_another_request_wins(catalog):
    """Check-then-change is atomic: this request read `submitted`, another request verified the
    product before this one wrote; rejecting now is refused by the conditional UPDATE instead of
    overwriting `verified`."""
    from sqlalchemy.orm import Session

    product = _product_in("submitted")
    seen = db.session.get(Product, product.id).status
    PRODUCT.check(seen, "reject")  # passes on what this request read
    db.session.commit()
    with Session(db.engine) as other:  # the other request, on its own connection
        move = PRODUCT.move("verify")
        other.execute(db.update(Product).where(Product.id == product.id, Product.status.in_(move.sources))
                      .values(status=move.target))
        other.commit()
    with pytest.raises(IllegalMove) as err:
        PRODUCT.apply(Product, product.id, "reject")
    db.session.rollback()
    assert err.value.params["status"] == "verified"
    assert _status(product.id) == "verified"
