"""Product use cases: validation, lifecycle transitions, supplier isolation, verdicts."""
from __future__ import annotations


import pytest
from sqlalchemy import func, select

from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.models import AuditEvent
from tests.catalog.product_helpers import field_text, notices_for, listed_product, reviewer_user, supplier_user, window_data
from catalog.services import product_bulk as bulk
from catalog.services import product_edit as edit
from catalog.services import product_lifecycle as lifecycle
from catalog.services import product_queries as queries
from catalog.services import product_upsert as upsert


def _product(db, pid):
    from catalog.models.products import Product

    db.session.expire_all()
    return db.session.get(Product, pid)


def test_create_product_stores_fields_indicators_certificate_and_audit(catalog, db):
    user = supplier_user()
    product = edit.create_product(user, window_data(list_price_fen="98000"))
    product = _product(db, product.id)
    assert product.status == "draft"
    assert product.supplier_id == user.organisation_id
    assert product.list_price_fen == 98000
    assert product.category.code == "windows_doors"
    values = product.indicator_dict()
    assert values["u_value"] == (3.2, "W/(m2.K)")
    assert values["air_tightness_grade"][0] == 7.0
    assert [c.number for c in product.certificates] == ["CGBM-2024-0001"]
    events = db.session.execute(select(AuditEvent).where(AuditEvent.action == "product.create")).scalars().all()
    assert len(events) == 1 and events[0].object_id == str(product.id) and events[0].actor_id == user.id


def test_list_price_in_yuan_is_converted_to_fen(catalog, db):
    user = supplier_user()
    data = window_data()
    del data["list_price_fen"]
    data["list_price"] = "12.34"
    product = edit.create_product(user, data)
    assert _product(db, product.id).list_price_fen == 1234


@pytest.mark.parametrize("field,value,message_part", [
    ("list_price_fen", -1, "negative"),
    ("list_price_fen", "abc", "whole number"),
    ("list_price_fen", 12.5, "whole number"),
    ("category", "no_such_category", "Unknown category"),
    ("sku", "", "required"),
    ("sku", "x" * 65, "64"),
])
def test_field_validation_errors_are_per_field(catalog, db, field, value, message_part):
    user = supplier_user()
    with pytest.raises(ValidationError) as err:
        edit.create_product(user, window_data(**{field: value}))
    assert field in err.value.fields
    assert message_part in field_text(err.value, field)
    from catalog.models.products import Product

    assert db.session.execute(select(func.count(Product.id))).scalar_one() == 0


def test_certificate_validation_star_grade_and_dates(catalog):
    user = supplier_user()
    data = window_data()
    data["certificate"].update(star_grade=4, issued_on="2025-05-01", expires_on="2024-05-01")
    with pytest.raises(ValidationError) as err:
        edit.create_product(user, data)
    assert "certificate.star_grade" in err.value.fields
    assert "after the issue date" in field_text(err.value, "certificate.expires_on")


def test_indicator_with_incompatible_unit_is_refused(catalog):
    user = supplier_user()
    data = window_data()
    data["indicators"]["u_value"] = {"value": 3.2, "unit": "mm"}
    with pytest.raises(ValidationError) as err:
        edit.create_product(user, data)
    assert "cannot be converted" in field_text(err.value, "indicators.u_value")


def test_indicator_without_unit_takes_the_standards_unit(catalog, db):
    user = supplier_user()
    data = window_data()
    data["indicators"]["u_value"] = "3.2"
    product = edit.create_product(user, data)
    assert _product(db, product.id).indicator_dict()["u_value"] == (3.2, "W/(m2.K)")


def test_duplicate_sku_for_same_supplier_is_refused_but_other_supplier_may_use_it(catalog, db):
    a, b = supplier_user(), supplier_user()
    edit.create_product(a, window_data(sku="SAME"))
    with pytest.raises(ValidationError) as err:
        edit.create_product(a, window_data(sku="SAME"))
    assert "sku" in err.value.fields
    assert edit.create_product(b, window_data(sku="SAME")).supplier_id == b.organisation_id


