"""The briefs in the jurisdictions' languages (issue 15, items 3 and 5): a brief per member in
English and in each language of its config, each exactly two A4 pages; every message the briefs
use is translated in every catalog; Cyrillic briefs in Cyrillic, Latin ones with their letters;
no English fixed phrase in a translated brief (names and the assessments' English findings
aside); the notice that the English text is authoritative; numbers and dates in the locale's
format, the same figures as the English brief; pointers into the report from its outline; a
member added without `brief_languages` gets English only."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from pypdf import PdfReader

from wbtip_pipeline.presentation import figures
from wbtip_pipeline.presentation.blocks import Item, ListBlock
from wbtip_pipeline.presentation.labels import PREVALENCE_CAVEAT, SUPPRESSION_CAVEAT
from wbtip_pipeline.presentation.outline import report_outline
from wbtip_pipeline.region import Region, load_region
from wbtip_pipeline.vocab import INDICATORS, MIN_DOMAIN_ITEMS
from wbtip_pipeline.workshop import brief_text as words
from wbtip_pipeline.workshop.brief_recs import parse_fields, priorities, translate
from wbtip_pipeline.workshop.briefs import (
    BRIEF_PAGES,
    Brief,
    brief_languages,
    brief_path,
    build_brief,
    render_briefs,
)
from wbtip_pipeline.workshop.facts import PackFacts
from wbtip_pipeline.workshop.i18n import (
    ENGLISH,
    LANGUAGES,
    LOCALE_DIR,
    TRANSLATED,
    LanguageError,
    lang,
    po_path,
)
from wbtip_pipeline_tests.regions import SEVENTH_CODE, seven_member_region
from wbtip_pipeline_tests.report.tables import build_tables

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 11, 20)
MM = 72 / 25.4
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
LATIN_LETTERS = {"sq": "ëç", "bs": "čćšžđ", "cnr": "čćšžđ"}
# how an item's finding line starts (the finding itself is in English in every brief)
FINDING_LEADS = ("Finding of the assessment", "Nalaz procjene", "Налаз процене",
                 "Наод од проценката", "Gjetja e vlerësimit")  # fmt: skip
FINDING_LEAD = re.compile("^(?:" + "|".join(FINDING_LEADS) + ")")
NOTICE = (
    "This is a translation of the English brief; the English text is authoritative. The "
    "translation was machine-generated and has not yet been reviewed by a native-speaking "
    "analyst. The assessments' findings are given in English."
)


def texts(value) -> list[str]:
    """Every string of a document, its blocks and cells walked; an item's finding line (the
    assessment's words, in English in every brief) left out."""
    if isinstance(value, str):
        return [] if FINDING_LEAD.match(value) else [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in texts(v)]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in texts(v)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [t for f in dataclasses.fields(value) for t in texts(getattr(value, f.name))]
    return []


def items_of(doc) -> list[Item]:
    return [i for s in doc.sections for b in s.blocks if isinstance(b, ListBlock) for i in b.items]


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return build_tables()


@pytest.fixture(scope="module")
def facts(tables) -> PackFacts:
    return PackFacts(tables)


@pytest.fixture(scope="module")
def written(facts, tmp_path_factory) -> tuple[Path, list[Brief]]:
    folder = tmp_path_factory.mktemp("briefs")
    (folder / "briefs").mkdir()
    (folder / "briefs" / "brief_ALB.pdf").write_bytes(b"%PDF stale")  # an earlier run's name
    return folder, render_briefs(facts, folder, TODAY)


@pytest.fixture(scope="module")
def docs(facts) -> dict[tuple[str, str], object]:
    return {
        (code, language): build_brief(facts, code, language=language, today=TODAY)
        for code in facts.codes
        for language in brief_languages(facts.region, code)
    }


# --- the files -----------------------------------------------------------------------------------


