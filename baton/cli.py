"""``baton``: the command line (``baton dev`` is what ``make run`` calls)."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import typer

from core.devserver import dev_server_args, temporal_binary
from core.settings import get_settings

app = typer.Typer(help="Baton: BPMN 2.0 processes on Temporal.", no_args_is_help=True)


def _fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(1)


def _wait_for_port(host: str, port: int, timeout: float, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            _fail(f"process exited early with {proc.returncode}: {proc.args!r}")
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex((host, port)) == 0:
                return
        time.sleep(0.2)
    _fail(f"nothing listened on {host}:{port} after {timeout:.0f}s")


def _port_busy(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


#: Signals that stop ``baton dev``: Ctrl-C, ``kill``, a closed terminal.
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
#: How long children get to stop on SIGTERM before they are killed; with the polling
#: below the whole stack is gone within 5 s of the signal.
_GRACE_SECONDS = 3.5


def _raise_interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _catch_stop_signals() -> None:
    """Stop on SIGINT, SIGTERM and SIGHUP whatever we inherited.

    Python installs its Ctrl-C handler only when SIGINT is not ignored at start, and a
    shell script starts background jobs (``make run &``) with SIGINT ignored: without an
    explicit handler Ctrl-C, or ``kill -INT``, would not reach us and the stack would
    have to be killed by hand. A handled signal is reset to the default in children at
    exec, so they do not inherit the ignore either.
    """
    for signum in _STOP_SIGNALS:
        signal.signal(signum, _raise_interrupt)


def _parent_death_signal() -> Callable[[], object]:
    """A call that makes the calling child get SIGTERM when ``baton dev`` dies, even by
    SIGKILL (Linux ``prctl(PR_SET_PDEATHSIG)``), so no Temporal server, worker or API is
    left behind. Resolved before fork: a child must not import between fork and exec."""
    if sys.platform != "linux":
        return lambda: None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    pr_set_pdeathsig = 1
    return lambda: prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A child in its own session (Ctrl-C reaches only us, and we stop the children in
    order) that dies with us."""
    parent = os.getpid()
    follow_parent = _parent_death_signal()

    def prepare() -> None:  # runs in the child between fork and exec
        follow_parent()
        if os.getppid() != parent:  # we died before the child could ask to follow
            os._exit(1)

    return subprocess.Popen(args, env=env, start_new_session=True, preexec_fn=prepare)


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    # a second Ctrl-C must not abandon the children half-stopped
    for signum in _STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    for proc in reversed(procs):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + _GRACE_SECONDS
    while any(p.poll() is None for p in procs) and time.monotonic() < deadline:
        time.sleep(0.05)
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


#: `make run`'s worker metrics port when BATON_WORKER_METRICS_PORT does not name one
DEV_WORKER_METRICS_PORT = 9464


