"""A `Document` as PDF, laid out by Typst (the `typst` package: the compiler runs in-process).

This module owns the PDF look of the report, the workshop deck and the briefs: the page kinds
("a4", "slides", "brief"), running heads, page numbers, the contents, and how each block of
`blocks.py` is drawn. `render_pdf(document)` returns the PDF bytes; `typst_source(document)`
returns the Typst source and inputs it compiles (for debugging: `typst compile --input k=v`).

How text gets in. The Typst source is a fixed preamble of `wb-*` functions (`PREAMBLE`) and one
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
  words cannot fit side by side is set in a smaller size rather than overflow.
- A count cell (`count` in its class) prints its text exactly: no hyphen, break or substitution.
- "slides": one page per section; a section that runs over its page raises `SlideOverflowError`.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

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

# The Typst side: styles and one function per block. Python only ever calls these with data.
PREAMBLE = r"""
#let wb-navy = rgb("#163a5f")
#let wb-blue = rgb("#5b7ea4")
#let wb-grey = rgb("#6b6b6b")
#let wb-ink = rgb("#1a1a1a")
#let wb-rule = rgb("#d9d9d9")
#let wb-amber = rgb("#E69F00")
#let wb-brown = rgb("#7a4d00")
#let wb-link-blue = rgb("#0b5394")
#let wb-urgency = (urge: rgb("#D55E00"), consider: rgb("#E69F00"), invite: rgb("#56B4E9"))

#set document(title: wb-title)
#set text(font: wb-fonts, size: wb.body, lang: wb-lang, fill: wb-ink)
#set par(leading: wb.leading, spacing: wb.spacing)
#set heading(numbering: none)
#show heading: set text(fill: wb-navy)
#show heading.where(level: 1): it => block(
  width: 100%, below: 0.9em, inset: (bottom: 3pt), stroke: (bottom: 1.2pt + wb-navy),
  text(size: wb.h1, it.body),
)
#show heading.where(level: 2): set text(size: wb.h2)
#show heading.where(level: 3): set text(size: wb.h3)
#show heading.where(level: 2): set block(above: 1.3em, below: 0.6em)
#show heading.where(level: 3): set block(above: 1.1em, below: 0.5em)
#show title: set text(size: wb.title, fill: wb-navy)
#show title: set block(above: 0.4em, below: 0.6em)
#show link: set text(fill: wb-link-blue)
#show figure: set align(left)
#show figure.caption: set align(left)
#show figure.caption: set text(size: wb.small + 1pt)
#show figure: set block(above: 0.9em, below: 1.1em)
#show outline.entry.where(level: 1): set block(above: 0.7em)

// the running head: the `running` of the latest section started on or before this page
#let wb-running() = context {
  let page = here().page()
  let marks = query(<wb-running>).filter(m => m.location().page() <= page)
  if marks.len() > 0 { marks.last().value }
}

#let wb-has(cls, name) = cls.split(" ").contains(name)

#let wb-labelled(body, id) = if id == none { body } else { [#body#label(id)] }

#let wb-link(l) = {
  if "url" in l { link(l.url, l.t) } else if "to" in l { link(label(l.to), l.t) } else { l.t }
}

