"""DMN XML to a validated :class:`~dmn.model.DmnModel`.

Every DMN version from 1.1 (Camunda 7's usual dialect) to 1.5 is read alike: elements are
matched by local name, so only the namespace differs. References (``href="#id"``) are
resolved here; one that points at nothing, a duplicate id, an unknown hit policy or bad
FEEL is an error diagnostic with element id and line, and :func:`read_model` raises
:class:`~dmn.errors.DmnError` carrying all of them at once.
"""

from __future__ import annotations

from collections.abc import Mapping

from lxml import etree

from dmn import model as m
from dmn.boxed import CAMUNDA_NS, Reader, child, children, line_of, local
from dmn.errors import DmnError, Severity
from dmn.itemtypes import read_item_definition

_Element = etree._Element
_PARSER_OPTIONS = {
    "resolve_entities": False,  # with load_dtd=False: XXE and billion laughs never expand
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}
_KIND_NAMES = {
    "literalExpression": "literalExpression",
    "decisionTable": "decisionTable",
    "context": "context",
    "invocation": "invocation",
    "relation": "relation",
    "list": "list",
    "functionDefinition": "functionDefinition",
    "conditional": "conditional",
    "filter": "filter",
    "for": "for",
    "some": "some",
    "every": "every",
}


def _href(el: _Element) -> str:
    """``#id`` (or ``namespace#id`` for an import) to the id."""
    return (el.get("href") or "").rsplit("#", 1)[-1]


def _type_ref(el: _Element) -> str | None:
    variable = child(el, "variable")
    return variable.get("typeRef") if variable is not None else None


def read_model(xml: bytes | str, *, resource_name: str = "") -> m.DmnModel:
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    file = resource_name or None
    try:
        root = etree.fromstring(data, etree.XMLParser(**_PARSER_OPTIONS))  # type: ignore[arg-type]
    except etree.XMLSyntaxError as exc:
        reader = Reader(frozenset(), file)
        reader.report("DMN-XML", f"not well-formed XML: {exc.msg}", None)
        bad = reader.diagnostics[0].model_copy(update={"line": exc.lineno})
        raise DmnError(diagnostics=[bad]) from exc
    if root.getroottree().docinfo.internalDTD is not None:
        reader = Reader(frozenset(), file)
        reader.report("DMN-XML", "a DOCTYPE is not allowed in DMN", root)
        raise DmnError(diagnostics=reader.diagnostics)
    if local(root) != "definitions":
        reader = Reader(frozenset(), file)
        reader.report("DMN-XML", f"the root element is <{local(root)}>, not <definitions>", root)
        raise DmnError(diagnostics=reader.diagnostics)

    # Every declared name may appear in FEEL (multi-word names with keywords in them)
    names = frozenset(
        name for el in root.iter() if isinstance(el.tag, str) for name in [el.get("name")] if name
    )
    reader = Reader(names, file, root.get("expressionLanguage"))
    _check_ids(reader, root)
    model = _read(reader, root, resource_name)
    errors = [d for d in reader.diagnostics if d.severity is Severity.ERROR]
    if errors:
        raise DmnError(diagnostics=reader.diagnostics)
    return model


def _check_ids(reader: Reader, root: _Element) -> None:
    seen: dict[str, _Element] = {}
    for el in root.iter():
        if not isinstance(el.tag, str) or etree.QName(el).namespace not in _dmn_namespaces(root):
            continue
        ident = el.get("id")
        if not ident:
            continue
        if ident in seen:
            reader.report(
                "DMN-DUPLICATE-ID",
                f"id {ident!r} is used twice (first on line {seen[ident].sourceline})",
                el,
            )
        else:
            seen[ident] = el


def _dmn_namespaces(root: _Element) -> set[str | None]:
    # the model's own namespace; DI shapes (DMNDI) repeat ids of their own kind
    return {etree.QName(root).namespace}