@app.command()
def dev(
    temporal_port: int = typer.Option(
        7233, envvar="BATON_DEV_TEMPORAL_PORT", help="Temporal frontend gRPC port."
    ),
) -> None:
    """Run the whole stack: Temporal dev server + Web UI, worker and API in dev mode.

    State lives in ``.data/`` (Temporal's SQLite file and Baton's), so a restart keeps
    every deployment and instance. Ctrl-C (SIGINT), SIGTERM or SIGHUP stop everything
    within 5 s, also when started in the background by a script.
    """
    settings = get_settings()
    data_dir = settings.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    worker_metrics = settings.worker_metrics_port or DEV_WORKER_METRICS_PORT
    env = {
        **os.environ,
        "BATON_WORKER_METRICS_PORT": str(worker_metrics),
        "BATON_ENV": os.environ.get("BATON_ENV", "dev"),
        "BATON_TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}",
        "BATON_DATABASE_URL": settings.database_url,
    }
    ports = {
        "Temporal gRPC": temporal_port,
        "Temporal UI": settings.temporal_ui_port,
        "API": settings.api_port,
        "Temporal metrics": settings.dev_temporal_metrics_port,
        **(
            {"worker metrics": settings.worker_metrics_port} if settings.worker_metrics_port else {}
        ),
    }
    busy = [f"{what} port {port}" for what, port in ports.items() if _port_busy("127.0.0.1", port)]
    if busy:
        typer.echo(f"already in use: {', '.join(busy)} (is another 'make run' still up?)", err=True)
        raise typer.Exit(1)
    _catch_stop_signals()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        server = _spawn(
            [
                temporal_binary(),
                *dev_server_args(
                    port=temporal_port,
                    ui_port=settings.temporal_ui_port,
                    db_file=data_dir / "temporal.db",
                    metrics_port=settings.dev_temporal_metrics_port,
                ),
            ],
            env,
        )
        procs.append(server)
        _wait_for_port("127.0.0.1", temporal_port, 60, server)
        procs.append(_spawn([sys.executable, "-m", "baton.worker"], env))
        # `serve` reads BATON_API_* and, when set, BATON_TLS_CERTFILE/KEYFILE
        api = _spawn([sys.executable, "-m", "baton.cli", "serve"], env)
        procs.append(api)
        _wait_for_port(settings.api_host, settings.api_port, 60, api)
        scheme = "https" if settings.tls_certfile and settings.tls_keyfile else "http"
        base = f"{scheme}://{settings.api_host}:{settings.api_port}"
        typer.echo(
            "\nBaton is running (dev mode; Ctrl-C stops everything)\n"
            f"  API            {base}   (docs {base}/docs, health {base}/health)\n"
            f"  Cockpit        {base}/cockpit   Tasklist {base}/tasklist\n"
            f"  Temporal UI    http://127.0.0.1:{settings.temporal_ui_port}\n"
            f"  Temporal gRPC  127.0.0.1:{temporal_port}\n"
            f"  Metrics        {base}/metrics (API), "
            f"http://{settings.worker_metrics_host}:{worker_metrics}/metrics (worker), "
            f"http://127.0.0.1:{settings.dev_temporal_metrics_port}/metrics (Temporal)\n"
            f"  Data           {data_dir}\n"
        )
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        failed = [p for p in procs if p.poll() is not None]
        typer.echo(f"a component stopped ({failed[0].args!r}); shutting down", err=True)
        raise typer.Exit(1)
    except KeyboardInterrupt:
        typer.echo("\nstopping…")
    finally:
        _stop(procs)


@app.command()
def worker() -> None:
    """Run a worker (interpreter + Baton's activities) against BATON_TEMPORAL_ADDRESS."""
    from baton.worker import main

    main()


@app.command()
def serve(
    certfile: Path | None = typer.Option(
        None, help="PEM certificate for HTTPS (default: BATON_TLS_CERTFILE)."
    ),
    keyfile: Path | None = typer.Option(
        None, help="PEM private key for HTTPS (default: BATON_TLS_KEYFILE)."
    ),
) -> None:
    """Serve the HTTP API with uvicorn on BATON_API_HOST:BATON_API_PORT; with a
    certificate and key, as HTTPS that refuses every protocol below TLS 1.2."""
    import uvicorn

    from core.tls import TlsConfigError, server_context

    settings = get_settings()
    cert = certfile or settings.tls_certfile
    key = keyfile or settings.tls_keyfile
    if (cert is None) != (key is None):
        _fail("HTTPS needs both a certificate and a key (--certfile and --keyfile)")
    factory = None
    if cert is not None and key is not None:
        try:
            context = server_context(cert, key, settings.tls_keyfile_password)
        except TlsConfigError as err:
            _fail(str(err))
        factory = lambda _config, _default: context  # noqa: E731 - uvicorn's hook
    from core import logs

    logs.configure(settings)
    config = uvicorn.Config(
        "api.main:app",
        factory=True,
        host=settings.api_host,
        port=settings.api_port,
        ssl_context_factory=factory,
        log_config=None,  # uvicorn's records go through core.logs like the rest
    )
    uvicorn.Server(config).run()


@app.command(hidden=True)
def api() -> None:
    """The former name of ``serve``."""
    serve(certfile=None, keyfile=None)


