"""Trends: counts, rates, shares and attrition per jurisdiction (and the region) x year x
indicator, and the direction of each series over its most recent reported years.

Rules, stated once here and again in the column descriptions of `schemas/analytics.py`:

- A count is an interval [value_low, value_high]; `<5` is 0..4; an absent row is "not reported".
- Region rows (code: `region.code`, the short name of region.yaml, `WB6` for the bundled
  configs) add the bounds of the jurisdictions that reported that indicator in that year (the
  region's members, one per jurisdiction config, and any other jurisdiction in the data) and
  name them in `jurisdictions_reporting`. A jurisdiction that did not report is not
  counted as zero: the region figure is a sum over those jurisdictions, not a regional total.
- Rates per 100,000 use the population of the same year (for the region, of the jurisdictions
  reporting); no population figure, no rate.
- A ratio of two intervals is [low_num / high_den, high_num / low_den], left empty when low_den is
  0 (the ratio would be unbounded). Shares are clipped to [0, 1]; attrition ratios are not (a
  year's convictions can outnumber its prosecutions: they are different cohorts). A breakdown
  whose parts add up to more than its total (`consistency.exceeding_breakdowns`, flagged
  `breakdown_exceeds_total`) gives no share, and the region's pooled share leaves it out.
- Year-on-year change: its bounds whenever both calendar years are reported; the point value only
  when both counts are exact, since an interval (`<5` then 3) makes the change unknowable.
- 3-year rolling mean: over three consecutive calendar years, all reported; its bounds are the
  means of the bounds.
- For the region, a change or a rolling mean needs the same jurisdictions reporting in every year
  it uses; otherwise it would measure who reported, not what happened.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from wbtip_pipeline.region import Region, load_region
from wbtip_pipeline.transforms.consistency import exceeding_breakdowns
from wbtip_pipeline.vocab import (
    ATTRITION,
    FORMS,
    INDICATORS,
    MAX_CI_WIDTH,
    MAX_SUPPRESSED_YEARS,
    MIN_EXACT_YEARS,
    RECENT_YEARS,
    SHARES,
    SPECIAL_COUNTRY_CODES,
    STABLE_BAND,
)

TOTAL = "total"
_TOL = 1e-12  # float rounding at the ends of the stable band
KEY = ["jurisdiction", "year", "indicator"]
PER = 100_000

# SHARES, ATTRITION ((measure, numerator, denominator): the ratio sits on the numerator's row)
# are contract parameters of the trends table: `vocab.py`.
RATIO_MEASURES = [f"{s}_share" for s in SHARES] + [name for name, _, _ in ATTRITION]

# trend_summary: the method's thresholds (RECENT_YEARS, MIN_EXACT_YEARS, MAX_SUPPRESSED_YEARS,
# MAX_CI_WIDTH, STABLE_BAND) are contract parameters of the table: `vocab.py`.


def population_by_year(population: pd.DataFrame) -> pd.DataFrame:
    """jurisdiction, year, population, from the World Bank file as read (`Country Code`, `Year`,
    `Value`) or a frame that already has those three columns."""
    if {"Country Code", "Year", "Value"} <= set(population.columns):
        population = population.rename(
            columns={"Country Code": "jurisdiction", "Year": "year", "Value": "population"}
        )
    out = population[["jurisdiction", "year", "population"]].dropna()
    out = out.astype({"year": "int64", "population": "float64"})
    return out.drop_duplicates(["jurisdiction", "year"], keep="last").reset_index(drop=True)


def join_files(files: pd.Series) -> str:
    """The distinct file names of `"; "`-joined texts, sorted and joined again."""
    names = {name for text in files.dropna() for name in str(text).split("; ") if name}
    return "; ".join(sorted(names))


def _is_total(h: pd.DataFrame) -> pd.Series:
    return (
        (h["dimension"] == TOTAL)
        & (h["category"] == TOTAL)
        & (h["sex"] == TOTAL)
        & (h["age"] == TOTAL)
    )


def _jurisdiction_counts(harmonised: pd.DataFrame, region: Region) -> pd.DataFrame:
    rows = harmonised[_is_total(harmonised) & (harmonised["jurisdiction"] != region.code)]
    out = rows.groupby(KEY, as_index=False).agg(
        value_low=("value_low", "sum"),
        value_high=("value_high", "sum"),
        source_files=("source_files", join_files),
    )
    out["jurisdictions_reporting"] = out["jurisdiction"]
    out["n_jurisdictions_reporting"] = 1
    return out


def _region_counts(counts: pd.DataFrame, region: Region) -> pd.DataFrame:
    out = counts.groupby(["year", "indicator"], as_index=False).agg(
        value_low=("value_low", "sum"),
        value_high=("value_high", "sum"),
        source_files=("source_files", join_files),
        jurisdictions_reporting=("jurisdiction", lambda s: ",".join(sorted(s))),
        n_jurisdictions_reporting=("jurisdiction", "nunique"),
    )
    return out.assign(jurisdiction=region.code)


def _with_population(
    trends: pd.DataFrame, counts: pd.DataFrame, pop: pd.DataFrame, region_code: str
) -> pd.Series:
    own = trends[KEY].merge(pop, on=["jurisdiction", "year"], how="left")["population"]
    # The region's population is that of the jurisdictions reporting, and unknown if one lacks it.
    members = counts[KEY].merge(pop, on=["jurisdiction", "year"], how="left")
    region = members.groupby(["year", "indicator"])["population"].agg(
        lambda s: s.sum() if s.notna().all() else np.nan
    )
    is_region = (trends["jurisdiction"] == region_code).to_numpy()
    region_values = pd.MultiIndex.from_frame(trends.loc[is_region, ["year", "indicator"]])
    values = own.to_numpy(dtype="float64", copy=True)
    values[is_region] = region.reindex(region_values).to_numpy(dtype="float64")
    return pd.Series(values, index=trends.index)


def _share_numerators(h: pd.DataFrame, region: Region) -> pd.DataFrame:
    """Numerators of the shares: measure, jurisdiction, year, indicator, num_low, num_high."""
    h = h[h["jurisdiction"] != region.code]
    plain = (h["sex"] == TOTAL) & (h["age"] == TOTAL)
    total_dim = (h["dimension"] == TOTAL) & (h["category"] == TOTAL)
    citizenship = (h["dimension"] == "citizenship") & plain
    not_foreign = [*SPECIAL_COUNTRY_CODES, *region.former_codes]
    masks = {
        "female": total_dim & (h["sex"] == "female") & (h["age"] == TOTAL),
        "child": total_dim & (h["sex"] == TOTAL) & (h["age"] == "child"),
        **{
            form: (h["dimension"] == "exploitation") & (h["category"] == form) & plain
            for form in FORMS
        },
        "nationals": citizenship & (h["category"] == h["jurisdiction"]),
        "foreign": citizenship
        & (h["category"] != h["jurisdiction"])
        & ~h["category"].isin(not_foreign),
    }
    # a breakdown adding up to more than its total is never used for shares
    exceeding = exceeding_breakdowns(h)
    breakdown_of = {"female": "sex", "child": "age", "nationals": "citizenship"}
    breakdown_of |= {"foreign": "citizenship", **dict.fromkeys(FORMS, "exploitation")}
    parts = []
    for name, mask in masks.items():
        part = (
            h[mask]
            .groupby(KEY, as_index=False)
            .agg(num_low=("value_low", "sum"), num_high=("value_high", "sum"))
        )
        if exceeding and len(part):
            keys = zip(part["jurisdiction"], part["year"], part["indicator"], strict=True)
            bad = [(j, int(y), i, breakdown_of[name]) in exceeding for j, y, i in keys]
            part = part[~pd.Series(bad, index=part.index, dtype=bool)]
        parts.append(part.assign(measure=f"{name}_share", den_indicator=part["indicator"]))
    return pd.concat(parts, ignore_index=True)


def _attrition_numerators(counts: pd.DataFrame) -> pd.DataFrame:
    parts = []
    for measure, numerator, denominator in ATTRITION:
        part = counts.loc[counts["indicator"] == numerator, KEY + ["value_low", "value_high"]]
        part = part.rename(columns={"value_low": "num_low", "value_high": "num_high"})
        parts.append(part.assign(measure=measure, den_indicator=denominator))
    return pd.concat(parts, ignore_index=True)


def ratio_bounds(
    num_low: pd.Series, num_high: pd.Series, den_low: pd.Series, den_high: pd.Series, clip: bool
) -> tuple[pd.Series, pd.Series]:
    """[num_low / den_high, num_high / den_low]; NaN where den_low is 0; clipped to 1 for shares."""
    defined = den_low > 0
    low = (num_low / den_high).where(defined)
    high = (num_high / den_low).where(defined)
    if clip:
        low, high = low.clip(upper=1.0), high.clip(upper=1.0)
    return low.astype("float64"), high.astype("float64")


def _ratios(numerators: pd.DataFrame, counts: pd.DataFrame, region_code: str) -> pd.DataFrame:
    """Wide ratio columns `<measure>_low/_high` per jurisdiction (and region) x year x indicator."""
    den = counts[KEY + ["value_low", "value_high"]].rename(
        columns={"indicator": "den_indicator", "value_low": "den_low", "value_high": "den_high"}
    )
    paired = numerators.merge(den, on=["jurisdiction", "year", "den_indicator"], how="inner")
    # The region pools the jurisdictions that reported both the numerator and its denominator.
    region = paired.groupby(["year", "indicator", "measure"], as_index=False)[
        ["num_low", "num_high", "den_low", "den_high"]
    ].sum()
    both = pd.concat([paired, region.assign(jurisdiction=region_code)], ignore_index=True)
    parts = []
    for measure, rows in both.groupby("measure"):
        low, high = ratio_bounds(
            rows["num_low"],
            rows["num_high"],
            rows["den_low"],
            rows["den_high"],
            clip=str(measure).endswith("_share"),
        )
        parts.append(rows[KEY].assign(**{f"{measure}_low": low, f"{measure}_high": high}))
    columns = KEY + [f"{m}_{b}" for m in RATIO_MEASURES for b in ("low", "high")]
    if not parts:
        empty = pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
        return empty.astype({"jurisdiction": object, "year": "int64", "indicator": object})
    wide = parts[0]
    for part in parts[1:]:
        wide = wide.merge(part, on=KEY, how="outer")
    return wide.reindex(columns=columns)


def _shifted(trends: pd.DataFrame, years_back: int, prefix: str) -> pd.DataFrame:
    cols = ["value_low", "value_high", "jurisdictions_reporting"]
    earlier = trends[KEY + cols].assign(year=trends["year"] + years_back)
    return earlier.rename(columns={c: f"{prefix}{c}" for c in cols})


def _add_changes(trends: pd.DataFrame) -> pd.DataFrame:
    out = trends.merge(_shifted(trends, 1, "p1_"), on=KEY, how="left")
    out = out.merge(_shifted(trends, 2, "p2_"), on=KEY, how="left")
    exact = out["value_exact"]
    p1_exact = out["p1_value_low"] == out["p1_value_high"]
    p2_exact = out["p2_value_low"] == out["p2_value_high"]
    same1 = out["p1_jurisdictions_reporting"] == out["jurisdictions_reporting"]
    same2 = same1 & (out["p2_jurisdictions_reporting"] == out["jurisdictions_reporting"])

    has_prev = out["p1_value_low"].notna() & same1
    out["yoy_change_low"] = (out["value_low"] - out["p1_value_high"]).where(has_prev)
    out["yoy_change_high"] = (out["value_high"] - out["p1_value_low"]).where(has_prev)
    both_exact = has_prev & exact & p1_exact
    out["yoy_change"] = (out["value_low"] - out["p1_value_low"]).where(both_exact)
    out["yoy_change_pct"] = (out["yoy_change"] / out["p1_value_low"] * 100).where(
        both_exact & (out["p1_value_low"] > 0)
    )

    has_three = has_prev & out["p2_value_low"].notna() & same2
    mean_low = (out["value_low"] + out["p1_value_low"] + out["p2_value_low"]) / 3
    mean_high = (out["value_high"] + out["p1_value_high"] + out["p2_value_high"]) / 3
    out["rolling_mean_3y_low"] = mean_low.where(has_three)
    out["rolling_mean_3y_high"] = mean_high.where(has_three)
    out["rolling_mean_exact"] = (exact & p1_exact & p2_exact).astype("boolean").where(has_three)
    return out.drop(columns=[c for c in out.columns if c.startswith(("p1_", "p2_"))])


def _notes(trends: pd.DataFrame, members: list[str], region_code: str) -> pd.Series:
    def note(row) -> str | None:
        parts = []
        if pd.isna(row["population"]):
            parts.append("no population figure for this year: no rate")
        if row["jurisdiction"] == region_code:
            missing = [j for j in members if j not in row["jurisdictions_reporting"].split(",")]
            if missing:
                parts.append(
                    f"sum over {row['n_jurisdictions_reporting']} of {len(members)} jurisdictions; "
                    f"not reported by {','.join(missing)} (a partial sum, not a regional total)"
                )
        return "; ".join(parts) or None

    return trends.apply(note, axis=1).astype(object) if len(trends) else pd.Series(dtype=object)


TRENDS_COLUMNS = [
    *KEY,
    "jurisdictions_reporting",
    "n_jurisdictions_reporting",
    "value_low",
    "value_high",
    "value_exact",
    "population",
    "rate_per_100k_low",
    "rate_per_100k_high",
    "yoy_change_low",
    "yoy_change_high",
    "yoy_change",
    "yoy_change_pct",
    "rolling_mean_3y_low",
    "rolling_mean_3y_high",
    "rolling_mean_exact",
    *[f"{m}_{b}" for m in RATIO_MEASURES for b in ("low", "high")],
    "source_files",
    "note",
]


def compute_trends(
    harmonised: pd.DataFrame, population: pd.DataFrame, region: Region | None = None
) -> pd.DataFrame:
    """One row per jurisdiction (and the region, `region.code`) x year x indicator reported:
    count and rate bounds, year-on-year change, 3-year rolling mean, shares and attrition
    (rules: module docstring).

    `population`: the World Bank file as read, or jurisdiction, year, population.
    `region`: its members and the code of its rows (default: `load_region()`).
    """
    region = load_region() if region is None else region
    counts = _jurisdiction_counts(harmonised, region)
    trends = pd.concat([counts, _region_counts(counts, region)], ignore_index=True)
    trends["value_exact"] = trends["value_low"] == trends["value_high"]

    pop = population_by_year(population)
    trends["population"] = _with_population(trends, counts, pop, region.code)
    trends["rate_per_100k_low"] = trends["value_low"] / trends["population"] * PER
    trends["rate_per_100k_high"] = trends["value_high"] / trends["population"] * PER

    trends = _add_changes(trends)
    numerators = pd.concat(
        [_share_numerators(harmonised, region), _attrition_numerators(counts)], ignore_index=True
    )
    trends = trends.merge(_ratios(numerators, counts, region.code), on=KEY, how="left")

    members = sorted(set(region.codes) | set(counts["jurisdiction"]))
    trends["note"] = _notes(trends, members, region.code)
    trends = trends.sort_values(
        ["jurisdiction", "indicator", "year"],
        key=lambda s: s.map(region.order) if s.name == "jurisdiction" else s,
        kind="stable",
    )
    return _typed_trends(trends.reindex(columns=TRENDS_COLUMNS).reset_index(drop=True))


def _typed_trends(trends: pd.DataFrame) -> pd.DataFrame:
    ints = ["year", "n_jurisdictions_reporting", "value_low", "value_high"]
    floats = [c for c in TRENDS_COLUMNS if c not in ints and c.endswith(("_low", "_high"))]
    floats += [
        "population",
        "rate_per_100k_low",
        "rate_per_100k_high",
        "yoy_change",
        "yoy_change_pct",
    ]
    trends = trends.astype({c: "int64" for c in ints} | {c: "float64" for c in floats})
    trends["value_exact"] = trends["value_exact"].astype(bool)
    trends["rolling_mean_exact"] = trends["rolling_mean_exact"].astype("boolean")
    for col in ("jurisdiction", "indicator", "jurisdictions_reporting", "source_files", "note"):
        trends[col] = trends[col].astype(object)
    return trends


# --- trend_summary ---------------------------------------------------------------------------

METHOD = (
    "quasi-Poisson regression (log link) of the exact counts on year{offset}, over the {n} most "
    "recent reported years; needs {k} exact years, at most {s} suppressed and no missing year "
    "inside the window; 95% interval from t with n-2 degrees of freedom and dispersion "
    "max(1, Pearson chi2/(n-2)); rising or falling when the interval excludes 0, stable when the "
    "whole interval of the yearly change lies within ±{b:.0%} a year, no_clear_trend when it "
    "contains 0 but reaches beyond that, insufficient_data when its width exceeds {w}"
)


def _method(with_offset: bool) -> str:
    offset = (
        " with log(population) as offset, so the slope is that of the rate" if with_offset else ""
    )
    return METHOD.format(
        offset=offset,
        n=RECENT_YEARS,
        k=MIN_EXACT_YEARS,
        s=MAX_SUPPRESSED_YEARS,
        w=MAX_CI_WIDTH,
        b=STABLE_BAND,
    )


def annual_change_pct(slope: float) -> float:
    """A slope of the log count (or log rate) as a yearly percentage change."""
    return float((np.exp(slope) - 1) * 100)


def trend_direction(ci_low: float, ci_high: float) -> str:
    """The verdict on a 95% interval [ci_low, ci_high] of the slope (log units): rising or
    falling when it excludes 0; stable only when the whole interval of the yearly change lies
    within ±STABLE_BAND; otherwise no_clear_trend (a wide interval around 0 is not stability)."""
    if ci_low > 0:
        return "rising"
    if ci_high < 0:
        return "falling"
    # exp(slope) - 1 within +-STABLE_BAND, in log units (as the schema checks it)
    within = ci_low >= np.log(1 - STABLE_BAND) - _TOL and ci_high <= np.log(1 + STABLE_BAND) + _TOL
    return "stable" if within else "no_clear_trend"


def poisson_slope(
    years: np.ndarray, counts: np.ndarray, offset: np.ndarray | None = None
) -> tuple[float, float, float] | None:
    """(slope, standard error, dispersion) of a Poisson GLM count ~ year (log link, `offset` if
    given), fitted by statsmodels' GLM.

    None with fewer than 3 points, no count above 0, or when the fit does not converge, e.g. when
    all counts but the last are 0 (the likelihood then grows without bound as the slope does: an
    iterate beyond 10 log units a year counts as diverging). The standard error is the Poisson
    one; the dispersion is the quasi-Poisson scale, Pearson chi2 / (n - 2), and the caller scales
    the standard error by sqrt(max(1, dispersion)).
    """
    x = np.asarray(years, dtype=float)
    y = np.asarray(counts, dtype=float)
    off = None if offset is None else np.asarray(offset, dtype=float)
    if len(x) < 3 or y.sum() <= 0:
        return None
    # about 0.7 s to import: only when a trend is fitted
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM
    from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

    design = np.column_stack([np.ones_like(x), x - x.mean()])
    # start from a flat series at the mean count, and stop when no coefficient moves by 1e-10
    start = np.array([np.log(y.mean()) - (0.0 if off is None else off.mean()), 0.0])
    model = GLM(y, design, family=families.Poisson(families.links.Log()), offset=off)
    with warnings.catch_warnings():
        # a series the line fits exactly (constant or doubling counts) is no failure
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        # scale stays 1 while fitting: scale="X2" fails (deviance 0/0) on a series fitted exactly
        fit = model.fit(start_params=start, maxiter=100, tol=1e-10, tol_criterion="params")
    slopes = np.array([params[1] for params in fit.fit_history["params"][1:]])
    if not fit.converged or np.any(np.abs(slopes) > 10):  # diverging: counts in an end year
        return None
    dispersion = float(fit.pearson_chi2 / fit.df_resid)
    return float(fit.params[1]), float(fit.bse[1]), dispersion


def _summarise(key: tuple[str, str], rows: pd.DataFrame) -> dict:
    jurisdiction, indicator = key
    window = rows.sort_values("year").tail(RECENT_YEARS)
    years = window["year"].tolist()
    exact = window["value_low"] == window["value_high"]
    fit_rows = window[exact]
    with_offset = bool(len(fit_rows)) and fit_rows["population"].notna().all()
    out = {
        "jurisdiction": jurisdiction,
        "indicator": indicator,
        "direction": "insufficient_data",
        "slope_per_year": np.nan,
        "slope_ci_low": np.nan,
        "slope_ci_high": np.nan,
        "annual_change_pct": np.nan,
        "annual_change_ci_low_pct": np.nan,
        "annual_change_ci_high_pct": np.nan,
        "first_year": int(years[0]),
        "last_year": int(years[-1]),
        "years_window": ",".join(map(str, years)),
        "years_used": ",".join(map(str, fit_rows["year"])),
        "n_exact_years": int(exact.sum()),
        "n_suppressed_years": int((~exact).sum()),
        "reason": None,
        "method": _method(with_offset),
    }
    missing = sorted(set(range(years[0], years[-1] + 1)) - set(years))
    reasons = []
    if missing:
        reasons.append(f"years missing inside the window: {','.join(map(str, missing))}")
    if (~exact).sum() > MAX_SUPPRESSED_YEARS:
        reasons.append(f"{int((~exact).sum())} years given only as an interval (e.g. <5)")
    if exact.sum() < MIN_EXACT_YEARS:
        reasons.append(f"only {int(exact.sum())} exact years (need {MIN_EXACT_YEARS})")
    if window["jurisdictions_reporting"].nunique() > 1:
        reasons.append("the jurisdictions reporting change inside the window")
    if reasons:
        return out | {"reason": "; ".join(reasons)}

    offset = np.log(fit_rows["population"].to_numpy(float)) if with_offset else None
    fit = poisson_slope(fit_rows["year"].to_numpy(), fit_rows["value_low"].to_numpy(), offset)
    if fit is None:
        return out | {"reason": "the regression has no finite slope (too few non-zero counts)"}
    slope, se, dispersion = fit
    df = len(fit_rows) - 2
    from scipy import stats  # 0.5 s to import: only when a trend is fitted

    half = stats.t.ppf(0.975, df) * se * np.sqrt(max(1.0, dispersion))
    low, high = slope - half, slope + half
    out |= {
        "slope_per_year": slope,
        "slope_ci_low": low,
        "slope_ci_high": high,
        "annual_change_pct": annual_change_pct(slope),
        "annual_change_ci_low_pct": annual_change_pct(low),
        "annual_change_ci_high_pct": annual_change_pct(high),
    }
    if high - low > MAX_CI_WIDTH:
        return out | {
            "reason": (
                "the 95% interval of the yearly change is too wide to say anything "
                f"({_pct_text(annual_change_pct(low))} to {_pct_text(annual_change_pct(high))} "
                "a year)"
            )
        }
    return out | {"direction": trend_direction(low, high)}


def _pct_text(value: float) -> str:
    """A yearly change in words: "−58%", "+1,070%" (a true minus sign)."""
    return f"{value:+,.0f}%".replace("-", "\u2212")


SUMMARY_COLUMNS = [
    "jurisdiction",
    "indicator",
    "direction",
    "slope_per_year",
    "slope_ci_low",
    "slope_ci_high",
    "annual_change_pct",
    "annual_change_ci_low_pct",
    "annual_change_ci_high_pct",
    "first_year",
    "last_year",
    "years_window",
    "years_used",
    "n_exact_years",
    "n_suppressed_years",
    "reason",
    "method",
]


def compute_trend_summary(trends: pd.DataFrame, region: Region | None = None) -> pd.DataFrame:
    """One row per jurisdiction (and the region) x indicator: the direction of the series over
    its `RECENT_YEARS` most recent reported years, by the method in `METHOD`. `region` orders
    the rows: its members, then its own row (default: `load_region()`).

    Gaps, more than one interval-valued year, too few exact years, a changing set of reporting
    jurisdictions (region) or a too-wide interval give `insufficient_data` with the reason; a
    verdict is `trend_direction`'s.
    """
    rows = [_summarise(key, group) for key, group in trends.groupby(["jurisdiction", "indicator"])]
    out = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    region = load_region() if region is None else region
    ind = {code: i for i, code in enumerate(INDICATORS)}
    out = out.sort_values(
        ["jurisdiction", "indicator"],
        key=lambda s: s.map(region.order) if s.name == "jurisdiction" else s.map(ind).fillna(99),
        kind="stable",
    ).reset_index(drop=True)
    out = out.astype(
        {
            c: "float64"
            for c in [
                "slope_per_year",
                "slope_ci_low",
                "slope_ci_high",
                "annual_change_pct",
                "annual_change_ci_low_pct",
                "annual_change_ci_high_pct",
            ]
        }
        | {c: "int64" for c in ["first_year", "last_year", "n_exact_years", "n_suppressed_years"]}
    )
    out["reason"] = out["reason"].astype(object)
    return out
