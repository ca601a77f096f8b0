"""A bill line's unit must convert to the unit its category is priced in (issue 9, #16): mortar
priced per tonne takes t or kg, never m³ (no density to convert with). Refused with the reason
in the service, the form (next to the unit field), the API (400) and the import, in English and
Chinese."""

import io

import pytest

from core.errors import ValidationError
from core.extensions import db
from procurement.design import services as design_svc
from procurement.design.models import BomLine
from tests.factories import login_as
from tests.procurement.helpers import World, field_text, line, make_standard, project_in_design

REASON = ("This category is priced per tonne (mass); a quantity in m³ (volume) cannot be converted to it. "
          "Give the quantity in tonne or kg.")


@pytest.fixture
def designing(app):
    make_standard()
    w = World()
    return w, project_in_design(w)


def test_a_unit_of_another_measure_is_refused_with_the_reason(designing):
    w, p = designing
    with pytest.raises(ValidationError) as exc:
        design_svc.add_line(w.purchaser, p.id, line("ready_mixed_mortar", unit="m3"))
    assert field_text(exc.value, "unit") == REASON
    assert db.session.execute(db.select(BomLine)).first() is None


@pytest.mark.parametrize("category,unit", [("ready_mixed_mortar", "t"), ("ready_mixed_mortar", "kg"),
                                           ("ready_mixed_mortar", "吨"), ("ready_mixed_concrete", "L"),
                                           ("wall_coatings", "t"), ("windows_doors", "㎡")])
def test_units_of_the_same_measure_are_accepted(designing, category, unit):
    w, p = designing
    assert design_svc.add_line(w.purchaser, p.id, line(category, unit=unit)).line_no == 1


@pytest.mark.parametrize("category,unit,use", [("led_lighting", "set", "piece"), ("valves", "kg", "piece"),
                                               ("windows_doors", "m", "m²"), ("wall_coatings", "L", "tonne or kg")])
def test_pieces_sets_lengths_and_areas_do_not_mix(designing, category, unit, use):
    w, p = designing
    with pytest.raises(ValidationError) as exc:
        design_svc.add_line(w.purchaser, p.id, line(category, unit=unit))
    assert field_text(exc.value, "unit").endswith(f"Give the quantity in {use}.")


def test_changing_the_unit_or_the_category_of_a_line_is_checked_too(designing):
    w, p = designing
    design_svc.add_line(w.purchaser, p.id, line("ready_mixed_mortar", unit="t"))
    with pytest.raises(ValidationError) as exc:
        design_svc.update_line(w.purchaser, p.id, 1, {"unit": "m3"})
    assert field_text(exc.value, "unit") == REASON
    with pytest.raises(ValidationError) as exc:  # the line keeps t; concrete is priced per m³
        design_svc.update_line(w.purchaser, p.id, 1, {"category": "ready_mixed_concrete"})
    assert "priced per m³ (volume); a quantity in tonne (mass)" in field_text(exc.value, "unit")
    design_svc.update_line(w.purchaser, p.id, 1, {"category": "ready_mixed_concrete", "unit": "m3"})
    assert db.session.execute(db.select(BomLine.unit)).scalar_one() == "m3"


def test_api_answers_400_naming_the_unit(client, designing):
    w, p = designing
    login_as(client, w.purchaser)
    res = client.post(f"/api/v1/projects/{p.id}/bom", json=line("ready_mixed_mortar", unit="m3"))
    assert res.status_code == 400
    assert res.get_json()["error"]["fields"]["unit"] == REASON


def test_form_shows_the_reason_next_to_the_unit_in_both_languages(client, designing):
    w, p = designing
    login_as(client, w.purchaser)
    form = {"line-category": "ready_mixed_mortar", "line-specification": "M10 dry-mix mortar", "line-quantity": "30",
            "line-unit": "m3", "line-unit_price": "420", "line-green_required": "y"}
    page = client.post(f"/projects/{p.id}/design", data=form).get_data(as_text=True)
    assert f'<div class="invalid-feedback" id="line-unit-error">{REASON}</div>' in page.replace("&#39;", "'")
    assert "Ready Mixed Mortar (optional, priced per tonne)" in page  # the form says the price unit up front
    client.post("/language", data={"lang": "zh_Hans"})
    page = client.post(f"/projects/{p.id}/design", data=form).get_data(as_text=True)
    assert "该品类按吨计价（质量）；以立方米（体积）计的数量无法换算为该单位。请以吨或千克填写数量。" in page
    assert db.session.execute(db.select(BomLine)).first() is None


def test_import_names_row_and_column(client, designing):
    w, p = designing
    login_as(client, w.purchaser)
    csv = ("category,specification,quantity,unit,unit_price\n"
           "ready_mixed_mortar,M10,30,t,420\n"
           "ready_mixed_mortar,M15,12,m3,460\n")
    res = client.post(f"/projects/{p.id}/design/import", follow_redirects=True, content_type="multipart/form-data",
                      data={"import-file": (io.BytesIO(csv.encode()), "bill.csv")})
    text = res.get_data(as_text=True)
    assert "row 3, column unit" in text and "priced per tonne" in text
    assert db.session.execute(db.select(BomLine)).first() is None
