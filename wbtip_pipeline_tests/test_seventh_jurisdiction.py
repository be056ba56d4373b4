"""A seventh jurisdiction by configuration and data alone: `wbtip run` with `WBTIP_CONFIG_DIR`
holding seven configs gives seven chapters, seven briefs and slides that name all seven, and no
output says "six" or "WB6" (issue 12). No code changes: the run is `wbtip run` in a process of its
own (`processes.start`)."""

from __future__ import annotations

import html as html_lib
import os
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from benchmarks.synthetic import build_scaled
from wbtip_pipeline_tests import processes

ROOT = Path(__file__).resolve().parents[1]
# what states the region's size (a count such as "six of the seven" is not that)
SIX = re.compile(
    r"\bWB6\b|\b(?:all|the|its|of) six\b(?! of)|\bsix (?:jurisdictions|members)\b(?! that)",
    re.IGNORECASE,
)


def _text(html: str) -> str:
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture(scope="module")
def seven(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("seven")
    folders = build_scaled(ROOT / "data" / "sources", ROOT / "data" / "reference", base, 2, extra=1)
    output = base / "output"
    env = {
        **os.environ,
        "WBTIP_CONFIG_DIR": str(folders["configs"]),
        "WBTIP_SOURCES_DIR": str(folders["sources"]),
        "WBTIP_REFERENCE_DIR": str(folders["reference"]),
        "WBTIP_OUTPUT_DIR": str(output),
        "DAGSTER_HOME": str(base / "dagster_home"),
    }
    env.pop("WBTIP_WAREHOUSE_URL", None)
    done = processes.start(["run"], env=env, cwd=base)
    out, err = done.communicate(timeout=600)
    assert done.returncode == 0, out[-3000:] + err[-3000:]
    return {**folders, "output": output}


def test_the_configs_make_seven_members(seven):
    assert sorted(p.stem for p in seven["configs"].glob("*.yaml") if p.stem != "region") == [
        "ALB", "BIH", "MKD", "MNE", "QAA", "SRB", "XKX",
    ]  # fmt: skip


def test_report_has_seven_chapters_and_no_six(seven):
    html = (seven["output"] / "report" / "wbtip_report.html").read_text(encoding="utf-8")
    chapters = re.findall(r'data-jurisdiction="([A-Z]{3})"', html)
    assert chapters == ["ALB", "BIH", "XKX", "MKD", "MNE", "SRB", "QAA"]
    text = _text(html)
    assert "Synthetic QAA" in text and "Western Balkans (WB7)" in text
    assert not SIX.search(text), SIX.search(text).group(0)
    pdf = PdfReader(seven["output"] / "report" / "wbtip_report.pdf")
    assert any("Synthetic QAA" in page.extract_text() for page in pdf.pages)


def test_pack_has_seven_briefs_and_slides_name_all_seven(seven):
    workshop = seven["output"] / "workshop"
    briefs = sorted(p.name for p in (workshop / "briefs").glob("*.pdf"))
    english = [name for name in briefs if name.endswith("_en.pdf")]
    # a member whose config names no brief languages gets its brief in English only
    assert len(english) == 7 and [n for n in briefs if "QAA" in n] == ["brief_QAA_en.pdf"], briefs
    slides = _text((workshop / "workshop_slides.html").read_text(encoding="utf-8"))
    for name in ("Albania", "Bosnia and Herzegovina", "Kosovo", "North Macedonia", "Montenegro",
                 "Serbia", "Synthetic QAA"):  # fmt: skip
        assert name in slides, name
    assert not SIX.search(slides), SIX.search(slides).group(0)


def test_tables_carry_the_region_of_seven(seven):
    import sqlite3

    with sqlite3.connect(seven["output"] / "warehouse.sqlite") as db:
        codes = {r[0] for r in db.execute("select distinct jurisdiction from trends")}
    assert "WB7" in codes and "WB6" not in codes and "QAA" in codes
