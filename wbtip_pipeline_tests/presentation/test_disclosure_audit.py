"""The disclosure audit (issue 14, item 8): every protected cell is bounded by linear programming
over the tables' relations and every share, ratio or count the documents print about cells; a
cell a reader could pin down to fewer than three values is named, with the claim that does it
and where it is printed. The audit blocks the report and the pack; published CSVs carry the
Kosovo footnote."""

from __future__ import annotations

import json
import pickle

import dagster as dg
import pandas as pd
import pytest

from wbtip_pipeline.presentation.audit import (
    AuditFinding,
    AuditResult,
    DisclosureAuditError,
    audit_disclosure,
)
from wbtip_pipeline.presentation.claims import (
    Claims,
    TrendFigures,
    pct_text,
    printed_interval,
)
from wbtip_pipeline.presentation.disclosure import (
    PRIMARY_TEXT,
    SECONDARY_TEXT,
    Disclosure,
    cell_id,
    harmonised_disclosure,
)
from wbtip_pipeline.presentation.facts import Facts
from wbtip_pipeline.presentation.suppression import protect
from wbtip_pipeline.presentation.text import CellBounds, published_share, share_range_text
from wbtip_pipeline.region import load_region
from wbtip_pipeline.report.document import build_report
from wbtip_pipeline.warehouse import FOOTNOTE_COLUMN, Warehouse, with_footnotes
from wbtip_pipeline.workshop.facts import PackFacts
from wbtip_pipeline.workshop.pack import audit_pack
from wbtip_pipeline_tests.report.tables import PROVENANCE, build_tables
from wbtip_pipeline_tests.test_transforms.frames import harmonised, row

NAMES = {"MNE": "Montenegro", "SRB": "Serbia"}
TOTAL = cell_id("MNE", 2021, "victims_detected")
CHILD = cell_id("MNE", 2021, "victims_detected", age="child")
ADULT = cell_id("MNE", 2021, "victims_detected", age="adult")


@pytest.mark.parametrize(
    ("text", "bounds"),
    [
        ("62%", (0.615, 0.625)),
        ("52–57%", (0.515, 0.575)),
        ("0–80%", (0.0, 0.805)),
        ("0.18–0.28", (0.175, 0.285)),
        ("12.5%", (0.1245, 0.1255)),
        (SECONDARY_TEXT, None),
        ("–", None),
    ],
)
def test_a_printed_figure_allows_half_a_unit_of_its_last_digit(text, bounds):
    got = printed_interval(text)
    assert got == bounds if bounds is None else got == pytest.approx(bounds)


def _six_victims() -> Disclosure:
    """Montenegro 2021: 6 victims, 3 children and 3 adults, both shown as <5. The age breakdown
    alone leaves each 2..4 (three values): protected."""
    h = harmonised(
        [
            row("MNE", 2021, 6),
            row("MNE", 2021, 3, age="child"),
            row("MNE", 2021, 3, age="adult"),
        ]
    )
    return harmonised_disclosure(h, names=NAMES)


def test_the_tables_alone_leave_the_small_cells_protected():
    d = _six_victims()
    assert d.text(CHILD) == d.text(ADULT) == PRIMARY_TEXT and d.text(TOTAL) == "6"
    result = audit_disclosure(d)
    assert result.passed and result.cells_audited == 2 and result.lps_solved > 0


def test_a_share_that_re_derives_a_suppressed_cell_is_named_with_where_it_is_printed():
    d = _six_victims()
    claims = Claims()
    with claims.at("report, Montenegro"), claims.at("recommendation REC-1"):
        # "children were 50% of the 6 victims": 2.97..3.03 children, so exactly 3
        claims.share([CHILD], [TOTAL], "50%")
    result = audit_disclosure(d, claims)
    assert not result.passed
    found = {f.cell: f for f in result.findings}
    assert set(found) == {CHILD, ADULT}  # the adults follow from the total
    child = found[CHILD]
    assert child.feasible == (3, 3) and child.shown == PRIMARY_TEXT
    message = child.message
    assert "Montenegro, 2021, victims detected, child (published <5)" in message
    assert "re-derived as 3" in message and "at least 3 possible values" in message
    assert "share '50%'" in message and "report, Montenegro › recommendation REC-1" in message
    with pytest.raises(DisclosureAuditError, match="Montenegro, 2021, victims detected"):
        raise DisclosureAuditError(result, "the report")


