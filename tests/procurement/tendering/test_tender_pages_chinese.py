"""The tender pages in Chinese over the demo data: no English sentence of the app's own (statuses,
methods, checks, timelines, lots, rules, buttons, worklists), for the public, the centre and the
finance office."""

from sqlalchemy import text

from core.extensions import db
from tests.core.test_chinese_pages import _user, demo, english_sentences  # noqa: F401  (demo: the fixture)
from tests.factories import login_as


def test_tender_pages_in_chinese(demo, client):
    client.post("/language", data={"lang": "zh_Hans"})
    rows = db.session.execute(text("SELECT t.id, t.status FROM tenders t JOIN cities c ON c.id = t.city_id "
                                   "WHERE c.code IN ('nanjing', 'qingdao') ORDER BY t.id")).all()
    assert {status for _id, status in rows} >= {"draft", "finance_review", "published", "closed", "cancelled"}
    public = [tid for tid, status in rows if status in ("published", "closed", "cancelled")]
    nanjing = db.session.execute(text("SELECT t.id FROM tenders t JOIN cities c ON c.id = t.city_id "
                                      "WHERE c.code = 'nanjing' ORDER BY t.id")).scalars().all()
    pages = [(None, "/tenders"), (None, "/procedure-rules"), (None, "/procedure-rules?city=qingdao")]
    pages += [(None, f"/tenders/{tid}") for tid in public] + [(None, f"/tenders/{tid}/documents/print") for tid in public]
    for email in ("centre@demo.gbm.cn", "finance@demo.gbm.cn"):
        pages += [(email, "/tenders/manage"), (email, "/home")]
        pages += [(email, f"/tenders/{tid}/manage") for tid in nanjing]
    pages += [("centre@demo.gbm.cn", "/tenders/new")]
    pages += [("centre@demo.gbm.cn", f"/tenders/{tid}/edit") for tid in nanjing]
    problems = []
    for email, url in pages:
        if email:
            login_as(client, _user(email))
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, (email, url, response.status_code)
        problems += [f"{url} ({email or 'public'}): {s}" for s in english_sentences(response.get_data(as_text=True))]
    assert not problems, "\n".join(sorted(set(problems)))
