"""Data versions: what makes an asset stale, computed the same way before a run and inside it.

Every asset's data version is a fingerprint of what it was made from:

    sha256(code version of its layer, the files it reads itself, its parents' data versions)

- The **code version** of a layer (or part of the reporting layer) hashes the package's files
  it runs (`CODE_PATHS`), so a deploy that changes the trends code re-runs the analytics layer
  and what follows it, and one that changes a template re-renders the documents only.
- The **files it reads itself**: a raw asset its jurisdiction's data files (by content hash) and
  its config; an assessment asset its YAML; a reference asset its CSV; the feedback asset the
  completed forms. Everything else reads only its parents.
- The **parents' data versions** chain the rest: a new file for Albania changes `raw_alb`'s
  version, hence those of the tables that read it, and of nothing else.

An asset returns its version with its output (`data_version(context, ...)`), so the Dagster UI
shows it. An asset that parsed files passes the hashes of the bytes it parsed (`read=`): they are
not read again, so a file rewritten during the run leaves the version of the content actually
read, which the next run finds stale. `wbtip run` computes the versions the assets *would* get
from the files on disk (`expected_versions`) and materialises only those whose latest
materialisation recorded another (`stale_assets`): the whole decision is hashing the sources
and one query of the instance.
Deterministic by construction: the same files and code give the same versions, whoever runs.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from pathlib import Path

import dagster as dg

from wbtip_pipeline.assets import ANALYTICS, HARMONISED, SOURCES
from wbtip_pipeline.sources.readers import discover, sha256_of

# returning a data version with an output is a beta parameter in Dagster 1.13; it is the point
warnings.filterwarnings("ignore", message=".*data_version.*", category=dg.BetaWarning)

# the code parts of the reporting layer, each with its own version: a template change re-renders
# the documents and leaves the recommendations alone
RECOMMENDATIONS, REPORT, WORKSHOP, DICTIONARY, PUBLICATION = (
    "recommendations",
    "report",
    "workshop",
    "dictionary",
    "publication",
)
PACKAGE = Path(__file__).resolve().parents[1]
# what each layer runs, relative to the package; the base is in every layer
BASE_PATHS = (
    "vocab.py",
    "region.py",
    "validation.py",
    "warehouse.py",
    "publication.py",
    "countries.py",
    "settings.py",
    "checks.py",
    "resources.py",
    "assets/__init__.py",
    "assets/common.py",
    "assets/versions.py",
    "reference",
)
CODE_PATHS: dict[str, tuple[str, ...]] = {
    SOURCES: (
        "sources",
        "schemas",
        "assets/sources.py",
        "assets/reference.py",
        "assets/workshop.py",
        "assets/evidence.py",
    ),
    HARMONISED: ("transforms", "schemas", "assets/harmonised.py"),
    ANALYTICS: ("transforms", "schemas", "assets/analytics.py", "assets/evidence.py"),
    RECOMMENDATIONS: ("transforms", "schemas", "rules", "assets/reporting.py"),
    REPORT: ("presentation", "report", "templates", "assets/reporting.py"),
    WORKSHOP: ("presentation", "workshop", "templates", "assets/reporting.py"),
    DICTIONARY: ("schemas", "dictionary.py", "assets/reporting.py"),
    PUBLICATION: ("publication.py", "assets/reporting.py"),
}
DATA_SUFFIXES = (".py", ".yaml", ".j2", ".typ", ".csv")


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode("utf-8")).hexdigest()


@cache
def code_version(part: str) -> str:
    """The hash of the package files that a part of the pipeline runs (`CODE_PATHS`: a layer,
    or a part of the reporting layer), 16 hex digits."""
    files: list[Path] = []
    for rel in (*BASE_PATHS, *CODE_PATHS[part]):
        path = PACKAGE / rel
        if path.is_dir():
            files += [p for p in path.rglob("*") if p.suffix in DATA_SUFFIXES]
        elif path.exists():
            files.append(path)
    h = hashlib.sha256()
    for path in sorted(set(files)):
        h.update(str(path.relative_to(PACKAGE)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


# --- the files an asset reads itself ---------------------------------------------------------


# {file name: sha256} of the files an asset has already read and parsed (read once)
Read = Mapping[str, str] | None
Inputs = Callable[..., dict[str, str]]  # (paths, read=None) -> {file: sha256}


def _files(paths: Iterable[Path], read: Read = None) -> dict[str, str]:
    """{name: sha256} of the files; those in `read` keep the hash of the bytes parsed (a file
    parsed and then removed stays: its figures are in the output)."""
    read = read or {}
    on_disk = {
        p.name: read[p.name] if p.name in read else sha256_of(p)
        for p in sorted(paths)
        if p.name in read or p.is_file()
    }
    return dict(sorted({**on_disk, **read}.items()))


def _raw_inputs(cfg) -> Inputs:
    code = cfg.jurisdiction

    def inputs(paths, read: Read = None) -> dict[str, str]:
        found = discover(Path(paths.sources_dir) / code, cfg)
        config = json.dumps(cfg.__dict__, sort_keys=True, default=str)
        return {"config": _digest(config), **_files((f.path for f in found.files), read)}

    return inputs


def _assessment_inputs(cfg) -> Inputs:
    code, pattern = cfg.jurisdiction, cfg.mechanisms_pattern

    def inputs(paths, read: Read = None) -> dict[str, str]:
        import re

        folder = Path(paths.sources_dir) / code
        rx = re.compile(pattern)
        found = [p for p in folder.glob("*") if rx.fullmatch(p.name)] if folder.is_dir() else []
        return _files(found, read)

    return inputs


def _reference_inputs(name: str) -> Inputs:
    return lambda paths, read=None: _files([Path(paths.reference_dir) / name], read)


def _feedback_inputs(paths, read: Read = None) -> dict[str, str]:
    from wbtip_pipeline.sources.feedback import feedback_files

    folder = Path(paths.feedback_dir)
    return _files(feedback_files(folder), read) if folder.is_dir() else dict(read or {})


def external_inputs() -> dict[str, Inputs]:
    """{asset name: function of the paths resource (or Settings), and optionally of the hashes
    of the files the asset parsed -> {file: sha256}}, for the members of the configs in use."""
    from wbtip_pipeline.assets.sources import config_folder

    return _external_inputs(config_folder())


@cache
def _external_inputs(config_folder: Path) -> dict[str, Inputs]:
    from wbtip_pipeline.assets.reference import (
        CHECKLIST_FILE,
        FIGURES_FILE,
        POPULATION_FILE,
        TIERS_FILE,
        assessment_asset_name,
    )
    from wbtip_pipeline.assets.sources import configs_of, raw_asset_name
    from wbtip_pipeline.assets.workshop import FEEDBACK_ASSET
    from wbtip_pipeline.sources.evidence_registry import REGISTRY_FILE

    found: dict[str, Inputs] = {
        "population": _reference_inputs(POPULATION_FILE),
        "ct_checklist": _reference_inputs(CHECKLIST_FILE),
        "us_tip_tiers": _reference_inputs(TIERS_FILE),
        "us_tip_figures": _reference_inputs(FIGURES_FILE),
        FEEDBACK_ASSET: _feedback_inputs,
        "evidence_registry": _reference_inputs(REGISTRY_FILE),
    }
    for code, cfg in configs_of(config_folder).items():
        found[raw_asset_name(code)] = _raw_inputs(cfg)
        found[assessment_asset_name(code)] = _assessment_inputs(cfg)
    return found


# --- versions ----------------------------------------------------------------------------------


def fingerprint(
    code: str | None, files: Mapping[str, str], parents: Mapping[str, str | None]
) -> str:
    return _digest({"code": code, "files": dict(files), "parents": dict(parents)})[:24]


def recorded_versions(
    instance: dg.DagsterInstance, keys: Iterable[dg.AssetKey]
) -> dict[dg.AssetKey, str | None]:
    """The data version of each asset's latest materialisation (None: never materialised),
    in one query."""
    events = instance.get_latest_materialization_events(list(keys))
    return {
        key: (
            event.asset_materialization.tags.get("dagster/data_version")
            if event is not None and event.asset_materialization is not None
            else None
        )
        for key, event in events.items()
    }  # an asset never materialised may be absent: read with .get


def data_version(
    key: dg.AssetKey | None = None,
    paths=None,
    context: dg.AssetExecutionContext | None = None,
    read: Read = None,
) -> dg.DataVersion:
    """The version an asset records with its output: its layer's code version, the files it
    reads (when it reads any: pass the paths resource) and its parents' recorded versions.
    `read`: {file name: sha256} of the bytes the asset parsed, used instead of hashing those
    files again (read once). `key` names the output of a multi-asset; the running step's
    context is found by itself."""
    context = context or dg.AssetExecutionContext.get()
    key = key or context.asset_key
    name = key.to_user_string()
    reader = external_inputs().get(name) if paths is not None else None
    deps = sorted(context.assets_def.asset_deps.get(key, ()))
    recorded = recorded_versions(context.instance, deps)
    parents = {parent.to_user_string(): recorded.get(parent) for parent in deps}
    code = context.assets_def.code_versions_by_key.get(key)
    return dg.DataVersion(fingerprint(code, reader(paths, read) if reader else {}, parents))


def expected_versions(graph, paths) -> dict[dg.AssetKey, str]:
    """The version every asset of `graph` would record if it were materialised now."""
    readers = external_inputs()
    versions: dict[dg.AssetKey, str] = {}
    for key in graph.toposorted_asset_keys:
        node = graph.get(key)
        reader = readers.get(key.to_user_string())
        parents = {p.to_user_string(): versions.get(p) for p in sorted(node.parent_keys)}
        versions[key] = fingerprint(node.code_version, reader(paths) if reader else {}, parents)
    return versions


def unchecked_assets(instance: dg.DagsterInstance, graph) -> set[dg.AssetKey]:
    """The assets whose latest materialisation has a check that never ran: planned in the run
    that materialised the asset, then not evaluated (a run killed between an asset and its
    checks: the source layer's checks run after all its assets, in steps of their own)."""
    check_keys = list(graph.asset_check_keys)
    if not check_keys:
        return set()
    records = instance.event_log_storage.get_latest_asset_check_execution_by_key(check_keys)
    latest = instance.get_latest_materialization_events({k.asset_key for k in check_keys})
    return {
        key.asset_key
        for key, record in records.items()
        if record.status.value == "PLANNED"  # the enum is not public; its values are stored
        and latest.get(key.asset_key) is not None
        and latest[key.asset_key].run_id == record.run_id
    }


def stale_assets(instance: dg.DagsterInstance, graph, paths) -> dict[dg.AssetKey, str]:
    """{asset: why it must be materialised} for every asset whose recorded version differs
    from the one it would get now, or whose checks did not run on its latest materialisation
    (materialising it again runs them; its version, hence its children's, stays the same)."""
    expected = expected_versions(graph, paths)
    recorded = recorded_versions(instance, expected)
    unchecked = unchecked_assets(instance, graph)
    stale = {}
    for key, version in expected.items():
        if recorded.get(key) is None:
            stale[key] = "never materialised"
        elif recorded[key] != version:
            stale[key] = "inputs or code changed"
        elif key in unchecked:
            stale[key] = "its checks did not run (run interrupted)"
    return stale
