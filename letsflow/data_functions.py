"""LetsFlow's data functions: ``<ref>`` (JMESPath), ``<tpl>`` (mustache), ``<select>``.

A scenario embeds them anywhere a value may be computed from the process (titles,
instructions, ``if`` conditions, update values, action properties). ``apply_fn`` walks a
value and replaces each function object by its result against ``data`` -- the process
seen as ``{scenario, actors, vars, result, current, previous, events, ...}``.

``<ref>`` speaks LetsFlow's JMESPath dialect, built here on jmespath-community (which
already has the root reference ``$``, ``let`` and arithmetic):

* bare integers are literals (``age >= 21``, ``16 + 26``), not only backticked ones;
* the extra functions ``if, range, to_object, json_serialize, json_parse, sha256,
  sha512, uuid, regex_test, regex_match, regex_match_all, regex_replace``. Regular
  expressions are written JavaScript-style, ``'/pattern/flags'``.

Everything is deterministic except ``uuid()`` without a name (a v4 UUID). Callers inside
a workflow pass ``new_uuid`` (from ``workflow.uuid4``) so replays see the same value.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import pystache
from jmespath import ast as jmespath_ast
from jmespath import exceptions as jmespath_errors
from jmespath import functions, parser, visitor

from letsflow.errors import ScenarioError
from letsflow.identity import stable_json

UuidFactory = Callable[[], str]


class ExpressionError(ScenarioError):
    """A ``<ref>`` that does not parse or fails to evaluate (bad function arguments)."""


class _Parser(parser.Parser):  # type: ignore[misc]
    """JMESPath with bare integer literals, as in LetsFlow's fork. Index and slice
    positions (``a[1]``, ``a[1:2]``) are parsed by the base parser before this is
    reached, so only a number in expression position becomes a literal."""

    _CACHE: ClassVar[dict[str, Any]] = {}  # not the base class's cache: its parses differ

    def _token_nud_number(self, token: dict[str, Any]) -> Any:
        return jmespath_ast.literal(token["value"])


def _js_regex(spec: str) -> tuple[re.Pattern[str], bool]:
    """``'/pattern/flags'`` -> a compiled pattern and whether ``g`` was given. A string
    without slashes is taken as a bare pattern."""
    match = re.fullmatch(r"/(.*)/([a-z]*)", spec, re.S)
    pattern, flags = (match.group(1), match.group(2)) if match else (spec, "")
    pattern = re.sub(r"\(\?<([A-Za-z_]\w*)>", r"(?P<\1>", pattern)  # named groups
    bits = 0
    for flag, bit in (("i", re.I), ("m", re.M), ("s", re.S)):
        if flag in flags:
            bits |= bit
    try:
        return re.compile(pattern, bits), "g" in flags
    except re.error as exc:
        raise ExpressionError(f"invalid regular expression {spec!r}: {exc}") from exc


def _js_replacement(replacement: str) -> Callable[[re.Match[str]], str]:
    """JavaScript replacement patterns: ``$1``, ``$<name>``, ``$&`` and ``$$``."""

    def expand(found: re.Match[str]) -> str:
        def one(token: re.Match[str]) -> str:
            text = token.group(0)
            if text == "$$":
                return "$"
            if text == "$&":
                return found.group(0)
            if text.startswith("$<"):
                return found.group(text[2:-1]) or ""
            index = int(text[1:])
            return (found.group(index) or "") if index <= (found.re.groups or 0) else text

        return re.sub(r"\$\$|\$&|\$<[A-Za-z_]\w*>|\$\d{1,2}", one, replacement)

    return expand


class _Functions(functions.Functions):  # type: ignore[misc]
    def __init__(self, new_uuid: UuidFactory | None) -> None:
        super().__init__()
        self._new_uuid = new_uuid

    @functions.signature({"types": ["boolean"]}, {"types": []}, {"types": [], "optional": True})  # type: ignore[untyped-decorator]
    def _func_if(self, condition: bool, then: Any, otherwise: Any = None) -> Any:
        return then if condition else otherwise

    @functions.signature(
        {"types": ["number"]},
        {"types": ["number"], "optional": True},
        {"types": ["string"], "optional": True},
    )  # type: ignore[untyped-decorator]
    def _func_range(self, first: int, end: int | None = None, prefix: str | None = None) -> Any:
        start, stop = (0, first) if end is None else (first, end)
        numbers = range(int(start), int(stop))
        return [f"{prefix}{n}" for n in numbers] if prefix is not None else list(numbers)

    @functions.signature({"types": ["array"]})  # type: ignore[untyped-decorator]
    def _func_to_object(self, entries: list[Any]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for entry in entries:
            if not isinstance(entry, list) or len(entry) != 2 or not isinstance(entry[0], str):
                raise ExpressionError("to_object() takes an array of [key, value] pairs")
            result[entry[0]] = entry[1]
        return result

    @functions.signature({"types": []})  # type: ignore[untyped-decorator]
    def _func_json_serialize(self, value: Any) -> str:
        return stable_json(value)

    @functions.signature({"types": ["string"]})  # type: ignore[untyped-decorator]
    def _func_json_parse(self, text: str) -> Any:
        try:
            return json.loads(text)
        except ValueError as exc:
            raise ExpressionError(f"json_parse(): {exc}") from exc

    @functions.signature({"types": ["string"]})  # type: ignore[untyped-decorator]
    def _func_sha256(self, text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    @functions.signature({"types": ["string"]})  # type: ignore[untyped-decorator]
    def _func_sha512(self, text: str) -> str:
        return hashlib.sha512(text.encode()).hexdigest()

    @functions.signature(
        {"types": ["string"], "optional": True}, {"types": ["string"], "optional": True}
    )  # type: ignore[untyped-decorator]
    def _func_uuid(self, name: str | None = None, namespace: str | None = None) -> str:
        if name is None:
            if self._new_uuid is None:
                raise ExpressionError("uuid() without a name needs a random source here")
            return self._new_uuid()
        try:
            space = uuid.UUID(namespace) if namespace is not None else uuid.UUID(int=0)
        except ValueError as exc:
            raise ExpressionError(f"uuid(): namespace {namespace!r} is not a UUID") from exc
        return str(uuid.uuid5(space, name))

    @functions.signature({"types": ["string"]}, {"types": ["string"]})  # type: ignore[untyped-decorator]
    def _func_regex_test(self, spec: str, text: str) -> bool:
        pattern, _ = _js_regex(spec)
        return pattern.search(text) is not None

    @functions.signature({"types": ["string"]}, {"types": ["string"]})  # type: ignore[untyped-decorator]
    def _func_regex_match(self, spec: str, text: str) -> Any:
        pattern, every = _js_regex(spec)
        if every:  # like String.match with /g: every whole match
            return [m.group(0) for m in pattern.finditer(text)] or None
        found = pattern.search(text)
        return [found.group(0), *found.groups()] if found else None

    @functions.signature({"types": ["string"]}, {"types": ["string"]})  # type: ignore[untyped-decorator]
    def _func_regex_match_all(self, spec: str, text: str) -> list[list[Any]]:
        pattern, _ = _js_regex(spec)
        return [[m.group(0), *m.groups()] for m in pattern.finditer(text)]

    @functions.signature({"types": ["string"]}, {"types": ["string"]}, {"types": ["string"]})  # type: ignore[untyped-decorator]
    def _func_regex_replace(self, spec: str, replacement: str, text: str) -> str:
        pattern, every = _js_regex(spec)
        return pattern.sub(_js_replacement(replacement), text, count=0 if every else 1)


def ref(expression: str, data: Any, *, new_uuid: UuidFactory | None = None) -> Any:
    """Evaluate one ``<ref>`` expression."""
    try:
        parsed = _Parser().parse(expression)
        options = visitor.Options(custom_functions=_Functions(new_uuid))
        return parsed.search(data, options=options)
    except jmespath_errors.JMESPathError as exc:
        raise ExpressionError(f"<ref> {expression!r}: {exc}") from exc


_RENDERER = pystache.Renderer(escape=lambda text: text, missing_tags="ignore")


def tpl(template: str, view: Any, partials: Mapping[str, str] | None = None) -> str:
    """Render mustache without HTML escaping (LetsFlow renders text, not pages)."""
    renderer = (
        pystache.Renderer(escape=lambda text: text, missing_tags="ignore", partials=partials)
        if partials
        else _RENDERER
    )
    try:
        return str(renderer.render(template, view))
    except Exception as exc:  # pystache raises its own parse errors and KeyErrors
        raise ExpressionError(f"<tpl>: {exc}") from exc


def _select(spec: Any, data: Any, new_uuid: UuidFactory | None) -> Any:
    if not isinstance(spec, dict) or "$" not in spec:
        raise ExpressionError("<select> needs an object with '$'")
    chosen = apply_fn(spec["$"], data, new_uuid=new_uuid)
    key = chosen if isinstance(chosen, str) else stable_json(chosen)
    if key in spec and key != "$":
        return apply_fn(spec[key], data, new_uuid=new_uuid)
    return apply_fn(spec.get("*"), data, new_uuid=new_uuid)


def is_fn(value: Any) -> bool:
    return isinstance(value, dict) and any(k in value for k in ("<ref>", "<tpl>", "<select>"))


def apply_fn(subject: Any, data: Any, *, new_uuid: UuidFactory | None = None) -> Any:
    """``subject`` with every data function replaced by its value against ``data``."""
    if isinstance(subject, list):
        return [apply_fn(item, data, new_uuid=new_uuid) for item in subject]
    if not isinstance(subject, dict):
        return subject
    if "<ref>" in subject:
        expression = subject["<ref>"]
        return ref(expression, data, new_uuid=new_uuid) if isinstance(expression, str) else None
    if "<tpl>" in subject:
        spec = subject["<tpl>"]
        if isinstance(spec, str):
            return tpl(spec, data)
        if isinstance(spec, dict) and isinstance(spec.get("template"), str):
            view = apply_fn(spec["view"], data, new_uuid=new_uuid) if "view" in spec else data
            partials = spec.get("partials")
            return tpl(spec["template"], view, partials if isinstance(partials, dict) else None)
        return None
    if "<select>" in subject:
        return _select(subject["<select>"], data, new_uuid)
    return {k: apply_fn(v, data, new_uuid=new_uuid) for k, v in subject.items()}
