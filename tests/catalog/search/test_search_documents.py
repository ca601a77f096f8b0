"""The pure product -> document mapping."""
import datetime as dt

from catalog.search.documents import build_document, valid_until


def _doc(**over):
    kw = dict(
        product={"id": 7, "sku": "SKU-7", "name_zh": "防水卷材", "name_en": "Membrane", "brand": "B",
                 "model_spec": "M1", "manufacturer": "F", "description": "Tough", "unit": "m2", "supplier_id": 3,
                 "list_price_fen": 12345, "status": "listed",
                 "created_at": dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
                 "updated_at": dt.datetime(2026, 2, 1, 8, tzinfo=dt.timezone(dt.timedelta(hours=8)))},
        category={"id": 1, "code": "waterproof_membranes", "name_zh": "防水卷材", "name_en": "Waterproof membranes",
                  "group_code": "waterproof_sealing_coatings"},
        supplier={"name_zh": "供应商", "name_en": "Supplier"},
        certificates=[
            {"number": "A-1", "star_grade": 2, "status": "valid", "expires_on": dt.date(2027, 5, 1)},
            {"number": "A-2", "star_grade": 3, "status": "valid", "expires_on": dt.date(2028, 1, 31)},
            {"number": "A-0", "star_grade": 3, "status": "revoked", "expires_on": dt.date(2030, 1, 1)},
        ],
        carbon={"gwp_a1a3": 4, "declared_unit": "m2"},
        verdicts=[("nanjing", "pass"), ("qingdao", "fail"), ("foshan", "pass")],
        fire_class=" b1 ",
        version=42,
    )
    kw.update(over)
    return build_document(**kw)


def test_document_fields():
    d = _doc()
    assert d["product_id"] == 7 and d["version"] == 42 and d["supplier_id"] == "3"
    assert d["stars"] == 3  # best valid certificate; the revoked one does not count
    assert d["cert_status"] == "valid"
    assert d["cert_valid_until"] == "2028-02-01T00:00:00+00:00"  # valid through its expiry date
    assert d["certificate_numbers"] == ["A-0", "A-1", "A-2"]  # all numbers stay findable
    assert d["compliant_cities"] == ["foshan", "nanjing"]
    assert d["verdicts"] == ["foshan:pass", "nanjing:pass", "qingdao:fail"]
    assert d["fire_class"] == "B1" and d["gwp"] == 4.0 and d["gwp_unit"] == "m2"
    assert d["listed"] is True and d["group_code"] == "waterproof_sealing_coatings"
    assert d["description_zh"] == d["description_en"] == "Tough"
    assert d["updated_at"] == "2026-02-01T00:00:00+00:00"  # stored as UTC


def test_document_without_valid_certificate_or_carbon():
    d = _doc(certificates=[{"number": "X", "star_grade": 1, "status": "suspended", "expires_on": dt.date(2027, 1, 1)},
                           {"number": "Y", "star_grade": 2, "status": "expired", "expires_on": dt.date(2020, 1, 1)}],
             carbon=None, fire_class=None, verdicts=[])
    assert d["cert_status"] == "suspended" and d["stars"] is None and d["cert_valid_until"] is None
    assert d["gwp"] is None and d["fire_class"] is None and d["compliant_cities"] == []
    assert _doc(certificates=[])["cert_status"] == "none"
    assert _doc(product={"id": 1, "sku": "s", "supplier_id": 1, "status": "draft"})["listed"] is False


def test_valid_until_is_next_midnight_utc():
    assert valid_until(dt.date(2026, 12, 31)) == dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc)


def test_public_until_and_facet_tokens():
    d = _doc()
    assert d["public_until"] == d["cert_valid_until"]  # listed with a valid certificate
    assert d["facet_tokens"] == ["group:waterproof_sealing_coatings", "category:waterproof_membranes", "stars:3",
                                 "city:foshan", "city:nanjing", "price:100_1000", "gwp:1_10", "fire_class:B1"]
    draft = _doc(product={"id": 1, "sku": "s", "supplier_id": 1, "status": "draft", "list_price_fen": None})
    assert draft["public_until"] is None  # only its supplier and reviewers see it
    assert "price:" not in " ".join(draft["facet_tokens"])
    assert _doc(certificates=[])["public_until"] is None
