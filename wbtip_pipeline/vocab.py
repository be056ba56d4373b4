"""The vocabulary of the pipeline: every code list and contract parameter its tables use.

The bottom of the package: nothing here imports the pipeline. Schemas check against these lists;
sources and transforms produce their values from them; the presentation words them. The roster
(the region's members, their names, the code of the region's aggregate rows) is not vocabulary:
it comes from the jurisdiction configs (`region.py`).
"""

from __future__ import annotations

# --- the harmonised contract (HARMONISED.md) --------------------------------------------------

INDICATORS = (
    "victims_detected",
    "persons_formal_contact",
    "persons_prosecuted",
    "persons_convicted",
    "offences_recorded",
)
DIMENSIONS = ("total", "citizenship", "repatriation", "exploitation")
COUNTRY_DIMENSIONS = ("citizenship", "repatriation")
FORMS = ("sexual_exploitation", "forced_labour", "other_exploitation")
CATEGORIES = ("total", *FORMS)
SEXES = ("total", "female", "male", "other", "unknown")
AGES = ("total", "child", "adult", "unknown")
# citizenship/repatriation categories that are not a country: a foreign country not named, and
# a name no code could be found for
ABROAD, UNKNOWN = "ABROAD", "UNKNOWN"
SPECIAL_COUNTRY_CODES = (ABROAD, UNKNOWN)

# A member's (or a country's) code: ISO 3166-1 alpha-3 (XKX: Kosovo).
ISO3_PATTERN = r"[A-Z]{3}"
# The code of the region's aggregate rows is the region's short name (`short_name` of
# `sources/configs/region.yaml`, "WB{size}"). The schemas know it by its shape only: letters,
# then the number of members; never three letters, so it cannot be taken for a member's code.
REGION_CODE_PATTERN = r"[A-Z]+[0-9]+"

# Upper bound of a plausible yearly count for one jurisdiction: the largest published
# figure in the region is in the low hundreds; a value above this is a typing error.
PLAUSIBLE_MAX = 100_000
FIRST_YEAR = 2000

# `<5` is UNODC's disclosure control for counts 0..4.
SUPPRESSED_TEXT = "<5"
SUPPRESSED_LOW, SUPPRESSED_HIGH = 0, 4

# data_quality_issues.severity: an error blocks the jurisdiction, a warning is kept and flagged.
SEVERITIES = ("error", "warning")

# --- reference data -------------------------------------------------------------------------

TIERS = ("Tier 1", "Tier 2", "Tier 2 Watch List", "Tier 3", "Special Case")

# --- triangulation with the US TIP reports (us_tip_figures, source_triangulation) -------------

# us_tip_figures.indicator: what a figure the US TIP report states counts, in its own terms
TIP_INDICATORS = (
    "victims_identified",  # victims identified (some editions call them potential victims)
    "potential_victims",  # potential victims (Serbia: referred for official identification)
    "official_victims",  # officially identified or recognised victims
    "suspects_investigated",
    "cases_investigated",
    "defendants_prosecuted",
    "cases_prosecuted",
    "persons_convicted",
)
# The national indicator a TIP figure is set beside; never added to it. A TIP indicator not
# listed (cases: the national statistics count persons and offences, never cases) is left out of
# the comparison and counted.
TIP_TO_NATIONAL = {
    "victims_identified": "victims_detected",
    "potential_victims": "victims_detected",
    "official_victims": "victims_detected",
    "suspects_investigated": "persons_formal_contact",
    "defendants_prosecuted": "persons_prosecuted",
    "persons_convicted": "persons_convicted",
}
# TIP indicators that count suspects or defendants (of the cases opened in the period), where
# the national indicator counts persons at that stage
TIP_OTHER_UNITS = ("suspects_investigated", "defendants_prosecuted")
# us_tip_figures.qualifier / source_triangulation.tip_qualifier: the victims' status
TIP_QUALIFIERS = ("potential", "official", "potential_and_official")
TIP_VICTIM_INDICATORS = ("victims_identified", "potential_victims", "official_victims")
# source_triangulation.likely_reason: the first rule that applies, in this order (differences are
# TIP minus national, as bounds; a figure given as <5 is the interval 0..4)
TRIANGULATION_REASONS = {
    "no_national_figure": "the national statistics give no figure for that year and indicator",
    "figures_agree": "both figures are exact and equal",
    "national_suppressed": (
        "the national figure is given as <5 (an interval) and the difference can be 0: the two "
        "may agree"
    ),
    "potential_vs_official": (
        "the TIP figure counts potential victims, officially recognised victims or both, where "
        "the national statistics count every victim detected under their own definition"
    ),
    "counting_unit": (
        "the TIP figure counts suspects or defendants of the cases opened in the period, the "
        "national statistics persons at that stage of the criminal-justice process"
    ),
    "reporting_period": (
        "the TIP report of year N describes the government's reporting period (mostly "
        "year N-1) with the figures known when it was written, the national statistics a calendar "
        "year as later recorded"
    ),
}

# --- counter-trafficking mechanisms (checklist assessments) ----------------------------------

SCORES = (0, 1, 2)
SCORE_MEANINGS = {0: "not met", 1: "partly met", 2: "met in law and practice"}
# mechanism_scores.status (not the status of data_gaps or of the workshop: other columns)
MECHANISM_STATUSES = ("known", "unknown", "conflict")
# mechanism_gaps.gap_type. `transforms/opportunities.py` had its own `GAP_TYPES` with the first
# two only: that was not the code list of the column but the gaps a regional programme can
# address (an unknown item or a conflict is an evidence gap), now `SHARED_GAP_TYPES`.
GAP_TYPES = ("not_met", "partly_met", "no_evidence", "conflict")
SHARED_GAP_TYPES = ("not_met", "partly_met")
# A domain is ranked across jurisdictions only where this share of its items is known.
RANKABLE_COVERAGE = 0.8
# A domain score resting on fewer known items than this (or on less than RANKABLE_COVERAGE of
# the domain's items) is printed with how few: "(1 of 1 items known)".
MIN_DOMAIN_ITEMS = 2

