"""Export in the import format: formula injection neutralised, CSV/XLSX, round trip, web routes."""
import io

import openpyxl
import pytest
from sqlalchemy import select

from core.extensions import db
from tests.catalog.import_helpers import csv_bytes, row, seed_catalog, supplier_and_user
from tests.factories import login

from catalog.exporting import export_to_file, iter_csv, neutralise
from catalog.importing.runner import run_import
from catalog.models.products import Product


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+86 138", "'+86 138"), ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("-20", "-20"), ("+1.5e3", "+1.5e3"), ("plain", "plain"), ("", ""), (12, 12), (None, None),
])
def test_neutralise(value, expected):
    assert neutralise(value) == expected


@pytest.fixture
def exported(app, tmp_path):
    seed_catalog()
    org, user = supplier_and_user()
    rows = [row(1, name_en="=HYPERLINK(\"http://evil\")", brand="@brand", **{"ind:air_tightness_grade": "-7"}),
            row(2, model="+HW", plant="-Plant 2")]
    p = tmp_path / "in.csv"
    p.write_bytes(csv_bytes(rows))
    assert run_import(str(p), org, user).ok
    return org, user


def test_csv_export_neutralises_and_round_trips(exported, tmp_path):
    org, user = exported
    out = tmp_path / "out.csv"
    assert export_to_file(org, "csv", str(out)) == 2
    text = out.read_text(encoding="utf-8")
    assert text.startswith("\ufeffsku,")
    assert "'=HYPERLINK" in text and "'@brand" in text and "'+HW" in text and "'-Plant 2" in text
    assert ",-7," in text or text.rstrip().endswith(",-7") or ",-7\r" in text
    assert "ind:u_value[W/(m2.K)]" in text.splitlines()[0]
    before = {p.sku: p.snapshot() for p in db.session.execute(select(Product)).unique().scalars()}
    db.session.expire_all()
    again = run_import(str(out), org, user)
    assert again.ok and (again.created, again.updated) == (0, 2)
    after = {p.sku: p.snapshot() for p in db.session.execute(select(Product)).unique().scalars()}
    assert after == before
    assert after["WIN-00001"]["name_en"] == '=HYPERLINK("http://evil")'  # data intact, only the file was guarded


def test_xlsx_export(exported, tmp_path):
    org, user = exported
    out = tmp_path / "out.xlsx"
    assert export_to_file(org, "xlsx", str(out)) == 2
    wb = openpyxl.load_workbook(out, read_only=True)
    rows = list(wb.active.iter_rows(values_only=True))
    header, first = rows[0], dict(zip(rows[0], rows[1]))
    assert header[0] == "sku" and first["name_en"].startswith("'=") and first["list_price"] == pytest.approx(981.5)
    assert all(not (isinstance(v, str) and v[:1] in "=+-@") for r in rows[1:] for v in r)
    wb.close()
    again = run_import(str(out), org, user)
    assert again.ok and again.updated == 2


def test_export_is_per_supplier(exported):
    other, _u = supplier_and_user()
    text = "".join(iter_csv(other))
    assert text.count("\r\n") == 1  # header only


def test_web_export_routes(exported, client):
    org, user = exported
    login(client, user)
    r = client.get("/supplier/products/export.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv" and "WIN-00002" in r.get_data(as_text=True)
    x = client.get("/supplier/products/export.xlsx")
    assert x.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(x.data), read_only=True)
    assert sum(1 for _ in wb.active.iter_rows()) == 3
    assert client.get("/supplier/products/export.pdf").status_code == 404


def test_one_column_per_indicator_even_with_mixed_units(app, tmp_path):
    seed_catalog()
    org, user = supplier_and_user()
    header = ["sku", "name_zh", "category", "list_price", "ind:thermal_conductivity[W/(m.K)]"]
    other = ["sku", "name_zh", "category", "list_price", "ind:thermal_conductivity[mW/(m.K)]"]
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_bytes(csv_bytes([{"sku": "M1", "name_zh": "砌块1", "category": "masonry", "list_price": "1",
                              "ind:thermal_conductivity[W/(m.K)]": "0.12"},
                             {"sku": "M2", "name_zh": "砌块2", "category": "masonry", "list_price": "1",
                              "ind:thermal_conductivity[W/(m.K)]": "0.15"}], header=header))
    b.write_bytes(csv_bytes([{"sku": "M3", "name_zh": "砌块3", "category": "masonry", "list_price": "1",
                              "ind:thermal_conductivity[mW/(m.K)]": "180"}], header=other))
    assert run_import(str(a), org, user).ok and run_import(str(b), org, user).ok
    out = tmp_path / "out.csv"
    export_to_file(org, "csv", str(out))
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [h for h in lines[0].split(",") if h.startswith("ind:")] == ["ind:thermal_conductivity[W/(m.K)]"]
    assert lines[3].endswith(",0.18")
    assert run_import(str(out), org, user).ok
