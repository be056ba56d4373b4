"""Where the pipeline reads and writes, from the environment, with defaults that run locally.

Every setting has one environment variable and one default; nothing else reads the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_SOURCES = "WBTIP_SOURCES_DIR"
ENV_OUTPUT = "WBTIP_OUTPUT_DIR"
ENV_REFERENCE = "WBTIP_REFERENCE_DIR"
ENV_WAREHOUSE = "WBTIP_WAREHOUSE_URL"
ENV_WAREHOUSE_SCHEMA = "WBTIP_WAREHOUSE_SCHEMA"
ENV_CONFIGS = "WBTIP_CONFIG_DIR"
ENV_FEEDBACK = "WBTIP_FEEDBACK_DIR"

DEFAULT_SOURCES = "data/sources"
DEFAULT_OUTPUT = "output"
DEFAULT_REFERENCE = "data/reference"
DEFAULT_FEEDBACK = "data/feedback"


def _env(name: str, default: str | None) -> str | None:
    value = os.environ.get(name)
    return value if value else default


@dataclass(frozen=True)
class Settings:
    sources_dir: str
    output_dir: str
    reference_dir: str
    warehouse_url: str
    warehouse_schema: str | None = None
    feedback_dir: str = str(Path(DEFAULT_FEEDBACK).resolve())

    @classmethod
    def from_env(cls) -> Settings:
        output = str(Path(_env(ENV_OUTPUT, DEFAULT_OUTPUT)).resolve())
        return cls(
            sources_dir=str(Path(_env(ENV_SOURCES, DEFAULT_SOURCES)).resolve()),
            output_dir=output,
            reference_dir=str(Path(_env(ENV_REFERENCE, DEFAULT_REFERENCE)).resolve()),
            warehouse_url=_env(ENV_WAREHOUSE, default_warehouse_url(output)),
            warehouse_schema=_env(ENV_WAREHOUSE_SCHEMA, None),
            feedback_dir=str(Path(_env(ENV_FEEDBACK, DEFAULT_FEEDBACK)).resolve()),
        )


def default_warehouse_url(output_dir: str) -> str:
    return f"sqlite:///{Path(output_dir) / 'warehouse.sqlite'}"


ENV_REFRESH_CRON = "WBTIP_REFRESH_CRON"
ENV_REFRESH_TZ = "WBTIP_REFRESH_TIMEZONE"
# The full refresh runs at 06:00 on the first day of each month, Central European time (the
# region's own), unless configured otherwise.
DEFAULT_REFRESH_CRON = "0 6 1 * *"
DEFAULT_REFRESH_TZ = "Europe/Belgrade"


def refresh_schedule() -> tuple[str, str]:
    return _env(ENV_REFRESH_CRON, DEFAULT_REFRESH_CRON), _env(ENV_REFRESH_TZ, DEFAULT_REFRESH_TZ)


def config_dir() -> Path | None:
    """A folder of jurisdiction configs replacing the bundled ones (benchmarks, other regions)."""
    value = _env(ENV_CONFIGS, None)
    return Path(value).resolve() if value else None
