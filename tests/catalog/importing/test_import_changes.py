"""Issue 9 #26: a file that changes existing products is published in bulk, with the semantics of
`upsert_product` row by row: the same products, values, evidence, verdicts and statuses (reopened
exactly when a reviewer's check is affected), one audit event per run, the search outbox told, and
a product someone else changes between the check and the write is updated from its current state."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text, update

from core.extensions import db
from core.models import AuditEvent
from core.tabular import is_blank_row, open_table
from core.timeutil import today_cn, utcnow
from tests.catalog.import_helpers import csv_bytes, row, seed_catalog, supplier_and_user

from catalog.importing.columns import parse_header, row_to_data
from catalog.importing.checking import RowDigests, row_digest
from catalog.importing.runner import run_import
from catalog.models.products import (CarbonDeclaration, Certificate, Product, ProductIndicatorValue, ProductVerdict,
                                     VerdictDetail)
from catalog.models.standards import Category
from catalog.services.product_upsert import REOPENED_NOTE

U = "ind:u_value[W/(m2.K)]"
AIR = "ind:air_tightness_grade"
WATER = "ind:water_tightness_grade"

# (status set after the first import, the row as first imported, the row as changed)
CASES = [
    ("listed", {}, {"list_price": "1500.00", "name_en": "Renamed"}),          # own columns only: no reopen
    ("listed", {}, {U: "3.3"}),                                              # value changed: reopen, verdicts
    ("submitted", {}, {WATER: ""}),                                         # value removed: reopen
    ("draft", {AIR: ""}, {AIR: "6"}),                                       # value added to a draft
    ("verified", {}, {"star_grade": "3"}),                                  # same certificate changed: reopen
    ("listed", {}, {"certificate_number": "CGBM-NEW-1", "expires_on": "2031-06-30"}),  # another certificate
    ("listed", {}, {"gwp_a1a3": "90.25"}),                                  # carbon: new declaration, no reopen
    ("suspended", {}, {"category": "curtain_walls", "unit": ""}),           # category: reopen, default unit
    ("rejected", {}, {U: "3.4"}),                                           # rejected stays rejected
    ("listed", {}, {}),                                                     # same row, product edited since
    ("draft", {}, {U: "2.9", "gwp_a1a3": "70", "star_grade": "1", "model": "HW-X"}),
    ("listed", {U: "", AIR: "", WATER: ""}, {U: "2.2"}),                    # first value of a product
    ("draft", {}, {"list_price": "1000.00"}),                               # unchanged verdicts kept
]


@pytest.fixture
def two_suppliers(app):
    seed_catalog()
    return supplier_and_user(), supplier_and_user()


def _path(tmp_path, name, rows):
    p = tmp_path / name
    p.write_bytes(csv_bytes(rows))
    return str(p)


def _row_by_row(path, supplier, user):
    """The reference: every row through `upsert_product`, as the import did before (the row's
    digest and the import's stamp set the same way)."""
    from catalog.services.product_bulk import make_upsert_context
    from catalog.services.product_upsert import upsert_product

    ctx = make_upsert_context(supplier)
    now = utcnow()
    for header, digest, cells in _rows(path):
        data = row_to_data(header, cells)
        product = upsert_product(supplier, data, user, audit=False, context=ctx, today=today_cn())
        product.import_digest = digest(cells)
        product.imported_at = product.updated_at = now
    db.session.commit()


def _rows(path):
    """(header, its row digests, cells) for each data row of a file."""
    header = None
    for _n, cells in open_table(path).rows():
        if is_blank_row(cells):
            continue
        if header is None:
            header = parse_header(cells)[0]
            digest = RowDigests(header)
            continue
        yield header, digest, cells


def _prepare(org, statuses):
    """Statuses a review would have given (moving `updated_at`, as every change does)."""
    later = utcnow() + dt.timedelta(seconds=1)
    for sku, status in statuses.items():
        db.session.execute(update(Product).where(Product.supplier_id == org.id, Product.sku == sku)
                           .values(status=status, updated_at=later))
    db.session.execute(update(Product).where(Product.supplier_id == org.id, Product.sku == "WIN-00010")
                       .values(name_en="Edited on the form", updated_at=later))
    db.session.commit()


def _verdict_times(org) -> dict:
    return {(sku, city): at for sku, city, at in db.session.execute(
        select(Product.sku, ProductVerdict.city_id, ProductVerdict.evaluated_at)
        .join(Product, Product.id == ProductVerdict.product_id).where(Product.supplier_id == org.id))}


def _state(org, verdicts_before: dict) -> dict:
    """Everything an import writes for the supplier's products, by SKU (no ids or times, except
    whether a verdict was evaluated again and whether the product is as the import left it)."""
    db.session.expire_all()
    out = {}
    products = db.session.execute(select(Product).where(Product.supplier_id == org.id)).unique().scalars().all()
    for p in products:
        own = {c: getattr(p, c) for c in ("sku", "name_zh", "name_en", "category_id", "brand", "model_spec", "unit",
                                          "list_price_fen", "manufacturer", "plant", "description", "status",
                                          "review_note", "suspended_reason", "import_digest")}
        own["stamped"] = p.imported_at == p.updated_at
        out[p.sku] = {
            "product": own,
            "values": sorted((iv.key, iv.value_num, iv.value_text, iv.unit) for iv in p.indicator_values),
            "certificates": sorted((c.number, c.body, c.star_grade, c.standard, c.issued_on, c.expires_on, c.status,
                                    c.changed_on) for c in p.certificates),
            "carbon": [(c.declared_unit, c.gwp_a1a3, c.valid_until, c.program_operator)
                       for c in sorted(p.carbon_declarations, key=lambda c: c.id)],
            "verdicts": {v.city.code: (v.verdict, v.standard_version_id, v.details_digest,
                                       v.evaluated_at != verdicts_before.get((p.sku, v.city_id)))
                         for v in p.verdicts},
        }
    return out


def _run_both(tmp_path, two_suppliers, first_rows, changed_rows, statuses):
    (bulk_org, bulk_user), (ref_org, ref_user) = two_suppliers
    first = _path(tmp_path, "first.csv", first_rows)
    for org, user in ((bulk_org, bulk_user), (ref_org, ref_user)):
        assert run_import(first, org, user).created == len(first_rows)
        _prepare(org, statuses)
    changed = _path(tmp_path, "changed.csv", changed_rows)
    before_bulk, before_ref = _verdict_times(bulk_org), _verdict_times(ref_org)

    result = run_import(changed, bulk_org, bulk_user)
    _row_by_row(changed, ref_org, ref_user)
    return result, _state(bulk_org, before_bulk), _state(ref_org, before_ref)


def test_a_changed_file_gives_the_same_state_as_upsert_product_row_by_row(tmp_path, two_suppliers):
    first_rows = [row(i, **first) for i, (_s, first, _c) in enumerate(CASES, 1)]
    changed_rows = [row(i, **{**first, **change}) for i, (_s, first, change) in enumerate(CASES, 1)]
    statuses = {f"WIN-{i:05d}": status for i, (status, _f, _c) in enumerate(CASES, 1) if status != "draft"}

    result, bulk, reference = _run_both(tmp_path, two_suppliers, first_rows, changed_rows, statuses)

    assert result.ok and (result.created, result.updated, result.unchanged) == (0, len(CASES), 0)
    assert set(bulk) == set(reference) == {f"WIN-{i:05d}" for i in range(1, len(CASES) + 1)}
    for sku in sorted(bulk):
        assert bulk[sku] == reference[sku], sku
    # ... and the cases did what they say (so the comparison covers each of them)
    status = {sku: s["product"]["status"] for sku, s in bulk.items()}
    assert status == {"WIN-00001": "listed", "WIN-00002": "draft", "WIN-00003": "draft", "WIN-00004": "draft",
                      "WIN-00005": "draft", "WIN-00006": "draft", "WIN-00007": "listed", "WIN-00008": "draft",
                      "WIN-00009": "rejected", "WIN-00010": "listed", "WIN-00011": "draft", "WIN-00012": "draft",
                      "WIN-00013": "draft"}
    assert bulk["WIN-00002"]["product"]["review_note"] == REOPENED_NOTE
    assert bulk["WIN-00001"]["product"]["review_note"] is None
    assert bulk["WIN-00001"]["product"]["list_price_fen"] == 150000
    assert [v[0] for v in bulk["WIN-00003"]["values"]] == ["air_tightness_grade", "u_value"]
    assert [c[0] for c in bulk["WIN-00006"]["certificates"]] == ["CGBM-000006", "CGBM-NEW-1"]
    assert bulk["WIN-00005"]["certificates"][0][2] == 3 and bulk["WIN-00005"]["certificates"][0][7] == today_cn()
    assert [c[1] for c in bulk["WIN-00007"]["carbon"]] == [85.5, 90.25]
    curtain = db.session.execute(select(Category.id).filter_by(code="curtain_walls")).scalar_one()
    assert bulk["WIN-00008"]["product"]["category_id"] == curtain and bulk["WIN-00008"]["product"]["unit"]
    assert bulk["WIN-00002"]["verdicts"]["qingdao"][0] == "fail"
    assert bulk["WIN-00002"]["verdicts"]["qingdao"][3]  # evaluated again (the value changed)
    assert not any(v[3] for v in bulk["WIN-00013"]["verdicts"].values())  # price only: verdicts untouched
    assert not any(v[3] for v in bulk["WIN-00001"]["verdicts"].values())
    assert all(s["product"]["stamped"] for s in bulk.values())
    # one audit event for the run, no per-product events
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(two_suppliers[0][0].id)))
    assert sorted(actions) == ["catalog.import", "catalog.import"]


