"""Reading and writing scenarios as YAML, with LetsFlow's custom tags.

LetsFlow reads YAML 1.2 (the JavaScript ``yaml`` package, core schema), where ``on:``
is a string and ``2025-01-01`` is text; PyYAML speaks YAML 1.1, where the first is
``True`` and the second a date. Every LetsFlow scenario has ``on:`` keys, so the loader
here swaps in the YAML 1.2 core-schema rules. It also understands the tags LetsFlow adds:

=========================  =================================================
YAML                       JSON
=========================  =================================================
``!ref expr``              ``{"<ref>": "expr"}``
``!tpl text`` / mapping    ``{"<tpl>": "text"}`` / ``{"<tpl>": {...}}``
``!select {...}``          ``{"<select>": {...}}``
``!fn type`` / mapping     ``{"oneOf": [{"type": "type"} | {...}, {"$ref": <fn schema>}]}``
``!const v``               ``{"const": v}`` (v read like JavaScript ``Number()``)
``!enum [...]``            ``{"enum": [...]}``
``!default v``             ``{"default": v, "type": <type of v>}``
``!format f``              ``{"type": "string", "format": "f"}``
``!pattern p``             ``{"type": "string", "pattern": "p"}``
``!required type``/mapping ``{"type": "type", "!required": true}`` / ``{..., "!required": true}``
``!merge path``            ``{"mode": "merge", "set": "path"}``
``!append path``           ``{"mode": "append", "set": "path"}``
=========================  =================================================

Merge keys (``<<: *anchor``) work, mapping keys become strings as in JavaScript, and JSON
text is accepted (JSON is YAML). :func:`dump_yaml` writes ``!ref``/``!tpl``/``!select``
back as tags, for clients that ask for ``application/yaml``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Hashable
from typing import Any, Final

import yaml
from yaml.composer import Composer, ComposerError
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.emitter import Emitter
from yaml.events import AliasEvent, ScalarEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.representer import SafeRepresenter
from yaml.resolver import BaseResolver, Resolver
from yaml.scanner import Scanner
from yaml.serializer import Serializer

from letsflow.errors import ScenarioError
from letsflow.fn import REF, SELECT, TPL
from letsflow.js_compat import object_key, parse_number
from letsflow.naming import FN_SCHEMA
from letsflow.schema import REQUIRED_FLAG

MAX_ALIASES: Final = 100
"""Aliases allowed in one document (as in the JavaScript ``yaml`` package): a bound on
"billion laughs" documents, whose expansion would blow up the hashed JSON."""

_T = "tag:yaml.org,2002:"
_MERGE = _T + "merge"
_TEXT_TAGS = ("!ref", "!tpl")


# -- YAML 1.2 core schema ---------------------------------------------------------------

_CORE_RESOLVERS: Final[list[tuple[str, str, str]]] = [
    (_T + "null", r"^(?:~|null|Null|NULL|)\Z", "~nN"),
    (_T + "bool", r"^(?:true|True|TRUE|false|False|FALSE)\Z", "tTfF"),
    (_T + "int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)\Z", "-+0123456789"),
    (
        _T + "float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\Z",
        "-+.0123456789",
    ),
    (_MERGE, r"^<<\Z", "<"),
]


def _install(resolver: type[BaseResolver]) -> None:
    for tag, pattern, first in _CORE_RESOLVERS:
        starts = [*first, ""] if tag == _T + "null" else list(first)
        resolver.add_implicit_resolver(tag, re.compile(pattern), starts)


class _CoreResolver(BaseResolver):
    """Plain scalars resolved by the YAML 1.2 core schema only."""


_install(_CoreResolver)


class _DumpResolver(Resolver):
    """YAML 1.1 *and* 1.2 rules: a string either reader would misread gets quoted."""


_install(_DumpResolver)


# -- values of the helper tags ------------------------------------------------------------


def parse_value(text: str) -> Any:
    """A tag argument read as LetsFlow reads it: a number if ``Number()`` accepts it,
    then ``true``/``false``/``~``, else the text itself."""
    number = parse_number(text)
    if number is not None:
        return number
    if text in ("true", "false"):
        return text == "true"
    if text == "~":
        return None
    return text


def _value_type(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, float):
        return {"type": "integer" if value.is_integer() else "number"}
    return {"type": "string"}


# -- loading --------------------------------------------------------------------------------


class _Constructor(SafeConstructor):
    """Builds JSON values: string keys, no duplicate keys, LetsFlow's tags."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        """Keys become strings first (``1`` and ``true`` differ, as in JavaScript);
        a key written twice is an error, one brought in by ``<<`` may be overridden."""
        own: set[str] = set()
        for key_node, _ in node.value:
            if key_node.tag != _MERGE:
                key = self._key(key_node)
                if key in own:
                    raise ConstructorError(
                        None, None, f"duplicate key {key!r}", key_node.start_mark
                    )
                own.add(key)
        self.flatten_mapping(node)
        mapping: dict[Hashable, Any] = {}
        for key_node, value_node in node.value:
            mapping[self._key(key_node)] = self.construct_object(value_node, deep=deep)
        return mapping

    def _key(self, node: Node) -> str:
        value = self.construct_object(node, deep=True) if isinstance(node, ScalarNode) else None
        if not isinstance(node, ScalarNode) or isinstance(value, dict | list):
            raise ConstructorError(None, None, "mapping keys must be scalars", node.start_mark)
        return object_key(value)

    def construct_core_int(self, node: ScalarNode) -> int:
        text = str(self.construct_scalar(node))
        try:
            if text[:2] in ("0o", "0x"):
                return int(text[2:], 8 if text[1] == "o" else 16)
            return int(text, 10)
        except ValueError:
            raise ConstructorError(
                None, None, f"invalid integer {text!r}", node.start_mark
            ) from None

    def construct_core_float(self, node: ScalarNode) -> float:
        text = str(self.construct_scalar(node)).lower()
        if text.endswith(".inf"):
            return -math.inf if text.startswith("-") else math.inf
        if text == ".nan":
            return math.nan
        try:
            return float(text)
        except ValueError:
            raise ConstructorError(
                None, None, f"invalid number {text!r}", node.start_mark
            ) from None

    def construct_core_bool(self, node: ScalarNode) -> bool:
        return str(self.construct_scalar(node)).lower() == "true"

    # The LetsFlow tags.

    def _scalar(self, node: Node, tag: str) -> str:
        if not isinstance(node, ScalarNode):
            raise ConstructorError(None, None, f"{tag} takes a scalar", node.start_mark)
        return str(self.construct_scalar(node))

    def _map(self, node: Node, tag: str) -> dict[Hashable, Any]:
        if not isinstance(node, MappingNode):
            raise ConstructorError(None, None, f"{tag} takes a mapping", node.start_mark)
        return self.construct_mapping(node, deep=True)

    def construct_ref(self, node: Node) -> dict[str, Any]:
        return {REF: self._scalar(node, "!ref")}

    def construct_tpl(self, node: Node) -> dict[str, Any]:
        if isinstance(node, MappingNode):
            return {TPL: self._map(node, "!tpl")}
        return {TPL: self._scalar(node, "!tpl")}

    def construct_select(self, node: Node) -> dict[str, Any]:
        return {SELECT: self._map(node, "!select")}

    def construct_fn(self, node: Node) -> dict[str, Any]:
        if isinstance(node, MappingNode):
            schema: dict[Hashable, Any] = self._map(node, "!fn")
        else:
            schema = {"type": self._scalar(node, "!fn")}
        return {"oneOf": [schema, {"$ref": FN_SCHEMA}]}

    def construct_const(self, node: Node) -> dict[str, Any]:
        return {"const": parse_value(self._scalar(node, "!const"))}

    def construct_enum(self, node: Node) -> dict[str, Any]:
        if not isinstance(node, SequenceNode):
            raise ConstructorError(None, None, "!enum takes a sequence", node.start_mark)
        return {"enum": self.construct_sequence(node, deep=True)}

    def construct_default(self, node: Node) -> dict[str, Any]:
        value = parse_value(self._scalar(node, "!default"))
        return {"default": value, **_value_type(value)}

    def construct_format(self, node: Node) -> dict[str, Any]:
        return {"type": "string", "format": self._scalar(node, "!format")}

    def construct_pattern(self, node: Node) -> dict[str, Any]:
        return {"type": "string", "pattern": self._scalar(node, "!pattern")}

    def construct_required(self, node: Node) -> dict[Hashable, Any]:
        if isinstance(node, MappingNode):
            return {**self._map(node, "!required"), REQUIRED_FLAG: True}
        type_name = self._scalar(node, "!required")
        return {"type": type_name, REQUIRED_FLAG: True} if type_name else {REQUIRED_FLAG: True}

    def construct_merge_mode(self, node: Node) -> dict[str, Any]:
        return {"mode": "merge", "set": self._scalar(node, "!merge")}

    def construct_append_mode(self, node: Node) -> dict[str, Any]:
        return {"mode": "append", "set": self._scalar(node, "!append")}


# Only JSON-compatible values: no dates, sets, binary data or Python objects.
_Constructor.yaml_constructors = {
    _T + "null": SafeConstructor.construct_yaml_null,
    _T + "bool": _Constructor.construct_core_bool,
    _T + "int": _Constructor.construct_core_int,
    _T + "float": _Constructor.construct_core_float,
    _T + "str": SafeConstructor.construct_yaml_str,
    _T + "seq": SafeConstructor.construct_yaml_seq,
    _T + "map": SafeConstructor.construct_yaml_map,
    "!ref": _Constructor.construct_ref,
    "!tpl": _Constructor.construct_tpl,
    "!select": _Constructor.construct_select,
    "!fn": _Constructor.construct_fn,
    "!const": _Constructor.construct_const,
    "!enum": _Constructor.construct_enum,
    "!default": _Constructor.construct_default,
    "!format": _Constructor.construct_format,
    "!pattern": _Constructor.construct_pattern,
    "!required": _Constructor.construct_required,
    "!merge": _Constructor.construct_merge_mode,
    "!append": _Constructor.construct_append_mode,
    None: SafeConstructor.construct_undefined,
}


class ScenarioLoader(Reader, Scanner, Parser, Composer, _Constructor, _CoreResolver):
    """PyYAML loader for scenarios: YAML 1.2 core schema plus LetsFlow's tags."""

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        _Constructor.__init__(self)
        _CoreResolver.__init__(self)
        self._aliases = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.check_event(AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise ComposerError(None, None, f"more than {MAX_ALIASES} aliases", mark)
        return super().compose_node(parent, index)


def load_yaml(text: str | bytes) -> Any:
    """Parse one YAML (or JSON) document into JSON values.

    Raises :class:`ScenarioError` with the line and column of a syntax error.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise ScenarioError(f"the document is not UTF-8: {err.reason}") from None
    text = text.removeprefix("\ufeff")
    if text.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(text, parse_constant=_reject_constant)
        except (json.JSONDecodeError, ValueError):
            pass  # not JSON after all (e.g. a YAML flow mapping with tags): read it as YAML
    loader = ScenarioLoader(text)
    try:
        document = loader.get_single_data()
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        message = ": ".join(p for p in (err.context, err.problem) if p) or "invalid YAML"
        if mark is None:
            raise ScenarioError(message) from None
        raise ScenarioError(message, line=mark.line + 1, column=mark.column + 1) from None
    except yaml.YAMLError as err:
        raise ScenarioError(f"invalid YAML: {err}") from None
    finally:
        loader.dispose()
    return document


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# -- dumping --------------------------------------------------------------------------------


class _Representer(SafeRepresenter):
    """Data functions as tags, multi-line text as literal blocks, ``1.0`` as ``1``."""

    def ignore_aliases(self, data: Any) -> bool:  # noqa: ARG002 (PyYAML's signature)
        """Repeat shared values instead of writing ``&id001`` anchors."""
        return True

    def represent_json_map(self, data: dict[str, Any]) -> Node:
        if len(data) == 1:
            ((key, value),) = data.items()
            if key == REF and isinstance(value, str):
                return self._tagged_text("!ref", value)
            if key == TPL and isinstance(value, str):
                return self._tagged_text("!tpl", value)
            if key == TPL and isinstance(value, dict):
                return self.represent_mapping("!tpl", value)
            if key == SELECT and isinstance(value, dict):
                return self.represent_mapping("!select", value)
        return self.represent_mapping(_T + "map", data)

    def _tagged_text(self, tag: str, text: str) -> Node:
        return self.represent_scalar(tag, text, style="|" if "\n" in text else None)

    def represent_text(self, data: str) -> Node:
        return self.represent_scalar(_T + "str", data, style="|" if "\n" in data else None)

    def represent_number(self, data: float) -> Node:
        if math.isfinite(data) and data.is_integer():
            return self.represent_int(int(data))
        return self.represent_float(data)


_Representer.add_representer(dict, _Representer.represent_json_map)
_Representer.add_representer(str, _Representer.represent_text)
_Representer.add_representer(float, _Representer.represent_number)


class ScenarioDumper(Emitter, Serializer, _Representer, _DumpResolver):
    """PyYAML dumper writing data functions back as ``!ref``/``!tpl``/``!select`` tags."""

    def choose_scalar_style(self) -> str:
        """Write ``!ref a.b`` rather than PyYAML's ``!ref 'a.b'`` where plain text is safe.

        A tagged scalar is never type-resolved, so plain style is fine whenever the text
        itself can be written plain.
        """
        style: str = super().choose_scalar_style()
        event = self.event
        if (
            style == "'"
            and isinstance(event, ScalarEvent)
            and event.tag in _TEXT_TAGS
            and not event.style
        ):
            analysis = self.analysis or self.analyze_scalar(event.value)
            plain_ok = analysis.allow_flow_plain if self.flow_level else analysis.allow_block_plain
            if plain_ok and not analysis.multiline and not analysis.empty:
                return ""
        return style

    def __init__(self, stream: Any, **kwargs: Any) -> None:
        Emitter.__init__(
            self,
            stream,
            canonical=kwargs.get("canonical"),
            indent=kwargs.get("indent"),
            width=kwargs.get("width"),
            allow_unicode=kwargs.get("allow_unicode"),
            line_break=kwargs.get("line_break"),
        )
        Serializer.__init__(
            self,
            encoding=kwargs.get("encoding"),
            explicit_start=kwargs.get("explicit_start"),
            explicit_end=kwargs.get("explicit_end"),
            version=kwargs.get("version"),
            tags=kwargs.get("tags"),
        )
        _Representer.__init__(
            self,
            default_style=kwargs.get("default_style"),
            default_flow_style=kwargs.get("default_flow_style", False),
            sort_keys=kwargs.get("sort_keys", False),
        )
        _DumpResolver.__init__(self)


def dump_yaml(data: Any) -> str:
    """YAML text for ``data``, key order kept; :func:`load_yaml` reads it back equal."""
    text: str = yaml.dump(
        data,
        Dumper=ScenarioDumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=100,
    )
    return text
