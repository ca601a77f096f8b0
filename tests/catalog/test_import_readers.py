"""File vetting and streaming readers: types, encodings, XLSX bombs, row caps (no database)."""
import codecs
import zipfile

import pytest

from core.tabular import FileRejected, XlsxLimits, detect_encoding, open_table, read_all
from tests.catalog.import_helpers import HEADER, csv_bytes, row, xlsx_file

pytestmark = pytest.mark.pure


def _write(tmp_path, name, data: bytes):
    p = tmp_path / name
    p.write_bytes(data)
    return str(p)


@pytest.mark.parametrize("encoding, expected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"),
                                                ("gb18030", "gb18030"), ("utf-16", "utf-16")])
def test_encodings(tmp_path, encoding, expected):
    path = _write(tmp_path, "a.csv", csv_bytes([row(1)], encoding=encoding))
    table = open_table(path)
    assert table.kind == "csv" and table.encoding == expected
    rows = read_all(path)
    assert rows[0][0] == "sku" and rows[1][1] == "断桥铝合金窗1" and rows[1][10] == "CGBM-000001"


def test_gbk_after_many_ascii_rows_is_detected(tmp_path):
    rows = [row(i, name_zh=f"window{i}", manufacturer="ACME", plant="P1", brand="B") for i in range(3000)]
    rows.append(row(9999))  # the first Chinese text comes after ~1 MB of ASCII
    path = _write(tmp_path, "late.csv", csv_bytes(rows, encoding="gbk"))
    assert detect_encoding(path) == "gb18030"
    assert read_all(path)[-1][1] == "断桥铝合金窗9999"


def test_undecodable_file_is_refused(tmp_path):
    data = csv_bytes([row(1)], encoding="utf-8") + b"\xff\xfe\xfa\x81\xff\r\n"
    path = _write(tmp_path, "bad.csv", data)
    with pytest.raises(FileRejected) as exc:
        detect_encoding(path)
    assert "UTF-8 or GBK" in str(exc.value)


@pytest.mark.parametrize("data, words", [
    (b"", "empty"),
    (b"  \r\n", "empty"),
    (codecs.BOM_UTF8, "empty"),
    (b"%PDF-1.7\n...", "PDF"),
    (b"\x89PNG\r\n\x1a\n....", "PNG"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, ".xls"),
    (b"sku,name\x00\x01\x02", "binary"),
    (b"PK\x03\x04garbage", "damaged"),
])
def test_wrong_file_types(tmp_path, data, words):
    path = _write(tmp_path, "x.csv", data)
    with pytest.raises(FileRejected) as exc:
        open_table(path)
    assert words in str(exc.value)


def test_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "x.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(FileRejected, match="not an XLSX workbook"):
        open_table(str(path))


def test_semicolon_and_tab_delimiters(tmp_path):
    for delim in (";", "\t"):
        path = _write(tmp_path, "s.csv", csv_bytes([row(1)], delimiter=delim))
        assert read_all(path)[1][0] == "WIN-00001"


def test_xlsx_reads_typed_cells(tmp_path):
    path = xlsx_file(tmp_path / "a.xlsx", [row(1), row(2)])
    table = open_table(str(path))
    assert table.kind == "xlsx"
    rows = read_all(str(path))
    assert rows[0] == HEADER
    assert rows[1][7] == pytest.approx(981.5) and rows[1][14].isoformat() == row(1)["issued_on"]


def _bomb(path, size=30 << 20):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"<worksheet><sheetData>" + b" " * size + b"</sheetData></worksheet>")


def test_xlsx_bomb_is_refused_before_parsing(tmp_path):
    path = tmp_path / "bomb.xlsx"
    _bomb(path)
    assert path.stat().st_size < 200_000
    with pytest.raises(FileRejected, match="zip bomb"):
        open_table(str(path))


def test_xlsx_total_size_cap(tmp_path):
    path = tmp_path / "big.xlsx"
    _bomb(path, size=3 << 20)
    with pytest.raises(FileRejected, match="unpacks to"):
        open_table(str(path), xlsx_limits=XlsxLimits(max_total_uncompressed=1 << 20, max_ratio=1e9))


def test_xlsx_declared_rows_over_cap_refused_before_parsing(tmp_path):
    path = tmp_path / "rows.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml",
                    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                    '<dimension ref="A1:V200001"/><sheetData/></worksheet>')
    with pytest.raises(FileRejected) as exc:
        open_table(str(path))
    assert "200,000 data rows" in str(exc.value) and "100,000" in str(exc.value)


def test_malformed_csv_row_is_reported(tmp_path):
    data = b"sku,name_zh\r\n" + b"A,\"" + b"x" * 200_000 + b"\"\r\n"
    path = _write(tmp_path, "m.csv", data)
    with pytest.raises(FileRejected, match="malformed"):
        read_all(path)


def test_xml_entity_expansion_is_refused(tmp_path):
    """A 'billion laughs' worksheet: defusedxml (used by openpyxl) refuses the DTD."""
    src = xlsx_file(tmp_path / "ok.xlsx", [row(1)])
    evil = tmp_path / "laughs.xlsx"
    sheet = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
             '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
             '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>')
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(evil, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = sheet.encode()
            zout.writestr(item, data)
    with pytest.raises(FileRejected, match="cannot be read"):
        read_all(str(evil))
