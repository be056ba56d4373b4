"""Triangulation with the US TIP figures: the reference file's schema check (a bad row fails,
naming its row), and the comparison table on small hand-made frames (a matching pair, potential
against official victims, a national `<5`, no national figure, suspects against persons, cases
left out and counted), then on the bundled data."""

from __future__ import annotations

import shutil

import dagster as dg
import pandas as pd
import pytest

from wbtip_pipeline.assets.reference import FIGURES_FILE, reference_checks, us_tip_figures
from wbtip_pipeline.resources import PipelinePaths
from wbtip_pipeline.schemas.reference import validate_tip_figures
from wbtip_pipeline.schemas.triangulation import source_triangulation_schema
from wbtip_pipeline.transforms.triangulation import (
    TRIANGULATION_COLUMNS,
    compute_source_triangulation,
    likely_reason,
    tip_qualifier,
    unmapped_tip_figures,
)
from wbtip_pipeline.validation import validate
from wbtip_pipeline.vocab import TIP_INDICATORS, TIP_TO_NATIONAL, TRIANGULATION_REASONS
from wbtip_pipeline_tests.test_transforms.frames import REFERENCE, harmonised, row

URL = "https://www.state.gov/reports/2020-trafficking-in-persons-report/"


def tip(
    jurisdiction: str,
    year: int,
    indicator: str,
    value: int,
    quote: str = "",
    report_year: int | None = None,
    qualifier: str | None = None,
) -> dict:
    return {
        "jurisdiction": jurisdiction,
        "report_year": report_year or year + 1,
        "reference_year": year,
        "indicator": indicator,
        "value": value,
        "qualifier": qualifier,
        "quote": quote or f"{value} {indicator.replace('_', ' ')}",
        "source_url": URL,
    }


def figures(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows)


def bundled_figures() -> pd.DataFrame:
    return pd.read_csv(
        REFERENCE / FIGURES_FILE,
        dtype={"qualifier": object, "quote": object, "source_url": object},
    )


# --- the reference file's schema ---------------------------------------------------------------


def test_bundled_figures_pass_their_schema():
    frame = bundled_figures()
    assert validate_tip_figures(frame) == []
    assert set(frame["indicator"]) <= set(TIP_INDICATORS)


@pytest.mark.parametrize(
    ("column", "value", "rule"),
    [
        ("value", -3, "value must be a whole number"),
        ("value", 2.5, "value must be a whole number"),
        ("indicator", "victims", "indicator must be one of"),
        ("jurisdiction", "Alb", "ISO 3166-1 alpha-3"),
        ("reference_year", 2031, "reference_year must not be after report_year"),
        ("report_year", 2200, "report_year must be a year"),
        ("quote", None, "the quote stating the figure is required"),
        ("source_url", "", "source_url must be the web page"),
        ("qualifier", "maybe", "qualifier must be empty or one of"),
    ],
)
def test_a_bad_row_fails_naming_the_row(column, value, rule):
    frame = bundled_figures()
    frame[column] = frame[column].astype(object)
    frame.loc[6, column] = value
    findings = validate_tip_figures(frame)
    assert len(findings) == 1, [f.message for f in findings]
    (finding,) = findings
    assert (finding.file, finding.row, finding.column) == (FIGURES_FILE, "row 8", column)
    assert rule in finding.rule
    assert f"row 8 of {FIGURES_FILE}" in finding.message


def test_a_figure_stated_twice_by_the_same_page_fails():
    frame = bundled_figures()
    frame = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
    rows = {f.row for f in validate_tip_figures(frame)}
    assert rows == {"row 2", f"row {len(frame) + 1}"}


