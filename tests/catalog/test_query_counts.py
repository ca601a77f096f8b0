"""N+1 queries (issue 9, item 25): each catalog page runs the same number of SQL statements
whatever the number of rows it shows. Statements are counted on the engine
(`before_cursor_execute`) for the same page at two data sizes."""
from __future__ import annotations

import io

import pytest

from tests.catalog.product_helpers import reviewer_user, supplier_user, window_data
from tests.query_counter import counted
from tests.factories import api_token, auth_header, login_as
from catalog.services import product_edit as edit
from catalog.services import product_lifecycle as lifecycle

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class World:
    """Suppliers with products in every state the pages show, grown in steps."""

    def __init__(self):
        self.reviewer_id = reviewer_user().id
        self.supplier_ids = [supplier_user(name_en=f"Firm {i}").id for i in range(2)]
        self.n = 0
        self.listed = []

    def grow(self, per_supplier: int):
        from core.extensions import db
        from core.models import User

        reviewer = db.session.get(User, self.reviewer_id)
        for supplier in [db.session.get(User, uid) for uid in self.supplier_ids]:
            for _ in range(per_supplier):
                self.n += 1
                n = self.n
                # Every third product shares a certificate number with the other supplier's (flags).
                number = f"SHARED-{n // 2}" if n % 3 == 0 else f"C-{n}"
                data = window_data(sku=f"Q-{n}", cert_number=number,
                                   carbon={"declared_unit": "1 m2", "gwp_a1a3": 40 + n})
                data["test_report"] = {"number": f"TR-{n}", "lab": "Lab", "issued_on": "2024-01-01",
                                       "covers": "u_value"}
                pid = edit.create_product(supplier, data).id
                edit.attach_document(supplier, pid, io.BytesIO(PDF + str(n).encode()), f"c{n}.pdf", "certificate")
                lifecycle.submit_product(supplier, pid)
                if n % 2 == 0:  # half go on to the catalogue
                    lifecycle.verify_product(reviewer, pid)
                    lifecycle.list_product(supplier, pid)
                    self.listed.append(pid)
                edit.create_product(supplier, window_data(sku=f"D-{n}", cert_number=f"D-{n}"))  # a draft


@pytest.fixture
def world(catalog):
    return World()


def _pages(world):
    supplier, reviewer = world.supplier_ids[0], world.reviewer_id
    return [
        ("reviewer queue", reviewer, "/review/products"),
        ("reviewer queue, listed", reviewer, "/review/products?status=listed"),
        ("reviewer queue, filtered", reviewer, "/review/products?category=windows_doors&supplier=Firm"),
        ("supplier list", supplier, "/supplier/products"),
        ("supplier drafts", supplier, "/supplier/products?status=draft"),
        ("public API list", None, "/api/v1/products"),
        ("supplier API list", supplier, "/api/v1/products?mine=1"),
        ("product page", None, f"/products/{world.listed[0]}"),
        ("reviewer home", reviewer, "/home"),
    ]


def _count(client, db, url, token=None):
    headers = auth_header(token) if token else {}
    db.session.remove()
    with counted() as statements:
        resp = client.get(url, headers=headers)
    assert resp.status_code == 200, (url, resp.status_code)
    return len(statements)


def test_page_query_counts_do_not_grow_with_the_data(world, app, db):
    from core.models import User

    world.grow(2)
    clients, tokens = {None: app.test_client()}, {None: None}
    for _name, uid, url in _pages(world):
        if uid not in clients:
            user = db.session.get(User, uid)
            clients[uid] = app.test_client()
            login_as(clients[uid], user)
            tokens[uid] = api_token(user)

    def measure():
        out = {}
        for name, uid, url in _pages(world):
            out[name] = _count(clients[uid], db, url, tokens[uid] if url.startswith("/api/") else None)
        return out

    measure()  # first use of each token and session writes its "last used" time
    small = measure()
    world.grow(6)
    measure()
    large = measure()
    assert large == small, {k: (small[k], large[k]) for k in small if small[k] != large[k]}


def test_the_reviewer_queue_stays_small(world, app, db):
    """At demo size the queue ran 89 statements (845 at 10x); now a fixed handful."""
    from core.models import User

    world.grow(4)
    client = app.test_client()
    login_as(client, db.session.get(User, world.reviewer_id))
    assert _count(client, db, "/review/products") <= 20
