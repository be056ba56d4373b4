"""A `Document` as PDF, laid out by Typst (the `typst` package: the compiler runs in-process).

This module owns the PDF look of the report, the workshop deck and the briefs: the page kinds
("a4", "slides", "brief"), running heads, page numbers, the contents, and how each block of
`blocks.py` is drawn. `render_pdf(document)` returns the PDF bytes; `typst_source(document)`
returns the Typst source and inputs it compiles (for debugging: `typst compile --input k=v`).

How text gets in. The Typst source is a fixed preamble of `wb-*` functions (`templates/typst/preamble.typ`) and one
call per block whose arguments are data: every text of the model is a Typst *string literal*
(`lit`), never markup, so `#`, `*`, `$`, `<`, `@`, `[`, `\\` and the rest print as themselves and
no text can run code. Chart SVGs go in through `sys.inputs` (`image(bytes(sys.inputs.at(k)))`),
so they need no escaping and no temporary files.

What the PDF promises:
- PDF/UA-1 by default (tagged PDF, document title and language, alt text on every chart; the
  caption stands in for a missing alt). Typst checks the standard while it writes, and fails on
  a glyph that no font has, so a missing Cyrillic letter cannot pass silently.
- Table cells never break inside a word: hyphenation is off, numbers and counts sit in
  unbreakable boxes, and every column is at least as wide as its widest word (measured by Typst
  in the table's own font), the rest of the line shared out as `Table.widths` asks. A table whose
  words cannot fit side by side is set in a smaller size (down to half) rather than overflow.
- A count cell (`count` in its class) prints its text exactly: no hyphen, break or substitution.
- "slides": one page per section; a section that runs over its page raises `SlideOverflowError`.
  A footnote (`Note(style="footnote")`) sits at the foot of its slide.

Two columns: a section whose `attrs` name a `column-break` (the id of one of its headings) sets
its blocks from its first heading on in two columns, the second starting at that heading; the
blocks before the first heading span the page (the workshop's jurisdiction slides).
A table without a number (the workshop's) prints its caption alone, or none.
"""

from __future__ import annotations

import hashlib
import io
import logging
import pickle
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from wbtip_pipeline.presentation import cache as document_cache
from wbtip_pipeline.presentation.blocks import (
    Figure,
    Heading,
    Item,
    KeyFigures,
    Link,
    ListBlock,
    Note,
    Paragraph,
    Section,
    Table,
)

log = logging.getLogger(__name__)

# DejaVu Sans carries Albanian (ë ç), Serbian Latin (š č ć ž đ) and Serbian and Macedonian
# Cyrillic (ѓ ќ љ њ џ ѕ), and it is the font the charts' SVG text names; Libertinus Serif (built
# into Typst) has the same letters and is the fallback on a machine without DejaVu.
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)
_CODE = document_cache.code_digest(__file__)  # the layout rules: a PDF of other rules is not kept
FONTS = ("DejaVu Sans", "Libertinus Serif")
MONO_FONTS = ("DejaVu Sans Mono",)
DEFAULT_STANDARDS = ("ua-1",)

# sizes per page kind; the report's follow the HTML print stylesheet (9 pt text, 7.5 pt tables,
# line-height 1.4: Typst's leading runs from the baseline to the next line's cap height, so
# 1.4 em of line pitch is 0.67 em of leading; paragraph spacing likewise plus the CSS margin)
STYLES: dict[str, dict[str, str]] = {
    "a4": {
        "paper": '"a4"',
        "margin": "(top: 17mm, x: 16mm, bottom: 18mm)",
        "body": "9pt",
        "table": "7.5pt",
        "compact": "7pt",
        "small": "7.5pt",
        "title": "26pt",
        "subtitle": "12.5pt",
        "h1": "17pt",
        "h2": "12.5pt",
        "h3": "10.5pt",
        "lead": "10.5pt",
        "big": "13pt",
        "leading": "0.67em",
        "spacing": "1.3em",
    },
    "brief": {
        "paper": '"a4"',
        "margin": "(top: 14mm, x: 15mm, bottom: 20mm)",
        "body": "8.4pt",
        "table": "7.5pt",
        "compact": "7pt",
        "small": "6.8pt",
        "title": "17pt",
        "subtitle": "9.5pt",
        "h1": "10.5pt",
        "h2": "9.5pt",
        "h3": "8.6pt",
        "lead": "9pt",
        "big": "12pt",
        "leading": "0.62em",
        "spacing": "1.1em",
    },
    "slides": {
        "paper": "none",  # the page size is set below: 297 x 167 mm
        "margin": "(top: 9mm, x: 13mm, bottom: 15mm)",
        "body": "11pt",
        "table": "9.5pt",
        "compact": "8.5pt",
        "small": "8pt",
        "title": "27pt",
        "subtitle": "14pt",
        "h1": "19pt",
        "h2": "12pt",
        "h3": "11pt",
        "lead": "11.5pt",
        "big": "18pt",
        "leading": "0.57em",
        "spacing": "1.05em",
    },
}

