"""The project pages in Chinese over the demo data: no English sentence of the app's own (stage
names, gate results, units, statuses, record timelines and move buttons are all translated).
The whole-site check is tests/core/test_chinese_pages.py; this one also covers what the
purchaser and the finance office see, and the error messages of refused moves."""

from sqlalchemy import text

from core.extensions import db
from tests.core.test_chinese_pages import _user, demo, english_sentences  # noqa: F401  (demo: the fixture)
from tests.factories import login_as


def test_project_pages_in_chinese(demo, client):
    client.post("/language", data={"lang": "zh_Hans"})
    project_ids = db.session.execute(text("SELECT id FROM projects WHERE city_id = (SELECT city_id FROM projects "
                                          "ORDER BY id LIMIT 1) ORDER BY id")).scalars().all()
    problems = []
    for email in ("purchaser@demo.gbm.cn", "finance@demo.gbm.cn", "centre@demo.gbm.cn", "admin@demo.gbm.cn"):
        login_as(client, _user(email))
        urls = ["/projects"] + [f"/projects/{pid}{suffix}" for pid in project_ids
                                for suffix in ("", "/budget", "/design", "/records", "/records/print")]
        for url in urls:
            response = client.get(url, follow_redirects=True)
            assert response.status_code == 200, (email, url, response.status_code)
            problems += [f"{url} ({email}): {s}" for s in english_sentences(response.get_data(as_text=True))]
    assert not problems, "\n".join(sorted(set(problems)))


def test_refused_move_is_flashed_in_chinese(demo, client):
    client.post("/language", data={"lang": "zh_Hans"})
    pid, stage = db.session.execute(text("SELECT id, stage FROM projects WHERE stage = 'procurement' "
                                         "ORDER BY id LIMIT 1")).one()
    owner = db.session.execute(text("SELECT u.email FROM users u JOIN projects p ON p.purchaser_org_id = "
                                    "u.organisation_id WHERE p.id = :p LIMIT 1"), {"p": pid}).scalar()
    login_as(client, _user(owner))
    res = client.post(f"/projects/{pid}/transition", follow_redirects=True, data={
        "t-advance-construction-expected": stage, "t-advance-construction-to": "construction",
        "t-advance-construction-kind": "advance"})
    page = res.get_data(as_text=True)
    # the procurement -> construction gate (agreements) refuses: its reasons are shown in Chinese
    assert "未被已签合同或订单覆盖" in page
    assert db.session.execute(text("SELECT stage FROM projects WHERE id = :p"), {"p": pid}).scalar() == "procurement"
    assert not english_sentences(page)
