"""File formats as data: load the Table Schemas in ``data_schemas/``, detect, read, validate.

A schema is the single source of truth for a format: its columns (and the raw header token
where the file spells a column differently), types, allowed values, key, the role each column
plays in the rating model, and the counts its documentation states. Everything here reads
text and checks it; nothing computes a statistic.

Every problem becomes an :class:`~adjudicate.InputError` naming the file, the 1-based line
number (header = row 1) and the column, in one line.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import InputError

__all__ = ["Schema", "Table", "detect_schema", "load_schema", "read_table", "read_text",
           "schema_names", "schemas_dir"]

_SCHEMA_PACKAGE = "adjudicate.data_schemas"
"""Where an installed wheel puts the schemas (mapped from the top-level ``data_schemas/``)."""
_SOURCE_SCHEMAS = Path(__file__).resolve().parents[2] / "data_schemas"
"""The schemas in a source checkout: the repository's top-level ``data_schemas/``."""


def schemas_dir():
    """The folder of the bundled Table Schemas (and the NLP vocabulary mapping).

    The repository keeps them at its top level, ``data_schemas/``; the wheel ships that folder
    as the package data ``adjudicate/data_schemas`` (see ``pyproject.toml``). In a source
    checkout that is not installed, the top-level folder is used.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> sorted(p.name for p in schemas_dir().iterdir() if p.name.endswith(".json"))[0]
    'generic_long.json'
    """
    try:
        found = resources.files(_SCHEMA_PACKAGE)
    except ModuleNotFoundError:
        found = None
    if found is not None and found.joinpath("generic_long.json").is_file():
        return Path(str(found.joinpath("generic_long.json"))).parent  # an installed wheel
    return _SOURCE_SCHEMAS


@dataclass(frozen=True)
class Schema:
    """A file format: a parsed Table Schema with adjudicate's extensions."""

    name: str
    title: str
    kind: str  # "readers" | "labels"
    fields: tuple[dict, ...]
    primary_key: tuple[str, ...]
    categories: tuple[str, ...]
    positive: str | None
    documented: dict
    design: dict
    dialect: dict
    missing_values: tuple[str, ...]
    documentation: str | None
    raw: dict = field(repr=False)

    def header_of(self, f: dict) -> str:
        return f.get("header", f["name"])

    def fields_with(self, role: str) -> list[dict]:
        return [f for f in self.fields if f.get("role") == role]

    def field_named(self, role: str) -> str:
        """Name of the single field with a role (``unit``, ``reader``, ``cluster``)."""
        (f,) = self.fields_with(role) or (None,)
        if f is None:
            raise KeyError(f"format {self.name} has no {role} column")
        return f["name"]

    @property
    def findings(self) -> list[str]:
        return [f["name"] for f in self.fields_with("finding")]


def schema_names() -> list[str]:
    """Names of the bundled fixed-column formats (those a header is detected against).

    The generic long layout (``load_schema("generic_long")``) is not among them: its columns
    are named by the user or recognised by :func:`adjudicate.io.read_ratings`.

    Examples
    --------
    >>> schema_names()
    ['nih_all_findings_labels', 'nih_all_findings_readers', 'nih_four_findings_labels', 'nih_four_findings_readers']
    """
    return [name for name, kind in _schema_kinds() if kind in ("readers", "labels")]


@cache
def _schema_kinds() -> tuple[tuple[str, str], ...]:
    """(name, kind) of every bundled schema: the fixed-column NIH formats ("readers",
    "labels", detected from a header) and the generic layout ("long", read by
    :mod:`adjudicate.io.generic`)."""
    out = []
    for p in schemas_dir().iterdir():
        if p.name.endswith(".json"):
            out.append((p.name.removesuffix(".json"), json.loads(p.read_text("utf-8"))["kind"]))
    return tuple(sorted(out))