@app.command("compile")
def compile_cmd(
    paths: list[Path] = typer.Argument(..., help="BPMN files or folders (searched recursively)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON document with every finding."),
    include_all: bool = typer.Option(
        False, "--all", help='Treat isExecutable="false" processes as executable too.'
    ),
    verbose: bool = typer.Option(False, "-v", help="Print every diagnostic, not the first."),
) -> None:
    """Compile BPMN files: one line per file, then the totals. Exit 1 only on a crash."""
    import json

    from bpmn_compiler.batch import Totals, compile_file, discover, summary_line
    from bpmn_compiler.batch import as_json as result_json

    totals = Totals()
    documents = []
    for path in discover(paths):
        result = compile_file(path, include_non_executable=include_all)
        totals.add(result)
        if as_json:
            documents.append(result_json(path, result))
            continue
        typer.echo(summary_line(path, result))
        if verbose:
            for diagnostic in result.diagnostics:
                typer.echo(f"      {diagnostic}")
    if as_json:
        summary = {"files": totals.files, "ok": totals.ok, "with_errors": totals.with_errors}
        typer.echo(
            json.dumps(
                {"results": documents, "summary": {**summary, "crashed": totals.crashed}}, indent=2
            )
        )
    else:
        typer.echo(f"read {totals.files} files")
    typer.echo(totals.closing_line(), err=as_json)
    if totals.crashed:
        raise typer.Exit(1)


@app.command("feel-tck")
def feel_tck_cmd(
    path: Path = typer.Argument(..., help="Cases in the flattened DMN TCK JSON-lines format."),
    as_json: bool = typer.Option(False, "--json", help="Summary and failures as JSON."),
    verbose: bool = typer.Option(False, "-v", help="Print every failed case."),
    suite: str = typer.Option("", help="Only cases whose suite name contains this text."),
) -> None:
    """Run FEEL conformance cases; closing line 'feel-tck: N passed, M failed (non-null: …)'."""
    import datetime as dt
    import json
    import time

    from expressions.feel import tck

    started = time.perf_counter()
    cases = [c for c in tck.load(path) if suite in c.get("suite", "")]
    summary = tck.Summary()
    failures = []
    for result in tck.run(cases, now=dt.datetime.now(dt.UTC)):
        summary.add(result)
        if not result.passed:
            failures.append(result)
            if verbose and not as_json:
                typer.echo(
                    f"FAIL {result.id}: {result.expression!r} expected {result.expected!r} "
                    f"got {result.actual!r}" + (f" [{result.error}]" if result.error else "")
                )
    elapsed = time.perf_counter() - started
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "passed": summary.passed,
                    "failed": summary.failed,
                    "non_null_passed": summary.non_null_passed,
                    "non_null": summary.non_null,
                    "crashed": summary.crashed,
                    "c8_pass_subset": [summary.c8_passed, summary.c8_total],
                    "seconds": round(elapsed, 2),
                    "failures": [
                        {
                            "id": f.id,
                            "expression": f.expression,
                            "expected": repr(f.expected),
                            "actual": repr(f.actual),
                            "error": f.error,
                        }
                        for f in failures
                    ],
                },
                indent=2,
            )
        )
    else:
        total = summary.passed + summary.failed
        typer.echo(
            f"{total} cases in {elapsed:.1f}s; crashed: {summary.crashed}; "
            f"cases Camunda 8 passes: {summary.c8_passed} of {summary.c8_total}"
        )
    typer.echo(summary.closing_line())


