"""``normalize``: a scenario as written → the full form the engine runs and hashes.

The normalized document is what gets stored, served and content-addressed (see
:mod:`letsflow.identity`), so it must come out exactly as LetsFlow's ``normalize()``
would write it, key order included: defaults are appended after the author's keys and
existing keys keep their place, as JavaScript objects do.
"""

from __future__ import annotations

from typing import Any

from letsflow.actions import add_implicit_actions, normalize_actions
from letsflow.actors import normalize_actors
from letsflow.errors import Path, ScenarioError
from letsflow.fn import is_fn
from letsflow.js_compat import set_default
from letsflow.naming import SCENARIO_SCHEMA
from letsflow.notify import resolve_notify
from letsflow.schema import expand_schema, expand_schemas, string_to_schema
from letsflow.states import add_implicit_end_states, normalize_states
from letsflow.validate import check_scenario

_MAX_DEPTH = 200


def normalize(scenario: dict[str, Any]) -> dict[str, Any]:
    """The normalized form of ``scenario`` (a new document; the input is not changed).

    Raises :class:`~letsflow.errors.ScenarioError` naming the path of the first problem.
    Normalizing a normalized scenario changes nothing. A given ``id`` is dropped: the id
    is computed from the content (:func:`letsflow.identity.scenario_id`).
    """
    body = json_tree(scenario)
    check_scenario(body)
    body.pop("id", None)
    body.pop("$schema", None)
    out: dict[str, Any] = {"$schema": SCENARIO_SCHEMA, **body}

    set_default(out, "title", "")
    set_default(out, "description", "")
    set_default(out, "tags", [])
    set_default(out, "actors", {"actor": {"title": "actor"}})
    set_default(out, "actions", {})
    set_default(out, "vars", {})

    normalize_actors(out["actors"], ("actors",))
    normalize_actions(out["actions"], ("actions",))
    normalize_states(out["states"], ("states",))
    expand_schemas(out["vars"], ("vars",), set_title=True)
    out["result"] = _result(out.get("result"))

    add_implicit_actions(out)
    add_implicit_end_states(out["states"])
    resolve_notify(out["states"], out["actions"])
    return out


def _result(result: Any) -> Any:
    if result is None:
        return {}
    if isinstance(result, str):
        return string_to_schema(result)
    if isinstance(result, dict) and not is_fn(result):
        expand_schema(result, ("result",))
    return result


def json_tree(value: Any, path: Path = ()) -> Any:
    """A copy of ``value`` that shares no containers (mapping keys must be strings).

    YAML aliases make one object appear in several places; normalization rewrites in
    place, so a shared object would be rewritten twice (and a cycle never end).
    """
    return _copy(value, path, set())


def _copy(value: Any, path: Path, ancestors: set[int]) -> Any:
    if isinstance(value, dict | list):
        if id(value) in ancestors:
            raise ScenarioError("the document refers to itself", path)
        if len(ancestors) >= _MAX_DEPTH:
            raise ScenarioError(f"nested more than {_MAX_DEPTH} levels deep", path)
        ancestors.add(id(value))
        try:
            if isinstance(value, list):
                return [_copy(item, (*path, i), ancestors) for i, item in enumerate(value)]
            out: dict[str, Any] = {}
            for key, item in value.items():
                if not isinstance(key, str):
                    raise ScenarioError(f"key {key!r} is not a string", path)
                out[key] = _copy(item, (*path, key), ancestors)
            return out
        finally:
            ancestors.discard(id(value))
    return value
