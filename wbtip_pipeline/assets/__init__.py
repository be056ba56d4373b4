"""Thin Dagster wrappers around the readers and transforms, one module per layer."""

SOURCES = "sources"
HARMONISED = "harmonised"
ANALYTICS = "analytics"
REPORTING = "reporting"


def jurisdiction_inputs():
    """The per-jurisdiction source assets (`raw_<code>`, `ct_assessments_<code>`) whose consumers
    put a blocked jurisdiction's last good version in place of a frame that fails its check."""
    import dagster as dg

    # imported here: both modules import this package for the group names
    from wbtip_pipeline.assets.reference import assessment_asset_name
    from wbtip_pipeline.assets.sources import CONFIGS, raw_asset_name

    return dg.AssetSelection.assets(
        *(raw_asset_name(code) for code in CONFIGS),
        *(assessment_asset_name(code) for code in CONFIGS),
    )


def follow_inputs():
    """An asset is refreshed when one of its inputs has changed, once no input is missing or being
    refreshed, and once every input has passed its blocking checks; a jurisdiction's own source
    files are the exception.

    A jurisdiction whose new files fail their check (a blocked jurisdiction) does not hold the
    others back. The tables that read the per-jurisdiction sources are refreshed all the same
    and keep the blocked jurisdiction's last good version, as `wbtip run` does:
    harmonised_statistics keeps its last good rows (named in its `jurisdictions_blocked`
    metadata and by a `jurisdiction_blocked` row of data_quality_issues, which also lists the
    check's findings); the mechanism tables and evidence_sources keep its last good assessments.
    A failed blocking check on any other input (a reference table, a published table, a
    document's disclosure audit) still holds back everything that reads it until it passes:
    nothing stands in for those.

    Plain eager() would request an asset even after an input's blocking check failed (dagster
    issue #17332), hence the blocking-check term, which skips the jurisdiction inputs only.
    """
    import dagster as dg

    inputs_passed = (
        dg.AutomationCondition.all_deps_blocking_checks_passed()
        .ignore(jurisdiction_inputs())
        .with_label(
            "inputs passed their blocking checks (a blocked jurisdiction keeps its last good rows)"
        )
    )
    return dg.AutomationCondition.eager() & inputs_passed