@cache
def load_schema(name: str) -> Schema:
    """Load one bundled schema by name.

    Examples
    --------
    >>> s = load_schema("nih_four_findings_readers")
    >>> s.findings
    ['Fracture', 'Pneumothorax', 'Airspace opacity', 'Nodule/mass']
    """
    known = [n for n, _ in _schema_kinds()]
    if name not in known:
        raise KeyError(f"unknown format {name!r}; known: {', '.join(known)}")
    raw = json.loads(schemas_dir().joinpath(f"{name}.json").read_text("utf-8"))
    return Schema(
        name=raw["name"], title=raw["title"], kind=raw["kind"], fields=tuple(raw["fields"]),
        primary_key=tuple(raw.get("primaryKey", ())), categories=tuple(raw["categories"]),
        positive=raw.get("positive"), documented=raw.get("documented", {}),
        design=raw.get("design", {}), dialect=raw.get("dialect", {}),
        missing_values=tuple(raw.get("missingValues", ())),
        documentation=raw.get("documentation"), raw=raw,
    )


@dataclass
class Table:
    """A validated file: cells as text, columns renamed to schema names, and what was seen.

    ``rows`` holds the file's 1-based line number of each data row (header = 1), so any later
    message can point back into the file. ``extra_columns`` lists header columns the schema
    does not know (kept in ``data``, reported, not used). ``quirks`` records format oddities
    met on the way (renamed headers, recoded columns).
    """

    path: str
    schema: Schema
    data: pd.DataFrame
    rows: np.ndarray
    extra_columns: list[str] = field(default_factory=list)
    quirks: list[str] = field(default_factory=list)


_COMPRESSED = {  # magic bytes -> (name, stdlib module that reads it, or None = refuse)
    b"\x1f\x8b": ("gzip", "gzip"),
    b"BZh": ("bzip2", "bz2"),
    b"\xfd7zXZ\x00": ("xz", "lzma"),
    b"PK\x03\x04": ("zip", None),
    b"7z\xbc\xaf\x27\x1c": ("7z", None),
    b"\x28\xb5\x2f\xfd": ("zstd", None),
}
FILES_READ: set[str] = set()
"""Resolved paths of every file read in this process, so that the command line can refuse
an output that would overwrite one of its own inputs whichever command read it."""

_MAX_BYTES = 1 << 31
"""Largest file (or decompressed file) read: 2 GiB of CSV text is far beyond any reader study."""


def _read_bytes(path: Path, name: str, quirks: list) -> bytes:
    """The file's bytes; only regular files (a FIFO or a device such as /dev/zero would
    block or never end), decompressed when gzip/bzip2/xz, refused when another archive."""
    import os
    import stat as stat_

    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError("no such file", file=name) from None
    except PermissionError:
        raise InputError("permission denied", file=name) from None
    except (OSError, ValueError) as e:
        raise InputError(f"cannot open: {getattr(e, 'strerror', None) or e}", file=name) from None
    if stat_.S_ISDIR(st.st_mode):
        raise InputError("is a directory, not a CSV file", file=name)
    if not stat_.S_ISREG(st.st_mode):
        kind = ("a FIFO (named pipe)" if stat_.S_ISFIFO(st.st_mode) else
                "a character device" if stat_.S_ISCHR(st.st_mode) else
                "a block device" if stat_.S_ISBLK(st.st_mode) else
                "a socket" if stat_.S_ISSOCK(st.st_mode) else "not a regular file")
        raise InputError(f"is {kind}, not a regular file; save the data to a file first",
                         file=name)
    if st.st_size > _MAX_BYTES:
        raise InputError(f"the file is {st.st_size / 2**30:.1f} GiB; at most "
                         f"{_MAX_BYTES // 2**30} GiB of CSV is read", file=name)
    FILES_READ.add(str(path.resolve()))
    try:
        raw = path.read_bytes()
    except PermissionError:
        raise InputError("permission denied", file=name) from None
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror or e}", file=name) from None
    for magic, (what, module) in _COMPRESSED.items():
        if raw.startswith(magic):
            if module is None:
                raise InputError(f"a {what} archive, not CSV text; extract the CSV file "
                                 "first", file=name)
            import importlib
            try:
                with importlib.import_module(module).open(io.BytesIO(raw)) as f:
                    raw = f.read(_MAX_BYTES + 1)
            except (OSError, EOFError, ValueError) as e:
                raise InputError(f"a damaged {what} file: {e}", file=name) from None
            if len(raw) > _MAX_BYTES:
                raise InputError(f"decompresses to more than {_MAX_BYTES // 2**30} GiB",
                                 file=name)
            quirks.append(f"the file is {what}-compressed; read its decompressed text")
            break
    return raw


