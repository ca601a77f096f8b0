"""Messages with parameters: terms and nested messages are translated when shown and survive
being stored as JSON."""
import json

from flask_babel import force_locale

from core.i18n import Message, Term, english, message_payload, render_payload, render_payload_english


def test_a_nested_message_and_a_term_are_translated_when_shown(app):
    payload = message_payload("The move to %(stage)s was refused: %(reason)s",
                              {"stage": Term("design"),
                               "reason": Message("This action is not possible while the status is “%(status)s”.",
                                                 status=Term("listed"))})
    stored = json.loads(json.dumps(payload))  # what a JSON column gives back
    with app.test_request_context():
        assert render_payload_english(stored) == ("The move to design was refused: "
                                                  "This action is not possible while the status is “listed”.")
        with force_locale("zh_Hans"):
            shown = render_payload(stored)
    assert "当前状态为" in shown and "上架" in shown and "listed" not in shown


def test_english_rendering_needs_no_app():
    assert english("%(a)s and %(b)s", {"a": Message("x %(n)s", n=1), "b": "y"}) == "x 1 and y"
    assert str(Message("At most %(n)s.", n=3)) == "At most 3."
