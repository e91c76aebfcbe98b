"""Request bodies are bounded (issue 18): a 50 MB body answers 413 problem+json naming the
limit, announced (``Content-Length``) or streamed (chunked), and the API stops reading at
the limit instead of taking the body into memory."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from tests.conftest import Stack
from tests.support.http import problem
from tests.support.ports import free_port

LIMIT = 10 * 1024 * 1024
FIFTY_MB = 50 * 1000 * 1000
CHUNK = 64 * 1024
INSTANCES = "/v1/bpms/process-instances"


class Body:
    """A JSON-looking body produced chunk by chunk; ``pulled`` counts what the server read."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.pulled = 0

    async def chunks(self) -> AsyncIterator[bytes]:
        yield b'{"processDefinitionKey": "x", "processData": {"blob": "'
        while self.pulled < self.size:
            chunk = b"a" * CHUNK
            self.pulled += len(chunk)
            yield chunk
        yield b'"}}'


def _refused(answer: httpx.Response) -> None:
    body = problem(answer, 413)
    assert body["title"] == "Content too large"
    assert body["limit"] == LIMIT
    assert str(LIMIT) in body["detail"] and "BATON_MAX_BODY_BYTES" in body["detail"]


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_a_streamed_50_mb_body_is_413_and_read_no_further_than_the_limit(
    stack: Stack,
) -> None:
    body = Body(FIFTY_MB)
    answer = await stack.http.post(
        INSTANCES, content=body.chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in answer.request.headers  # chunked
    _refused(answer)
    assert body.pulled <= LIMIT + CHUNK  # stopped at the limit: 10 MiB of 50 MB
    audited = (await stack.http.get("/v1/audit")).json()["items"][0]
    assert (audited["status"], audited["path"]) == (413, INSTANCES)


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_an_announced_50_mb_body_is_413_before_a_byte_is_read(stack: Stack) -> None:
    body = Body(FIFTY_MB)
    answer = await stack.http.post(
        INSTANCES,
        content=body.chunks(),
        headers={"content-type": "application/json", "content-length": str(FIFTY_MB)},
    )
    _refused(answer)
    assert body.pulled == 0
    # ONEWEB's routes answer in their envelope, with the same limit
    oneweb = await stack.http.post(
        "/BPMREST/service/runtime/process/start",
        content=Body(FIFTY_MB).chunks(),
        headers={"content-type": "application/json", "content-length": str(FIFTY_MB)},
    )
    assert oneweb.status_code == 413 and oneweb.json()["code"] == 413


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_a_body_under_the_limit_reaches_the_route(stack: Stack) -> None:
    body = Body(2 * 1024 * 1024)
    answer = await stack.http.post(
        INSTANCES, content=body.chunks(), headers={"content-type": "application/json"}
    )
    # read whole and parsed: the route's own bound on variables answers, naming the field
    assert answer.status_code == 413, answer.text
    assert answer.json()["field"] == "processData"
    assert body.pulled == body.size


def test_over_real_http_the_refusal_comes_before_the_body(
    temporal_env: WorkflowEnvironment, tmp_path: object
) -> None:
    """uvicorn, a raw socket: headers announcing 50 MB get their 413 with no body sent."""
    port = free_port()
    env = {
        **os.environ,
        "BATON_ENV": "dev",
        "BATON_API_PORT": str(port),
        "BATON_TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host,
        "BATON_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/baton.db",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "baton.cli", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, "baton serve exited"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "baton serve did not answer"
                time.sleep(0.2)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(
                f"POST {INSTANCES} HTTP/1.1\r\nHost: baton\r\n"
                f"Content-Type: application/json\r\nContent-Length: {FIFTY_MB}\r\n\r\n".encode()
            )
            answer = b""
            while chunk := conn.recv(65536):  # the server closes after refusing
                answer += chunk
        text = answer.decode(errors="replace")
        assert text.startswith("HTTP/1.1 413"), text
        assert "application/problem+json" in text and f'"limit":{LIMIT}' in text
    finally:
        proc.terminate()
        proc.wait(15)