def test_an_audit_repeated_gives_the_same_verdict_without_solving_what_held(monkeypatch):
    """The audit remembers, in the process, the components it found to hold (`audit._PASSED`):
    a second audit of the same tables and claims solves none of them again and says the same;
    a component with a finding is worked out again, its explanation with it."""
    from wbtip_pipeline.presentation import audit as audit_module

    def audited(share: str):
        claims = Claims()
        with claims.at("report, Montenegro"):
            claims.share([CHILD], [TOTAL], share)
        return audit_disclosure(_six_victims(), claims)

    first, failing = audited("0–67%"), audited("50%")
    built = []
    real = audit_module._ComponentLP

    def counted(*args):
        built.append(args[0])
        return real(*args)

    monkeypatch.setattr(audit_module, "_ComponentLP", counted)
    again = audited("0–67%")
    assert first.passed and again.passed and built == []
    assert again.lps_solved == first.lps_solved > 0 and again.inconsistent == first.inconsistent
    failing_again = audited("50%")
    assert len(built) == 1 and failing_again.messages() == failing.messages()
    assert not failing_again.passed


def test_the_audits_verdicts_outlive_the_process_in_the_documents_cache(tmp_path, monkeypatch):
    """Inside `cache.kept_in`, what held is kept on disk too: a later refresh (a new process,
    nothing in memory) builds no LP for it; outside any cache folder every component is solved.
    An entry found in memory is still written and kept by the prune."""
    from wbtip_pipeline.presentation import audit as audit_module
    from wbtip_pipeline.presentation import cache

    def audited():
        claims = Claims()
        with claims.at("report, Montenegro"):
            claims.share([CHILD], [TOTAL], "0–67%")
        return audit_disclosure(_six_victims(), claims)

    monkeypatch.setattr(audit_module._PASSED, "_memory", {})
    with cache.kept_in(tmp_path):
        first = audited()
    kept = sorted(tmp_path.glob("audit-*.pkl"))
    assert first.passed and len(kept) == first.components > 0
    built = []
    real = audit_module._ComponentLP
    monkeypatch.setattr(audit_module, "_ComponentLP", lambda *a: built.append(a) or real(*a))
    monkeypatch.setattr(audit_module._PASSED, "_memory", {})  # a new process
    with cache.kept_in(tmp_path):
        again = audited()
    assert built == [] and again.passed and again.lps_solved == first.lps_solved
    with cache.kept_in(tmp_path / "other"):  # found in memory: written to this folder as well
        audited()
    assert built == [] and len(list((tmp_path / "other").glob("audit-*.pkl"))) == len(kept)
    monkeypatch.setattr(audit_module._PASSED, "_memory", {})
    with cache.kept_in(None):
        audited()  # no folder (not even the session's), nothing in memory
    assert len(built) == first.components


def test_the_same_share_printed_as_the_published_cells_allow_passes():
    d = _six_victims()
    figures = TrendFigures(d, load_region())
    share = figures.share("MNE", 2021, "victims_detected", "child")
    assert share.num == (CHILD,) and share.den == (TOTAL,)
    claims = Claims()
    assert figures.published_text(share, claims) == "0–67%"  # <5 of 6: a range
    assert audit_disclosure(d, claims).passed and len(claims) == 1


def test_a_quoted_share_is_rewritten_to_a_range_or_withheld():
    d = _six_victims()
    figures = TrendFigures(d, load_region())
    evidence = json.dumps(
        [
            {
                "table": "trends",
                "keys": {"jurisdiction": "MNE", "year": 2021, "indicator": "victims_detected"},
                "values": {"child_share_low": 0.5, "child_share_high": 0.5},
            }
        ]
    )
    claims = Claims()
    text = figures.published_quotes(
        "Children were 50% of the 6 victims (95% of the years).", evidence, claims
    )
    assert text == "Children were 0–67% of the 6 victims (95% of the years)."
    assert [c.text for c, _ in claims.items()] == ["0–67%"]
    assert audit_disclosure(d, claims).passed
    # a share of a withheld cell is withheld too
    d.withheld.add(CHILD)
    assert figures.published_quotes("Children were 50%.", evidence, None) == (
        f"Children were {SECONDARY_TEXT}."
    )


def _two_by_two() -> Disclosure:
    """Serbia 2017, persons in formal contact, as the group-by-group rule leaves it: 24 adults
    (6 women, 18 men), 6 women and 18 men in all, no girl and no boy. The girls (<5) make the
    women adults withheld, and these the men adults: every group then has two suppressed
    cells, yet the adults, the women and the men together give them all away."""
    d = Disclosure()
    cells = {
        "adults": (24, 24),
        "women": (6, 6),
        "men": (18, 18),
        "women adults": (6, 6),
        "men adults": (18, 18),
        "girls": (0, 0),
        "boys": (0, 0),
    }
    for key, bounds in cells.items():
        d.add_cell(key, *bounds, label=key)
    d.add_group("adults by sex", "adults", ["women adults", "men adults"])
    d.add_group("women by age", "women", ["women adults", "girls"])
    d.add_group("men by age", "men", ["men adults", "boys"])
    d.resolve()
    assert d.withheld == {"women adults", "men adults"}
    return d