def test_full_lifecycle_and_audit_trail(catalog, db):
    supplier, reviewer = supplier_user(), reviewer_user()
    product = listed_product(supplier, reviewer)
    assert product.status == "listed"
    assert product.submitted_at and product.verified_at and product.listed_at
    actions = db.session.execute(select(AuditEvent.action).where(AuditEvent.object_type == "products",
                                                                 AuditEvent.object_id == str(product.id))
                                 .order_by(AuditEvent.seq)).scalars().all()
    assert actions == ["product.create", "product.submit", "product.verify", "product.list"]


@pytest.mark.parametrize("steps,illegal", [
    ([], "verify"),            # draft cannot be verified
    ([], "list"),              # draft cannot be listed
    (["submit"], "submit"),    # submitted cannot be submitted again
    (["submit"], "list"),      # not verified yet
    (["submit", "verify"], "verify"),
    (["submit", "verify", "list"], "submit"),
    (["submit", "verify", "list"], "reinstate"),
])
def test_illegal_transitions_raise_conflict_and_change_nothing(catalog, db, steps, illegal):
    supplier, reviewer = supplier_user(), reviewer_user()
    product = edit.create_product(supplier, window_data())
    calls = {"submit": lambda: lifecycle.submit_product(supplier, product.id),
             "verify": lambda: lifecycle.verify_product(reviewer, product.id),
             "list": lambda: lifecycle.list_product(supplier, product.id),
             "reinstate": lambda: lifecycle.reinstate_product(reviewer, product.id)}
    for step in steps:
        calls[step]()
    before = _product(db, product.id).status
    with pytest.raises(Conflict):
        calls[illegal]()
    assert _product(db, product.id).status == before


def test_submit_needs_valid_certificate_or_test_report(catalog, db):
    supplier = supplier_user()
    data = window_data()
    del data["certificate"]
    product = edit.create_product(supplier, data)
    with pytest.raises(ValidationError) as err:
        lifecycle.submit_product(supplier, product.id)
    assert "certificate" in err.value.fields
    edit.add_test_report(supplier, product.id, {"number": "TR-1", "lab": "CABR lab", "issued_on": "2025-01-05",
                                               "covers": "u_value, air_tightness_grade"})
    assert lifecycle.submit_product(supplier, product.id).status == "submitted"
    assert _product(db, product.id).test_reports[0].covers == ["air_tightness_grade", "u_value"]


def test_reject_needs_reason_notifies_supplier_and_allows_resubmission(catalog, db):
    supplier, reviewer = supplier_user(), reviewer_user()
    product = edit.create_product(supplier, window_data())
    lifecycle.submit_product(supplier, product.id)
    with pytest.raises(ValidationError):
        lifecycle.reject_product(reviewer, product.id, "  ")
    lifecycle.reject_product(reviewer, product.id, "Certificate scan unreadable")
    product = _product(db, product.id)
    assert product.status == "rejected" and product.review_note == "Certificate scan unreadable"
    [notice] = notices_for(supplier.organisation_id)
    assert notice.kind == "product_rejected"
    assert lifecycle.submit_product(supplier, product.id).status == "submitted"


def test_supplier_cannot_touch_another_suppliers_product(catalog, db):
    owner, intruder, reviewer = supplier_user(), supplier_user(), reviewer_user()
    product = edit.create_product(owner, window_data())
    with pytest.raises(PermissionDenied):
        edit.update_product(intruder, product.id, {"name_en": "Hijacked"})
    with pytest.raises(PermissionDenied):
        lifecycle.submit_product(intruder, product.id)
    with pytest.raises(PermissionDenied):
        lifecycle.verify_product(owner, product.id)  # suppliers cannot review, not even their own
    assert _product(db, product.id).name_en != "Hijacked"
    items, total = queries.supplier_products(intruder.organisation_id)
    assert total == 0 and items == []