# The Typst side lives in package data (templates/typst/): the preamble of styles and `wb-*`
# functions, and a page set-up per kind. Python only ever calls those functions with data.
TYPST_TEMPLATES = "templates/typst"


@cache
def _typst_template(name: str) -> str:
    return (resources.files("wbtip_pipeline") / TYPST_TEMPLATES / name).read_text(encoding="utf-8")


class RenderError(RuntimeError):
    """Typst could not lay the document out, or (strict) warned about it."""


class SlideOverflowError(RenderError):
    """A slide's content runs over its page."""


def lit(value: object) -> str:
    """A Typst string literal holding `value` as plain text: nothing in it is markup or code."""
    text = str(value)
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    # other control characters are no text (a tab reads as a space)
    text = _CONTROL.sub(" ", text)
    return f'"{text}"'


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _lits(values: Iterable[object]) -> str:
    """A Typst array of string literals (a trailing comma keeps a one-element array an array)."""
    return _arr(lit(v) for v in values)


def _arr(items: Iterable[str]) -> str:
    """A Typst array from already-written values."""
    items = list(items)
    return f"({', '.join(items)},)" if items else "()"


def _dict(pairs: dict[str, str]) -> str:
    """A Typst dictionary from already-written values."""
    return "(" + ", ".join(f"{k}: {v}" for k, v in pairs.items()) + ")" if pairs else "(:)"


def _typst_lang(lang: str) -> str:
    code = (lang or "en").replace("_", "-").split("-")[0].lower()
    if not re.fullmatch(r"[a-z]{2,3}", code):
        raise ValueError(f"lang must be an ISO 639 code such as 'en', not {lang!r}")
    return code


@dataclass
class TypstSource:
    """What `typst.compile` gets: the source, and the chart SVGs keyed for `sys.inputs`."""

    source: str
    inputs: dict[str, str] = field(default_factory=dict)
    slides: int = 0  # pages a deck must have (title slide and sections); 0 for other kinds