def test_changed_products_reach_the_search_outbox(tmp_path, two_suppliers):
    from catalog.search.models import SearchOutbox

    (org, user), _ref = two_suppliers
    assert run_import(_path(tmp_path, "a.csv", [row(1), row(2), row(3)]), org, user).ok
    db.session.execute(text("DELETE FROM search_outbox"))
    db.session.commit()
    result = run_import(_path(tmp_path, "b.csv", [row(1), row(2, list_price="1.00"), row(3, **{U: "3.1"})]), org, user)
    assert result.ok and (result.updated, result.unchanged) == (3, 1)
    announced = set(db.session.scalars(select(SearchOutbox.entity_id)))
    ids = dict(db.session.execute(select(Product.sku, Product.id).where(Product.supplier_id == org.id)).all())
    assert announced == {ids["WIN-00002"], ids["WIN-00003"]}


def test_a_product_changed_between_check_and_write_is_updated_from_its_current_state(tmp_path, two_suppliers):
    """The check saw a draft; a reviewer lists it before the write. The row changes a value, so
    the product must be reopened (as `upsert_product` would on the listed product), not written
    back as the draft the check saw."""
    (org, user), _ref = two_suppliers
    assert run_import(_path(tmp_path, "a.csv", [row(1), row(2)]), org, user).ok
    engine = db.engine
    ids = dict(db.session.execute(select(Product.sku, Product.id)).all())
    reviewed: list = []

    def progress(done, total, phase):
        if phase == "write" and not reviewed:  # the write is about to start
            reviewed.append(True)
            with engine.begin() as conn:  # another user's transaction, committed before the write
                conn.execute(update(Product).where(Product.id == ids["WIN-00001"])
                             .values(status="listed", updated_at=utcnow()))

    result = run_import(_path(tmp_path, "b.csv", [row(1, **{U: "3.3"}), row(2, **{U: "3.2"})]), org, user,
                        progress=progress)
    assert result.ok and result.updated == 2, [str(i) for i in result.issues]
    db.session.expire_all()
    first, second = (db.session.get(Product, ids[s]) for s in ("WIN-00001", "WIN-00002"))
    assert (first.status, first.review_note) == ("draft", REOPENED_NOTE)
    assert (second.status, second.review_note) == ("draft", None)
    assert first.indicator_dict()["u_value"] == (3.3, "W/(m2.K)")
    assert second.indicator_dict()["u_value"] == (3.2, "W/(m2.K)")
    assert first.imported_at == first.updated_at and second.imported_at == second.updated_at


