"""Application data models: per application, a versioned tree of typed fields, and the
instance data it describes.

The instance data *is* the business data of process instances (``store.business_data``,
keyed by the instance id): a model gives that data a structure to read by path
(``client.surname``) and to check writes against. Models are versioned per application
like process definitions; the latest version is the one in force.

Exception tree::

    StoreError
     └── DataModelError
          ├── PathError             a path that is malformed, not in the model, or not in the data
          ├── DataModelViolation    data that breaks the model (carries every problem)
          └── VersionConflict       a registration that is not the next version
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import String, Table, UniqueConstraint, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, aliased, mapped_column

from store.db import Store, StoreError
from store.models import Base, BusinessData
from store.queries import Page, paged

#: The types a field can have. ``date`` is ``YYYY-MM-DD``, ``datetime`` ISO 8601 with a
#: time; both travel as JSON strings.
FIELD_TYPES: tuple[str, ...] = (
    "string",
    "number",
    "integer",
    "boolean",
    "date",
    "datetime",
    "object",
    "array",
)
SCALAR_TYPES = frozenset(FIELD_TYPES) - {"object", "array"}
NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_-]{0,127}$"
APPLICATION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
MAX_DEPTH = 32
MAX_NODES = 5000
MAX_PROBLEMS = 50
_NAME = re.compile(NAME_PATTERN)
_INDEX = re.compile(r"^[0-9]{1,9}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")

_TYPE_DOC = "One of " + ", ".join(FIELD_TYPES) + "."


class DataModelRecord(Base):
    """One version of one application's data model. Rows are never changed: a new
    structure is a new version."""

    __tablename__ = "data_models"
    __table_args__ = (
        UniqueConstraint("application", "version", name="uq_data_model_application_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    application: Mapped[str] = mapped_column(String(128))
    version: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), doc="of the root node's canonical JSON")
    name: Mapped[str] = mapped_column(String(255), doc="the root node's name")
    structure: Mapped[dict[str, Any]] = mapped_column(doc="the root node (RootSpec)")
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(255))


# --- the structure ---------------------------------------------------------------------


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ItemSpec(_Spec):
    """What each element of an array is: a type, with fields or items of its own."""

    type: str = Field(
        max_length=64, description=_TYPE_DOC, json_schema_extra={"enum": list(FIELD_TYPES)}
    )
    description: str | None = Field(
        default=None, max_length=4000, description="What the value means, for people."
    )
    fields: list[FieldSpec] | None = Field(
        default=None, description="type object: its fields (at least one)."
    )
    items: ItemSpec | None = Field(default=None, description="type array: what each element is.")


class FieldSpec(_Spec):
    """A named, typed field; objects have fields, arrays items."""

    name: str = Field(
        max_length=128,
        description="The field's key in the data: a letter or _, then letters, digits, _ or -.",
    )
    type: str = Field(
        max_length=64, description=_TYPE_DOC, json_schema_extra={"enum": list(FIELD_TYPES)}
    )
    required: bool = Field(
        default=False, description="Whether an object written whole must carry this field."
    )
    description: str | None = Field(
        default=None, max_length=4000, description="What the field means, for people."
    )
    fields: list[FieldSpec] | None = Field(
        default=None, description="type object: its fields (at least one)."
    )
    items: ItemSpec | None = Field(default=None, description="type array: what each element is.")


class RootSpec(_Spec):
    """The model's root: the whole instance data, an object with these fields."""

    name: str = Field(min_length=1, max_length=255, description="The model's name, for people.")
    description: str | None = Field(
        default=None, max_length=4000, description="What the model holds, for people."
    )
    fields: list[FieldSpec] = Field(description="The top-level fields of the instance data.")


ItemSpec.model_rebuild()
FieldSpec.model_rebuild()
RootSpec.model_rebuild()

Node = RootSpec | FieldSpec | ItemSpec


@dataclass(frozen=True)
class DataProblem:
    """One thing wrong: ``field`` is the path it is at (``client.surname``, or
    ``client.addresses[]`` for a model's array items), ``message`` what is wrong there."""

    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class DataModelError(StoreError):
    """Root of the data-model errors."""


class PathError(DataModelError):
    """A path that is malformed, not in the model, or cannot be walked in the data."""


class DataModelViolation(DataModelError):
    def __init__(self, problems: Sequence[DataProblem], what: str = "the data") -> None:
        self.problems = list(problems)
        first = self.problems[0] if self.problems else DataProblem("(root)", "invalid")
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(f"{what} breaks the model: {first}{more}")