def test_a_brief_per_member_in_english_and_each_of_its_languages_two_a4_pages(written, facts):
    folder, briefs = written
    expected = {
        "ALB": ["en", "sq"], "BIH": ["en", "bs"], "XKX": ["en", "sq", "sr"], "MKD": ["en", "mk"],
        "MNE": ["en", "cnr"], "SRB": ["en", "sr"],
    }  # fmt: skip
    assert {c: brief_languages(facts.region, c) for c in facts.codes} == expected
    assert len(briefs) >= 12 and {(b.code, b.lang) for b in briefs} == {
        (c, lg) for c, langs in expected.items() for lg in langs
    }
    files = sorted(p.name for p in (folder / "briefs").glob("*.pdf"))
    assert files == sorted(f"brief_{b.code}_{b.lang}.pdf" for b in briefs)  # the stale one went
    for b in briefs:
        assert b.path == brief_path(folder, b.code, b.lang)
        reader = PdfReader(b.path)
        assert len(reader.pages) == BRIEF_PAGES == b.pages, b.path.name
        box = reader.pages[0].mediabox
        assert (round(float(box.width) / MM), round(float(box.height) / MM)) == (210, 297)
        # the top priorities fit page 2 in every language
        assert b.shown == min(5, b.total), b.path.name


def test_translated_briefs_are_in_their_script(written):
    _, briefs = written
    for b in briefs:
        text = " ".join(page.extract_text() or "" for page in PdfReader(b.path).pages)
        script = LANGUAGES[b.lang].script
        cyrillic = len(CYRILLIC.findall(text))
        if script == "Cyrl":
            assert cyrillic > 1000, b.path.name
        else:
            assert cyrillic == 0, b.path.name
        for letter in LATIN_LETTERS.get(b.lang, ""):
            assert letter in text.lower(), (b.path.name, letter)


# --- the catalogs --------------------------------------------------------------------------------