class _Writer:
    """Writes one `wb-*` call per block."""

    def __init__(self, document) -> None:
        self.doc = document
        self.out: list[str] = []
        self.inputs: dict[str, str] = {}
        self.ids = self._targets(document)
        self.labelled: set[str] = set()

    @staticmethod
    def _targets(document) -> set[str]:
        """Every id a link may point to (a link to any other id prints as text)."""
        ids = {s.id for s in document.sections}
        for blocks in [document.cover, *(s.blocks for s in document.sections)]:
            for b in blocks:
                if isinstance(b, Heading | Note):
                    ids.add(b.id)
                elif isinstance(b, Table | Figure):
                    ids.add(b.key)
                elif isinstance(b, ListBlock):
                    ids.update(i.id for i in b.items)
        ids.discard("")
        return ids

    def label(self, id: str) -> str:
        """The `id:` argument: a label for the first element with this id (Typst wants labels
        unique, HTML ids are unique by contract but a second one must not fail the PDF)."""
        if not id or id in self.labelled:
            return "none"
        self.labelled.add(id)
        return lit(id)

    def target(self, href: str | None) -> dict[str, str]:
        """A link's target: a label in this document or a web address; else nothing."""
        if not href:
            return {}
        if href.startswith("#") and href[1:] in self.ids:
            return {"to": lit(href[1:])}
        if re.match(r"(?i)(https?:|mailto:)", href):
            return {"url": lit(href)}
        return {}

    # --- blocks ---------------------------------------------------------------------------

    def block(self, b, state: dict) -> None:
        if isinstance(b, Heading):
            # PDF/UA forbids skipping a level: a level-3 heading with no level-2 before it in
            # its section is a level 2 in the structure, still drawn as a level 3
            level = max(2, min(b.level, state["level"] + 1))
            state["level"] = level
            number = b.number if b.level == 2 else ""
            self.out.append(
                f"#wb-heading({level}, {b.level}, {lit(number)}, {lit(b.text)}, "
                f"id: {self.label(b.id)})"
            )
        elif isinstance(b, Paragraph):
            body = lit(b.text)
            if b.runs:
                parts = (
                    lit(r) if isinstance(r, str) else f"wb-link({self.link(r)})" for r in b.runs
                )
                body = f"({', '.join(parts)},).join()"
            self.out.append(f"#wb-par({body}, lead: {lit(b.lead)}, cls: {lit(b.cls)})")
        elif isinstance(b, Note):
            self.out.append(
                f"#wb-note({lit(b.text)}, style: {lit(b.style)}, lead: {lit(b.lead)}, "
                f"id: {self.label(b.id)})"
            )
        elif isinstance(b, ListBlock):
            if b.items:
                items = _arr(self.item(i) for i in b.items)
                ordered = str(b.ordered).lower()
                self.out.append(f"#wb-list({items}, ordered: {ordered}, style: {lit(b.style)})")
        elif isinstance(b, KeyFigures):
            if b.figures:
                figs = _arr(_dict({"big": lit(f.big), "small": lit(f.small)}) for f in b.figures)
                self.out.append(f"#wb-keyfigures({figs})")
        elif isinstance(b, Table):
            self.table(b)
        elif isinstance(b, Figure):
            self.figure(b)
        else:
            raise TypeError(f"render_pdf does not know the block {type(b).__name__}")

    def item(self, i: Item) -> str:
        return _dict(
            {
                "text": lit(i.text),
                "head": lit(i.head),
                "badge": lit(i.badge),
                "badge-text": lit(i.badge_text or i.badge),
                "meta": _lits(i.meta),
                "links": _arr(self.link(link) for link in i.links),
                "id": self.label(i.id),
            }
        )

    def link(self, link: Link) -> str:
        return _dict({"t": lit(link.text), **self.target(link.href)})

    def table(self, t: Table) -> None:
        n = len(t.columns)
        for row in t.rows:
            if len(row) > n:
                raise RenderError(f"table {t.key}: a row has {len(row)} cells for {n} columns")
        col_cls = [t.col_classes[i] if i < len(t.col_classes) else "" for i in range(n)]
        rights = ["num" in c.split() for c in col_cls]
        widths = list(t.widths) if len(t.widths) == n else [1.0] * n
        rows, units = [], [[(str(c), "th")] for c in t.columns]
        for row in t.rows:
            cells = []
            for i, cell in enumerate([*row, *[None] * (n - len(row))]):
                text, cls = ("", "") if cell is None else (cell.text, cell.cls)
                kinds = cls.split()
                pairs = {"t": lit(text), "c": lit(cls)}
                if rights[i] and not {"num", "count"} & set(kinds):
                    # a number column's cells are numbers: one unit each, like the HTML's
                    # `white-space: nowrap`
                    cls, kinds = f"{cls} num".strip(), [*kinds, "num"]
                    pairs["c"] = lit(cls)
                if not rights[i] and ("num" in kinds or "count" in kinds):
                    pairs["right"] = "true"
                if cell is not None:
                    pairs.update(self.target(cell.href))
                cells.append(_dict(pairs))
                units[i].append((text, cls))
            rows.append(_arr(cells))
        if not n:
            rows = []  # no columns: printed as a table without rows
        self.out.append(
            f"#wb-table({lit(t.number)}, {lit(t.caption)}, {lit(t.source)}, "
            f"{_lits(t.columns)}, {_arr(f'{w:g}' for w in widths)}, "
            f"{_arr(str(r).lower() for r in rights)}, {_arr(self.units(u) for u in units)}, "
            f"{_arr(rows)}, note: {lit(t.note)}, "
            f"compact: {str(t.compact).lower()}, breakable: {str(self.breakable(t)).lower()}, "
            f"id: {self.label(t.key)})"
        )

    @staticmethod
    def units(cells: list[tuple[str, str]]) -> str:
        """The texts Typst measures for a column's minimum width: every word (a number or a
        count whole) in its cell's style, deduplicated and cut to the longest dozen, so that a
        60-table report measures a few thousand strings rather than every word of every cell
        (a shorter word is wider than a longer one only in a different style, by ~10%)."""
        seen: dict[tuple[str, str], None] = {}
        for text, cls in cells:
            whole = set(cls.split()) & {"count", "num", "nowrap", "mono"}
            for word in [text] if whole else (text.split() or [""]):
                seen[(word, cls)] = None
        longest = sorted(seen, key=lambda u: len(u[0]), reverse=True)[:12]
        return _arr(f"({lit(w)}, {lit(c)})" for w, c in longest)

    def breakable(self, t: Table) -> bool:
        # a short table moves whole to the next page with its caption, as in the HTML's print
        # stylesheet (a compact one up to 8 rows: a five-row table left one row at a page's
        # foot); a long one breaks, its header row repeated
        return self.doc.page != "slides" and len(t.rows) > (8 if t.compact else 15)

    def figure(self, f: Figure) -> None:
        key = f"wb-svg-{len(self.inputs)}"
        self.inputs[key] = f.svg
        alt = f.alt or f.caption  # PDF/UA wants an alternative text on every image
        self.out.append(
            f"#wb-figure({lit(f.number)}, {lit(f.caption)}, {lit(f.source)}, {lit(alt)}, "
            f"{lit(key)}, id: {self.label(f.key)})"
        )

    # --- the document ---------------------------------------------------------------------

    def section(self, s: Section, first: bool) -> None:
        number = s.number if s.number.isdigit() else ""
        running = s.running or s.label
        # a brief's first section follows its head on page 1
        brk = not (first and self.doc.page == "brief")
        self.out.append(
            f"#wb-section({lit(number)}, {lit(s.title)}, {lit(running)}, "
            f"id: {self.label(s.id)}, newpage: {str(brk).lower()})"
        )
        state = {"level": 1}
        split = s.attrs.get("column-break", "")
        start = next((i for i, b in enumerate(s.blocks) if isinstance(b, Heading)), None)
        second = next(
            (i for i, b in enumerate(s.blocks) if isinstance(b, Heading) and b.id == split), None
        )
        if not split or start is None or second is None or second <= start:
            for b in s.blocks:
                self.block(b, state)
            return

        # two columns: the blocks before the first heading span the page, the second column
        # starts at the heading `column-break` names; footnotes stay under both
        def part(blocks) -> None:
            for b in blocks:
                if not (isinstance(b, Note) and b.style == "footnote"):
                    self.block(b, state)

        # the footnotes first: floated to the foot of the slide, they take their room there
        # before the columns are laid out (a chart filling its column stops above them)
        for b in s.blocks:
            if isinstance(b, Note) and b.style == "footnote":
                self.block(b, state)
        part(s.blocks[:start])
        self.out.append("#wb-columns[")
        part(s.blocks[start:second])
        self.out.append("][")
        part(s.blocks[second:])
        self.out.append("]")

    def write(self) -> TypstSource:
        doc, kind = self.doc, self.doc.page
        style = STYLES[kind]
        sizes = {k: v for k, v in style.items() if k not in ("paper", "margin")}
        self.out += [
            f"#let wb-kind = {lit(kind)}",
            f"#let wb-title = {lit(doc.title)}",
            f"#let wb-lang = {lit(_typst_lang(doc.lang))}",
            f"#let wb-fonts = {_lits(FONTS)}",
            f"#let wb-mono-fonts = {_lits(MONO_FONTS)}",
            f"#let wb-margin = {style['margin']}",
            f"#let wb = {_dict(sizes)}",
            _typst_template("preamble.typ"),
            _typst_template(f"page-{kind}.typ"),
        ]
        kicker = getattr(doc, "kicker", "") or ""
        footnotes = list(doc.footnotes)
        has_cover = kind != "slides" or bool(doc.cover or footnotes or kicker)
        if has_cover:
            self.out.append(f"#wb-cover({lit(kicker)}, {lit(doc.subtitle)})")
            state = {"level": 1}
            for b in doc.cover:
                self.block(b, state)
            if footnotes and kind == "brief":
                # at the foot of page 1, whatever follows the head on it
                self.out.append(
                    f"#place(bottom, float: true, clearance: 8pt, wb-footnotes({_lits(footnotes)}))"
                )
            elif footnotes:
                self.out.append(f"#v(1fr)\n#wb-footnotes({_lits(footnotes)})")
        if getattr(doc, "toc", kind == "a4") and kind != "slides":
            self.out.append(
                '#pagebreak(weak: true)\n#[#metadata("Contents") <wb-running>]\n'
                '#outline(title: "Contents", depth: 1, indent: 0pt)'
            )
        for i, s in enumerate(doc.sections):
            self.section(s, first=i == 0)
        slides = (int(has_cover) + len(doc.sections)) if kind == "slides" else 0
        return TypstSource("\n".join(line for line in self.out if line), self.inputs, slides)