def _read(reader: Reader, root: _Element, resource_name: str) -> m.DmnModel:
    items = {}
    for el in children(root, "itemDefinition"):
        item = read_item_definition(reader, el)
        items[item.name] = item
    inputs: dict[str, m.InputData] = {}
    decisions: dict[str, m.Decision] = {}
    bkms: dict[str, m.Bkm] = {}
    services: dict[str, m.DecisionService] = {}
    elements: dict[str, _Element] = {}
    for el in children(root):
        kind, ident = local(el), el.get("id") or el.get("name") or ""
        if kind == "inputData":
            inputs[ident] = m.InputData(ident, el.get("name") or ident, _type_ref(el))
        elif kind == "decision":
            decisions[ident] = _decision(reader, el, ident)
        elif kind == "businessKnowledgeModel":
            bkms[ident] = _bkm(reader, el, ident)
        elif kind == "decisionService":
            services[ident] = m.DecisionService(
                ident,
                el.get("name") or ident,
                tuple(_href(r) for r in children(el, "outputDecision")),
                tuple(_href(r) for r in children(el, "encapsulatedDecision")),
                tuple(_href(r) for r in children(el, "inputDecision")),
                tuple(_href(r) for r in children(el, "inputData")),
                _type_ref(el),
            )
        else:
            continue
        elements[ident] = el
    _check_references(reader, root, decisions, inputs, bkms, services)

    infos = {d.id: _info(d, elements[d.id]) for d in decisions.values()}
    return m.DmnModel(
        namespace=root.get("namespace") or "",
        name=root.get("name") or "",
        decisions=infos,
        diagnostics=[d for d in reader.diagnostics if d.severity is Severity.WARNING],
        resource_name=resource_name,
        drg_decisions=decisions,
        inputs=inputs,
        bkms=bkms,
        services=services,
        item_definitions=items,
    )


def _decision(reader: Reader, el: _Element, ident: str) -> m.Decision:
    required_decisions: list[str] = []
    required_inputs: list[str] = []
    required_knowledge: list[str] = []
    for requirement in children(el, "informationRequirement"):
        for ref in children(requirement):
            target = required_decisions if local(ref) == "requiredDecision" else required_inputs
            target.append(_href(ref))
    for requirement in children(el, "knowledgeRequirement"):
        required_knowledge.extend(_href(r) for r in children(requirement, "requiredKnowledge"))
    logic = reader.expression_in(el)
    if logic is None:
        reader.report(
            "DMN-NO-LOGIC",
            "the decision has no decision logic; it evaluates to the value given for its "
            "name, or null",
            el,
            error=False,
        )
    return m.Decision(
        ident,
        el.get("name") or ident,
        line_of(el),
        _type_ref(el),
        logic,
        tuple(required_decisions),
        tuple(required_inputs),
        tuple(required_knowledge),
        el.get(f"{{{CAMUNDA_NS}}}versionTag"),
    )


def _bkm(reader: Reader, el: _Element, ident: str) -> m.Bkm:
    logic_el = child(el, "encapsulatedLogic")
    logic = reader.function(logic_el) if logic_el is not None else None
    if logic is None:
        reader.report("DMN-NO-LOGIC", "the business knowledge model has no logic", el, error=False)
    knowledge = [
        _href(r)
        for requirement in children(el, "knowledgeRequirement")
        for r in children(requirement, "requiredKnowledge")
    ]
    return m.Bkm(ident, el.get("name") or ident, logic, tuple(knowledge), _type_ref(el))


def _check_references(
    reader: Reader,
    root: _Element,
    decisions: dict[str, m.Decision],
    inputs: dict[str, m.InputData],
    bkms: dict[str, m.Bkm],
    services: dict[str, m.DecisionService],
) -> None:
    targets: dict[str, tuple[str, Mapping[str, object]]] = {
        "requiredDecision": ("decision", decisions),
        "requiredInput": ("input data", inputs),
        "requiredKnowledge": ("business knowledge model or decision service", {**bkms, **services}),
        "outputDecision": ("decision", decisions),
        "encapsulatedDecision": ("decision", decisions),
        "inputDecision": ("decision", decisions),
    }
    for el in root.iter():
        if not isinstance(el.tag, str) or local(el) not in targets:
            continue
        what, known = targets[local(el)]
        href = el.get("href") or ""
        if "#" in href and href.split("#", 1)[0]:
            continue  # an imported model's element; imports are not resolved yet
        if _href(el) not in known:
            owner = el.getparent()
            while owner is not None and owner.get("id") is None:
                owner = owner.getparent()
            reader.report(
                "DMN-UNRESOLVED",
                f"<{local(el)} href={href!r}> points at no {what}",
                owner if owner is not None else el,
            )


def _info(decision: m.Decision, el: _Element) -> m.DecisionInfo:
    logic = decision.logic
    kind = "none"
    outputs: list[str] = [decision.name]
    hit_policy = None
    if logic is not None:
        for c in children(el):
            if local(c) in _KIND_NAMES:
                kind = _KIND_NAMES[local(c)]
                break
    if isinstance(logic, m.DecisionTable):
        names = [o.name for o in logic.outputs]
        outputs = (
            [n or decision.name for n in names]
            if len(names) > 1
            else [names[0] or decision.name]
            if names
            else []
        )
        hit_policy = logic.hit_policy + (f" {logic.aggregation}" if logic.aggregation else "")
    return m.DecisionInfo(
        id=decision.id,
        name=decision.name,
        version_tag=decision.version_tag,
        kind=kind,
        required=list(decision.required_decisions),
        output_names=outputs,
        hit_policy=hit_policy,
    )