def required_messages() -> set[tuple[str | None, str | tuple[str, str]]]:
    """(context, message) of everything the briefs use: Babel's extraction over babel.cfg
    (the brief modules' calls and the YAML files' templates, actions and names)."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    out = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        out.add((context, message if isinstance(message, str) else tuple(message)))
    return out


def catalog_problems(path: Path, required) -> list[str]:
    """What a catalog lacks: a message, a translation (every plural form), or has fuzzy; and
    any translation naming a field its English message has not."""
    with path.open("rb") as fh:
        catalog = read_po(fh)
    problems = []
    for context, message in sorted(required, key=str):
        entry = catalog.get(message if isinstance(message, str) else message[0], context)
        if entry is None:
            problems.append(f"missing: [{context}] {message}")
            continue
        strings = [entry.string] if isinstance(entry.string, str) else list(entry.string)
        if entry.fuzzy or not all(s.strip() for s in strings):
            problems.append(f"untranslated: [{context}] {message}")
        ids = [message] if isinstance(message, str) else list(message)
        fields = set().union(*(re.findall(r"\{(\w+)", i) for i in ids))
        for s in strings:
            if set(re.findall(r"\{(\w+)", s)) - fields:
                problems.append(f"unknown field in: [{context}] {s}")
            if "{evidence_quote}" in s:  # the finding goes under the text, in English
                problems.append(f"the finding inside a translated sentence: [{context}] {s}")
    return problems


def test_every_message_the_briefs_use_is_translated_in_every_catalog():
    required = required_messages()
    assert len(required) > 250  # fixed phrases, the rules' templates, the actions, the names
    for code in TRANSLATED:
        assert catalog_problems(po_path(code), required) == [], code
    with (LOCALE_DIR / "wbtip.pot").open("rb") as fh:
        template = {
            (m.context, m.id if isinstance(m.id, str) else tuple(m.id)) for m in read_po(fh)
        }
    assert required <= template, "wbtip.pot is out of date: run the pybabel extract of i18n.py"


def test_a_catalog_lacking_a_message_fails_the_check(tmp_path):
    required = required_messages()
    text = po_path("sr").read_text(encoding="utf-8")
    lacking = text.replace('msgid "Coverage"\nmsgstr "Покривеност"', 'msgid "Coverage"\nmsgstr ""')
    lacking = re.sub(r'msgctxt "jurisdiction"\nmsgid "Serbia"\nmsgstr "[^"]*"\n', "", lacking)
    assert lacking != text
    path = tmp_path / "wbtip.po"
    path.write_text(lacking, encoding="utf-8")
    problems = catalog_problems(path, required)
    assert "untranslated: [None] Coverage" in problems
    assert "missing: [jurisdiction] Serbia" in problems


def test_english_needs_no_catalog_and_its_words_are_the_reports(facts):
    en = lang(ENGLISH)
    assert not en.translated and en.pgettext("jurisdiction", "Serbia") == "Serbia"
    for code in facts.codes:
        assert words.latest_sentence(en, facts, code) == facts.latest_victims(code)
        assert words.gap_counts(en, facts, code) == facts.gap_counts_text(code)
        own = [[c.text for c in r] for r in words.domain_table(en, facts, code).rows]
        assert own == [[c.text for c in r] for r in facts.domain_table(code).rows]
        shared = facts.key_figures(code, 6, INDICATORS)
        mine = words.key_figures(en, facts, code, 6)
        assert mine.source == shared.source
        assert [[c.text for c in r] for r in mine.rows] == [
            [c.text for c in r] for r in shared.rows if any(c.text != "–" for c in r[1:])
        ]
    assert words.caveats(en) == (PREVALENCE_CAVEAT, SUPPRESSION_CAVEAT)


# --- what a translated brief says ----------------------------------------------------------------


def english_phrases(min_words: int = 3) -> set[str]:
    """The fixed English phrases of the briefs: the literal parts of every message, of
    `min_words` words or more."""
    out = set()
    for _context, message in required_messages():
        for m in [message] if isinstance(message, str) else message:
            for part in re.split(r"\{\w+(?::[^}]*)?\}", m):
                part = part.strip(" .,;:()")
                if len(part.split()) >= min_words:
                    out.add(part)
    return out


def test_no_english_fixed_phrase_in_a_translated_brief(docs):
    phrases = english_phrases()
    assert "Recommendations for validation" in phrases and "per 100,000 inhabitants" in phrases
    for (code, language), doc in docs.items():
        if language == ENGLISH:
            continue
        said = "\n".join(texts(doc))
        leaks = sorted(p for p in phrases if p in said)
        assert leaks == [], (code, language, leaks[:5])


def test_each_translated_brief_says_the_english_text_is_authoritative(docs, written):
    for (code, language), doc in docs.items():
        said = " ".join(texts(doc.cover))
        t = lang(language)
        if language == ENGLISH:
            assert NOTICE not in said and t.gettext("Translation.") not in said
            continue
        notice = t.gettext(NOTICE)
        assert notice != NOTICE and notice in said, (code, language)
    for b in written[1]:  # and the PDF prints its lead on page 1
        first = PdfReader(b.path).pages[0].extract_text() or ""
        lead = lang(b.lang).gettext("Translation.")
        assert (lead in first) == (b.lang != ENGLISH), b.path.name


def _canonical_numbers(text: str, language: str) -> Counter:
    """The numbers of a text in one notation (thousands separators dropped, a decimal point),
    years and ids included: a translated brief must print the English one's figures."""
    if language != ENGLISH:
        text = re.sub(r"(?<=\d)[.\u00a0\u202f ](?=\d{3}\b)", "", text)
        text = re.sub(r"(?<=\d),(?=\d)", ".", text)
    else:
        text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    return Counter(re.findall(r"(?<![\w-])\d+(?:\.\d+)?", text))


def test_a_translated_brief_prints_the_english_figures_in_the_locales_format(docs, facts):
    for code in facts.codes:
        english = docs[(code, ENGLISH)]
        en_items = {i.id: i for i in items_of(english)}
        en_figures = words.key_figures(lang(ENGLISH), facts, code, 6)
        for language in brief_languages(facts.region, code)[1:]:
            doc = docs[(code, language)]
            t = lang(language)
            # the key figures: the same cells, a decimal comma
            table = next(
                b for b in doc.sections[0].blocks if getattr(b, "key", "") == f"figures-{code}"
            )
            for en_row, row in zip(en_figures.rows, table.rows, strict=True):
                for en_cell, cell in zip(en_row[1:], row[1:], strict=True):
                    assert cell.text == en_cell.text.replace(".", ","), (language, cell.text)
            assert any("," in c.text for r in table.rows for c in r[1:]), code  # rates
            # each priority: the numbers of its English text and progress, no other
            for item in items_of(doc):
                en = en_items[item.id]
                finding = [m for m in item.meta if FINDING_LEAD.match(m)]
                progress_en = [m for m in en.meta if m.startswith("Progress would show as:")]
                progress = [m for m in item.meta if m not in finding][: len(progress_en)]
                ours = _canonical_numbers(" ".join([item.text, *progress]), language)
                theirs = _canonical_numbers(" ".join([en.text, *progress_en]), ENGLISH)
                for m in finding:  # the finding, in English, is cut out of the English text
                    theirs -= _canonical_numbers(m.split(": ", 1)[1], ENGLISH)
                assert ours == theirs, (code, language, item.text, en.text)
            # the date in the locale's long format
            assert t.date(TODAY) in doc.subtitle
    assert (
        lang("sr").localise("1,234 victims, 6.39 and 0.18–0.28")
        == "1.234 victims, 6,39 and 0,18–0,28"
    )
    assert (
        lang("sq").localise("1,234") == "1\u00a0234" and lang("mk").localise("62%") == "62\u00a0%"
    )
    assert (
        lang("sr").localise("2021 and REC-5942 and alb_2019.csv")
        == "2021 and REC-5942 and alb_2019.csv"
    )
    assert (
        lang("sr").date(TODAY) == "20. новембар 2026."
        and lang("sq").date(TODAY) == "20 nëntor 2026"
    )


