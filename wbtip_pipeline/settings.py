"""Where the pipeline reads and writes, from the environment, with defaults that run locally.

Every setting has one environment variable and one default; nothing else reads the environment.
The defaults are folders of the project checkout that holds the package (`data/sources`,
`output`, ...), whatever the working directory, so `wbtip run` started anywhere does what
`make run` does; a relative path given in a variable or on the command line is relative to the
working directory, as usual. Installed without its checkout, the defaults are relative to the
working directory. Configs and rules always come with the package (`region.py`, `rules/`).
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
ENV_CHART_CACHE = "WBTIP_CHART_CACHE"

DEFAULT_SOURCES = "data/sources"
DEFAULT_OUTPUT = "output"
DEFAULT_REFERENCE = "data/reference"
DEFAULT_FEEDBACK = "data/feedback"
DEFAULT_DAGSTER_HOME = ".dagster_home"


def project_dir() -> Path | None:
    """The checkout holding the package (its pyproject.toml beside it), None when installed."""
    root = Path(__file__).resolve().parents[1]
    return root if (root / "pyproject.toml").is_file() and (root / "data").is_dir() else None


def default_path(relative: str) -> Path:
    """A default folder: in the project checkout, else relative to the working directory."""
    return ((project_dir() or Path.cwd()) / relative).resolve()


def _env(name: str, default: str | None) -> str | None:
    value = os.environ.get(name)
    return value if value else default


def _folder(name: str, default: str) -> str:
    value = os.environ.get(name)
    return str(Path(value).resolve() if value else default_path(default))


@dataclass(frozen=True)
class Settings:
    sources_dir: str
    output_dir: str
    reference_dir: str
    warehouse_url: str
    warehouse_schema: str | None = None
    feedback_dir: str = str(default_path(DEFAULT_FEEDBACK))

    @classmethod
    def from_env(cls) -> Settings:
        output = _folder(ENV_OUTPUT, DEFAULT_OUTPUT)
        return cls(
            sources_dir=_folder(ENV_SOURCES, DEFAULT_SOURCES),
            output_dir=output,
            reference_dir=_folder(ENV_REFERENCE, DEFAULT_REFERENCE),
            warehouse_url=_env(ENV_WAREHOUSE, default_warehouse_url(output)),
            warehouse_schema=_env(ENV_WAREHOUSE_SCHEMA, None),
            feedback_dir=_folder(ENV_FEEDBACK, DEFAULT_FEEDBACK),
        )

    def missing_inputs(self) -> list[str]:
        """What the pipeline reads and cannot find: checked before anything is written."""
        folders = [
            ("source folder", self.sources_dir, f"--sources or {ENV_SOURCES}"),
            ("reference folder", self.reference_dir, f"--reference or {ENV_REFERENCE}"),
            ("config folder", str(config_dir() or "."), ENV_CONFIGS),
        ]
        if Path(self.feedback_dir) != default_path(DEFAULT_FEEDBACK):
            # the default may be absent (no workshop yet); a folder named explicitly may not
            folders.append(("feedback folder", self.feedback_dir, f"--feedback or {ENV_FEEDBACK}"))
        return [
            f"the {what} {path} does not exist (set {how})"
            for what, path, how in folders
            if not Path(path).is_dir()
        ]


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


def chart_cache(output_dir: str | Path) -> tuple[Path, bool]:
    """(the folder of drawn charts and audit verdicts, whether to prune it: `presentation/
    cache.py`): by default `<output>/.cache`, holding only what the output's last documents used;
    `WBTIP_CHART_CACHE` names a folder shared by several output folders (staging and production
    on one machine, a test session), which is never pruned: what one computed the others find."""
    shared = _env(ENV_CHART_CACHE, None)
    if shared:
        return Path(shared).resolve(), False
    return Path(output_dir) / ".cache", True
