"""Project pages read as sentences, not as stored data (issue 9, #17 and #18): records show field
labels and formatted values (money in yuan, quantities with units, categories and rules by name),
counts use proper plural forms, and times are China time with the zone, never "UTC". In English
and Chinese."""

import re
from html.parser import HTMLParser

import pytest

from core.extensions import db
from core.timeutil import china_time
from procurement.design import services as design_svc
from procurement.machine.services import GateRefused, request_transition
from procurement.projects.services import update_project
from procurement.records.models import ProjectRecord
from tests.factories import login_as
from tests.procurement.helpers import World, designing, line, make_standard, project_in_design, stock_products

# what must never show: stored field names, codes, plural hacks, UTC times
RAW = re.compile(r"\b[a-z]+_[a-z_]+\b|\(s\)|\bUTC\b(?!\+)")


class _Visible(HTMLParser):
    """Visible text outside <code> (input syntax such as `voc = 60` is shown as code on purpose)."""

    def __init__(self):
        super().__init__()
        self.skip, self.parts = 0, []

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("script", "style", "code")

    def handle_endtag(self, tag):
        self.skip -= tag in ("script", "style", "code") and self.skip > 0

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.parts.append(" ".join(data.split()))


def visible(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return "\n".join(parser.parts)


@pytest.fixture
def history(app):
    """A project in procurement with a changed, removed and imported bill and changed details."""
    w, p = designing(line(), line("wall_coatings", specification="Interior paint", tightenings={"voc": 60}))
    design_svc.update_line(w.purchaser, p.id, 1, {"quantity": "120.5", "est_unit_price_fen": 51000,
                                                  "tightenings": {"radionuclide_ira": 0.8}})
    design_svc.delete_line(w.purchaser, p.id, 2)
    update_project(w.purchaser, p.id, {"floor_area_m2": 13000, "green_star_target": 3})
    request_transition(w.purchaser, p.id, to_stage="procurement", expected_stage="design")
    return w, p


def test_records_show_labels_and_formatted_values_in_english(client, history):
    w, p = history
    login_as(client, w.purchaser)
    text = visible(client.get(f"/projects/{p.id}/records").get_data(as_text=True))
    for expected in ("Quantity: 100 m³ → 120.5 m³", "Estimated unit price: ¥500.00 → ¥510.00",
                     "Tightened limits: none → Internal exposure index ≤ 0.8",
                     "Line 2: Wall Coatings, Interior paint, 100 kg at ¥500.00 = ¥50,000.00",
                     "Tightened limits: VOC content ≤ 60 g/L", "Floor area: 12,000 m² → 13,000 m²",
                     "Green building target: Two stars → Three stars",
                     "Budget ¥5,000,000.00, revision 1, green materials share 40 %",
                     "Funding: General public budget ¥3,000,000.00 (City budget); Special-purpose bond ¥2,000,000.00 (Bond)",
                     "Design → Procurement (advance)", "All 6 checks passed.", "1 bill line.",
                     "1 mandatory line has compliant green products.", "Record chain intact: 10 records"):
        assert expected in text, expected
    assert not RAW.findall(text), RAW.findall(text)
    first = db.session.execute(db.select(ProjectRecord).filter_by(project_id=p.id, seq=1)).scalar_one()
    assert china_time(first.created_at, seconds=True) in text and "(UTC+8)" in text


def test_records_read_in_chinese(client, history):
    w, p = history
    login_as(client, w.purchaser)
    client.post("/language", data={"lang": "zh_Hans"})
    text = visible(client.get(f"/projects/{p.id}/records").get_data(as_text=True))
    for expected in ("数量：100 立方米 → 120.5 立方米", "估算单价：¥500.00 → ¥510.00", "建筑面积：12,000 平方米 → 13,000 平方米",
                     "绿色建筑目标：二星级 → 三星级", "清单共 1 行。", "全部 6 项检查通过。", "(UTC+8)"):
        assert expected in text, expected
    assert not RAW.findall(text), RAW.findall(text)


@pytest.mark.parametrize("lang", ["en", "zh_Hans"])
def test_project_pages_show_no_codes(client, history, lang):
    w, p = history
    login_as(client, w.purchaser)
    client.post("/language", data={"lang": lang})
    for url in ("/projects", f"/projects/{p.id}", f"/projects/{p.id}/design", f"/projects/{p.id}/budget",
                f"/projects/{p.id}/records", f"/projects/{p.id}/records/print"):
        text = visible(client.get(url).get_data(as_text=True))
        assert not RAW.findall(text), (url, RAW.findall(text))


def test_counts_use_plural_forms(client, app):
    make_standard()
    w = World()
    stock_products(w.city, ["ready_mixed_concrete"])
    p = project_in_design(w)
    login_as(client, w.purchaser)
    design_svc.add_line(w.purchaser, p.id, line())
    page = client.get(f"/projects/{p.id}/design").get_data(as_text=True)
    assert "1 product<" in page and "1 bill line." in page
    design_svc.add_line(w.purchaser, p.id, line("wall_coatings"))  # no wall coating in stock
    with pytest.raises(GateRefused) as exc:
        request_transition(w.purchaser, p.id, to_stage="procurement", expected_stage="design")
    assert exc.value.message == "The move to procurement was refused: 1 check failed."
    assert exc.value.fields["mandatory_green_available"] == (
        "No compliant green product is listed for mandatory line %(lines)s.", {"lines": "2"})
    page = visible(client.get(f"/projects/{p.id}").get_data(as_text=True))
    assert "2 bill lines." in page and "No compliant green product is listed for mandatory line 2." in page
    assert "Full record (7 entries)" in page
    assert "(s)" not in page


def test_budget_and_document_times_are_china_time(client, history):
    w, p = history
    login_as(client, w.purchaser)
    budget = p.budget
    page = client.get(f"/projects/{p.id}/budget").get_data(as_text=True)
    assert china_time(budget.submitted_at) in page and china_time(budget.reviewed_at) in page
    assert " UTC<" not in page and "UTC " not in visible(page)
