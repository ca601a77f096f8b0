"""Bulk import through the product service: all-or-nothing, --partial, idempotent re-import,
clear errors, audit, CLI and web upload."""

import pytest
from sqlalchemy import func, select

from core import roles as R
from core.extensions import db
from core.models import AuditEvent
from tests.catalog.import_helpers import HEADER, csv_bytes, row, seed_catalog, supplier_and_user, xlsx_file
from tests.factories import login, make_role_user

from catalog.importing.runner import run_import
from catalog.models.products import Certificate, Product, ProductIndicatorValue, ProductVerdict


@pytest.fixture
def supplier(app):
    seed_catalog()
    org, user = supplier_and_user()
    return org, user


def _file(tmp_path, rows, name="p.csv", **kw):
    p = tmp_path / name
    p.write_bytes(csv_bytes(rows, **kw))
    return str(p)


def _count(model=Product):
    return db.session.scalar(select(func.count()).select_from(model))


def _issues(result):
    return {(i.row, i.column): i.text for i in result.issues}


def test_good_csv_creates_products_with_evidence_and_verdicts(tmp_path, supplier):
    org, user = supplier
    result = run_import(_file(tmp_path, [row(1), row(2, **{"ind:u_value[W/(m2.K)]": "3.3"})]), org, user)
    assert result.ok and result.written and (result.rows, result.created, result.updated) == (2, 2, 0)
    p1 = db.session.execute(select(Product).filter_by(sku="WIN-00001")).unique().scalar_one()
    assert p1.list_price_fen == 98150 and p1.name_zh == "断桥铝合金窗1" and p1.model_spec == "HW-1"
    assert p1.category.code == "windows_doors" and p1.status == "draft"
    assert p1.indicator_dict()["u_value"] == (2.8, "W/(m2.K)")
    cert = p1.certificates[0]
    assert (cert.number, cert.star_grade, cert.body) == ("CGBM-000001", 2, "CTC")
    assert p1.current_carbon().gwp_a1a3 == 85.5
    verdicts = {v.city.code: v for v in p1.verdicts}
    assert set(verdicts) == {"nanjing", "hangzhou", "shaoxing", "huzhou", "qingdao", "foshan"}
    assert verdicts["qingdao"].verdict == "pass" and verdicts["qingdao"].standard_version_id is not None
    p2 = db.session.execute(select(Product).filter_by(sku="WIN-00002")).unique().scalar_one()
    v2 = {v.city.code: v.verdict for v in p2.verdicts}
    assert v2["qingdao"] == "fail" and v2["nanjing"] == "pass"  # 3.3 > 3.0 (cold A) but <= 3.5 (hscw A)
    events = db.session.execute(select(AuditEvent).where(AuditEvent.action == "catalog.import")).scalars().all()
    assert len(events) == 1 and events[0].after["file_sha256"] == result.sha256 and events[0].after["created"] == 2
    assert events[0].actor_id == user.id and events[0].object_id == str(org.id)


def test_reimport_is_idempotent_and_updates(tmp_path, supplier):
    org, user = supplier
    path = _file(tmp_path, [row(1), row(2)])
    assert run_import(path, org, user).created == 2
    again = run_import(path, org, user)
    assert again.ok and (again.created, again.updated) == (0, 2)
    assert _count() == 2 and _count(Certificate) == 2 and _count(ProductIndicatorValue) == 6
    assert _count(ProductVerdict) == 12
    changed = run_import(_file(tmp_path, [row(1, list_price="1000.00", name_en="Renamed")], name="c.csv"), org, user)
    assert changed.ok and changed.updated == 1
    p = db.session.execute(select(Product).filter_by(sku="WIN-00001")).unique().scalar_one()
    assert p.list_price_fen == 100000 and p.name_en == "Renamed" and _count() == 2


def test_same_sku_of_another_supplier_is_a_different_product(tmp_path, supplier):
    org, user = supplier
    other, other_user = supplier_and_user()
    path = _file(tmp_path, [row(1)])
    run_import(path, org, user)
    assert run_import(path, other, other_user).created == 1
    assert _count() == 2


def test_gbk_and_bom_files_import(tmp_path, supplier):
    org, user = supplier
    assert run_import(_file(tmp_path, [row(1)], encoding="gbk", name="g.csv"), org, user).ok
    assert run_import(_file(tmp_path, [row(2)], encoding="utf-8-sig", name="b.csv"), org, user).ok
    names = set(db.session.scalars(select(Product.name_zh)))
    assert names == {"断桥铝合金窗1", "断桥铝合金窗2"}


def test_xlsx_imports(tmp_path, supplier):
    org, user = supplier
    path = xlsx_file(tmp_path / "p.xlsx", [row(1), row(2)])
    result = run_import(str(path), org, user)
    assert result.ok and result.created == 2
    p = db.session.execute(select(Product).filter_by(sku="WIN-00002")).unique().scalar_one()
    assert p.list_price_fen == 98250 and p.certificates[0].issued_on.isoformat() == row(2)["issued_on"]