#let wb-styled(cls, body) = {
  let k = cls.split(" ")
  let args = (:)
  if k.contains("total") or k.contains("verdict") or k.contains("th") { args.weight = "bold" }
  if k.contains("th") { args.fill = wb-navy }
  if k.contains("suppressed") { args.fill = wb-brown }
  if k.contains("withheld") { args.fill = wb-brown; args.style = "italic" }
  if k.contains("missing") { args.fill = rgb("#9a9a9a") }
  if k.contains("note") { args.fill = wb-grey }
  if k.contains("small") { args.size = 0.93em }
  if k.contains("mono") { args.font = wb-mono-fonts; args.size = 0.87em }
  if k.contains("verdict-rising") { args.fill = rgb("#b03a00") }
  if k.contains("verdict-falling") { args.fill = rgb("#00704f") }
  if k.contains("verdict-stable") { args.fill = wb-navy }
  if k.contains("rising") or k.contains("falling") { args.fill = wb-navy; args.weight = "bold" }
  if k.contains("verdict-insufficient_data") or k.contains("insufficient_data") {
    args.fill = wb-grey; args.weight = "regular"; args.style = "italic"
  }
  if k.contains("severity-error") { args.fill = rgb("#b00020"); args.weight = "bold" }
  let out = text(..args, body)
  // a number, a count or a code is one unit: it never breaks, not even at "–" or "/"
  if k.any(c => c in ("count", "num", "nowrap", "mono")) { box(out) } else { out }
}

#let wb-par(body, lead: "", cls: "") = {
  let content = if lead != "" [#strong(lead) #body] else [#body]
  if wb-has(cls, "kicker") {
    par(text(size: wb.small, fill: wb-blue, tracking: 0.12em, upper(content)))
  } else if wb-has(cls, "lead") {
    par(text(size: wb.lead, content))
  } else if wb-has(cls, "empty") {
    par(text(fill: wb-grey, style: "italic", content))
  } else if cls.split(" ").any(c => c in ("note", "source", "small")) {
    par(text(size: wb.small, fill: wb-grey, content))
  } else {
    par(content)
  }
}

