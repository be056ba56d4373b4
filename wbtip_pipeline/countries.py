"""Country names as reported -> ISO 3166-1 alpha-3 codes (pycountry plus a small override file)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pycountry
import yaml

OVERRIDES_FILE = Path(__file__).parent / "reference" / "country_overrides.yaml"


@cache
def _overrides(path: Path = OVERRIDES_FILE) -> dict[str, str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k).strip().casefold(): str(v) for k, v in data.items()}


@cache
def country_code(name: str) -> str | None:
    """The alpha-3 code of a reported country name, or None when it cannot be resolved."""
    key = (name or "").strip()
    override = _overrides().get(key.casefold())
    if override is not None:
        return override
    try:
        return pycountry.countries.lookup(key).alpha_3
    except LookupError:
        return None
