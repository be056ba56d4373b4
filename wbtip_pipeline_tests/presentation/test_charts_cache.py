"""Drawn charts are kept by what they were drawn from: the same data is not drawn twice, other
data is, and a document's cache keeps only the charts it used last."""

from __future__ import annotations

import pytest

from wbtip_pipeline.presentation import cache, charts


def _chart(victims: int):
    panel = charts.Panel("Albania", {"victims": {2020: (victims, victims), 2021: (0, 4)}})
    return charts.count_bars("fig-test", [panel], [2020, 2021], "Caption.", "Source: t.", "Alt.")


@pytest.fixture
def drawings(monkeypatch):
    """Counts the charts actually drawn (saved by matplotlib)."""
    calls = []
    finish = charts._finish

    def counting(*args, **kwargs):
        calls.append(args[1])
        return finish(*args, **kwargs)

    monkeypatch.setattr(charts, "_finish", counting)
    return calls


def test_the_same_data_is_drawn_once(tmp_path, drawings):
    with cache.kept_in(tmp_path):
        first = _chart(12)
    with cache.kept_in(tmp_path):
        again = _chart(12)
    assert drawings == ["fig-test"] and again == first


def test_other_data_is_drawn_and_unused_entries_go(tmp_path, drawings):
    with cache.kept_in(tmp_path):
        old = _chart(12)
    with cache.kept_in(tmp_path):
        new = _chart(13)
    assert len(drawings) == 2 and new.svg != old.svg
    assert len(list(tmp_path.glob("*.pkl"))) == 1  # only the chart this build used


def test_without_a_cache_every_chart_is_drawn(drawings):
    with cache.kept_in(None):  # outside any cache folder (the session's included)
        _chart(12)
        _chart(12)
    assert len(drawings) == 2


def test_a_shared_cache_keeps_every_output_folders_charts(tmp_path, drawings):
    with cache.kept_in(tmp_path, prune=False):
        _chart(12)
    with cache.kept_in(tmp_path, prune=False):
        _chart(13)
    with cache.kept_in(tmp_path, prune=False):
        _chart(12)
    assert len(drawings) == 2 and len(list(tmp_path.glob("*.pkl"))) == 2


def test_an_entry_pruned_by_another_writer_is_drawn_again(tmp_path, drawings, monkeypatch):
    with cache.kept_in(tmp_path):
        first = _chart(12)
    (entry,) = tmp_path.glob("*.pkl")
    read_bytes = type(entry).read_bytes

    def pruned_first(path):  # another writer's prune removes the entry as it is about to be read
        if path == entry:  # this entry only: nothing else is touched
            path.unlink()
        return read_bytes(path)

    monkeypatch.setattr(type(entry), "read_bytes", pruned_first)
    with cache.kept_in(tmp_path):
        again = _chart(12)
    monkeypatch.undo()
    assert len(drawings) == 2 and again == first and entry.exists()


def test_the_chart_cache_setting(tmp_path, monkeypatch):
    from wbtip_pipeline.settings import ENV_CHART_CACHE, chart_cache

    monkeypatch.delenv(ENV_CHART_CACHE, raising=False)
    assert chart_cache(tmp_path / "out") == (tmp_path / "out" / ".cache", True)
    monkeypatch.setenv(ENV_CHART_CACHE, str(tmp_path / "shared"))
    assert chart_cache(tmp_path / "out") == ((tmp_path / "shared").resolve(), False)


def test_the_workshop_pack_draws_its_charts_once(tmp_path, drawings):
    """The pack (its audit's layout included) finds every chart of an earlier pack of the same
    tables in the cache, and draws them when there is none."""
    from wbtip_pipeline.workshop.pack import render_workshop_pack
    from wbtip_pipeline_tests.report.tables import build_tables

    tables = build_tables()
    first = render_workshop_pack(tables, tmp_path / "a", cache_dir=tmp_path / "cache")
    drawn = len(drawings)
    again = render_workshop_pack(tables, tmp_path / "b", cache_dir=tmp_path / "cache")
    assert drawn > 10 and len(drawings) == drawn
    assert again.slides_html.read_text(encoding="utf-8") == first.slides_html.read_text(
        encoding="utf-8"
    )
    assert len(list((tmp_path / "cache" / "charts" / "workshop").glob("chart-*.pkl"))) == drawn