def _decode(raw: bytes, path: str, quirks: list | None = None) -> str:
    quirks = [] if quirks is None else quirks
    for bom, codec in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if raw.startswith(bom):
            try:
                text = raw[len(bom):].decode(codec)
            except UnicodeDecodeError as e:
                raise InputError(f"starts with a UTF-16 byte-order mark but is not valid "
                                 f"UTF-16 (at byte {e.start + len(bom)}); re-save the file as "
                                 "UTF-8", file=path) from None
            quirks.append("the file is UTF-16 text; read it as such (UTF-8 is expected)")
            return _text_checks(text, path, quirks)
    nul = raw.find(b"\x00", 0, 1 << 20)
    if nul >= 0:
        row = raw.count(b"\n", 0, nul) + 1
        raise InputError(f"a binary file, not CSV text (a NUL byte at offset {nul}; UTF-16 "
                         "without a byte-order mark is not read: re-save the file as UTF-8)",
                         file=path, row=row)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line_start = raw.rfind(b"\n", 0, e.start) + 1
        row = raw.count(b"\n", 0, e.start) + 1
        header = raw.split(b"\n", 1)[0].decode("utf-8", "replace").rstrip("\r")
        col_index = raw[line_start:e.start].count(b",")
        names = next(csv.reader([header]), [])
        column = names[col_index] if col_index < len(names) else None
        if column is not None and not column.isprintable():
            column = None
        raise InputError(f"not UTF-8 text: byte 0x{raw[e.start]:02x} cannot be decoded "
                         "(re-save the file as UTF-8)", file=path, row=row, column=column) from None
    if text.startswith("\ufeff"):
        quirks.append("the file starts with a UTF-8 byte-order mark (ignored)")
    return _text_checks(text.removeprefix("\ufeff"), path, quirks)


def _text_checks(text: str, path: str, quirks: list) -> str:
    """Line endings: CR-only files (classic Mac) are read with CR as the line break."""
    if "\r" in text and "\n" not in text:
        quirks.append("the file ends its lines with CR only; read CR as the line break")
        text = text.replace("\r", "\n")
    return text


def _header(text: str, path: str) -> list[str]:
    first = text.split("\n", 1)[0].rstrip("\r")
    if not first.strip():
        raise InputError("the first line is empty; expected a header row", file=path, row=1)
    try:
        names = next(csv.reader([first]))
    except csv.Error as e:
        raise InputError(f"the header is not readable as CSV: {e}", file=path, row=1) from None
    if len(names) == 1:
        for sep, what in ((";", "semicolons"), ("\t", "tabs"), ("|", "pipes")):
            if sep in first:
                raise InputError(f"wrong delimiter: the header is separated by {what}, "
                                 "expected commas", file=path, row=1)
    return names


