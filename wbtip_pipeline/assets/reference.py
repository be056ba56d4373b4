"""Reference data (population, the CT mechanism checklist, US TIP tiers and figures) and the
CT mechanism assessments, each as an asset with a blocking check, so that lineage reaches them.

Each file is read once: the hash an asset records (metadata and data version) is that of the
bytes it parsed."""

import io

import dagster as dg
import pandas as pd

from wbtip_pipeline.assets import DATA_OWNERS, JURISDICTION_INPUT, SOURCES
from wbtip_pipeline.assets.sources import IO_RETRY, raw_asset_name
from wbtip_pipeline.assets.versions import code_version, data_version
from wbtip_pipeline.checks import build_schema_check, check_result
from wbtip_pipeline.resources import PipelinePaths
from wbtip_pipeline.schemas.reference import (
    TIP_FIGURES_FILE,
    population_schema,
    us_tip_tiers_schema,
    validate_tip_figures,
)
from wbtip_pipeline.sources.config import SourceConfig
from wbtip_pipeline.sources.mechanisms import (
    checklist_schema,
    parse_checklist,
    read_assessments,
    validate_assessments,
)
from wbtip_pipeline.sources.readers import FileBytes, read_bytes
from wbtip_pipeline.validation import validate

POPULATION_FILE = "population_worldbank.csv"
CHECKLIST_FILE = "ct_mechanism_checklist.csv"
TIERS_FILE = "us_tip_tiers.csv"
FIGURES_FILE = TIP_FIGURES_FILE


def _reference_output(frame: pd.DataFrame, paths: PipelinePaths, file: FileBytes) -> dg.Output:
    hashes = {file.name: file.sha256}
    return dg.Output(
        frame,
        metadata={
            "dagster/row_count": len(frame),
            "source_files": dg.MetadataValue.json(hashes),
        },
        data_version=data_version(paths=paths, read=hashes),
    )


@dg.asset(
    group_name=SOURCES,
    code_version=code_version(SOURCES),
    retry_policy=IO_RETRY,
    description="Total population by jurisdiction and year (World Bank), for rates per 100,000.",
    kinds={"pandas", "csv"},
    owners=DATA_OWNERS,
)
def population(paths: PipelinePaths) -> dg.Output[pd.DataFrame]:
    file = read_bytes(paths.reference(POPULATION_FILE))
    frame = pd.read_csv(io.BytesIO(file.data), encoding="utf-8")
    return _reference_output(frame, paths, file)


@dg.asset(
    group_name=SOURCES,
    code_version=code_version(SOURCES),
    retry_policy=IO_RETRY,
    description="The 28-item CT mechanism checklist in seven domains, with legal basis.",
    kinds={"pandas", "csv"},
    owners=DATA_OWNERS,
)
def ct_checklist(paths: PipelinePaths) -> dg.Output[pd.DataFrame]:
    file = read_bytes(paths.reference(CHECKLIST_FILE))
    return _reference_output(parse_checklist(file), paths, file)


@dg.asset(
    group_name=SOURCES,
    code_version=code_version(SOURCES),
    retry_policy=IO_RETRY,
    description="US TIP report tier per jurisdiction and report year (the external view).",
    kinds={"pandas", "csv"},
    owners=DATA_OWNERS,
)
def us_tip_tiers(paths: PipelinePaths) -> dg.Output[pd.DataFrame]:
    file = read_bytes(paths.reference(TIERS_FILE))
    frame = pd.read_csv(io.BytesIO(file.data), encoding="utf-8", dtype={"source_url": object})
    return _reference_output(frame, paths, file)


@dg.asset(
    group_name=SOURCES,
    code_version=code_version(SOURCES),
    retry_policy=IO_RETRY,
    description="Figures the US TIP reports state per jurisdiction (one row per stated number, with its quote and page): compared with the national statistics, never merged.",
    kinds={"pandas", "csv"},
    owners=DATA_OWNERS,
)
def us_tip_figures(paths: PipelinePaths) -> dg.Output[pd.DataFrame]:
    file = read_bytes(paths.reference(FIGURES_FILE))
    frame = pd.read_csv(
        io.BytesIO(file.data),
        encoding="utf-8",
        dtype={"qualifier": object, "quote": object, "source_url": object},
    )
    return _reference_output(frame, paths, file)


