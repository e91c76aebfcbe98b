"""``baton``: the command line (``baton dev`` is what ``make run`` calls)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import typer

from baton import cli_api
from baton.cli_support import (
    EXIT_FAILED,
    EXIT_UNREACHABLE,
    BatonGroup,
    CliError,
    UsageError,
    advance,
    print_json,
    progress,
)
from core.devserver import dev_server_args, temporal_binary
from core.settings import get_settings

app = typer.Typer(
    cls=BatonGroup,
    help="Baton: BPMN 2.0 processes on Temporal. Exit codes: 0 done, 1 problems found "
    "(compile errors, a refused request), 2 usage, 3 a service unreachable.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _fail(message: str, exit_code: int = EXIT_FAILED) -> NoReturn:
    raise CliError(message, exit_code)


def _existing(paths: list[Path]) -> list[Path]:
    """The paths, each of which must exist (else a usage error, exit 2)."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    return paths


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


def _spawn(
    args: list[str], env: dict[str, str], *, quiet_when: threading.Event | None = None
) -> subprocess.Popen[bytes]:
    """A child in its own session (Ctrl-C reaches only us, and we stop the children in
    order) that dies with us. With ``quiet_when``, its output passes through us and is
    dropped once the event is set (the Temporal server's shutdown chatter)."""
    parent = os.getpid()
    follow_parent = _parent_death_signal()

    def prepare() -> None:  # runs in the child between fork and exec
        follow_parent()
        if os.getppid() != parent:  # we died before the child could ask to follow
            os._exit(1)

    if quiet_when is None:
        return subprocess.Popen(args, env=env, start_new_session=True, preexec_fn=prepare)
    proc = subprocess.Popen(
        args,
        env=env,
        start_new_session=True,
        preexec_fn=prepare,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    threading.Thread(target=_relay, args=(proc, quiet_when), daemon=True).start()
    return proc


def _relay(proc: subprocess.Popen[bytes], quiet: threading.Event) -> None:
    """Copy a child's output to ours until ``quiet`` is set, then drain it unseen (a
    child blocked on a full pipe would not stop)."""
    assert proc.stdout is not None
    out = sys.stdout.buffer
    for line in iter(proc.stdout.readline, b""):
        if quiet.is_set():
            continue
        with contextlib.suppress(OSError, ValueError):
            out.write(line)
            out.flush()


def _stop(procs: list[subprocess.Popen[bytes]], quiet: threading.Event | None = None) -> None:
    """SIGTERM the clients (API, worker) first, then the Temporal server (``procs[0]``)
    they talk to; whatever still runs after the grace period is killed."""
    # a second Ctrl-C must not abandon the children half-stopped
    for signum in _STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    deadline = time.monotonic() + _GRACE_SECONDS
    # the server stopped under a live worker leaves its pollers retrying (and warning)
    # while the worker shuts down; the clients get most of the grace period first
    stages = [(procs[1:], deadline - 1.5), (procs[:1], deadline)]
    for stage, until in stages:
        if quiet is not None and stage is stages[-1][0]:
            quiet.set()  # the server's own workers warn about every poll it closes
        for proc in reversed(stage):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        while any(p.poll() is None for p in stage) and time.monotonic() < until:
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
        "worker metrics": worker_metrics,
    }
    busy = [f"{what} port {port}" for what, port in ports.items() if _port_busy("127.0.0.1", port)]
    if busy:
        _fail(f"already in use: {', '.join(busy)} (is another 'make run' still up?)")
    _catch_stop_signals()
    procs: list[subprocess.Popen[bytes]] = []
    quiet = threading.Event()
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
            quiet_when=quiet,
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
        _fail(f"a component stopped ({failed[0].args!r}); shutting down")
    except KeyboardInterrupt:
        typer.echo("\nstopping…")
    finally:
        _stop(procs, quiet)


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
    warnings_as_errors: bool = typer.Option(
        False, "--warnings-as-errors", help="Exit 1 when any file has warnings too."
    ),
    report_only: bool = typer.Option(
        False, "--report-only", help="Exit 0 whatever the files hold (surveys of corpora)."
    ),
) -> None:
    """Compile BPMN files: one line per file, then the totals.

    Exit 1 when any file has errors (or crashed the compiler), or, with
    --warnings-as-errors, warnings; 2 when a path does not exist.
    """
    from bpmn_compiler.batch import Totals, compile_file, discover, summary_line
    from bpmn_compiler.batch import as_json as result_json

    files = list(discover(_existing(paths)))
    totals = Totals()
    documents = []
    with progress("compiling", len(files)) as bar:
        for path in files:
            result = compile_file(path, include_non_executable=include_all)
            totals.add(result)
            advance(bar)
            if as_json:
                documents.append(result_json(path, result))
                continue
            typer.echo(summary_line(path, result))
            if verbose:
                for diagnostic in result.diagnostics:
                    typer.echo(f"      {diagnostic}")
    failed = totals.with_errors + totals.crashed > 0 or (
        warnings_as_errors and totals.with_warnings > 0
    )
    if as_json:
        print_json(
            {
                "results": documents,
                "summary": {**totals.as_json(), "failed": failed and not report_only},
            }
        )
    else:
        typer.echo(f"read {totals.files} files")
    typer.echo(totals.closing_line(), err=as_json)
    if not files:
        _fail(f"no BPMN files in {', '.join(map(str, paths))}")
    if failed and not report_only:
        raise typer.Exit(EXIT_FAILED)


