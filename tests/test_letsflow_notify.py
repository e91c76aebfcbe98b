"""LetsFlow notifications are activities that call the service's webhook over real HTTP:
the meeting scenario notifies its ``default`` service on entering the initial state,
the service answers with the actors, and that answer steps the process as
``service:default`` -- no client involved. A service that answers 202 steps later
through the API.

The body is what LetsFlow's engine posts (workflow-engine
src/notify/webhook/webhook.service.ts and its spec): the notify entry's ``message`` when
it has one, a string as ``text/plain``; else core's standard message (src/process/notify.ts,
``createMessage``): ``{process, actions, instructions?, etag}``. Baton's own envelope
``{process, message, trigger}`` is the setting ``letsflow_webhook_body="envelope"``."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from baton.worker import build_worker
from store import Store
from tests.conftest import make_settings
from tests.letsflow.corpus import LETSFLOW, needs_corpus
from tests.support.http import eventually

pytestmark = [needs_corpus, pytest.mark.parametrize("database_backend", ["sqlite"])]


class Service:
    """A webhook on loopback that records what it is sent and answers as configured."""

    def __init__(self, status: int, reply: Any) -> None:
        self.received: list[Any] = []
        self.types: list[str] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                raw = self.rfile.read(length)
                kind = self.headers.get("content-type", "")
                service.types.append(kind)
                service.received.append(json.loads(raw) if "json" in kind else raw.decode())
                body = json.dumps(reply).encode() if status != 202 else b""
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def answering() -> Iterator[Service]:
    service = Service(200, {"person_1": None, "person_2": None})
    yield service
    service.close()


@pytest.fixture
def deferring() -> Iterator[Service]:
    service = Service(202, None)
    yield service
    service.close()


async def _run_meeting(
    temporal_env: WorkflowEnvironment,
    store: Store,
    service: Service,
    body: Literal["message", "envelope"] = "message",
    name: str = "default",
) -> tuple[httpx.AsyncClient, str, Any]:
    queue = f"lf-notify-{uuid.uuid4().hex[:6]}"
    settings = make_settings(temporal_env, str(store.engine.url), queue)
    worker = build_worker(
        temporal_env.client,
        store,
        queue,
        external_tasks=False,
        letsflow_services={name: service.url},
        letsflow_webhook_body=body,
    )
    app = create_app(settings, client=temporal_env.client, store=store)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://baton.test")
    return http, queue, worker


async def test_a_service_reply_steps_the_process(
    temporal_env: WorkflowEnvironment, store: Store, answering: Service
) -> None:
    http, _, worker = await _run_meeting(temporal_env, store, answering)
    async with worker, http:
        stored = await http.post(
            "/scenarios",
            content=(LETSFLOW / "meeting.yaml").read_bytes(),
            headers={"content-type": "application/yaml"},
        )
        started = (
            await http.post("/processes", json={"scenario": stored.headers["location"][11:]})
        ).json()

        async def introduced() -> dict[str, Any] | None:
            process: dict[str, Any] = (await http.get(f"/processes/{started['id']}")).json()
            return process if process["current"]["key"] == "introductions" else None

        process = await eventually(introduced, what="the service's reply to step the process")
    sent = answering.received[0]
    assert answering.types[0] == "application/json"
    # core's standard message: the actions open to the service, and the etag (last hash)
    assert sent["process"] == started["id"]
    assert [a["key"] for a in sent["actions"]] == ["start"]
    assert sent["actions"][0]["actor"] == ["service:default"]
    assert sent["etag"] == started["events"][0]["hash"]
    assert set(sent) == {"process", "actions", "etag"}  # no instructions in this state
    step = process["events"][-1]
    assert step["action"] == "start" and step["actor"]["key"] == "service:default"
    assert {"person_1", "person_2"} <= set(process["actors"])


async def test_a_service_that_answers_202_acts_later(
    temporal_env: WorkflowEnvironment, store: Store, deferring: Service
) -> None:
    http, _, worker = await _run_meeting(temporal_env, store, deferring)
    async with worker, http:
        stored = await http.post(
            "/scenarios",
            content=(LETSFLOW / "meeting.yaml").read_bytes(),
            headers={"content-type": "application/yaml"},
        )
        started = (
            await http.post("/processes", json={"scenario": stored.headers["location"][11:]})
        ).json()
        await eventually(
            lambda: _true_if(bool(deferring.received)), what="the notification to be sent"
        )
        process = (await http.get(f"/processes/{started['id']}")).json()
        assert process["current"]["key"] == "initial"  # nothing stepped it
        assert len(process["events"]) == 1
    assert [a["key"] for a in deferring.received[0]["actions"]] == ["start"]


async def test_the_envelope_setting_posts_baton_s_own_body(
    temporal_env: WorkflowEnvironment, store: Store, deferring: Service
) -> None:
    http, _, worker = await _run_meeting(temporal_env, store, deferring, body="envelope")
    async with worker, http:
        stored = await http.post(
            "/scenarios",
            content=(LETSFLOW / "meeting.yaml").read_bytes(),
            headers={"content-type": "application/yaml"},
        )
        started = (
            await http.post("/processes", json={"scenario": stored.headers["location"][11:]})
        ).json()
        await eventually(
            lambda: _true_if(bool(deferring.received)), what="the notification to be sent"
        )
    sent = deferring.received[0]
    assert sent["trigger"] == "start" and sent["process"]["id"] == started["id"]
    assert sent["message"] is None


MESSAGES = """
title: messages
actions:
  done:
    actor: service:mailer
states:
  initial:
    on: done
    by: service:mailer
    goto: (done)
    notify:
      - service: mailer
        message: Please finish
      - service: mailer
        message:
          to: !ref actors.actor.title
          template: welcome
"""


async def test_a_notify_message_is_posted_bare(
    temporal_env: WorkflowEnvironment, store: Store, deferring: Service
) -> None:
    """webhook.service.ts: ``args.message ?? createMessage(...)``, a string message sent
    as ``text/plain``, any other as JSON -- the message alone, as the scenario wrote it
    (data functions evaluated)."""
    http, _, worker = await _run_meeting(temporal_env, store, deferring, name="mailer")
    async with worker, http:
        stored = await http.post(
            "/scenarios", content=MESSAGES.encode(), headers={"content-type": "application/yaml"}
        )
        assert stored.status_code == 201, stored.text
        await http.post("/processes", json={"scenario": stored.headers["location"][11:]})
        await eventually(lambda: _true_if(len(deferring.received) == 2), what="both notifications")
    by_type = dict(zip(deferring.types, deferring.received, strict=True))
    assert by_type["text/plain"] == "Please finish"
    assert by_type["application/json"] == {"to": "actor", "template": "welcome"}


async def _true_if(value: bool) -> bool:
    return value
