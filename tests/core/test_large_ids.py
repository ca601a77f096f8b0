"""Path ids beyond any row are a plain 404 (JSON on the API), whatever the method."""
import pytest

from core import roles as R
from tests.factories import api_token, login_as, make_role_user

HUGE = str(2**63)


@pytest.mark.parametrize("method,path", [("GET", f"/products/{HUGE}"), ("POST", f"/review/products/{HUGE}/verify"),
                                         ("GET", f"/projects/{HUGE}"), ("POST", f"/organisations/{HUGE}/licence"),
                                         ("GET", f"/products/{2**31}")])
def test_huge_ids_on_pages_are_not_found(client, method, path):
    login_as(client, make_role_user(R.PLATFORM_ADMIN))
    assert client.open(path, method=method).status_code in (404, 405 if path.endswith("licence") else 404)


@pytest.mark.parametrize("method", ["GET", "PATCH", "PUT", "POST"])
def test_huge_ids_in_the_api_are_json_404(client, method):
    token = api_token(make_role_user(R.SUPPLIER))
    response = client.open(f"/api/v1/products/{HUGE}", method=method, json={},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code in (404, 405) and response.get_json()["error"]["code"] in ("not_found", "method_not_allowed")
    if method in ("GET", "PATCH", "PUT"):
        assert response.status_code == 404