def test_a_failing_row_leaves_changed_products_untouched(tmp_path, two_suppliers):
    (org, user), _ref = two_suppliers
    assert run_import(_path(tmp_path, "a.csv", [row(1), row(2)]), org, user).ok
    before = _state(org, {})
    result = run_import(_path(tmp_path, "b.csv", [row(1, **{U: "3.3"}), row(2, star_grade="9")]), org, user)
    assert not result.ok and not result.written and result.updated == 0
    assert _state(org, {}) == before


def _hide_from_the_check(monkeypatch, sku):
    """The check does not see ``sku`` (as if another user created it right after the check read
    the supplier's products): the write then conflicts with it."""
    from catalog.importing import checking

    lookup = checking.Checker._before

    def before(self, skus):
        return lookup(self, [s for s in skus if s != sku])

    monkeypatch.setattr(checking.Checker, "_before", before)


def test_partial_retry_row_by_row_writes_changed_products_and_new_ones(tmp_path, two_suppliers, monkeypatch):
    """A chunk that conflicts is retried row by row: the changed product and the other new
    product are written, the conflicting row reported."""
    (org, user), _ref = two_suppliers
    assert run_import(_path(tmp_path, "a.csv", [row(1), row(3)]), org, user).ok
    _hide_from_the_check(monkeypatch, "WIN-00003")

    rows = [row(1, **{U: "3.3"}), row(2, **{U: "2.1"}), row(3, name_en="Other")]
    result = run_import(_path(tmp_path, "b.csv", rows), org, user, partial=True)
    assert not result.ok and result.written and (result.created, result.updated) == (1, 1)
    assert [(i.row, "conflicts with existing data" in i.text) for i in result.issues] == [(4, True)]
    db.session.expire_all()
    found = {p.sku: p for p in db.session.execute(select(Product).filter_by(supplier_id=org.id)).unique().scalars()}
    assert set(found) == {"WIN-00001", "WIN-00002", "WIN-00003"}
    assert found["WIN-00001"].indicator_dict()["u_value"][0] == 3.3
    assert found["WIN-00002"].indicator_dict()["u_value"][0] == 2.1
    assert found["WIN-00003"].name_en == "Aluminium window 3"  # the conflicting row was not written
    assert {v.city.code: v.verdict for v in found["WIN-00002"].verdicts}["qingdao"] == "pass"
    assert {v.city.code: v.verdict for v in found["WIN-00001"].verdicts}["qingdao"] == "fail"
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 3
    assert db.session.scalar(select(func.count()).select_from(ProductIndicatorValue)) == 9
    assert db.session.scalar(select(func.count()).select_from(CarbonDeclaration)) == 3
    ev = db.session.execute(select(AuditEvent).where(AuditEvent.action == "catalog.import")
                            .order_by(AuditEvent.seq.desc())).scalars().first()
    assert (ev.after["created"], ev.after["updated"], ev.after["partial"]) == (1, 1, True)