# --- trends ---------------------------------------------------------------------------------

SHARES = ("female", "child", *FORMS, "nationals", "foreign")
# (measure, numerator indicator, denominator indicator): the ratio sits on the numerator's row.
ATTRITION = (
    ("convictions_per_prosecution", "persons_convicted", "persons_prosecuted"),
    ("prosecutions_per_victim", "persons_prosecuted", "victims_detected"),
)
# trend_summary.direction: rising or falling when the 95% interval of the yearly change excludes
# 0; stable only when the whole interval lies within +-STABLE_BAND a year; no_clear_trend when it
# contains 0 but reaches beyond that band (+19% a year, interval -4% to +47%, is not stable);
# insufficient_data when the series cannot carry a verdict.
TREND_DIRECTIONS = ("rising", "falling", "stable", "no_clear_trend", "insufficient_data")
STABLE_BAND = 0.10  # a yearly change of 10%, as a share
# trend_summary's method: the window of the most recent reported years, how many of them must
# be exact, how many may be an interval (<5) only.
RECENT_YEARS = 5
MIN_EXACT_YEARS = 4
MAX_SUPPRESSED_YEARS = 1
# A 95% interval of the yearly change wider than this (in log-rate units, about a factor 2.7
# between its ends) says nothing useful about the direction, even when it excludes 0.
MAX_CI_WIDTH = 1.0

# --- victim flows ---------------------------------------------------------------------------

# victim_flows.direction
FLOW_DIRECTIONS = ("inbound_detection", "repatriation")
FLOW_TYPES = ("domestic", "intra_regional", "extra_regional", "unknown")

# --- data gaps ------------------------------------------------------------------------------

BREAKDOWNS = ("total", "sex", "age", "exploitation", "citizenship", "repatriation")
# data_gaps.status
DATA_STATUSES = ("exact", "partly_suppressed", "suppressed_only", "not_reported")

# --- regional opportunities -----------------------------------------------------------------

OPPORTUNITY_TYPES = ("shared_gap", "bilateral_flow")
# A checklist gap shared by this many jurisdictions or more is a regional opportunity.
MIN_SHARED_GAP = 3

# --- recommendations ------------------------------------------------------------------------

# The `jurisdiction` of a recommendation to the region as a whole (not the region's row code).
REGIONAL = "REGIONAL"
DOMAINS = (
    "coordination",
    "identification",
    "protection",
    "justice",
    "prevention",
    "cooperation",
    "data",
)
# The Council of Europe monitoring body's scale: an obligation not met, partly met, on track.
URGENCIES = ("urge", "consider", "invite")
URGENCY_VERBS = {"urge": "Urge", "consider": "Consider", "invite": "Invite"}
# recommendation_changes.change (plus REJECTED_CHANGE, the workshop's)
CHANGES = ("new", "unchanged", "resolved")
# A text has fewer words than this. It was 60 until a text quoted the finding it rests on: the
# addressee, a concrete action (up to 24 words, rules/actions.yaml) and the assessment's words
# (up to 30, cut after whole clauses beyond) need about 75.
MAX_WORDS = 80
MAX_PROGRESS_WORDS = 45  # "progress would show as: ..." (progress_indicator) has fewer words
TOP_PRIORITIES = 5
ID_HEX = 10  # hex digits of the SHA-256 in a recommendation id: REC-0123456789
# Wording a recommendation must not use: detected victims are not the extent of trafficking.
BANNED_PHRASES = (
    "prevalence",
    "incidence",
    "actual number",
    "real number",
    "true number",
    "true extent",
    "<5",
)

# --- the regional validation workshop -------------------------------------------------------

DECISIONS = ("agreed", "amended", "rejected")
NOT_DISCUSSED = "not_discussed"
# recommendation_status.status and recommendation_changes.workshop_status
WORKSHOP_STATUSES = (*DECISIONS, NOT_DISCUSSED)
# The `change` a resolved recommendation takes when the workshop rejected it.
REJECTED_CHANGE = "rejected"
DATE_HINT = "write it as 2026-05-12 or 12.05.2026"

# --- evidence sources (evidence_sources, data/reference/evidence_registry.yaml) ---------------

# evidence_sources.source_type: who publishes the page a statement was read from. `mirror`: a
# page that republishes (in whole or in excerpts) another publisher's document, whose original
# publisher and title the registry names; `unknown`: a site no one has identified (or one the
# registry does not list yet: the evidence_sources_graded check names it).
SOURCE_TYPES = (
    "government",
    "international_organisation",
    "us_government",
    "ngo",
    "academic",
    "media",
    "mirror",
    "unknown",
)
# How much a statement counts in a recommendation's priority, by the type of its best source.
# A publisher speaking for itself counts in full; a news report of another's findings (media)
# less; a copy of another's document, not checked against the original (mirror), less again; a
# site no one has identified, half.
SOURCE_WEIGHTS = {
    "government": 1.0,
    "international_organisation": 1.0,
    "us_government": 1.0,
    "ngo": 1.0,
    "academic": 1.0,
    "media": 0.8,
    "mirror": 0.7,
    "unknown": 0.5,
}
# Evidence whose year lies more than this many years before the newest year of the statistics
# is dated: the report marks it ("dated: 2011") and it weighs less in priorities.
DATED_AFTER_YEARS = 5
