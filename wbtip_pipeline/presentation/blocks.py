"""The document model: a section is a small tree of blocks, and renderers turn it into HTML or PDF.

A section builder (`report/sections/*.py`, the workshop's briefs) returns a `Section` whose
`blocks` are the types below, in reading order. Builders hold words and numbers; renderers
(`render_html.py`, `render_pdf.py`) hold layout. Every text here is plain text: renderers
escape it, so a label from a source file can never become markup.

Numbers are explicit: a builder gets a `Numbering` for its section (from the outline) and asks
it for heading, table and figure numbers, so that "Table 3.2" is the second table of section 3
whatever the other sections hold, and sections can be built and tested one at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass
class Link:
    text: str
    href: str | None = None


@dataclass
class Cell:
    """A table cell. `cls` carries the kinds a renderer styles: `count` (a count under
    disclosure control: `suppressed`, `withheld` or `missing` with it), `num`, `rowhead`,
    `total`, `note`."""

    text: str
    cls: str = ""
    href: str | None = None
    title: str | None = None


@dataclass
class Heading:
    text: str
    level: int = 2  # 1 is the section's own title (rendered from the Section), 2 and 3 within
    number: str = ""
    id: str = ""
    kind: str = "heading"


@dataclass
class Paragraph:
    """A paragraph of plain text, or of `runs`: text with links inside it (a statement and its
    citation, "(US Department of State, 2024)"). With runs, `text` is their plain text, so that
    what is counted, searched and audited is what a reader sees."""

    text: str = ""
    lead: str = ""  # a bold run before the text ("Read first.")
    cls: str = ""
    runs: list[str | Link] = field(default_factory=list)
    kind: str = "paragraph"

    def __post_init__(self) -> None:
        if self.runs:
            self.text = "".join(r if isinstance(r, str) else r.text for r in self.runs)


@dataclass
class Note:
    """A caveat, a note under a block, a footnote, or the statement that something is empty."""

    text: str
    style: str = "note"  # caveat | note | footnote | empty
    lead: str = ""
    id: str = ""
    kind: str = "note"


@dataclass
class Item:
    """A list item: text, optionally a bold head line, links (evidence) and an anchor id."""

    text: str
    head: str = ""
    badge: str = ""  # a short tag before the head ("urge")
    badge_text: str = ""  # the tag's words when not the tag itself (a translated "urge")
    meta: list[str] = field(default_factory=list)  # small lines under the text
    links: list[Link] = field(default_factory=list)
    id: str = ""
    cls: str = ""


@dataclass
class ListBlock:
    items: list[Item]
    ordered: bool = False
    style: str = ""  # facts | recs | compact | ""
    kind: str = "list"

    @classmethod
    def of(cls, texts, **kw) -> ListBlock:
        return cls([t if isinstance(t, Item) else Item(str(t)) for t in texts], **kw)


@dataclass
class KeyFigure:
    big: str
    small: str
    count: bool = False  # the big text is a count under disclosure control


@dataclass
class KeyFigures:
    figures: list[KeyFigure]
    kind: str = "keyfigures"


@dataclass
class Table:
    key: str
    number: str
    caption: str
    source: str
    columns: list[str]
    rows: list[list[Cell]]
    col_classes: list[str] = field(default_factory=list)
    note: str = ""
    compact: bool = False
    widths: list[float] = field(default_factory=list)
    kind: str = "table"

    def __post_init__(self) -> None:
        self.rows = [[c if isinstance(c, Cell) else Cell(str(c)) for c in row] for row in self.rows]
        if not self.widths and self.columns:
            self.widths = column_widths(self.columns, self.rows, self.col_classes, self.compact)


class Chart(Protocol):
    key: str
    caption: str
    source: str
    alt: str
    svg: str


@dataclass
class Figure:
    key: str
    number: str
    chart: Chart
    kind: str = "figure"

    @property
    def caption(self) -> str:
        return self.chart.caption

    @property
    def source(self) -> str:
        return self.chart.source

    @property
    def alt(self) -> str:
        return self.chart.alt

    @property
    def svg(self) -> str:
        return self.chart.svg


Block = Heading | Paragraph | Note | ListBlock | KeyFigures | Table | Figure


@dataclass
class Section:
    id: str
    number: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    running: str = ""  # the running head in print; the title by default
    cls: str = ""
    attrs: dict[str, str] = field(default_factory=dict)  # data-* attributes in HTML

    def add(self, *blocks: Block | None) -> Section:
        self.blocks.extend(b for b in blocks if b is not None)
        return self

    @property
    def label(self) -> str:
        """ "3 Albania" or "Annex A. Data quality"'s number-less form."""
        return f"{self.number} {self.title}" if self.number.isdigit() else self.title

    def walk(self, kind: str | None = None):
        return [b for b in self.blocks if kind is None or b.kind == kind]


class Numbering:
    """Numbers for one section: headings "3.1", "3.2"; tables and figures "3.1", "3.2"."""

    def __init__(self, section: str) -> None:
        self.section = section
        self._h = self._t = self._f = 0

    def _n(self, i: int) -> str:
        return f"{self.section}.{i}"

    def heading(self, text: str, id: str = "", level: int = 2) -> Heading:
        if level == 2:
            self._h += 1
            return Heading(text, 2, self._n(self._h), id)
        return Heading(text, level, "", id)

    def table(self, key: str, caption: str, source: str, columns, rows, **kw) -> Table:
        self._t += 1
        return Table(key, self._n(self._t), caption, source, list(columns), list(rows), **kw)

    def figure(self, chart: Chart) -> Figure:
        self._f += 1
        return Figure(chart.key, self._n(self._f), chart)


def column_widths(columns, rows, col_classes, compact: bool) -> list[float]:
    """Column widths in percent from the longest text of each column (capped), so that a table
    lays out with `table-layout: fixed`, the same in the browser and in print: every column gets
    at least its longest word (numbers never wrap), the rest of the line goes to long texts."""
    line = 125 if compact else 115
    need, want = [], []
    for i, col in enumerate(columns):
        cells = [row[i].text for row in rows if i < len(row)]
        texts = [str(col), *cells]
        cls = col_classes[i] if i < len(col_classes) else ""
        longest = max(len(t) for t in texts)
        if "num" in cls:
            word = max((len(t) for t in cells), default=0)
            word = max(word, max((len(w) for w in str(col).split()), default=0))
        else:
            word = max(len(w) for t in texts for w in (t.split() or [""]))
        need.append(word + 2)
        want.append(max(min(longest, 60) + 2 - (word + 2), 0))
    spare = max(line - sum(need), 0)
    extra = sum(want)
    widths = [
        n + (spare * w / extra if extra else spare / len(need))
        for n, w in zip(need, want, strict=True)
    ]
    total = sum(widths)
    return [round(100 * w / total, 1) for w in widths]
