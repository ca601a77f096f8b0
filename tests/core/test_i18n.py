"""English and Simplified Chinese: every extracted string has a Chinese translation."""
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from core.extensions import db
from tests.factories import login_as, make_user

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "translations" / "zh_Hans" / "LC_MESSAGES" / "messages.po"


@pytest.mark.pure
def test_every_string_in_the_code_is_translated(tmp_path):
    pot = tmp_path / "messages.pot"
    pybabel = str(Path(sys.executable).with_name("pybabel"))
    subprocess.run(["sh", "translations/extract.sh", str(pot)], cwd=ROOT, check=True, capture_output=True,
                   env={**os.environ, "PYBABEL": pybabel})
    with pot.open("rb") as fh:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="zh_Hans")
    translated = {(m.id if isinstance(m.id, str) else m.id[0]) for m in catalog if m.id and m.string and "fuzzy" not in m.flags}
    missing = sorted(wanted - translated)
    assert not missing, f"{len(missing)} strings lack a Chinese translation (run `make extract-messages`), e.g. {missing[:10]}"


@pytest.mark.pure
def test_placeholders_survive_translation():
    import re

    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="zh_Hans")
    for m in catalog:
        if m.id and m.string and isinstance(m.id, str):
            assert set(re.findall(r"%\(\w+\)s", m.id)) == set(re.findall(r"%\(\w+\)s", m.string)), m.id


def test_language_switch_renders_chinese(client):
    resp = client.post("/language", data={"lang": "zh_Hans", "next": "/"})
    assert resp.status_code == 302
    html = client.get("/").get_data(as_text=True)
    assert 'lang="zh-Hans"' in html and "政府采购绿色建材" in html and "登录" in html


def test_browser_language_is_honoured(client):
    html = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert "供应商注册" in html


def test_chosen_language_is_remembered_for_the_user(client):
    user = make_user()
    login_as(client, user)
    client.post("/language", data={"lang": "zh_Hans"})
    db.session.refresh(user)
    assert user.locale == "zh_Hans"


def test_service_errors_are_translated_with_their_values(client):
    client.post("/language", data={"lang": "zh_Hans"})
    html = client.post("/register", data={"credit_code": "9135010", "name_zh": "x", "contact_name": "y", "email": "a@b.cn",
                                          "password": "long-enough-pw", "confirm": "long-enough-pw",
                                          "licence": (io.BytesIO(b"%PDF-1.4\n"), "licence.pdf")}).get_data(as_text=True)
    assert "统一社会信用代码为 18 位，此代码为 7 位。" in html