def detect_schema(header: list[str], path: str = "<input>", *, kind: str | None = None) -> Schema:
    """The bundled format whose columns the header holds.

    ``kind`` ("readers" or "labels") restricts the search and turns a file of the other kind
    into a clear error (a reader file passed where a label file is expected).

    Examples
    --------
    >>> detect_schema(["Image ID", "Patient ID", "Reader ID", "Abnormal"], kind="readers")
    Traceback (most recent call last):
    ...
    adjudicate._errors.InputError: <input>, row 1: not a known readers file: closest format is nih_all_findings_readers, which lacks 15 columns: 'Atelectasis', 'Cardiomegaly', 'Effusion', ...
    """
    present = set(header)
    scored = []
    for name in schema_names():
        s = load_schema(name)
        wanted = [s.header_of(f) for f in s.fields]
        missing = [h for h in wanted if h not in present]
        scored.append((len(missing), len(wanted) - len(missing), s, missing))
    # complete formats first (the largest wins: its columns explain most of the header),
    # then the closest: most columns recognised, fewest missing
    scored.sort(key=lambda t: (t[0] > 0, -t[1], t[0]))
    complete = [t[2] for t in scored if t[0] == 0]
    if complete:
        best = complete[0]
        if kind is not None and best.kind != kind:
            _near_miss_header(header, path, scored, kind=kind)
        if kind is not None and best.kind != kind:
            hint = "'Reader ID'" if best.kind == "readers" else "no 'Reader ID' column"
            raise InputError(f"this is a {best.kind} file (format {best.name}, it has {hint}); "
                             f"expected a {kind} file", file=path, row=1)
        return best
    _near_miss_header(header, path, scored)
    pool = [t for t in scored if kind is None or t[2].kind == kind]
    n_missing, _, s, missing = pool[0]
    shown = ", ".join(repr(m) for m in missing[:3]) + (", ..." if len(missing) > 3 else "")
    what = f"{kind} file" if kind else "file format"
    if n_missing == 1:
        raise InputError(f"missing column '{missing[0]}' (required by format {s.name})",
                         file=path, row=1, column=missing[0])
    raise InputError(f"not a known {what}: closest format is {s.name}, which lacks "
                     f"{n_missing} columns: {shown}", file=path, row=1)


def _normal(name: str) -> str:
    return " ".join(name.split()).casefold()


def _near_miss_header(header: list[str], path: str, scored: list, *,
                      kind: str | None = None) -> None:
    """A header that holds a format's columns up to spaces and case is that format with a
    header problem: say which column, instead of calling it another kind of file."""
    present = {}
    for h in header:
        present.setdefault(_normal(h), h)
    for _n_missing, _n_found, s, missing in sorted(scored, key=lambda t: -len(t[2].fields)):
        if kind is not None and s.kind != kind or not missing:
            continue
        if all(_normal(m) in present for m in missing):
            bad = [(present[_normal(m)], m) for m in missing]
            got, want = bad[0]
            what = ("stray spaces" if got.strip() != got or " ".join(got.split()) != got
                    else "different case" if got.casefold() == want.casefold()
                    else "spacing and case")
            more = f" (and {len(bad) - 1} more such columns)" if len(bad) > 1 else ""
            raise InputError(f"a {s.kind} file (format {s.name}) with a header problem: column "
                             f"{got!r} should be {want!r} ({what}){more}", file=path, row=1,
                             column=got)


def read_text(path) -> tuple[str, list[str]]:
    """The text of a CSV file, read safely, and what reading it took: the one entry point of
    every parser (so each refuses and reports the same things).

    Only regular files are opened (a FIFO or ``/dev/zero`` is refused, never read); gzip,
    bzip2 and xz are decompressed; UTF-16 with a byte-order mark and CR-only line endings
    are read; binary data, archives, non-UTF-8 text and empty files are an
    :class:`~adjudicate.InputError` naming the file (and the row and column when known).

    Returns
    -------
    text : str
        Decoded text with ``\n`` line ends where the file used CR alone.
    quirks : list of str
        What was done to read it ("the file is gzip-compressed; ...").

    Examples
    --------
    >>> from adjudicate.datasets import dataset_path
    >>> text, quirks = read_text(dataset_path("four_findings", "readers"))
    >>> text.splitlines()[0], quirks
    ('Patient ID,Image ID,Reader ID,Fracture,Pneumothorax,Airspace opacity,Nodule/mass,Set ID', [])
    """
    path = Path(path)
    name = str(path)
    quirks: list[str] = []
    raw = _read_bytes(path, name, quirks)
    if not raw.strip():
        raise InputError("the file is empty", file=name)
    text = _decode(raw, name, quirks)
    if not text.strip():
        raise InputError("the file is empty", file=name)
    return text, quirks