def typst_source(document) -> TypstSource:
    """The Typst source for `document` and the inputs it reads (no compilation)."""
    return _Writer(document).write()


@cache
def _fonts():
    """The font book, built once per process (scanning the system fonts is most of a small
    compilation's time)."""
    import typst

    paths = [str(p) for p in FONT_DIRS if p.is_dir()]
    if not hasattr(typst, "Fonts"):  # an older binding: the folders, scanned at each compile
        return paths
    return typst.Fonts(include_system_fonts=True, include_embedded_fonts=True, font_paths=paths)


def render_pdf(
    document, *, standards: Sequence[str] = DEFAULT_STANDARDS, strict: bool = False
) -> bytes:
    """The PDF of `document` (a `document.Document`, or anything with its attributes).

    `standards`: PDF standards Typst writes and checks (default PDF/UA-1; `()` for a plain
    tagged PDF). Typst's warnings go to the log; with `strict` they raise `RenderError`.
    Inside `cache.kept_in`, a PDF Typst made without a warning is kept by a digest of all it
    was made from (source, charts, standards, Typst's version, this module, the fonts) and not
    laid out again: most of a workshop pack is the same from one refresh to the next (its
    metadata then keep the time it was laid out).
    """
    src = typst_source(document)
    key = _pdf_key(src, standards)
    pdf = document_cache.recall("pdf", key)
    if pdf is None:
        pdf, messages = _compile(src, standards)
        for m in messages:
            log.warning("Typst: %s", m)
        if strict and messages:
            raise RenderError(f"Typst warned: {'; '.join(messages[:5])}")
        if not messages:
            document_cache.keep("pdf", key, pdf)
    if src.slides:
        _check_slides(pdf, src.slides, [s.label for s in document.sections])
    return pdf


