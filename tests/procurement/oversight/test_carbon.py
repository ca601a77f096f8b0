"""Embodied carbon against the category medians: `catalog.carbon_figures` against figures computed
by hand, the oversight source built on it (the same figures as the loop-closure report) and its
charts."""

from __future__ import annotations

import datetime as dt

import catalog.interface as catalog
from catalog.models.products import CarbonDeclaration, ProductIndicatorValue
from core.extensions import db
from procurement.acceptance.report import closure_report
from procurement.oversight import charts, dashboard, figures, refresh
from procurement.oversight.models import MonthlyFact
from procurement.oversight.period import Period
from tests.procurement.deliveries.helpers import TODAY, declare_carbon, deliver_all, site
from tests.procurement.helpers import World, category, line, make_product, make_standard


def _concrete(city, *, verdict="pass", status="listed"):
    return make_product(city, "ready_mixed_concrete", {"radionuclide_ira": (0.4, "")}, verdict=verdict, status=status)


def test_carbon_figures_against_hand_computed_ones():
    make_standard()
    city, other = World("nanjing").city, World("hangzhou").city
    cat = category("ready_mixed_concrete").id
    base = {p.id for p in catalog.listed_passing_products(city, cat)}
    p1, p2, p3, p4, p5, p6 = (_concrete(city) for _ in range(6))
    failing, suspended = _concrete(city, verdict="fail"), _concrete(city, status="suspended")
    declare_carbon(p1, 300.0, "1 m3")
    declare_carbon(p2, 200.0, "m3")
    declare_carbon(p3, 2600.0, "10 m3")                   # 260 per m3
    db.session.add(ProductIndicatorValue(product_id=p4.id, key="gwp_a1a3", value_num=500.0, unit="kg CO2e/m3"))
    declare_carbon(p4, 999.0, "1 m3")                      # the declared indicator value wins: 500
    declare_carbon(p5, 100.0, "t")                         # per tonne: its own median
    db.session.add(CarbonDeclaration(product_id=p6.id, declared_unit="m3", gwp_a1a3=50.0))
    declare_carbon(p6, 400.0, "m3")                        # the newest declaration counts: 400
    declare_carbon(failing, 10.0, "m3")
    declare_carbon(suspended, 1.0, "m3")
    assert not base, "the test's own products only"

    found = catalog.carbon_figures([p1.id, p3.id, p4.id, p5.id, failing.id], [(city.id, cat), (other.id, cat)])
    assert found.gwp(p1.id, "m3") == 300.0 and found.gwp(p1.id, "t") is None
    assert found.gwp(p3.id, "m3") == 260.0 and found.gwp(p4.id, "m3") == 500.0 and found.gwp(p5.id, "t") == 100.0
    assert found.gwp(failing.id, "m3") == 10.0          # its own figure, though not among the peers
    assert found.gwp(p2.id, "m3") is None               # not asked about
    assert found.skus[p1.id] == p1.sku
    # the listed and passing m3 peers: 200, 260, 300, 400, 500 -> 300; per tonne only 100
    assert found.median(city.id, cat, "m3") == 300.0 and found.median(city.id, cat, "t") == 100.0
    assert found.median(other.id, cat, "m3") is None    # nothing passing in Hangzhou
    assert catalog.carbon_figures().products == {} and catalog.carbon_figures().medians == {}


def _delivered_site():
    """The acceptance report's site: 100 m3 of concrete at 300 kg CO2e/m3 against peers 200, 260,
    500 (median 280), and 20 LED lamps without a declaration, all delivered and accepted."""
    s = site(line(quantity="100", est_unit_price_fen=50_000),
             line("led_lighting", quantity="20", unit="piece", est_unit_price_fen=50_000))
    declare_carbon(s.products[s.lines[0].bom_line_id], 300.0, "1 m3")
    for gwp in (200.0, 260.0, 500.0):
        declare_carbon(_concrete(s.world.city), gwp, "m3")
    deliver_all(s)
    return s


def test_source_chart_and_report_agree(app):
    s = _delivered_site()
    refresh.refresh(names={"carbon"})
    db.session.commit()
    month = TODAY.replace(day=1)
    got = {f.metric: f.value for f in db.session.query(MonthlyFact)
           if f.city_id == s.world.city.id and f.month == month and f.metric.startswith("carbon")}
    # 100 m3 x 300 = 30,000 kg; at the median 100 x 280 = 28,000 kg; the lamps are counted apart
    assert got == {"carbon_kg": 30_000, "carbon_median_kg": 28_000, "carbon_undeclared": 1}
    report = closure_report(s.project)["carbon"]
    assert (report["kg"], report["median_kg"]) == (got["carbon_kg"], got["carbon_median_kg"])

    board = dashboard.build([s.world.city.id], Period(dt.date(TODAY.year, 1, 1), month))
    with app.test_request_context("/"):   # titles in the reader's language
        chart, by_city = figures.carbon(board), figures.carbon_cities(board)
    assert chart.rows()[-1][1:] == [30_000, 28_000, 1]
    assert "30,000" in chart.desc and "28,000" in chart.desc and "-7.1 %" in chart.desc
    assert by_city.rows() == [[s.world.city.name_en, 30_000, 28_000]]
    image = charts.svg(chart).decode()
    assert "<title" in image and "<desc" in image and "<script" not in image
    assert b"30000" in charts.csv_bytes(chart)