@app.command("dmn-tck")
def dmn_tck_cmd(
    path: Path = typer.Argument(..., help="The DMN TCK folder (compliance-level-N/...)."),
    verbose: bool = typer.Option(False, "-v", help="Print every failed result node."),
    only: str = typer.Option("", help="Only test folders whose name contains this text."),
) -> None:
    """Run DMN TCK model tests; closing line 'dmn-tck: level 2 P/T (x %), level 3 …'."""
    import time
    from collections import Counter

    from dmn import tck

    started = time.perf_counter()
    summary = tck.Summary()
    by_folder: Counter[str] = Counter()
    for result in tck.run(path):
        if only and only not in result.folder:
            continue
        summary.add(result)
        if not result.passed:
            by_folder[f"level {result.level} {result.folder}"] += 1
            if verbose:
                typer.echo(
                    f"FAIL {result.folder} #{result.case} {result.node}: "
                    f"{result.category}: {result.detail}"
                )
    elapsed = time.perf_counter() - started
    for level in sorted(summary.totals):
        typer.echo(summary.line(level))
    typer.echo(f"{sum(summary.totals.values())} result nodes in {elapsed:.1f}s")
    for category, count in summary.categories.most_common():
        typer.echo(f"  failed, {category}: {count}")
    for folder, count in sorted(by_folder.items()):
        typer.echo(f"    {folder}: {count}")
    typer.echo(summary.closing_line())


@app.command("conformance")
def conformance_cmd(
    paths: list[Path] = typer.Argument(..., help="Case folders, or folders that contain them."),
    as_json: bool = typer.Option(False, "--json", help="Every outcome as JSON."),
) -> None:
    """Run BPMN conformance cases on the real engine.

    Closing line: 'conformance: N passed, M failed'.
    """
    import asyncio
    import json

    from baton.conformance import run_all

    def show(o: Any) -> None:
        if not as_json:
            status = "PASS" if o.passed else "FAIL"
            note = " (normalised)" if o.normalised else ""
            typer.echo(f"{status} {o.name}{note}" + (f": {o.detail}" if o.detail else ""))

    summary = asyncio.run(run_all(paths, progress=show))
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "case": o.name,
                        "passed": o.passed,
                        "normalised": o.normalised,
                        "detail": o.detail,
                    }
                    for o in summary.outcomes
                ],
                indent=2,
            )
        )
    typer.echo(summary.closing_line(), err=as_json)


semantics_app = typer.Typer(
    help="Semantic epochs: the interpreter's rules, and which epochs running instances follow.",
    no_args_is_help=True,
)
app.add_typer(semantics_app, name="semantics")


@semantics_app.command("audit")
def semantics_audit_cmd(
    below: int | None = typer.Option(
        None, "--below", min=1, help="The epoch to check for (default: the current one)."
    ),
) -> None:
    """Count BpmnProcess executions by semantic epoch (BATON_TEMPORAL_ADDRESS).

    Closing line: whether any run below the epoch is still running, i.e. whether the
    old branches of the rules up to it may be deleted (docs/interpreter.md).
    """
    import asyncio

    from temporalio.service import RPCError

    from baton.semantics_audit import audit, render_audit
    from core.temporal_client import connect
    from workflows import semantics

    async def run() -> list[str]:
        client = await connect(get_settings())
        return render_audit(await audit(client, below or semantics.CURRENT_EPOCH))

    try:
        lines = asyncio.run(run())
    except RPCError as err:
        _fail(
            f"visibility refused the count ({err.message}); is BpmnSemanticsEpoch "
            "registered in the namespace? (deploy/temporal/create-namespace.sh)"
        )
    except RuntimeError as err:  # the client could not connect
        _fail(f"cannot reach Temporal: {err}")
    for line in lines:
        typer.echo(line)


@semantics_app.command("rules")
def semantics_rules_cmd() -> None:
    """List the interpreter's semantic rules: epoch, marker, pre-rule history, summary."""
    from baton.semantics_audit import render_rules

    for line in render_rules():
        typer.echo(line)


@app.command("docs")
def docs_cmd(
    check: bool = typer.Option(False, "--check", help="Fail if the committed page is stale."),
    output: Path = typer.Option(Path("docs/bpmn-support.md"), help="Where the page goes."),
) -> None:
    """Write docs/bpmn-support.md from the compiler's registry."""
    from bpmn_compiler.support import render

    page = render()
    if check:
        if not output.exists() or output.read_text() != page:
            _fail(f"{output} is stale: run 'baton docs'")
        typer.echo(f"{output} is up to date")
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(page)
    typer.echo(f"wrote {output}")


if __name__ == "__main__":
    app()