BAD_ROWS = [
    ({"category": "flying_carpets"}, "category", "Unknown category"),
    ({"list_price": "-5"}, "list_price", "cannot be negative"),
    ({"list_price": "abc"}, "list_price", "'abc' is not a number"),
    ({"list_price": "1.234"}, "list_price", "two decimal places"),
    ({"star_grade": "4"}, "star_grade", "between 1 and 3"),
    ({"expires_on": "2001-01-01"}, "expires_on", "after the issue date"),
    ({"issued_on": "yesterday"}, "issued_on", "YYYY-MM-DD"),
    ({"sku": ""}, "sku", "required"),
    # issue 9 #11: values are checked against the indicator's type (numbers here)
    ({"ind:air_tightness_grade": "=HYPERLINK(1)"}, "ind:air_tightness_grade", "is not a number"),
    ({"ind:air_tightness_grade": "seven"}, "ind:air_tightness_grade", "'seven' is not a number"),
    ({"ind:u_value[W/(m2.K)]": "abc"}, "ind:u_value[W/(m2.K)]", "'abc' is not a number"),
    ({"ind:water_tightness_grade": "4"}, None, None),
]


@pytest.mark.parametrize("over, column, words", BAD_ROWS)
def test_row_errors_name_row_and_column_and_write_nothing(tmp_path, supplier, over, column, words):
    org, user = supplier
    result = run_import(_file(tmp_path, [row(1), row(2, **over), row(3)]), org, user)
    if column is None:
        assert result.ok
        return
    issues = _issues(result)
    assert (3, column) in issues and words in issues[(3, column)], issues
    assert not result.ok and not result.written and result.failed_rows == 1
    assert _count() == 0 and _count(Certificate) == 0
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "catalog.import")) == 0


def test_wrong_unit_in_indicator_column(tmp_path, supplier):
    org, user = supplier
    header = [h if not h.startswith("ind:u_value") else "ind:u_value[mm]" for h in HEADER]
    rows = [dict(row(1), **{"ind:u_value[mm]": "2.8"})]
    result = run_import(_file(tmp_path, rows, header=header), org, user)
    issues = _issues(result)
    assert "cannot be converted" in issues[(2, "ind:u_value[mm]")] and _count() == 0


def test_all_errors_are_reported_not_just_the_first(tmp_path, supplier):
    org, user = supplier
    rows = [row(1, list_price="-1", star_grade="9"), row(2), row(3, category="nope")]
    result = run_import(_file(tmp_path, rows), org, user)
    assert set(_issues(result)) >= {(2, "list_price"), (2, "star_grade"), (4, "category")}
    assert result.failed_rows == 2 and _count() == 0


def test_partial_writes_good_rows_and_reports_the_rest(tmp_path, supplier):
    org, user = supplier
    rows = [row(1), row(2, list_price="-1"), row(3), row(4, star_grade="4")]
    result = run_import(_file(tmp_path, rows), org, user, partial=True, chunk_rows=2)
    assert not result.ok and result.written and result.created == 2 and result.failed_rows == 2
    assert set(db.session.scalars(select(Product.sku))) == {"WIN-00001", "WIN-00003"}
    ev = db.session.execute(select(AuditEvent).where(AuditEvent.action == "catalog.import")).scalar_one()
    assert ev.after["partial"] is True and ev.after["failed_rows"] == 2


def test_duplicate_sku_in_file(tmp_path, supplier):
    org, user = supplier
    result = run_import(_file(tmp_path, [row(1), row(2), row(1)]), org, user, chunk_rows=2)
    assert "appears again (first at row 2)" in _issues(result)[(4, "sku")] and _count() == 0


@pytest.mark.parametrize("content, words", [
    (b"", "empty"),
    (b"sku,name_zh,category,list_price\r\n", "no product rows"),
    (b"%PDF-1.4 ...", "PDF"),
    (b"sku,name_zh,price\r\nA,B,1\r\n", "required column is missing"),
])
def test_file_level_errors(tmp_path, supplier, content, words):
    org, user = supplier
    p = tmp_path / "f.csv"
    p.write_bytes(content)
    result = run_import(str(p), org, user)
    assert not result.ok and any(words in i.text for i in result.issues) and _count() == 0


def test_row_cap_refuses_200k_rows_before_writing(tmp_path, supplier):
    org, user = supplier
    p = tmp_path / "huge.csv"
    with open(p, "w", encoding="utf-8") as fh:
        fh.write("sku,name_zh,category,list_price\n")
        for i in range(200_000):
            fh.write(f"S{i},名{i},stone,1.00\n")
    result = run_import(str(p), org, user)
    assert not result.ok and "more than 100,000 data rows" in result.issues[0].text
    assert _count() == 0