@app.command("feel-tck")
def feel_tck_cmd(
    path: Path = typer.Argument(..., help="Cases in the flattened DMN TCK JSON-lines format."),
    as_json: bool = typer.Option(False, "--json", help="Summary and failures as JSON."),
    verbose: bool = typer.Option(False, "-v", help="Print every failed case."),
    suite: str = typer.Option("", help="Only cases whose suite name contains this text."),
) -> None:
    """Run FEEL conformance cases; closing line 'feel-tck: N passed, M failed (non-null: …)'.

    Failing cases are scores, not errors (exit 0); a file that cannot be read, a line
    that is not a case, or no cases at all exit 1.
    """
    import datetime as dt
    import time

    from expressions.feel import tck

    _existing([path])
    started = time.perf_counter()
    try:
        cases = [c for c in tck.load(path) if suite in c.get("suite", "")]
    except tck.BadCase as err:
        _fail(str(err))
    except (OSError, UnicodeDecodeError) as err:
        _fail(f"cannot read {path}: {err}")
    if not cases:
        _fail(f"no cases in {path}" + (f" for suite {suite!r}" if suite else ""))
    summary = tck.Summary()
    failures = []
    with progress("FEEL cases", len(cases)) as bar:
        for result in tck.run(cases, now=dt.datetime.now(dt.UTC)):
            summary.add(result)
            advance(bar)
            if not result.passed:
                failures.append(result)
                if verbose and not as_json:
                    typer.echo(
                        f"FAIL {result.id}: {result.expression!r} expected {result.expected!r} "
                        f"got {result.actual!r}" + (f" [{result.error}]" if result.error else "")
                    )
    elapsed = time.perf_counter() - started
    if as_json:
        print_json(
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
            }
        )
    else:
        total = summary.passed + summary.failed
        typer.echo(
            f"{total} cases in {elapsed:.1f}s; crashed: {summary.crashed}; "
            f"cases Camunda 8 passes: {summary.c8_passed} of {summary.c8_total}"
        )
    typer.echo(summary.closing_line(), err=as_json)


