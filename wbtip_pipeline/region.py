"""The region and its members, from the jurisdiction configs: the one roster everything follows.

Every `<CODE>.yaml` in the config folder (the bundled `sources/configs/`, or `WBTIP_CONFIG_DIR`)
is a member, named by its `name` key (its optional `brief_languages` lists the languages its
workshop brief is translated into, besides English). `region.yaml` in the same folder (or, when
that folder has none, the bundled one) gives the region's name, its short name (`{size}` is the
number of members), the order of the members it lists (the others follow by code), the footnotes
that go with a member's name, and the former codes whose successors lie in the region.

Nothing here knows "six": a seventh config file makes a seventh member everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from wbtip_pipeline import settings

BUNDLED_CONFIG_DIR = Path(__file__).parent / "sources" / "configs"
REGION_FILE = "region.yaml"
FOOTNOTE_MARK = "*"
_CODE = re.compile(r"^[A-Z]{3}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_NUMBER_WORDS = (
    "no",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
)


class RegionError(ValueError):
    """The region file or a member's config does not say what the region needs."""


@dataclass(frozen=True)
class Member:
    code: str
    name: str
    footnote: str | None = None
    # the languages (catalog codes, `workshop/i18n.py`) of the member's institutions, into which
    # its workshop brief is translated; English always comes first and is not listed
    brief_languages: tuple[str, ...] = ()

    def label(self, mark: bool = True) -> str:
        """The name as printed: with the footnote mark when the member carries a footnote."""
        return f"{self.name}{FOOTNOTE_MARK}" if (mark and self.footnote) else self.name


@dataclass(frozen=True)
class Region:
    name: str
    short_name: str
    members: tuple[Member, ...]
    former_codes: dict[str, str] = field(default_factory=dict)

    @property
    def code(self) -> str:
        """The code of the region's aggregate rows in the tables (the short name)."""
        return self.short_name

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(m.code for m in self.members)

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def names(self) -> dict[str, str]:
        """{code: name} in member order."""
        return {m.code: m.name for m in self.members}

    @property
    def full_name(self) -> str:
        """ "Western Balkans (WB6)"."""
        return f"{self.name} ({self.short_name})"

    @property
    def footnotes(self) -> dict[str, str]:
        return {m.code: m.footnote for m in self.members if m.footnote}

    def member(self, code: str) -> Member | None:
        return next((m for m in self.members if m.code == code), None)

    def name_of(self, code: str, mark: bool = True) -> str:
        """A member's name (with its footnote mark), the region's name for its own code, the
        former state's name for a former code, else the code itself."""
        m = self.member(code)
        if m is not None:
            return m.label(mark)
        if code == self.code:
            return self.full_name
        return self.former_codes.get(code, code)

    def order(self, code: str) -> int:
        """Sort key: members in order, then the region, then anything else."""
        codes = self.codes
        if code in codes:
            return codes.index(code)
        return len(codes) if code == self.code else len(codes) + 1

    def size_words(self, noun: str = "jurisdiction") -> str:
        """ "six jurisdictions", "seven jurisdictions", "one jurisdiction"."""
        n = self.size
        word = _NUMBER_WORDS[n] if n < len(_NUMBER_WORDS) else f"{n:,}"
        return f"{word} {noun}{'' if n == 1 else 's'}"


def _read(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise RegionError(f"{path.name}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise RegionError(f"{path.name}: expected a mapping at the top level")
    return data


def member_files(config_dir: Path) -> list[Path]:
    """The member config files of a folder: `<CODE>.yaml`, `CODE` three capital letters."""
    return sorted(p for p in config_dir.glob("*.yaml") if _CODE.match(p.stem))


def _brief_languages(path: Path, value) -> tuple[str, ...]:
    """A member's `brief_languages`: a list of language codes ("sq", "cnr"), none by default."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(
        isinstance(v, str) and _LANGUAGE.match(v) for v in value
    ):
        raise RegionError(f"{path.name}: 'brief_languages' is a list of codes such as [sq, sr]")
    return tuple(dict.fromkeys(v for v in value if v != "en"))


def build_region(config_dir: Path) -> Region:
    config_dir = Path(config_dir)
    region_file = config_dir / REGION_FILE
    if not region_file.exists():
        region_file = BUNDLED_CONFIG_DIR / REGION_FILE
    spec = _read(region_file)
    for key in ("name", "short_name"):
        if not spec.get(key):
            raise RegionError(f"{region_file.name}: '{key}' is required")
    footnotes = {str(k): " ".join(str(v).split()) for k, v in (spec.get("footnotes") or {}).items()}
    names, languages = {}, {}
    for path in member_files(config_dir):
        data = _read(path)
        name = data.get("name")
        if not name:
            raise RegionError(f"{path.name}: 'name' is required")
        names[path.stem] = str(name)
        languages[path.stem] = _brief_languages(path, data.get("brief_languages"))
    if not names:
        raise RegionError(f"no jurisdiction config (<CODE>.yaml) in {config_dir.name}/")
    listed = [c for c in (spec.get("order") or []) if c in names]
    codes = listed + sorted(set(names) - set(listed))
    members = tuple(Member(c, names[c], footnotes.get(c), languages[c]) for c in codes)
    short_name = str(spec["short_name"]).format(size=len(members))
    if short_name in names:
        raise RegionError(f"{region_file.name}: the short name {short_name!r} is a member's code")
    former = {str(k): str(v) for k, v in (spec.get("former_codes") or {}).items()}
    return Region(str(spec["name"]), short_name, members, former)


@cache
def _cached(config_dir: Path) -> Region:
    return build_region(config_dir)


def load_region(config_dir: Path | None = None) -> Region:
    """The region of `config_dir` (default: `WBTIP_CONFIG_DIR`, else the bundled configs),
    read once per folder."""
    return _cached(Path(config_dir or settings.config_dir() or BUNDLED_CONFIG_DIR).resolve())
