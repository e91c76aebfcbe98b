"""Safe XML reading: no network, no entity expansion, diagnostics instead of exceptions."""

from __future__ import annotations

from lxml import etree

from bpmn_compiler.errors import Diagnostic, Severity


def _parser(*, recover: bool) -> etree.XMLParser:
    # resolve_entities=False + load_dtd=False: XXE and billion-laughs never expand.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        recover=recover,
    )


def parse_xml(data: bytes, filename: str | None) -> tuple[etree._Element | None, list[Diagnostic]]:
    """Parse ``data``; on a DTD with entities or malformed XML, return diagnostics."""
    diagnostics: list[Diagnostic] = []
    try:
        root = etree.fromstring(data, _parser(recover=False))
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if isinstance(exc.lineno, int) else None
        diagnostics.append(
            Diagnostic(
                code="xml-malformed",
                severity=Severity.ERROR,
                message=f"the file is not well-formed XML: {exc.msg}",
                file=filename,
                line=line,
            )
        )
        return None, diagnostics
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype:
        diagnostics.append(
            Diagnostic(
                code="xml-doctype-forbidden",
                severity=Severity.ERROR,
                message="a DOCTYPE is not allowed in BPMN files (entity expansion is refused)",
                file=filename,
                line=1,
            )
        )
        return None, diagnostics
    return root, diagnostics
