"""Thin Dagster wrappers around the readers and transforms, one module per layer."""

SOURCES = "sources"
HARMONISED = "harmonised"
ANALYTICS = "analytics"
REPORTING = "reporting"


def follow_inputs():
    """Downstream assets refresh when their inputs do, and never past a failed blocking check.

    Plain eager() would still request them after an upstream blocking check failed (dagster issue
    #17332), hence the second condition.
    """
    import dagster as dg

    return dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()
