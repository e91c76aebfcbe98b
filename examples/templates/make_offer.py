"""Build ``offer.docx``, the example document template, with python-docx.

    .venv/bin/python examples/templates/make_offer.py          # (re)write offer.docx
    .venv/bin/python examples/templates/make_offer.py --check  # exit 1 if it differs

The output is byte-for-byte reproducible (for a given python-docx): fixed document
properties, and the zip is re-packed with fixed timestamps. The template uses docxtpl's
tags: ``{{ … }}`` for values, ``{%tr … %}`` for a table row repeated per item, ``{%p … %}``
for a paragraph shown conditionally. Data it expects (see docs/documents.md)::

    {"client": {"name": "Jan Kowalski", "address": "ul. Prosta 1, Warszawa"},
     "offer": {"number": "OF/2026/0042", "product": "Cash loan", "amount": "25 000.00",
               "currency": "PLN", "validUntil": "2026-12-31",
               "items": [{"name": "Loan", "quantity": 1, "price": "25 000.00"}]},
     "advisor": "Anna Nowak"}
"""

from __future__ import annotations

import io
import sys
import zipfile
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.shared import Pt

TARGET = Path(__file__).with_name("offer.docx")
_FIXED = datetime(2026, 1, 1)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def build() -> bytes:
    doc = Document()
    props = doc.core_properties
    props.title = "Offer"
    props.author = "Baton"
    props.last_modified_by = "Baton"
    props.created = _FIXED
    props.modified = _FIXED
    props.revision = 1

    doc.add_heading("Offer {{ offer.number }}", level=1)
    doc.add_paragraph("{{ client.name }}\n{{ client.address }}")
    doc.add_paragraph("Dear {{ client.name }},")
    doc.add_paragraph(
        "we are pleased to offer you {{ offer.product }} for a total of "
        "{{ offer.amount }} {{ offer.currency }}."
    )

    table = doc.add_table(rows=4, cols=3)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("Item", "Quantity", "Price"), strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    table.rows[1].cells[0].text = "{%tr for item in offer.items %}"
    for cell, text in zip(
        table.rows[2].cells,
        ("{{ item.name }}", "{{ item.quantity }}", "{{ item.price }} {{ offer.currency }}"),
        strict=True,
    ):
        cell.text = text
    table.rows[3].cells[0].text = "{%tr endfor %}"

    doc.add_paragraph("{%p if offer.validUntil %}")
    doc.add_paragraph("The offer is valid until {{ offer.validUntil }}.")
    doc.add_paragraph("{%p endif %}")
    closing = doc.add_paragraph("Kind regards,\n{{ advisor or 'Your advisor' }}")
    closing.runs[0].font.size = Pt(11)

    footer = doc.sections[0].footer.paragraphs[0]
    footer.text = "Offer {{ offer.number }} for {{ client.name }}"

    raw = io.BytesIO()
    doc.save(raw)
    return _repack(raw.getvalue())


def _repack(data: bytes) -> bytes:
    """The same entries in the same order, with fixed timestamps."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(entry.filename))
    return out.getvalue()


def main(argv: list[str]) -> int:
    built = build()
    if "--check" in argv:
        same = TARGET.exists() and TARGET.read_bytes() == built
        print(f"{TARGET.name}: {'up to date' if same else 'differs; run make_offer.py'}")
        return 0 if same else 1
    TARGET.write_bytes(built)
    print(f"wrote {TARGET} ({len(built)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
