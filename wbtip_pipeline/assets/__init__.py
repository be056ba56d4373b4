"""Thin Dagster wrappers around the readers and transforms, one module per layer."""

SOURCES = "sources"
HARMONISED = "harmonised"
ANALYTICS = "analytics"
REPORTING = "reporting"

# who answers for an asset (Dagster owners: shown and searchable in the catalog): the data team
# for the sources, the tables and the publication; the reporting team for the documents
DATA_OWNERS = ["team:wbtip-data"]
DOCUMENT_OWNERS = ["team:wbtip-reporting"]


# the tag of the per-jurisdiction source assets (`raw_<code>`, `ct_assessments_<code>`)
JURISDICTION_INPUT = {"wbtip/input": "jurisdiction"}


def jurisdiction_inputs():
    """The per-jurisdiction source assets (`raw_<code>`, `ct_assessments_<code>`, tagged
    `JURISDICTION_INPUT`) whose consumers put a blocked jurisdiction's last good version in place
    of a frame that fails its check: selected by their tag, whichever the region's members."""
    import dagster as dg

    ((key, value),) = JURISDICTION_INPUT.items()
    return dg.AssetSelection.tag(key, value)


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

    A deploy that changes an asset's code version (`versions.code_version`: the hash of the code
    its layer runs) refreshes it under the same conditions: once no input is missing or being
    refreshed and every input has passed its blocking checks. The change counts until the asset
    is next requested, so a deploy during a refresh is not forgotten when that refresh (run with
    the old code) ends. Its consumers follow as they follow any refresh. The first evaluation of
    the condition only records the code versions: a new automation sensor refreshes nothing.
    """
    import dagster as dg

    condition = dg.AutomationCondition
    inputs_passed = (
        condition.all_deps_blocking_checks_passed()
        .ignore(jurisdiction_inputs())
        .with_label(
            "inputs passed their blocking checks (a blocked jurisdiction keeps its last good rows)"
        )
    )
    inputs_ready = ~condition.any_deps_missing() & ~condition.any_deps_in_progress()
    code_changed = (
        condition.code_version_changed()
        .since(condition.newly_requested() | condition.initial_evaluation())
        .with_label("code version changed since last requested")
        & inputs_ready
        & ~condition.in_progress()
        & inputs_passed
    ).with_label("code version changed (a deploy), inputs ready")
    return (condition.eager() & inputs_passed) | code_changed