def read_table(path, *, schema: str | Schema | None = None, kind: str | None = None) -> Table:
    """Read and validate a CSV file against a schema (detected from its header if not given).

    Parameters
    ----------
    path : str or Path
    schema : str or Schema, optional
        Format name (see :func:`schema_names`); detected from the header by default.
    kind : {"readers", "labels"}, optional
        Expected kind of file; a file of the other kind is an error.

    Returns
    -------
    Table

    Raises
    ------
    InputError
        One line naming the file, row and column: a missing, unreadable or non-regular file
        (directory, FIFO, device such as ``/dev/zero``: never read, so never a hang), a zip/7z/
        zstd archive, binary data (NUL bytes; UTF-16 without a byte-order mark), text that is
        not UTF-8, a field longer than the csv module's limit, a wrong delimiter, rows of the
        wrong width, a header matching a format only up to spaces or case (named as a header
        problem of that format), values the schema does not allow.

    Notes
    -----
    Read as they are, and recorded in ``quirks`` (so every output can say so): gzip, bzip2
    and xz compression, UTF-16 with a byte-order mark, a UTF-8 byte-order mark, CR-only line
    endings. CRLF and blank lines are read silently (they change nothing).

    Examples
    --------
    >>> from adjudicate.datasets import dataset_path
    >>> t = read_table(dataset_path("all_findings", "labels"))
    >>> t.schema.name, len(t.data)
    ('nih_all_findings_labels', 810)
    """
    path = Path(path)
    name = str(path)
    text, quirks = read_text(path)
    header = _csv_header(text, name)
    if isinstance(schema, str):
        schema = load_schema(schema)
    if schema is None:
        schema = detect_schema(header, name, kind=kind)
    else:
        for f in schema.fields:
            if schema.header_of(f) not in header:
                raise InputError(f"missing column '{schema.header_of(f)}' (required by format "
                                 f"{schema.name})", file=name, row=1, column=schema.header_of(f))
    df, rows = _text_rows(text, header, name)
    renames = {}
    for f in schema.fields:
        h = schema.header_of(f)
        if h != f["name"]:
            renames[h] = f["name"]
            quirks.append(f"column '{h}' read as '{f['name']}'"
                          + (f": {f['description']}" if "description" in f else ""))
    df = df.rename(columns=renames)
    known = {f["name"] for f in schema.fields}
    extra = [c for c in df.columns if c not in known]
    for f in schema.fields:
        _check_field(df[f["name"]], f, schema, name, rows)
        if "codes" in f:
            quirks.append(f"column '{f['name']}' is coded {'/'.join(f['codes'])} where the other "
                          f"finding columns use {'/'.join(schema.categories)}; read "
                          + ", ".join(f"{k} as {v}" for k, v in f["codes"].items()))
    return Table(path=name, schema=schema, data=df, rows=rows, extra_columns=extra, quirks=quirks)


def _csv_header(text: str, name: str) -> list[str]:
    """The header of a CSV text: an error when it is missing, uses another delimiter or
    repeats a column name. Shared by :func:`read_table` and the generic reader."""
    header = _header(text, name)
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise InputError(f"column name(s) repeated in the header: {dupes}", file=name, row=1,
                         column=dupes[0])
    return header