def test_a_withheld_cell_recovered_through_overlapping_groups_is_found():
    d = _two_by_two()
    result = audit_disclosure(d)
    found = {f.cell: f.feasible for f in result.findings}
    assert found == {
        "women adults": (6, 6),
        "men adults": (18, 18),
        "girls": (0, 0),
        "boys": (0, 0),
    }
    message = next(f.message for f in result.findings if f.cell == "women adults")
    assert "women adults (published [c]) can be re-derived as 6" in message
    assert "the tables' totals" in message and "adults by sex" in message


def test_protect_withholds_until_the_audit_passes_and_logs_why():
    d = _two_by_two()
    added = protect(d)
    assert added and all(w.cell in d.withheld for w in added)
    assert all("tables together" in w.reason for w in added)
    assert added[0] in d.log
    assert audit_disclosure(d).passed


def test_harmonised_disclosure_holds_against_the_audit():
    # the same pattern in the harmonised table: the protection is part of the decisions
    rows = [
        row("SRB", 2017, 24, age="adult"),
        row("SRB", 2017, 24),
        row("SRB", 2017, 6, sex="female"),
        row("SRB", 2017, 18, sex="male"),
        row("SRB", 2017, 6, sex="female", age="adult"),
        row("SRB", 2017, 18, sex="male", age="adult"),
        row("SRB", 2017, 0, sex="female", age="child"),
        row("SRB", 2017, 0, sex="male", age="child"),
    ]
    d = harmonised_disclosure(harmonised(rows), names=NAMES)
    assert audit_disclosure(d).passed
    assert any("tables together" in w.reason for w in d.log)


def _pattern(code: str, adults: int, women: int) -> list[dict]:
    """The adults by sex with no children: withholding the women alone does not hide them."""
    men = adults - women
    return [
        row(code, 2017, adults, age="adult"),
        row(code, 2017, adults),
        row(code, 2017, women, sex="female"),
        row(code, 2017, men, sex="male"),
        row(code, 2017, women, sex="female", age="adult"),
        row(code, 2017, men, sex="male", age="adult"),
        row(code, 2017, 0, sex="female", age="child"),
        row(code, 2017, 0, sex="male", age="child"),
    ]


def test_secondary_suppression_is_worked_out_again_only_where_the_figures_changed(monkeypatch):
    """`protect` keeps its decisions per connected set of cells: when one jurisdiction's figures
    change, only its sets are solved again, and the decisions are those of a table worked out
    from nothing."""
    from wbtip_pipeline.presentation import cache, suppression

    built = []
    real = suppression._ComponentLP
    monkeypatch.setattr(suppression, "_ComponentLP", lambda *a: built.append(a[0]) or real(*a))

    def decided(rows):
        d = harmonised_disclosure(harmonised(rows), names=NAMES)
        return sorted(d.withheld), [(w.cell, w.because_of, w.reason) for w in d.log]

    def forget():
        for memo in (suppression._PROTECTED, suppression._PART):
            monkeypatch.setattr(memo, "_memory", {})

    with cache.kept_in(None):  # in memory only: not the session's folder
        forget()
        decided(_pattern("SRB", 24, 6) + _pattern("ALB", 30, 4))
        assert {c[0] for cells in built for c in cells} == {"SRB", "ALB"}
        built.clear()
        changed = _pattern("SRB", 24, 6) + _pattern("ALB", 31, 3)
        again = decided(changed)
        assert built and {c[0] for cells in built for c in cells} == {"ALB"}
        forget()
        assert again == decided(changed) and again[0]


def test_a_share_of_published_bounds_records_itself():
    claims = Claims()
    part = CellBounds((0, 4), [CHILD], claims)
    whole = CellBounds((6, 6), [TOTAL], claims)
    assert share_range_text(published_share(part, whole)) == "0–67%"
    [(claim, _)] = claims.items()
    assert (claim.kind, claim.num, claim.den, claim.text) == ("share", (CHILD,), (TOTAL,), "0–67%")
    assert (claim.low, claim.high) == pytest.approx((0.0, 0.675))
    # plain bounds (no cells) record nothing, and print the same
    assert share_range_text(published_share((0, 4), (6, 6))) == "0–67%" and len(claims) == 1
    # pickled as plain bounds: a chart cached by its numbers is found again
    copy = pickle.loads(pickle.dumps(part))
    assert copy == (0, 4) and type(copy) is tuple


# --- the bundled data ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled():
    tables = build_tables()
    doc, facts, _ = build_report(tables, PROVENANCE)
    return tables, doc, facts