def test_configurable_row_cap(tmp_path, supplier):
    org, user = supplier
    result = run_import(_file(tmp_path, [row(i) for i in range(6)]), org, user, max_rows=5, partial=True)
    assert "more than 5 data rows" in result.issues[0].text and _count() == 0


# ----------------------------------------------------------------------------- CLI

def test_cli_success_and_failure_exit_codes(app, tmp_path, supplier):
    org, _user = supplier
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["catalog", "import", _file(tmp_path, [row(1)]), "--supplier", org.credit_code])
    assert ok.exit_code == 0, ok.output
    assert "1 created" in ok.output
    bad = runner.invoke(args=["catalog", "import", _file(tmp_path, [row(2, list_price="-3"), row(3)], name="b.csv"),
                              "--supplier", org.credit_code])
    assert bad.exit_code == 1
    assert "row 2, column list_price: The amount cannot be negative." in bad.output
    assert _count() == 1
    partial = runner.invoke(args=["catalog", "import", str(tmp_path / "b.csv"), "--supplier", org.credit_code, "--partial"])
    assert partial.exit_code == 1 and _count() == 2
    unknown = runner.invoke(args=["catalog", "import", str(tmp_path / "b.csv"), "--supplier", "NOPE"])
    assert unknown.exit_code != 0 and "No supplier" in unknown.output


# ----------------------------------------------------------------------------- web

def test_web_upload_runs_job_and_shows_summary(app, client, tmp_path, supplier):
    import io

    from core.jobs import wait_all

    org, user = supplier
    login(client, user)
    data = {"file": (io.BytesIO(csv_bytes([row(1), row(2)], encoding="gbk")), "products.csv")}
    r = client.post("/supplier/imports/new", data=data, content_type="multipart/form-data")
    assert r.status_code == 302 and "/supplier/imports/" in r.headers["Location"]
    wait_all()
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "2 rows imported: 2 created, 0 updated." in page
    assert _count() == 2


def test_web_upload_shows_error_table(app, client, supplier):
    import io

    from core.jobs import wait_all

    org, user = supplier
    login(client, user)
    data = {"file": (io.BytesIO(csv_bytes([row(1, star_grade="4")])), "p.csv")}
    r = client.post("/supplier/imports/new", data=data, content_type="multipart/form-data")
    wait_all()
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Nothing was imported" in page and "star_grade" in page and "Must be between 1 and 3." in page
    assert _count() == 0


def test_web_upload_requires_file_and_supplier_role(app, client, supplier):
    org, user = supplier
    login(client, user)
    r = client.post("/supplier/imports/new", data={}, content_type="multipart/form-data")
    assert r.status_code == 200 and "Choose a file." in r.get_data(as_text=True)
    client.post("/logout")
    purchaser = make_role_user(R.PURCHASER)
    login(client, purchaser)
    assert client.get("/supplier/imports/new").status_code == 403


def test_job_page_is_private(app, client, tmp_path, supplier):
    import io

    from core.jobs import wait_all

    org, user = supplier
    login(client, user)
    r = client.post("/supplier/imports/new", data={"file": (io.BytesIO(csv_bytes([row(1)])), "p.csv")},
                    content_type="multipart/form-data")
    wait_all()
    client.post("/logout")
    _other_org, other = supplier_and_user()
    login(client, other)
    assert client.get(r.headers["Location"]).status_code == 404


def test_progress_page_while_running(app, client, supplier):
    from core.models import Job

    from catalog.importing import jobs

    org, user = supplier
    job = Job(kind="catalog.import", owner_id=user.id, status="running", total=0)
    db.session.add(job)
    db.session.commit()
    jobs._LIVE[job.id] = (250, 1000, "write")
    try:
        login(client, user)
        html = client.get(f"/supplier/imports/{job.id}").get_data(as_text=True)
    finally:
        jobs._LIVE.pop(job.id, None)
    assert 'http-equiv="refresh"' in html and 'value="25"' in html and "250 / 1000" in html


def test_row_problems_are_kept_as_templates_and_shown_in_the_readers_language(tmp_path, supplier):
    from flask_babel import force_locale

    from core.i18n import render_payload

    org, user = supplier
    result = run_import(_file(tmp_path, [row(1), row(1)]), org, user)
    [(rownum, column, message)] = result.to_dict()["issues"]
    assert (rownum, column) == (3, "sku")
    assert message == {"key": "SKU %(sku)s appears again (first at row %(first)s)",
                       "params": {"sku": "WIN-00001", "first": 2}}
    with force_locale("zh_Hans"):
        assert render_payload(message) == "SKU WIN-00001 重复出现（首次出现在第 2 行）"