def test_non_supplier_cannot_create(catalog):
    with pytest.raises(PermissionDenied):
        edit.create_product(reviewer_user(), window_data())


def test_unknown_product_is_not_found(catalog):
    with pytest.raises(NotFound):
        edit.update_product(supplier_user(), 999999, {"name_en": "x"})


def test_editing_reviewed_facts_sends_listed_product_back_to_draft_but_price_does_not(catalog, db):
    supplier, reviewer = supplier_user(), reviewer_user()
    product = listed_product(supplier, reviewer)
    edit.update_product(supplier, product.id, {"list_price_fen": 90000})
    assert _product(db, product.id).status == "listed"
    edit.update_product(supplier, product.id, {"indicators": {"u_value": 2.8, "air_tightness_grade": 7,
                                                             "water_tightness_grade": 4}})
    product = _product(db, product.id)
    assert product.status == "draft"
    assert product.indicator_dict()["u_value"] == (2.8, "W/(m2.K)")
    assert "shgc" not in product.indicator_dict()  # indicators given replace the declared set


def test_update_without_changes_writes_no_audit_event(catalog, db):
    supplier = supplier_user()
    product = edit.create_product(supplier, window_data())
    edit.update_product(supplier, product.id, window_data())
    count = db.session.execute(select(func.count(AuditEvent.id)).where(AuditEvent.action == "product.update")).scalar_one()
    assert count == 0


def test_verdicts_for_six_cities_follow_climate_zone_rules(catalog, db):
    supplier = supplier_user()
    product = edit.create_product(supplier, window_data(u_value=3.2))
    verdicts = {v.city.code: v for v in _product(db, product.id).verdicts}
    assert set(verdicts) == {"nanjing", "hangzhou", "shaoxing", "huzhou", "qingdao", "foshan"}
    assert verdicts["nanjing"].verdict == "pass"
    assert verdicts["qingdao"].verdict == "fail"
    assert verdicts["foshan"].verdict == "pass"
    failed = [r for r in verdicts["qingdao"].details["results"] if r["status"] == "fail"]
    assert [r["key"] for r in failed] == ["u_value"] and failed[0]["limit"] == 3.0
    assert verdicts["nanjing"].standard_version_id is not None


def test_missing_indicator_gives_incomplete_and_update_refreshes_verdicts(catalog, db):
    supplier = supplier_user()
    data = window_data()
    data["indicators"] = {"u_value": 3.2}
    product = edit.create_product(supplier, data)
    assert {v.verdict for v in _product(db, product.id).verdicts} == {"incomplete", "fail"}
    edit.update_product(supplier, product.id, {"indicators": {"u_value": 2.9, "air_tightness_grade": 7,
                                                             "water_tightness_grade": 4, "shgc": 0.3}})
    assert {v.verdict for v in _product(db, product.id).verdicts} == {"pass"}


def test_upsert_is_idempotent_and_does_not_commit(catalog, db):
    from catalog.models.products import Product

    supplier = supplier_user()
    org = supplier.organisation
    ctx = bulk.make_upsert_context(org)
    first = upsert.upsert_product(org, window_data(sku="BULK-1"), supplier, audit=False, context=ctx)
    again = upsert.upsert_product(org, window_data(sku="BULK-1", list_price_fen=1), supplier, audit=False, context=ctx)
    assert first is again and again.list_price_fen == 1
    db.session.rollback()
    assert db.session.execute(select(func.count(Product.id))).scalar_one() == 0