def test_a_conflicting_write_leaves_everything_untouched(tmp_path, two_suppliers, monkeypatch):
    (org, user), _ref = two_suppliers
    assert run_import(_path(tmp_path, "a.csv", [row(1), row(3)]), org, user).ok
    before = _state(org, {})
    details = db.session.scalar(select(func.count()).select_from(VerdictDetail))
    _hide_from_the_check(monkeypatch, "WIN-00003")

    rows = [row(1, **{U: "3.3"}), row(2, **{U: "2.1"}), row(3, name_en="Other")]
    result = run_import(_path(tmp_path, "b.csv", rows), org, user)
    assert not result.ok and not result.written and (result.created, result.updated) == (0, 0)
    assert "conflict with existing data" in result.issues[0].text
    assert _state(org, {}) == before
    assert db.session.scalar(select(func.count()).select_from(VerdictDetail)) == details
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "catalog.import")) == 1


def test_rows_remembered_by_an_older_import_are_still_recognised(tmp_path, two_suppliers):
    """Products imported before row digests were taken from the cells keep a digest of the row's
    product data: a re-import still skips them when they are unchanged, and updates the others."""
    (org, user), _ref = two_suppliers
    path = _path(tmp_path, "a.csv", [row(1), row(2), row(3)])
    assert run_import(path, org, user).ok
    for _header, _digest, cells in _rows(path):
        data = row_to_data(_header, cells)
        db.session.execute(update(Product).where(Product.supplier_id == org.id, Product.sku == data["sku"])
                           .values(import_digest=row_digest(data), updated_at=Product.imported_at))  # as before
    db.session.commit()

    again = run_import(path, org, user)
    assert again.ok and (again.updated, again.unchanged) == (3, 3)
    changed = run_import(_path(tmp_path, "b.csv", [row(1), row(2, list_price="7.00"), row(3)]), org, user)
    assert changed.ok and (changed.updated, changed.unchanged) == (3, 2)
    db.session.expire_all()
    digests = dict(db.session.execute(select(Product.sku, Product.import_digest)
                                      .where(Product.supplier_id == org.id)).all())
    assert digests["WIN-00002"].startswith(RowDigests.PREFIX)
    assert not digests["WIN-00001"].startswith(RowDigests.PREFIX)


