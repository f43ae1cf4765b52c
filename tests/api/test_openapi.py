"""The OpenAPI document Litestar generates: served, well-formed, complete, with metal-python's operation ids."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from metalnet.api.ipam_service import RPCS

Client = TestClient  # type: ignore[type-arg]

#: (method, path, operationId) of every metal-api call, as metal-python 0.45 names them
METAL_API = [
    ("put", "/v1/network", "createNetwork"), ("post", "/v1/network", "updateNetwork"),
    ("get", "/v1/network/{id}", "findNetwork"), ("get", "/v1/network", "listNetworks"),
    ("post", "/v1/network/find", "findNetworks"), ("delete", "/v1/network/{id}", "deleteNetwork"),
    ("post", "/v1/network/allocate", "allocateNetwork"), ("delete", "/v1/network/free/{id}", "freeNetwork"),
    ("post", "/v1/network/free/{id}", "freeNetworkDeprecated"),
    ("post", "/v1/ip/allocate", "allocateIP"), ("post", "/v1/ip/allocate/{ip}", "allocateSpecificIP"),
    ("get", "/v1/ip/{id}", "findIP"), ("get", "/v1/ip", "listIPs"), ("post", "/v1/ip/find", "findIPs"),
    ("post", "/v1/ip", "updateIP"), ("delete", "/v1/ip/free/{id}", "freeIP"),
    ("put", "/v1/partition", "createPartition"), ("post", "/v1/partition", "updatePartition"),
    ("get", "/v1/partition/{id}", "findPartition"), ("get", "/v1/partition", "listPartitions"),
    ("delete", "/v1/partition/{id}", "deletePartition"),
    ("put", "/v1/project", "createProject"), ("post", "/v1/project", "updateProject"),
    ("get", "/v1/project/{id}", "findProject"), ("get", "/v1/project", "listProjects"),
    ("post", "/v1/project/find", "findProjects"), ("delete", "/v1/project/{id}", "deleteProject"),
    ("get", "/v1/health", "health"), ("get", "/v1/version", "info"),
]


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        assert part in node, f"dangling $ref {ref}"
        node = node[part]
    return node


def test_schema_is_served_and_consistent(client: Client) -> None:
    response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "metalnet"
    assert document["info"]["version"]
    assert set(document["components"]["securitySchemes"]) == {"HMAC", "jwt"}
    for ref in _refs(document):
        _resolve(document, ref)
    operation_ids = []
    for path, item in document["paths"].items():
        assert path.startswith("/"), path
        for method, operation in item.items():
            if method in ("parameters", "summary", "description"):
                continue
            assert operation["responses"], (method, path)
            operation_ids.append(operation["operationId"])
    assert len(operation_ids) == len(set(operation_ids)), "operation ids must be unique"
    assert client.get("/schema/openapi.yaml").status_code == 200


def test_schema_lists_every_metal_api_call_and_rpc(client: Client) -> None:
    paths = client.get("/schema/openapi.json").json()["paths"]
    for method, path, operation_id in METAL_API:
        assert method in paths.get(path, {}), (method, path)
        assert paths[path][method]["operationId"] == operation_id
    for name, *_ in RPCS:
        assert "post" in paths[f"/api.v1.IpamService/{name}"]
    assert "post" in paths["/api.v1.IpamService/Version"]


def test_schema_documents_wire_models(client: Client) -> None:
    document = client.get("/schema/openapi.json").json()
    schemas = document["components"]["schemas"]
    network = next(v for k, v in schemas.items() if k.endswith("V1NetworkResponse"))
    assert "additionalAnnouncableCIDRs" in network["properties"]
    assert {"consumption", "prefixes", "vrfshared"} <= set(network["properties"])
    acquire = document["paths"]["/api.v1.IpamService/AcquireChildPrefix"]["post"]
    properties = acquire["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert set(properties) == {"cidr", "length", "childCidr", "namespace"}
    allocate = document["paths"]["/v1/ip/allocate"]["post"]
    assert allocate["requestBody"]["content"]["application/json"]["schema"]
    assert "201" in allocate["responses"]
