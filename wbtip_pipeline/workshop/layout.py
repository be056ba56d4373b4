"""What the deck and the briefs share once built: the check that no count shows 1 to 4, and
the PDF's pages (pypdf: cheap at Typst's speed, so a brief is fitted by rendering it again).

Both are laid out by `presentation/render_pdf.py` (Typst); nothing here knows a layout engine.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from wbtip_pipeline.presentation.blocks import KeyFigures, Table
from wbtip_pipeline.presentation.disclosure import small_count_cells
from wbtip_pipeline.presentation.document import Document
from wbtip_pipeline.presentation.render_html import DisclosureError


class PackError(RuntimeError):
    """The pack cannot be laid out as promised (a slide overflows its page)."""


def _count_texts(doc: Document) -> Iterator[str]:
    blocks = [*doc.cover, *(b for s in doc.sections for b in s.blocks)]
    for b in blocks:
        if isinstance(b, Table):
            yield from (c.text for row in b.rows for c in row if "count" in c.cls.split())
        elif isinstance(b, KeyFigures):
            yield from (f.big for f in b.figures if f.count)


def check_counts(doc: Document) -> None:
    """Refuse a document whose count cells show a value from 1 to 4 (the PDF's counterpart of
    `render_html.check_disclosure`, read from the blocks rather than from HTML)."""
    bad = small_count_cells(_count_texts(doc))
    if bad:
        raise DisclosureError(f"{doc.title}: count cells would show {bad[:5]}")


def page_texts(pdf: bytes) -> list[str]:
    """The text of each page of `pdf`."""
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def page_count(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)
