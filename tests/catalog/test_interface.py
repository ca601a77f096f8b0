"""`catalog.interface`: what other packages may ask the catalog, as plain read-only data."""
from __future__ import annotations

import dataclasses

import pytest
from flask_babel import force_locale

from core.extensions import db
from core.models import City
from tests.catalog.product_helpers import listed_product, reviewer_user, supplier_user

from catalog import interface


def _city(code):
    return db.session.execute(db.select(City).filter_by(code=code)).scalar_one()


def test_find_category_by_code_id_or_digits(catalog):
    cat = interface.find_category("windows_doors")
    assert cat.code == "windows_doors" and cat.name_en and cat.default_unit
    assert interface.find_category(cat.id) == cat
    assert interface.find_category(str(cat.id)) == cat
    assert interface.find_category("no_such") is None and interface.find_category(None) is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        cat.code = "x"  # read-only


def test_categories_in_catalogue_order(catalog):
    a, b = interface.find_category("windows_doors"), interface.find_category("stone")
    got = interface.categories([b.id, a.id])
    assert {c.code for c in got} == {"windows_doors", "stone"}
    assert [(c.group_id, c.position) for c in got] == sorted((c.group_id, c.position) for c in got)
    assert interface.categories([]) == []


def test_versions_and_requirement_levels(catalog):
    version = interface.version_in_force()
    assert version.edition_code == "2025" and version.number >= 1
    assert interface.current_version_of_edition(version.edition_id) == version
    levels = interface.requirement_levels(version)
    assert set(levels.values()) <= {interface.MANDATORY, interface.OPTIONAL}
    assert levels[interface.find_category("windows_doors").id] in (interface.MANDATORY, interface.OPTIONAL)


def test_rules_for_a_city_and_the_tightening_checks(catalog):
    version = interface.version_in_force()
    cat = interface.find_category("windows_doors")
    rules = {r.key: r for r in interface.rules_for(cat, _city("qingdao"), edition=version.edition_id)}
    u_value = rules["u_value"]
    assert u_value.comparison == "<=" and u_value.limit == 3.0
    ok, reason = interface.check_tightening(u_value, "2.5")
    assert ok and "at least as strict" in reason
    ok, reason = interface.check_tightening(u_value, 3.2)
    assert not ok and "looser" in reason
    assert reason.payload()["key"].startswith("%(comparison)s %(value)s is looser")
    assert interface.typed_limit(u_value, "2.5") == 2.5
    with pytest.raises(ValueError):
        interface.typed_limit(u_value, "low")
    [tight] = [r for r in interface.tightened([u_value], {"u_value": 2.5})]
    assert tight.limit == 2.5 and u_value.limit == 3.0
    with force_locale("zh_Hans"):
        assert interface.describe_limit(u_value) == "<= 3 W/(m2.K)"


def test_compliant_products_price_range_and_verdicts(catalog):
    supplier, reviewer = supplier_user(), reviewer_user()
    cheap = listed_product(supplier, reviewer, sku="CHEAP", u_value=2.0, list_price_fen=50000)
    dear = listed_product(supplier, reviewer, sku="DEAR", u_value=2.9, list_price_fen=90000, cert_number="C-2")
    cat, nanjing = interface.find_category("windows_doors"), _city("nanjing")
    offers = interface.listed_passing_products(nanjing, cat)
    assert [p.sku for p in offers] == ["CHEAP", "DEAR"]
    assert offers[0].supplier.id == supplier.organisation_id and offers[0].name
    assert interface.declared_values(offers[0])["u_value"].value == 2.0
    rules = interface.rules_for(cat, nanjing)
    assert interface.meets(rules, offers[1]) and not interface.meets([], offers[1])
    strict = interface.tightened(rules, {"u_value": 2.5})
    assert [p.sku for p in interface.compliant_products(nanjing, cat, strict)] == ["CHEAP"]
    assert [p.sku for p in interface.compliant_products(nanjing, cat, rules, limit=1)] == ["CHEAP"]
    assert interface.compliant_products(nanjing, cat, []) == []
    assert interface.price_range(offers) == (50000, 90000) and interface.price_range([]) == (None, None)
    assert interface.verdicts(cheap.id)[nanjing.id] == "pass"
    assert set(interface.verdicts(dear.id)) == {c.id for c in db.session.execute(db.select(City)).scalars()}


def test_labels_of_code_words(app):
    with force_locale("zh_Hans"):
        assert interface.label("green", "kind") == "绿色属性"
        assert interface.label("hscw_a", "climate_zone") == "夏热冬冷 A 区"
        assert interface.label("no_such_code", "kind") == "no_such_code"
    with force_locale("en"):
        assert interface.label("mandatory", "requirement") == "mandatory"


def test_bid_facts_are_product_facts_in_plain_values(catalog):
    from catalog.models.products import CarbonDeclaration

    supplier, reviewer = supplier_user(), reviewer_user()
    product = listed_product(supplier, reviewer, sku="BID", u_value=2.0)
    nanjing = _city("nanjing")
    # Two declarations: the newest counts, as `Product.current_carbon` says.
    db.session.add_all([CarbonDeclaration(product_id=product.id, declared_unit="1 m2", gwp_a1a3=80.0),
                        CarbonDeclaration(product_id=product.id, declared_unit="2 m2", gwp_a1a3=50.0)])
    db.session.commit()
    full = interface.product_facts(product.id, nanjing.id)
    lean = interface.bid_facts(product.id, nanjing.id, with_values=True)
    assert {k: lean[k] for k in ("supplier_id", "category_id", "status", "verdict")} == \
        {k: full[k] for k in ("supplier_id", "category_id", "status", "verdict")}
    assert lean["verdict"] == "pass" and lean["supplier_id"] == supplier.organisation_id
    assert lean["values"] == interface.declared_values(full["offer"])
    assert lean["values"]["gwp_a1a3"].value == 25.0 and lean["values"]["u_value"].value == 2.0
    rules = interface.rules_for(full["category_id"], nanjing)
    assert interface.meets(rules, lean["values"]) == interface.meets(rules, full["offer"]) is True
    assert interface.bid_facts(product.id, nanjing.id)["values"] is None      # values only when asked
    assert interface.bid_facts(product.id)["verdict"] is None                 # no city: no verdict
    assert interface.bid_facts(product.id + 1000) is None and interface.bid_facts(True) is None