def test_duplicate_certificate_numbers_across_suppliers_are_flagged(catalog, db):
    a, b, reviewer = supplier_user(), supplier_user(), reviewer_user()
    pa = edit.create_product(a, window_data(sku="A1", cert_number="CGBM-DUP-7"))
    pb = edit.create_product(b, window_data(sku="B1", cert_number="CGBM-DUP-7"))
    own = edit.create_product(a, window_data(sku="A2", cert_number="CGBM-OWN-1"))
    edit.create_product(a, window_data(sku="A3", cert_number="CGBM-OWN-1"))  # same supplier twice: not a flag
    for p, user in ((pa, a), (pb, b), (own, a)):
        lifecycle.submit_product(user, p.id)
    queue = queries.review_queue()
    products, flags, dups = queue.items, queue.flags, queue.duplicates
    assert set(dups) == {"CGBM-DUP-7"}
    assert set(flags) == {pa.id, pb.id}
    assert [p.id for p in flags[pa.id]["CGBM-DUP-7"]] == [pb.id]
    assert {p.id for p in products} == {pa.id, pb.id, own.id}


def test_bulk_context_queues_children_and_writes_them_on_flush(catalog, db):
    from catalog.models.products import Certificate, Product, ProductIndicatorValue, ProductVerdict

    supplier = supplier_user()
    org = supplier.organisation
    ctx = bulk.make_upsert_context(org, preload_products=False)
    ctx.products = {}
    assert ctx.bulk
    first = upsert.upsert_product(org, window_data(sku="BULK-A"), None, audit=False, context=ctx)
    # The same SKU again before the flush: merged into the queued rows, not duplicated.
    upsert.upsert_product(org, window_data(sku="BULK-A", u_value=2.9, carbon={"declared_unit": "m2", "gwp_a1a3": 55}),
                       None, audit=False, context=ctx)
    upsert.upsert_product(org, window_data(sku="BULK-B", cert_number="C-B"), None, audit=False, context=ctx)
    db.session.flush()
    db.session.commit()
    product = _product(db, first.id)
    assert product.indicator_dict()["u_value"] == (2.9, "W/(m2.K)")
    assert [c.number for c in product.certificates] == ["CGBM-2024-0001"]
    assert product.current_carbon().gwp_a1a3 == 55
    verdicts = {v.city.code: v.verdict for v in product.verdicts}
    assert verdicts["qingdao"] == "pass" and len(verdicts) == 6  # 2.9 passes everywhere
    assert db.session.execute(select(func.count(ProductVerdict.id))).scalar_one() == 12
    assert db.session.execute(select(func.count(Certificate.id))).scalar_one() == 2
    assert db.session.execute(select(func.count(ProductIndicatorValue.id))).scalar_one() == 8
    # Once flushed, a re-import updates through the ORM and refreshes only changed verdicts.
    ctx2 = bulk.make_upsert_context(org)
    upsert.upsert_product(org, window_data(sku="BULK-A", u_value=3.2), None, audit=False, context=ctx2)
    db.session.commit()
    product = _product(db, first.id)
    assert {v.city.code: v.verdict for v in product.verdicts}["qingdao"] == "fail"
    assert db.session.execute(select(func.count(Product.id))).scalar_one() == 2


def test_bulk_queue_is_dropped_on_rollback(catalog, db):
    from catalog.models.products import ProductVerdict
    from catalog.services import deferred

    supplier = supplier_user()
    org = supplier.organisation
    ctx = bulk.make_upsert_context(org)
    upsert.upsert_product(org, window_data(sku="GONE"), None, audit=False, context=ctx)
    assert db.session.info.get(deferred.KEY)
    db.session.rollback()
    assert not db.session.info.get(deferred.KEY)
    edit.create_product(supplier, window_data(sku="KEPT"))
    assert db.session.execute(select(func.count(ProductVerdict.id))).scalar_one() == 6


@pytest.mark.parametrize("value,message", [
    ([1, 2], "one number"),
    ({"nested": 1}, "one number"),
    (float("inf"), "finite"),
    ("x" * 201, "200 characters"),
])
def test_bad_indicator_values_are_refused(catalog, value, message):
    data = window_data()
    data["indicators"] = [{"key": "u_value", "value": value, "unit": "W/(m2.K)"}]
    with pytest.raises(ValidationError) as err:
        edit.create_product(supplier_user(), data)
    assert message in field_text(err.value, "indicators.u_value")


