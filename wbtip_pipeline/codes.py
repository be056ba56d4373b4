"""The code lists of the harmonised contract (HARMONISED.md): the only vocabulary downstream knows."""

from __future__ import annotations

JURISDICTIONS: dict[str, str] = {
    "ALB": "Albania",
    "BIH": "Bosnia and Herzegovina",
    "XKX": "Kosovo",
    "MKD": "North Macedonia",
    "MNE": "Montenegro",
    "SRB": "Serbia",
}
REGION = "WB6"

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
SPECIAL_COUNTRY_CODES = ("ABROAD", "UNKNOWN")

# Upper bound of a plausible yearly count for one jurisdiction: the largest published
# figure in the region is in the low hundreds; a value above this is a typing error.
PLAUSIBLE_MAX = 100_000
FIRST_YEAR = 2000

# `<5` is UNODC's disclosure control for counts 0..4.
SUPPRESSED_TEXT = "<5"
SUPPRESSED_LOW, SUPPRESSED_HIGH = 0, 4
