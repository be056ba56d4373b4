"""What the reader sees instead of a code: names of jurisdictions, indicators, forms, statuses.

The only place where a code of the tables becomes words. Jurisdiction names come from the
region (`region.py`, built from the configs), so a member added by configuration is named like
the others; everything else is a fixed label of a code list of `vocab.py`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from wbtip_pipeline.presentation.disclosure import PRIMARY_TEXT, THRESHOLD
from wbtip_pipeline.region import Region, load_region
from wbtip_pipeline.transforms.recommendations import country_name
from wbtip_pipeline.vocab import REGIONAL

PREVALENCE_CAVEAT = (
    "Detected victims are the victims that the authorities identified in a year, not the number "
    "of people trafficked: a rise can mean better identification as much as more trafficking, "
    "and the figures do not measure prevalence."
)
SUPPRESSION_CAVEAT = (
    f"{PRIMARY_TEXT} is a range (a count from 0 to {THRESHOLD - 1}), not a number: sums and "
    "rates carry it as a range, and no sentence or chart shows it as a value."
)
INDICATOR_LABELS = {
    "victims_detected": "Victims detected",
    "persons_formal_contact": "Persons in formal contact with the police",
    "persons_prosecuted": "Persons prosecuted",
    "persons_convicted": "Persons convicted",
    "offences_recorded": "Offences recorded",
}
INDICATOR_SHORT = {
    "victims_detected": "victims detected",
    "persons_formal_contact": "formal contact",
    "persons_prosecuted": "prosecuted",
    "persons_convicted": "convicted",
    "offences_recorded": "offences",
}
FORM_LABELS = {
    "sexual_exploitation": "Sexual exploitation",
    "forced_labour": "Forced labour",
    "other_exploitation": "Other forms",
}
SEX_LABELS = {"female": "Female", "male": "Male", "other": "Other", "unknown": "Sex unknown"}
AGE_LABELS = {"child": "Children (0-17)", "adult": "Adults (18+)", "unknown": "Age unknown"}
DIRECTION_LABELS = {
    "rising": "rising",
    "falling": "falling",
    "stable": "stable",
    "no_clear_trend": "no clear trend",
    "insufficient_data": "cannot tell",
}
GAP_LABELS = {
    "not_met": "Not met",
    "partly_met": "Partly met",
    "conflict": "Sources disagree",
    "no_evidence": "No evidence",
}
STATUS_LABELS = {
    "exact": "reported",
    "partly_suppressed": "partly <5",
    "suppressed_only": "<5 only",
    "not_reported": "not reported",
}
STATUS_COLORS = {
    "exact": "#2b7bba",
    "partly_suppressed": "#8fbfe0",
    "suppressed_only": "#e3c77a",
    "not_reported": None,
}
TIER_CODES = {"Tier 1": "T1", "Tier 2": "T2", "Tier 2 Watch List": "T2WL", "Tier 3": "T3"}
TIER_COLORS = {"T1": "#009E73", "T2": "#9ecae1", "T2WL": "#E69F00", "T3": "#D55E00"}
URGENCY_ORDER = ("urge", "consider", "invite")
URGENCY_LABELS = {
    "urge": "Urgent: the authorities are urged to act",
    "consider": "The authorities should consider",
    "invite": "The authorities are invited to",
}
# the warehouse tables as a sentence names them ("not available in this run: ...")
TABLE_TITLES = {
    "harmonised_statistics": "harmonised statistics",
    "data_quality_issues": "data quality findings",
    "trends": "trends",
    "trend_summary": "trend verdicts",
    "victim_flows": "victim flows",
    "mechanism_scores": "mechanism scores",
    "mechanism_domain_scores": "mechanism scores by domain",
    "mechanism_gaps": "mechanism gaps",
    "mechanism_conflicts": "conflicting assessments",
    "mechanism_history": "checklist assessments by year",
    "data_gaps": "data gaps",
    "data_gap_summary": "data gap summary",
    "regional_opportunities": "regional cooperation opportunities",
    "us_tip_tiers": "US TIP report tiers",
    "ct_checklist": "counter-trafficking checklist",
    "recommendations": "recommendations",
    "recommendation_changes": "changes to the recommendations",
    "recommendation_status": "workshop decisions",
    "us_tip_figures": "US TIP report figures",
    "source_triangulation": "national figures against the US TIP reports",
    "evidence_sources": "graded evidence sources",
}
URGENCY_SHORT = {"urge": "urgent", "consider": "consider", "invite": "invited"}


class Names:
    """Jurisdiction names for one region: `names.of("XKX")` is "Kosovo*"."""

    def __init__(self, region: Region | None = None) -> None:
        self.region = region or load_region()

    def of(self, code: str, mark: bool = True) -> str:
        if code == REGIONAL:
            return "Regional"
        return self.region.name_of(str(code), mark)

    def list(self, codes: Iterable[str], mark: bool = True) -> str:
        """ "Albania, Kosovo* and Serbia"."""
        items = [self.of(c, mark) for c in codes]
        if len(items) <= 1:
            return "".join(items)
        return ", ".join(items[:-1]) + " and " + items[-1]

    def footnotes_for(self, codes: Iterable[str]) -> list[str]:
        """The footnotes of the members among `codes` ("* Kosovo: ..."), once each."""
        seen: dict[str, str] = {}
        for code in codes:
            m = self.region.member(code)
            if m and m.footnote and m.code not in seen:
                seen[m.code] = f"* {m.name}: {m.footnote}"
        return list(seen.values())


# what a group of cells adds up over, in the annex of withheld cells ("by form of exploitation")
_BREAKDOWNS = {
    "exploitation": "form of exploitation",
    "citizenship": "citizenship",
    "repatriation": "country of repatriation",
    "sex": "sex",
    "age": "age",
    "jurisdiction": "jurisdiction",
}


class CellLabels:
    """Cells of the harmonised statistics in words, for the annex of withheld cells and the
    published table of secondary suppressions: "Albania, 2021, victims detected, sexual
    exploitation, female, children (0-17)"; the region's own figures carry its name. Names
    carry no footnote mark: the labels are also published as a table, without the footnotes."""

    def __init__(self, names: Names) -> None:
        self.names = names

    def __call__(self, key: tuple) -> str:
        j, year, indicator, dimension, category, sex, age = key
        parts = [
            self.names.of(j, mark=False),
            str(year),
            _lower(INDICATOR_LABELS.get(indicator, indicator)),
        ]
        if dimension == "exploitation":
            parts.append(_lower(FORM_LABELS.get(category, category)))
        elif dimension in ("citizenship", "repatriation"):
            parts.append(self._country(dimension, category))
        elif dimension != "total":
            parts.append(f"{dimension} {category}")
        if sex != "total":
            parts.append(_lower(SEX_LABELS.get(sex, sex)))
        if age != "total":
            parts.append(_lower(AGE_LABELS.get(age, age)))
        return ", ".join(parts)

    def group(self, total: tuple, by: str) -> str:
        return f"{self(total)}: by {_BREAKDOWNS.get(by, by)}"

    def _country(self, dimension: str, code: str) -> str:
        if dimension == "citizenship":
            if code == "UNKNOWN":
                return "citizenship unknown"
            return f"citizens of {country_name(code, self.names.region)}"
        if code == "UNKNOWN":
            return "repatriated from an unknown country"
        return f"repatriated from {country_name(code, self.names.region)}"


def _lower(label: str) -> str:
    """ "Victims detected" -> "victims detected" (a label inside a list of parts)."""
    return label[:1].lower() + label[1:]


# the checks of data_quality_issues as Annex A names them; any other check (a source file's
# schema check, `raw_alb_schema`) by `check_label`'s rule
CHECK_LABELS = {
    "breakdown_exceeds_total": "Breakdown above its total",
    "breakdown_below_total": "Breakdown below its total",
    "convictions_exceed_prosecutions": "More convictions than prosecutions",
    "year_on_year_jump": "Sudden change from the year before",
    "jurisdiction_blocked": "Refresh blocked",
    "unmapped_country": "Country name not recognised",
}


def check_label(name: str) -> str:
    """A data-quality check in words: its label, else a schema check ("raw_alb_schema" ->
    "Source file check"), else its name without underscores."""
    if name in CHECK_LABELS:
        return CHECK_LABELS[name]
    if name.endswith("_schema"):
        return "Source file check" if name.startswith("raw_") else "Table check"
    return name.replace("_", " ").capitalize()


def _codes_in_words(text: str, words: dict[str, str]) -> str:
    """Every whole-word code of `words` in `text` replaced by its words."""
    pattern = r"\b(" + "|".join(map(re.escape, words)) + r")\b"
    return re.sub(pattern, lambda m: words[m.group(1)], text)


def indicators_in_words(text: str) -> str:
    """ "persons_convicted 2007: ..." -> "persons convicted 2007: ..." (a message of the checks)."""
    return _codes_in_words(text, {k: _lower(v) for k, v in INDICATOR_LABELS.items()})


def verdicts_in_words(text: str) -> str:
    """ "no_clear_trend when ..." -> "no clear trend when ..." (the trend method as stated)."""
    return _codes_in_words(text, DIRECTION_LABELS)
