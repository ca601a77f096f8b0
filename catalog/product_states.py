"""The product status machine: an explicit transition table (pure, `core.statemachine`).

::

    draft --submit--> submitted --verify--> verified --list--> listed
      ^                  | reject                                |  certificate expired or revoked,
      |                  v                                       v  or a reviewer suspends
      +------------- rejected (edit, resubmit)               suspended --reinstate--> listed

    submitted / verified / listed --reopen--> draft   (a supplier changed what a reviewer checked)

Use cases check a move before they change anything (`PRODUCT.check`, a 409 with the current
status) and apply it with `PRODUCT.apply(Product, id, action, ...)`: one conditional
``UPDATE ... WHERE status IN (sources)`` whose row count says whether this request won, so two
concurrent requests cannot both move the same product, on SQLite as on PostgreSQL.
"""
from __future__ import annotations

from core.statemachine import Move, StateMachine

DRAFT, SUBMITTED, VERIFIED, LISTED, SUSPENDED, REJECTED = (
    "draft", "submitted", "verified", "listed", "suspended", "rejected")
PRODUCT_STATUSES = (DRAFT, SUBMITTED, VERIFIED, LISTED, SUSPENDED, REJECTED)

#: Statuses in which the public sees the product (a suspended one is shown as suspended).
PUBLIC_STATUSES = (LISTED, SUSPENDED)
#: Statuses whose certificates the expiry job watches.
WATCHED_STATUSES = (LISTED, VERIFIED)
#: Statuses a reviewer has checked: changing what was checked reopens the product.
REVIEWED_STATUSES = (SUBMITTED, VERIFIED, LISTED)

#: A certificate's status as the certification body decided it (`expired` also by date).
CERTIFICATE_STATUSES = ("valid", "suspended", "revoked", "expired")

PRODUCT = StateMachine("product", PRODUCT_STATUSES, [
    Move("submit", (DRAFT, REJECTED), SUBMITTED),
    Move("verify", (SUBMITTED,), VERIFIED),
    Move("reject", (SUBMITTED,), REJECTED),
    Move("list", (VERIFIED,), LISTED),
    Move("suspend", WATCHED_STATUSES, SUSPENDED),
    Move("reinstate", (SUSPENDED,), LISTED),
    Move("reopen", REVIEWED_STATUSES, DRAFT),
])
