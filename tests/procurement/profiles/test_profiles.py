"""Procedure profiles as dated data: lookups by date and city (the city's own row wins from its
effective date, else the national one), rows never edited, `flask profiles list|add` with clear
errors, and the public page of the rules in force."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.errors import Conflict, ValidationError
from core.extensions import db
from procurement.profiles.models import ImmutableProfile, ProcedureProfile
from procurement.profiles.services import NoProfile, add_profile, profile_for
from tests.factories import make_city

D = dt.date


@pytest.fixture(autouse=True)
def _forget_added_national_rows(app):
    """National rows added without an author (as `flask profiles add` does) look like the seeded
    ones to the suite's cleanup: remove every row this test added."""
    seeded = db.session.execute(select(func.max(ProcedureProfile.id))).scalar()
    yield
    db.session.rollback()
    db.session.execute(ProcedureProfile.__table__.delete().where(ProcedureProfile.id > seeded))
    db.session.commit()


def _count() -> int:
    return db.session.execute(select(func.count(ProcedureProfile.id))).scalar()


def test_the_national_public_tender_rules_are_seeded(app):
    p = profile_for("public_tender", "gpl", None, D(2026, 6, 1))
    assert (p.min_tender_days, p.doc_availability_working_days, p.clarification_cutoff_days, p.bond_cap_bp,
            p.min_valid_bidders) == (20, 5, 15, 200, 3)
    assert p.city_id is None and p.effective_from == D(2017, 10, 1)


def test_lookup_by_date_takes_the_row_in_force_on_that_day(app):
    national = profile_for("public_tender", "gpl", None, D(2026, 6, 1))
    newer = add_profile(None, {"method": "public_tender", "track": "gpl", "effective_from": "2027-01-01",
                               "min_tender_days": 25}, base=national)
    assert profile_for("public_tender", "gpl", None, D(2026, 12, 31)).id == national.id
    assert profile_for("public_tender", "gpl", None, D(2027, 1, 1)).id == newer.id
    assert newer.min_tender_days == 25 and newer.bond_cap_bp == national.bond_cap_bp  # the rest copied
    with pytest.raises(NoProfile):
        profile_for("public_tender", "gpl", None, D(2017, 9, 30))


def test_a_city_override_wins_for_that_city_only_and_from_its_date(app):
    qingdao, nanjing = make_city("qingdao"), make_city("nanjing")
    national = profile_for("public_tender", "gpl", None)
    own = add_profile(None, {"method": "public_tender", "track": "gpl", "city_id": qingdao.id,
                             "effective_from": "2026-03-01", "bond_cap_bp": 100}, base=national)
    assert profile_for("public_tender", "gpl", qingdao.id, D(2026, 3, 1)).id == own.id
    assert profile_for("public_tender", "gpl", qingdao.id, D(2026, 2, 28)).id == national.id
    assert profile_for("public_tender", "gpl", nanjing.id, D(2026, 3, 1)).id == national.id
    # a later national change does not override the city's own row
    later = add_profile(None, {"method": "public_tender", "track": "gpl", "effective_from": "2026-06-01"},
                        base=national)
    assert profile_for("public_tender", "gpl", qingdao.id, D(2026, 7, 1)).id == own.id
    assert profile_for("public_tender", "gpl", nanjing.id, D(2026, 7, 1)).id == later.id


def test_a_rule_change_is_a_new_row_never_an_edit(app):
    row = profile_for("public_tender", "gpl", None)
    row.min_tender_days = 10
    with pytest.raises(ImmutableProfile):
        db.session.flush()
    db.session.rollback()
    assert profile_for("public_tender", "gpl", None).min_tender_days == 20


def test_the_same_method_track_city_and_date_twice_is_a_clear_conflict(app):
    base = profile_for("public_tender", "gpl", None)
    add_profile(None, {"method": "public_tender", "track": "gpl", "effective_from": "2027-01-01"}, base=base)
    before = _count()
    with pytest.raises(Conflict) as refused:
        add_profile(None, {"method": "public_tender", "track": "gpl", "effective_from": "2027-01-01"}, base=base)
    assert "already exist" in refused.value.message
    assert _count() == before