def test_the_narrative_is_built_from_the_tables_in_the_language(docs, facts):
    for (code, language), doc in docs.items():
        said = " ".join(texts(doc.cover))
        t = lang(language)
        latest = words.latest_sentence(t, facts, code)
        assert latest in said and words.trend_sentence(t, facts, code) in said
        assert (
            words.domain_sentence(t, facts, code) in said
            and words.gap_sentence(t, facts, code) in said
        )
        if language != ENGLISH:
            assert facts.latest_victims(code) not in said


def test_the_domain_sentence_says_when_it_leaves_thin_domains_out(facts, tables):
    """Serbia's protection and justice scores rest on too few known items to rank: the sentence
    compares the ranked domains and says so, in every language; the table below it lists all."""
    ds = (
        facts.t["mechanism_domain_scores"]
        .query("jurisdiction == 'SRB'")
        .dropna(subset=["mean_score"])
    )
    thin = [
        d
        for d, k, n in zip(ds["domain"], ds["n_known"], ds["n_items"], strict=True)
        if figures.thin_domain(int(k), int(n))
    ]
    assert {"protection", "justice"} <= set(thin)
    sentence = words.domain_sentence(lang(ENGLISH), facts, "SRB")
    assert sentence.startswith("Of the checklist domains with enough items known to rank, ")
    labels = words.domain_labels(lang(ENGLISH))
    assert not any(f"in {labels[d]} (" in sentence for d in thin)
    for language in TRANSLATED:
        assert "enough items" not in words.domain_sentence(lang(language), facts, "SRB")
    # where every scored domain is ranked, the sentence needs no qualifier
    enough = tables["mechanism_domain_scores"]["n_items"].clip(lower=MIN_DOMAIN_ITEMS)
    scores = tables["mechanism_domain_scores"].assign(n_items=enough, n_known=enough)
    every = PackFacts({**tables, "mechanism_domain_scores": scores})
    assert words.domain_sentence(lang(ENGLISH), every, "SRB").startswith(
        "Of the checklist domains, it scores highest in "
    )


def test_the_pointers_name_the_full_list_and_the_members_chapter_from_the_outline(docs, facts):
    outline = report_outline(facts.region)
    for (code, language), doc in docs.items():
        t = lang(language)
        page2 = " ".join(texts(doc.sections[1]))
        chapter = words.section_ref(t, outline.chapter(code))
        full = words.section_ref(t, outline["recommendations"])
        assert chapter in page2 and full in page2, (code, language)
        if language == ENGLISH:
            assert chapter == outline.chapter(code).ref and full == outline.ref("recommendations")
    assert (
        words.section_ref(lang("sr"), outline.chapter("SRB"))
        == f"одељак {outline.number('jurisdiction-SRB')}"
    )


def test_translated_briefs_record_no_figure_the_english_ones_do_not(facts):
    """The disclosure audit bounds what the English briefs print (`audit_pack`): building the
    translations adds no claim about a cell."""
    fresh = PackFacts(build_tables())
    for code in fresh.codes:
        build_brief(fresh, code)
    before = {c for c, _ in fresh.f.claims.items()}
    for code in fresh.codes:
        for language in brief_languages(fresh.region, code)[1:]:
            build_brief(fresh, code, language=language)
    assert {c for c, _ in fresh.f.claims.items()} == before