#let wb-note(body, style: "note", lead: "", id: none) = {
  let out = if style == "caveat" {
    let head = if lead != "" [#text(fill: wb-brown, strong(lead)) ] else []
    block(
      width: 100%, fill: rgb("#fff8e6"), stroke: (left: 3pt + wb-amber),
      inset: (x: 9pt, y: 6pt), above: 0.8em, below: 1em, breakable: false,
      par[#head#body],
    )
  } else {
    let content = if lead != "" [#strong(lead) #body] else [#body]
    if style == "footnote" {
      block(
        width: 100%, stroke: (top: 0.5pt + rgb("#999999")), inset: (top: 4pt),
        text(size: wb.small, fill: rgb("#444444"), content),
      )
    } else if style == "empty" {
      par(text(fill: wb-grey, style: "italic", content))
    } else {
      par(text(size: wb.small, fill: rgb("#444444"), content))
    }
  }
  wb-labelled(out, id)
}

#let wb-heading(level, shown, number, body, id: none) = {
  // `level` is the level in the PDF's structure (PDF/UA: no level skipped), `shown` its look;
  // a real space after the number, so that bookmarks and screen readers read "3.1 Victims"
  let head = if number != "" [#text(fill: wb-blue, weight: "regular", number)#" "#h(0.25em)#body] else [#body]
  let size = if shown <= 2 { wb.h2 } else { wb.h3 }
  wb-labelled({ show heading: set text(size: size); heading(level: level, head) }, id)
}

#let wb-section(number, title, running, id: none, newpage: true) = {
  if newpage { pagebreak(weak: true) }
  [#metadata(running) <wb-running>]
  let head = if number != "" [#text(fill: wb-blue, weight: "regular", number)#" "#h(0.2em)#title] else [#title]
  wb-labelled(heading(level: 1, head), id)
}

#let wb-badge(name) = {
  let color = wb-urgency.at(name, default: wb-blue)
  box(
    fill: color.darken(15%), inset: (x: 3pt, y: 1pt), outset: (y: 1pt), radius: 2pt,
    text(size: 0.78em, fill: white, tracking: 0.04em, upper(name)),
  )
}

#let wb-item(it, style: "") = {
  let parts = ()
  if it.badge != "" or it.head != "" {
    let badge = if it.badge != "" [#wb-badge(it.badge) ] else []
    parts.push(block(below: 0.35em, text(size: wb.small + 0.5pt)[#badge#strong(it.head)]))
  }
  parts.push(it.text)
  for line in it.meta { parts.push(block(above: 0.35em, text(size: wb.small, fill: rgb("#555555"), line))) }
  if it.links.len() > 0 {
    parts.push(block(above: 0.35em, text(size: wb.small, fill: rgb("#555555"), list(
      spacing: 0.3em, ..it.links.map(wb-link),
    ))))
  }
  let body = parts.join()
  let out = if style == "recs" {
    let color = wb-urgency.at(it.badge, default: rgb("#9ecae1"))
    block(stroke: (left: 2.5pt + color), inset: (left: 7pt, y: 2pt), breakable: false, body)
  } else { body }
  wb-labelled(out, it.at("id", default: none))
}

#let wb-list(items, ordered: false, style: "") = {
  let entries = items.map(i => wb-item(i, style: style))
  let out = if style == "recs" {
    list(marker: [], indent: 0pt, body-indent: 0pt, spacing: 0.8em, ..entries)
  } else if ordered {
    enum(spacing: 0.6em, ..entries)
  } else {
    list(spacing: if style == "facts" { 0.7em } else { 0.5em }, ..entries)
  }
  if style == "compact" { text(size: wb.small + 0.5pt, out) } else { out }
}

#let wb-keyfigures(figures) = block(above: 0.8em, below: 1em, breakable: false, grid(
  columns: (1fr,) * calc.min(3, calc.max(1, figures.len())), gutter: 6pt,
  fill: rgb("#f1f6fb"), inset: (x: 7pt, y: 5pt),
  ..figures.map(f => [#text(size: wb.big, weight: "bold", fill: wb-navy, box(f.big))\ #text(size: wb.small, fill: rgb("#444444"), f.small)]),
))

// Column widths: each at least its widest unit (a word; a whole number or count), measured in
// the table's font; what is left of the line is shared out in proportion to `Table.widths`.
#let wb-columns(avail, widths, units, inset, size) = {
  let n = widths.len()
  // `measure` sees the styles of its context, not the table's set rules: the size goes in here
  let width(u) = measure(text(size: size, hyphenate: false, wb-styled(u.at(1), u.at(0)))).width
  let need = units.map(col => col.fold(0pt, (m, u) => calc.max(m, width(u))) + 2 * inset + 0.5pt)
  let total = need.sum(default: 0pt)
  if total > avail {
    // the words cannot fit side by side: the caller scales the text down by this factor
    return (need, (avail - n * 2 * inset) / (total - n * 2 * inset))
  }
  let fixed = range(n).map(_ => false)
  let changed = true
  while changed {
    changed = false
    let free = avail - range(n).filter(i => fixed.at(i)).map(i => need.at(i)).sum(default: 0pt)
    let share = range(n).filter(i => not fixed.at(i)).map(i => widths.at(i)).sum(default: 0)
    for i in range(n) {
      if not fixed.at(i) and (share == 0 or free * widths.at(i) / share < need.at(i)) {
        fixed.at(i) = true
        changed = true
      }
    }
  }
  let free = avail - range(n).filter(i => fixed.at(i)).map(i => need.at(i)).sum(default: 0pt)
  let share = range(n).filter(i => not fixed.at(i)).map(i => widths.at(i)).sum(default: 0)
  (range(n).map(i => if fixed.at(i) { need.at(i) } else { free * widths.at(i) / share }), 1.0)
}

#let wb-grid(columns, widths, rights, units, rows, compact) = layout(size => {
  let base = if compact { wb.compact } else { wb.table }
  let inset = if compact { 3pt } else { 4pt }
  let (cols, factor) = wb-columns(size.width, widths, units, inset, base)
  if factor < 1.0 {
    cols = cols.map(c => (c - 2 * inset) * factor + 2 * inset)
  }
  // rows as tall as the HTML's (line-height 1.4 and 2.5 pt padding): the line box from
  // ascender to descender plus the half-leading in the inset
  set text(size: base * calc.min(factor, 1.0), hyphenate: false, top-edge: "ascender",
    bottom-edge: "descender")
  set par(leading: 0.24em)
  table(
    columns: cols,
    inset: (x: inset, y: if compact { 2.3pt } else { 3.4pt }),
    align: (x, y) => if rights.at(x) { right + top } else { left + top },
    stroke: (x, y) => if y == 0 { (bottom: 1pt + wb-navy) } else { (bottom: 0.5pt + wb-rule) },
    table.header(repeat: true, ..columns.map(c => wb-styled("th", c))),
    ..rows.flatten().map(c => {
      let body = wb-styled(c.c, c.t)
      let body = if "url" in c or "to" in c { wb-link(c + (t: body)) } else { body }
      if c.at("right", default: false) { table.cell(align: right + top, body) } else { body }
    }),
  )
})

#let wb-table(number, caption, source, columns, widths, rights, units, rows, note: "",
              compact: false, breakable: false, id: none) = {
  let body = if rows.len() > 0 {
    wb-grid(columns, widths, rights, units, rows, compact)
  } else {
    par(text(fill: wb-grey, style: "italic", "No rows in this run."))
  }
  let tail = ()
  if note != "" { tail.push(text(size: wb.small, fill: rgb("#444444"), note)) }
  if source != "" { tail.push(text(size: wb.small, fill: wb-grey, source)) }
  let out = {
    show figure: set block(breakable: breakable)
    figure(
      kind: table, supplement: none, numbering: none, gap: 4pt,
      caption: figure.caption(position: top, [#text(weight: "bold", fill: wb-navy)[Table #number.] #caption]),
      [#body#for t in tail { block(above: 3pt, below: 0pt, t) }],
    )
  }
  wb-labelled(out, id)
}

#let wb-figure(number, caption, source, alt, input, id: none) = {
  let svg = bytes(sys.inputs.at(input))
  let src = if source != "" [\ #text(size: wb.small, fill: wb-grey, source)] else []
  let cap = [#text(weight: "bold", fill: wb-navy)[Figure #number.] #caption#src]
  let chart(height) = figure(
    kind: image, supplement: none, numbering: none, gap: 4pt, caption: cap,
    align(center, image(svg, format: "svg", alt: alt, width: 100%, height: height, fit: "contain")),
  )
  let out = if wb-kind == "slides" {
    // a slide's chart takes the room left on the slide under the text, its caption included
    block(width: 100%, height: 1fr, layout(size => {
      let below = measure(block(width: size.width, text(size: wb.small + 1pt, cap))).height
      chart(calc.max(size.height - below - 8pt, 2cm))
    }))
  } else { chart(auto) }
  wb-labelled(out, id)
}

#let wb-cover(kicker, subtitle) = {
  if kicker != "" { wb-par(kicker, cls: "kicker") }
  title()
  if subtitle != "" {
    block(below: 1.2em, text(size: wb.subtitle, fill: rgb("#333333"), subtitle))
  }
}

#let wb-footnotes(notes) = block(
  width: 100%, stroke: (top: 0.5pt + rgb("#999999")), inset: (top: 4pt),
  text(size: wb.small, fill: rgb("#444444"), notes.map(n => par(n)).join()),
)
"""

# page set-up per kind: the header and footer are artifacts in the tagged PDF (Typst marks them)
PAGES = {
    "a4": r"""
#set page(
  paper: "a4", margin: wb-margin,
  header: context if here().page() > 1 {
    set text(size: 7.5pt, fill: wb-grey)
    grid(columns: (1fr, auto), column-gutter: 12pt, wb-running(), wb-title)
  },
  footer: context if here().page() > 1 {
    set text(size: 7.5pt, fill: wb-grey)
    align(center, counter(page).display("1 / 1", both: true))
  },
)
""",
    "brief": r"""
#set page(
  paper: "a4", margin: wb-margin,
  header: context { set text(size: 7pt, fill: wb-grey); align(right, wb-title) },
  footer: context {
    set text(size: 7pt, fill: wb-grey)
    align(right, counter(page).display((n, total) => [page #n of #total], both: true))
  },
)
""",
    "slides": r"""
#set page(
  width: 297mm, height: 167mm, margin: wb-margin,
  footer: context {
    set text(size: 7.5pt, fill: wb-grey)
    grid(columns: (1fr, auto), column-gutter: 12pt, wb-title,
      counter(page).display("1 / 1", both: true))
  },
)
""",
}


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
    items = [lit(v) for v in values]
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
        ids = set()
        for section in document.sections:
            ids.add(section.id)
            for b in section.blocks:
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
            self.out.append(f"#wb-par({lit(b.text)}, lead: {lit(b.lead)}, cls: {lit(b.cls)})")
        elif isinstance(b, Note):
            self.out.append(
                f"#wb-note({lit(b.text)}, style: {lit(b.style)}, lead: {lit(b.lead)}, "
                f"id: {self.label(b.id)})"
            )
        elif isinstance(b, ListBlock):
            items = ", ".join(self.item(i) for i in b.items)
            self.out.append(
                f"#wb-list(({items},), ordered: {str(b.ordered).lower()}, style: {lit(b.style)})"
                if b.items
                else ""
            )
        elif isinstance(b, KeyFigures):
            figs = ", ".join(_dict({"big": lit(f.big), "small": lit(f.small)}) for f in b.figures)
            if b.figures:
                self.out.append(f"#wb-keyfigures(({figs},))")
        elif isinstance(b, Table):
            self.table(b)
        elif isinstance(b, Figure):
            self.figure(b)
        else:
            raise TypeError(f"render_pdf does not know the block {type(b).__name__}")

    def item(self, i: Item) -> str:
        links = ", ".join(self.link(link) for link in i.links)
        return _dict(
            {
                "text": lit(i.text),
                "head": lit(i.head),
                "badge": lit(i.badge),
                "meta": _lits(i.meta),
                "links": f"({links},)" if links else "()",
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
            rows.append(f"({', '.join(cells)},)")
        self.out.append(
            f"#wb-table({lit(t.number)}, {lit(t.caption)}, {lit(t.source)}, "
            f"{_lits(t.columns)}, ({', '.join(f'{w:g}' for w in widths)},), "
            f"({', '.join(str(r).lower() for r in rights)},), "
            f"({', '.join(self.units(u) for u in units)},), "
            f"({', '.join(rows)}{',' if rows else ''}), note: {lit(t.note)}, "
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
        return "(" + ", ".join(f"({lit(w)}, {lit(c)})" for w, c in longest) + ",)"

    def breakable(self, t: Table) -> bool:
        # a short table moves whole to the next page with its caption, as in the HTML's print
        # stylesheet; a long or compact one breaks, its header row repeated
        return self.doc.page != "slides" and (t.compact or len(t.rows) > 15)

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
        for b in s.blocks:
            self.block(b, state)

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
            PREAMBLE,
            PAGES[kind],
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
    return typst.Fonts(include_system_fonts=True, include_embedded_fonts=True, font_paths=paths)


def render_pdf(
    document, *, standards: Sequence[str] = DEFAULT_STANDARDS, strict: bool = False
) -> bytes:
    """The PDF of `document` (a `document.Document`, or anything with its attributes).

    `standards`: PDF standards Typst writes and checks (default PDF/UA-1; `()` for a plain
    tagged PDF). Typst's warnings go to the log; with `strict` they raise `RenderError`.
    """
    import typst

    src = typst_source(document)
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
    messages = [getattr(w, "message", str(w)) for w in warnings]
    for m in messages:
        log.warning("Typst: %s", m)
    if strict and messages:
        raise RenderError(f"Typst warned: {'; '.join(messages[:5])}")
    if src.slides:
        _check_slides(pdf, src.slides, [s.label for s in document.sections])
    return pdf


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
