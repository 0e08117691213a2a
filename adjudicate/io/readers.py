"""Individual-reader files -> :class:`~adjudicate.Ratings`.

One row per (unit, reader) read. Units keep the order in which they first appear in the file,
readers are sorted by id. A reader who did not read a unit is MISSING, never NO. When one
reader appears twice for one unit, an explicit policy decides (``duplicates=``) and the
:class:`ParseReport` says what it did; every row not used is counted there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from .._errors import InputError
from ..ratings import MISSING, Ratings, positive_category
from .schemas import Schema, Table, read_table

__all__ = ["DUPLICATE_POLICIES", "ParseReport", "ratings_from_table", "read_readers"]

DuplicatePolicy = Literal["missing", "first", "last", "error"]
DUPLICATE_POLICIES = ("missing", "first", "last", "error")


@dataclass(frozen=True)
class ParseReport:
    """What the parser saw and did: nothing is dropped silently.

    Attributes
    ----------
    file, format : str
    n_rows : int
        Data rows in the file.
    n_rows_used : int
        Rows whose values went into the ratings unchanged or merged.
    unused_rows : dict
        Reason -> number of rows not used.
    duplicates : DataFrame
        One row per duplicated (unit, reader) pair: the file's line numbers, whether the rows
        conflict and in which findings, and what the policy did.
    duplicate_policy : str
    quirks : tuple of str
        Format oddities met (renamed headers, recoded columns, ...).
    extra_columns : tuple of str
        Columns the format does not define (not used).
    """

    file: str
    format: str
    n_rows: int
    n_rows_used: int
    unused_rows: dict
    duplicates: pd.DataFrame
    duplicate_policy: str
    quirks: tuple = ()
    extra_columns: tuple = ()
    conflicting_cells: int = 0

    def lines(self) -> list[str]:
        """The report as short human-readable lines."""
        out = [(f"{self.file}: {self.n_rows} rows read as format {self.format}; "
                f"{self.n_rows_used} used")]
        out += [f"  {n} rows not used: {why}" for why, n in self.unused_rows.items()]
        if len(self.duplicates):
            n_conf = int(self.duplicates["conflicting"].sum())
            out.append(f"  {len(self.duplicates)} duplicated (unit, reader) pairs, {n_conf} with "
                       f"conflicting values ({self.conflicting_cells} cells); policy "
                       f"'{self.duplicate_policy}'")
        out += [f"  note: {q}" for q in self.quirks]
        out += [f"  column '{c}' is not part of the format and was not used"
                for c in self.extra_columns]
        return out


def read_readers(path, *, format: str | None = None,
                 duplicates: DuplicatePolicy = "missing") -> Ratings:
    """Parse an individual-readers file into :class:`~adjudicate.Ratings`.

    Parameters
    ----------
    path : str or Path
        A CSV file with one row per (unit, reader): the all-findings
        ``test_individual_readers.csv`` or four-findings ``individual_readers.csv`` format
        (detected from the header), or a file in either format that you made.
    format : str, optional
        Force a format (see :func:`adjudicate.io.schema_names`).
    duplicates : {"missing", "first", "last", "error"}
        What to do when one reader has several rows for one unit. ``"missing"`` (default)
        keeps values the rows agree on and makes findings they disagree on missing for that
        reader, since neither read can be preferred; ``"first"``/``"last"`` keep one row;
        ``"error"`` refuses the file. Identical repeats are merged under every policy except
        ``"error"``. The report (``ratings.report``) lists every pair.

    Returns
    -------
    Ratings
        With ``clusters`` = patient ids, ``meta`` holding per-unit columns (e.g. ``set``),
        and ``report`` (a :class:`ParseReport`).

    Examples
    --------
    >>> from adjudicate.datasets import dataset_path
    >>> r = read_readers(dataset_path("four_findings", "readers"))
    >>> r.shape
    (4376, 22, 4)
    >>> r.categories_of("Fracture"), r.categories_of("Pneumothorax")
    (('NO', 'YES'), ('NO', 'HEDGE', 'YES'))
    >>> r.report.unused_rows
    {'duplicate (unit, reader) rows merged by policy missing': 4}
    """
    if duplicates not in DUPLICATE_POLICIES:
        raise ValueError(f"duplicates must be one of {DUPLICATE_POLICIES}, got {duplicates!r}")
    table = read_table(path, schema=format, kind=None if format else "readers")
    if table.schema.kind != "readers":
        raise InputError(f"format {table.schema.name} is a {table.schema.kind} format, not a "
                         "readers format", file=table.path)
    return ratings_from_table(table, duplicates=duplicates)


def ratings_from_table(table: Table, *, duplicates: DuplicatePolicy = "missing") -> Ratings:
    """Build :class:`~adjudicate.Ratings` from a validated readers :class:`Table`."""
    s: Schema = table.schema
    df = table.data
    unit_col, reader_col = s.field_named("unit"), s.field_named("reader")
    cluster_col = s.field_named("cluster") if s.fields_with("cluster") else None
    finding_fields = s.fields_with("finding")
    findings = [f["name"] for f in finding_fields]
    cats = s.categories

    unit_codes, units = pd.factorize(df[unit_col], sort=False)
    reader_codes, readers = pd.factorize(df[reader_col], sort=True)
    n_u, n_r, n_f = len(units), len(readers), len(findings)

    values = np.empty((len(df), n_f), dtype=np.int8)
    allowed = np.zeros((n_f, len(cats)), dtype=bool)
    for j, f in enumerate(finding_fields):  # a loop over columns at the edge, not over rows
        codes = f.get("codes", {})
        col = df[f["name"]].map(codes) if codes else df[f["name"]]
        values[:, j] = pd.Categorical(col, categories=list(cats)).codes
        enum = f.get("constraints", {}).get("enum", cats)
        allowed[j] = [c in {codes.get(e, e) for e in enum} for c in cats]

    per_unit = _per_unit_values(table, unit_codes, n_u, cluster_col)

    key = unit_codes.astype(np.int64) * n_r + reader_codes
    order, skey, starts, sizes, conflict, merged = merge_duplicates(key, values, duplicates)
    dup_groups = np.flatnonzero(sizes > 1)

    dup_table = _duplicate_table(table, order, starts, sizes, dup_groups, conflict, findings,
                                 units, readers, skey, n_r, duplicates)
    n_conf_pairs = int(conflict[dup_groups].any(axis=1).sum())
    if duplicates == "error" and len(dup_groups):
        first = dup_table.iloc[0]
        raise InputError(f"reader {first['reader']} has {first['n_rows']} rows for unit "
                         f"{first['unit']} (lines {first['lines']}); {len(dup_groups)} such "
                         f"pairs, {n_conf_pairs} conflicting (duplicates='error')",
                         file=table.path, row=int(first["lines"].split(",")[1]))

    codes = np.full((n_u, n_r, n_f), MISSING, dtype=np.int8)
    pair_key = skey[starts]
    codes[pair_key // n_r, pair_key % n_r] = merged

    n_extra = int((sizes - 1).sum())
    unused = {}
    if n_extra:
        verb = {"first": "dropped (kept the first)", "last": "dropped (kept the last)",
                "missing": "merged"}[duplicates]
        unused[f"duplicate (unit, reader) rows {verb} by policy {duplicates}"] = n_extra
    report = ParseReport(
        file=table.path, format=s.name, n_rows=len(df), n_rows_used=len(df) - n_extra,
        unused_rows=unused, duplicates=dup_table, duplicate_policy=duplicates,
        quirks=tuple(table.quirks), extra_columns=tuple(table.extra_columns),
        conflicting_cells=int(conflict[dup_groups].sum()),
    )
    notes = tuple(report.lines()[1:])
    ratings = Ratings(
        codes=codes, categories=cats, units=pd.Index(units, name=unit_col),
        readers=pd.Index(readers, name=reader_col), findings=pd.Index(findings, name="finding"),
        allowed=allowed, clusters=per_unit.pop("__cluster__", None),
        meta=pd.DataFrame(per_unit, index=pd.Index(units, name=unit_col)),
        positive=positive_category(cats, s.positive), source=Path(table.path).name,
        notes=notes, report=report,
    )
    return ratings


def merge_duplicates(key: np.ndarray, values: np.ndarray, policy: DuplicatePolicy):
    """Group rows by ``key`` and merge each group's values by a duplicates policy.

    The one home of the duplicate rule for every parser. ``values`` holds category codes,
    shape ``(n_rows, n_values)``. Rows sharing a key are one read repeated: ``"missing"``
    keeps values the rows agree on and sets those they disagree on to :data:`MISSING`;
    ``"first"``/``"last"`` keep one row (in file order); ``"error"`` merges like
    ``"missing"`` (the caller refuses the file).

    Returns
    -------
    order : ndarray
        Stable sort of the rows by key.
    skey : ndarray
        The sorted keys.
    starts, sizes : ndarray
        Start (in ``order``) and size of each group.
    conflict : ndarray of bool, shape (n_groups, n_values)
        Where a group's rows disagree.
    merged : ndarray of int8, shape (n_groups, n_values)
        One row of values per group.
    """
    order = np.argsort(key, kind="stable")
    skey = key[order]
    starts = np.flatnonzero(np.r_[True, skey[1:] != skey[:-1]])
    sizes = np.diff(np.r_[starts, len(skey)])
    svals = values[order]
    lo = np.minimum.reduceat(svals, starts, axis=0)
    hi = np.maximum.reduceat(svals, starts, axis=0)
    conflict = lo != hi
    if policy == "first":
        merged = svals[starts]
    elif policy == "last":
        merged = svals[starts + sizes - 1]
    else:
        merged = np.where(conflict, MISSING, lo).astype(np.int8)
    return order, skey, starts, sizes, conflict, merged


def _per_unit_values(table: Table, unit_codes: np.ndarray, n_u: int,
                     cluster_col: str | None) -> dict:
    """Per-unit columns (cluster, meta); each must be constant within a unit."""
    s = table.schema
    cols = {f["name"]: f.get("meta", f["name"]) for f in s.fields_with("meta")}
    if cluster_col:
        cols[cluster_col] = "__cluster__"
    out = {}
    first = np.full(n_u, -1)
    # first row of each unit
    first[unit_codes[::-1]] = np.arange(len(unit_codes))[::-1]
    for col, name in cols.items():
        v = table.data[col].to_numpy(dtype=object)
        per_unit = v[first]
        differs = v != per_unit[unit_codes]
        if differs.any():
            i = int(np.flatnonzero(differs)[0])
            raise InputError(f"unit {table.data.iloc[i][s.field_named('unit')]} has "
                             f"{col} {v[i]!r} here but {per_unit[unit_codes[i]]!r} on line "
                             f"{table.rows[first[unit_codes[i]]]}; it must be the same on every "
                             "row of a unit", file=table.path, row=int(table.rows[i]), column=col)
        out[name] = per_unit
    return out


def _duplicate_table(table, order, starts, sizes, dup_groups, conflict, findings, units,
                     readers, skey, n_r, policy) -> pd.DataFrame:
    cols = ["unit", "reader", "n_rows", "lines", "conflicting", "conflicting_findings", "action"]
    if not len(dup_groups):
        return pd.DataFrame(columns=cols)
    lines = table.rows[order]
    recs = []
    act = {"first": "kept the first row", "last": "kept the last row",
           "missing": "conflicting findings set to missing", "error": "refused"}[policy]
    fnames = np.asarray(findings, dtype=object)
    for g in dup_groups:  # one record per duplicated pair (a handful): reporting, not compute
        k = skey[starts[g]]
        conf = list(fnames[conflict[g]])
        recs.append({
            "unit": units[k // n_r], "reader": readers[k % n_r], "n_rows": int(sizes[g]),
            "lines": ",".join(str(x) for x in lines[starts[g]:starts[g] + sizes[g]]),
            "conflicting": bool(conf), "conflicting_findings": ", ".join(conf),
            "action": act if conf or policy in ("first", "last") else "identical rows merged",
        })
    return pd.DataFrame.from_records(recs, columns=cols)
