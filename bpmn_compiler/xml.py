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
        remove_pis=True,
        recover=recover,
    )


def _diagnostic(code: str, message: str, filename: str | None, line: int | None) -> Diagnostic:
    return Diagnostic(code=code, severity=Severity.ERROR, message=message, file=filename, line=line)


def parse_xml(
    data: bytes, filename: str | None, *, expected_root: str | None = None
) -> tuple[etree._Element | None, list[Diagnostic]]:
    """Parse ``data`` (byte-order marks are fine).

    A DOCTYPE is refused outright (entities are how XXE and billion-laughs attacks work).
    Malformed XML gets one retry in lxml's recover mode: if that yields a tree with the
    ``expected_root`` element, the file is compiled with a warning saying where the damage
    is; otherwise it is an error.
    """
    try:
        root = etree.fromstring(data, _parser(recover=False))
        if root.getroottree().docinfo.internalDTD is not None:
            return None, [
                _diagnostic(
                    "xml-doctype-forbidden",
                    "a DOCTYPE or entity declaration is not allowed in BPMN files",
                    filename,
                    1,
                )
            ]
        return root, []
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if isinstance(exc.lineno, int) else None
        first_error = exc.msg
    try:
        root = etree.fromstring(data, _parser(recover=True))
    except etree.XMLSyntaxError:
        root = None
    if root is None or (expected_root is not None and root.tag != expected_root):
        return None, [
            _diagnostic(
                "xml-malformed", f"the file is not well-formed XML: {first_error}", filename, line
            )
        ]
    return root, [
        Diagnostic(
            code="xml-recovered",
            severity=Severity.WARNING,
            message=f"the file is not well-formed XML ({first_error}); it was read in "
            "recovery mode and parts of it may be missing",
            file=filename,
            line=line,
        )
    ]
