"""Drawn charts are kept by what they were drawn from: the same data is not drawn twice, other
data is, and a document's cache keeps only the charts it used last."""

from __future__ import annotations

import pytest

from wbtip_pipeline.presentation import charts


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
    with charts.cached_in(tmp_path):
        first = _chart(12)
    with charts.cached_in(tmp_path):
        again = _chart(12)
    assert drawings == ["fig-test"] and again == first


def test_other_data_is_drawn_and_unused_entries_go(tmp_path, drawings):
    with charts.cached_in(tmp_path):
        old = _chart(12)
    with charts.cached_in(tmp_path):
        new = _chart(13)
    assert len(drawings) == 2 and new.svg != old.svg
    assert len(list(tmp_path.glob("*.pkl"))) == 1  # only the chart this build used


def test_without_a_cache_every_chart_is_drawn(drawings):
    _chart(12)
    _chart(12)
    assert len(drawings) == 2
