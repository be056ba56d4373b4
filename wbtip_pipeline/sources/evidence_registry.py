"""The evidence registry: `data/reference/evidence_registry.yaml`, who publishes each web site
the evidence is read from (the format is documented at the top of the file).

Like the other readers, `read_evidence_registry` never raises on bad content: an entry that is
not what it should be stays visible as a row whose `problem` says why, and the registry's
schema (a blocking check of the `evidence_registry` asset) turns it into a finding. The file is
read once (`readers.read_bytes`): the hash the asset records is that of the bytes parsed
(`parse_evidence_registry`).
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa
import yaml

from wbtip_pipeline.sources.readers import FileBytes, load_yaml, read_bytes
from wbtip_pipeline.validation import Finding, blank, validate
from wbtip_pipeline.vocab import SOURCE_TYPES

REGISTRY_FILE = "evidence_registry.yaml"
REGISTRY_COLUMNS = [
    "entry",
    "publisher",
    "source_type",
    "original_publisher",
    "original_title",
    "note",
    "problem",
]
ENTRY_KEYS = ("publisher", "source_type", "original_publisher", "original_title", "note")
# a host name (letters, digits, dots, hyphens; at least one dot), optionally with a path prefix
ENTRY_PATTERN = r"^(?!www\.)[a-z0-9-]+(\.[a-z0-9-]+)+(/\S*)?$"

RULE_PROBLEM = "the registry file or entry could not be read"
RULE_ENTRY = "an entry is a lower-case host name without www., optionally with a path prefix"
RULE_TYPE = "source_type must be one of " + ", ".join(SOURCE_TYPES)
RULE_PUBLISHER = "a graded site needs its publisher (only an unknown site may have none)"
RULE_MIRROR = "a mirror needs the original_publisher of the document it copies"
RULE_ORIGINAL = "only a mirror has an original_publisher or original_title"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _entry(name: Any, spec: Any, file: str) -> dict[str, Any]:
    row: dict[str, Any] = {"entry": str(name).strip()}
    if not isinstance(spec, dict):
        return row | {
            "problem": f"{file}, entry {name!r}: not a mapping of publisher, source_type, ..."
        }
    unknown = sorted(set(map(str, spec)) - set(ENTRY_KEYS))
    row |= {key: _text(spec.get(key)) for key in ENTRY_KEYS}
    if unknown:
        row["problem"] = (
            f"{file}, entry {name!r}: unknown field {', '.join(unknown)} ({', '.join(ENTRY_KEYS)})"
        )
    return row


def read_evidence_registry(path: Path) -> pd.DataFrame:
    """One row per entry of the registry (`REGISTRY_COLUMNS`); a file that cannot be read, or
    has no `domains` mapping, gives one row with `problem` set. No file is an empty registry:
    every site is then unknown (and named by the evidence_sources_graded warning)."""
    path = Path(path)
    if not path.exists():
        return _typed(pd.DataFrame(columns=REGISTRY_COLUMNS))
    try:
        file = read_bytes(path)
    except OSError as exc:
        return _problem(f"{path.name}: {_one_line(exc)}")
    return parse_evidence_registry(file)


def parse_evidence_registry(file: FileBytes) -> pd.DataFrame:
    """`read_evidence_registry` of the registry's bytes, read once (the caller records
    `file.sha256`). Never raises on bad content."""
    try:
        doc = load_yaml(file.data.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError) as exc:
        return _problem(f"{file.name}: {_one_line(exc)}")
    if not isinstance(doc, dict) or not isinstance(doc.get("domains"), dict):
        return _problem(f"{file.name} has no `domains` mapping")
    rows = [_entry(name, spec, file.name) for name, spec in doc["domains"].items()]
    return _typed(pd.DataFrame(rows, columns=REGISTRY_COLUMNS))


def _problem(text: str) -> pd.DataFrame:
    return _typed(pd.DataFrame([{"entry": "", "problem": text}]))


def _one_line(exc: Exception, limit: int = 300) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[:limit] + "..."


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.reindex(columns=REGISTRY_COLUMNS).astype(object)
    return frame.where(frame.notna(), None).reset_index(drop=True)


def entry_parts(entry: str) -> tuple[str, str]:
    """(host, path prefix) of an entry: `unhcr.org/refworld` -> ("unhcr.org", "/refworld")."""
    host, _, path = entry.partition("/")
    return host, f"/{path}" if path else ""


def is_entry(text: str) -> bool:
    return re.fullmatch(ENTRY_PATTERN, text) is not None


def _needs_publisher(df: pd.DataFrame) -> pd.Series:
    return ~blank(df["publisher"]) | (df["source_type"] == "unknown") | df["problem"].notna()


def _mirror_names_original(df: pd.DataFrame) -> pd.Series:
    mirror = df["source_type"] == "mirror"
    return ~mirror | ~blank(df["original_publisher"]) | df["problem"].notna()


def _original_only_for_mirrors(df: pd.DataFrame) -> pd.Series:
    original = ~blank(df["original_publisher"]) | ~blank(df["original_title"])
    return ~original | (df["source_type"] == "mirror") | df["problem"].notna()


evidence_registry_schema = pa.DataFrameSchema(
    {
        "entry": pa.Column(
            str, unique=True, description="host name without www., optionally with a path prefix"
        ),
        "publisher": pa.Column(object, nullable=True, description="who runs the site"),
        "source_type": pa.Column(
            object,
            pa.Check.isin(SOURCE_TYPES, error=RULE_TYPE),
            nullable=True,
            description="the grade: " + ", ".join(SOURCE_TYPES),
        ),
        "original_publisher": pa.Column(object, nullable=True),
        "original_title": pa.Column(object, nullable=True),
        "note": pa.Column(object, nullable=True),
        "problem": pa.Column(
            object,
            pa.Check(lambda s: s.isna(), error=RULE_PROBLEM),
            nullable=True,
            description="why the file or entry could not be read",
        ),
    },
    checks=[
        pa.Check(lambda df: df["entry"].map(is_entry) | df["problem"].notna(), error=RULE_ENTRY),
        pa.Check(_needs_publisher, error=RULE_PUBLISHER),
        pa.Check(_mirror_names_original, error=RULE_MIRROR),
        pa.Check(_original_only_for_mirrors, error=RULE_ORIGINAL),
        pa.Check(
            lambda df: df["source_type"].notna() | df["problem"].notna(),
            error=RULE_TYPE,
        ),
    ],
    strict=True,
    name="evidence_registry",
    description="One row per entry of evidence_registry.yaml: a site and its grade.",
)

_WIDE = {
    RULE_ENTRY: "entry",
    RULE_PUBLISHER: "publisher",
    RULE_MIRROR: "original_publisher",
    RULE_ORIGINAL: "original_publisher",
    RULE_TYPE: "source_type",
}


def validate_evidence_registry(frame: pd.DataFrame, file: str = REGISTRY_FILE) -> list[Finding]:
    """The registry schema's findings, each naming the file and the entry."""

    def locate(df: pd.DataFrame, index: int, column: str) -> tuple[str, str, str]:
        return file, f"entry {df.at[index, 'entry']!r}", column

    findings = validate(
        frame.reset_index(drop=True),
        evidence_registry_schema,
        locate=locate,
        wide_check_columns=_WIDE,
        message_column="problem",
    )
    # a `problem` finding takes its file from a `source_file` column, which the registry
    # (a single file) does not have
    return [f if f.file else replace(f, file=file) for f in findings]
