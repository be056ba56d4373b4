"""Evidence sources: every web page a statement of the pipeline cites, graded by the evidence
registry (`data/reference/evidence_registry.yaml`, read by `sources/evidence_registry.py`).

Rules:
- A statement is an assessment entry (`source_url` of the CT assessments), a tier
  (`us_tip_tiers`) or a stated figure (`us_tip_figures`); a cell holding several addresses
  (agreeing assessments joined with " | ") cites each of them.
- A page is graded by the registry entry that covers its address: the entry's host or one of
  its subdomains, and its path prefix if it has one; the most specific entry wins.
- A page no entry covers is `unknown`, never guessed from its name: `ungraded_findings` names
  its domain (a warning), as it does a site the registry itself grades unknown.
- `source_weight` is what a statement counts in a recommendation's priority: the weight
  (`vocab.SOURCE_WEIGHTS`) of the best of the pages it cites.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlparse

import pandas as pd

from wbtip_pipeline.schemas.evidence import evidence_sources_schema
from wbtip_pipeline.sources.evidence_registry import REGISTRY_FILE, entry_parts
from wbtip_pipeline.transforms.mechanisms import EVIDENCE_SEPARATOR
from wbtip_pipeline.validation import Finding
from wbtip_pipeline.vocab import SOURCE_WEIGHTS

SOURCE_COLUMNS = list(evidence_sources_schema.columns)
STATEMENT_COLUMNS = ["url", "cited_by", "jurisdiction", "year"]
UNKNOWN = "unknown"


def split_urls(text) -> list[str]:
    """The addresses of a `source_url` cell (several are joined with " | ")."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return []
    return [u.strip() for u in str(text).split(EVIDENCE_SEPARATOR.strip()) if u.strip()]


def url_domain(url: str) -> str | None:
    """The host of a web address without `www.`, lower case; None if it is not one."""
    parsed = urlparse(str(url).strip())
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return None
    host = parsed.hostname.lower()
    return host.removeprefix("www.")


def _frame_statements(frame: pd.DataFrame | None, cited_by: str, year: str) -> pd.DataFrame:
    if frame is None or frame.empty or "source_url" not in frame.columns:
        return pd.DataFrame(columns=STATEMENT_COLUMNS)
    rows = frame
    if "problem" in rows.columns:
        rows = rows[rows["problem"].isna()]
    out = [
        {"url": url, "cited_by": cited_by, "jurisdiction": code, "year": when}
        for code, when, cell in zip(
            rows["jurisdiction"], rows[year], rows["source_url"], strict=True
        )
        for url in split_urls(cell)
    ]
    return pd.DataFrame(out, columns=STATEMENT_COLUMNS)


