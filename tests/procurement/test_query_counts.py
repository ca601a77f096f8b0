"""Pages cost the same number of SQL statements however much data they show (issue 9, #25).

Each page is requested once with 3 and once with 30 bill lines / projects / records / catalog
products, and the statements sent to the database are counted (`before_cursor_execute`). Before
this change the design page ran 36 and 76 statements, the bill API 21 and 46 (two per candidate
product and several per category), the project list 10 and 32 (one budget per row), the project
page 32 and 59, the records page 13 and 40.
"""



from core.extensions import db
from core.models import City, User
from procurement.design.services import add_line, bill_lines
from procurement.projects.services import list_projects
from tests.query_counter import counted
from tests.factories import login_as
from tests.procurement.helpers import (GOOD_VALUES, World, line, make_product, make_standard, new_project,
                                       project_in_design)

PAGES = ("/projects/{p}/design", "/api/v1/projects/{p}/bom", "/projects", "/projects/{p}",
         "/projects/{p}/records", "/projects/{p}/budget")


def _grow(world, project_id, n):
    """At least `n` bill lines (cycling through every category, with a new product each), projects."""
    codes = list(GOOD_VALUES)
    while (have := len(bill_lines(project_id))) < n:
        code = codes[have % len(codes)]
        add_line(world.purchaser, project_id, line(code, specification=f"Spec {have}",
                                                   tightenings={"voc": 70} if code == "wall_coatings" else None))
        make_product(world.city, code, GOOD_VALUES[code], price_fen=10_000 + have)
    while list_projects(world.purchaser)[1] < n:
        new_project(world)


def test_page_query_counts_do_not_grow_with_data(client, app):
    make_standard()
    w = World()
    p = project_in_design(w)
    ids = {"project": p.id, "purchaser": w.purchaser.id, "city": w.city.id}
    counts: dict[str, list[int]] = {page: [] for page in PAGES}
    for n in (3, 30):
        _grow(w, ids["project"], n)
        db.session.remove()  # nothing cached from building the data
        login_as(client, db.session.get(User, ids["purchaser"]))
        for page in PAGES:
            url = page.format(p=ids["project"])
            client.get(url)  # warm up: the session's own lookups (sign-in, language) are not the page's
            db.session.remove()
            with counted() as statements:
                res = client.get(url)
            assert res.status_code == 200, (url, res.status_code)
            counts[page].append(len(statements))
        w.purchaser, w.city = db.session.get(User, ids["purchaser"]), db.session.get(City, ids["city"])
    grown = {page: c for page, c in counts.items() if c[0] != c[1]}
    assert not grown, "statements with 3 and with 30 rows: " + ", ".join(f"{p} {c[0]} -> {c[1]}" for p, c in grown.items())
