"""Header checks and row mapping (pure)."""
import pytest

from catalog.importing.columns import Issue, parse_header, row_to_data
from core.tabular import clean_cell
from tests.catalog.import_helpers import HEADER, row

pytestmark = pytest.mark.pure


def test_good_header():
    header, issues = parse_header(["\ufeffSKU", *HEADER[1:]])
    assert issues == []
    assert header.positions["sku"] == 0
    assert [(k, u) for _i, k, u, _t in header.indicators] == [("u_value", "W/(m2.K)"), ("air_tightness_grade", ""),
                                                             ("water_tightness_grade", "")]


def test_header_problems_all_reported():
    header, issues = parse_header(["sku", "name_zh", "prise", "ind:u_value[furlongs]", "ind:U-Value", "sku", "ind:a", "ind:a[mm]"])
    texts = {(i.column, i.text) for i in issues}
    assert ("prise", "unknown column") in texts
    assert any(c == "ind:u_value[furlongs]" and "unknown unit 'furlongs'" in m for c, m in texts)
    assert any(c == "ind:U-Value" and "ind:<key>[<unit>]" in m for c, m in texts)
    assert any(c == "sku" and "duplicate column" in m for c, m in texts)
    assert any(c == "ind:a[mm]" and "appears twice" in m for c, m in texts)
    assert ("category", "required column is missing") in texts and ("list_price", "required column is missing") in texts
    assert all(i.row == 1 for i in issues)


def test_issue_formatting():
    assert str(Issue(5, "list_price", "The price must not be negative.")) == "row 5, column list_price: The price must not be negative."
    assert str(Issue(0, "", "The file is empty.")) == "file: The file is empty."


def test_row_to_data_maps_columns_and_groups():
    header, _ = parse_header(HEADER)
    r = row(3)
    data = row_to_data(header, [r[h] for h in HEADER])
    assert data["sku"] == "WIN-00003" and data["model_spec"] == "HW-3" and data["list_price"] == "983.50"
    assert data["certificate"]["star_grade"] == "2" and data["certificate"]["body"] == "CTC"
    assert data["carbon"] == {"gwp_a1a3": "85.5", "declared_unit": "m2", "valid_until": r["carbon_valid_until"]}
    assert {"key": "u_value", "value": "2.8", "unit": "W/(m2.K)"} in data["indicators"]


def test_row_without_certificate_or_carbon_and_short_row():
    header, _ = parse_header(HEADER)
    data = row_to_data(header, ["SKU1", "名", "", "stone", "", "", "", "10"])
    assert "certificate" not in data and "carbon" not in data
    assert data["name_en"] is None and data["brand"] is None


def test_export_apostrophe_is_removed_on_import():
    assert clean_cell("'=SUM(A1)") == "=SUM(A1)"
    assert clean_cell("'-20") == "-20"
    assert clean_cell("O'Brien") == "O'Brien"
    assert clean_cell("  x ") == "x"
