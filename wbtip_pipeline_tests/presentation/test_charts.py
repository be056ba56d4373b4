"""What a chart's reader sees that its data do not say: labels that stay legible."""

from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg

from wbtip_pipeline.presentation import cache, charts

ROWS = ["Albania (2021)", "Bosnia and Herzegovina (2021)", "Serbia (2021)"]
PANELS = ["Sexual exploitation", "Forced labour", "Other forms"]


def test_side_by_side_share_panels_keep_their_axis_labels_apart(monkeypatch):
    """Figure 3.5 printed one panel's "100%" into the next one's "0%" ("100%0%")."""
    drawn = []
    finish = charts._finish

    def keep(fig, *args):
        drawn.append(fig)
        return finish(fig, *args)

    monkeypatch.setattr(charts, "_finish", keep)
    data = {(r, p): (0.1 * i, 0.1 * i + 0.2) for i, r in enumerate(ROWS) for p in PANELS}
    with cache.kept_in(None):  # drawn here, not found in the session's cache
        charts.share_ranges("shares", ROWS, PANELS, data, {}, "caption", "source", "alt")
    (fig,) = drawn
    renderer = FigureCanvasAgg(fig).get_renderer()
    ticks = [[t.get_window_extent(renderer) for t in ax.get_xticklabels()] for ax in fig.axes]
    assert len(ticks) == len(PANELS) and all(len(t) == 3 for t in ticks)
    for left_panel, right_panel in zip(ticks, ticks[1:], strict=False):
        assert left_panel[-1].x1 < right_panel[0].x0  # "100%" ends before "0%" begins
    for ax, labels in zip(fig.axes, ticks, strict=True):
        axis = ax.get_window_extent(renderer)
        assert labels[0].x0 >= axis.x0 - 1 and labels[-1].x1 <= axis.x1 + 1  # within its panel
