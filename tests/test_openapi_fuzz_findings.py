"""Regressions for what Schemathesis found (tests/test_schemathesis.py): each a request
the OpenAPI document allowed that the server then failed on or could not describe."""

from __future__ import annotations

import pytest

from tests.conftest import Stack
from tests.support.http import problem


@pytest.mark.parametrize(
    "path", ["/v1/bpms/messages", "/v1/bpms/messages/correlate", "/v1/bpms/messages/publish"]
)
async def test_an_empty_process_instance_id_is_a_422_not_a_503(stack: Stack, path: str) -> None:
    r = await stack.http.post(path, json={"messageName": "m", "processInstanceId": ""})
    body = problem(r, 422)
    assert body["errors"][0]["field"] == "processInstanceId"


async def test_the_read_only_configuration_describes_and_names_its_key(stack: Stack) -> None:
    document = (await stack.http.get("/openapi.json")).json()
    for method in ("post", "put", "patch", "delete"):
        operation = document["paths"]["/v1/configuration/{key}"][method]
        assert [p["name"] for p in operation["parameters"] if p["in"] == "path"] == ["key"]
    r = await stack.http.put("/v1/configuration/payments", json={})
    body = problem(r, 405)
    assert "PUT of 'payments'" in body["detail"] and r.headers["allow"] == "GET"