def test_the_blocking_check_stops_a_bad_file(tmp_path):
    shutil.copytree(REFERENCE, tmp_path / "reference")
    path = tmp_path / "reference" / FIGURES_FILE
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[4] = lines[4].replace(",3,", ",-3,")  # ALB 2013 defendants prosecuted: 3
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    check = next(c for c in reference_checks if "us_tip_figures_schema" in str(c.check_keys))
    result = dg.materialize(
        [us_tip_figures, check],
        resources={
            "paths": PipelinePaths(
                sources_dir=str(tmp_path),
                reference_dir=str(tmp_path / "reference"),
                output_dir=str(tmp_path / "out"),
            )
        },
        raise_on_error=False,
    )
    (evaluation,) = result.get_asset_check_evaluations()
    assert not evaluation.passed
    message = evaluation.metadata["messages"].value
    assert message.startswith(f"value '-3' in column value, row 5 of {FIGURES_FILE}")


# --- the comparison ----------------------------------------------------------------------------


def test_a_matching_pair_agrees():
    h = harmonised([row("XKX", 2019, 26)])
    out = compute_source_triangulation(h, figures([tip("XKX", 2019, "victims_identified", 26)]))
    assert validate(out, source_triangulation_schema) == []
    r = out.iloc[0]
    assert (r.national_indicator, r.national_low, r.national_high, r.tip_value) == (
        "victims_detected",
        26,
        26,
        26,
    )
    assert (r.difference_low, r.difference_high, r.likely_reason) == (0, 0, "figures_agree")
    assert r.source_files == "xkx_2019.csv"


def test_potential_and_official_victims_are_set_beside_the_total_never_added():
    h = harmonised([row("ALB", 2018, 95)])
    f = figures(
        [
            tip("ALB", 2018, "potential_victims", 93, "93 potential and two official victims"),
            tip("ALB", 2018, "official_victims", 2, "93 potential and two official victims"),
            tip("ALB", 2018, "victims_identified", 90, "identified 90 potential victims"),
        ]
    )
    table = compute_source_triangulation(h, f)
    assert validate(table, source_triangulation_schema) == []
    out = table.set_index("tip_indicator")
    assert len(out) == 3  # one row per TIP figure, the national total beside each
    assert (out["national_low"] == 95).all()
    assert out.loc["potential_victims", "difference_low"] == -2
    assert out.loc["official_victims", "difference_high"] == -93
    assert set(out["likely_reason"]) == {"potential_vs_official"}
    # the qualifier comes from the indicator, or from the quote's words
    assert out.loc["official_victims", "tip_qualifier"] == "official"
    assert out.loc["victims_identified", "tip_qualifier"] == "potential"


def test_a_national_figure_given_as_suppressed_may_agree_or_not():
    h = harmonised(
        [
            row("MNE", 2017, "<5", "persons_convicted"),
            row("MNE", 2015, "<5"),
        ]
    )
    f = figures(
        [
            tip("MNE", 2017, "persons_convicted", 0, "no convictions"),
            tip("MNE", 2015, "potential_victims", 16, "16 potential victims in 2015"),
        ]
    )
    table = compute_source_triangulation(h, f)
    assert validate(table, source_triangulation_schema) == []
    out = table.set_index("year")
    convicted = out.loc[2017]
    assert (convicted.national_low, convicted.national_high) == (0, 4)
    assert (convicted.difference_low, convicted.difference_high) == (-4, 0)
    assert convicted.likely_reason == "national_suppressed"
    # 16 against 0..4 cannot agree: the next rule gives the reason
    victims = out.loc[2015]
    assert (victims.difference_low, victims.difference_high) == (12, 16)
    assert victims.likely_reason == "potential_vs_official"


def test_no_national_figure_suspects_and_other_years():
    h = harmonised(
        [
            row("ALB", 2013, 53, "persons_formal_contact"),
            row("ALB", 2021, 5, "persons_convicted"),
        ]
    )
    f = figures(
        [
            tip("ALB", 2013, "suspects_investigated", 24, report_year=2015),
            tip("ALB", 2014, "suspects_investigated", 39, report_year=2015),
            tip("ALB", 2021, "persons_convicted", 11, report_year=2023),
        ]
    )
    table = compute_source_triangulation(h, f)
    assert validate(table, source_triangulation_schema) == []
    out = table.set_index("year")
    assert out.loc[2013, "likely_reason"] == "counting_unit"
    assert out.loc[2013, "difference_low"] == -29
    missing = out.loc[2014]
    assert missing.likely_reason == "no_national_figure"
    assert pd.isna(missing.national_low) and pd.isna(missing.difference_low)
    assert out.loc[2021, "likely_reason"] == "reporting_period"


