"""Builders for the import/export tests (not a conftest: other suites own that file)."""
from __future__ import annotations

import csv
import datetime as dt
import io

from core import roles as R
from core.extensions import db
from tests.factories import make_city, make_org, make_user

CITY_CODES = ("nanjing", "hangzhou", "shaoxing", "huzhou", "qingdao", "foshan")
HEADER = ["sku", "name_zh", "name_en", "category", "brand", "model", "unit", "list_price", "manufacturer", "plant",
          "certificate_number", "certification_body", "star_grade", "certificate_standard", "issued_on", "expires_on",
          "gwp_a1a3", "declared_unit", "carbon_valid_until",
          "ind:u_value[W/(m2.K)]", "ind:air_tightness_grade", "ind:water_tightness_grade"]


def seed_catalog():
    from catalog.standards_seed import seed_standards

    for code in CITY_CODES:
        make_city(code)
    seed_standards()
    db.session.commit()


def supplier_and_user():
    org = make_org(R.ORG_SUPPLIER)
    return org, make_user(org, roles=(R.SUPPLIER,))


def row(i: int, **over) -> dict:
    today = dt.date.today()
    base = {
        "sku": f"WIN-{i:05d}", "name_zh": f"断桥铝合金窗{i}", "name_en": f"Aluminium window {i}", "category": "windows_doors",
        "brand": "海湾", "model": f"HW-{i}", "unit": "m2", "list_price": f"{980 + i}.50", "manufacturer": "青岛海湾门窗有限公司",
        "plant": "胶州工厂", "certificate_number": f"CGBM-{i:06d}", "certification_body": "CTC", "star_grade": "2",
        "certificate_standard": "T/CECS 10026", "issued_on": (today - dt.timedelta(days=300)).isoformat(),
        "expires_on": (today + dt.timedelta(days=1200)).isoformat(), "gwp_a1a3": "85.5", "declared_unit": "m2",
        "carbon_valid_until": (today + dt.timedelta(days=900)).isoformat(),
        "ind:u_value[W/(m2.K)]": "2.8", "ind:air_tightness_grade": "7", "ind:water_tightness_grade": "4",
    }
    base.update(over)
    return base


def csv_bytes(rows: list[dict], header=None, encoding="utf-8", delimiter=",") -> bytes:
    header = header or HEADER
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(header)
    for r in rows:
        w.writerow([r.get(h, "") for h in header])
    return buf.getvalue().encode(encoding)


def xlsx_file(path, rows: list[dict], header=None, typed=True):
    import openpyxl

    header = header or HEADER
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        out = []
        for h in header:
            v = r.get(h, "")
            if typed and h in ("list_price", "gwp_a1a3") and v not in ("", None):
                try:
                    v = float(v)
                except ValueError:
                    pass
            if typed and h in ("issued_on", "expires_on", "carbon_valid_until") and v:
                v = dt.datetime.fromisoformat(v)
            out.append(v)
        ws.append(out)
    wb.save(path)
    return path
