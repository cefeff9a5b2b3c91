"""`GET /openapi.json`: the dialect routes described as OpenAPI 3.1 (spec README, "Transport")."""

from __future__ import annotations

from aiohttp.test_utils import TestClient
from openapi_spec_validator import validate


async def test_the_document_needs_no_key_and_is_valid_openapi(client: TestClient) -> None:
    response = await client.get("/openapi.json")
    assert response.status == 200
    document = await response.json()
    validate(document)
    assert document["openapi"] == "3.1.0"


async def test_the_active_sessions_route_takes_the_method_params_as_its_body(
        client: TestClient) -> None:
    document = await (await client.get("/openapi.json")).json()
    operation = document["paths"]["/reports/active_sessions"]["post"]
    assert operation["operationId"] == "reports.active_sessions.query"
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert list(body["properties"]) == ["return_fields", "filters", "order", "limit", "group",
                                        "code_decks_id", "timezone"]
    assert body["required"] == ["return_fields"]
    assert operation["security"] == [{"apiKey": []}, {"bearer": []}]