class VersionConflict(DataModelError):
    def __init__(self, application: str, expected: int, latest: int) -> None:
        self.expected = expected
        self.latest = latest
        super().__init__(
            f"the next version of {application!r} is {expected} (latest is {latest}); "
            "read the model again and retry"
        )


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def structure_problems(root: RootSpec) -> list[DataProblem]:
    """Everything wrong with a structure: names (syntax, duplicates among siblings),
    types, fields/items that do not fit the type, depth and size. Empty when valid."""
    problems: list[DataProblem] = []
    nodes = 0

    def fields_of(fields: Sequence[FieldSpec], where: str, depth: int) -> None:
        seen: set[str] = set()
        for index, spec in enumerate(fields):
            named = bool(_NAME.fullmatch(spec.name))
            here = _join(where, spec.name if named else f"#{index}")
            if not named:
                problems.append(
                    DataProblem(
                        here,
                        f"invalid name {spec.name!r}: a letter or _, then letters, digits, "
                        "_ or - (dots separate path segments)",
                    )
                )
            elif spec.name in seen:
                problems.append(DataProblem(here, f"duplicate field name {spec.name!r}"))
            seen.add(spec.name)
            node(spec, here, depth + 1)

    def node(spec: FieldSpec | ItemSpec, where: str, depth: int) -> None:
        nonlocal nodes
        nodes += 1
        if nodes > MAX_NODES:
            if nodes == MAX_NODES + 1:
                problems.append(DataProblem(where, f"a model has at most {MAX_NODES} nodes"))
            return
        if depth > MAX_DEPTH:
            problems.append(DataProblem(where, f"nested deeper than {MAX_DEPTH} levels"))
            return
        if spec.type not in FIELD_TYPES:
            problems.append(
                DataProblem(where, f"unknown type {spec.type!r}; one of {', '.join(FIELD_TYPES)}")
            )
            return
        if spec.type == "object":
            if not spec.fields:
                problems.append(DataProblem(where, "an object needs fields (at least one)"))
            if spec.items is not None:
                problems.append(DataProblem(where, "only an array has items"))
            fields_of(spec.fields or [], where, depth)
        elif spec.type == "array":
            if spec.items is None:
                problems.append(DataProblem(where, "an array needs items (what each element is)"))
            else:
                node(spec.items, f"{where}[]", depth + 1)
            if spec.fields is not None:
                problems.append(DataProblem(where, "only an object has fields; give items"))
        elif spec.fields is not None or spec.items is not None:
            problems.append(DataProblem(where, f"type {spec.type} has neither fields nor items"))

    if not root.fields:
        problems.append(DataProblem("(root)", "a model needs fields (at least one)"))
    fields_of(root.fields, "", 0)
    return problems[:MAX_PROBLEMS]


# --- paths ---------------------------------------------------------------------------------


def parse_path(text: str | None) -> tuple[str, ...]:
    """``client.addresses.0.city`` → its segments; None or "" is the whole data. A
    segment is a field name or, below an array, an element index."""
    if not text:
        return ()
    if len(text) > 2048:
        raise PathError("a path has at most 2048 characters")
    segments = tuple(text.split("."))
    for segment in segments:
        if not (_NAME.fullmatch(segment) or _INDEX.fullmatch(segment)):
            raise PathError(
                f"invalid path {text!r}: segment {segment!r} is neither a field name nor an "
                "array index (segments are separated by dots)"
            )
    return segments


def node_at(root: RootSpec, segments: Sequence[str]) -> Node:
    """The model's node at a path; PathError naming the first segment the model lacks."""
    node: Node = root
    walked = ""
    for segment in segments:
        here = _join(walked, segment)
        if isinstance(node, RootSpec) or node.type == "object":
            fields = {f.name: f for f in node.fields or []}
            found = fields.get(segment)
            if found is None:
                known = ", ".join(sorted(fields)) or "nothing"
                raise PathError(f"{here}: not in the model ({walked or 'the root'} has {known})")
            node = found
        elif node.type == "array" and node.items is not None:
            if not _INDEX.fullmatch(segment):
                raise PathError(f"{here}: {walked} is an array; index it with a number")
            node = node.items
        else:
            raise PathError(f"{here}: not in the model ({walked} is {_article(node.type)})")
        walked = here
    return node


def type_of(node: Node) -> str:
    return "object" if isinstance(node, RootSpec) else node.type


_MISSING = object()


def value_at(data: Any, segments: Sequence[str]) -> Any:
    """The value at a path, or ``MISSING`` (compare with ``is_missing``)."""
    value = data
    for segment in segments:
        if isinstance(value, dict) and segment in value:
            value = value[segment]
        elif isinstance(value, list) and _INDEX.fullmatch(segment) and int(segment) < len(value):
            value = value[int(segment)]
        else:
            return _MISSING
    return value


def is_missing(value: Any) -> bool:
    return value is _MISSING


def deep_merge(old: Any, new: Any) -> Any:
    """``new`` over ``old``: objects merge field by field (null removes a field),
    anything else replaces."""
    if isinstance(old, dict) and isinstance(new, dict):
        merged = dict(old)
        for name, value in new.items():
            if value is None:
                merged.pop(name, None)
            else:
                merged[name] = deep_merge(merged.get(name), value)
        return merged
    return new


