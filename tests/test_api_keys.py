"""API keys (LetsFlow's /apikey): issued once, kept hashed, limited to their privileges,
refused once revoked or expired, and never a way to gain privileges."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from store.api_keys import digest
from store.models import ApiKeyRecord, AuditRecord
from tests.conftest import Stack
from tests.support.http import problem

JOHN = {"Authorization": "Bearer demo-john"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def issue(stack: Stack, headers: dict[str, str] | None = None, **body: Any) -> Any:
    answer = await stack.http.post("/apikey", json={"name": "crm", **body}, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def test_a_key_acts_with_its_privileges_only_until_revoked(stack: Stack) -> None:
    key = await issue(stack, privileges=["bpms:task:read"], description="task list widget")
    token = key["token"]
    assert token.startswith("lfl_") and len(token) == 40
    assert key["issuedBy"] == "demo" and key["revoked"] is None
    days = datetime.fromisoformat(key["expiration"]) - datetime.now(UTC)
    assert timedelta(days=29) < days <= timedelta(days=30)  # LetsFlow's default: 30 days

    # the token is not kept: only its sha256, and the list never shows it
    async with stack.store.session() as session:
        row = await session.get(ApiKeyRecord, key["id"])
    assert row is not None and row.token_sha256 == digest(token)
    assert token not in str([getattr(row, c.key) for c in ApiKeyRecord.__table__.columns])
    listed = (await stack.http.get("/apikey")).json()
    assert [k["id"] for k in listed] == [key["id"]] and "token" not in listed[0]

    tasks = await stack.http.get("/v1/bpms/tasks", headers=bearer(token))
    assert tasks.status_code == 200, tasks.text
    refused = problem(
        await stack.http.post(
            "/v1/bpms/process-instances",
            json={"processDefinitionKey": "anything"},
            headers=bearer(token),
        ),
        403,
    )
    assert refused["privilege"] == "bpms:process:start"
    async with stack.store.session() as session:
        records = (await session.scalars(select(AuditRecord))).all()
    assert [(r.subject, r.status) for r in records if r.route == "/v1/bpms/process-instances"] == [
        (f"apikey:{key['id']}", 403)
    ]
    used = (await stack.http.get("/apikey")).json()[0]
    assert used["lastUsed"] is not None

    assert (await stack.http.delete(f"/apikey/{key['id']}")).status_code == 204
    gone = problem(await stack.http.get("/v1/bpms/tasks", headers=bearer(token)), 401)
    assert "revoked" in gone["detail"]
    assert (await stack.http.get("/apikey")).json()[0]["revoked"] is not None
    problem(await stack.http.delete("/apikey/no-such-key"), 404)


async def test_expired_tampered_and_unknown_keys_are_refused(stack: Stack) -> None:
    soon = datetime.now(UTC) + timedelta(seconds=1)
    key = await issue(stack, privileges=["bpms:task:read"], expiration=soon.isoformat())
    token = key["token"]
    assert (await stack.http.get("/v1/bpms/tasks", headers=bearer(token))).status_code == 200
    tampered = token[:-7] + ("A" if token[-7] != "A" else "B") + token[-6:]
    problem(await stack.http.get("/v1/bpms/tasks", headers=bearer(tampered)), 401)
    problem(await stack.http.get("/v1/bpms/tasks", headers=bearer("lfl_" + "0" * 36)), 401)
    await asyncio.sleep(1.2)
    expired = problem(await stack.http.get("/v1/bpms/tasks", headers=bearer(token)), 401)
    assert "expired" in expired["detail"]


async def test_issuing_needs_the_privilege_and_cannot_escalate(stack: Stack) -> None:
    problem(await stack.http.post("/apikey", json={"name": "x"}, headers=JOHN), 403)
    problem(await stack.http.get("/apikey", headers=JOHN), 403)
    issuer = await issue(stack, privileges=["apikey:issue", "bpms:task:read"])
    as_issuer = bearer(issuer["token"])
    beyond = problem(
        await stack.http.post(
            "/apikey", json={"name": "y", "privileges": ["deploy"]}, headers=as_issuer
        ),
        403,
    )
    assert "deploy" in beyond["detail"]
    wider = problem(
        await stack.http.post(
            "/apikey", json={"name": "y", "privileges": ["bpms:*"]}, headers=as_issuer
        ),
        403,
    )
    assert "bpms:*" in wider["detail"]
    narrower = await issue(stack, as_issuer, privileges=["bpms:task:read"])
    assert narrower["issuedBy"] == f"apikey:{issuer['id']}"
    problem(await stack.http.delete(f"/apikey/{narrower['id']}", headers=as_issuer), 403)


async def test_bad_requests_name_the_field_and_store_nothing(stack: Stack) -> None:
    cases = [
        ({"privileges": ["bpms:task:read"]}, "name"),
        ({"name": "x", "privileges": ["no:such:privilege"]}, "privileges"),
        ({"name": "x", "expiration": "2001-01-01T00:00:00Z"}, "expiration"),
        ({"name": "x", "expirationDays": 0}, "expirationDays"),
        ({"name": "x", "expirationDays": 3, "expiration": "2099-01-01T00:00:00Z"}, ""),
        ({"name": "x", "processes": [{"actors": ["client"]}]}, "processes.0.scenario"),
    ]
    for body, field in cases:
        answer = problem(await stack.http.post("/apikey", json=body), 422)
        assert field in answer["detail"], (body, answer)
    assert (await stack.http.get("/apikey")).json() == []
    scoped = await issue(
        stack,
        privileges=["process:step"],
        processes=[{"scenario": "quote", "actors": ["client"], "actions": ["accept"]}],
    )
    assert scoped["processes"] == [
        {"scenario": "quote", "actors": ["client"], "actions": ["accept"]}
    ]
