"""Deploy BPMN files: compile, version per key, store XML and IR."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

import dmn
from api.auth import Principal, Requires
from api.deps import StoreDep
from api.problems import ApiProblem, NotFound
from api.schemas import (
    DeployedDecisionOut,
    DeployedDefinitionOut,
    DeploymentOut,
    DiagnosticOut,
    PageNumber,
    PageOut,
    PageSize,
)
from bpmn_compiler import Diagnostic, Severity, compile_bpmn
from store import decisions, definitions
from store.db import DefinitionNotFound, Store
from store.definitions import DeployedDefinition

#: ``?version=``: a definition version (omitted: the latest).
VersionQuery = Annotated[int | None, Query(ge=1, le=2**31 - 1)]

router = APIRouter(prefix="/v1/bpms", tags=["deployments"])

_ACCEPTED_SUFFIXES = (".bpmn", ".bpmn20.xml", ".xml")
_DMN_SUFFIXES = (".dmn", ".dmn11.xml", ".dmn13.xml")
MAX_FILE_BYTES = 10 * 1024 * 1024


def _wire(diagnostics: list[Diagnostic]) -> list[dict[str, object]]:
    return [DiagnosticOut.of(d).model_dump(mode="json", by_alias=True) for d in diagnostics]


@router.post(
    "/deployments",
    status_code=status.HTTP_201_CREATED,
    response_model=DeploymentOut,
    summary="Deploy .bpmn and .dmn files (multipart/form-data, any field name)",
    description=(
        "Every file is compiled (a .dmn file parsed and validated: its decisions are "
        "versioned per decision id); any error rejects the whole deployment with the "
        "diagnostics (code, element id, line) in `errors`. A business-rule task calling a "
        "decision that is not deployed is a warning. Form fields: `deployment-name`, and "
        '`deploy-non-executable=true` to deploy processes marked isExecutable="false" too.'
    ),
    responses={400: {"description": "Compile errors, with diagnostics in `errors`"}},
)
async def deploy(
    request: Request, store: StoreDep, principal: Annotated[Principal, Requires("deploy")]
) -> DeploymentOut:
    form = await request.form()
    uploads = [v for _, v in form.multi_items() if isinstance(v, UploadFile)]
    if not uploads:
        raise ApiProblem("attach at least one .bpmn file as multipart/form-data")
    name_field = form.get("deployment-name") or form.get("name")
    include_all = str(form.get("deploy-non-executable", "false")).lower() == "true"
    resources, warnings = await compile_uploads(uploads, include_non_executable=include_all)
    warnings += await undeployed_decisions(store, resources)
    done = await definitions.deploy_all(
        store,
        resources,
        name=str(name_field) if isinstance(name_field, str) else None,
        source=principal.subject,
    )
    return DeploymentOut(
        id=done.id,
        name=str(name_field) if isinstance(name_field, str) else None,
        definitions=[DeployedDefinitionOut.of(d) for d in done.definitions],
        decisions=[DeployedDecisionOut.of(d) for d in done.decisions],
        warnings=[DiagnosticOut.of(w) for w in warnings],
    )


async def compile_uploads(
    uploads: list[UploadFile], *, include_non_executable: bool = False
) -> tuple[list[definitions.Resource], list[Diagnostic]]:
    """Read and compile every uploaded file: the resources to deploy and the warnings.
    Any error refuses the whole deployment (``ApiProblem`` 400 with the diagnostics in
    ``errors``). Shared by every family's deploy route (Eximee's, Camunda's), so a
    diagram is checked the same way whichever API deployed it."""
    resources: list[definitions.Resource] = []
    warnings: list[Diagnostic] = []
    errors: list[Diagnostic] = []
    for upload in uploads:
        filename = upload.filename or "upload.bpmn"
        is_dmn = filename.lower().endswith(_DMN_SUFFIXES)
        if not is_dmn and not filename.lower().endswith(_ACCEPTED_SUFFIXES):
            raise ApiProblem(
                f"{filename}: only .bpmn / .bpmn20.xml / .xml and .dmn files can be deployed"
            )
        data = await upload.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise ApiProblem(f"{filename}: larger than {MAX_FILE_BYTES} bytes", status=413)
        if is_dmn:
            resource, found = await run_in_threadpool(_read_dmn, data, filename)
            errors += [d for d in found if d.severity is Severity.ERROR]
            warnings += [d for d in found if d.severity is Severity.WARNING]
            if resource is not None:
                resources.append(resource)
            continue
        # compiling is CPU work: off the event loop, so one big upload stalls nobody
        result = await run_in_threadpool(
            compile_bpmn, data, filename=filename, include_non_executable=include_non_executable
        )
        if result.recovered:
            raise ApiProblem(
                f"{filename}: the XML is malformed and could only be read in recovery mode, "
                "where text may be lost; fix the file before deploying it",
                errors=_wire(result.diagnostics),
            )
        errors += result.errors
        warnings += [d for d in result.diagnostics if d.severity is Severity.WARNING]
        if result.ok and not result.definitions:
            raise ApiProblem(
                f"{filename}: contains no executable process",
                errors=_wire(result.diagnostics),
            )
        resources.append(definitions.Resource(filename, data, result.definitions))
    if errors:
        raise ApiProblem(
            f"{len(errors)} error(s): {errors[0]}",
            errors=_wire(errors),
        )
    return resources, warnings


def _read_dmn(data: bytes, filename: str) -> tuple[definitions.Resource | None, list[Diagnostic]]:
    """Parse and validate a ``.dmn`` file: the resource to store (its decisions), and the
    findings. A file with errors stores nothing; one with no decision is an error."""
    try:
        model = dmn.parse(data, resource_name=filename)
    except dmn.DmnError as err:
        found = list(err.diagnostics) or [
            Diagnostic(code="invalid-dmn", severity=Severity.ERROR, message=str(err), file=filename)
        ]
        return None, found
    found = list(model.diagnostics)
    if not model.decisions:
        found.append(
            Diagnostic(
                code="no-decision",
                severity=Severity.ERROR,
                message="the DMN file defines no decision",
                file=filename,
            )
        )
        return None, found
    decided = [
        decisions.DecisionDef(key=d.id, name=d.name, version_tag=d.version_tag)
        for d in model.decisions.values()
    ]
    return definitions.Resource(
        filename, data, [], decisions=decided, requirements_key=model.name or None
    ), found


def decision_refs(resources: list[definitions.Resource]) -> dict[str, list[str]]:
    """Decision key → the business-rule tasks (``file: process/element``) that call it by a
    literal ``decisionRef`` / ``decisionId``, in the processes of ``resources``."""
    refs: dict[str, list[str]] = {}
    for resource in resources:
        for definition in resource.definitions:
            for node in definition.nodes.values():
                impl = getattr(node, "implementation", None)
                ref = impl.decision_ref if impl is not None and impl.kind == "decision" else None
                if ref is not None and ref.language == "literal":
                    where = f"{resource.name}: {definition.key}/{node.id}"
                    refs.setdefault(ref.source, []).append(where)
    return refs


async def undeployed_decisions(
    store: Store, resources: list[definitions.Resource]
) -> list[Diagnostic]:
    """A warning per business-rule task whose decision neither this deployment nor an
    earlier one holds: the task will open an incident until the decision is deployed."""
    refs = decision_refs(resources)
    here = {d.key for r in resources for d in r.decisions}
    known = here | await decisions.known_keys(store, set(refs) - here)
    return [
        Diagnostic(
            code="decision-not-deployed",
            severity=Severity.WARNING,
            message=(
                f"decision {key!r} is not deployed: {', '.join(sorted(where))} will open "
                "an incident until it is (deploy its .dmn file)"
            ),
            name=key,
        )
        for key, where in sorted(refs.items())
        if key not in known
    ]


@router.get(
    "/process-definitions",
    response_model=PageOut[DeployedDefinitionOut],
    summary="The latest version of every deployed process key, by key",
)
async def list_definitions(
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:deployment:read")],
    page: PageNumber = 0,
    size: PageSize = 50,
) -> PageOut[DeployedDefinitionOut]:
    found = await definitions.list_latest(store)
    return _paged(found, page, size)


def _paged(found: list[DeployedDefinition], page: int, size: int) -> PageOut[DeployedDefinitionOut]:
    chosen = found[page * size : (page + 1) * size]
    return PageOut[DeployedDefinitionOut](
        items=[DeployedDefinitionOut.of(d) for d in chosen], page=page, size=size, total=len(found)
    )


@router.get(
    "/process-definitions/{key}",
    response_model=DeployedDefinitionOut,
    summary="The latest (or ?version=) definition of a process key",
)
async def get_definition(
    key: str,
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:deployment:read")],
    version: VersionQuery = None,
) -> DeployedDefinitionOut:
    try:
        d = await definitions.find(store, key, version)
    except DefinitionNotFound as err:
        raise NotFound(str(err)) from err
    return DeployedDefinitionOut.of(d)


async def _version(store: Store, key: str, version: int | None) -> int:
    try:
        return (await definitions.find(store, key, version)).version
    except DefinitionNotFound as err:
        raise NotFound(str(err)) from err


@router.get(
    "/process-definitions/{key}/versions",
    response_model=PageOut[DeployedDefinitionOut],
    summary="Every deployed version of a process key, newest first",
    responses={404: {"description": "No such process key"}},
)
async def list_versions(
    key: str,
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:deployment:read")],
    page: PageNumber = 0,
    size: PageSize = 50,
) -> PageOut[DeployedDefinitionOut]:
    found = await definitions.list_versions(store, key)
    if not found:
        raise NotFound(f"no deployed process definition {key!r}")
    return _paged(found, page, size)


@router.get(
    "/process-definitions/{key}/xml",
    summary="The BPMN XML a definition was deployed from (latest or ?version=)",
    response_class=Response,
    responses={
        200: {"content": {"application/xml": {}}, "description": "The uploaded file"},
        404: {"description": "No such definition"},
    },
)
async def get_xml(
    key: str,
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:deployment:read")],
    version: VersionQuery = None,
) -> Response:
    xml = await definitions.load_xml(store, key, await _version(store, key, version))
    return Response(xml, media_type="application/xml")


@router.get(
    "/process-definitions/{key}/ir",
    summary="The compiled intermediate form the interpreter runs (latest or ?version=)",
    response_class=Response,
    responses={
        200: {"content": {"application/json": {}}, "description": "Canonical IR JSON"},
        404: {"description": "No such definition"},
    },
)
async def get_ir(
    key: str,
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:deployment:read")],
    version: VersionQuery = None,
) -> Response:
    ir = await definitions.load_ir_json(store, key, await _version(store, key, version))
    return Response(ir, media_type="application/json")
