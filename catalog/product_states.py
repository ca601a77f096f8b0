"""The product status machine: an explicit transition table (pure, `core.statemachine`).

::

    draft --submit--> submitted --verify--> verified --list--> listed
      ^                  | reject                                |  certificate expired or revoked,
      |                  v                                       v  or a reviewer suspends
      +------------- rejected (edit, resubmit)               suspended --reinstate--> listed

    submitted / verified / listed / suspended --reopen--> draft
        (a supplier changed what a reviewer checked: values, certificates, reports, documents)

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
#: Statuses a reviewer has checked: changing what was checked (indicator values, category, any
#: evidence) reopens the product, so no unreviewed evidence is ever public (issue 9, item 7).
REVIEWED_STATUSES = (SUBMITTED, VERIFIED, LISTED, SUSPENDED)

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

#: A certificate's status: a reviewer records the certification body's decision (the action is
#: named after the status it leads to), the daily job expires it. A decision is applied only if
#: the certificate still has the status the reviewer decided on (see `set_certificate_status`).
CERTIFICATE = StateMachine("certificate", CERTIFICATE_STATUSES, [
    Move("valid", ("suspended", "revoked"), "valid"),
    Move("suspended", ("valid",), "suspended"),
    Move("revoked", ("valid", "suspended"), "revoked"),
    Move("expired", ("valid", "suspended"), "expired"),
])
