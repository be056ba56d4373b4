"""The wheel carries what the documents need at run time (templates, Typst layout, configs, rules,
the briefs' translation catalogs): a non-editable install renders a document and translates. The wheel is built from a copy of the sources, so the
project folder gets no build/ or egg-info."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "wbtip_pipeline"
DATA_SUFFIXES = (".j2", ".typ", ".yaml", ".po", ".pot")

RENDER = """
from wbtip_pipeline.presentation.blocks import Note, Numbering, Paragraph, Section
from wbtip_pipeline.presentation.document import Document
from wbtip_pipeline.presentation.render_html import render_html
from wbtip_pipeline.presentation.render_pdf import render_pdf
import wbtip_pipeline, sys
assert "site-packages" in wbtip_pipeline.__file__ or "unpacked" in wbtip_pipeline.__file__
num = Numbering("1")
section = Section("one", "1", "One").add(num.heading("First"), Paragraph("Text."), Note("n"))
doc = Document("Title", sections=[section])
html = render_html(doc)
pdf = render_pdf(doc)
assert "<h2" in html and pdf.startswith(b"%PDF")
print("rendered")
"""


TRANSLATE = """
import wbtip_pipeline, datetime
assert "site-packages" in wbtip_pipeline.__file__ or "unpacked" in wbtip_pipeline.__file__
from wbtip_pipeline.workshop.i18n import LANGUAGES, lang
for code in LANGUAGES:
    t = lang(code)
    assert t.knows("jurisdiction", "Serbia"), code
sr, sq = lang("sr"), lang("sq")
assert sr.pgettext("jurisdiction", "Serbia") == "Србија"
assert sr.localise("1,234 and 6.39") == "1.234 and 6,39"
assert sq.date(datetime.date(2025, 3, 4)) == "4 mars 2025"
print("translated")
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("src")
    shutil.copytree(PACKAGE, src / "wbtip_pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "uv", "build", "--wheel", "--quiet", "--out-dir", str(out),
         str(src)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if done.returncode != 0 and "Failed to fetch" in done.stderr:  # no package index here
        pytest.skip(f"cannot build a wheel here: {done.stderr.strip()[-200:]}")
    assert done.returncode == 0, done.stderr[-2000:]
    return next(out.glob("wbtip_pipeline-*.whl"))


def test_every_template_and_config_is_in_the_wheel(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = {
        str(p.relative_to(ROOT))
        for p in PACKAGE.rglob("*")
        if p.suffix in DATA_SUFFIXES and "__pycache__" not in p.parts
    }
    assert wanted and any(w.endswith("document.html.j2") for w in wanted)
    assert wanted - names == set(), sorted(wanted - names)


def test_an_installed_wheel_loads_the_catalogs_and_formats_for_the_locale(wheel, tmp_path):
    """The briefs' catalogs are read from the wheel's package data (`.po`, compiled in memory)."""
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(wheel).extractall(unpacked)
    code = f"import sys; sys.path.insert(0, {str(unpacked)!r})\n{TRANSLATE}"
    done = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=120,
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0 and "translated" in done.stdout, done.stderr[-2000:]


def test_an_installed_wheel_renders_a_document(wheel, tmp_path):
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(wheel).extractall(unpacked)
    done = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(unpacked)!r})\n{RENDER}"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0 and "rendered" in done.stdout, done.stderr[-2000:]