def test_imported_verdicts_equal_the_engines_for_each_product(tmp_path, two_suppliers):
    """Verdicts are remembered per category and the values its rules read: products with the same
    values share them, and a value only some rules read (carbon, for steel) or its unit still
    tells products apart. Every stored verdict equals `compute_verdicts` on the product."""
    from catalog.services.verdicts import compute_verdicts, details_json

    (org, user), _ref = two_suppliers
    header = ["sku", "name_zh", "category", "unit", "list_price", "gwp_a1a3", "declared_unit",
              "ind:yield_strength[MPa]", U, AIR]
    steel = {"category": "steel_members", "unit": "t", "list_price": "4000", "ind:yield_strength[MPa]": "345"}
    window = {"category": "windows_doors", "unit": "m2", "list_price": "900", AIR: "7"}
    rows = [
        {"sku": "S-1", **steel, "gwp_a1a3": "500", "declared_unit": "t"},
        {"sku": "S-2", **steel, "gwp_a1a3": "1500", "declared_unit": "t"},
        {"sku": "S-3", **steel, "gwp_a1a3": "500", "declared_unit": "t"},
        {"sku": "S-4", **steel, "gwp_a1a3": "1.5", "declared_unit": "kg"},
        {"sku": "S-5", **steel, "ind:yield_strength[MPa]": "200", "gwp_a1a3": "500", "declared_unit": "t"},
        {"sku": "W-1", **window, U: "2.8", "gwp_a1a3": "10", "declared_unit": "m2"},
        {"sku": "W-2", **window, U: "2.8", "gwp_a1a3": "90", "declared_unit": "m2"},
        {"sku": "W-3", **window, U: "3.3"},
    ]
    rows = [{"name_zh": r["sku"], **r} for r in rows]
    path = tmp_path / "mixed.csv"
    path.write_bytes(csv_bytes(rows, header=header))
    result = run_import(str(path), org, user)
    assert result.ok, [str(i) for i in result.issues]

    db.session.expire_all()
    stored = {}
    for p in db.session.execute(select(Product).where(Product.supplier_id == org.id)).unique().scalars():
        mine = {v.city_id: (v.verdict, v.standard_version_id, v.details_digest) for v in p.verdicts}
        engine = {r["city_id"]: (r["verdict"], r["standard_version_id"], details_json(r["details"])[0])
                  for r in compute_verdicts(p)}
        assert mine == engine, p.sku
        stored[p.sku] = mine
    qingdao = db.session.execute(text("SELECT id FROM cities WHERE code = 'qingdao'")).scalar_one()
    assert stored["S-1"] == stored["S-3"] and stored["W-1"] == stored["W-2"]  # the same values read
    assert stored["S-1"][qingdao][0] == "pass" and stored["S-2"][qingdao][0] == "fail"
    assert stored["S-4"][qingdao][0] == "fail"  # 1.5 kg CO2e per kg = 1,500 per t
    assert stored["S-5"][qingdao][0] == "fail" and stored["W-3"][qingdao][0] == "fail"


def test_the_writing_thread_gives_the_same_result_and_restores_the_switch_interval(tmp_path, two_suppliers):
    """New products written by a second thread while the file is checked (the default on
    PostgreSQL; here forced, so both databases run it): the same rows as writing after the check,
    one audit event, and the interpreter's switch interval is lowered only while it runs."""
    import sys

    (with_thread, user), (after_check, other) = two_suppliers
    rows = [row(i, **({U: "3.3"} if i % 3 else {})) for i in range(1, 8)]
    path = _path(tmp_path, "a.csv", rows)
    before = sys.getswitchinterval()
    during = []

    def progress(done, total, phase):
        during.append(sys.getswitchinterval())

    first = run_import(path, with_thread, user, chunk_rows=3, pipeline=True, progress=progress)
    second = run_import(path, after_check, other, chunk_rows=3, pipeline=False)
    assert first.ok and second.ok and first.created == second.created == 7
    assert min(during) < before and sys.getswitchinterval() == before

    assert _state(with_thread, {}) == _state(after_check, {})
    events = db.session.scalars(select(AuditEvent.object_id).where(AuditEvent.action == "catalog.import")).all()
    assert sorted(events) == sorted([str(with_thread.id), str(after_check.id)])
