"""The one registry of code words' names (`core.labels`)."""
import pytest
from flask import Flask, render_template_string
from flask_babel import force_locale

from core import labels


@pytest.fixture
def bare_app():
    app = Flask(__name__)
    labels.install(app)
    return app


def test_groups_are_filled_by_several_registrations_and_read_by_code_and_filter(bare_app):
    names = {"open": "Open for bids"}
    labels.register(bare_app, {"state": names})
    labels.register(bare_app, {"state": {"closed": "Closed"}, "other": {}})
    labels.register(bare_app, {"state": names})  # the same names again: no conflict
    with bare_app.app_context():
        assert labels.label("open", "state") == "Open for bids" and labels.label("closed", "state") == "Closed"
        assert labels.label("unknown", "state") == "unknown" and labels.label(None, "state") == ""
        assert render_template_string("{{ 'open'|label('state') }}") == "Open for bids"
        with pytest.raises(KeyError):
            labels.label("open", "no_such_group")
    with pytest.raises(labels.DuplicateLabel):
        labels.register(bare_app, {"state": {"open": "Published"}})


def test_the_platform_names_every_package_s_groups_in_the_readers_language(app):
    with force_locale("zh_Hans"):
        assert labels.label("green", "kind") == "绿色属性"
    with force_locale("en"):
        assert labels.label("budget", "stage") == "Budget"
        assert labels.label("public_tender", "method") == "Public tender"
        assert labels.label("published", "tender_status") == "Open for bids"
        assert labels.label("budget_approved", "check") == "Budget approved by the finance office"
        assert labels.label("lots", "check") == "Lots"  # tender checks join the gate checks
        assert labels.label("open", "pooling_round") == "Collecting lines"
        assert labels.label("replaced", "bid") == "Replaced"
        assert labels.label("certificate", "evidence") == "certificate"
