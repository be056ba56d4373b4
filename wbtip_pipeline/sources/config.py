"""Per-jurisdiction source configuration: where the files are and how to read their labels.

A jurisdiction is one YAML file in `configs/` (named by its ISO 3166-1 alpha-3 code). Everything
that differs between national reporting offices (file names, encoding, delimiter, header offset,
column names, label-to-code maps) lives there; the readers in `readers.py` are generic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from wbtip_pipeline.region import member_files

CONFIG_DIR = Path(__file__).parent / "configs"
LAYOUTS = ("long_csv", "year_columns_workbook", "sex_columns_csv", "nested_json")


class ConfigError(ValueError):
    """A jurisdiction config file is malformed."""


@dataclass(frozen=True)
class SourceConfig:
    jurisdiction: str
    name: str
    layout: str
    file_pattern: str
    encoding: str = "utf-8"
    delimiter: str = ","
    header_offset: int = 0
    columns: dict[str, str] = field(default_factory=dict)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    nationals: str | None = None
    sheets: dict[str, str] = field(default_factory=dict)
    sex_columns: dict[str, str] = field(default_factory=dict)
    indicators: dict[str, str] = field(default_factory=dict)
    year_key: str = "reporting_year"
    mechanisms_pattern: str = ""
    brief_languages: list[str] = field(default_factory=list)  # read by region.py

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(self.file_pattern)

    @property
    def per_year(self) -> bool:
        """Per-year layouts name the year in the file name; each file must hold that year only."""
        return "year" in self.pattern.groupindex

    def map_label(self, kind: str, text: str) -> str:
        """The harmonised code of a national label, or the label itself (which validation rejects)."""
        return self.labels.get(kind, {}).get(text, text)

    def column_name(self, canonical: str) -> str:
        """The national name of a canonical column, for error messages."""
        if canonical == "indicator" and self.layout == "year_columns_workbook":
            return "sheet name"
        if canonical == "year" and self.layout == "nested_json":
            return self.year_key
        return self.columns.get(canonical, canonical)


def _load(path: Path) -> SourceConfig:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    code = data.get("jurisdiction")
    if code != path.stem:
        raise ConfigError(f"{path.name}: 'jurisdiction' must be {path.stem!r}, found {code!r}")
    if data.get("layout") not in LAYOUTS:
        raise ConfigError(f"{path.name}: 'layout' must be one of {', '.join(LAYOUTS)}")
    for key in ("name", "file_pattern"):
        if not data.get(key):
            raise ConfigError(f"{path.name}: '{key}' is required")
    try:
        re.compile(data["file_pattern"])
    except re.error as exc:
        raise ConfigError(f"{path.name}: 'file_pattern' is not a valid regex: {exc}") from exc
    data.setdefault("mechanisms_pattern", rf"{code.lower()}_ct_mechanisms\.ya?ml")
    # YAML reads labels such as `18+` or `0-17` as text, but numbers would become ints.
    data["labels"] = {
        kind: {str(k): str(v) for k, v in mapping.items()}
        for kind, mapping in (data.get("labels") or {}).items()
    }
    known = set(SourceConfig.__dataclass_fields__)
    unknown = set(data) - known
    if unknown:
        raise ConfigError(f"{path.name}: unknown keys {sorted(unknown)}")
    return SourceConfig(**data)


@cache
def load_configs(config_dir: Path = CONFIG_DIR) -> dict[str, SourceConfig]:
    """All jurisdiction configs, keyed by ISO code, in alphabetical order."""
    return {p.stem: _load(p) for p in member_files(config_dir)}
