"""Every role x every route: allowed, or 403 / sign-in redirect / 401.

The routes come from the app's URL map and each view's declared roles (`roles_required`
or `api_auth`), so a new route is covered the moment it exists. Path parameters get ids
that do not exist: an allowed role then sees 404 or a redirect, never 403. No request may
end in a 500 (a 503 saying a dependency is not ready is allowed).
"""
import pytest

from core import roles as R
from tests.factories import login_as, make_role_user

SKIP_ENDPOINTS = {"static", "bootstrap.static"}
ROLES = list(R.ALL_ROLES)


def _collect_routes():
    from config import TestConfig
    from platform_app import create_app

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = "sqlite://"
        EMBEDDED_SERVICES = False

    app = create_app(Config, process="test")
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS:
            continue
        view = app.view_functions[rule.endpoint]
        required = getattr(view, "required_roles", None)
        public = getattr(view, "public", required is None)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((rule.rule, rule.endpoint, method, tuple(required or ()), bool(public),
                           {arg: rule._converters[arg].__class__.__name__ for arg in rule.arguments}))
    return routes


ROUTES = _collect_routes()


def _url(rule, converters):
    url = rule
    for arg, conv in converters.items():
        value = "999999" if "Integer" in conv or conv == "NumberConverter" else "no-such-thing"
        for pattern in (f"<int:{arg}>", f"<string:{arg}>", f"<path:{arg}>", f"<{arg}>", f"<uuid:{arg}>"):
            url = url.replace(pattern, value)
    return url


def _request(client, method, url):
    headers = {"Accept": "text/html"}
    if method == "GET":
        return client.get(url, headers=headers)
    return client.open(url, method=method, data={}, headers=headers)


def _no_crash(resp):
    # 503 is the honest answer when a dependency (the search index) is not ready: not a crash.
    return resp.status_code < 500 or resp.status_code == 503


def _is_denied(resp, api):
    if api:
        return resp.status_code in (401, 403)
    if resp.status_code == 403:
        return True
    return resp.status_code in (301, 302, 303) and "/login" in resp.headers.get("Location", "")


@pytest.mark.parametrize("rule,endpoint,method,required,public,converters", ROUTES,
                         ids=[f"{m} {r}" for r, _e, m, *_ in ROUTES])
def test_route_permissions(app, rule, endpoint, method, required, public, converters):
    url = _url(rule, converters)
    api = rule.startswith("/api/")
    anon = _request(app.test_client(), method, url)
    assert _no_crash(anon), f"anonymous {method} {url} -> {anon.status_code}"
    if public:
        assert not (api and anon.status_code == 401), f"public route {url} asked anonymous to authenticate"
    else:
        assert _is_denied(anon, api), f"anonymous reached {method} {url} ({anon.status_code})"
    for role in ROLES:
        client = app.test_client()
        user = make_role_user(role)
        login_as(client, user)
        resp = _request(client, method, url)
        assert _no_crash(resp), f"{role} {method} {url} -> {resp.status_code}"
        allowed = public or not required or role in required
        if allowed:
            assert not (resp.status_code == 403 or (api and resp.status_code == 401)), f"{role} wrongly refused {method} {url}"
        else:
            assert _is_denied(resp, api), f"{role} reached {method} {url} ({resp.status_code}) but only {required} may"


def test_matrix_covers_the_core_routes():
    endpoints = {e for _r, e, *_ in ROUTES}
    assert {"core.home", "core.supplier_queue", "core.account", "api_core.me", "core.healthz"} <= endpoints