def merged_at(data: dict[str, Any] | None, segments: Sequence[str], value: Any) -> dict[str, Any]:
    """``data`` with ``value`` merged in at the path (``deep_merge``); missing objects on
    the way are created, array elements must exist. A null value removes the field."""

    def put(container: Any, rest: Sequence[str], walked: str) -> Any:
        if not rest:
            return deep_merge(container, value)
        head, tail = rest[0], rest[1:]
        here = _join(walked, head)
        if isinstance(container, list):
            if not _INDEX.fullmatch(head) or int(head) >= len(container):
                raise PathError(f"{here}: {walked} has no element {head} ({len(container)} in all)")
            changed = list(container)
            changed[int(head)] = put(container[int(head)], tail, here)
            return changed
        if container is None:
            container = {}
        if not isinstance(container, dict):
            raise PathError(
                f"{here}: {walked} holds {_article(_json_type(container))}, not an object"
            )
        changed_obj = dict(container)
        child = put(container.get(head), tail, here)
        if child is None:
            changed_obj.pop(head, None)
        else:
            changed_obj[head] = child
        return changed_obj

    result = put(data or {}, segments, "")
    if not isinstance(result, dict):
        raise PathError("the whole data must be an object")
    return result


# --- checking data against a model --------------------------------------------------------


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


_EXPECTED = {
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "a boolean",
    "date": "a date (YYYY-MM-DD)",
    "datetime": "a date-time (ISO 8601, e.g. 2024-05-01T12:00:00Z)",
}


def _scalar_problem(kind: str, value: Any) -> str | None:
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "string":
        ok = isinstance(value, str)
    elif kind == "number":
        ok = is_number and math.isfinite(value)
    elif kind == "integer":
        ok = is_number and (isinstance(value, int) or float(value).is_integer())
    elif kind == "boolean":
        ok = isinstance(value, bool)
    else:  # date, datetime: strings of a shape, and a real calendar date
        shape = _DATE.fullmatch if kind == "date" else _DATETIME.match
        ok = isinstance(value, str) and shape(value) is not None
        if ok:
            try:
                (date if kind == "date" else datetime).fromisoformat(value)
            except ValueError:
                return f"{value!r} is not a valid {kind}"
    return None if ok else f"expected {_EXPECTED[kind]}, got {_describe(value)}"


def _article(kind: str) -> str:
    return f"{'an' if kind[:1] in ('a', 'e', 'i', 'o', 'u') else 'a'} {kind}"


def _describe(value: Any) -> str:
    kind = _json_type(value)
    if kind in ("object", "array"):
        return _article(kind)
    text = json.dumps(value, default=str)
    return f"{kind} {text if len(text) <= 40 else text[:37] + '...'}"


def _check(node: Node, value: Any, where: str, problems: list[DataProblem]) -> None:
    if len(problems) >= MAX_PROBLEMS or value is None:
        return  # null is "absent": a required field's parent reports it
    kind = type_of(node)
    label = where or "(root)"
    if kind in SCALAR_TYPES:
        problem = _scalar_problem(kind, value)
        if problem:
            problems.append(DataProblem(label, problem))
        return
    if kind == "array":
        if not isinstance(value, list):
            problems.append(DataProblem(label, f"expected an array, got {_describe(value)}"))
            return
        assert not isinstance(node, RootSpec) and node.items is not None
        for index, element in enumerate(value):
            _check(node.items, element, _join(where, str(index)), problems)
        return
    if not isinstance(value, dict):
        problems.append(DataProblem(label, f"expected an object, got {_describe(value)}"))
        return
    fields = {f.name: f for f in node.fields or []}
    for name, spec in fields.items():
        if spec.required and value.get(name) is None:
            problems.append(DataProblem(_join(where, name), "required, but missing"))
        if name in value:
            _check(spec, value[name], _join(where, name), problems)
    for name in value:
        if name not in fields:
            problems.append(DataProblem(_join(where, str(name)), "not in the model"))


@dataclass(frozen=True)
class DataModel:
    """One registered version of an application's model."""

    application: str
    version: int
    sha256: str
    root: RootSpec
    created_at: datetime
    created_by: str | None

    @classmethod
    def of(cls, row: DataModelRecord) -> DataModel:
        created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
        return cls(
            application=row.application,
            version=row.version,
            sha256=row.sha256,
            root=RootSpec.model_validate(row.structure),
            created_at=created,
            created_by=row.created_by,
        )


