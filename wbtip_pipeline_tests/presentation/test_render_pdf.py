"""The Typst PDF renderer on small hand-built documents: text prints literally whatever it holds,
every script we publish in has its glyphs, table cells never break inside a word, a deck has a
page per section, and the PDF is tagged (PDF/UA-1)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import pytest
from pypdf import PdfReader

from wbtip_pipeline.presentation.blocks import (
    Cell,
    Figure,
    Heading,
    Item,
    KeyFigure,
    KeyFigures,
    Link,
    ListBlock,
    Note,
    Numbering,
    Paragraph,
    Section,
    Table,
)
from wbtip_pipeline.presentation.document import Document
from wbtip_pipeline.presentation.render_pdf import (
    RenderError,
    SlideOverflowError,
    lit,
    render_pdf,
    typst_source,
)

HOSTILE = [
    "#set page(width: 1cm)",
    "*not bold*",
    "$x^2$",
    "<script>alert(1)</script>",
    "{{ x }}",
    r"C:\temp\new \n",
    "\"quoted\" and 'single'",
    "@ref [link] ~ // _u_ `raw` <label> = heading",
    '#"a" + "b"',
]
ALBANIAN = "Shqipëri, çështje, Prishtinë"
SERBIAN_LATIN = "Srbija: šuma, čovek, ćerka, žena, đak"
CYRILLIC = "Србија, Македонија: ѓ ќ љ њ џ ѕ, Ђорђе"

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 240 100">'
    '<rect x="10" y="20" width="40" height="70" fill="#163a5f"/>'
    '<text x="60" y="60" font-family="DejaVu Sans" font-size="12">Ђ ѓ ë</text></svg>'
)


@dataclass
class Chart:
    key: str = "fig-victims"
    caption: str = "Victims detected per year"
    source: str = "Source: warehouse table trends"
    alt: str = "Bar chart of victims detected per year"
    svg: str = SVG


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def section(n: int = 1, title: str = "Albania", extra=()) -> Section:
    num = Numbering(str(n))
    s = Section(f"sec-{n}", str(n), title)
    s.add(
        Paragraph(f"{ALBANIAN}. {SERBIAN_LATIN}. {CYRILLIC}.", lead="Read first."),
        Note("Detected victims are not prevalence.", style="caveat", lead="Caveat."),
        num.heading("Victims", id=f"victims-{n}"),
        num.table(
            f"tab-{n}",
            "Victims by jurisdiction and year",
            "Source: warehouse table trends",
            ["Jurisdiction", "Year", "Victims"],
            [
                [Cell("Albania", "rowhead"), Cell("2021", "num"), Cell("<5", "count suppressed")],
                [Cell("Србија", "rowhead"), Cell("2020", "num"), Cell("186–190", "count")],
            ],
            col_classes=["", "num", "num"],
        ),
        ListBlock.of(["first fact", "second fact"], style="facts"),
        *extra,
    )
    return s


def document(**kw) -> Document:
    base = {
        "title": "Trafficking in persons in the Western Balkans",
        "subtitle": "A test",
        "sections": [section()],
        "footnotes": ["* Kosovo: without prejudice to positions on status."],
    }
    return Document(**{**base, **kw})


@pytest.fixture(scope="module")
def report_pdf() -> bytes:
    num = Numbering("2")
    hostile = Section("hostile", "2", "Hostile <b>#text</b>")
    hostile.add(
        *[Paragraph(h) for h in HOSTILE],
        num.heading("Heading with $math$ and #code", id="h-hostile"),
        Heading("A level-3 heading straight after a level 2", level=3),
        num.table(
            "tab-hostile",
            "Caption with *stars* and {{ x }}",
            "Source: #source \\ ~",
            ["Col #1", "Col $2"],
            [[Cell("<script>"), Cell("#x")], [Cell("[c]", "count withheld"), Cell('"q"')]],
        ),
        ListBlock(
            [
                Item("Item text #1", head="ALB-01 Justice", badge="urge", meta=["meta $"]),
                Item(
                    "Item two", links=[Link("see Table 1.1", "#tab-1"), Link("w", "https://x.org")]
                ),
            ],
            ordered=True,
            style="recs",
        ),
        KeyFigures([KeyFigure("314", "victims"), KeyFigure("14–18", "convicted", count=True)]),
        num.figure(Chart()),
        Note("A footnote with @at", style="footnote"),
    )
    doc = document(
        cover=[Paragraph("Cover paragraph with #hash", cls="lead")],
        sections=[section(), hostile],
        kicker="Regional report",
    )
    return render_pdf(doc, strict=True)


def test_lit_makes_a_plain_string_literal():
    assert lit('a"b\\c') == '"a\\"b\\\\c"'
    assert lit("line\nnext\ttab\x00") == '"line\\nnext tab "'
    assert lit("#[*]$") == '"#[*]$"'


def test_hostile_text_prints_literally(report_pdf):
    text = flat(text_of(report_pdf))
    for h in HOSTILE:
        assert flat(h) in text, h
    for h in [
        "Hostile <b>#text</b>",
        "Heading with $math$ and #code",
        "Col #1",
        "Col $2",
        "<script>",
        "Caption with *stars* and {{ x }}",
        "Source: #source \\ ~",
        "Item text #1",
        "meta $",
        "A footnote with @at",
        "Cover paragraph with #hash",
    ]:
        assert h in text, h


def test_all_scripts_print_with_their_own_font(report_pdf):
    text = flat(text_of(report_pdf))
    for s in (ALBANIAN, SERBIAN_LATIN, CYRILLIC):
        assert s in text
    fonts = set()
    for page in PdfReader(io.BytesIO(report_pdf)).pages:
        for f in (page["/Resources"].get("/Font") or {}).values():
            fonts.add(str(f.get_object()["/BaseFont"]))
    # no fallback font stepped in: DejaVu Sans (regular, bold, oblique) carries every letter
    assert fonts and all("DejaVuSans" in f for f in fonts), fonts


def test_a_glyph_no_font_has_fails_rendering():
    # PDF/UA-1 forbids a missing glyph: Typst refuses instead of printing a blank box
    with pytest.raises(RenderError, match="could not be displayed"):
        render_pdf(document(sections=[Section("s", "1", "S", [Paragraph("bad \u0378")])]))


def test_numbers_captions_and_counts_print_whole(report_pdf):
    text = text_of(report_pdf)
    lines = [flat(line).strip() for line in text.splitlines()]
    assert "Jurisdiction Year Victims" in lines
    assert "Albania 2021 <5" in lines
    assert "Србија 2020 186–190" in lines
    assert "Table 1.1. Victims by jurisdiction and year" in lines
    assert "Figure 2.1. Victims detected per year" in lines
    assert "Source: warehouse table trends" in lines
    assert "[c]" in text
    assert "14–18" in text


def _runs(pdf: bytes, page: int = 0) -> list[tuple[str, float, float]]:
    """(text, x, font size) of each text run on a page."""
    runs = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            runs.append((text.strip(), tm[4] * cm[0] + tm[5] * cm[2] + cm[4], size))

    PdfReader(io.BytesIO(pdf)).pages[page].extract_text(visitor_text=visit)
    return runs


def test_columns_are_at_least_as_wide_as_their_words():
    # widths that would give "Year" 2% of the line (about 10 pt): the column must still hold it
    table = Table(
        "t",
        "1.1",
        "Narrow columns",
        "Source: test",
        ["Jurisdiction", "Year", "Internationalisation"],
        [[Cell("Bosnia and Herzegovina"), Cell("2021", "num"), Cell("186–190", "count")]],
        col_classes=["", "num", "num"],
        widths=[96, 2, 2],
    )
    doc = document(sections=[Section("s", "1", "S", [table])], page="brief", footnotes=[])
    pdf = render_pdf(doc, strict=True)
    runs = {t: (x, size) for t, x, size in _runs(pdf)}
    for word in ("Year", "Internationalisation", "2021", "186–190"):
        assert word in runs, (word, runs)  # one run each: no word broken over two lines
    (x_year, size), (x_long, _) = runs["Year"], runs["Internationalisation"]
    # a glyph of DejaVu Sans Bold is wider than half an em: the next column starts after "Year"
    assert x_long - x_year >= 0.5 * size * len("Year")
    right = float(PdfReader(io.BytesIO(pdf)).pages[0].mediabox.width) - 15 * 72 / 25.4
    assert x_long + 0.5 * size * len("Internationalisation") <= right


def test_a_table_too_wide_for_its_words_shrinks_instead_of_breaking():
    columns = [f"Heading{i}withalongword" for i in range(8)]
    table = Table("t", "1.1", "Wide", "", columns, [[Cell(f"value{i}xxxxxxxx") for i in range(8)]])
    pdf = render_pdf(document(sections=[Section("s", "1", "S", [table])], page="brief"))
    runs = [(t, size) for t, _, size in _runs(pdf)]
    heads = [size for t, size in runs if t in columns]
    assert len(heads) == 8 and max(heads) < 7.5


def test_rows_shorter_than_the_header_are_padded_and_longer_ones_refused():
    ok = Table("t", "1.1", "Ragged", "", ["A", "B", "C"], [[Cell("a")], [Cell("a"), Cell("b")]])
    assert render_pdf(document(sections=[Section("s", "1", "S", [ok])]))
    bad = Table("u", "1.2", "Long", "", ["A"], [[Cell("a"), Cell("b")]])
    with pytest.raises(RenderError, match="2 cells for 1 columns"):
        render_pdf(document(sections=[Section("s", "1", "S", [bad])]))


def test_empty_blocks_render():
    blocks = [
        Table("t", "1.1", "Nothing yet", "Source: none", ["A", "B"], []),
        Table("u", "1.2", "No columns", "", [], []),
        ListBlock([]),
        KeyFigures([]),
        Paragraph(""),
    ]
    text = text_of(render_pdf(document(sections=[Section("s", "1", "S", blocks)]), strict=True))
    assert "Table 1.1. Nothing yet" in text and text.count("No rows in this run.") == 2


def test_report_has_cover_contents_sections_and_page_numbers(report_pdf):
    reader = PdfReader(io.BytesIO(report_pdf))
    first, contents = reader.pages[0].extract_text(), reader.pages[1].extract_text()
    assert "Trafficking in persons in the Western Balkans" in flat(first)
    assert "Regional report".upper() in first.upper()
    assert "* Kosovo: without prejudice" in first
    assert "Contents" in contents and "1 Albania" in contents and "2 Hostile" in contents
    n = len(reader.pages)
    assert f"2 / {n}" in contents
    # the running head names the section
    assert reader.pages[2].extract_text().startswith("1 Albania")
    # one bookmark per section
    assert [o.title for o in reader.outline if not isinstance(o, list)][-2:] == [
        "1 Albania",
        "2 Hostile <b>#text</b>",
    ]


def test_slides_have_one_page_per_section():
    sections = [
        Section(f"s{i}", str(i), f"Slide {i}", [Paragraph(f"Point {i} with {CYRILLIC}")])
        for i in range(1, 5)
    ]
    # a chart takes the room left on its slide, and no more
    sections[1].add(Figure("f", "2.1", Chart(svg=SVG.replace("0 0 240 100", "0 0 100 240"))))
    sections[2].add(section().blocks[3])  # a table
    doc = Document("Workshop deck", sections=sections, page="slides")
    reader = PdfReader(io.BytesIO(render_pdf(doc, strict=True)))
    assert len(reader.pages) == len(sections)
    assert float(reader.pages[0].mediabox.width) == pytest.approx(297 * 72 / 25.4, abs=0.1)
    assert float(reader.pages[0].mediabox.height) == pytest.approx(167 * 72 / 25.4, abs=0.1)
    assert "Slide 3" in reader.pages[2].extract_text()


def test_a_slide_that_runs_over_its_page_is_refused():
    long = Section("long", "2", "Too long", [Paragraph(f"Line {i}") for i in range(60)])
    doc = Document("Deck", sections=[Section("a", "1", "Fine"), long], page="slides")
    with pytest.raises(SlideOverflowError, match="Too long"):
        render_pdf(doc)


def _positions(page, *texts: str) -> dict[str, tuple[float, float]]:
    """Where each of `texts` starts on `page` (x, y in points from the bottom left)."""
    found: dict[str, tuple[float, float]] = {}

    def visit(text, cm, tm, font, size):
        for t in texts:
            if t not in found and text.strip().startswith(t):
                found[t] = (tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5])

    page.extract_text(visitor_text=visit)
    return found


def test_a_slide_sets_two_columns_and_its_footnote_at_its_foot():
    slide = Section("member", "", "Albania", cls="jurisdiction")
    slide.add(
        Paragraph("Across the slide.", cls="lead"),
        Heading("Key figures"),
        section().blocks[3],  # a table
        Heading("Main gaps", id="gaps"),
        ListBlock.of(["first gap", "second gap"], style="compact"),
        Note("* Kosovo: without prejudice to positions on status.", style="footnote"),
    )
    slide.attrs["column-break"] = "gaps"
    plain = Section("plain", "", "No columns", [Heading("Main gaps", id="gaps-2")])
    plain.attrs["column-break"] = "no-such-heading"  # no such heading: one column
    doc = Document("Deck", sections=[slide, plain], page="slides")
    assert "#wb-columns[" in typst_source(doc).source
    assert typst_source(doc).source.count("#wb-columns[") == 1
    reader = PdfReader(io.BytesIO(render_pdf(doc, strict=True)))
    assert len(reader.pages) == 2
    page = reader.pages[0]
    at = _positions(page, "Across", "Key figures", "Main gaps", "* Kosovo")
    width = float(page.mediabox.width)
    assert at["Key figures"][0] < width / 2 < at["Main gaps"][0]  # side by side
    assert at["Key figures"][1] == pytest.approx(at["Main gaps"][1], abs=1)
    assert at["Across"][1] > at["Key figures"][1]  # above both columns
    assert at["* Kosovo"][1] < 25 * 72 / 25.4  # at the foot of the slide, above the footer


def test_a_table_without_a_number_prints_its_caption_alone():
    rows = [[Cell("Albania", "rowhead"), Cell("12", "num")]]
    captioned = Table("t1", "", "Key figures, 2019–2021", "Source: x", ["Place", "N"], rows)
    bare = Table("t2", "", "", "", ["Place", "N"], rows)
    doc = document(sections=[Section("s", "1", "S", [captioned, bare])], page="brief")
    text = flat(text_of(render_pdf(doc, strict=True)))
    assert "Key figures, 2019–2021" in text and "Table" not in text


def test_brief_puts_its_footnotes_on_page_one():
    doc = document(sections=[section(1), section(2, "Serbia")], page="brief")
    reader = PdfReader(io.BytesIO(render_pdf(doc, strict=True)))
    assert len(reader.pages) == 2  # no cover page, no contents: a section per page
    assert "* Kosovo" in reader.pages[0].extract_text()
    assert "1 / 2" in reader.pages[0].extract_text()


def _structure(node, seen=None):
    """Every structure element under `node` (the tagged PDF's tree)."""
    seen = seen if seen is not None else []
    node = node.get_object()
    if isinstance(node, dict):
        if "/S" in node:
            seen.append(node)
        kids = node.get("/K")
        if kids is not None:
            for kid in kids if isinstance(kids, list) else [kids]:
                _structure(kid, seen)
    return seen


def test_pdf_is_tagged_pdf_ua(report_pdf):
    reader = PdfReader(io.BytesIO(report_pdf))
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"]
    assert root["/Lang"] == "en"
    assert reader.metadata.title == "Trafficking in persons in the Western Balkans"
    assert b"pdfuaid:part" in root["/Metadata"].get_object().get_data()
    elements = _structure(root["/StructTreeRoot"])
    kinds = {str(e["/S"]) for e in elements}
    assert {"/H1", "/H2", "/Table", "/TH", "/TD", "/L", "/LI", "/Figure"} <= kinds, kinds
    alts = [str(e["/Alt"]) for e in elements if "/Alt" in e]
    assert "Bar chart of victims detected per year" in alts


def test_figure_without_alt_uses_its_caption():
    chart = Chart(alt="")
    s = Section("s", "1", "S", [Figure(chart.key, "1.1", chart)])
    reader = PdfReader(io.BytesIO(render_pdf(document(sections=[s]), strict=True)))
    alts = [
        str(e["/Alt"])
        for e in _structure(reader.trailer["/Root"]["/StructTreeRoot"])
        if "/Alt" in e
    ]
    assert chart.caption in alts


def test_links_resolve_inside_the_document_or_stay_text(report_pdf):
    reader = PdfReader(io.BytesIO(report_pdf))
    uris, internal = [], 0
    for page in reader.pages:
        for a in page.get("/Annots") or []:
            a = a.get_object()
            action = a.get("/A")
            if action is not None and "/URI" in action:
                uris.append(str(action["/URI"]))
            elif "/Dest" in a or (action is not None and "/D" in action):
                internal += 1
    assert "https://x.org" in uris
    assert internal >= 3  # the contents entries and "see Table 1.1"


def test_source_passes_text_as_string_literals_and_charts_as_inputs():
    chart = Chart()
    src = typst_source(document(sections=[Section("s", "1", "#S", [Figure("f", "1.1", chart)])]))
    assert '"#S"' in src.source
    assert SVG not in src.source and list(src.inputs.values()) == [SVG]


def test_unknown_page_kind_is_refused():
    with pytest.raises(ValueError, match="page must be one of"):
        Document("T", page="letter")


def test_a_paragraph_with_links_prints_its_text_and_links_in_both_formats():
    from wbtip_pipeline.presentation.render_html import render_html

    para = Paragraph(
        runs=[
            "In 2024 the authorities adopted <b>a plan</b> (",
            Link("US Department of State, 2024", "https://www.state.gov/report"),
            "). A second statement (",
            Link("no published source, 2019"),
            ").",
        ]
    )
    assert para.text == (
        "In 2024 the authorities adopted <b>a plan</b> (US Department of State, 2024). "
        "A second statement (no published source, 2019)."
    )
    doc = document(sections=[Section("s", "1", "S", [para])])
    pdf = render_pdf(doc, strict=True)
    assert flat(text_of(pdf)).count("adopted <b>a plan</b> (US Department of State, 2024).") == 1
    annots = [
        a.get_object()["/A"]["/URI"]
        for page in PdfReader(io.BytesIO(pdf)).pages
        for a in page.get("/Annots") or []
        if "/A" in a.get_object()
    ]
    assert "https://www.state.gov/report" in annots
    html = render_html(doc)
    assert (
        'adopted &lt;b&gt;a plan&lt;/b&gt; (<a href="https://www.state.gov/report" '
        'rel="noopener noreferrer">US Department of State, 2024</a>).'
    ) in html
    assert "(no published source, 2019)." in html


@pytest.mark.parametrize("words", [525, 540, 555])
def test_a_table_caption_never_stays_alone_at_the_foot_of_a_page(words):
    # a long (breakable) table after text that fills most of a page: the caption moves with
    # the first rows (these lengths left it alone at the foot before captions were sticky)
    rows = [[Cell(f"row {i}"), Cell(str(i), "num")] for i in range(30)]
    blocks = [Paragraph("Filler " * words), Paragraph("Filler " * words)]
    blocks.append(Table("t", "1.1", "A table", "Source: test", ["Name", "Value"], rows))
    pdf = render_pdf(document(sections=[Section("s", "1", "S", blocks)], page="a4"))
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    [caption_page] = [t for t in pages if "Table 1.1" in t]
    assert "row 0" in caption_page


@pytest.mark.parametrize("words", [525, 555])
def test_a_short_compact_table_moves_whole_to_the_next_page(words):
    # five compact rows after text that fills most of a page: none is left alone at its foot
    rows = [[Cell(f"row {i}"), Cell("a reason " * 12, "small")] for i in range(5)]
    blocks = [Paragraph("Filler " * words), Paragraph("Filler " * words)]
    blocks.append(Table("t", "1.1", "A table", "Source: test", ["Name", "Why"], rows, compact=True))
    pdf = render_pdf(document(sections=[Section("s", "1", "S", blocks)], page="a4"))
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    [caption_page] = [t for t in pages if "Table 1.1" in t]
    assert all(f"row {i}" in caption_page for i in range(5))


def test_a_pdf_is_kept_by_what_it_is_made_from_inside_a_document_cache(tmp_path, monkeypatch):
    """Inside `cache.kept_in`, the same document is laid out once; other text is laid out
    again; outside any cache folder, and for a compilation Typst warned about, nothing is kept."""
    from wbtip_pipeline.presentation import cache
    from wbtip_pipeline.presentation import render_pdf as module

    compiled = []
    compile_ = module._compile

    def counting(src, standards):
        compiled.append(src.source)
        return compile_(src, standards)

    monkeypatch.setattr(module, "_compile", counting)

    def doc(text: str):
        return document(sections=[Section("s", "1", "S", [Paragraph(text)])])

    with cache.kept_in(tmp_path):
        first = render_pdf(doc("One refresh."))
        again = render_pdf(doc("One refresh."))
        other = render_pdf(doc("Another refresh."))
    assert len(compiled) == 2 and again == first and other != first
    assert len(list(tmp_path.glob("pdf-*.pkl"))) == 2
    with cache.kept_in(None):
        render_pdf(doc("One refresh."))  # no cache folder (not even the session's): laid out
    assert len(compiled) == 3
    monkeypatch.setattr(module, "_compile", lambda src, standards: (b"%PDF-", ["a warning"]))
    with cache.kept_in(tmp_path / "warned"):
        render_pdf(doc("Warned."))
    assert not list((tmp_path / "warned").glob("pdf-*.pkl"))