def test_out_of_range_numbers_are_field_errors(app):
    base = profile_for("public_tender", "gpl", None)
    with pytest.raises(ValidationError) as refused:
        add_profile(None, {"method": "public_tender", "track": "gpl", "effective_from": "2027-01-01",
                           "bond_cap_bp": 20000, "min_valid_bidders": 0}, base=base)
    assert set(refused.value.fields) == {"bond_cap_bp", "min_valid_bidders"}


# ------------------------------------------------------------------ flask profiles

def _cli(app, *args):
    return app.test_cli_runner().invoke(args=["profiles", *args])


def test_profiles_list_shows_the_rules_in_force(app):
    make_city("qingdao")
    result = _cli(app, "list", "--city", "qingdao", "--on", "2026-06-01")
    assert result.exit_code == 0, result.output
    assert "public_tender/gpl national from 2017-10-01" in result.output
    assert "min_tender_days=20" in result.output and "bond_cap_bp=200" in result.output
    assert "profiles in force on 2026-06-01 (qingdao): 6" in result.output
    history = _cli(app, "list", "--history", "--method", "call_off")
    assert history.exit_code == 0 and "rows: 1" in history.output


def test_profiles_add_copies_the_numbers_not_given(app):
    city = make_city("qingdao")
    result = _cli(app, "add", "public_tender", "gpl", "2027-01-01", "--city", "qingdao",
                  "--set", "min_tender_days=25", "--set", "bond_cap_bp=150", "--legal-basis", "Qingdao notice 2026-12")
    assert result.exit_code == 0, result.output
    assert "added" in result.output and "copied from" in result.output
    row = profile_for("public_tender", "gpl", city.id, D(2027, 1, 1))
    assert (row.city_id, row.min_tender_days, row.bond_cap_bp, row.min_valid_bidders) == (city.id, 25, 150, 3)
    assert row.legal_basis == "Qingdao notice 2026-12"


@pytest.mark.parametrize("args, expected", [
    (("add", "public_tender", "gpl", "2027-13-01"), "is not a date"),
    (("add", "public_tender", "gpl", "2027-01-01", "--city", "atlantis"), "no city 'atlantis'"),
    (("add", "public_tender", "gpl", "2027-01-01", "--set", "colour=3"), "write FIELD=NUMBER"),
    (("add", "public_tender", "gpl", "2027-01-01", "--set", "bond_cap_bp=20000"), "bond_cap_bp: Must be at most"),
    (("add", "public_tender", "gpl", "2027-01-01", "--set", "min_tender_days=twenty"),
     "min_tender_days: Must be a whole number"),
    (("add", "public_tender", "gpl", "2010-01-01"), "give every number with --set"),
    (("add", "sealed_auction", "gpl", "2027-01-01"), "Invalid value"),
])
def test_profiles_add_refuses_bad_input_clearly(app, args, expected):
    make_city("qingdao")
    before = _count()
    result = _cli(app, *args)
    assert result.exit_code != 0
    assert expected in result.output
    assert "Traceback" not in result.output
    assert _count() == before


def test_profiles_add_twice_on_one_date_is_refused(app):
    assert _cli(app, "add", "public_tender", "gpl", "2027-01-01").exit_code == 0
    result = _cli(app, "add", "public_tender", "gpl", "2027-01-01")
    assert result.exit_code == 1 and "already exist" in result.output


# ------------------------------------------------------------------ the public page

def test_the_rules_page_shows_the_rules_in_force_per_city_without_login(app, client):
    qingdao = make_city("qingdao")
    make_city("nanjing")
    base = profile_for("public_tender", "gpl", None)
    add_profile(None, {"method": "public_tender", "track": "gpl", "city_id": qingdao.id,
                       "effective_from": "2026-01-01", "min_tender_days": 27}, base=base)
    page = client.get("/procedure-rules?city=qingdao&on=2026-06-01").get_data(as_text=True)
    assert "27 days" in page and "Public tender" in page and "Government Procurement Law" in page
    assert "2.00 %" in page or "2 %" in page
    national = client.get("/procedure-rules?on=2026-06-01").get_data(as_text=True)
    assert "27 days" not in national and "20 days" in national
    before = client.get("/procedure-rules?city=qingdao&on=2025-06-01").get_data(as_text=True)
    assert "Taking effect later" in before  # the city's row is shown as coming
    assert client.get("/procedure-rules?city=nowhere&on=not-a-date").status_code == 200
