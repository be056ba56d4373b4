"""The languages of the workshop briefs: gettext catalogs (Babel) and locale formatting.

A brief exists in English and in the official language(s) of its member's institutions (the
member config's `brief_languages`, `region.py`). Every fixed phrase of a brief goes through a
catalog, and so do the words of a recommendation: the sentence templates of
`rules/recommendations.yaml`, the addressees, actions, topics and progress phrases of
`rules/actions.yaml`, and the names and footnotes of the region's configs.

Catalogs: `wbtip_pipeline/locale/<lang>/LC_MESSAGES/wbtip.po`, one per language of `LANGUAGES`,
and the template `wbtip_pipeline/locale/wbtip.pot`. The `.po` files are the only form kept:
`catalog(lang)` reads one at run time (`read_po`), compiles it in memory (`write_mo`) and hands
it to `babel.support.Translations`, so an installed wheel needs no build step (the `.po` files
are package data). A fuzzy or empty entry is not a translation: the English text shows, and
`wbtip_pipeline_tests/workshop/test_briefs.py` fails.

Messages come from two kinds of source, both listed in `babel.cfg` at the project root:
- Python: `t.gettext`, `t.pgettext`, `t.ngettext`, `t.npgettext` calls with literal strings in
  `workshop/briefs.py`, `workshop/brief_text.py` and `workshop/brief_recs.py`;
- YAML: `extract_yaml` below (a Babel extraction method) reads the rules, the actions and the
  region's configs, with the context that says where each message goes.

To update the catalogs after changing a phrase or a rule (from the project root):

    .venv/bin/pybabel extract -F babel.cfg -c TRANSLATORS: --no-location --sort-output \\
        --omit-header -o wbtip_pipeline/locale/wbtip.pot .
    .venv/bin/pybabel update -D wbtip -i wbtip_pipeline/locale/wbtip.pot \\
        -d wbtip_pipeline/locale --no-fuzzy-matching --ignore-obsolete

then translate the new entries (empty `msgstr`) of each `.po` file.

Formatting: numbers, shares and dates through Babel with the language's locale (`Lang`); years
stay plain ("2021", never "2.021"). Texts that the English brief prints from the tables (counts
under disclosure control, rates, ranges) are re-formatted digit by digit (`Lang.localise`), so
that a translated brief never prints a figure the English one does not.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
DOMAIN = "wbtip"
ENGLISH = "en"


@dataclass(frozen=True)
class Language:
    code: str  # the catalog's code and the brief's file suffix (ISO 639)
    name: str  # in English
    native: str  # in itself, as a brief names its own language
    locale: str  # Babel's locale for numbers and dates
    script: str  # Latn | Cyrl


# Montenegrin (`cnr`): CLDR has no locale of its own; Babel resolves `cnr` to `sr_Latn_ME`
# (Serbian, Latin script, Montenegro), whose number and date formats are Montenegro's, and so
# does this table, explicitly. Serbian is written in Cyrillic (CLDR's default for `sr`), Bosnian
# in Latin (CLDR's default for `bs`), Macedonian in Cyrillic.
LANGUAGES: dict[str, Language] = {
    ENGLISH: Language(ENGLISH, "English", "English", "en_GB", "Latn"),
    "sq": Language("sq", "Albanian", "shqip", "sq", "Latn"),
    "bs": Language("bs", "Bosnian", "bosanski", "bs", "Latn"),
    "cnr": Language("cnr", "Montenegrin", "crnogorski", "sr_Latn_ME", "Latn"),
    "mk": Language("mk", "Macedonian", "македонски", "mk", "Cyrl"),
    "sr": Language("sr", "Serbian", "српски", "sr", "Cyrl"),
}
TRANSLATED = tuple(c for c in LANGUAGES if c != ENGLISH)


class LanguageError(ValueError):
    """A language that has no catalog."""


def po_path(code: str) -> Path:
    return LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def catalog(code: str) -> NullTranslations:
    """The translations of `code`, from its `.po` file compiled in memory (English: none)."""
    if code == ENGLISH:
        return NullTranslations()
    if code not in LANGUAGES:
        raise LanguageError(f"no brief language {code!r}; known: {', '.join(LANGUAGES)}")
    with po_path(code).open("rb") as fh:
        po = read_po(fh, locale=LANGUAGES[code].locale, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, po, use_fuzzy=False)
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)


# a number as the English texts print it: "1,234", "6.39", "12"; not inside a word, a code
# ("CT-18", "REC-5942...") or a file name, and not a year (four digits without a comma stay)
_NUMBER = re.compile(r"(?<![\w.,\-/])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?![\w/]|\.\d|,\d{3})(%?)")


class Lang:
    """A brief's language: its translations (`gettext` and friends, the names Babel's
    extractor looks for) and its formats."""

    def __init__(self, code: str) -> None:
        if code not in LANGUAGES:
            raise LanguageError(f"no brief language {code!r}; known: {', '.join(LANGUAGES)}")
        self.code = code
        self.language = LANGUAGES[code]
        self.locale = Locale.parse(self.language.locale)
        self.translated = code != ENGLISH
        self._t = catalog(code)

    def __repr__(self) -> str:
        return f"Lang({self.code!r})"

    # --- words ----------------------------------------------------------------------------
    def gettext(self, message: str) -> str:
        return self._t.gettext(message)

    def pgettext(self, context: str, message: str) -> str:
        return self._t.pgettext(context, message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._t.ngettext(singular, plural, n)

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        return self._t.npgettext(context, singular, plural, n)

    def lookup(self, context: str, message: str, strict: bool = False) -> str:
        """`pgettext` of a message from data (a rule's template, an action, a name): the
        extractor reads those from the YAML files (`extract_yaml`), not from this call. With
        `strict`, a message the catalog lacks raises `KeyError` rather than print English."""
        if strict and not self.knows(context, message):
            raise KeyError(f"the {self.language.name} catalog lacks [{context}] {message!r}")
        return self._t.pgettext(context, message)

    def knows(self, context: str | None, message: str) -> bool:
        """Whether the catalog translates `message` (English knows every message)."""
        if not self.translated:
            return True
        key = f"{context}\x04{message}" if context else message
        return key in getattr(self._t, "_catalog", {})

    def join(self, items) -> str:
        """ "a, b and c" in the language."""
        items = [str(i) for i in items]
        return format_list(items, locale=self.locale) if items else ""

    # --- numbers and dates ----------------------------------------------------------------
    def number(self, value: float, digits: int = 0) -> str:
        """A number with the locale's separators: "1,234.5" / "1.234,5" / "1 234,5"."""
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=self.locale)

    def integer(self, value: int) -> str:
        return self.number(int(value))

    def percent(self, share: float, digits: int = 0) -> str:
        """A share as a percentage in the locale's pattern ("13%", "13 %")."""
        return format_percent(
            round(float(share), digits + 2), locale=self.locale, decimal_quantization=False
        )

    def signed_percent(self, value: float, digits: int = 0) -> str:
        """A change in percent: "+19%", "−0.2%" (a true minus sign), `value` in percent."""
        text = self.percent(abs(value) / 100, digits)
        if round(value, digits) == 0:
            return text
        return ("+" if value > 0 else "−") + text

    @property
    def percent_sign(self) -> str:
        """What follows a number in a percentage: "%" or, where the locale spaces it, " %"."""
        pattern = self.locale.percent_formats[None].pattern
        return "\u00a0%" if re.search(r"[\s\u00a0\u202f]%", pattern) else "%"

    def date(self, day: dt.date) -> str:
        return format_date(day, "long", locale=self.locale)

    def localise(self, text: str) -> str:
        """A text the English brief prints from the tables ("1,234", "6.39", "0.18–0.28",
        "≤1.23", "62%"), its numbers in the locale's format; years, codes and file names stay.
        English: the text itself."""
        if not self.translated or not text:
            return text

        def number(m: re.Match) -> str:
            whole, decimals, pct = m.group(1), m.group(2), m.group(3)
            if "," not in whole and not decimals:
                return m.group(0).replace("%", self.percent_sign) if pct else m.group(0)
            value = float(whole.replace(",", "") + (f".{decimals}" if decimals else ""))
            out = self.number(value, len(decimals or ""))
            return out + (self.percent_sign if pct else "")

        return _NUMBER.sub(number, text)


