"""Size bounds on the JSON a request hands to a workflow (variables, business data,
message payloads, LetsFlow responses).

Why here and not in the workflow: Temporal refuses a payload over 2 MB (and a gRPC
message over 4 MB) only *after* the command was accepted -- a start is half created, an
update's workflow task fails over and over, and the instance answers nothing for
minutes (issue 18). Everything that reaches a workflow therefore passes one check before
any call is made: the serialized JSON of each such field is at most
``Settings.max_variables_bytes`` (256 KiB by default, an eighth of the payload limit), and
an instance's variables together at most ``Settings.max_instance_variables_bytes``
(1 MiB), so its state, a continue-as-new and a service task's input stay well inside a
payload. A refusal is ``413`` problem+json naming the field, its size and the limit;
nothing is changed.

The check is a pydantic validator (:data:`Variables`, :data:`BoundedJson`), so every
request model that carries variables is bounded wherever it is used, by declaration, and
the routes need no code of their own. The bound is read from the process settings
(``BATON_MAX_VARIABLES_BYTES``), like every process-wide limit.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import AfterValidator, ValidationInfo
from pydantic.alias_generators import to_camel

from api.problems import ApiProblem
from core.settings import get_settings


class TooLarge(ApiProblem):
    """413: JSON over a size bound; names the field, its size and the limit (bytes)."""

    status = 413
    title = "Content too large"

    def __init__(self, field: str, size: int, limit: int, what: str = "") -> None:
        super().__init__(
            f"{field}: {what or 'the value'} is {size} bytes of JSON, over the limit of "
            f"{limit} bytes ({limit // 1024} KiB); nothing was changed",
            field=field,
            size=size,
            limit=limit,
        )


def json_size(value: Any) -> int:
    """Bytes of the compact UTF-8 JSON of ``value``: what a Temporal payload carries."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    return len(text.encode("utf-8"))


def check(field: str, value: Any, limit: int | None = None, what: str = "") -> None:
    """Raise :class:`TooLarge` when ``value`` serializes to more than ``limit`` bytes
    (default: the per-request variables bound)."""
    bound = get_settings().max_variables_bytes if limit is None else limit
    size = json_size(value)
    if size > bound:
        raise TooLarge(field, size, bound, what)


def check_instance_total(variables: dict[str, Any]) -> None:
    """All of an instance's variables after a write, against the per-instance bound."""
    check(
        "processData",
        variables,
        get_settings().max_instance_variables_bytes,
        "the instance's variables after this change",
    )


def _bounded(value: Any, info: ValidationInfo) -> Any:
    # a bare Body() parameter (ONEWEB's business objects) has no field name: the body
    field = to_camel(info.field_name) if info.field_name else "body"
    check(field, value)
    return value


#: The check as annotation metadata, for shapes other than the two below.
BOUNDED = AfterValidator(_bounded)
#: Process variables (or business data) sent by a client: a JSON object, bounded.
Variables = Annotated[dict[str, Any], BOUNDED]
#: Any JSON a client sends on to a workflow (a LetsFlow response, a message payload), bounded.
BoundedJson = Annotated[Any, BOUNDED]
