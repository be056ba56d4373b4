"""Thin Dagster wrappers around the readers and transforms, one module per layer."""

SOURCES = "sources"
HARMONISED = "harmonised"
ANALYTICS = "analytics"
REPORTING = "reporting"
