"""The package's layering, read from the source with `ast` (every import, also those inside
functions): a module imports from its own layer or below, never above.

    base        vocab, region, settings, validation, countries, warehouse, publication,
                dictionary, runlock
                (and the package itself)
    schemas     schemas/
    data        sources/, transforms/
    presentation presentation/
    documents   report/, workshop/ (which must not import each other)
    orchestration assets/, checks, sensors, resources, instance
    entry       definitions, cli

Nothing below orchestration imports dagster. Schemas import only `vocab` and `validation` of the
package (and pandas, pandera, the standard library). No module of the presentation layer
(presentation/, report/, workshop/) runs past `MAX_LINES`: a long one is several modules.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "wbtip_pipeline"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE

BASE, SCHEMAS, DATA, PRESENTATION, DOCUMENTS, ORCHESTRATION, ENTRY = range(7)
LAYER_NAMES = (
    "base",
    "schemas",
    "sources/transforms",
    "presentation",
    "report/workshop",
    "assets/checks/sensors/resources",
    "definitions/cli",
)
# the first dotted part below the package -> its layer
LAYERS = {
    "": BASE,  # the package's __init__
    "vocab": BASE,
    "region": BASE,
    "settings": BASE,
    "validation": BASE,
    "countries": BASE,
    "warehouse": BASE,
    "publication": BASE,
    "dictionary": BASE,
    "runlock": BASE,
    "schemas": SCHEMAS,
    "sources": DATA,
    "transforms": DATA,
    "presentation": PRESENTATION,
    "report": DOCUMENTS,
    "workshop": DOCUMENTS,
    "assets": ORCHESTRATION,
    "checks": ORCHESTRATION,
    "sensors": ORCHESTRATION,
    "resources": ORCHESTRATION,
    "instance": ORCHESTRATION,
    "definitions": ENTRY,
    "cli": ENTRY,
}
DOCUMENT_PARTS = ("report", "workshop")
MAX_LINES = 600
SCHEMA_MAY_IMPORT = {"vocab", "validation", "schemas"}
SCHEMA_THIRD_PARTY = {"pandas", "pandera"}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    line: int
    target: str  # the module imported from, dotted
    name: str  # the name imported (the module itself for `import x`)

    def __str__(self) -> str:
        what = self.target if self.name == self.target else f"{self.target}.{self.name}"
        return f"{self.module}:{self.line} imports {what}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def _absolute(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if _is_package(module) else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports_of(module: str) -> list[Import]:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"), filename=str(MODULES[module]))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Import(module, node.lineno, a.name, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(module, node)
            for alias in node.names:
                # `from wbtip_pipeline import settings` imports the module wbtip_pipeline.settings
                sub = f"{target}.{alias.name}"
                if sub in MODULES:
                    found.append(Import(module, node.lineno, sub, sub))
                else:
                    found.append(Import(module, node.lineno, target, alias.name))
    return sorted(found, key=lambda i: (i.line, i.target, i.name))


ALL_IMPORTS = [i for m in MODULES for i in imports_of(m)]


def part(module: str) -> str:
    """The first dotted part below the package ('' for the package itself)."""
    rest = module.removeprefix(PACKAGE).lstrip(".")
    return rest.split(".")[0]


def layer(module: str) -> int:
    return LAYERS[part(module)]


def internal(i: Import) -> bool:
    return i.target == PACKAGE or i.target.startswith(PACKAGE + ".")


def is_document(module: str) -> bool:
    return part(module) in DOCUMENT_PARTS


def _report(problems: list[str], what: str) -> str:
    return f"{len(problems)} {what}:\n  " + "\n  ".join(problems)


def _upward(importers) -> list[str]:
    return [
        f"{i} ({LAYER_NAMES[layer(i.module)]} may not import {LAYER_NAMES[layer(i.target)]})"
        for i in ALL_IMPORTS
        if importers(i.module) and internal(i) and layer(i.target) > layer(i.module)
    ]


def test_every_module_has_a_layer():
    unknown = sorted(m for m in MODULES if part(m) not in LAYERS)
    assert not unknown, f"modules without a layer (add them to LAYERS): {unknown}"


def test_imports_are_read_also_inside_functions():
    # cli imports dagster and definitions inside its functions only
    cli = {(i.target, i.name) for i in imports_of(f"{PACKAGE}.cli")}
    assert ("dagster", "dagster") in cli
    assert (f"{PACKAGE}.definitions", "build_definitions") in cli


def test_no_module_imports_from_a_layer_above():
    problems = _upward(lambda m: True)
    assert not problems, _report(problems, "imports from a layer above")


def test_nothing_below_the_assets_imports_dagster():
    problems = [
        str(i)
        for i in ALL_IMPORTS
        if layer(i.module) < ORCHESTRATION and i.target.split(".")[0].startswith("dagster")
    ]
    assert not problems, _report(problems, "dagster imports below the assets")


def test_schemas_import_only_vocab_and_validation():
    problems = []
    for i in ALL_IMPORTS:
        if part(i.module) != "schemas":
            continue
        top = i.target.split(".")[0]
        if internal(i):
            if part(i.target) not in SCHEMA_MAY_IMPORT:
                problems.append(str(i))
        elif top not in sys.stdlib_module_names and top not in SCHEMA_THIRD_PARTY:
            problems.append(str(i))
    assert not problems, _report(problems, "schema imports other than vocab and validation")


def test_report_and_workshop_do_not_import_each_other():
    problems = [
        str(i)
        for i in ALL_IMPORTS
        if internal(i)
        and is_document(i.module)
        and is_document(i.target)
        and part(i.module) != part(i.target)
    ]
    assert not problems, _report(problems, "imports between report/ and workshop/")


def test_presentation_modules_stay_short():
    long = {
        m: n
        for m, path in MODULES.items()
        if layer(m) in (PRESENTATION, DOCUMENTS)
        and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines (split them): {long}"
