"""``baton deploy``, ``start``, ``instances``, ``tasks``, ``complete``: the Eximee BPMS
API (``/v1/bpms``) of a running Baton, over HTTP.

Where: ``--api-url``, else ``BATON_API_URL``, else ``http(s)://BATON_API_HOST:BATON_API_PORT``.
Who: ``--token``, else ``BATON_API_TOKEN``, sent as ``Authorization: Bearer``; in dev mode
no credentials act as the demo admin. ``--json`` prints the API's own JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx
import typer

from baton.cli_support import (
    EXIT_UNREACHABLE,
    CliError,
    UsageError,
    print_json,
    print_table,
    progress,
)
from core.settings import Settings, get_settings

DEPLOYABLE = (".bpmn", ".bpmn20.xml", ".bpmn2", ".xml", ".dmn", ".dmn11.xml")

ApiUrl = typer.Option(
    None, "--api-url", help="Baton's API (default: BATON_API_URL, else BATON_API_HOST:PORT)."
)
Token = typer.Option(None, "--token", help="Bearer token (default: BATON_API_TOKEN).")
AsJson = typer.Option(False, "--json", help="Print the API's JSON answer.")
Vars = typer.Option(
    None,
    "--var",
    help="A variable, NAME=VALUE; VALUE is read as JSON when it parses (120, true, "
    '{"a": 1}, "text"), else as a string. Repeatable.',
)


def api_url(settings: Settings, given: str | None) -> str:
    if given:
        return given.rstrip("/")
    if settings.api_url:
        return settings.api_url.rstrip("/")
    scheme = "https" if settings.tls_certfile and settings.tls_keyfile else "http"
    return f"{scheme}://{settings.api_host}:{settings.api_port}"


def parse_vars(pairs: Iterable[str] | None) -> dict[str, Any]:
    """``NAME=VALUE`` pairs; a value that parses as JSON is that JSON, else a string."""
    found: dict[str, Any] = {}
    for pair in pairs or ():
        name, sep, raw = pair.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--var {pair!r}: expected NAME=VALUE")
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        found[name.strip()] = value
    return found


class Api:
    """A synchronous client of one Baton API; every failure becomes a ``CliError``."""

    def __init__(self, url: str | None, token: str | None, timeout: float = 60) -> None:
        settings = get_settings()
        self.base = api_url(settings, url)
        secret = token or (settings.api_token.get_secret_value() if settings.api_token else None)
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        self.http = httpx.Client(base_url=self.base, headers=headers, timeout=timeout)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.ConnectError as err:
            raise CliError(
                f"cannot reach the API at {self.base}: {_reason(err)}", EXIT_UNREACHABLE
            ) from None
        except httpx.TimeoutException:
            raise CliError(
                f"the API at {self.base} did not answer in time", EXIT_UNREACHABLE
            ) from None
        except httpx.TransportError as err:
            raise CliError(
                f"cannot reach the API at {self.base}: {_reason(err)}", EXIT_UNREACHABLE
            ) from None
        if response.status_code >= 400:
            raise _refused(method, path, response)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise CliError(
                f"{method} {self.base}{path} answered {response.status_code} without JSON "
                "(is BATON_API_URL a Baton API?)"
            ) from None


def _reason(err: httpx.TransportError) -> str:
    text = str(err) or type(err).__name__
    if "refused" in text.lower():
        return "connection refused"
    if "name or service not known" in text.lower() or "nodename nor servname" in text.lower():
        return "unknown host"
    return text


class ApiRefused(CliError):
    """A 4xx/5xx answer: its problem's detail, and the diagnostics of a refused deploy."""

    def __init__(self, message: str, diagnostics: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics


def _refused(method: str, path: str, response: httpx.Response) -> ApiRefused:
    try:
        body = response.json()
    except ValueError:
        body = None
    status = f"{response.status_code} {response.reason_phrase}".strip()
    if isinstance(body, dict):
        detail = body.get("detail") or body.get("title") or body.get("message")
        errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
    else:
        detail, errors = None, []
    if response.status_code == 401:
        detail = f"{detail or 'not signed in'} (set BATON_API_TOKEN or pass --token)"
    message = f"{method} {path}: {status}" + (f": {detail}" if detail else "")
    diagnostics = [e for e in errors if "code" in e]
    for e in diagnostics[:20]:
        message += "\n  " + diagnostic_line(e)
    if len(diagnostics) > 20:
        message += f"\n  … and {len(diagnostics) - 20} more"
    return ApiRefused(message, diagnostics)


def diagnostic_line(d: dict[str, Any]) -> str:
    """``file:line: severity code [tag id] message`` of a diagnostic the API sent."""
    where = d.get("file") or ""
    if d.get("line"):
        where += f":{d['line']}"
    element = f" [{d.get('tag') or 'element'} {d['elementId']}]" if d.get("elementId") else ""
    prefix = f"{where}: " if where else ""
    return f"{prefix}{d.get('severity', 'error')} {d.get('code')}{element} {d.get('message')}"


# ------------------------------------------------------------------------ commands


def deployable(paths: list[Path]) -> list[Path]:
    """Files as given, folders searched for diagrams and decisions; a missing path is a
    usage error."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(
                p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(DEPLOYABLE)
            )
        elif path.is_file():
            found.append(path)
        else:
            raise UsageError(f"no such file or folder: {path}")
    if not found:
        raise CliError(f"nothing to deploy in {', '.join(map(str, paths))}")
    return found


def deploy(
    paths: list[Path] = typer.Argument(..., help=".bpmn and .dmn files, or folders of them."),
    name: str | None = typer.Option(None, "--name", help="The deployment's name."),
    include_all: bool = typer.Option(
        False, "--all", help='Deploy isExecutable="false" processes too.'
    ),
    url: str | None = ApiUrl,
    token: str | None = Token,
    as_json: bool = AsJson,
) -> None:
    """Deploy diagrams and decisions in one deployment (all or nothing): each deployed
    key and version, then the warnings. Compile errors: the diagnostics, exit 1."""
    files = deployable(paths)
    api = Api(url, token)
    data: dict[str, str] = {}
    if name:
        data["deployment-name"] = name
    if include_all:
        data["deploy-non-executable"] = "true"
    uploads = [("file", (p.name, p.read_bytes(), "application/octet-stream")) for p in files]
    with progress(f"deploying {len(files)} files to {api.base}", None):
        body = api.call("POST", "/v1/bpms/deployments", files=uploads, data=data)
    if as_json:
        print_json(body)
        return
    for d in body.get("definitions", []):
        fresh = "" if d.get("new", True) else " (unchanged)"
        typer.echo(f"deployed {d['key']} v{d['version']}{fresh}  ({d.get('resource')})")
    for d in body.get("decisions", []):
        typer.echo(f"deployed decision {d['key']} v{d['version']}")
    for w in body.get("warnings", []):
        typer.echo(f"  {diagnostic_line(w)}")
    count = len(body.get("definitions", [])) + len(body.get("decisions", []))
    typer.echo(f"deploy: {count} deployed from {len(files)} files, deployment {body.get('id')}")


def start(
    key: str = typer.Argument(..., help="The process definition key (the BPMN process id)."),
    business_key: str | None = typer.Option(None, "--business-key", "-b"),
    variables: list[str] | None = Vars,
    version: int | None = typer.Option(None, "--version", min=1, help="Default: the latest."),
    wait: bool = typer.Option(
        False, "--wait", help="Answer once the instance waits (tasks open) or ended."
    ),
    url: str | None = ApiUrl,
    token: str | None = Token,
    as_json: bool = AsJson,
) -> None:
    """Start an instance: prints its id, key, version, business key and state."""
    body: dict[str, Any] = {"processDefinitionKey": key, "processData": parse_vars(variables)}
    if business_key is not None:
        body["businessKey"] = business_key
    if version is not None:
        body["version"] = version
    if wait:
        body["waitForWaitState"] = True
    started = Api(url, token).call("POST", "/v1/bpms/process-instances", json=body)
    if as_json:
        print_json(started)
        return
    bk = f" business key {started['businessKey']}" if started.get("businessKey") else ""
    typer.echo(
        f"started {started['id']}: {started['processDefinitionKey']} "
        f"v{started['version']}{bk}, {started['state']}"
    )
    for task in started.get("openTasks") or []:
        typer.echo(f"  open task {task.get('id')} {task.get('name') or ''}".rstrip())


def instances(
    key: str | None = typer.Option(None, "--key", help="Only this process definition key."),
    state: str | None = typer.Option(
        None, "--state", help="RUNNING, COMPLETED, TERMINATED, … (the API's states)."
    ),
    business_key: str | None = typer.Option(None, "--business-key", "-b"),
    size: int = typer.Option(50, "--size", min=1, max=1000, help="How many, newest first."),
    url: str | None = ApiUrl,
    token: str | None = Token,
    as_json: bool = AsJson,
) -> None:
    """List process instances, newest first."""
    params: dict[str, Any] = {"size": size}
    if key:
        params["processDefinitionKey"] = key
    if state:
        params["state"] = state.upper()
    if business_key:
        params["businessKey"] = business_key
    page = Api(url, token).call("GET", "/v1/bpms/process-instances", params=params)
    if as_json:
        print_json(page)
        return
    rows = [
        [
            i["id"],
            f"{i['processDefinitionKey']} v{i['version']}",
            i.get("businessKey"),
            i["state"],
            i.get("startTime"),
            i.get("endTime"),
        ]
        for i in page["items"]
    ]
    print_table(
        ["ID", "PROCESS", "BUSINESS KEY", "STATE", "STARTED", "ENDED"],
        rows,
        empty="no instances",
    )
    if page["total"] > len(rows):
        typer.echo(f"({len(rows)} of {page['total']}; --size for more)")


def tasks(
    assignee: str | None = typer.Option(None, "--assignee", "-a"),
    group: list[str] | None = typer.Option(
        None, "--group", "-g", help="Candidate group (repeatable); unclaimed tasks only."
    ),
    instance: str | None = typer.Option(None, "--instance", help="Only this instance's tasks."),
    key: str | None = typer.Option(None, "--key", help="Only this process definition key."),
    size: int = typer.Option(50, "--size", min=1, max=1000),
    url: str | None = ApiUrl,
    token: str | None = Token,
    as_json: bool = AsJson,
) -> None:
    """List open user tasks."""
    params: dict[str, Any] = {"size": size}
    if assignee:
        params["assignee"] = assignee
    if group:
        params["candidateGroup"] = group
    if instance:
        params["processInstanceId"] = instance
    if key:
        params["processDefinitionKey"] = key
    page = Api(url, token).call("GET", "/v1/bpms/tasks", params=params)
    if as_json:
        print_json(page)
        return
    rows = [
        [
            t["id"],
            t.get("name") or t["taskDefinitionKey"],
            t["processInstanceId"],
            t.get("businessKey"),
            t.get("assignee"),
            ",".join(t.get("candidateGroups") or []),
            t.get("created"),
        ]
        for t in page["items"]
    ]
    print_table(
        ["ID", "TASK", "INSTANCE", "BUSINESS KEY", "ASSIGNEE", "GROUPS", "CREATED"],
        rows,
        empty="no open tasks",
    )


def complete(
    task_id: str = typer.Argument(..., help="The task's id (from 'baton tasks')."),
    variables: list[str] | None = Vars,
    url: str | None = ApiUrl,
    token: str | None = Token,
    as_json: bool = AsJson,
) -> None:
    """Complete a user task with variables."""
    body = {"processData": parse_vars(variables), "withVariablesInReturn": True}
    done = Api(url, token).call("POST", f"/v1/bpms/tasks/{task_id}/complete", json=body)
    if as_json:
        print_json(done)
        return
    typer.echo(f"completed {done['taskId']} (instance {done['processInstanceId']})")
