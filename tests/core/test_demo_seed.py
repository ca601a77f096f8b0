from core import roles as R
from core.audit import verify_chain
from core.demo import DEMO_LOGINS, DEMO_PASSWORD, seed_core
from core.extensions import db
from core.models import City, Organisation, User


def _counts():
    return tuple(db.session.execute(db.select(db.func.count(m.id))).scalar() for m in (City, Organisation, User))


def test_core_seed_is_idempotent_and_complete():
    seed_core()
    db.session.commit()
    first = _counts()
    seed_core()
    db.session.commit()
    assert _counts() == first
    cities = {c.code: c for c in db.session.execute(db.select(City)).scalars()}
    assert set(cities) == {"nanjing", "hangzhou", "shaoxing", "huzhou", "qingdao", "foshan"}
    assert cities["qingdao"].climate_zone == "cold_a" and cities["foshan"].climate_zone == "hsww_b"
    for city in cities.values():
        kinds = set(db.session.execute(db.select(Organisation.kind).filter_by(city_id=city.id)).scalars())
        assert {R.ORG_FINANCE, R.ORG_CENTRE, R.ORG_INSPECTION} <= kinds
    for email, _name, _org, role in DEMO_LOGINS:
        user = db.session.execute(db.select(User).filter_by(email=email)).scalar_one()
        assert user.has_role(role)
    assert verify_chain()[0]


def test_every_demo_login_signs_in(client):
    seed_core()
    db.session.commit()
    for email, *_ in DEMO_LOGINS:
        resp = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
        assert resp.status_code == 302, email
        client.post("/logout")
