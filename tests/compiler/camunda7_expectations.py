"""What Camunda 7's own tests expect of each diagram in the camunda7-engine corpus.

For every diagram under ``src/test/resources`` this finds the Java test methods under
``src/test/java`` that deploy it (``@Deployment`` with or without ``resources``,
``addClasspathResource``, ``testRule.deploy``, ``getBpmnProcessDefinitionResource`` and string
constants naming it) and whether the method expects the deployment to fail (``fail(`` right
after the deploy call, ``assertThatThrownBy``/``assertThrows`` around it, ``@Test(expected=…)``,
or ``catch (ParseException …)``).  A diagram is *expected invalid* when a method expects its
deployment to fail, or when its name says so (``*Invalid*``) and no test deploys it
successfully.  The Java is read in place (never copied); the heuristics are checked by hand
against the list in ``NOT_A_PARSE_FAILURE`` and ``PARSE_FAILURE`` below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

DIAGRAM_SUFFIXES = (".bpmn20.xml", ".bpmn")

# The Java test expects the deployment to fail, but not because of this one file by itself:
# a second resource in the same deployment, an engine setting, or a runtime check.
_TWO_FILES = "deployed together with a second file that has the same process id"
_SECOND_DEPLOYMENT = (
    "a second deployment whose message start event has the name of one already deployed "
    "(a conflict between deployments, not within the file)"
)
NOT_A_PARSE_FAILURE: dict[str, str] = {
    "org/camunda/bpm/engine/test/bpmn/deployment/"
    "BpmnDeploymentTest.testGetBpmnXmlFileThroughService.bpmn20.xml": _TWO_FILES,
    "org/camunda/bpm/engine/test/bpmn/deployment/"
    "BpmnDeploymentTest.testGetBpmnXmlFileThroughService2.bpmn20.xml": _TWO_FILES,
    "org/camunda/bpm/engine/test/bpmn/event/message/"
    "MessageStartEventTest.testSingleMessageStartEvent.bpmn20.xml": _SECOND_DEPLOYMENT,
    "org/camunda/bpm/engine/test/bpmn/event/message/"
    "otherProcessWithNewInvoiceMessage.bpmn20.xml": _SECOND_DEPLOYMENT,
}

# The Java test expects a parse failure in a way the scanner does not see.
PARSE_FAILURE: dict[str, str] = {
    "org/camunda/bpm/engine/test/api/repository/diagram/testXxeParsingIsDisabled.bpmn20.xml": (
        "ProcessDiagramParseTest.testXxeParsingIsDisabled: a DOCTYPE does not parse "
        "(XXE processing is off, Camunda 7's default)"
    ),
}

_METHOD = re.compile(
    r"(?:public|protected|private)\s+(?:static\s+)?(?:final\s+)?"
    r"[\w<>\[\], ?]+?\s+(\w+)\s*\([^;{)]*\)\s*(?:throws\s+[\w.,\s]+)?\{"
)
_STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
_CONST = re.compile(r"\bString\s+(\w+)\s*=\s*([^;]+);")
_ANNOTATION = re.compile(r"@(?:[\w.]+\.)?(Deployment|Test)\b(\s*\((?:[^()]|\([^()]*\))*\))?")
_FAIL_AFTER_DEPLOY = re.compile(
    r"(?:\.deploy\(\)|\bdeploy\w*\([^;]*\))[^;]*;\s*(?://[^\n]*\s*)*fail\("
)
_THROWN = re.compile(r"(?:assertThatThrownBy|assertThrows|catchThrowable)\s*\(([^;]*)", re.S)
_CATCH_PARSE = re.compile(r"catch\s*\(\s*ParseException\b")


@dataclass
class Method:
    java: Path
    cls: str
    name: str
    annotations: str
    body: str

    @property
    def label(self) -> str:
        return f"{self.cls}.{self.name}"

    def expects_failure(self) -> bool:
        if self.name.startswith("FAILING_"):
            return False  # disabled in Camunda 7 (no @Test)
        if re.search(r"@Test\s*\([^)]*expected\s*=", self.annotations):
            return True
        code = _STRING.sub('""', self.body)
        if _FAIL_AFTER_DEPLOY.search(code) or _CATCH_PARSE.search(code):
            return True
        return any(re.search(r"deploy\w*\(", m.group(1)) for m in _THROWN.finditer(code))


@dataclass
class Expectation:
    path: Path
    deployed_by: list[str] = field(default_factory=list)
    failing_by: list[str] = field(default_factory=list)
    reason: str = ""

    @property
    def invalid(self) -> bool:
        return bool(self.failing_by)


def _methods(java: Path) -> list[Method]:
    text = java.read_text(encoding="utf-8", errors="replace")
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    cls = java.name.removesuffix(".java")
    headers = list(_METHOD.finditer(text))
    methods = []
    for index, header in enumerate(headers):
        start = headers[index - 1].end() if index else 0
        before = text[start : header.start()]
        # annotations belong to this method when they follow the previous body's last line
        closers = [m.end() for m in re.finditer(r"\n\s*\}[ \t]*\n|;[ \t]*\n", before)]
        tail = before[closers[-1] :] if closers else before
        annotations = "".join(m.group(0) for m in _ANNOTATION.finditer(tail))
        end = headers[index + 1].start() if index + 1 < len(headers) else len(text)
        body = text[header.end() : end]
        stop = re.search(r"\n\s*@(?:[\w.]+\.)?(Test|Deployment)\b", body)
        body = body[: stop.start()] if stop else body
        methods.append(Method(java, cls, header.group(1), annotations, body))
    return methods


def _constants(java: Path) -> dict[str, list[str]]:
    text = java.read_text(encoding="utf-8", errors="replace")
    found: dict[str, list[str]] = {}
    for name, value in _CONST.findall(text):
        found.setdefault(name, []).extend(_STRING.findall(value))
    for name, values in list(found.items()):
        # a constant built from another: PATH + "x.bpmn20.xml"
        value_text = next(v for n, v in _CONST.findall(text) if n == name)
        for other in re.findall(r"\b([A-Z_][A-Z0-9_]+)\b", value_text):
            if other in found and other != name:
                found[name] = [p + s for p in found[other] for s in values] + values
    return found


class Corpus:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.resources = root / "src" / "test" / "resources"
        self.java = root / "src" / "test" / "java"
        self.diagrams = sorted(
            p for p in self.resources.rglob("*") if p.name.endswith(DIAGRAM_SUFFIXES)
        )
        self._by_name: dict[str, list[Path]] = {}
        for path in self.diagrams:
            self._by_name.setdefault(path.name, []).append(path)

    def _resolve(self, reference: str, package: Path) -> list[Path]:
        reference = reference.strip().lstrip("/")
        if not reference.endswith(DIAGRAM_SUFFIXES):
            return []
        direct = self.resources / reference
        if direct.is_file():
            return [direct]
        local = self.resources / package / reference
        if local.is_file():
            return [local]
        name = reference.rsplit("/", 1)[-1]
        return self._by_name.get(name, []) if "/" not in reference else []

    def _references(
        self, method: Method, constants: dict[str, list[str]]
    ) -> tuple[set[Path], set[Path]]:
        """(resources ``@Deployment`` deploys before the test, resources the body names)"""
        package = method.java.parent.relative_to(self.java)
        refs: list[str] = []
        deployment = re.search(
            r"@(?:[\w.]+\.)?Deployment\b(\s*\((.*)\))?", method.annotations, re.S
        )
        if deployment:
            inner = deployment.group(2) or ""
            if "resources" in inner:
                refs.extend(_STRING.findall(inner))
                for name in re.findall(r"\b([A-Z_][A-Z0-9_]+)\b", inner):
                    refs.extend(constants.get(name, []))
            else:
                base = f"{method.cls}.{method.name}"
                refs.extend([f"{base}.bpmn20.xml", f"{base}.bpmn"])
        annotated: set[Path] = set()
        for ref in refs:
            annotated.update(self._resolve(ref, package))
        refs = _STRING.findall(method.body)
        for name in re.findall(r"\b([A-Za-z_]\w*)\b", method.body):
            refs.extend(constants.get(name, []))
        for cls, name in re.findall(
            r"getBpmnProcessDefinitionResource\(\s*(?:getClass\(\)|(\w+)\.class)\s*,\s*\"(\w+)\"",
            method.body,
        ):
            refs.append(f"{cls or method.cls}.{name}.bpmn20.xml")
        named: set[Path] = set()
        for ref in refs:
            named.update(self._resolve(ref, package))
        return annotated, named

    def expectations(self) -> dict[Path, Expectation]:
        result = {path: Expectation(path) for path in self.diagrams}
        for java in sorted(self.java.rglob("*.java")):
            constants = _constants(java)
            methods = _methods(java)
            # resources named only in a data provider / helper of a parameterized test
            orphans: set[Path] = set()
            deploying = []
            for method in methods:
                annotated, named = self._references(method, constants)
                deploys = bool(re.search(r"deploy|addClasspathResource", method.body, re.I))
                if method.annotations or deploys:
                    deploying.append((method, annotated, named))
                else:
                    orphans |= named
            for method, annotated, named in deploying:
                if not named and "addClasspathResource" in method.body:
                    named = orphans
                failing = method.expects_failure()
                for path in annotated:
                    result[path].deployed_by.append(method.label)
                for path in named:
                    entry = result[path]
                    (entry.failing_by if failing else entry.deployed_by).append(method.label)
        for path, entry in result.items():
            key = str(path.relative_to(self.resources))
            if key in NOT_A_PARSE_FAILURE:
                entry.deployed_by.extend(entry.failing_by)
                entry.failing_by = []
                entry.reason = NOT_A_PARSE_FAILURE[key]
            elif key in PARSE_FAILURE:
                entry.failing_by.append(PARSE_FAILURE[key])
            elif not entry.deployed_by and "invalid" in path.name.lower():
                entry.failing_by.append("(named invalid)")
        return result


@cache
def expectations(root: Path) -> dict[Path, Expectation]:
    return Corpus(root).expectations()


def main() -> None:
    """``python -m tests.compiler.camunda7_expectations [corpus]``: the classification and
    Baton's verdict on each diagram Camunda 7's tests expect to be refused."""
    import sys

    from bpmn_compiler.batch import compile_file

    root = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/corpora/camunda7-engine")
    found = expectations(root.resolve())
    invalid = [e for e in found.values() if e.invalid]
    refused = 0
    for entry in invalid:
        errors = compile_file(entry.path).errors
        refused += bool(errors)
        verdict = errors[0].code if errors else "ACCEPTED"
        print(f"{verdict:32} {entry.path.name}  <- {', '.join(entry.failing_by)}")
    deployed = sum(1 for e in found.values() if e.deployed_by and not e.invalid)
    print(
        f"{len(found)} diagrams: {len(invalid)} expected invalid ({refused} refused by Baton), "
        f"{deployed} deployed by a test, {len(found) - len(invalid) - deployed} by none"
    )


if __name__ == "__main__":
    main()
