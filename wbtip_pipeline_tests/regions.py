"""Regions for tests: the bundled configs plus a synthetic seventh member."""

from __future__ import annotations

import shutil
from pathlib import Path

from wbtip_pipeline.region import BUNDLED_CONFIG_DIR, Region, build_region

SEVENTH_CODE, SEVENTH_NAME = "QQQ", "Quuxland"


def seven_member_region(folder: Path) -> Region:
    """Copies the bundled configs into `folder`, adds Quuxland (QQQ, a copy of Albania's
    config without its `brief_languages`: a member added with the least a config needs) and
    returns the region of the seven."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in BUNDLED_CONFIG_DIR.glob("*.yaml"):
        shutil.copy(path, folder / path.name)
    text = (BUNDLED_CONFIG_DIR / "ALB.yaml").read_text(encoding="utf-8")
    text = text.replace("jurisdiction: ALB", f"jurisdiction: {SEVENTH_CODE}")
    text = text.replace("name: Albania", f"name: {SEVENTH_NAME}")
    text = "".join(line for line in text.splitlines(keepends=True) if "brief_languages" not in line)
    (folder / f"{SEVENTH_CODE}.yaml").write_text(text, encoding="utf-8")
    return build_region(folder)
