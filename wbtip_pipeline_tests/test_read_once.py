"""Read once (issue 16, item 4): a source file that is rewritten while the pipeline reads it
gives the hash and the figures of one and the same version, and the next refresh sees the
new version.

The fault is injected at the lowest level: the first time the file's bytes are read, a new
version is written over it, as when an office saves again while the run is reading. A reader
that read the file a second time (once to hash it, once to parse it) would record the hash of
one version and the figures of the other.
"""

from __future__ import annotations

import hashlib
import io
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import openpyxl
import pandas as pd
import pytest

from wbtip_pipeline.assets.versions import stale_assets
from wbtip_pipeline.definitions import build_definitions
from wbtip_pipeline.sources.readers import FileBytes, parse_file, read_jurisdiction
from wbtip_pipeline_tests.conftest import run_layers, settings_for


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _bih_cell_plus_one(data: bytes) -> bytes:
    """The workbook with its first figure (victims, 2009, female children: 23) made 24."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["Žrtve"]
    assert sheet["K5"].value == 23
    sheet["K5"] = 24
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _replace(old: bytes, new: bytes) -> Callable[[bytes], bytes]:
    def edit(data: bytes) -> bytes:
        assert old in data
        return data.replace(old, new, 1)

    return edit


@dataclass(frozen=True)
class Case:
    """A file, the asset that reads it, how the office's new version differs, and the figure
    that tells the versions apart (its `value_text` in the first version, then in the new)."""

    code: str
    file: str
    asset: str
    new_version: Callable[[bytes], bytes]
    figure: dict
    column: str
    values: tuple


CASES = [
    Case(
        "ALB",
        "alb_trafikimi_2021.csv",
        "raw_alb",
        _replace(b";2021;159", b";2021;160"),
        {"source_row": "row 8"},
        "value_text",
        ("159", "160"),
    ),
    Case(
        "BIH",
        "bih_trgovina_ljudima.xlsx",
        "raw_bih",
        _bih_cell_plus_one,
        {"source_row": "sheet 'Žrtve', row 5", "value_column": "2009"},
        "value_text",
        ("23", "24"),
    ),
    Case(
        "XKX",
        "xkx_victims_2019.json",
        "raw_xkx",
        _replace(b'"total": 26', b'"total": 27'),
        {"source_row": "key victims.total"},
        "value_text",
        ("26", "27"),
    ),
    Case(
        "ALB",
        "alb_ct_mechanisms.yaml",
        "ct_assessments_alb",
        _replace(b"    score: 1\n", b"    score: 2\n"),
        {"source_row": "assessments[0]"},
        "score",
        (1, 2),
    ),
]


@pytest.fixture
def rewrite_on_first_read(monkeypatch):
    """Arm files to be replaced by a new version right after their bytes are first read;
    returns {file name: (first version, new version)}."""
    versions: dict[str, tuple[bytes, bytes]] = {}
    pending: dict[str, Callable[[bytes], bytes]] = {}
    original = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        data = original(self)
        edit = pending.pop(self.name, None)
        if edit is not None:
            new = edit(data)
            self.write_bytes(new)
            versions[self.name] = (data, new)
        return data

    monkeypatch.setattr(Path, "read_bytes", read_bytes)

    def arm(name: str, edit: Callable[[bytes], bytes]) -> None:
        pending[name] = edit

    return arm, versions


def _stored(output: Path, asset: str) -> pd.DataFrame:
    with (output / ".storage" / asset).open("rb") as fh:
        return pickle.load(fh)


def _recorded_hashes(run, asset: str) -> dict[str, str]:
    (event,) = [
        e for e in run.result.get_asset_materialization_events() if e.asset_key.path[-1] == asset
    ]
    metadata = event.materialization.metadata
    key = "source_hashes" if asset.startswith("raw_") else "source_files"
    return metadata[key].value


def test_a_file_rewritten_during_the_run_keeps_hash_and_figures_of_one_version(
    sources, tmp_path, instance, rewrite_on_first_read
):
    arm, versions = rewrite_on_first_read
    for case in CASES:
        arm(case.file, case.new_version)
    settings = settings_for(sources, tmp_path / "out")
    (run,) = run_layers(settings, instance, sources_only=True)
    assert run.result.success

    for case in CASES:
        first, new = versions[case.file]
        assert (sources / case.code / case.file).read_bytes() == new  # the office's new version
        frame = _stored(tmp_path / "out", case.asset)
        rows = frame[frame["source_file"] == case.file]
        # the rows of that file carry one hash, that of the version they were parsed from
        assert set(rows["source_sha256"]) == {sha(first)}, case.file
        figure = rows
        for column, value in case.figure.items():
            figure = figure[figure[column] == value]
        assert list(figure[case.column]) == [case.values[0]], case.file
        # and the asset's metadata records that same hash, not the new version's
        assert _recorded_hashes(run, case.asset)[case.file] == sha(first), case.file

    # the new versions were never read: the next refresh must read them, and nothing else
    graph = build_definitions(settings).resolve_asset_graph()
    stale = stale_assets(instance, graph, settings)
    for case in CASES:
        assert stale.get(dg.AssetKey(case.asset)) == "inputs or code changed", case.asset
    # a file read once and left alone gives the version computed from the disk: not stale
    untouched = ["raw_mkd", "raw_mne", "raw_srb", "ct_assessments_bih", "evidence_registry"]
    untouched += ["population", "ct_checklist", "us_tip_tiers", "us_tip_figures"]
    for name in untouched:
        assert dg.AssetKey(name) not in stale, name


def test_rows_and_hash_of_a_jurisdiction_come_from_the_bytes_read(sources, configs):
    """`read_jurisdiction` reports, per file, the hash of the bytes its rows were parsed from."""
    frame, found = read_jurisdiction(sources / "ALB", configs["ALB"])
    on_disk = {p.name: sha(p.read_bytes()) for p in (sources / "ALB").glob("alb_trafikimi_*")}
    assert {f.path.name: f.sha256 for f in found.files} == on_disk
    by_file = frame.groupby("source_file")["source_sha256"].unique()
    assert {name: list(h) for name, h in by_file.items()} == {n: [h] for n, h in on_disk.items()}


def test_parse_file_reads_the_bytes_given_not_the_disk(sources, configs):
    """The readers parse bytes: the file on disk is not consulted again."""
    path = sources / "ALB" / "alb_trafikimi_2021.csv"
    data = path.read_bytes()
    path.write_bytes(b"overwritten")
    rows = parse_file(configs["ALB"], FileBytes(path.name, data, 2021))
    assert {r["source_sha256"] for r in rows} == {sha(data)}
    assert any(r["value_text"] == "159" for r in rows)
    assert all(r["problem"] is None for r in rows)
