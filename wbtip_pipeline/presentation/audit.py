"""The disclosure audit: can a reader re-derive a protected cell from everything published?

Primary and secondary suppression (`disclosure.py`) decide what each cell shows. A document also
publishes figures computed from cells: shares and percentages, ratios, sums, sentences that say
a count is not zero. Each is a linear statement about the cells, and together with the tables'
additive relations a reader can combine them. The audit does what tau-ARGUS's audit does: it
bounds every protected cell by linear programming over all of it, and names each cell a reader
could narrow below its protection.

What a reader knows (the constraints):

- every published cell's bounds as printed: an exact count, `83–91`, `≤8` (0..8), `<5` (0..4);
  a withheld cell `[c]` only that it is not negative;
- the additive relations of the tables (`Disclosure.groups`): a breakdown adds up to its total,
  the jurisdictions to the region's figure. A breakdown is an equation when it looks complete
  (two categories or more, and every category the same breakdown shows elsewhere in the year)
  and the counts behind its cells can add up; "the parts add up to at most the total" when a
  category is not reported (absent is not zero); nothing when the parts exceed their total (a
  relation that is false discloses nothing true). Should the relations of a set of cells
  still contradict each other, those that no solution satisfies are set aside (and counted);
- every figure the documents print about cells, recorded where it is made (`Claims`): a share
  printed as `62%` says 61.5% <= part / whole <= 62.5% (half a unit of its last digit either
  side), linearised as part - 0.615 * whole >= 0 and part - 0.625 * whole <= 0; a range `52–57%`
  likewise from its two ends; a ratio `0.18–0.28` the same without the percent; a sum of cells
  printed as a count its bounds; "victims include citizens of X" that the cell is at least 1.

The protection rule (stated on what is published, never on the value behind it): a reader
must not be able to pin a protected cell (`<5`, a `≤n` interval starting below 5, a withheld
`[c]`) down to fewer than three possible values. A `<5` cell may thus be narrowed to 0..2 or
2..4 (every published sum of several `<5` cells below 4 does that), never to "0 or 1" or to
exactly 0; a sentence saying a count is not zero ("victims include citizens of X") leaves
1..4 and passes. The bar is tau-ARGUS's protection interval with a fixed width of two: the
disclosure rules protect small counts from being known, not from being bounded.

`suppression.protect` runs the audit on the relations alone when the disclosure decisions are
taken (`harmonised_disclosure`) and withholds further cells until it passes; the audit of a document
(`audit_disclosure` with its `Claims`) then only has the printed figures left to find, and
blocks the document when one narrows a cell (`DisclosureAuditError`).

Cells are counts, so a feasible interval is read as integers (the lower bound rounded up, the
upper rounded down); the LP itself is the usual relaxation (tau-ARGUS's audit is one too).
Each connected set of cells (linked by relations or claims; in practice one jurisdiction x year x
indicator, or a year's jurisdictions through the region's figure) is one small LP. Feasible
points found on the way bound each interval from the inside, so a cell gets its own LP (HiGHS,
`lp.Model`) only when those points do not already show it protected.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

from wbtip_pipeline.presentation import cache, lp
from wbtip_pipeline.presentation.claims import Claim, Claims
from wbtip_pipeline.presentation.disclosure import (
    SECONDARY_TEXT,
    Disclosure,
    Group,
    published_bounds,
)
from wbtip_pipeline.vocab import SUPPRESSED_HIGH

Cell = Hashable
INF = math.inf
# a protected cell keeps at least this many possible values (the protection rule)
MIN_VALUES = 3
_SEED_PATTERNS = 4  # points with cells pushed half down, half up, before any LP per cell
_EPS = 1e-6


class DisclosureAuditError(RuntimeError):
    """A published document lets a reader re-derive a protected cell (`AuditResult` attached)."""

    def __init__(self, result: AuditResult, document: str = "") -> None:
        self.result = result
        self.document = document
        head = f"{document}: " if document else ""
        super().__init__(head + "; ".join(result.messages()[:3]))


# --- the audit -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Protected:
    """A protected cell: what it shows and the interval a reader must not narrow."""

    cell: Cell
    status: str  # "primary" (`<5`), "interval" (`≤n`), "secondary" (`[c]`)
    shown: str
    high: float  # the published upper bound (inf for `[c]`)

    @staticmethod
    def requirement() -> str:
        return f"at least {MIN_VALUES} possible values"

    @staticmethod
    def kept(low: float, high: float) -> bool:
        """Does the feasible interval [low, high] (integers) still protect the cell?"""
        return high - low >= MIN_VALUES - 1


def protected_cell(d: Disclosure, cell: Cell) -> Protected | None:
    status = d.status(cell)
    if status == "secondary":
        return Protected(cell, "secondary", SECONDARY_TEXT, INF)
    if status == "primary":
        return Protected(cell, "primary", d.text(cell), float(SUPPRESSED_HIGH))
    if status == "shown":
        low, high = published_bounds(*d.values[cell])
        if low == 0 and high > 0:  # `≤n`: a lower bound from 1 to 4 is never printed
            return Protected(cell, "interval", d.text(cell), float(high))
    return None


def prior_bounds(d: Disclosure, cell: Cell) -> tuple[float, float]:
    """What a reader knows of a cell from the cell alone."""
    bounds = d.bounds(cell)
    return (0.0, INF) if bounds is None else (float(bounds[0]), float(bounds[1]))


@dataclass(frozen=True)
class Row:
    """lo <= sum(coef * cell) <= hi, from a relation of the tables or from a claim."""

    coefs: dict
    lo: float
    hi: float
    source: object  # a Group or a Claim


def relation_row(group: Group, values: dict[Cell, tuple[int, int]], complete: bool) -> Row | None:
    """total - sum(parts) = 0 for a complete breakdown whose counts (behind the cells) can add
    up, >= 0 for one with a category not reported, nothing when the parts exceed their total."""
    parts_low = sum(values[c][0] for c in group.cells)
    parts_high = sum(values[c][1] for c in group.cells)
    total_low, total_high = values[group.total]
    if parts_low > total_high:
        return None
    coefs = {group.total: 1.0, **{c: -1.0 for c in group.cells}}
    equal = complete and parts_high >= total_low
    return Row(coefs, 0.0, 0.0 if equal else INF, group)


def _kind(group: Group) -> tuple[tuple, frozenset]:
    """(the breakdown a group is one of, its categories): the positions of the cell key its
    parts vary in (sex, age, dimension and category, jurisdiction) for the same year and
    indicator (and jurisdiction, unless it is the jurisdictions that vary)."""
    total, cells = group.total, list(group.cells)
    if not all(isinstance(c, tuple) and len(c) == len(total) for c in [total, *cells]):
        return (group.label, total), frozenset(cells)  # cells not keyed like the tables'
    varies = frozenset(
        i for c in cells for i, (a, b) in enumerate(zip(c, total, strict=True)) if a != b
    )
    where = () if 0 in varies else (total[0],)
    return (*where, total[1], total[2], varies), frozenset(c[max(varies)] for c in cells)


def relation_rows(d: Disclosure) -> list[Row]:
    """The tables' relations as rows. A breakdown is an equation only when it looks complete:
    two categories or more, and every category the same breakdown shows elsewhere in the
    jurisdiction's year (the women's forms of exploitation, say, against the children's).
    Otherwise a category is not reported, and absent is not zero: the parts add up to at most
    the total."""
    kinds = [_kind(g) for g in d.groups]
    seen: dict[tuple, set] = defaultdict(set)
    for kind, categories in kinds:
        seen[kind] |= categories
    rows = (
        relation_row(g, d.values, len(g.cells) > 1 and categories >= seen[kind])
        for g, (kind, categories) in zip(d.groups, kinds, strict=True)
    )
    return [r for r in rows if r is not None]


@dataclass(frozen=True)
class AuditFinding:
    """A protected cell a reader can narrow, and what narrows it."""

    cell: Cell
    label: str
    shown: str
    feasible: tuple[float, float]
    requirement: str
    because: tuple[str, ...]

    @property
    def message(self) -> str:
        low, high = self.feasible
        span = f"{_num(low)}" if low == high else f"{_num(low)} to {_num(high)}"
        return (
            f"{self.label} (published {self.shown}) can be re-derived as {span}, but must keep "
            f"{self.requirement}; narrowed by {'; '.join(self.because)}"
        )


def _num(x: float) -> str:
    return "∞" if x == INF else f"{int(x)}"


@dataclass
class AuditResult:
    findings: list[AuditFinding] = field(default_factory=list)
    cells_audited: int = 0
    cells_constrained: int = 0
    components: int = 0
    relations: int = 0
    claims: int = 0
    lps_solved: int = 0
    seconds: float = 0.0
    inconsistent: list[str] = field(default_factory=list)  # components no point satisfies

    @property
    def passed(self) -> bool:
        return not self.findings

    def messages(self) -> list[str]:
        return [f.message for f in self.findings]

    def summary(self) -> dict:
        return {
            "cells_audited": self.cells_audited,
            "cells_constrained": self.cells_constrained,
            "components": self.components,
            "relations": self.relations,
            "claims": self.claims,
            "lps_solved": self.lps_solved,
            "seconds": round(self.seconds, 3),
            "findings": len(self.findings),
            "inconsistent_components": len(self.inconsistent),
        }


def audit_disclosure(
    d: Disclosure, claims: Claims | Iterable[tuple[Claim, Sequence[str]]] = ()
) -> AuditResult:
    """Bound every protected cell of `d` over its published bounds, its relations and the
    claims; a finding for each cell narrowed beyond the protection rule (module docstring)."""
    t0 = time.perf_counter()
    where = dict(claims.items() if isinstance(claims, Claims) else claims)
    rows = relation_rows(d)
    result = AuditResult(relations=len(rows), claims=len(where))
    for claim in where:
        rows += [Row(c, lo, hi, claim) for c, lo, hi in claim.rows()]
    protected = {c: p for c in d.values if (p := protected_cell(d, c)) is not None}
    result.cells_audited = len(protected)
    for cells, part in _components(rows):
        targets = [protected[c] for c in cells if c in protected]
        if not targets:
            continue
        result.components += 1
        result.cells_constrained += len(targets)
        prior = {c: prior_bounds(d, c) for c in cells}
        key = _lp_digest(cells, part, prior, targets)
        held = _PASSED.get(key)
        if held is not None:  # the same LPs, already found to keep every target
            result.lps_solved += held[0]
            result.inconsistent += held[1]
            continue
        component = _ComponentLP(cells, part, prior)
        inconsistent = len(result.inconsistent)
        found = component.audit(targets, result)
        for p, feasible in found:
            because = component.because(p, where, d)
            result.findings.append(
                AuditFinding(p.cell, d.label(p.cell), p.shown, feasible, p.requirement(), because)
            )
        if not found:
            _PASSED.put(key, (component.solved, result.inconsistent[inconsistent:]))
    result.seconds = time.perf_counter() - t0
    return result


# components that held (the report and the pack share many), by LP digest: (LPs, contradictions);
# in the process, and in the document's cache between refreshes (`cache.py`)
_PASSED = cache.Memo("audit", 4096)
_CODE = cache.code_digest(__file__)


def _lp_digest(cells: list[Cell], rows: list[Row], prior: dict, targets: list[Protected]) -> str:
    lps = [(sorted(r.coefs.items(), key=repr), r.lo, r.hi, type(r.source)) for r in rows]
    state = (cells, lps, [prior[c] for c in cells], targets)
    return hashlib.sha256((_CODE + repr(state)).encode()).hexdigest()


def _components(rows: list[Row]) -> list[tuple[list[Cell], list[Row]]]:
    """Rows grouped by the connected sets of cells they link (union-find)."""
    parent: dict[Cell, Cell] = {}

    def find(c: Cell) -> Cell:
        parent.setdefault(c, c)
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for row in rows:
        cells = list(row.coefs)
        root = find(cells[0])
        for c in cells[1:]:
            other = find(c)
            if other != root:
                parent[other] = root
    members: dict[Cell, list[Cell]] = defaultdict(list)
    for c in parent:
        members[find(c)].append(c)
    by_root: dict[Cell, list[Row]] = defaultdict(list)
    for row in rows:
        by_root[find(next(iter(row.coefs)))].append(row)
    return [(members[root], part) for root, part in by_root.items()]


class _ComponentLP:
    """One connected set of cells: its LP, and the audit of its protected cells."""

    def __init__(self, cells: list[Cell], rows: list[Row], prior: dict) -> None:
        self.cells = cells
        self.index = {c: i for i, c in enumerate(cells)}
        self.bounds = [(prior[c][0], None if prior[c][1] == INF else prior[c][1]) for c in cells]
        self.seen_low = [INF] * len(cells)  # the smallest value a feasible point gave each cell
        self.seen_high = [-INF] * len(cells)
        self.solved = 0
        self.set_rows(rows)

    def set_rows(self, rows: list[Row]) -> None:
        self.rows = rows
        self._models: dict[tuple[int, ...], lp.Model] = {}  # by the rows' ids

    def _columns(self, row: Row) -> dict[int, float]:
        """The row's coefficients by the cells' columns in the LP."""
        return {self.index[c]: coef for c, coef in row.coefs.items()}

    def _model(self, rows: list[Row]) -> lp.Model:
        key = tuple(id(r) for r in rows)
        model = self._models.get(key)
        if model is None:
            spec = [(self._columns(r), r.lo, r.hi) for r in rows]
            model = self._models[key] = lp.Model(self.bounds, spec)
        return model

    def solve(self, objective: dict[int, float], rows: list[Row] | None = None):
        """(status, value), status as `lp.Model.minimise` gives it. A point found over all the
        rows widens what the cells are seen to take."""
        costs = [0.0] * len(self.cells)
        for i, coef in objective.items():
            costs[i] = coef
        self.solved += 1
        status, value, point = self._model(self.rows if rows is None else rows).minimise(costs)
        if status == lp.OPTIMAL and rows is None:
            self.seen_low = [min(a, v) for a, v in zip(self.seen_low, point, strict=True)]
            self.seen_high = [max(a, v) for a, v in zip(self.seen_high, point, strict=True)]
        return status, value

    def interval(self, i: int, rows: list[Row] | None = None) -> tuple[float, float] | None:
        """The feasible interval of cell i, as integers; None when nothing is feasible."""
        status, low = self.solve({i: 1.0}, rows)
        if status == lp.INFEASIBLE:
            return None
        status_high, high = self.solve({i: -1.0}, rows)
        # an LP that stops short of its optimum (unbounded, numerical trouble) narrows nothing
        lower = math.ceil(low - _EPS) if status == lp.OPTIMAL else self.bounds[i][0]
        upper = math.floor(-high + _EPS) if status_high == lp.OPTIMAL else INF
        return (lower, upper)

    def _kept_by_points(self, i: int) -> bool:
        low, high = self.seen_low[i], self.seen_high[i]
        return Protected.kept(math.ceil(low - _EPS), math.floor(high + _EPS))

    def _seed(self, targets: list[Protected]) -> int:
        """Points that push the protected cells down, up, and half down half up (in a few
        fixed patterns): most cells are seen to keep their protection without an LP of their
        own. Returns the status of the first (`lp.INFEASIBLE`: no point at all)."""
        idx = [self.index[p.cell] for p in targets]
        first, _ = self.solve(dict.fromkeys(idx, 1.0))
        if first == lp.INFEASIBLE:
            return first
        # a withheld cell has no upper bound: it is only ever pushed down
        up = [i for i, p in zip(idx, targets, strict=True) if p.high < INF]
        if up:
            self.solve(dict.fromkeys(up, -1.0))
        for k in range(_SEED_PATTERNS):
            pending = [i for i in idx if not self._kept_by_points(i)]
            if not pending:
                break
            signs = {i: (1.0 if (n >> k) % 2 else -1.0) for n, i in enumerate(pending)}
            self.solve({i: s for i, s in signs.items() if s > 0 or i in up})
        return first

    def audit(
        self, targets: list[Protected], result: AuditResult
    ) -> list[tuple[Protected, tuple[float, float]]]:
        """The targets a reader can narrow beyond the rule, with their feasible intervals."""
        if self._seed(targets) == lp.INFEASIBLE:
            self._drop_contradictions()
            result.inconsistent.append(str(targets[0].cell))
            if self._seed(targets) == lp.INFEASIBLE:  # contradicting claims: nothing can be said
                result.lps_solved += self.solved
                return []
        found = []
        for p in targets:
            i = self.index[p.cell]
            if self._kept_by_points(i):
                continue
            feasible = self.interval(i)
            if feasible is not None and not p.kept(*feasible):
                found.append((p, feasible))
        result.lps_solved += self.solved
        return found

    def _drop_contradictions(self) -> None:
        """Set aside the relations no point satisfies with the rest: those left with slack by
        the LP that minimises the total slack (the counts behind them do not add up)."""
        n, m = len(self.cells), len(self.rows)
        spec = []
        for j, row in enumerate(self.rows):
            coefs = self._columns(row)
            if isinstance(row.source, Group):  # a relation may be off by a slack either way
                coefs[n + 2 * j], coefs[n + 2 * j + 1] = 1.0, -1.0
            spec.append((coefs, row.lo, row.hi))
        model = lp.Model(self.bounds + [(0, None)] * (2 * m), spec)
        status, _, point = model.minimise([0.0] * n + [1.0] * (2 * m))
        self.solved += 1
        if status == lp.OPTIMAL:
            slack = point[n:].reshape(m, 2).sum(axis=1)
            self.set_rows([r for j, r in enumerate(self.rows) if slack[j] <= _EPS])

    def because(self, p: Protected, where: dict, d: Disclosure) -> tuple[str, ...]:
        """What narrows the cell: the relations alone, else each claim that does it alone (with
        the relations), else all the claims of the component together."""
        i = self.index[p.cell]
        relations = [r for r in self.rows if isinstance(r.source, Group)]
        alone = self.interval(i, relations)
        if alone is not None and not p.kept(*alone):
            groups = sorted({r.source.label for r in relations if p.cell in r.coefs})
            return (f"the tables' totals ({'; '.join(groups) or 'linked groups'})",)
        claims = list(dict.fromkeys(r.source for r in self.rows if isinstance(r.source, Claim)))
        culprits = []
        for claim in claims:
            rows = relations + [r for r in self.rows if r.source is claim]
            narrowed = self.interval(i, rows)
            if narrowed is not None and not p.kept(*narrowed):
                culprits.append(claim)
        return tuple(describe_claim(c, where.get(c, []), d) for c in (culprits or claims))


def describe_claim(claim: Claim, where: Sequence[str], d: Disclosure) -> str:
    def cells(cs: Sequence[Cell]) -> str:
        head = d.label(cs[0])
        return head + (f" and {len(cs) - 1} more" if len(cs) > 1 else "")

    what = f"{claim.kind} {claim.text!r} of {cells(claim.num)}"
    if claim.den:
        what += f" over {cells(claim.den)}"
    places = "; ".join(w for w in where if w) or "location not recorded"
    return f"{what} [{places}]"
