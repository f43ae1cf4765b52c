"""The OpenAPI document declares the error bodies the server sends, on every route, and nothing of Litestar's."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

Client = TestClient  # type: ignore[type-arg]


def _schema_of(document: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    ref = response["content"]["application/json"]["schema"]["$ref"]
    found: dict[str, Any] = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return found


def test_every_error_status_has_the_body_its_protocol_sends(client: Client) -> None:
    document = client.get("/schema/openapi.json").json()
    assert not any("detail" in schema.get("properties", {}) for schema in document["components"]["schemas"].values())
    for path, item in document["paths"].items():
        for method, operation in item.items():
            statuses = {int(status) for status in operation["responses"]}
            errors = {status for status in statuses if status >= 400}
            if path == "/v1/health":
                assert statuses == {200, 503}
                continue
            if path in ("/v1/version", "/v1/health/liveliness"):
                assert errors == set(), (method, path)
                continue
            assert {401, 403} <= errors, (method, path, statuses)  # every other route has a role
            expected = {"code", "message"} if path.startswith("/api.v1.IpamService/") else {"statuscode", "message"}
            for status in errors:
                body = _schema_of(document, operation["responses"][str(status)])
                assert set(body["properties"]) == set(body["required"]) == expected, (method, path, status)
            if method in ("put", "post") and not path.endswith("/Version"):  # Version reads no body
                assert {400, 413} <= errors, (method, path)
            if "{" in path:
                assert 404 in errors, (method, path)
            writes = method in ("put", "delete") or (method == "post" and not path.endswith("/find"))
            if path.startswith("/v1/") and writes:
                assert {404, 409, 422, 503} <= errors, (method, path)