def test_cases_are_left_out_and_counted():
    h = harmonised([row("ALB", 2022, 12, "persons_prosecuted")])
    f = figures(
        [
            tip("ALB", 2022, "cases_prosecuted", 54, "prosecuted 54 cases with eight defendants"),
            tip("ALB", 2022, "cases_investigated", 85),
            tip("ALB", 2022, "defendants_prosecuted", 8),
        ]
    )
    out = compute_source_triangulation(h, f)
    assert list(out["tip_indicator"]) == ["defendants_prosecuted"]
    assert unmapped_tip_figures(f) == {"cases_investigated": 1, "cases_prosecuted": 1}


def test_no_figure_gives_an_empty_table_of_the_right_shape():
    h = harmonised([row("ALB", 2022, 12)])
    out = compute_source_triangulation(h, figures([tip("ALB", 2022, "cases_prosecuted", 5)]))
    assert out.empty and list(out.columns) == TRIANGULATION_COLUMNS
    assert validate(out, source_triangulation_schema) == []


def test_the_rules_in_their_order():
    assert likely_reason("victims_identified", None, (7, 7), None) == "no_national_figure"
    assert likely_reason("potential_victims", "potential", (7, 7), (7, 7)) == "figures_agree"
    assert likely_reason("potential_victims", "potential", (3, 3), (0, 4)) == "national_suppressed"
    assert likely_reason("victims_identified", "potential", (9, 9), (7, 7)) == (
        "potential_vs_official"
    )
    assert likely_reason("defendants_prosecuted", None, (9, 9), (7, 7)) == "counting_unit"
    assert likely_reason("victims_identified", None, (9, 9), (7, 7)) == "reporting_period"
    assert set(TRIANGULATION_REASONS) == {
        "no_national_figure",
        "figures_agree",
        "national_suppressed",
        "potential_vs_official",
        "counting_unit",
        "reporting_period",
    }


def test_qualifier_words():
    assert tip_qualifier("victims_identified", None, "95 official and potential victims") == (
        "potential_and_official"
    )
    assert tip_qualifier("victims_identified", None, "49 trafficking victims") is None
    assert tip_qualifier("victims_identified", "official", "82 potential victims") == "official"
    assert tip_qualifier("defendants_prosecuted", None, "potential") is None


def test_the_bundled_comparison():
    from wbtip_pipeline_tests.report.tables import build_tables

    tables = build_tables()
    out = tables["source_triangulation"]
    figs = tables["us_tip_figures"]
    assert validate(out, source_triangulation_schema) == []
    mapped = figs["indicator"].isin(list(TIP_TO_NATIONAL))
    assert len(out) == mapped.sum()
    assert sum(unmapped_tip_figures(figs).values()) == (~mapped).sum() > 0

    def one(code, year, indicator, edition):
        rows = out[
            (out["jurisdiction"] == code)
            & (out["year"] == year)
            & (out["tip_indicator"] == indicator)
            & (out["tip_report_year"] == edition)
        ]
        assert len(rows) == 1
        return rows.iloc[0]

    serbia = one("SRB", 2018, "potential_victims", 2019)
    assert (serbia.tip_value, serbia.national_low, serbia.difference_low) == (193, 32, 161)
    assert serbia.likely_reason == "potential_vs_official"
    assert one("XKX", 2019, "victims_identified", 2020).likely_reason == "figures_agree"
    albania = one("ALB", 2021, "official_victims", 2023)
    assert (albania.tip_value, albania.national_high, albania.difference_high) == (5, 159, -154)