def test_bad_indicator_keys_and_shapes(catalog):
    with pytest.raises(ValidationError) as err:
        edit.create_product(supplier_user(), window_data(indicators={"U Value!": 3}))
    assert any(k.startswith("indicators.") for k in err.value.fields)
    with pytest.raises(ValidationError) as err:
        edit.create_product(supplier_user(), window_data(indicators="u_value=3"))
    assert "indicators" in err.value.fields


def test_text_and_boolean_indicator_values(catalog, db):
    data = window_data(category="wall_coatings", sku="PAINT-1")
    data["indicators"] = {"voc": {"value": "45000", "unit": "mg/L"}, "apeo_free": "yes", "free_formaldehyde": 20,
                          "soluble_lead": 10, "scrub_resistance": 8000}
    product = _product(db, edit.create_product(supplier_user(), data).id)
    assert product.indicator_dict()["apeo_free"] == ("true", "")
    # 45000 mg/L is 45 g/L: converted by the engine, passes the 80 g/L limit everywhere.
    assert {v.verdict for v in product.verdicts} == {"pass"}


def test_control_characters_in_text_are_refused(catalog):
    with pytest.raises(ValidationError) as err:
        edit.create_product(supplier_user(), window_data(name_en="Window\x07bell"))
    assert "control characters" in field_text(err.value, "name_en")


@pytest.mark.postgres
def test_concurrent_verifications_are_serialised(catalog, db, app):
    """Two reviewers verify the same submission at once: one wins, the other gets a Conflict."""
    import threading

    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locking is proven on PostgreSQL")
    supplier, r1, r2 = supplier_user(), reviewer_user(), reviewer_user()
    pid = edit.create_product(supplier, window_data()).id
    lifecycle.submit_product(supplier, pid)
    ids = (r1.id, r2.id)
    barrier = threading.Barrier(2)
    outcomes = []

    def verify(user_id):
        from core.models import User

        with app.app_context():
            user = db.session.get(User, user_id)
            barrier.wait(timeout=10)
            try:
                lifecycle.verify_product(user, pid)
                outcomes.append("ok")
            except Conflict:
                outcomes.append("conflict")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=verify, args=(uid,)) for uid in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["conflict", "ok"]
    count = db.session.execute(select(func.count(AuditEvent.id)).where(AuditEvent.action == "product.verify")).scalar_one()
    assert count == 1


def test_unverified_supplier_may_draft_but_not_submit(catalog, db):
    user = supplier_user(status="pending")
    product = edit.create_product(user, window_data())
    with pytest.raises(PermissionDenied) as err:
        lifecycle.submit_product(user, product.id)
    assert "verified" in err.value.message
    assert _product(db, product.id).status == "draft"


def test_stored_verdict_reasons_keep_template_and_parameters(catalog, db):
    """A verdict's reasons are stored as template key + parameters, so each reader sees their language."""
    from flask_babel import force_locale

    from catalog.models.products import ProductVerdict
    from core.i18n import render_payload
    from core.models import City

    product = edit.create_product(supplier_user(), window_data(u_value=3.2))
    qingdao = db.session.execute(select(City).filter_by(code="qingdao")).scalar_one()
    verdict = db.session.execute(select(ProductVerdict).filter_by(product_id=product.id, city_id=qingdao.id)).scalar_one()
    [u_value] = [r for r in verdict.details["results"] if r["key"] == "u_value"]
    assert u_value["status"] == "fail" and u_value["reason"] == "3.2 W/(m2.K) does not meet <= 3 W/(m2.K)"
    assert u_value["reason_message"] == {"key": "%(value)s does not meet %(comparison)s %(limit)s",
                                         "params": {"value": "3.2 W/(m2.K)", "comparison": "<=", "limit": "3 W/(m2.K)"}}
    with force_locale("zh_Hans"):
        assert render_payload(u_value["reason_message"]) == "3.2 W/(m2.K) 不满足 <= 3 W/(m2.K)"
