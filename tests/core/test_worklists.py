"""Home pages list what waits for the signed-in person, with counts."""
import re

from core import roles as R
from tests.factories import login_as, make_org, make_role_user


def _count(html, label):
    match = re.search(re.escape(label) + r'</a>\s*<span class="badge[^"]*">(\d+)</span>', html)
    return int(match.group(1)) if match else 0


def test_reviewers_see_how_many_suppliers_wait(client):
    for _ in range(3):
        make_org(kind=R.ORG_SUPPLIER, status="pending")
    make_org(kind=R.ORG_SUPPLIER, status="verified")
    login_as(client, make_role_user(R.PLATFORM_REVIEWER))
    html = client.get("/home").get_data(as_text=True)
    assert _count(html, "Supplier firms waiting for verification") == 3


def test_people_with_nothing_to_do_are_told_so(client):
    make_org(kind=R.ORG_SUPPLIER, status="pending")
    login_as(client, make_role_user(R.SUPPLIER))
    html = client.get("/home").get_data(as_text=True)
    assert "Supplier firms waiting" not in html and "Nothing is waiting for you." in html
