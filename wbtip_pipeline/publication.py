"""One publication per refresh (write-audit-publish): readers see every table and document of a
refresh together, or the previous refresh complete.

**Write.** An asset never writes where readers look. A table goes to a staging table in the
warehouse (`Warehouse.stage`: a `<schema>_staging` schema on PostgreSQL, `_staging_<table>` in
the same SQLite file) and, from the same frame, to `<output>/.staging/tables/<table>.csv`; a
document is rendered into `<output>/.staging/report/`, `.staging/workshop/` and so on.

**Audit.** The assets validate before they stage (pandera schemas, the disclosure audits: their
blocking checks), and `publish_staged` refuses a staging area whose database tables and CSVs do
not pair up (one of two writes failed), naming the tables.

**Publish.** The `publication` asset, downstream of everything, runs only when every step of its
refresh succeeded. It assembles the next publication folder `<output>/publications/<id>/` (the
current publication's files hard-linked, the staged files laid over them: a table's CSV replaces
its CSV, a document folder replaces the whole folder), then in one database transaction renames
every staged table over its published one and appends a row to `publications` (id, time, run id,
source files with their hashes, every table with its row count), then moves the pointer
`<output>/current` to the new folder (a symlink replaced by `rename`, atomic). The paths readers
use, `<output>/tables`, `report`, `workshop` and `data_dictionary.md`, are links through
`current`: resolving `current` once gives one consistent set.

A failed step leaves the staging area for the next refresh to complete and the previous
publication untouched. A crash between the commit and the pointer's move is rolled forward by
the next writer (`roll_forward`): the database names the folder it published. Two previous
publications are kept for readers still holding them; older ones are removed.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

STAGING = ".staging"
PUBLICATIONS = "publications"
CURRENT = "current"
# what a publication holds: the tables' CSVs, the two documents' folders, the dictionary
TABLES, REPORT, WORKSHOP, DICTIONARY = "tables", "report", "workshop", "data_dictionary.md"
# the paths readers use, each a link through `current` (made at the first publication)
READER_PATHS = (TABLES, REPORT, WORKSHOP, DICTIONARY)
KEEP = 3  # publication folders kept: the current one and two before it
BUILDING = ".building-"


class PublicationError(RuntimeError):
    """The staging area cannot be published as it is; the previous publication stays."""


@dataclass
class Publication:
    """What one publication made visible."""

    publication_id: int
    published_at: str
    run_id: str
    folder: Path
    changed: list[str]  # staged tables swapped in, and staged documents
    tables: dict[str, int] = field(default_factory=dict)  # every published table: row count
    source_files: dict[str, str] = field(default_factory=dict)


def folder_name(publication_id: int) -> str:
    return f"{publication_id:06d}"


class OutputFolder:
    """The file side of publications: `<output>/.staging`, `publications/<id>`, `current`."""

    def __init__(self, output: str | Path):
        self.output = Path(output)

    @property
    def staging(self) -> Path:
        return self.output / STAGING

    @property
    def publications(self) -> Path:
        return self.output / PUBLICATIONS

    @property
    def current_link(self) -> Path:
        return self.output / CURRENT

    def current(self) -> Path | None:
        """The folder of the current publication (None before the first)."""
        link = self.current_link
        return link.resolve() if link.is_symlink() and link.resolve().is_dir() else None

    def staged_tables(self) -> set[str]:
        folder = self.staging / TABLES
        return {p.stem for p in folder.glob("*.csv")} if folder.is_dir() else set()

    def staged_entries(self) -> list[str]:
        """Staged top-level documents and folders other than the tables, by name."""
        if not self.staging.is_dir():
            return []
        return sorted(
            p.name
            for p in self.staging.iterdir()
            if p.name != TABLES and not p.name.startswith(".")
        )

    def assemble(self, publication_id: int) -> Path:
        """The next publication's folder, complete: the current files hard-linked, the staged
        files over them. Built under a temporary name and renamed (a crash leaves no half folder
        under a publication's name)."""
        self.publications.mkdir(parents=True, exist_ok=True)
        for stale in self.publications.glob(f"{BUILDING}*"):
            shutil.rmtree(stale, ignore_errors=True)
        building = self.publications / f"{BUILDING}{folder_name(publication_id)}"
        current = self.current()
        if current is not None:
            shutil.copytree(current, building, copy_function=_link_or_copy)
        else:
            building.mkdir()
        staged_tables = self.staging / TABLES
        if staged_tables.is_dir():
            (building / TABLES).mkdir(exist_ok=True)
            for csv in staged_tables.glob("*.csv"):
                target = building / TABLES / csv.name
                target.unlink(missing_ok=True)
                _link_or_copy(csv, target)
        for name in self.staged_entries():
            source, target = self.staging / name, building / name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            else:
                target.unlink(missing_ok=True)
            if source.is_dir():
                shutil.copytree(source, target, copy_function=_link_or_copy)
            else:
                _link_or_copy(source, target)
        final = self.publications / folder_name(publication_id)
        if final.exists():  # assembled before by a publication that never committed
            shutil.rmtree(final)
        building.rename(final)
        return final

    def point_to(self, folder: Path) -> None:
        """Move `current` to `folder` in one rename; the readers' paths, links through it, are
        made first (dangling until the first publication), so no moment lacks them."""
        self.output.mkdir(parents=True, exist_ok=True)
        self.link_readers()
        relative = Path(PUBLICATIONS) / folder.name
        tmp = self.output / f".{CURRENT}.{os.getpid()}.tmp"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(relative)
        link = self.current_link
        if link.is_dir() and not link.is_symlink():  # an output folder copied without its links
            shutil.rmtree(link)
        os.replace(tmp, link)

    def link_readers(self) -> None:
        """Make `tables`, `report`, `workshop` and `data_dictionary.md` links through `current`
        (idempotent; replaces the folders of an output folder from before publications)."""
        for name in READER_PATHS:
            path = self.output / name
            target = Path(CURRENT) / name
            if path.is_symlink():
                if Path(os.readlink(path)) == target:
                    continue
                path.unlink()
            elif path.is_dir():  # an output folder from before publications: its files are in
                shutil.rmtree(path)  # the first publication (`assemble` does not read them)
            elif path.exists():
                path.unlink()
            link = self.output / f".{name}.{os.getpid()}.tmp"
            link.unlink(missing_ok=True)
            link.symlink_to(target)
            os.replace(link, path)

    def clear_staging(self) -> None:
        if self.staging.exists():
            shutil.rmtree(self.staging)

    def prune(self, keep: set[str]) -> list[Path]:
        """Remove the publication folders other than `keep` (by name: those of the latest
        publications the warehouse records) and the current one."""
        current = self.current()
        folders = (
            [p for p in self.publications.glob("[0-9]*") if p.name.isdigit()]
            if self.publications.is_dir()
            else []
        )
        removed = []
        for old in folders:
            if old.name in keep or (current is not None and old.resolve() == current):
                continue
            shutil.rmtree(old, ignore_errors=True)
            removed.append(old)
        return removed


def _link_or_copy(source, target) -> None:
    """A hard link (the files of a publication never change once published), else a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def describe(publication: Publication | None) -> str:
    if publication is None:
        return "nothing staged: the current publication stays"
    tables = len(publication.tables)
    return (
        f"publication {publication.publication_id}: {len(publication.changed)} of its tables "
        f"and documents new, {tables} tables in all"
    )


def encode(value: Iterable | dict) -> str:
    return json.dumps(value, sort_keys=True)


@contextmanager
def staged_folder(target: Path) -> Iterator[Path]:
    """A folder to render a document into, staged as `target` only once the `with` block ends
    without an error: a render that fails half-way leaves no half document to be published."""
    made_parent = not target.parent.exists()
    target.parent.mkdir(parents=True, exist_ok=True)
    building = target.parent / f".{target.name}.building"
    if building.exists():
        shutil.rmtree(building)
    building.mkdir()
    try:
        yield building
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        if made_parent and not any(target.parent.iterdir()):
            target.parent.rmdir()  # nothing staged: the output folder is as it was
        raise
    if target.exists():
        shutil.rmtree(target)
    building.rename(target)