@cache
def lang(code: str) -> Lang:
    return Lang(code)


# --- the messages of the YAML files (a Babel extraction method, named in babel.cfg) ----------

RECOMMENDATION = "recommendation"  # the context of a rule's text whose addressee is the item's
PROGRESS = "progress"
ADDRESSEE = "addressee"
JURISDICTION = "jurisdiction"
REGION = "region"


def rule_contexts(rule) -> tuple[str, str]:
    """The contexts of a rule's text and progress templates. A text names its addressee, in the
    case and with the verb agreement its sentence needs: a fixed addressee is part of the
    context, so that changing it asks for the sentence to be translated again."""
    if rule.addressee == "from_item":
        return RECOMMENDATION, PROGRESS
    return f"{RECOMMENDATION} (addressee: {rule.addressee})", PROGRESS


def action_context(item_id: str, field: str, addressee: str | None = None) -> str:
    """ "CT-07 not_met (addressee: the police, ...)": an action's verb agrees with the item's
    addressee, which is therefore part of its context; topic and progress stand alone."""
    return f"{item_id} {field}" + (f" (addressee: {addressee})" if addressee else "")


def member_rules(rules) -> list:
    """The rules that address one member (not the regional tables'): those a brief shows."""
    return [r for r in rules if r.table != "regional_opportunities"]


