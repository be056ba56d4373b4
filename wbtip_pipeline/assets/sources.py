"""Source layer: one raw asset per jurisdiction, each with its blocking schema check.

Per-jurisdiction assets (rather than one asset partitioned by jurisdiction) because a full refresh
must read every jurisdiction in one run and let each fail alone: a blocked Albania must not hold
Serbia back, and the UI should show one independent health state per jurisdiction, side by side.
The jurisdictions are the configs (`sources/configs/`, or `WBTIP_CONFIG_DIR`): the members of
`region.load_region()`. The assets of a region are built when its definitions are
(`definitions.build_definitions`), from the configs in use then (`configs_in_use`), so one process
can build the definitions of several regions (the tests of a two-member region).
"""

import functools
from pathlib import Path

import dagster as dg
import pandas as pd

from wbtip_pipeline.assets import DATA_OWNERS, JURISDICTION_INPUT, SOURCES
from wbtip_pipeline.assets.versions import code_version, data_version
from wbtip_pipeline.checks import build_schema_check
from wbtip_pipeline.resources import PipelinePaths
from wbtip_pipeline.schemas.raw import validate_raw
from wbtip_pipeline.settings import config_dir
from wbtip_pipeline.sources.config import CONFIG_DIR, SourceConfig, load_configs
from wbtip_pipeline.sources.readers import Discovery, read_jurisdiction

IO_RETRY = dg.RetryPolicy(max_retries=2, delay=1, backoff=dg.Backoff.EXPONENTIAL)
PREVIEW_COLUMNS = [
    "year",
    "indicator",
    "dimension",
    "category",
    "sex",
    "age",
    "value_text",
    "source_file",
    "source_row",
]


def raw_asset_name(code: str) -> str:
    return f"raw_{code.lower()}"


def raw_check_name(code: str) -> str:
    return f"{raw_asset_name(code)}_schema"


def read_hashes(found: Discovery) -> dict[str, str]:
    """{file: SHA-256 of the bytes its rows were parsed from} (each file is read once)."""
    return {f.path.name: f.sha256 for f in found.files if f.sha256 is not None}


def _files_markdown(found: Discovery) -> str:
    lines = ["| file | SHA-256 |", "|---|---|"]
    lines += [f"| {f.path.name} | `{f.sha256[:16]}…` |" for f in found.files]
    return "\n".join(lines)


def raw_metadata(frame: pd.DataFrame, found: Discovery) -> dict:
    years = sorted(int(y) for y in frame["year"].dropna().unique())
    return {
        "dagster/row_count": len(frame),
        "years": dg.MetadataValue.text(
            f"{years[0]}-{years[-1]} ({len(years)} years)" if years else "none"
        ),
        "files_read": len(found.files),
        "files": dg.MetadataValue.md(_files_markdown(found)),
        "source_hashes": dg.MetadataValue.json(read_hashes(found)),
        "files_skipped": dg.MetadataValue.md(
            "\n".join(f"- `{name}`: {why}" for name, why in found.skipped.items()) or "none"
        ),
        "preview": dg.MetadataValue.md(frame[PREVIEW_COLUMNS].head(10).to_markdown(index=False)),
    }


def build_raw_asset(cfg: SourceConfig) -> dg.AssetsDefinition:
    @dg.asset(
        name=raw_asset_name(cfg.jurisdiction),
        group_name=SOURCES,
        code_version=code_version(SOURCES),
        description=f"{cfg.name}: every figure of its source files, in harmonised codes, with provenance.",
        retry_policy=IO_RETRY,
        kinds={"pandas"},
        owners=DATA_OWNERS,
        tags={"jurisdiction": cfg.jurisdiction, **JURISDICTION_INPUT},
    )
    def _raw(context: dg.AssetExecutionContext, paths: PipelinePaths) -> dg.Output[pd.DataFrame]:
        frame, found = read_jurisdiction(paths.jurisdiction_dir(cfg.jurisdiction), cfg)
        for name, why in found.skipped.items():
            context.log.info(f"{cfg.jurisdiction}: skipped {name}: {why}")
        return dg.Output(
            frame,
            metadata=raw_metadata(frame, found),
            data_version=data_version(paths=paths, read=read_hashes(found)),
        )

    return _raw


def build_raw_check(cfg: SourceConfig, asset: dg.AssetsDefinition) -> dg.AssetChecksDefinition:
    return build_schema_check(
        asset,
        raw_check_name(cfg.jurisdiction),
        lambda frame: validate_raw(frame, cfg),
        f"{cfg.name}: every file readable, every label mapped, counts whole and plausible, years in range.",
    )


def config_folder() -> Path:
    """The folder of the configs in use: `WBTIP_CONFIG_DIR`, else the bundled configs."""
    return config_dir() or CONFIG_DIR


def configs_in_use() -> dict[str, SourceConfig]:
    """{code: config} of the jurisdictions of the configs in use (`config_folder`), read once per
    folder as `region.load_region` reads the region."""
    return configs_of(config_folder())


@functools.cache
def configs_of(folder: Path) -> dict[str, SourceConfig]:
    """{code: config} of the configs in `folder`, read once."""
    return load_configs(folder)


def build_raw_assets(
    configs: dict[str, SourceConfig],
) -> tuple[list[dg.AssetsDefinition], list[dg.AssetChecksDefinition]]:
    """The raw asset of each jurisdiction, and its blocking schema check."""
    assets = [build_raw_asset(cfg) for cfg in configs.values()]
    return assets, [
        build_raw_check(cfg, a) for cfg, a in zip(configs.values(), assets, strict=True)
    ]
