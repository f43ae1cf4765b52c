"""HMAC (as metal-python's Driver signs) and bearer tokens; roles view/edit/admin; 401 and 403 bodies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import TestClient

from metalnet.api.auth import Authenticator
from metalnet.api.errors import UnauthorizedError
from metalnet.api.settings import ApiToken, Role, Settings
from tests.api.conftest import (
    KEYS,
    PARTITION,
    PROJECT,
    assert_connect_error,
    assert_error,
    bearer,
    hmac_headers,
    setup_mini_lab,
)

Client = TestClient  # type: ignore[type-arg]
ADMIN = {"user": "Metal-Admin", "key": KEYS["admin"]}
EDIT = {"user": "Metal-Edit", "key": KEYS["edit"]}
VIEW = {"user": "Metal-View", "key": KEYS["view"]}


def test_missing_and_wrong_credentials_are_401(secured: Client) -> None:
    assert_error(secured.get("/v1/network"), 401, "Authorization")
    assert_error(secured.get("/v1/network", headers=hmac_headers("GET", "Metal-View", "wrong")), 401, "HMAC")
    signed_for_post = hmac_headers("POST", **VIEW)
    assert_error(secured.get("/v1/network", headers=signed_for_post), 401, "HMAC")  # the method is signed
    old = hmac_headers("GET", at=datetime.now(UTC) - timedelta(seconds=31), **VIEW)
    assert_error(secured.get("/v1/network", headers=old), 401, "30 s")
    admin_old = hmac_headers("GET", at=datetime.now(UTC) - timedelta(seconds=60), **ADMIN)
    assert secured.get("/v1/network", headers=admin_old).status_code == 200  # admin dates live 90 s
    no_salt = hmac_headers("GET", **VIEW)
    del no_salt["X-Data-Salt"]
    assert_error(secured.get("/v1/network", headers=no_salt), 401, "X-Data-Salt")
    assert_error(secured.get("/v1/network", headers=bearer("nope")), 401, "token")
    assert_error(secured.get("/v1/network", headers={"Authorization": "Basic eDp5"}), 401, "scheme")
    bare = assert_error(secured.get("/v1/network", headers={"Authorization": "tok-admin"}), 401, "scheme")
    assert "tok-admin" not in bare
    response = secured.get("/v1/network")
    assert "WWW-Authenticate" in response.headers


def test_roles(secured: Client) -> None:
    setup_mini_lab(secured, hmac_headers("PUT", **ADMIN))
    allocate = {"partitionid": PARTITION, "projectid": PROJECT}
    assert secured.get("/v1/network", headers=hmac_headers("GET", **VIEW)).status_code == 200
    assert secured.post("/v1/network/find", json={}, headers=hmac_headers("POST", **VIEW)).status_code == 200
    assert_error(secured.post("/v1/network/allocate", json=allocate, headers=hmac_headers("POST", **VIEW)),
                 403, "view")
    child = secured.post("/v1/network/allocate", json=allocate, headers=hmac_headers("POST", **EDIT))
    assert child.status_code == 201
    assert_error(secured.put("/v1/network", json={"prefixes": ["10.9.0.0/24"]}, headers=hmac_headers("PUT", **EDIT)),
                 403, "admin")
    assert_error(secured.delete(f"/v1/network/{child.json()['id']}", headers=hmac_headers("DELETE", **EDIT)), 403)
    freed = secured.delete(f"/v1/network/free/{child.json()['id']}", headers=hmac_headers("DELETE", **EDIT))
    assert freed.status_code == 200
    assert_error(secured.put("/v1/partition", json={"id": "x"}, headers=bearer("tok-edit")), 403)
    assert secured.put("/v1/partition", json={"id": "x"}, headers=bearer("tok-admin")).status_code == 201
    assert secured.get("/v1/partition/x", headers=bearer("tok-view")).status_code == 200


def test_ipam_service_needs_admin_for_writes(secured: Client) -> None:
    create = {"cidr": "10.0.0.0/24"}
    assert_connect_error(secured.post("/api.v1.IpamService/CreatePrefix", json=create, headers=bearer("tok-edit")),
                         403, "permission_denied")
    assert_connect_error(secured.post("/api.v1.IpamService/CreatePrefix", json=create), 401, "unauthenticated")
    ok = secured.post("/api.v1.IpamService/CreatePrefix", json=create, headers=hmac_headers("POST", **ADMIN))
    assert ok.status_code == 200
    listed = secured.post("/api.v1.IpamService/ListPrefixes", json={}, headers=bearer("tok-view"))
    assert listed.json() == {"prefixes": [{"cidr": "10.0.0.0/24"}]}


def test_project_bound_token(secured: Client) -> None:
    admin = hmac_headers("PUT", **ADMIN)
    setup_mini_lab(secured, admin)
    secured.put("/v1/project", json={"meta": {"id": "p-bound"}}, headers=admin)
    bound = bearer("tok-bound")
    assert_error(secured.post("/v1/network/allocate", json={"partitionid": PARTITION, "projectid": PROJECT},
                              headers=bound), 403, "p-bound")
    own = secured.post("/v1/network/allocate", json={"partitionid": PARTITION, "projectid": "p-bound"},
                       headers=bound)
    assert own.status_code == 201, own.text
    other = secured.post("/v1/network/allocate", json={"partitionid": PARTITION, "projectid": PROJECT},
                         headers=hmac_headers("POST", **ADMIN))
    assert {n["id"] for n in secured.get("/v1/network", headers=bound).json()} == {own.json()["id"]}
    assert_error(secured.get(f"/v1/network/{other.json()['id']}", headers=bound), 403)
    assert_error(secured.delete(f"/v1/network/free/{other.json()['id']}", headers=bound), 403)
    ip = secured.post("/v1/ip/allocate", json={"networkid": own.json()["id"], "projectid": "p-bound"}, headers=bound)
    assert ip.status_code == 201
    assert_error(secured.put("/v1/partition", json={"id": "y"}, headers=bound), 403)
    assert_connect_error(secured.post("/api.v1.IpamService/ListPrefixes", json={}, headers=bound), 403,
                         "permission_denied", "p-bound")


def test_open_endpoints(secured: Client) -> None:
    assert secured.get("/v1/health").status_code == 200
    assert secured.get("/v1/version").status_code == 200
    assert secured.get("/metrics").status_code == 200
    assert secured.get("/schema/openapi.json").status_code == 200


def test_authenticator_unit() -> None:
    auth = Authenticator(Settings.build({"edit": "k"}, [ApiToken("t", Role.VIEW, "p")]))
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    headers = hmac_headers("POST", "Metal-Edit", "k", at=now)
    principal = auth.authenticate("POST", headers["Authorization"], headers["X-Date"], headers["X-Data-Salt"], now)
    assert principal.role is Role.EDIT
    assert principal.project is None
    with pytest.raises(UnauthorizedError, match="Metal-Admin"):
        auth.authenticate("POST", "Metal-Admin abc", headers["X-Date"], "s", now)
    with pytest.raises(UnauthorizedError, match="timestamp"):
        auth.authenticate("POST", headers["Authorization"], "yesterday", "s", now)
    assert auth.authenticate("GET", "Bearer t", None, None).project == "p"


def test_token_specs_and_secrets_stay_out_of_repr() -> None:
    token = ApiToken.parse("edit@proj:se:cret")
    assert (token.role, token.project, token.token) == (Role.EDIT, "proj", "se:cret")
    assert "se:cret" not in repr(token)
    assert "k3y" not in repr(Settings.build({"admin": "k3y"}, ["admin:t0ken"]))
    with pytest.raises(ValueError, match="ROLE"):
        ApiToken.parse("no-colon-here")
    with pytest.raises(ValueError, match="unknown role"):
        ApiToken.parse("root:abc")
