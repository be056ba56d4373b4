"""Counter-trafficking mechanism assessments: the checklist, the per-jurisdiction YAML files and
their schema.

`<sources>/<ISO>/<iso>_ct_mechanisms.yaml` holds `jurisdiction`, `assessments` (a list of
`year`, `item`, `score`, `evidence`, `source_url`) and free metadata. Like the statistics readers,
`read_assessments` never raises on bad content: a file that cannot be parsed, or an entry that is
not what it should be, stays visible as a row whose `problem` says why, and the schema turns that
into a blocking finding. The file is read once (`readers.read_bytes`): its recorded hash is that
of the bytes parsed (`parse_assessments`).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa
import yaml

from wbtip_pipeline.sources.readers import FileBytes, load_yaml, read_bytes
from wbtip_pipeline.validation import Finding, validate
from wbtip_pipeline.vocab import FIRST_YEAR, SCORES

CHECKLIST_COLUMNS = ["item_id", "domain", "title", "legal_basis", "evidence_of_met"]
ASSESSMENT_COLUMNS = [
    "jurisdiction",
    "declared_jurisdiction",
    "year",
    "item",
    "score",
    "evidence",
    "source_url",
    "source_file",
    "source_sha256",
    "source_row",
    "problem",
]

RULE_PROBLEM = "the assessment file or entry could not be read"
RULE_ITEM = "not an item of the checklist (ct_mechanism_checklist.csv)"
RULE_SCORE = "a score must be 0 (not met), 1 (partly met) or 2 (met)"
RULE_YEAR_EARLY = f"years before {FIRST_YEAR} are out of scope"
RULE_YEAR_FUTURE = "a future year"
RULE_EVIDENCE = "the evidence must not be empty: a score without evidence cannot be checked"
RULE_JURISDICTION = "the file's `jurisdiction` must be the code of the folder it is in"


def mechanisms_file(sources_dir: Path, jurisdiction: str) -> Path | None:
    """The assessment file of a jurisdiction (`.yaml` or `.yml`), or None when it has none."""
    folder = Path(sources_dir) / jurisdiction
    pattern = re.compile(rf"{re.escape(jurisdiction.lower())}_ct_mechanisms\.ya?ml")
    if not folder.is_dir():
        return None
    found = sorted(p for p in folder.iterdir() if p.is_file() and pattern.fullmatch(p.name))
    return found[0] if found else None


def load_checklist(path: Path) -> pd.DataFrame:
    """The mechanism checklist: item_id, domain, title, legal_basis, evidence_of_met (text)."""
    return parse_checklist(read_bytes(path))


def parse_checklist(file: FileBytes) -> pd.DataFrame:
    """`load_checklist` of bytes already read (the caller records `file.sha256`)."""
    frame = pd.read_csv(io.BytesIO(file.data), dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in CHECKLIST_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{file.name}: column {', '.join(missing)} is missing")
    frame = frame[CHECKLIST_COLUMNS].apply(lambda s: s.str.strip())
    return frame.astype(object).reset_index(drop=True)


checklist_schema = pa.DataFrameSchema(
    {
        "item_id": pa.Column(str, pa.Check.str_matches(r"^CT-\d{2}$"), unique=True),
        "domain": pa.Column(str, pa.Check.str_length(min_value=1)),
        "title": pa.Column(str, pa.Check.str_length(min_value=1)),
        "legal_basis": pa.Column(str),
        "evidence_of_met": pa.Column(str),
    },
    strict=True,
    name="ct_mechanism_checklist",
    description="One row per checklist item.",
)


# the range of the Int64 columns `year` and `score`
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1


def _whole_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
        return int(value)
    return None


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _text(value: Any) -> str | None:
    return None if value is None else str(value).strip()


def _entry(entry: Any, where: str, name: str) -> dict[str, Any]:
    if not isinstance(entry, dict):
        return {
            "source_row": where,
            "problem": f"{name}, {where}: not a mapping of year, item, score, evidence",
        }
    problems = [
        f"`{key}` is missing" for key in ("year", "item", "score") if entry.get(key) is None
    ]

    def whole(key: str) -> int | None:
        raw, value = entry.get(key), _whole_number(entry.get(key))
        if value is None and raw is not None:
            problems.append(f"{key} {_short(raw)} is not a whole number")
        elif value is not None and not _INT_MIN <= value <= _INT_MAX:
            problems.append(f"{key} {_short(raw)} is too large a number")
            return None  # the column is Int64: reported, not stored
        return value

    year, score = whole("year"), whole("score")
    return {
        "year": year,
        "item": _text(entry.get("item")),
        "score": score,
        "evidence": _text(entry.get("evidence")),
        "source_url": _text(entry.get("source_url")),
        "source_row": where,
        "problem": f"{name}, {where}: " + "; ".join(problems) if problems else None,
    }


def read_assessments(sources_dir: Path, jurisdiction: str) -> pd.DataFrame:
    """One row per assessment of `<sources_dir>/<ISO>/<iso>_ct_mechanisms.yaml`.

    Columns: `ASSESSMENT_COLUMNS`. `jurisdiction` is the folder's code; `declared_jurisdiction`
    what the file says. No file gives an empty frame (the jurisdiction has no assessment); a file
    that cannot be parsed or has no `assessments` list gives one row with `problem` set.
    """
    path = mechanisms_file(sources_dir, jurisdiction)
    if path is None:
        return _typed(pd.DataFrame(columns=ASSESSMENT_COLUMNS))
    return parse_assessments(read_bytes(path), jurisdiction)


def parse_assessments(file: FileBytes, jurisdiction: str) -> pd.DataFrame:
    """`read_assessments` of one file's bytes, read once: every row carries their hash.
    Never raises on bad content."""
    name = file.name
    provenance = {"jurisdiction": jurisdiction, "source_file": name, "source_sha256": file.sha256}
    try:
        doc = load_yaml(file.data.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError) as exc:
        reason = _one_line(exc)
        return _typed(
            pd.DataFrame([provenance | {"problem": f"{name} is not valid YAML: {reason}"}])
        )
    if not isinstance(doc, dict) or not isinstance(doc.get("assessments"), list):
        problem = f"{name} has no `assessments` list"
        return _typed(pd.DataFrame([provenance | {"problem": problem}]))
    declared = _text(doc.get("jurisdiction"))
    rows = [
        provenance | {"declared_jurisdiction": declared} | _entry(entry, f"assessments[{i}]", name)
        for i, entry in enumerate(doc["assessments"])
    ]
    # object first: inferring float64 for `year` or `score` with gaps would round large numbers
    return _typed(pd.DataFrame(rows, columns=ASSESSMENT_COLUMNS, dtype=object))


def _one_line(exc: Exception, limit: int = 300) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[:limit] + "..."


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.reindex(columns=ASSESSMENT_COLUMNS)
    for col in ASSESSMENT_COLUMNS:
        frame[col] = frame[col].astype("Int64" if col in ("year", "score") else object)
    return frame.reset_index(drop=True)


def assessments_schema(
    checklist: pd.DataFrame, current_year: int | None = None
) -> pa.DataFrameSchema:
    """The blocking schema of the assessments of one or more files."""
    year_now = current_year or dt.date.today().year
    text = dict(dtype=object, nullable=True)
    return pa.DataFrameSchema(
        {
            "jurisdiction": pa.Column(str, description="the code of the folder the file is in"),
            "declared_jurisdiction": pa.Column(**text, description="the file's `jurisdiction`"),
            "year": pa.Column(
                "Int64",
                [
                    pa.Check.ge(FIRST_YEAR, error=RULE_YEAR_EARLY),
                    pa.Check.le(year_now, error=RULE_YEAR_FUTURE),
                ],
                nullable=True,
                description="the year the assessment describes",
            ),
            "item": pa.Column(
                checks=pa.Check.isin(list(checklist["item_id"]), error=RULE_ITEM),
                **text,
                description="the checklist item_id",
            ),
            "score": pa.Column(
                "Int64",
                pa.Check.isin(SCORES, error=RULE_SCORE),
                nullable=True,
                description="2 met in law and practice, 1 partly met, 0 not met",
            ),
            "evidence": pa.Column(**text, description="the text the score rests on"),
            "source_url": pa.Column(**text, description="where the evidence was published"),
            "source_file": pa.Column(str, description="the assessment file"),
            "source_sha256": pa.Column(**text, description="SHA-256 of the assessment file"),
            "source_row": pa.Column(**text, description="the entry, as assessments[<index>]"),
            "problem": pa.Column(
                checks=pa.Check(lambda s: s.isna(), error=RULE_PROBLEM),
                **text,
                description="why the file or entry could not be read",
            ),
        },
        checks=[
            pa.Check(_evidence_given, error=RULE_EVIDENCE),
            pa.Check(_declared_matches_folder, error=RULE_JURISDICTION),
        ],
        strict=True,
        name="ct_mechanism_assessments",
        description="One row per assessment entry of a *_ct_mechanisms.yaml file, or one row per "
        "file that could not be read (`problem` set).",
    )


def _evidence_given(df: pd.DataFrame) -> pd.Series:
    given = df["evidence"].fillna("").astype(str).str.strip() != ""
    return given | df["problem"].notna()


def _declared_matches_folder(df: pd.DataFrame) -> pd.Series:
    return (df["declared_jurisdiction"] == df["jurisdiction"]) | df["problem"].notna()


_WIDE = {RULE_EVIDENCE: "evidence", RULE_JURISDICTION: "declared_jurisdiction"}


def validate_assessments(
    frame: pd.DataFrame, checklist: pd.DataFrame, current_year: int | None = None
) -> list[Finding]:
    """Findings of the assessment schema, located by file and entry (`assessments[<index>]`)."""

    def locate(df: pd.DataFrame, index: int, column: str) -> tuple[str, str, str]:
        row = df.loc[index]
        national = "jurisdiction" if column == "declared_jurisdiction" else column
        where = "" if pd.isna(row["source_row"]) else str(row["source_row"])
        return str(row["source_file"]), where, national

    return validate(
        frame.reset_index(drop=True),
        assessments_schema(checklist, current_year),
        locate=locate,
        wide_check_columns=_WIDE,
        message_column="problem",
    )