# --- recommendations in the language -------------------------------------------------------------


def test_every_recommendation_of_the_bundled_run_reads_in_every_language(facts):
    for code in facts.codes:
        items = facts.rec_items(facts.recs_of(code))
        for language in TRANSLATED:
            shown = priorities(lang(language), facts, code, items)
            assert all(p.translated for p in shown), (code, language)


def test_the_published_text_is_read_with_the_known_phrases_whole():
    template = (
        "Urge {addressee} of {jurisdiction_name} to {action_not_met}; finds: {evidence_quote}"
    )
    text = (
        "Urge the ministry of justice and the prosecution service of Kosovo* to act now; "
        "finds: victims of 2023 of one kind."
    )
    known = {"addressee": "the\\ ministry\\ of\\ justice\\ and\\ the\\ prosecution\\ service",
             "jurisdiction_name": "Kosovo\\*?"}  # fmt: skip
    fields = parse_fields(template, text, known)
    assert fields["addressee"] == "the ministry of justice and the prosecution service"
    assert fields["action_not_met"] == "act now" and fields["evidence_quote"].startswith("victims")


def test_a_text_its_rule_cannot_read_is_shown_in_english_with_a_note(facts):
    rec = facts.recs_of("SRB").iloc[0].to_dict()
    item = {**facts.rec_items(facts.recs_of("SRB"))[0]}
    # a text edited in the table since the rule wrote it
    rec["text"] = item["text"] = "An edited text that no template renders."
    p = translate(lang("sr"), facts, rec, item)
    assert not p.translated and p.text == item["text"]
    assert p.meta == [lang("sr").gettext("Not yet translated: the English text is shown.")]


def test_a_workshop_decision_is_dated_in_the_language(tables):
    recs = tables["recommendations"]
    rid = (
        recs[recs["jurisdiction"] == "SRB"]
        .sort_values("priority_rank")["recommendation_id"]
        .iloc[0]
    )
    status = pd.DataFrame(
        [{"recommendation_id": rid, "jurisdiction": "SRB", "status": "agreed", "amended_text": None,
          "reason": None, "comment": None, "responsible_institution": "Ministarstvo pravde",
          "target_date": "2026-12-31", "decided_by": "SRB delegation", "decided_on": "2026-11-20",
          "source_file": "f.xlsx", "source_row": 2, "n_decisions": 1}]
    )  # fmt: skip
    facts = PackFacts(tables, status)
    sr = items_of(build_brief(facts, "SRB", language="sr", today=TODAY))[0]
    line = next(m for m in sr.meta if m.startswith("Одлука радионице:"))
    assert "прихваћено" in line and "31. децембар 2026." in line and "Ministarstvo pravde" in line
    en = items_of(build_brief(facts, "SRB", today=TODAY))[0]
    assert any(m.startswith("Workshop: agreed") for m in en.meta)


# --- the roster ----------------------------------------------------------------------------------


def test_a_seventh_member_without_brief_languages_gets_an_english_brief_only(tables, tmp_path):
    region = seven_member_region(tmp_path / "configs")
    assert brief_languages(region, SEVENTH_CODE) == [ENGLISH]
    h = tables["harmonised_statistics"]
    seventh = h[h["jurisdiction"] == "ALB"].assign(jurisdiction=SEVENTH_CODE)
    facts = PackFacts({**tables, "harmonised_statistics": pd.concat([h, seventh])}, None, region)
    briefs = render_briefs(facts, tmp_path / "out", TODAY)
    assert [b.lang for b in briefs if b.code == SEVENTH_CODE] == [ENGLISH]
    assert all(b.pages == BRIEF_PAGES for b in briefs)
    assert len(briefs) == 14  # the six's thirteen and the seventh's English one


def test_a_language_without_a_catalog_is_an_error_of_the_config():
    bundled = load_region()
    member = dataclasses.replace(bundled.members[0], brief_languages=("xx",))
    region = Region(bundled.name, bundled.short_name, (member, *bundled.members[1:]))
    with pytest.raises(LanguageError, match="xx"):
        brief_languages(region, member.code)
