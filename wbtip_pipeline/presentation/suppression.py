"""Secondary suppression that holds against the disclosure audit (`audit.py`): cells withheld
until the tables' relations alone let no reader narrow a protected cell.

The work is done per connected set of cells (one jurisdiction x year x indicator, or a year's
jurisdictions through the region's figure), and each set's decisions depend on nothing outside
it: they are kept per set, in the process and, inside `cache.kept_in`, in the document's cache,
by a digest of everything they are computed from. A refresh in which one jurisdiction's figures
changed solves only the sets its figures reach; the others' cells are withheld as before.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from wbtip_pipeline.presentation import cache
from wbtip_pipeline.presentation.audit import (
    AuditResult,
    Cell,
    Protected,
    Row,
    _ComponentLP,
    _components,
    _num,
    prior_bounds,
    protected_cell,
    relation_rows,
)
from wbtip_pipeline.presentation.disclosure import Disclosure, Group, Withheld

_CODE = cache.code_digest(__file__, Path(__file__).with_name("audit.py"))
_TRIES = 6  # candidate cells tried, smallest first, before the smallest is simply withheld
# the cells added, by the digest of the decisions they completed: every document of a run (and
# every test on the same tables) takes the same decisions
_PROTECTED = cache.Memo("protect", 16)
# the cells added in one connected set, by the digest of that set (`_part_digest`)
_PART = cache.Memo("protect-part", 4096)


def protect(d: Disclosure) -> list[Withheld]:
    """Withhold more cells until the tables' relations alone let no reader narrow a protected
    cell (the audit without claims), and log them; returns the cells added.

    `Disclosure.resolve` looks at one group at a time, so it misses a cell recovered through
    several groups at once (withholding female and male adults does not hide them when the
    adults, the women, the men and the children by sex are shown) or through a group whose
    suppressed cells add up to a known sum (a total of 8 split into two `<5` cells). For each
    cell the audit finds, a shown cell of a group holding it is withheld too: the smallest that
    restores its protection, else the smallest; the region's figure for a year before a
    jurisdiction's own total, which goes only when nothing else is left. Repeated per connected
    set of cells until the audit passes.
    """
    key = _digest(d)
    added = _PROTECTED.get(key)
    if added is not None:
        _withhold(d, added)
        return list(added)
    added = []
    for cells, rows in _components(relation_rows(d)):
        if not _targets(d, cells):
            continue  # nothing protected in the set: nothing to solve
        part_key = _part_digest(d, cells, rows)
        part = _PART.get(part_key)
        if part is None:
            part = _protect_part(d, cells, rows)  # withheld in `d` as they are found
            _PART.put(part_key, part)
        else:
            _withhold(d, part)
        added += part
    _PROTECTED.put(key, added)
    return list(added)


def _withhold(d: Disclosure, cells: list[Withheld]) -> None:
    """Decisions found in the cache, taken in `d` as `_complement` takes them."""
    for w in cells:
        d.withheld.add(w.cell)
        d.log.append(w)


def _protect_part(d: Disclosure, cells: list[Cell], rows: list[Row]) -> list[Withheld]:
    """One connected set: withhold (in `d`) until its audit passes; the cells added."""
    part = []
    for _ in range(len(cells)):
        targets = _targets(d, cells)
        lp = _ComponentLP(cells, rows, {c: prior_bounds(d, c) for c in cells})
        found = lp.audit(targets, AuditResult()) if targets else []
        w = _complement(d, found[0], cells, lp.rows) if found else None
        if w is None:
            break
        part.append(w)
    return part


def _targets(d: Disclosure, cells: Iterable[Cell]) -> list[Protected]:
    return [p for c in cells if (p := protected_cell(d, c)) is not None]


def _digest(d: Disclosure) -> str:
    state = (
        sorted(d.values.items()),
        [(g.total, g.cells) for g in d.groups],
        sorted(d.withheld),
        sorted(d.sums),
    )
    return hashlib.sha256((_CODE + repr(state)).encode()).hexdigest()


def _part_digest(d: Disclosure, cells: list[Cell], rows: list[Row]) -> str:
    """Everything a set's decisions are made from: its cells in order, with their values, what
    they show and their labels, and its relations with their groups."""
    shown = [
        (c, d.values[c], d.status(c), d.text(c), d.bounds(c), d.label(c), c in d.sums)
        for c in cells
    ]
    relations = [
        (
            list(r.coefs.items()),
            r.lo,
            r.hi,
            (r.source.label, r.source.total, r.source.cells)
            if isinstance(r.source, Group)
            else repr(r.source),
        )
        for r in rows
    ]
    return hashlib.sha256((_CODE + repr((shown, relations))).encode()).hexdigest()


def _headline(cell: Cell) -> bool:
    """A jurisdiction's (or the region's) total of an indicator."""
    return isinstance(cell, tuple) and tuple(cell[3:]) == ("total",) * 4


def _complement(
    d: Disclosure, found: tuple[Protected, tuple], cells: list[Cell], rows: list[Row]
) -> Withheld | None:
    """Withhold one more shown cell for a protected cell the audit narrowed."""
    p, feasible = found
    groups = [r.source for r in rows if isinstance(r.source, Group) and p.cell in r.coefs]
    near = {c for g in groups for c in (g.total, *g.cells)}
    ring = {c for r in rows if isinstance(r.source, Group) and near & set(r.coefs) for c in r.coefs}
    # breakdown cells first, then the region's sums, a jurisdiction's own total last
    rank = lambda c: 0 if not _headline(c) else 1 if c in d.sums else 2  # noqa: E731
    size = lambda c: (rank(c), d.values[c][1], d.values[c][0], str(c))  # noqa: E731
    shown = lambda cells: sorted((c for c in cells if not d.is_suppressed(c)), key=size)  # noqa: E731
    candidates = shown(near) or shown(ring)
    if not candidates:
        return None
    chosen = candidates[0]
    for c in candidates[:_TRIES]:
        d.withheld.add(c)
        lp = _ComponentLP(cells, rows, {x: prior_bounds(d, x) for x in cells})
        interval = lp.interval(lp.index[p.cell])
        d.withheld.discard(c)
        if interval is None or p.kept(*interval):
            chosen = c
            break
    group = next((g for g in groups if chosen in (g.total, *g.cells)), None)
    w = Withheld(
        cell=chosen,
        cell_label=d.label(chosen),
        group=group.label if group else "linked groups",
        because_of=f"{d.label(p.cell)} ({p.shown})",
        reason=(
            "the tables together (not one group alone) narrowed the protected cell to "
            f"{_num(feasible[0])}..{_num(feasible[1])}; a further cell is withheld"
        ),
    )
    d.withheld.add(chosen)
    d.log.append(w)
    return w
