"""Where a statement comes from, in words: its publisher (the original one for a copy), whether
it rests only on a copy or on an unidentified site, and whether it is dated.

`Citations` wraps the `evidence_sources` table (every address a statement cites, graded by the
evidence registry) and the newest year of the statistics. Both documents cite through it:

- `cite(source_url)`: "US Department of State" for a page of its own site; "US Department of
  State, Trafficking in Persons Report — rests only on a copy on ecoi.net (mirror)" for a copy;
  "Rests only on an unidentified site, ocnal.com" for a site no one has identified.
- `year_text(year)`: "2019", or "dated: 2011" for evidence more than `DATED_AFTER_YEARS` before
  the newest year of the statistics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlparse

import pandas as pd

from wbtip_pipeline.presentation.text import number_word, years_text
from wbtip_pipeline.transforms.evidence_sources import split_urls, url_domain
from wbtip_pipeline.vocab import DATED_AFTER_YEARS

MIRROR = "mirror"
UNKNOWN = "unknown"
RESTS_ONLY = "rests only on"
DATED = "dated"


def _web(url: str) -> str | None:
    parsed = urlparse(url)
    return url if parsed.scheme in ("http", "https") and parsed.netloc else None


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


@dataclass
class Citation:
    """A statement's sources in words, the page to link to, and whether it rests only on
    copies or unidentified sites (`weak`)."""

    text: str
    href: str | None = None
    weak: bool = False
    kinds: set[str] = field(default_factory=set)


class Citations:
    """The grades of the run's evidence sources and the reference year of "dated"."""

    def __init__(self, table: pd.DataFrame | None, statistics_year: int | None) -> None:
        self.graded = table is not None and not table.empty and "url" in table.columns
        self.rows: dict[str, dict] = (
            {str(r["url"]): r for r in table.to_dict("records")} if self.graded else {}
        )
        self.statistics_year = statistics_year

    # --- dated evidence -------------------------------------------------------------------

    def is_dated(self, year) -> bool:
        if self.statistics_year is None or year is None or pd.isna(year):
            return False
        return self.statistics_year - int(year) > DATED_AFTER_YEARS

    def year_text(self, year) -> str:
        """ "2019", or "dated: 2011"; "" when there is no year."""
        if year is None or pd.isna(year):
            return ""
        return f"{DATED}: {int(year)}" if self.is_dated(year) else str(int(year))

    def dated_note(self) -> str:
        """What "dated" means in this run, for a note under a table."""
        if self.statistics_year is None:
            return ""
        return (
            f"{DATED}: evidence from {self.statistics_year - DATED_AFTER_YEARS - 1} or earlier, "
            f"more than {number_word(DATED_AFTER_YEARS)} years before {self.statistics_year}, the "
            "newest year of the statistics; it weighs less in the priorities."
        )

    # --- sources --------------------------------------------------------------------------

    def _part(self, url: str) -> tuple[str, str, str]:
        """(kind, label, domain) of one address: kind `own` (a publisher speaking for itself),
        `mirror`, `unknown`, or `ungraded` when the run has no evidence_sources table."""
        domain = url_domain(url) or url
        if not self.graded:
            return "ungraded", domain, domain
        row = self.rows.get(url)
        kind = str(row["source_type"]) if row else UNKNOWN
        if kind == MIRROR:
            title = row.get("original_title")
            label = str(row["original_publisher"]) + (f", {title}" if title else "")
            return MIRROR, label, domain
        if kind == UNKNOWN:
            return UNKNOWN, domain, domain
        return "own", str(row["publisher"]), domain

    def cite(self, cell) -> Citation:
        """The sources of a statement (its `source_url` cell: one address or several)."""
        urls = split_urls(cell)
        if not urls:
            return Citation("no published source given")
        parts = [(url, *self._part(url)) for url in urls]
        by_kind: dict[str, list[tuple[str, str, str]]] = {}
        for url, kind, label, domain in parts:
            by_kind.setdefault(kind, []).append((url, label, domain))
        order = ("own", MIRROR, UNKNOWN, "ungraded")
        first = next(by_kind[k][0][0] for k in order if k in by_kind)
        href = _web(first)
        kinds = set(by_kind)
        if "ungraded" in by_kind:
            sites = _join(sorted({d for _, _, d in by_kind["ungraded"]}))
            return Citation(f"{sites} (source not graded in this run)", href, False, kinds)
        own = list(dict.fromkeys(label for _, label, _ in by_kind.get("own", [])))
        copies: dict[str, list[str]] = {}
        for _, label, domain in by_kind.get(MIRROR, []):
            copies.setdefault(label, [])
            if domain not in copies[label]:
                copies[label].append(domain)
        unknown = sorted({d for _, _, d in by_kind.get(UNKNOWN, [])})
        if own:
            pieces = own + [
                f"{label} (copy on {_join(domains)})"
                for label, domains in copies.items()
                if label.split(",")[0] not in own
            ]
            if unknown:
                pieces.append(f"also an unidentified site, {_join(unknown)}")
            return Citation("; ".join(pieces), href, False, kinds)
        weak = []
        domains = [d for ds in copies.values() for d in ds]
        if domains:
            many = len(domains) > 1
            weak.append(
                ("copies on " if many else "a copy on ")
                + _join(domains)
                + (" (mirrors)" if many else " (mirror)")
            )
        if unknown:
            weak.append(
                ("unidentified sites, " if len(unknown) > 1 else "an unidentified site, ")
                + _join(unknown)
            )
        lead = "; ".join(copies)
        text = f"{lead} — {RESTS_ONLY} " if lead else f"{RESTS_ONLY[0].upper()}{RESTS_ONLY[1:]} "
        return Citation(text + " and ".join(weak), href, True, kinds)

    def statement_note(self, values: dict) -> str:
        """For an evidence line of an assessment row: its year (marked when dated) and its
        sources in words; "" for a row that cites no page."""
        if "source_url" not in values:
            return ""
        year = self.year_text(values.get("year"))
        when = (year if year.startswith(DATED) else f"assessed {year}") if year else ""
        source = self.cite(values.get("source_url")).text
        return "; ".join(p for p in (when, f"source: {source}") if p)

    def href(self, cell) -> str | None:
        return self.cite(cell).href

    def sources_of_editions(self, rows: pd.DataFrame, year: str = "report_year") -> str:
        """For statements one per year (tiers): from whose pages each year was read, which
        years only from copies or unidentified sites, in words; "" when ungraded."""
        if not self.graded or rows.empty:
            return ""
        own: dict[str, list[int]] = {}
        weak: dict[str, tuple[list[int], set[str]]] = {}
        missing: list[int] = []
        for cell, when in zip(rows["source_url"], rows[year], strict=True):
            cite, sites = self.cite(cell), {url_domain(u) or u for u in split_urls(cell)}
            if not sites:
                missing.append(int(when))
                continue
            if not cite.weak:
                own.setdefault(cite.text, []).append(int(when))
                continue
            kind = (
                "only from copies of the report on other sites (mirrors)"
                if MIRROR in cite.kinds
                else "only from unidentified sites"
            )
            years, domains = weak.setdefault(kind, ([], set()))
            years.append(int(when))
            domains.update(sites)
        parts = [f"Read from {who}: {years_text(ys)}." for who, ys in own.items()]
        parts += [
            f"Read {kind}: {years_text(ys)} ({', '.join(sorted(ds))})."
            for kind, (ys, ds) in weak.items()
        ]
        if missing:
            parts.append(f"No page recorded: {years_text(missing)}.")
        return " ".join(parts)
