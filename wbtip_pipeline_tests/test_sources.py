"""Readers on the real bundled files, and one test per kind of bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from wbtip_pipeline.schemas.raw import validate_raw
from wbtip_pipeline.sources.readers import discover, parse_count
from wbtip_pipeline_tests.conftest import (
    BUNDLED_SOURCES,
    JURISDICTIONS,
    digest_files,
    run_layers,
    settings_for,
)

# Row counts checked independently: data lines of the long files; non-empty sex cells of the
# Montenegrin file; figures of the Kosovo JSON files counted by hand (4 + 14 + 7).
EXPECTED_ROWS = {"ALB": 329, "BIH": 255, "MKD": 390, "MNE": 295, "SRB": 486, "XKX": 25}


def total(frame: pd.DataFrame, year: int, indicator="victims_detected", **where) -> tuple[int, int]:
    sel = {"dimension": "total", "category": "total", "sex": "total", "age": "total", **where}
    rows = frame[(frame["year"] == year) & (frame["indicator"] == indicator)]
    for col, value in sel.items():
        rows = rows[rows[col] == value]
    return int(rows["value_low"].sum()), int(rows["value_high"].sum())


@pytest.mark.parametrize("code", JURISDICTIONS)
def test_bundled_files_read_and_validate(raw_frames, configs, code):
    frame = raw_frames[code]
    assert len(frame) == EXPECTED_ROWS[code]
    assert frame["problem"].isna().all()
    assert validate_raw(frame, configs[code]) == []
    assert frame["source_sha256"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert frame["source_row"].notna().all()


def test_hand_checked_figures(raw_frames):
    assert total(raw_frames["ALB"], 2017) == (95, 95)
    assert total(raw_frames["SRB"], 2010) == (76, 76)
    assert total(raw_frames["XKX"], 2019) == (26, 26)
    assert total(
        raw_frames["XKX"], 2019, dimension="exploitation", category="sexual_exploitation"
    ) == (19, 19)
    # `<5` is kept as the interval 0..4
    assert total(raw_frames["MNE"], 2013) == (0, 4)
    # BIH: the workbook's 2009 female children, first data row of the victims sheet
    assert total(raw_frames["BIH"], 2009, sex="female", age="child") == (23, 23)
    # MKD 2019 total victims, read from Windows-1251
    assert total(raw_frames["MKD"], 2019) == (6, 6)


def test_provenance_points_at_the_line(raw_frames):
    alb = raw_frames["ALB"]
    row = alb[(alb["year"] == 2017) & (alb["value_text"] == "95")].iloc[0]
    assert (row["source_file"], row["source_row"]) == ("alb_trafikimi_2017.csv", "row 8")
    bih = raw_frames["BIH"]
    assert bih["source_row"].str.startswith("sheet 'Žrtve', row ").any()


def test_nationals_map_to_own_code(raw_frames):
    srb = raw_frames["SRB"]
    assert "држављани Србије" not in set(srb["category"])
    assert (srb["category"] == "SRB").any()


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("<5", ("<5", 0, 4)),
        ("12", ("12", 12, 12)),
        (12, ("12", 12, 12)),
        (12.0, ("12.0", 12, 12)),
        ("-3", ("-3", -3, -3)),
        ("twelve", ("twelve", None, None)),
        ("", None),
        (None, None),
    ],
)
def test_parse_count(cell, expected):
    assert parse_count(cell) == expected


# --- bad input: each case breaks one jurisdiction and must leave the other five passing ------


def _rewrite(path: Path, old: str, new: str, encoding="utf-8") -> None:
    text = path.read_text(encoding=encoding)
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding=encoding)


def empty_file(src: Path):
    (src / "ALB" / "alb_trafikimi_2022.csv").write_bytes(b"")
    return "ALB", ["alb_trafikimi_2022.csv is empty"]


def negative_count(src: Path):
    _rewrite(src / "ALB" / "alb_trafikimi_2021.csv", ";2021;159", ";2021;-3", "utf-8-sig")
    return "ALB", [
        "value '-3' in column Vlera, row",
        "of alb_trafikimi_2021.csv: counts cannot be negative",
    ]


def count_in_words(src: Path):
    _rewrite(src / "SRB" / "srb_centar_2021.csv", ",2021,46", ",2021,четрдесет шест")
    return "SRB", ["value 'четрдесет шест' in column број", "srb_centar_2021.csv", "whole number"]


def unknown_label(src: Path):
    _rewrite(src / "MKD" / "mkd_trgovija_2019.csv", "Женски", "Жени", "cp1251")
    return "MKD", ["value 'Жени' in column Пол", "mkd_trgovija_2019.csv", "not a known sex label"]


def missing_column(src: Path):
    _rewrite(src / "SRB" / "srb_centar_2020.csv", ",година,број", ",година,вредност")
    return "SRB", ["srb_centar_2020.csv: column 'број' is missing"]


def wrong_encoding_garbled(src: Path):
    # a Macedonian file saved as ISO-8859-5 decodes as Windows-1251 without error, into
    # garbled labels: they must be rejected and quoted, never slip through
    path = src / "MKD" / "mkd_trgovija_2018.csv"
    path.write_bytes(path.read_bytes().decode("cp1251").encode("iso8859_5"))
    garbled = "Показател".encode("iso8859_5").decode("cp1251")
    return "MKD", [
        "mkd_trgovija_2018.csv",
        f"the header line has {garbled!r}",
        "is the file in cp1251",
    ]


def wrong_encoding_undecodable(src: Path):
    path = src / "SRB" / "srb_centar_2019.csv"
    path.write_bytes(path.read_bytes().decode("utf-8").encode("cp1251"))
    return "SRB", ["srb_centar_2019.csv cannot be read as utf-8", "another encoding"]


def truncated_workbook(src: Path):
    path = src / "BIH" / "bih_trgovina_ljudima.xlsx"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return "BIH", ["bih_trgovina_ljudima.xlsx cannot be opened as an Excel workbook"]


def renamed_sheet(src: Path):
    path = src / "BIH" / "bih_trgovina_ljudima.xlsx"
    wb = openpyxl.load_workbook(path)
    wb["Žrtve"].title = "Zrtve"
    wb.save(path)
    return "BIH", ["bih_trgovina_ljudima.xlsx", "missing 'Žrtve'", "unexpected 'Zrtve'"]


def truncated_json(src: Path):
    path = src / "XKX" / "xkx_victims_2019.json"
    path.write_bytes(path.read_bytes()[:200])
    return "XKX", ["xkx_victims_2019.json is not valid JSON (line"]


def row_of_another_year(src: Path):
    _rewrite(src / "ALB" / "alb_trafikimi_2021.csv", ";2021;159", ";2020;159", "utf-8-sig")
    return "ALB", ["value '2020' in column Viti", "alb_trafikimi_2021.csv", "its own year only"]


def future_year(src: Path):
    _rewrite(src / "MNE" / "mne_statistika.csv", "2021;", "2031;")
    return "MNE", ["value '2031' in column Godina", "mne_statistika.csv: a future year"]


BAD_INPUTS = [
    empty_file,
    negative_count,
    count_in_words,
    unknown_label,
    missing_column,
    wrong_encoding_garbled,
    wrong_encoding_undecodable,
    truncated_workbook,
    renamed_sheet,
    truncated_json,
    row_of_another_year,
    future_year,
]


@pytest.mark.parametrize("breaker", BAD_INPUTS, ids=lambda f: f.__name__)
def test_bad_input_blocks_only_its_jurisdiction(breaker, sources, tmp_path, instance):
    broken, expected = breaker(sources)
    (run,) = run_layers(settings_for(sources, tmp_path / "out"), instance, sources_only=True)
    for code in JURISDICTIONS:
        evaluation = run.check(f"raw_{code.lower()}_schema")
        if code == broken:
            assert not evaluation.passed
            messages = run.messages(f"raw_{code.lower()}_schema")
            for fragment in expected:
                assert fragment in messages, messages
            assert (
                "| file | row | column | value | rule |"
                in evaluation.metadata["failure_cases"].value
            )
        else:
            assert evaluation.passed, (code, run.messages(f"raw_{code.lower()}_schema"))


def test_stray_files_are_skipped_and_listed(sources, tmp_path, instance, configs):
    (sources / "ALB" / "notes.txt").write_text("call the ministry", encoding="utf-8")
    (sources / "ALB" / "alb_trafikimi_2021 (copy).csv").write_text("garbage", encoding="utf-8")
    shutil.copy(
        sources / "BIH" / "bih_trgovina_ljudima.xlsx",
        sources / "BIH" / "~$bih_trgovina_ljudima.xlsx",
    )
    found = discover(sources / "ALB", configs["ALB"])
    assert set(found.skipped) == {"notes.txt", "alb_trafikimi_2021 (copy).csv"}
    assert (
        "lock file"
        in discover(sources / "BIH", configs["BIH"]).skipped["~$bih_trgovina_ljudima.xlsx"]
    )
    (run,) = run_layers(settings_for(sources, tmp_path / "out"), instance, sources_only=True)
    assert all(run.check(f"raw_{c.lower()}_schema").passed for c in JURISDICTIONS)
    mats = {e.asset_key.path[-1]: e for e in run.result.get_asset_materialization_events()}
    skipped = mats["raw_alb"].materialization.metadata["files_skipped"].value
    assert "notes.txt" in skipped and "does not match the file pattern" in skipped


def test_sources_are_never_modified(bundled_run):
    """The session's full run on the bundled data (`conftest.bundled_run`) left every source file
    as it was."""
    assert all(r.result.success for r in bundled_run.runs)
    assert digest_files(BUNDLED_SOURCES) == bundled_run.sources_before
    assert len(bundled_run.sources_before) >= 6


def test_pandera_does_not_search_for_a_missing_geopandas_on_every_column(monkeypatch):
    """`validation._geopandas_marked_absent`: resolving an object column's dtype, as pandera does
    for every column it checks, searches `sys.path` for geopandas no more (this environment has
    no geopandas)."""
    import importlib.machinery
    import importlib.util

    import numpy as np
    from pandera.engines import pandas_engine

    from wbtip_pipeline import validation

    assert importlib.util.find_spec("geopandas") is None
    assert validation._geopandas_marked_absent()
    searched = []
    real = importlib.machinery.PathFinder.find_spec

    def find_spec(name, *args, **kwargs):
        searched.append(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.machinery.PathFinder, "find_spec", find_spec)
    for _ in range(3):
        assert str(pandas_engine.Engine.dtype(np.dtype("O"))) == "object"
    assert not [name for name in searched if name.startswith("geopandas")]