def yaml_messages(path: Path) -> list[tuple[int, str, tuple[str, str], list[str]]]:
    """(line, function, (context, message), comments) for Babel, from one YAML file: the rules,
    the actions, or a config of the region (a member's name, the region's name, footnotes)."""
    import yaml

    from wbtip_pipeline.transforms import recommendations as recs

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: list[tuple[int, str, tuple[str, str], list[str]]] = []

    def add(context: str, message: str, comment: str = "") -> None:
        out.append((0, "pgettext", (context, message), [comment] if comment else []))

    if path.name == recs.DEFAULT_RULES.name:
        for rule in member_rules(recs.parse_rules(data, str(path))):
            text, progress = rule_contexts(rule)
            fields = ", ".join(dict.fromkeys(f"{{{f}}}" for f, _ in rule.fields))
            note = f"TRANSLATORS: rule {rule.id}; fields: {fields}"
            add(text, " ".join(rule.text.split()), note)
            add(progress, " ".join(rule.progress.split()), f"TRANSLATORS: rule {rule.id}")
            if rule.addressee != "from_item":
                add(ADDRESSEE, rule.addressee)
    elif path.name == recs.DEFAULT_ACTIONS.name:
        for item_id, a in recs.parse_actions(data, str(path)).items():
            add(ADDRESSEE, a.addressee)
            add(action_context(item_id, "topic"), a.topic)
            add(action_context(item_id, "not_met", a.addressee), a.not_met)
            add(action_context(item_id, "partly_met", a.addressee), a.partly_met)
            add(action_context(item_id, "progress"), a.progress)
    elif path.name == "region.yaml":
        add(REGION, str(data["name"]))
        for code, note in (data.get("footnotes") or {}).items():
            add(f"footnote {code}", " ".join(str(note).split()))
        for code, name in (data.get("former_codes") or {}).items():
            add(JURISDICTION, str(name), f"TRANSLATORS: former state {code}")
    elif data.get("name") and data.get("jurisdiction"):
        add(JURISDICTION, str(data["name"]))
    return out


def extract_yaml(fileobj, keywords, comment_tags, options):
    """Babel's extraction method for the YAML sources (`babel.cfg`)."""
    yield from yaml_messages(Path(fileobj.name))
