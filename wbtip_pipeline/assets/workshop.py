"""The regional validation workshop: its feedback forms as a source, and the presentation pack."""

from pathlib import Path

import dagster as dg
import pandas as pd

from wbtip_pipeline.assets import DATA_OWNERS, SOURCES
from wbtip_pipeline.assets.versions import code_version, data_version
from wbtip_pipeline.checks import check_result
from wbtip_pipeline.resources import PipelinePaths, WarehouseResource
from wbtip_pipeline.sources.feedback import read_feedback, validate_feedback
from wbtip_pipeline.transforms.recommendation_status import union_recommendations

FEEDBACK_ASSET = "workshop_feedback"


@dg.asset(
    name=FEEDBACK_ASSET,
    group_name=SOURCES,
    code_version=code_version(SOURCES),
    description="Decisions of the validation workshop, read from the completed forms in data/feedback/.",
    kinds={"pandas", "excel"},
    owners=DATA_OWNERS,
)
def workshop_feedback(paths: PipelinePaths) -> dg.Output[pd.DataFrame]:
    frame = read_feedback(Path(paths.feedback_dir))
    files = (
        frame[["source_file", "source_sha256"]].dropna().drop_duplicates() if len(frame) else frame
    )
    return dg.Output(
        frame,
        metadata={
            "dagster/row_count": len(frame),
            "source_files": dg.MetadataValue.json(
                dict(zip(files.get("source_file", []), files.get("source_sha256", []), strict=True))
            ),
        },
        data_version=data_version(paths=paths),
    )


def known_recommendations(warehouse: WarehouseResource) -> pd.DataFrame:
    """The recommendations a form may name: those of the published edition the forms were sent with."""
    published = warehouse.get().read("recommendations")
    return (
        published
        if published is not None
        else pd.DataFrame(columns=["recommendation_id", "jurisdiction"])
    )


@dg.asset_check(
    asset=FEEDBACK_ASSET,
    name="workshop_feedback_schema",
    blocking=True,
    description="Forms open and are the per-delegation form; ids are recommendations of the published report, each on its jurisdiction's sheet; decisions valid, amended with text, rejected with a reason.",
)
def workshop_feedback_schema(
    frame: pd.DataFrame, warehouse: WarehouseResource
) -> dg.AssetCheckResult:
    return check_result(validate_feedback(frame, known_recommendations(warehouse)))


def feedback_for(frame: pd.DataFrame, current: pd.DataFrame, previous: pd.DataFrame | None):
    """(the recommendations a form may refer to, the findings on the forms against them)."""
    known = union_recommendations(current, previous)
    return known, validate_feedback(frame, known)
