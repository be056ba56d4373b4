"""Property tests of every source reader (issue 16, item 8): random bytes and mutated real
files never make a reader raise; every problem becomes a finding that names the file; the hash
recorded is that of the bytes parsed; mutations that keep a file valid still parse to the same
figures.

Readers: the six national layouts (one real file each), the CT mechanism assessments (YAML) and
the evidence registry (YAML). Each test runs a reader, then its schema, on bytes in memory.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import openpyxl
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from wbtip_pipeline.schemas.raw import validate_raw
from wbtip_pipeline.sources.config import load_configs
from wbtip_pipeline.sources.evidence_registry import (
    REGISTRY_FILE,
    parse_evidence_registry,
    validate_evidence_registry,
)
from wbtip_pipeline.sources.mechanisms import (
    load_checklist,
    parse_assessments,
    validate_assessments,
)
from wbtip_pipeline.sources.readers import FileBytes, load_yaml, parse_file, raw_frame
from wbtip_pipeline.validation import Finding
from wbtip_pipeline_tests.conftest import BUNDLED_SOURCES, REFERENCE

CURRENT_YEAR = 2025  # fixed, so that "a future year" does not depend on the day the tests run
PROPERTY = settings(
    max_examples=40,
    deadline=None,
    database=None,  # nothing written into the working tree; a failure prints its example
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEWER = settings(PROPERTY, max_examples=15)

# one real file per national layout, and its year (per-year layouts)
STATISTICS = {
    "ALB": ("alb_trafikimi_2021.csv", 2021),  # long CSV, UTF-8 with BOM, ';'
    "BIH": ("bih_trgovina_ljudima.xlsx", None),  # workbook, a sheet per indicator
    "XKX": ("xkx_victims_2019.json", 2019),  # nested JSON
    "MKD": ("mkd_trgovija_2019.csv", 2019),  # long CSV, Windows-1251, ',', CRLF
    "MNE": ("mne_statistika.csv", None),  # sexes as columns, UTF-8, ';'
    "SRB": ("srb_centar_2021.csv", 2021),  # long CSV, UTF-8, ','
}
CSV_CODES = ["ALB", "MKD", "MNE", "SRB"]
ASSESSMENTS = "alb_ct_mechanisms.yaml"

Read = Callable[[bytes], tuple[pd.DataFrame, list[Finding], FileBytes]]


@dataclass(frozen=True)
class Reader:
    id: str
    name: str  # the file name, as the reader is given it
    original: bytes  # the real file
    encoding: str  # of the text (for line mutations); "" for the workbook
    read: Read
    hashed: bool = True  # the rows carry `source_sha256`
    figure_columns: tuple[str, ...] = ()  # what a valid mutation must leave unchanged

    def __repr__(self) -> str:  # a failing example names the reader, not its bytes
        return f"Reader({self.id!r})"

    def _repr_pretty_(self, printer, cycle) -> None:  # hypothesis prints examples with this
        printer.text(repr(self))


@cache
def _checklist() -> pd.DataFrame:
    return load_checklist(REFERENCE / "ct_mechanism_checklist.csv")


def _statistics_reader(code: str) -> Reader:
    cfg = load_configs()[code]
    name, year = STATISTICS[code]

    def read(data: bytes):
        file = FileBytes(name, data, year)
        frame = raw_frame(parse_file(cfg, file))
        return frame, validate_raw(frame, cfg, CURRENT_YEAR), file

    figures = ("year", "indicator", "dimension", "category", "sex", "age", "subform")
    return Reader(
        f"statistics-{code}",
        name,
        (BUNDLED_SOURCES / code / name).read_bytes(),
        "" if name.endswith(".xlsx") else cfg.encoding,
        read,
        figure_columns=(*figures, "value_column", "value_text"),
    )


def _assessments_reader() -> Reader:
    def read(data: bytes):
        file = FileBytes(ASSESSMENTS, data)
        frame = parse_assessments(file, "ALB")
        return frame, validate_assessments(frame, _checklist(), CURRENT_YEAR), file

    return Reader(
        "assessments",
        ASSESSMENTS,
        (BUNDLED_SOURCES / "ALB" / ASSESSMENTS).read_bytes(),
        "utf-8",
        read,
        figure_columns=("year", "item", "score", "evidence", "source_url"),
    )


def _registry_reader() -> Reader:
    def read(data: bytes):
        file = FileBytes(REGISTRY_FILE, data)
        frame = parse_evidence_registry(file)
        return frame, validate_evidence_registry(frame, REGISTRY_FILE), file

    return Reader(
        "evidence-registry",
        REGISTRY_FILE,
        (REFERENCE / REGISTRY_FILE).read_bytes(),
        "utf-8",
        read,
        hashed=False,
        figure_columns=("entry", "publisher", "source_type", "original_publisher"),
    )


READERS = {
    r.id: r
    for r in [
        *(_statistics_reader(code) for code in STATISTICS),
        _assessments_reader(),
        _registry_reader(),
    ]
}
TEXT_READERS = [r for r in READERS.values() if r.encoding]
CSV_READERS = [READERS[f"statistics-{code}"] for code in CSV_CODES]


def by_id(readers) -> dict:
    return {"argvalues": list(readers), "ids": [r.id for r in readers]}


def assert_contained(reader: Reader, data: bytes) -> tuple[pd.DataFrame, list[Finding]]:
    """Run the reader and its schema on `data` (no exception may escape) and check that every
    problem is a finding naming the file, and the provenance is that of these bytes."""
    frame, findings, file = reader.read(data)
    assert file.sha256 == hashlib.sha256(data).hexdigest()
    if "source_file" in frame.columns:
        assert (frame["source_file"] == reader.name).all()
    if reader.hashed:
        assert (frame["source_sha256"] == file.sha256).all()  # the hash of the bytes parsed
    problems = set(frame["problem"].dropna())
    for problem in problems:
        assert reader.name in problem, problem
    assert problems <= {f.rule for f in findings}, "a problem row gave no finding"
    for finding in findings:
        assert finding.file == reader.name, finding
        assert reader.name in finding.message, finding
    return frame, findings


def _figures(reader: Reader, frame: pd.DataFrame) -> list[tuple]:
    cols = list(reader.figure_columns)
    return sorted(map(repr, frame[cols].astype(object).itertuples(index=False, name=None)))


def assert_same_figures(reader: Reader, data: bytes) -> None:
    """A valid variant of the real file: no problem, no finding, the same figures."""
    frame, findings = assert_contained(reader, data)
    original, _, _ = reader.read(reader.original)
    assert frame["problem"].isna().all(), frame["problem"].dropna().tolist()
    assert findings == []
    assert _figures(reader, frame) == _figures(reader, original)


def test_the_real_files_have_no_finding():
    for reader in READERS.values():
        frame, findings = assert_contained(reader, reader.original)
        assert len(frame) > 0 and findings == [], reader.id


# --- (a) random bytes --------------------------------------------------------------------------


@pytest.mark.parametrize("reader", **by_id(READERS.values()))
@PROPERTY
@given(data=st.binary(max_size=4000))
@example(data=b"")
@example(data=b"\xef\xbb\xbf")  # a byte-order mark alone
@example(data=b"PK\x03\x04" + b"\x00" * 60)  # the start of a zip file, then nothing
def test_random_bytes(reader, data):
    assert_contained(reader, data)


@pytest.mark.parametrize("reader", **by_id(TEXT_READERS))
@settings(PROPERTY, max_examples=25)
@given(tail=st.binary(max_size=2000))
def test_a_real_header_then_random_bytes(reader, tail):
    head = reader.original.split(b"\n", 1)[0] + b"\n"
    assert_contained(reader, head + tail)


# --- (b) mutated real files: bytes ---------------------------------------------------------------

# Where an edit lands (taken modulo the size of what is edited). Hypothesis favours small
# integers, which would put almost every edit at the start of a file (for the workbook: in the
# first zip header, where the damage is caught early); a multiplicative hash spreads them.
_at = st.integers(0, 2**32 - 1).map(lambda n: (n * 2654435761) % 2**32)

_byte_edit = st.one_of(
    st.tuples(st.just("flip"), _at, st.integers(1, 255)),
    st.tuples(st.just("truncate"), _at, st.just(0)),
    st.tuples(st.just("delete"), _at, st.integers(1, 200)),
    st.tuples(st.just("insert"), _at, st.binary(min_size=1, max_size=20)),
)


def _edit_bytes(data: bytes, edits) -> bytes:
    buf = bytearray(data)
    for kind, at, arg in edits:
        if not buf:
            break
        i = at % len(buf)
        if kind == "flip":
            buf[i] ^= arg
        elif kind == "truncate":
            del buf[i:]
        elif kind == "delete":
            del buf[i : i + arg]
        else:
            buf[i:i] = arg
    return bytes(buf)


@pytest.mark.parametrize("reader", **by_id(READERS.values()))
@PROPERTY
@given(edits=st.lists(_byte_edit, min_size=1, max_size=4))
# a damaged sheet inside the workbook: zlib.error, XML ParseError and BadZipFile (Bad CRC-32),
# raised while a read-only sheet is parsed, escaped the workbook reader
@example(edits=[("flip", 1250, 0x5A)])
@example(edits=[("flip", 3250, 0x5A)])
@example(edits=[("flip", 4500, 0x5A)])
def test_byte_mutations_of_a_real_file(reader, edits):
    assert_contained(reader, _edit_bytes(reader.original, edits))


# --- (b) mutated real files: lines, delimiters, encodings, cells ---------------------------------

# what a cell may be replaced by: text, negative, huge, fractional, blank, quotes, delimiters
_cell = st.one_of(
    st.sampled_from(
        ["abc", "-3", "-1", "9" * 25, "-" + "9" * 25, "1.5", "1e400", "nan", "", " ", "<5", "<50"]
    ),
    st.sampled_from(['"', '"x', ";", ",", "\n", "\r", "\x00", "2021", "0x1F", "١٢"]),
    st.text(alphabet="aЖžë0123456789 ;,.-+<>\"'\t", max_size=12),
)
_line_edit = st.one_of(
    st.tuples(st.just("delete"), _at, st.just("")),
    st.tuples(st.just("duplicate"), _at, st.just("")),
    st.tuples(st.just("cell"), _at, _cell),  # the line (low bits), the field (high bits)
    st.tuples(st.just("header"), _at, _cell),  # rename a header cell
    st.tuples(st.just("delimiters"), _at, st.sampled_from([";", ",", "\t"])),
    st.tuples(
        st.just("encoding"),
        st.just(0),
        st.sampled_from(["utf-8", "utf-8-sig", "cp1251", "iso8859_5", "latin-1", "utf-16"]),
    ),
)


def _delimiter(text: str) -> str:
    head = text.split("\n", 1)[0]
    return ";" if head.count(";") > head.count(",") else ","


def _edit_lines(text: str, edits, encoding: str) -> bytes:
    """Apply line edits to the text of a file; the result is encoded (in the file's encoding,
    unless an edit re-encodes it)."""
    lines = text.splitlines(keepends=True)
    sep = _delimiter(text)
    for kind, at, arg in edits:
        if not lines:
            break
        i = at % len(lines)
        if kind == "delete":
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind in ("cell", "header"):
            i = 0 if kind == "header" else i
            body = lines[i].rstrip("\r\n")
            end = lines[i][len(body) :]
            cells = body.split(sep)
            cells[(at >> 16) % len(cells)] = arg
            lines[i] = sep.join(cells) + end
        elif kind == "delimiters":
            lines = [line.replace(sep, arg) for line in lines]
        elif kind == "encoding":
            encoding = arg
    return "".join(lines).encode(encoding, errors="replace")


@pytest.mark.parametrize("reader", **by_id(TEXT_READERS))
@PROPERTY
@given(edits=st.lists(_line_edit, min_size=1, max_size=3))
@example(edits=[("cell", (6 << 16) + 7, "9" * 25)])  # line 7, field 6 (a count): too large
# for the frame's integer column (was OverflowError)
@example(edits=[("cell", 3, '"x')])  # an unclosed quote: the rest of the file in one field
def test_line_mutations_of_a_real_file(reader, edits):
    text = reader.original.decode(reader.encoding)
    assert_contained(reader, _edit_lines(text, edits, reader.encoding))


def test_a_huge_count_is_a_finding_not_a_crash():
    """Regression (found by the properties): a count beyond the range of the frame's integer
    column raised OverflowError when the frame was typed."""
    reader = READERS["statistics-ALB"]
    data = reader.original.replace(b";2021;159", b";2021;" + b"9" * 25)
    frame, findings = assert_contained(reader, data)
    (finding,) = [f for f in findings if "too large a number" in f.message]
    assert "row 8 of alb_trafikimi_2021.csv" in finding.message


def test_an_unclosed_quote_is_a_finding_not_a_crash():
    """Regression: an unclosed quote in a long file made the csv module raise csv.Error
    (field larger than field limit)."""
    reader = READERS["statistics-SRB"]
    header, *lines = reader.original.split(b"\n")
    data = b"\n".join([header, b'"' + lines[0], *lines[1:] * 30])  # 200,000+ characters
    frame, findings = assert_contained(reader, data)
    (finding,) = findings
    assert "srb_centar_2021.csv: the text from line 2 cannot be split" in finding.message
    assert "unclosed" in finding.message


# --- (b) mutated real files: structure (workbook, JSON, YAML) -----------------------------------

_value = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=10),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
_big = st.sampled_from([10**19, -(10**19), 10**30, 2**63, 2**63 - 1, -(2**63) - 1, 1e300])


def _paths(doc, prefix=()):
    """Every path (tuple of keys / indexes) of a JSON-like document."""
    yield prefix
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield from _paths(value, (*prefix, i))


def _mutate_doc(doc, edits):
    """Replace, delete or rename what is at randomly chosen paths of a parsed document."""
    for kind, at, value in edits:
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = paths[at % len(paths)]
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        last = path[-1]
        if kind == "replace":
            parent[last] = value
        elif kind == "delete":
            del parent[last]
        elif isinstance(parent, dict):  # rename the key
            parent[str(value)[:12]] = parent.pop(last)
    return doc


_doc_edit = st.tuples(
    st.sampled_from(["replace", "replace", "delete", "rename"]),
    _at,
    st.one_of(_value, _big),
)


@PROPERTY
@given(edits=st.lists(_doc_edit, min_size=1, max_size=3))
@example(edits=[("replace", 1, 10**30)])  # "reporting_year": 10**30 (was OverflowError)
@example(edits=[("rename", 1013904226, {"²": None})])  # a key '²' (was ValueError sorting findings)
def test_json_structure_mutations(edits):
    reader = READERS["statistics-XKX"]
    doc = _mutate_doc(json.loads(reader.original), edits)
    assert_contained(reader, json.dumps(doc).encode("utf-8"))


def _dump_yaml(doc, **options) -> str:
    """`yaml.safe_dump` by libyaml's emitter where PyYAML has it (as the reader's parser)."""
    return yaml.dump(doc, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), **options)


@pytest.mark.parametrize("reader", **by_id([READERS["assessments"], READERS["evidence-registry"]]))
@PROPERTY
@given(edits=st.lists(_doc_edit, min_size=1, max_size=3))
@example(edits=[("replace", 5, 10**30)])  # assessments[0].year: 10**30 (was OverflowError)
# a score of 2**63 - 1, within Int64, next to other scores: the frame inferred float64 for the
# column, rounded it to 2**63, and typing it raised TypeError (found by this property)
@example(
    edits=[("replace", 0, None), ("replace", 2654435761, 10**19), ("replace", 757000035, 2**63 - 1)]
)
def test_yaml_structure_mutations(reader, edits):
    doc = _mutate_doc(load_yaml(reader.original), edits)
    assert_contained(reader, _dump_yaml(doc, allow_unicode=True).encode("utf-8"))


_sheet_edit = st.one_of(
    st.tuples(st.just("cell"), _at, st.one_of(_cell, _big)),
    st.tuples(st.just("header"), _at, _cell),
    st.tuples(st.just("delete_row"), _at, st.just(None)),
    st.tuples(st.just("rename_sheet"), _at, st.text(min_size=1, max_size=8)),
    st.tuples(st.just("year_header"), _at, st.sampled_from([1999, "20x1", ""])),
)


def _edit_workbook(data: bytes, edits) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(data))
    header_row = load_configs()["BIH"].header_offset + 1
    for kind, at, arg in edits:
        if isinstance(arg, str):  # characters a workbook cannot hold at all
            arg = ILLEGAL_CHARACTERS_RE.sub("", arg)
        sheet = book.worksheets[at % len(book.worksheets)]
        rows, cols = sheet.max_row, sheet.max_column
        if kind == "cell" and rows > header_row:
            sheet.cell(header_row + 1 + at % (rows - header_row), 1 + (at >> 16) % cols, arg)
        elif kind == "header":
            sheet.cell(header_row, 1 + (at >> 16) % cols, arg)
        elif kind == "year_header":
            sheet.cell(header_row, cols, arg)
        elif kind == "delete_row":
            sheet.delete_rows(1 + at % rows)
        elif kind == "rename_sheet":
            name = "".join(c for c in arg if c not in "[]:*?/\\") or "x"
            if name not in book.sheetnames:
                sheet.title = name[:31]
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@settings(PROPERTY, max_examples=25)
@given(edits=st.lists(_sheet_edit, min_size=1, max_size=3))
@example(edits=[("cell", 10 << 16, 10**30)])  # 10**30 in the victims' 2009 column (was
# OverflowError)
def test_workbook_mutations(edits):
    reader = READERS["statistics-BIH"]
    assert_contained(reader, _edit_workbook(reader.original, edits))


# --- valid mutations still parse to the same figures ---------------------------------------------


def _csv_variant(text: str, seed: int, crlf: bool, blank_lines: int, spaces: bool) -> str:
    """The same table, written differently: data lines shuffled, other line ends, blank lines,
    spaces around cells."""
    sep = _delimiter(text)
    lines = [line.rstrip("\r\n") for line in text.splitlines() if line.strip()]
    header, body = lines[0], lines[1:]
    random.Random(seed).shuffle(body)
    if spaces:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=sep, lineterminator="\n")
        writer.writerows([f" {c} " for c in row] for row in csv.reader(body, delimiter=sep))
        body = out.getvalue().splitlines()
    end = "\r\n" if crlf else "\n"
    return end.join([header, *body]) + end + end * blank_lines


@pytest.mark.parametrize("reader", **by_id(CSV_READERS))
@FEWER
@given(
    seed=st.integers(0, 2**32),
    crlf=st.booleans(),
    blank_lines=st.integers(0, 3),
    spaces=st.booleans(),
    bom=st.booleans(),
)
def test_valid_csv_variants_still_parse(reader, seed, crlf, blank_lines, spaces, bom):
    text = _csv_variant(reader.original.decode(reader.encoding), seed, crlf, blank_lines, spaces)
    data = text.encode(reader.encoding)
    if reader.encoding == "utf-8-sig" and not bom:
        data = data.removeprefix(codecs.BOM_UTF8)  # a BOM is optional in utf-8-sig
    assert_same_figures(reader, data)


@FEWER
@given(
    seed=st.integers(0, 2**32), indent=st.sampled_from([None, 0, 2, 4, "\t"]), ascii=st.booleans()
)
def test_valid_json_variants_still_parse(seed, indent, ascii):
    reader = READERS["statistics-XKX"]
    doc = json.loads(reader.original)
    victims = list(doc["victims"].items())
    random.Random(seed).shuffle(victims)
    doc["victims"] = dict(victims)
    text = json.dumps(doc, indent=indent, ensure_ascii=ascii)
    assert_same_figures(reader, text.encode("utf-8"))


@pytest.mark.parametrize("reader", **by_id([READERS["assessments"], READERS["evidence-registry"]]))
@FEWER
@given(
    flow=st.sampled_from([False, None]), width=st.sampled_from([40, 80, 10**4]), crlf=st.booleans()
)
def test_valid_yaml_variants_still_parse(reader, flow, width, crlf):
    doc = load_yaml(reader.original)
    text = _dump_yaml(
        doc, default_flow_style=flow, width=width, allow_unicode=True, sort_keys=False
    )
    assert_same_figures(reader, text.replace("\n", "\r\n" if crlf else "\n").encode("utf-8"))


@settings(FEWER, max_examples=8)
@given(seed=st.integers(0, 2**32))
def test_valid_workbook_variants_still_parse(seed):
    """Data rows shuffled within each sheet, and the workbook saved again by another writer."""
    reader = READERS["statistics-BIH"]
    book = openpyxl.load_workbook(io.BytesIO(reader.original))
    first = load_configs()["BIH"].header_offset + 2
    for sheet in book.worksheets:
        rows = [list(r) for r in sheet.iter_rows(min_row=first, values_only=True)]
        random.Random(seed).shuffle(rows)
        for r, values in enumerate(rows, start=first):
            for c, value in enumerate(values, start=1):
                sheet.cell(r, c).value = value  # `cell(r, c, None)` would keep the old value
    out = io.BytesIO()
    book.save(out)
    assert_same_figures(reader, out.getvalue())
