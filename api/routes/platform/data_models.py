"""The application data model (Eximee API): per application, a versioned structure of
typed fields, and read access by path to the instance data it describes.

The instance data is the business data of process instances (``store.business_data``,
the ``businessData`` of ``/v1/bpms/process-instances``): the application in the path
chooses the model that interprets it. Processes write it with the ``baton.data.write``
service task (activities/data_model.py), checked against the model.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import Field

from api.auth import Principal, Requires
from api.deps import StoreDep
from api.problems import Conflict, Invalid, NotFound
from api.schemas import PageNumber, PageOut, PageSize, Wire
from store import business_data
from store import data_models as dm
from store.queries import as_utc

router = APIRouter(prefix="/v1/data-models", tags=["data models"])

Application = Annotated[
    str,
    Path(
        pattern=dm.APPLICATION_PATTERN,
        description="The application (e.g. `crm`): a letter or digit, then letters, digits, "
        "`.`, `_` or `-`.",
    ),
]


class DataModelIn(Wire):
    application: str | None = Field(
        default=None, description="When given, must be the application in the path."
    )
    version: int | None = Field(
        default=None,
        ge=1,
        description="The version this registration must become (the latest + 1), a guard "
        "against concurrent edits; omit to take the next one.",
    )
    root: dm.RootSpec = Field(description="The model's root: the fields of the instance data.")


class DataModelOut(Wire):
    application: str = Field(description="The application the model belongs to.")
    version: int = Field(description="The model's version, counted per application from 1.")
    sha256: str = Field(description="sha256 of the structure's canonical JSON.")
    new: bool = Field(description="False when the structure equals the latest version's.")
    root: dm.RootSpec = Field(description="The structure: the root and its fields.")
    created_at: datetime = Field(description="When this version was registered (UTC).")
    created_by: str | None = Field(description="Who registered it.")

    @classmethod
    def of(cls, model: dm.DataModel, *, new: bool = False) -> DataModelOut:
        return cls(
            application=model.application,
            version=model.version,
            sha256=model.sha256,
            new=new,
            root=model.root,
            created_at=model.created_at,
            created_by=model.created_by,
        )


class DataModelSummaryOut(Wire):
    application: str = Field(description="The application the model belongs to.")
    version: int = Field(description="Its latest version (the one in force).")
    name: str = Field(description="The model's name (its root's).")
    created_at: datetime = Field(description="When the latest version was registered (UTC).")
    created_by: str | None = Field(description="Who registered it.")


class InstanceDataOut(Wire):
    application: str = Field(description="The application whose model interprets the data.")
    model_version: int = Field(description="The model version used (the latest).")
    instance_id: str = Field(description="The process instance the data belongs to.")
    path: str | None = Field(description="The path asked for; null for the whole data.")
    value: Any = Field(description="The value at the path (any JSON).")
    type: str = Field(description="The model's type at the path (object for the whole data).")


_NO_MODEL = {"description": "No model registered for the application (or no such version)"}


async def _model(store: StoreDep, application: str, version: int | None = None) -> dm.DataModel:
    model = await dm.get(store, application, version)
    if model is None:
        which = f"version {version} of " if version is not None else ""
        raise NotFound(f"no {which}data model for application {application!r}")
    return model


@router.put(
    "/{application}",
    status_code=status.HTTP_201_CREATED,
    response_model=DataModelOut,
    response_model_exclude_none=True,
    summary="Register a new version of an application's data model",
    description=(
        "The structure is a tree: the root's `fields`, each `{name, type, required?, "
        "description?}` with `fields` (type object) or `items` (type array). Names are "
        "unique among siblings; types are string, number, integer, boolean, date, "
        "datetime, object and array. Each change is a new version (201); the latest is "
        "the one in force. The same structure again stores nothing (200, `new: false`)."
    ),
    responses={
        200: {"description": "Identical to the latest version: nothing new was stored"},
        409: {"description": "`version` is not the next version"},
        422: {"description": "Invalid structure; `errors` name each path and what is wrong"},
    },
)
async def put_data_model(
    application: Application,
    body: DataModelIn,
    response: Response,
    store: StoreDep,
    principal: Annotated[Principal, Requires("datamodel:write")],
) -> DataModelOut:
    if body.application is not None and body.application != application:
        raise Invalid(
            f"application: {body.application!r} is not the application in the path "
            f"({application!r})",
            field="application",
        )
    problems = dm.structure_problems(body.root)
    if problems:
        raise Invalid(str(problems[0]), errors=[p.as_dict() for p in problems])
    try:
        model, new = await dm.register(
            store, application, body.root, version=body.version, by=principal.subject
        )
    except dm.VersionConflict as err:
        raise Conflict(str(err), field="version", latest=err.latest) from err
    response.headers["Location"] = f"/v1/data-models/{application}"
    if not new:
        response.status_code = status.HTTP_200_OK
    return DataModelOut.of(model, new=new)


@router.get(
    "",
    response_model=PageOut[DataModelSummaryOut],
    summary="List the applications' data models (latest versions), by application",
    responses={422: {"description": "Invalid paging"}},
)
async def list_data_models(
    store: StoreDep,
    _: Annotated[Principal, Requires("datamodel:read")],
    page: PageNumber = 0,
    size: PageSize = 50,
) -> PageOut[DataModelSummaryOut]:
    found = await dm.listed(store, page=page, size=size)
    return PageOut[DataModelSummaryOut](
        items=[
            DataModelSummaryOut(
                application=row.application,
                version=row.version,
                name=row.name,
                created_at=as_utc(row.created_at) or row.created_at,
                created_by=row.created_by,
            )
            for row in found.items
        ],
        page=page,
        size=size,
        total=found.total,
    )


@router.get(
    "/{application}",
    response_model=DataModelOut,
    response_model_exclude_none=True,
    summary="The structure of an application's data model (latest unless a version is given)",
    responses={404: _NO_MODEL},
)
async def get_data_model(
    application: Application,
    store: StoreDep,
    _: Annotated[Principal, Requires("datamodel:read")],
    version: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="Omit for the latest version.")
    ] = None,
) -> DataModelOut:
    return DataModelOut.of(await _model(store, application, version))


@router.get(
    "/{application}/instances/{instance_id}/data",
    response_model=InstanceDataOut,
    summary="A process instance's data by path (`client.surname`), or all of it",
    description=(
        "Reads the instance's business data. `path` names a field by its names from the "
        "root, dot-separated; below an array, a number picks an element "
        "(`client.addresses.0.city`). Without `path`: the whole data."
    ),
    responses={
        404: {
            "description": "No model for the application, no data for the instance, or "
            "nothing at the path"
        },
        422: {"description": "The path is malformed or not in the model"},
    },
)
async def get_instance_data(
    application: Application,
    instance_id: str,
    store: StoreDep,
    _: Annotated[Principal, Requires("datamodel:read")],
    path: Annotated[
        str | None,
        Query(
            max_length=2048,
            description="Dot-separated field names (and array indexes), e.g. "
            "`client.surname`; omit for the whole data.",
        ),
    ] = None,
) -> InstanceDataOut:
    model = await _model(store, application)
    try:
        segments = dm.parse_path(path)
        node = dm.node_at(model.root, segments)
    except dm.PathError as err:
        raise Invalid(f"path: {err}", field="path") from err
    data = await business_data.get(store, instance_id)
    if data is None:
        raise NotFound(f"the process instance {instance_id} has no data", field="instanceId")
    value = dm.value_at(data, segments)
    if dm.is_missing(value):
        raise NotFound(f"the data of {instance_id} has nothing at {path}", field="path")
    return InstanceDataOut(
        application=application,
        model_version=model.version,
        instance_id=instance_id,
        path=path or None,
        value=value,
        type=dm.type_of(node),
    )
