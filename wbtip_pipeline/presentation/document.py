"""The document a renderer takes: a cover (or the head of a brief) and sections of blocks.

Both renderers (`render_html.py`, `render_pdf.py`) take a `Document`; its blocks are those of
`blocks.py` and every text in it is plain text. The document says what kind of pages it wants;
the renderers decide how they look.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wbtip_pipeline.presentation.blocks import Block, Section

# "a4": a report (cover page, contents, a page break before every section);
# "slides": a 297 x 167 mm deck, one page per section; "brief": a compact A4 handout
PAGE_KINDS = ("a4", "slides", "brief")


@dataclass
class Document:
    title: str
    subtitle: str = ""
    lang: str = "en"
    cover: list[Block] = field(default_factory=list)  # on the cover, after the title
    sections: list[Section] = field(default_factory=list)
    footnotes: list[str] = field(default_factory=list)  # at the foot of the cover
    page: str = "a4"
    # also read by the HTML template (`templates/document.html.j2`): both show the kicker above
    # the title and a contents list when `toc`; `meta` goes into HTML only
    kicker: str = ""
    meta: dict[str, str] = field(default_factory=dict)  # <meta name content> pairs in HTML
    toc: bool | None = None  # None: contents for "a4" only

    def __post_init__(self) -> None:
        if self.page not in PAGE_KINDS:
            raise ValueError(f"page must be one of {PAGE_KINDS}, not {self.page!r}")
        if self.toc is None:
            self.toc = self.page == "a4"

    def figures(self) -> list:
        """Every figure of the sections, in reading order."""
        return [b for s in self.sections for b in s.blocks if b.kind == "figure"]

    def tables(self) -> list:
        """Every table of the sections, in reading order."""
        return [b for s in self.sections for b in s.blocks if b.kind == "table"]