reference_checks = [
    build_schema_check(
        population,
        "population_schema",
        lambda f: validate(f, population_schema),
        "Population: codes, years, positive values, one row per jurisdiction and year.",
    ),
    build_schema_check(
        ct_checklist,
        "ct_checklist_schema",
        lambda f: validate(f, checklist_schema),
        "Checklist: unique item ids CT-nn with a domain and a title.",
    ),
    build_schema_check(
        us_tip_tiers,
        "us_tip_tiers_schema",
        lambda f: validate(f, us_tip_tiers_schema),
        "US TIP tiers: known tier names, one row per jurisdiction and report year.",
    ),
    build_schema_check(
        us_tip_figures,
        "us_tip_figures_schema",
        validate_tip_figures,
        "US TIP figures: codes, years, known indicators, whole non-negative values, quote and page.",
    ),
]


def assessment_asset_name(code: str) -> str:
    return f"ct_assessments_{code.lower()}"


def member_source_keys(configs: dict[str, SourceConfig]) -> list[dg.AssetKey]:
    """The source assets of the members of `configs`: each one's raw statistics, then each
    one's assessments."""
    names = [raw_asset_name(c) for c in configs] + [assessment_asset_name(c) for c in configs]
    return [dg.AssetKey(name) for name in names]


def build_assessment_asset(code: str, name: str) -> dg.AssetsDefinition:
    @dg.asset(
        name=assessment_asset_name(code),
        group_name=SOURCES,
        code_version=code_version(SOURCES),
        retry_policy=IO_RETRY,
        description=f"{name}: its CT mechanism assessments against the checklist, with evidence and provenance.",
        tags={"jurisdiction": code, **JURISDICTION_INPUT},
        kinds={"pandas", "yaml"},
        owners=DATA_OWNERS,
    )
    def _assessments(paths: PipelinePaths) -> dg.Output[pd.DataFrame]:
        frame = read_assessments(paths.sources_dir, code)
        # the hash of the bytes the rows were parsed from (the file is read once)
        files = frame[["source_file", "source_sha256"]].dropna().drop_duplicates()
        hashes = dict(zip(files.source_file, files.source_sha256, strict=True))
        return dg.Output(
            frame,
            metadata={
                "dagster/row_count": len(frame),
                "source_files": dg.MetadataValue.json(hashes),
                "years": dg.MetadataValue.text(
                    f"{int(frame.year.min())}-{int(frame.year.max())}"
                    if frame.year.notna().any()
                    else "none"
                ),
            },
            data_version=data_version(paths=paths, read=hashes),
        )

    return _assessments


def build_assessment_check(
    code: str, name: str, asset: dg.AssetsDefinition
) -> dg.AssetChecksDefinition:
    """Like `build_schema_check`, with the checklist as a second input (items must exist in it)."""

    @dg.asset_check(
        asset=asset,
        name=f"{assessment_asset_name(code)}_schema",
        blocking=True,
        description=f"{name}: the assessment file parses; items exist in the checklist; scores 0-2 with evidence.",
        additional_ins={"ct_checklist": dg.AssetIn("ct_checklist")},
    )
    def _check(frame: pd.DataFrame, ct_checklist: pd.DataFrame) -> dg.AssetCheckResult:
        return check_result(validate_assessments(frame, ct_checklist))

    return _check


def build_assessment_assets(
    configs: dict[str, SourceConfig],
) -> tuple[list[dg.AssetsDefinition], list[dg.AssetChecksDefinition]]:
    """The assessment asset of each jurisdiction, and its blocking check."""
    assets = {code: build_assessment_asset(code, cfg.name) for code, cfg in configs.items()}
    checks = [build_assessment_check(code, configs[code].name, a) for code, a in assets.items()]
    return list(assets.values()), checks