def collect_statements(
    assessments: pd.DataFrame | None,
    us_tip_tiers: pd.DataFrame | None,
    us_tip_figures: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per statement and address it cites: url, cited_by, jurisdiction, year."""
    parts = [
        _frame_statements(assessments, "ct_assessments", "year"),
        _frame_statements(us_tip_tiers, "us_tip_tiers", "report_year"),
        _frame_statements(us_tip_figures, "us_tip_figures", "reference_year"),
    ]
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=STATEMENT_COLUMNS)
    return pd.concat(parts, ignore_index=True)


def _entries(registry: pd.DataFrame) -> list[tuple[str, str, dict]]:
    usable = registry[registry["problem"].isna()] if "problem" in registry else registry
    return [
        (*entry_parts(str(row["entry"])), row)
        for row in usable.to_dict("records")
        if row.get("source_type")
    ]


def match_entry(url: str, entries: list[tuple[str, str, dict]]) -> dict | None:
    """The most specific registry entry covering `url` (`_entries`), or None."""
    domain = url_domain(url)
    if domain is None:
        return None
    path = urlparse(str(url).strip()).path or "/"
    found = [
        (len(host.split(".")), len(prefix), row)
        for host, prefix, row in entries
        if (domain == host or domain.endswith("." + host)) and path.startswith(prefix)
    ]
    return max(found, key=lambda f: (f[0], f[1]))[2] if found else None


def _joined(values: Iterable, order: Iterable[str] | None = None) -> str:
    distinct = {str(v) for v in values if v is not None and not pd.isna(v)}
    if order is not None:
        ranked = list(order)
        return ",".join(sorted(distinct, key=lambda v: (ranked.index(v), v)))
    return ",".join(sorted(distinct))


def grade_sources(statements: pd.DataFrame, registry: pd.DataFrame) -> pd.DataFrame:
    """One row per address the statements cite (`evidence_sources`), graded by the registry."""
    if statements.empty:
        return _typed(pd.DataFrame(columns=SOURCE_COLUMNS))
    entries = _entries(registry)
    rows = []
    for url, group in statements.groupby("url", sort=True):
        entry = match_entry(str(url), entries)
        years = pd.to_numeric(group["year"], errors="coerce").dropna()
        graded = entry or {}
        rows.append(
            {
                "url": url,
                "domain": url_domain(str(url)),
                "registry_entry": graded.get("entry"),
                "publisher": graded.get("publisher"),
                "source_type": graded.get("source_type") or UNKNOWN,
                "original_publisher": graded.get("original_publisher"),
                "original_title": graded.get("original_title"),
                "cited_by": _joined(
                    group["cited_by"], ("ct_assessments", "us_tip_tiers", "us_tip_figures")
                ),
                "jurisdictions": _joined(group["jurisdiction"]),
                "first_year": int(years.min()) if len(years) else None,
                "last_year": int(years.max()) if len(years) else None,
                "n_statements": len(group),
            }
        )
    out = pd.DataFrame(rows, columns=SOURCE_COLUMNS)
    out = out.sort_values(["domain", "url"], na_position="last", kind="stable")
    return _typed(out)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.reindex(columns=SOURCE_COLUMNS)
    for col in SOURCE_COLUMNS:
        if col in ("first_year", "last_year"):
            out[col] = out[col].astype("Int64")
        elif col == "n_statements":
            out[col] = out[col].astype("int64")
        else:
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out.reset_index(drop=True)


def compute_evidence_sources(
    registry: pd.DataFrame,
    assessments: pd.DataFrame | None,
    us_tip_tiers: pd.DataFrame | None,
    us_tip_figures: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The `evidence_sources` table: every address the statements cite, graded."""
    return grade_sources(collect_statements(assessments, us_tip_tiers, us_tip_figures), registry)


def ungraded_findings(sources: pd.DataFrame) -> list[Finding]:
    """One warning per site graded unknown: not in the registry (to be added), or graded
    unknown by it (its publisher is not established), or an address that is not a web page."""
    unknown = sources[sources["source_type"] == UNKNOWN]
    findings = []
    for domain, group in unknown.groupby(unknown["domain"].fillna(""), sort=True):
        n = int(group["n_statements"].sum())
        codes = sorted({c for text in group["jurisdictions"] for c in str(text).split(",")})
        cited = _joined(c for text in group["cited_by"] for c in str(text).split(","))
        example = str(group["url"].iloc[0])
        rests = f"{n} statement{'s' if n != 1 else ''} rest on it ({cited}; e.g. {example})"
        entry = group["registry_entry"].dropna()
        if not domain:
            column, value = "source_url", example
            rule = f"not a web address, graded unknown: {rests}"
        elif len(entry):
            column, value = "domain", domain
            rule = (
                f"graded unknown by the registry (entry '{entry.iloc[0]}'): who publishes it is "
                f"not established; {rests}"
            )
        else:
            column, value = "domain", domain
            rule = (
                f"not in the evidence registry, graded unknown: {rests}; add it to "
                f"{REGISTRY_FILE} with its publisher and source type"
            )
        findings.append(
            Finding(
                jurisdiction=codes[0] if len(codes) == 1 else "ALL",
                file=REGISTRY_FILE,
                row="",
                column=column,
                value=value,
                rule=rule,
            )
        )
    return findings


def source_types(sources: pd.DataFrame | None) -> dict[str, str] | None:
    """{url: source_type} of the `evidence_sources` table; None when there is no table (then
    nothing is graded, and every statement counts in full)."""
    if sources is None or "url" not in sources.columns:
        return None
    return dict(zip(sources["url"].astype(str), sources["source_type"].astype(str), strict=True))


def source_weight(cell, grades: Mapping[str, str] | None) -> float | None:
    """What a statement citing the address(es) of `cell` counts: the weight of its best page
    (an address the table does not list counts as unknown); None when it cites none or there
    are no grades."""
    urls = split_urls(cell)
    if not urls or grades is None:
        return None
    return max(SOURCE_WEIGHTS[grades.get(url, UNKNOWN)] for url in urls)