def test_the_bundled_report_passes_the_audit(bundled):
    _, _, f = bundled
    result = audit_disclosure(f.dc, f.claims)
    assert result.passed, result.messages()[:3]
    assert result.cells_audited > 1000 and result.claims > 20 and result.lps_solved > 0
    places = [w for _, where in f.claims.items() for w in where]
    assert any(w.startswith("report, ") for w in places)
    assert any("recommendation REC-" in w for w in places)
    assert any(c.kind == "ratio" for c, _ in f.claims.items())  # attrition quoted in a text


def test_the_bundled_pack_passes_the_audit(bundled):
    tables, _, _ = bundled
    result = audit_pack(PackFacts(tables))
    assert result.passed, result.messages()[:3]


def test_shares_from_the_counts_behind_the_cells_would_re_derive_one(bundled):
    """The trends table's shares come from the counts behind the cells. Printed as they are,
    Montenegro 2021's children (5 of 5 victims, withheld) would be given away by "100%"."""
    tables, _, _ = bundled
    f = Facts(tables, PROVENANCE)
    raw = Claims()
    figures = f.trend_figures
    with raw.at("trends as computed"):
        for r in f.trends[f.trends["jurisdiction"].isin(f.codes)].itertuples(index=False):
            share = figures.share(r.jurisdiction, r.year, r.indicator, "child")
            bounds = share and figures.bounds(share, published=False)
            if bounds:
                raw.share(share.num, share.den, pct_text(bounds))
    result = audit_disclosure(f.dc, raw)
    labels = {x.label for x in result.findings}
    assert "Montenegro, 2021, victims detected, children (0-17)" in labels
    assert "trends as computed" in result.messages()[0]


def test_the_report_asset_check_blocks_and_names_the_cell(monkeypatch, tmp_path):
    from wbtip_pipeline.assets import reporting
    from wbtip_pipeline.report import render
    from wbtip_pipeline.resources import PipelinePaths

    finding = AuditFinding(
        CHILD, "Montenegro, 2021, victims detected, child", SECONDARY_TEXT, (5, 5),
        "at least 3 possible values", ("share '100%' [report, Montenegro]",),
    )  # fmt: skip
    result = AuditResult(findings=[finding], cells_audited=1)

    def refuse(*args, **kwargs):
        raise DisclosureAuditError(result, "the report")

    monkeypatch.setattr(render, "render_report", refuse)
    paths = PipelinePaths(sources_dir="s", reference_dir="r", output_dir=str(tmp_path))
    events = []
    with dg.build_asset_context() as context, pytest.raises(dg.Failure, match="nothing was"):
        for event in reporting.final_report(context, paths=paths):
            events.append(event)
    [check] = events
    assert check.check_name == reporting.REPORT_AUDIT and not check.passed
    assert check.severity == dg.AssetCheckSeverity.ERROR
    assert "Montenegro, 2021, victims detected, child" in check.metadata["messages"].value
    assert not any(tmp_path.iterdir())  # nothing written
    spec = next(iter(reporting.final_report.check_specs))
    assert spec.blocking and spec.name == reporting.REPORT_AUDIT


# --- the Kosovo footnote on published CSVs ------------------------------------------------


def test_published_csvs_carry_the_kosovo_footnote(tmp_path):
    warehouse = Warehouse(f"sqlite:///{tmp_path / 'w.sqlite'}", tables_dir=tmp_path / "tables")
    frame = pd.DataFrame(
        {
            "jurisdiction": ["ALB", "XKX", "WB6"],
            "jurisdictions_reporting": ["ALB", "XKX", "ALB,XKX"],
            "value": [1, 2, 3],
        }
    )
    warehouse.publish("t", frame, keys=["jurisdiction"])
    csv = pd.read_csv(tmp_path / "tables" / "t.csv", keep_default_na=False)
    assert list(csv.columns) == [*frame.columns, FOOTNOTE_COLUMN]
    assert csv[FOOTNOTE_COLUMN].tolist()[0] == ""
    assert all(n.startswith("* Kosovo: This designation is without prejudice") for n in
               csv[FOOTNOTE_COLUMN].tolist()[1:])  # fmt: skip
    pd.testing.assert_frame_equal(warehouse.read("t"), frame)  # the database as validated
    # a table naming no such member is written as it is; a name in a text counts too
    plain = pd.DataFrame({"jurisdiction": ["ALB"], "value": [1]})
    assert with_footnotes(plain) is plain
    text = pd.DataFrame({"text": ["Victims detected in Kosovo* fell."]})
    assert with_footnotes(text)[FOOTNOTE_COLUMN].iloc[0].startswith("* Kosovo:")
    warehouse.dispose()