@app.command("dmn-tck")
def dmn_tck_cmd(
    path: Path = typer.Argument(..., help="The DMN TCK folder (compliance-level-N/...)."),
    verbose: bool = typer.Option(False, "-v", help="Print every failed result node."),
    only: str = typer.Option("", help="Only test folders whose name contains this text."),
    as_json: bool = typer.Option(False, "--json", help="Totals and failures as JSON."),
) -> None:
    """Run DMN TCK model tests; closing line 'dmn-tck: level 2 P/T (x %), level 3 …'.

    Failing result nodes are scores (exit 0); no test files found exits 1.
    """
    import time
    from collections import Counter

    from lxml import etree

    from dmn import tck

    _existing([path])
    files = [p for p in tck.discover(path) if not only or only in p.parent.name]
    if not files:
        _fail(f"no DMN TCK test files (*-test-NN.xml) in {path}")
    started = time.perf_counter()
    summary = tck.Summary()
    by_folder: Counter[str] = Counter()
    failures = []
    with progress("DMN TCK files", len(files)) as bar:
        for file in files:
            try:
                results = list(tck.run_file(file))
            except etree.XMLSyntaxError as err:
                _fail(f"{file}: not a TCK test file: {err}")
            advance(bar)
            for result in results:
                summary.add(result)
                if result.passed:
                    continue
                failures.append(result)
                by_folder[f"level {result.level} {result.folder}"] += 1
                if verbose and not as_json:
                    typer.echo(
                        f"FAIL {result.folder} #{result.case} {result.node}: "
                        f"{result.category}: {result.detail}"
                    )
    elapsed = time.perf_counter() - started
    if as_json:
        print_json(
            {
                "levels": {
                    level: {"passed": summary.passed[level], "total": summary.totals[level]}
                    for level in sorted(summary.totals)
                },
                "seconds": round(elapsed, 2),
                "failures": [
                    {
                        "level": f.level,
                        "folder": f.folder,
                        "case": f.case,
                        "node": f.node,
                        "category": f.category,
                        "detail": f.detail,
                    }
                    for f in failures
                ],
            }
        )
        typer.echo(summary.closing_line(), err=True)
        return
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
    """Run BPMN conformance cases on the real engine (its own Temporal dev server).

    Closing line: 'conformance: N passed, M failed'. Failing cases are scores (exit 0);
    no cases found (no case.json below the paths) exits 1.
    """
    import asyncio

    from baton.conformance import case_folders, run_all

    found = case_folders(_existing(paths))
    if not found:
        _fail(f"no conformance cases (folders with a case.json) in {', '.join(map(str, paths))}")
    with progress("conformance cases", len(found)) as bar:

        def show(o: Any) -> None:
            advance(bar)
            if not as_json:
                status = "PASS" if o.passed else "FAIL"
                note = " (normalised)" if o.normalised else ""
                typer.echo(f"{status} {o.name}{note}" + (f": {o.detail}" if o.detail else ""))

        summary = asyncio.run(run_all(found, progress=show))
    if as_json:
        print_json(
            [
                {
                    "case": o.name,
                    "passed": o.passed,
                    "normalised": o.normalised,
                    "detail": o.detail,
                }
                for o in summary.outcomes
            ]
        )
    typer.echo(summary.closing_line(), err=as_json)


app.command("deploy")(cli_api.deploy)
app.command("start")(cli_api.start)
app.command("instances")(cli_api.instances)
app.command("tasks")(cli_api.tasks)
app.command("complete")(cli_api.complete)


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
    as_json: bool = typer.Option(False, "--json", help="One JSON document."),
) -> None:
    """Count BpmnProcess executions by semantic epoch (BATON_TEMPORAL_ADDRESS).

    Closing line: whether any run below the epoch is still running, i.e. whether the
    old branches of the rules up to it may be deleted (docs/interpreter.md).
    """
    import asyncio
    import json

    from temporalio.service import RPCError

    from baton.semantics_audit import audit, audit_document, render_audit
    from core.temporal_client import connect
    from workflows import semantics

    async def run() -> list[str]:
        client = await connect(get_settings())
        result = await audit(client, below or semantics.CURRENT_EPOCH)
        if as_json:
            return [json.dumps(audit_document(result), indent=2)]
        return render_audit(result)

    try:
        lines = asyncio.run(run())
    except RPCError as err:
        _fail(
            f"visibility refused the count ({err.message}); is BpmnSemanticsEpoch "
            "registered in the namespace? (deploy/temporal/create-namespace.sh)"
        )
    except RuntimeError as err:  # the client could not connect
        _fail(f"cannot reach Temporal: {err}", EXIT_UNREACHABLE)
    for line in lines:
        typer.echo(line)


@semantics_app.command("rules")
def semantics_rules_cmd(
    as_json: bool = typer.Option(False, "--json", help="One JSON document."),
) -> None:
    """List the interpreter's semantic rules: epoch, marker, pre-rule history, summary."""
    import json

    from baton.semantics_audit import render_rules, rules_document

    if as_json:
        typer.echo(json.dumps(rules_document(), indent=2))
        return
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
