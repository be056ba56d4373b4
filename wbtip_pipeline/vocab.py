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

# --- trends ---------------------------------------------------------------------------------

SHARES = ("female", "child", *FORMS, "nationals", "foreign")
# (measure, numerator indicator, denominator indicator): the ratio sits on the numerator's row.
ATTRITION = (
    ("convictions_per_prosecution", "persons_convicted", "persons_prosecuted"),
    ("prosecutions_per_victim", "persons_prosecuted", "victims_detected"),
)
# trend_summary.direction
TREND_DIRECTIONS = ("rising", "falling", "stable", "insufficient_data")
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
MAX_WORDS = 60  # a text has fewer words than this
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
