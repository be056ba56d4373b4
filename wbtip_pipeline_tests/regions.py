"""Regions for tests: the bundled configs plus a synthetic seventh member."""

from __future__ import annotations

import shutil
from pathlib import Path

from wbtip_pipeline.region import BUNDLED_CONFIG_DIR, Region, build_region

SEVENTH_CODE, SEVENTH_NAME = "QQQ", "Quuxland"


def seven_member_region(folder: Path) -> Region:
    """Copies the bundled configs into `folder`, adds Quuxland (QQQ, a copy of Albania's
    config) and returns the region of the seven."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in BUNDLED_CONFIG_DIR.glob("*.yaml"):
        shutil.copy(path, folder / path.name)
    text = (BUNDLED_CONFIG_DIR / "ALB.yaml").read_text(encoding="utf-8")
    text = text.replace("jurisdiction: ALB", f"jurisdiction: {SEVENTH_CODE}")
    text = text.replace("name: Albania", f"name: {SEVENTH_NAME}")
    (folder / f"{SEVENTH_CODE}.yaml").write_text(text, encoding="utf-8")
    return build_region(folder)
