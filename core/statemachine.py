"""One small state-machine helper for every lifecycle (product, project stage, tender, lot,
bid, bond, award, order, delivery, inspection).

A machine is an explicit transition table: each `Move` names an action, the states it may
start from and the state it leads to. Services ask the machine before they change a row and,
to stay atomic on SQLite as well as PostgreSQL, apply the move with a conditional
``UPDATE ... WHERE status IN (sources)`` whose row count says whether this request won::

    PRODUCT = StateMachine("product", ["draft", "submitted", ...], [
        Move("submit", ("draft", "rejected"), "submitted"),
        ...
    ])
    move = PRODUCT.check(product.status, "submit")         # IllegalMove (409) if not allowed
    PRODUCT.apply(Product, product.id, "submit", column="status", submitted_at=now)

The module is pure apart from `apply`, which takes the session from `core.extensions`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from core.errors import Conflict
from core.i18n import N_, Term


class IllegalMove(Conflict):
    """The action is not possible from the object's current state (HTTP 409)."""

    code = "illegal_transition"


@dataclass(frozen=True)
class Move:
    """One row of a transition table: `action` leads from any of `sources` to `target`."""

    action: str
    sources: tuple[str, ...]
    target: str

    def __post_init__(self):
        if isinstance(self.sources, str):  # Move("x", "draft", ...) is a common slip
            object.__setattr__(self, "sources", (self.sources,))


class StateMachine:
    """An explicit transition table over a fixed set of states."""

    def __init__(self, name: str, states: Iterable[str], moves: Iterable[Move], *, final: Iterable[str] = ()):
        self.name = name
        self.states: tuple[str, ...] = tuple(states)
        self.final = frozenset(final)
        self._moves: dict[str, Move] = {}
        for move in moves:
            if move.action in self._moves:
                raise ValueError(f"{name}: action {move.action!r} defined twice")
            unknown = [s for s in (*move.sources, move.target) if s not in self.states]
            if unknown:
                raise ValueError(f"{name}: action {move.action!r} names unknown states {unknown}")
            leaving_final = self.final.intersection(move.sources)
            if leaving_final:
                raise ValueError(f"{name}: action {move.action!r} leaves final state(s) {sorted(leaving_final)}")
            self._moves[move.action] = move

    # --------------------------------------------------------------- queries
    @property
    def moves(self) -> tuple[Move, ...]:
        """Every row of the table, in definition order."""
        return tuple(self._moves.values())

    def move(self, action: str) -> Move:
        """The table row of `action` (KeyError for an action the machine does not know)."""
        return self._moves[action]

    def allows(self, state: str, action: str) -> bool:
        """Is `action` possible from `state`?"""
        move = self._moves.get(action)
        return move is not None and state in move.sources

    def actions_from(self, state: str) -> list[Move]:
        """The moves possible from `state`, in table order."""
        return [m for m in self._moves.values() if state in m.sources]

    def check(self, state: str, action: str) -> Move:
        """The move for `action` from `state`, or `IllegalMove` with a translatable message."""
        move = self._moves.get(action)
        if move is None:
            raise KeyError(f"{self.name}: unknown action {action!r}")
        if state not in move.sources:
            raise IllegalMove(N_("This action is not possible while the status is “%(status)s”."),
                              status=Term(state), action=action)
        return move

    def table(self) -> list[tuple[str, str, str]]:
        """(source, action, target) rows, for documentation and tests."""
        return [(source, m.action, m.target) for m in self._moves.values() for source in m.sources]

    # --------------------------------------------------------------- writes
    def apply(self, model, pk, action: str, *, column: str = "status", **values) -> Move:
        """Apply `action` to row `pk` of `model` atomically: ``UPDATE ... SET column = target
        WHERE id = pk AND column IN (sources)``. Raises `IllegalMove` when no row matched
        (another request moved it first, or it was never in a source state).

        Runs in the caller's transaction (no commit; pending changes are flushed first). A loaded
        ORM object of that row gets the new values (a value that is an SQL expression is
        refreshed on next access instead).
        """
        from sqlalchemy import update

        from core.extensions import db

        move = self._moves[action]
        col = getattr(model, column)
        # synchronize_session=False: no RETURNING of matched ids and no evaluation of the SET
        # clause against the session; `_synchronise` below does the little that is needed. (The
        # statement keeps its literal id: the search outbox re-runs its WHERE clause to find
        # the rows an UPDATE touches.)
        stmt = (update(model).where(model.id == pk, col.in_(move.sources))
                .values({column: move.target, **values}).execution_options(synchronize_session=False))
        result = db.session.execute(stmt)
        if result.rowcount != 1:
            current = db.session.execute(
                db.select(col).where(model.id == pk)
                .execution_options(populate_existing=True)).scalar_one_or_none()
            raise IllegalMove(N_("This action is not possible while the status is “%(status)s”."),
                              status=Term(current or ""), action=action)
        _synchronise(db.session, model, pk, {column: move.target, **values})
        return move


def _synchronise(session, model, pk, values: dict) -> None:
    """What ``synchronize_session="fetch"`` did, without its extra work: the loaded object of the
    row (if any) takes the written values as its committed state (no flush follows); a value the
    database computes is expired, so it is read back on next access."""
    from sqlalchemy.orm.attributes import set_committed_value
    from sqlalchemy.sql import ClauseElement

    obj = session.identity_map.get(session.identity_key(model, pk))
    if obj is None:
        return
    expire = []
    for name, value in values.items():
        if isinstance(value, ClauseElement):
            expire.append(name)
        else:
            set_committed_value(obj, name, value)
    if expire:
        session.expire(obj, expire)