def validate(
    model: DataModel | RootSpec, data: Any, *, path: Sequence[str] = ()
) -> list[DataProblem]:
    """Every way ``data`` breaks the model: wrong types, fields the model lacks, required
    fields missing, malformed dates. With ``path``, ``data`` is the value at that path
    (checked against the model's node there, problems named by full path). Required
    fields are checked on every object in ``data``: an object written whole must be
    complete, while a write at ``client.name`` need not bring ``client.surname`` along.
    Empty when the data fits."""
    root = model.root if isinstance(model, DataModel) else model
    try:
        node = node_at(root, path)
    except PathError as err:
        return [DataProblem(".".join(path), str(err).split(": ", 1)[-1])]
    problems: list[DataProblem] = []
    _check(node, data, ".".join(path), problems)
    return problems[:MAX_PROBLEMS]


# --- persistence ---------------------------------------------------------------------------


def canonical_sha256(root: RootSpec) -> str:
    text = json.dumps(
        root.model_dump(mode="json", exclude_none=True), sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _latest_query(application: str) -> Any:
    return (
        select(DataModelRecord)
        .where(DataModelRecord.application == application)
        .order_by(DataModelRecord.version.desc())
        .limit(1)
    )


async def latest(store: Store, application: str) -> DataModel | None:
    async with store.session() as session:
        row = await session.scalar(_latest_query(application))
    return DataModel.of(row) if row is not None else None


async def get(store: Store, application: str, version: int | None = None) -> DataModel | None:
    """One version, or the latest when ``version`` is None."""
    if version is None:
        return await latest(store, application)
    async with store.session() as session:
        row = await session.scalar(
            select(DataModelRecord).where(
                DataModelRecord.application == application, DataModelRecord.version == version
            )
        )
    return DataModel.of(row) if row is not None else None


async def register(
    store: Store, application: str, root: RootSpec, *, version: int | None, by: str | None
) -> tuple[DataModel, bool]:
    """Store ``root`` as the next version of the application's model; ``(model, True)``.
    A structure identical to the latest version stores nothing: ``(latest, False)``.
    ``version``, when given, must be the next version (VersionConflict otherwise), so
    two editors working from the same version cannot overwrite each other unseen.
    Validate with ``structure_problems`` first."""
    sha256 = canonical_sha256(root)
    try:
        async with store.session() as session, session.begin():
            current = await session.scalar(_latest_query(application))
            if current is not None and current.sha256 == sha256:
                return DataModel.of(current), False
            expected = (current.version if current is not None else 0) + 1
            if version is not None and version != expected:
                raise VersionConflict(application, expected, expected - 1)
            row = DataModelRecord(
                application=application,
                version=expected,
                sha256=sha256,
                name=root.name,
                structure=root.model_dump(mode="json", exclude_none=True),
                created_at=datetime.now(UTC),
                created_by=by,
            )
            session.add(row)
            await session.flush()
    except IntegrityError as err:  # another registration took this version meanwhile
        now = await latest(store, application)
        found = now.version if now is not None else 0
        raise VersionConflict(application, found + 1, found) from err
    return DataModel.of(row), True


async def listed(store: Store, *, page: int, size: int) -> Page[DataModelRecord]:
    """The latest version of every application's model, by application."""
    newer = aliased(DataModelRecord)
    newest = select(func.max(newer.version)).where(newer.application == DataModelRecord.application)
    query = select(DataModelRecord).where(DataModelRecord.version == newest.scalar_subquery())
    return await paged(store, query, [DataModelRecord.application.asc()], page=page, size=size)


def _create_empty(store: Store, ref: str, by: str | None) -> Any:
    insert = postgresql.insert if store.dialect == "postgresql" else sqlite.insert
    table = BusinessData.__table__
    assert isinstance(table, Table)
    return insert(table).values(ref=ref, data={}, updated_at=datetime.now(UTC), updated_by=by)


async def write(
    store: Store,
    ref: str,
    segments: Sequence[str],
    value: Any,
    *,
    by: str | None,
    model: DataModel | None = None,
) -> dict[str, Any]:
    """Merge ``value`` into the business data ``ref`` at the path (``merged_at``) and
    answer the whole data. With ``model``, the path must be in it and the value at the
    path after the merge must fit it, or nothing changes (DataModelViolation). Atomic
    against other writes, like ``business_data.merge``."""
    if model is not None:
        node_at(model.root, segments)  # PathError before anything is written
    async with store.session() as session, session.begin():
        await session.execute(_create_empty(store, ref, by).on_conflict_do_nothing())
        row = await session.get(BusinessData, ref, with_for_update=True)
        assert row is not None
        data = merged_at(dict(row.data), segments, value)
        if model is not None:
            written = value_at(data, segments)
            problems = validate(model, None if is_missing(written) else written, path=segments)
            if problems:
                raise DataModelViolation(problems, f"the value at {'.'.join(segments) or '(root)'}")
        row.data = data
        row.updated_at = datetime.now(UTC)
        row.updated_by = by
    return data