def _text_rows(text: str, header: list[str], name: str) -> tuple[pd.DataFrame, np.ndarray]:
    """The cells of a CSV text as strings (empty cells as ``""``) and each row's line number.

    Shared by :func:`read_table` and the generic reader (:mod:`adjudicate.io.generic`): rows
    with more or fewer fields than the header and inconsistent quoting are errors; line
    numbers are 1-based with the header as row 1.
    """
    n_fields, lines = _scan(text, name)
    width = len(header)
    odd = np.flatnonzero(n_fields[1:] != width)
    if len(odd):
        i = odd[0] + 1
        more = f"; {len(odd)} such rows" if len(odd) > 1 else ""
        if n_fields[i] > width:
            raise InputError(f"a row has more fields than the header ({n_fields[i]} vs "
                             f"{width}{more})", file=name, row=int(lines[i]))
        raise InputError(f"the row has fewer fields than the header ({n_fields[i]} vs "
                         f"{width}{more})", file=name, row=int(lines[i]),
                         column=header[n_fields[i]])
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False,
                         skip_blank_lines=True, engine="c")
    except (pd.errors.ParserError, ValueError) as e:
        raise InputError(f"could not parse the CSV: {str(e).splitlines()[0]}", file=name) \
            from None
    rows = lines[1:]
    if len(rows) != len(df):  # both readers must see the same rows
        raise InputError(f"could not read the file consistently ({len(df)} rows by pandas, "
                         f"{len(rows)} by the csv module); check quoting", file=name)
    if df.empty:
        raise InputError("the file has a header but no data rows", file=name, row=2)
    return df, rows


def _scan(text: str, path: str = "<input>") -> tuple[np.ndarray, np.ndarray]:
    """Fields per row and the 1-based line number where each row starts.

    Blank lines are skipped (as pandas skips them). A loop over rows at the edge, in the C
    csv reader: pandas fills short rows with empty cells, so it cannot tell a short row from
    an empty cell.
    """
    reader = csv.reader(io.StringIO(text))
    n_fields, lines = [], []
    start = 1
    try:
        for row in reader:
            if row:
                n_fields.append(len(row))
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as e:
        why = str(e)
        if "field larger than field limit" in why:
            why = (f"a field is longer than {csv.field_size_limit()} characters (an unclosed "
                   "quote, or not a CSV file)")
        raise InputError(f"not readable as CSV: {why}", file=path, row=start) from None
    return np.asarray(n_fields, dtype=np.int64), np.asarray(lines, dtype=np.int64)


def _check_field(col: pd.Series, f: dict, schema: Schema, path: str, rows: np.ndarray) -> None:
    cons = f.get("constraints", {})
    values = col.to_numpy(dtype=object)
    empty = col.str.strip().eq("").to_numpy()
    allowed_missing = "" in schema.missing_values and not cons.get("required", False)
    if cons.get("required") or not allowed_missing:
        _fail_where(empty, col, f, path, rows, "empty cell")
    ok = empty if allowed_missing else np.zeros(len(col), bool)
    if "enum" in cons:
        bad = ~(col.isin(cons["enum"]).to_numpy() | ok)
        hint = ""
        if bad.any():
            v = values[np.flatnonzero(bad)[0]]
            if v in schema.categories:
                hint = f" ({v} is not allowed for this column by the study design)"
        _fail_where(bad, col, f, path, rows,
                    "unknown value {value!r} (allowed: " + ", ".join(cons["enum"]) + ")" + hint)
    if "pattern" in cons:
        bad = ~(col.str.fullmatch(cons["pattern"]).to_numpy(dtype=bool) | ok)
        _fail_where(bad, col, f, path, rows,
                    "value {value!r} does not look like a valid " + f["name"]
                    + f" (expected pattern {cons['pattern']})")


def _fail_where(bad: np.ndarray, col: pd.Series, f: dict, path: str, rows: np.ndarray,
                template: str) -> None:
    if not bad.any():
        return
    idx = np.flatnonzero(bad)
    value = col.iloc[idx[0]]
    more = f" (and {len(idx) - 1} more rows)" if len(idx) > 1 else ""
    raise InputError(template.replace("{value!r}", repr(value)) + more, file=path, row=int(rows[idx[0]]),
                     column=f.get("header", f["name"]))