def _compile(src: TypstSource, standards: Sequence[str]) -> tuple[bytes, list[str]]:
    import typst

    try:
        pdf, warnings = typst.compile_with_warnings(
            src.source.encode("utf-8"),
            font_paths=_fonts(),
            sys_inputs=src.inputs,
            pdf_standards=list(standards),
        )
    except typst.TypstError as e:
        hints = "; ".join(getattr(e, "hints", []) or [])
        raise RenderError(
            f"Typst: {getattr(e, 'message', e)}{f' ({hints})' if hints else ''}"
        ) from e
    return pdf, [getattr(w, "message", str(w)) for w in warnings]


def _pdf_key(src: TypstSource, standards: Sequence[str]) -> str:
    import typst

    state = (src.source, sorted(src.inputs.items()), list(standards), typst.__version__)
    return hashlib.sha256(pickle.dumps((_CODE, _font_files(), state), protocol=4)).hexdigest()


@cache
def _font_files() -> tuple[tuple[str, int, float], ...]:
    """The font files Typst may use (ours and the system's), with their sizes and times."""
    roots = {*FONT_DIRS, Path("/usr/share/fonts"), Path("/usr/local/share/fonts")}
    return tuple(
        sorted(
            (str(f), f.stat().st_size, f.stat().st_mtime)
            for root in roots
            if root.is_dir()
            for f in root.rglob("*")
            if f.is_file()
        )
    )


def _check_slides(pdf: bytes, expected: int, labels: list[str]) -> None:
    """One page per slide: name the slides that ran over (their headings' pages, from the
    PDF's bookmarks)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    pages = len(reader.pages)
    if pages == expected:
        return
    starts = [
        reader.get_destination_page_number(o) for o in reader.outline if not isinstance(o, list)
    ]
    starts = starts[-len(labels) :] if len(starts) >= len(labels) else []
    over = [
        label
        for label, start, end in zip(labels, starts, [*starts[1:], pages], strict=False)
        if end - start > 1
    ]
    which = f": {', '.join(over)}" if over else ""
    raise SlideOverflowError(f"{pages} pages for {expected} slides; a slide runs over{which}")
