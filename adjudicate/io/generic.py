"""Any reader study in: the long and the wide layout -> :class:`~adjudicate.Ratings`.

Two layouts, as CSV, Parquet or a pandas DataFrame:

- **long**: one row per read, ``unit, reader, finding, label`` (the columns
  :meth:`Ratings.to_frame <adjudicate.Ratings.to_frame>` writes), optionally a ``cluster``
  column (e.g. the patient) and other per-unit columns (set, view, age band). Without a
  finding column there is one finding, named after the label column.
- **wide**: one row per (unit, reader), one column per finding (the NIH reader files' shape,
  and :meth:`Ratings.labels <adjudicate.Ratings.labels>`).

Column names are given (``unit=``, ``reader=``, ...) or recognised from common spellings
(``case_id``, ``Image ID``, ``rater``, ``annotator``, ``rating``, ``Patient ID``, ...; the
list is the ``synonyms`` of ``data_schemas/generic_long.json``, compared ignoring case,
spaces, ``_`` and ``-``). Labels may be any vocabulary; the category order and the positive
category are given or inferred by :func:`infer_categories`, and the result's notes say which.
An empty cell (or NaN) is a missing read, never a category. Every row not used is counted in
the :class:`~adjudicate.io.ParseReport`; bad input is an :class:`~adjudicate.InputError`
naming the file, row (the line number in a CSV, header = 1; the 1-based record number in a
Parquet file or DataFrame) and column.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import InputError
from ..ratings import MISSING, Ratings, _positive_rule, known_vocabulary
from ..ratings import _label_text as _text
from .readers import DUPLICATE_POLICIES, DuplicatePolicy, ParseReport, merge_duplicates
from .schemas import _csv_header, _text_rows, load_schema, read_text, schema_names

__all__ = ["LAYOUTS", "infer_categories", "read_ratings"]

LAYOUTS = ("long", "wide")
_ROLES = ("unit", "reader", "finding", "label", "cluster")
_LONE_READER = "\x00reader"
"""Column added to a table without a reader column: its labels are one reader's."""
_FRAME_ATTR = "adjudicate.ratings"
"""Key of ``DataFrame.attrs`` where :meth:`Ratings.to_frame` keeps what a table of reads
cannot show (the categories each finding allows, the positive category)."""


def _norm(name) -> str:
    return re.sub(r"[\s_\-]+", "", str(name)).lower()


@cache
def _spec() -> tuple[dict, frozenset]:
    """Recognised spellings per role and the wide layout's per-unit column names, from the
    generic schema."""
    s = load_schema("generic_long")
    spellings = {f["role"]: frozenset(_norm(x) for x in [f["name"], *f.get("synonyms", ())])
                 for f in s.fields}
    meta = frozenset(_norm(x) for x in s.raw.get("metaColumns", ()))
    return spellings, meta


# --------------------------------------------------------------------------- categories
def infer_categories(labels, *, categories=None, positive=None) -> tuple[tuple, object, str]:
    """The ordered categories of some labels and the positive category: given or inferred.

    The rule, in order:

    1. ``categories`` given: that order; every label must be one of them (compared as text,
       so ``"1"`` matches ``1``).
    2. The distinct labels (as text, ignoring case) fall within a known vocabulary
       (:data:`adjudicate.ratings.VOCABULARIES`): ``0 < 1``, ``False < True``, ``NO < YES``,
       ``NO < HEDGE < YES``, ``negative < positive``, ``absent < present``,
       ``normal < abnormal`` (the smallest that holds them): that order, completed with the
       categories nobody used (spelled like the used ones); ``0/1`` become integers and
       ``True/False`` booleans.
    3. Otherwise: integers sorted as numbers, anything else sorted as text.

    The positive category is the one given (matched as text), else the package's one rule,
    :func:`~adjudicate.ratings.positive_category`: the last category of a known vocabulary
    (1, True, YES, positive, present, abnormal), else ``"YES"``, else the second of two
    categories; with more there is no positive category (binary statistics then need
    ``positive=``).

    Parameters
    ----------
    labels : iterable
        The labels (missing values excluded).
    categories : sequence, optional
        The full ordered vocabulary, including categories nobody used.
    positive : optional
        The category that means "present"; must be one of the categories (as text).

    Returns
    -------
    categories : tuple
    positive : object or None
    how : str
        One line saying what was given and what was inferred (for the notes).

    Examples
    --------
    >>> infer_categories(["1", "0", "1"])[:2]
    ((0, 1), 1)
    >>> infer_categories(["NO", "NO"])[:2]           # completed: YES was never used
    (('NO', 'YES'), 'YES')
    >>> infer_categories(["mild", "severe", "moderate"])[:2]
    (('mild', 'moderate', 'severe'), None)
    >>> infer_categories(["3", "1", "12"])[:2]
    ((1, 3, 12), None)
    >>> infer_categories(["mild"], categories=["mild", "moderate", "severe"], positive="severe")[:2]
    (('mild', 'moderate', 'severe'), 'severe')
    """
    texts = sorted({_text(x) for x in labels} - {""})
    if categories is not None:
        cats = tuple(_plain(c) for c in categories)
        if len({_text(c) for c in cats}) != len(cats):
            raise ValueError(f"categories repeat: {cats}")
        how = f"categories {cats} as given"
    else:
        cats, how = _known_vocabulary(texts)
        if cats is None:
            if texts and all(re.fullmatch(r"[+-]?\d+", t) for t in texts):
                cats = tuple(sorted(int(t) for t in texts))
                how = f"categories {cats} inferred (integers, in numeric order)"
            else:
                cats = tuple(texts)
                how = f"categories {cats} inferred (sorted as text)"
    if positive is not None:
        match = [c for c in cats if _text(c) == _text(positive)]
        if not match:
            raise ValueError(f"positive category {positive!r} is not one of the categories "
                             f"{cats}")
        positive = match[0]
    positive, why = _positive_rule(cats, positive)
    if positive is None:
        how += "; no positive category (give one for binary statistics)"
    else:
        how += f"; positive category {positive!r} " + (why if why == "as given" else f"({why})")
    return cats, positive, how


def _known_vocabulary(texts: list[str]) -> tuple[tuple | None, str]:
    vocab = known_vocabulary(texts)
    if vocab is None:
        return None, ""
    if isinstance(vocab[0], bool):
        cats = tuple(vocab)
    elif isinstance(vocab[0], int):
        cats = tuple(int(v) for v in vocab)
    else:
        keys = [_text(v).lower() for v in vocab]
        used = [t for t in texts if t.lower() in keys]
        style = (str.upper if all(t.isupper() for t in used) else
                 str.title if all(t.istitle() for t in used) else str.lower)
        spelled = {t.lower(): t for t in used}
        cats = tuple(spelled.get(k, style(k)) for k in keys)
    return cats, f"categories {cats} inferred (known vocabulary)"


def _plain(x):
    return x.item() if isinstance(x, np.generic) else x


# --------------------------------------------------------------------------- reading
def read_ratings(source, *, layout: str | None = None, unit=None, reader=None, finding=None,
                 label=None, cluster=None, findings=None, meta=None, categories=None,
                 positive=None, allowed=None, duplicates: DuplicatePolicy = "missing",
                 require_reader: bool = False) -> Ratings:
    """Read any reader study (long or wide layout; CSV, Parquet or DataFrame) as Ratings.

    Parameters
    ----------
    source : str, Path or DataFrame
        A CSV file, a Parquet file (``.parquet``/``.pq``; needs ``pyarrow``) or a DataFrame.
        An NIH individual-readers file (a header with the NIH finding columns) is read by
        :func:`adjudicate.read_readers`, by the rules of its format, unless columns or
        categories are given.
        A DataFrame's named index levels are read as columns (so the output of
        :meth:`Ratings.labels <adjudicate.Ratings.labels>` reads back).
    layout : {"long", "wide"}, optional
        Default: long when both a finding and a label column are found, wide otherwise.
    unit, reader, finding, label, cluster : str, optional
        Column names; default: recognised from common spellings (``unit``/``case_id``/
        ``image_id``/``Image Index``/``study``; ``reader``/``rater``/``annotator``;
        ``finding``/``label_name``; ``label``/``category``/``rating``/``value``/``grade``;
        ``cluster``/``patient``/``Patient ID``/``subject``). No cluster column: the units are
        independent (statistics say so). No reader column: the table is one reader's labels
        (a reference standard, a model's calls), the reader named after the file. The long layout without a finding column has one
        finding, named after the label column.
    findings : list of str, optional
        Wide layout: the finding columns (default: every column that is not the unit,
        reader or cluster, nor a per-unit column such as ``set``, ``view``, ``age_band``).
    meta : list of str, optional
        Columns that must be per-unit metadata (an error if one varies within a unit).
        Other columns become metadata when constant within every unit, and are reported as
        not used otherwise.
    categories : sequence, optional
        The ordered vocabulary (with categories nobody used); default: inferred by
        :func:`infer_categories`, which the notes report.
    positive : optional
        The category that means "present" (default: inferred for known vocabularies).
    allowed : None, "observed", mapping or bool array, optional
        Categories each finding allows (Gwet's AC1 and Brennan-Prediger count them):
        default every category (or what :meth:`Ratings.to_frame` recorded); ``"observed"``:
        those the finding's labels use; a mapping finding -> categories.
    duplicates : {"missing", "first", "last", "error"}
        Several rows for one (unit, reader, finding) read, as for the NIH files
        (:func:`adjudicate.read_readers`): ``"missing"`` (default) keeps a label the rows
        agree on and makes a conflicting read missing; ``"first"``/``"last"`` keep one row;
        ``"error"`` refuses the file. The report lists every duplicate.
    require_reader : bool, default False
        Refuse a table without a reader column (where reads by several readers are needed)
        instead of reading it as one reader's labels.

    Returns
    -------
    Ratings
        ``clusters`` from the cluster column (also in ``meta`` under its own name, unless
        it is called ``cluster``), ``meta`` holding the per-unit columns, ``notes`` and
        ``report`` (a :class:`~adjudicate.io.ParseReport`) saying what was recognised,
        inferred and not used.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "case_id": ["c1", "c1", "c2", "c2", "c3"],
    ...     "rater": ["A", "B", "A", "B", "A"],
    ...     "finding": "Mass",
    ...     "rating": [1, 0, 1, 1, None]})
    >>> r = read_ratings(df)
    >>> r.shape, r.categories, r.positive
    ((3, 2, 1), (0, 1), 1)
    >>> r.codes[:, :, 0].tolist()           # c3 was read by A with an empty label: missing
    [[1, 0], [1, 1], [-1, -1]]
    >>> r.report.unused_rows
    {'label empty (a missing read)': 1}
    """
    if layout is not None and layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    if duplicates not in DUPLICATE_POLICIES:
        raise ValueError(f"duplicates must be one of {DUPLICATE_POLICIES}, got {duplicates!r}")
    nih = None if isinstance(source, pd.DataFrame) else nih_kind(source)
    if nih == "readers" and all(v is None for v in (layout, unit, reader, finding, label,
                                                    cluster, findings, meta, categories)):
        from .readers import read_readers

        return read_readers(source, duplicates=duplicates)  # its format's rules and checks
    df, rows, name, fmt, read_quirks = _load(source)
    attrs = source.attrs.get(_FRAME_ATTR, {}) if isinstance(source, pd.DataFrame) else {}
    given = {"unit": unit, "reader": reader, "finding": finding, "label": label,
             "cluster": cluster}
    cols, quirks = _roles(list(df.columns), given, name)
    quirks = read_quirks + quirks
    if layout is None:
        layout = "long" if cols["label"] and cols["finding"] else "wide"
    if cols["reader"] is None and cols["unit"] is not None and not require_reader:
        # a label file (a reference standard, a model's calls): one reader
        lone = "labels" if fmt == "DataFrame" else Path(name).stem
        df = df.assign(**{_LONE_READER: lone})
        cols["reader"] = _LONE_READER
        quirks.append(f"no reader column: one reader, '{lone}' (a label file)")
    for role in ("unit", "reader"):
        if cols[role] is None:
            raise InputError(f"no {role} column found: name it ({role}=..., or --{role}-column "
                             f"on the command line); columns: {list(df.columns)}",
                             file=name, row=1)
    if layout == "long" and cols["label"] is None:
        raise InputError(f"no label column found for the long layout: name it (label=...); "
                         f"columns: {list(df.columns)}", file=name, row=1)
    if attrs and layout == "long":  # what to_frame recorded: every level, in order
        levels = {role: attrs[key] for role, key in (("reader", "readers"), ("finding", "findings"),
                                                      ("label", "categories"))
                  if key in attrs and cols[role] is not None}
        df = df.assign(**{cols[role]: pd.Categorical(df[cols[role]], categories=values)
                          for role, values in levels.items()})
    build = _Build(df, rows, name, fmt, cols, duplicates)
    if layout == "long":
        build.long()
    else:
        build.wide(findings, meta)
    if categories is None and layout == "long" and isinstance(df[cols["label"]].dtype,
                                                             pd.CategoricalDtype):
        categories = list(df[cols["label"]].cat.categories)  # the full vocabulary, in order
    build.code_labels(categories, positive if positive is not None else attrs.get("positive"))
    if positive is None and "positive" in attrs:  # what to_frame recorded, even "none"
        build.positive = attrs["positive"]
    build.per_unit(meta)
    build.merge()
    return build.ratings(allowed if allowed is not None else attrs.get("allowed"), quirks)


def nih_kind(source) -> str | None:
    """``"readers"`` or ``"labels"`` when a file is meant as an NIH file of that kind, else None.

    Meant as NIH: its header holds at least half the finding columns of a bundled NIH format
    (then the NIH parser reads it, and its precise errors name anything missing or wrong); a
    readers file also has the format's reader column.

    Examples
    --------
    >>> from adjudicate.datasets import dataset_path
    >>> nih_kind(dataset_path("all_findings", "readers")), nih_kind(dataset_path("all_findings", "labels"))
    ('readers', 'labels')
    """
    import csv

    path = Path(source)
    if path.suffix.lower() in (".parquet", ".pq") or not path.is_file():
        return None
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        header = set(next(csv.reader([fh.readline()]), []))
    schemas = [load_schema(n) for n in schema_names()]
    kinds = [s.kind for s in schemas
             if sum(s.header_of(f) in header for f in s.fields_with("finding"))
             >= max(2, len(s.fields_with("finding")) / 2)]
    reader_columns = {s.header_of(f) for s in schemas for f in s.fields_with("reader")}
    if "readers" in kinds and header & reader_columns:
        return "readers"
    return kinds[0] if kinds else None


def _load(source) -> tuple[pd.DataFrame, np.ndarray, str, str, list]:
    """The table, each row's number for messages, the name for messages, the format, and
    what reading the file met (encoding, compression: notes for the report)."""
    if isinstance(source, pd.DataFrame):
        df = source
        if any(n is not None for n in df.index.names):
            df = df.reset_index()
        df = df.reset_index(drop=True)
        return df, np.arange(1, len(df) + 1), "DataFrame", "DataFrame", []
    path = Path(source)
    if path.suffix.lower() in (".parquet", ".pq"):
        try:
            df = pd.read_parquet(path)
        except ImportError:
            raise InputError('reading Parquet needs pyarrow (pip install "adjudicate[parquet]" '
                             "or pyarrow); or save the table as CSV", file=str(path)) from None
        except FileNotFoundError:
            raise InputError("no such file", file=str(path)) from None
        except (OSError, ValueError) as e:
            raise InputError(f"not a readable Parquet file ({e})", file=str(path)) from None
        if df.empty:
            raise InputError("the file has no rows", file=str(path))
        return (df.reset_index(drop=True), np.arange(1, len(df) + 1), str(path), "Parquet",
                [])
    name = str(path)
    text, quirks = read_text(path)  # the one safe entry point of every parser
    df, rows = _text_rows(text, _csv_header(text, name), name)
    return df, rows, name, "CSV", quirks


def _roles(columns: list, given: dict, name: str) -> tuple[dict, list]:
    """Column of each role: given (must exist) or recognised (must be unambiguous)."""
    spellings = _spec()[0]
    out, quirks, taken = {}, [], set()
    for role in _ROLES:
        if given[role] is not None:
            if given[role] not in columns:
                raise InputError(f"unknown column {given[role]!r} given for the {role}s; "
                                 f"columns: {columns}", file=name, row=1, column=given[role])
            out[role] = given[role]
            taken.add(given[role])
    for role in _ROLES:
        if role in out:
            continue
        hits = [c for c in columns if _norm(c) in spellings[role] and c not in taken]
        if len(hits) > 1 and role in hits:  # the canonical name wins (to_frame writes it)
            hits = [role]
        if len(hits) > 1:
            raise InputError(f"columns {hits} could each be the {role} column; name one "
                             f"({role}=...)", file=name, row=1, column=hits[0])
        out[role] = hits[0] if hits else None
        if hits:
            taken.add(hits[0])
            if hits[0] != role:
                quirks.append(f"column '{hits[0]}' read as the {role}")
    return out, quirks


def _factorize(values, *, sort: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize`` where blank strings are empty cells too (code -1); mixed types that
    cannot be sorted are sorted as text."""
    try:
        codes, levels = pd.factorize(values, sort=sort)
    except TypeError:
        codes, levels = pd.factorize(values)
        rank = np.argsort(np.argsort([_text(v) for v in levels], kind="stable"))
        codes = np.where(codes >= 0, rank[np.maximum(codes, 0)], -1)
        levels = np.asarray(levels, dtype=object)[np.argsort(rank)]
    blank = np.array([isinstance(v, str) and not v.strip() for v in levels], bool)
    if blank.any():  # a check per distinct value, not per row
        remap = np.full(len(levels), -1)
        remap[~blank] = np.arange(int((~blank).sum()))
        codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
        levels = np.asarray(levels)[~blank]
    return np.asarray(codes, dtype=np.int64), np.asarray(levels)


def _codes(col: pd.Series, *, sort: bool) -> tuple[np.ndarray, pd.Index]:
    """Integer code of each cell (-1 = empty) and the levels: a Categorical's own levels
    (all of them, in order), else first appearance or sorted."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.cat.codes.to_numpy().astype(np.int64), pd.Index(col.cat.categories)
    codes, levels = _factorize(col, sort=sort)
    return codes, pd.Index(levels)


class _Build:
    """The steps of :func:`read_ratings`, sharing the table and what each step found."""

    def __init__(self, df, rows, name, fmt, cols, duplicates):
        self.df, self.rows, self.name, self.fmt = df, rows, name, fmt
        self.cols, self.policy = cols, duplicates
        self.unused: dict[str, int] = {}
        self.quirks: list[str] = []
        self.unit_codes, self.units = _codes(df[cols["unit"]], sort=False)
        self.reader_codes, self.readers = _codes(df[cols["reader"]], sort=True)

    # ---- layout-specific: which cells are labels, and of which (row, finding)
    def long(self):
        c = self.cols
        self.layout = "long"
        if c["finding"] is not None:
            self.finding_codes, self.findings = _codes(self.df[c["finding"]], sort=False)
        else:
            self.findings = pd.Index([c["label"]])
            self.finding_codes = np.zeros(len(self.df), np.int64)
            self.quirks.append(f"no finding column: one finding, '{c['label']}'")
        self.label_columns = [c["label"]]
        self.used = {c[r] for r in _ROLES if c[r] is not None}

    def wide(self, findings, meta):
        c = self.cols
        self.layout = "wide"
        keys = {c["unit"], c["reader"], c["cluster"]} - {None}
        if findings is not None:
            findings = [findings] if isinstance(findings, str) else list(findings)
            self._require(findings, "finding")
        else:
            skip = set(meta or ()) | keys
            meta_names = _spec()[1]
            findings = [x for x in self.df.columns if x not in skip and _norm(x) not in meta_names]
            if not findings:
                raise InputError("no finding columns: besides the unit and reader columns the "
                                 "table has none", file=self.name, row=1)
        self.findings = pd.Index(findings)
        self.finding_codes = None
        self.label_columns = list(findings)
        self.used = keys | set(findings)

    def _require(self, names, what: str) -> None:
        """Every named column exists, else an error naming the first one missing."""
        for name in names:
            if name not in self.df.columns:
                raise InputError(f"unknown {what} column {name!r}; columns: "
                                 f"{list(self.df.columns)}", file=self.name, row=1, column=name)

    # ---- labels -> category codes
    def code_labels(self, categories, positive):
        cells = self.df[self.label_columns]
        raw_codes, uniques = pd.factorize(cells.iloc[:, 0] if cells.shape[1] == 1 else
                                          cells.to_numpy(dtype=object).ravel())
        texts = np.array([_text(u) for u in uniques] + [""], dtype=object)
        present_u = texts[:-1] != ""
        self.categories, self.positive, how = infer_categories(
            texts[:-1][present_u], categories=categories, positive=positive)
        if len(self.categories) > 100:
            raise InputError(f"{len(self.categories)} distinct labels: a label column holds "
                             "categories (name the right one with label=, or give categories=)",
                             file=self.name, row=1, column=self.label_columns[0])
        if not self.categories:
            raise InputError("no labels: every label cell is empty", file=self.name, row=1,
                             column=self.label_columns[0])
        self.quirks.append(how)
        lookup = {_text(c): i for i, c in enumerate(self.categories)}
        if categories is None and any(isinstance(c, str) for c in self.categories):
            lookup.update({_text(c).lower(): i for i, c in enumerate(self.categories)})
        code_of_u = np.array([lookup.get(t, lookup.get(t.lower(), -2)) if t else MISSING
                              for t in texts[:-1]] + [MISSING], dtype=np.int64)
        codes = code_of_u[raw_codes].reshape(cells.shape)
        bad = codes == -2
        if bad.any():
            i, j = np.argwhere(bad)[0]
            n = int(bad.sum())
            raise InputError(f"label {cells.iat[i, j]!r} is not one of the categories "
                             f"{self.categories}" + (f" (and {n - 1} more cells)" if n > 1 else ""),
                             file=self.name, row=int(self.rows[i]), column=cells.columns[j])
        self.label_codes = codes.astype(np.int8)  # (n_rows, n_label_columns)

    # ---- per-unit columns: cluster, metadata
    def per_unit(self, meta):
        n_u = len(self.units)
        u = self.unit_codes
        idx = np.flatnonzero(u >= 0)
        first = np.full(n_u, -1)
        first[u[idx][::-1]] = idx[::-1]
        self.first = first
        strict = set(meta or ())
        self._require(strict, "metadata")
        c = self.cols
        self.clusters = None
        self.meta = {}
        if c["cluster"] is not None:
            self.clusters = self._constant(c["cluster"], idx, strict=True, what="cluster id")
            if c["cluster"] != "cluster":
                self.meta[c["cluster"]] = self.clusters
        others = [x for x in self.df.columns if x not in self.used or x in strict]
        for col in others:
            values = self._constant(col, idx, strict=col in strict, what=f"{col}")
            if values is not None:
                self.meta[col] = values

    def _constant(self, col, idx, *, strict, what):
        """One value per unit, or None (reported) when the column varies within a unit."""
        series = self.df[col]
        codes, _ = _factorize(series)
        u = self.unit_codes
        ref = codes[self.first[u[idx]]]
        differs = codes[idx] != ref
        if differs.any():
            k = idx[np.flatnonzero(differs)[0]]
            f0 = self.first[u[k]]
            if strict:
                raise InputError(f"unit {self.units[u[k]]!r} has {what} "
                                 f"{series.iat[k]!r} here but {series.iat[f0]!r} on row "
                                 f"{self.rows[f0]}; it must be the same on every row of a unit",
                                 file=self.name, row=int(self.rows[k]), column=col)
            self.quirks.append(f"column '{col}' varies within units (e.g. unit "
                               f"{self.units[u[k]]!r}, rows {self.rows[f0]} and "
                               f"{self.rows[k]}): not per-unit metadata, not used")
            return None
        values = series.iloc[np.maximum(self.first, 0)].to_numpy(dtype=object).copy()
        empty = (self.first < 0) | (codes[np.maximum(self.first, 0)] < 0)
        if strict and what == "cluster id" and empty.any():
            k = int(np.flatnonzero(empty)[0])
            raise InputError(f"unit {self.units[k]!r} has no {what}", file=self.name,
                             row=int(self.rows[self.first[k]]) if self.first[k] >= 0 else None,
                             column=col)
        values[empty] = None
        return values

    # ---- duplicates and the tensor
    def merge(self):
        n_u, n_r, n_f = len(self.units), len(self.readers), len(self.findings)
        has_label = self.label_codes != MISSING
        keys_ok = (self.unit_codes >= 0) & (self.reader_codes >= 0)
        if self.layout == "long":
            keys_ok &= self.finding_codes >= 0
            read = has_label[:, 0]
            empty_rows = ~read
            if empty_rows.any():
                self.unused["label empty (a missing read)"] = int(empty_rows.sum())
        else:
            read = has_label.any(axis=1)
            empty_rows = ~read
            if empty_rows.any():
                self.unused["every finding empty (no read)"] = int(empty_rows.sum())
        orphan = read & ~keys_ok
        if orphan.any():
            i = int(np.flatnonzero(orphan)[0])
            role = next(r for r in ("unit", "reader", "finding") if self.cols[r] is not None
                        and getattr(self, f"{r}_codes") is not None
                        and getattr(self, f"{r}_codes")[i] < 0)
            raise InputError(f"a label without a {role}: the {role} cell is empty",
                             file=self.name, row=int(self.rows[i]), column=self.cols[role])
        rows_i = np.flatnonzero(read)
        u, r = self.unit_codes[rows_i], self.reader_codes[rows_i]
        if self.layout == "long":
            key = (u * n_r + r) * n_f + self.finding_codes[rows_i]
        else:
            key = u * n_r + r
        values = self.label_codes[rows_i]
        order, skey, starts, sizes, conflict, merged = merge_duplicates(key, values, self.policy)
        dup_groups = np.flatnonzero(sizes > 1)
        self.duplicates = self._duplicate_table(rows_i, order, skey, starts, sizes, dup_groups,
                                                conflict, n_r, n_f)
        n_extra = int((sizes - 1).sum())
        what = "(unit, reader, finding)" if self.layout == "long" else "(unit, reader)"
        if self.policy == "error" and len(dup_groups):
            g = dup_groups[0]
            line = int(self.rows[rows_i[order[starts[g] + 1]]])
            conf = np.flatnonzero(conflict[g])
            col = self.label_columns[conf[0] if len(conf) else 0]
            rec = self.duplicates.iloc[0]
            raise InputError(f"{what} read repeated: reader {rec['reader']!r}, unit "
                             f"{rec['unit']!r} on rows {rec['lines']}"
                             + (" with conflicting labels" if len(conf) else "")
                             + f"; {len(dup_groups)} such reads (duplicates='error')",
                             file=self.name, row=line, column=col)
        if n_extra:
            verb = {"first": "dropped (kept the first)", "last": "dropped (kept the last)",
                    "missing": "merged"}[self.policy]
            self.unused[f"duplicate {what} rows {verb} by policy {self.policy}"] = n_extra
        self.conflicting_cells = int(conflict[dup_groups].sum())
        codes = np.full((n_u, n_r, n_f), MISSING, dtype=np.int8)
        pair = skey[starts]
        if self.layout == "long":
            codes.reshape(-1)[pair] = merged[:, 0]
        else:
            codes.reshape(n_u * n_r, n_f)[pair] = merged
        self.codes = codes

    def _duplicate_table(self, rows_i, order, skey, starts, sizes, dup_groups, conflict,
                         n_r, n_f):
        cols = (["unit", "reader"] + (["finding"] if self.layout == "long" else [])
                + ["n_rows", "lines", "conflicting", "conflicting_findings", "action"])
        if not len(dup_groups):
            return pd.DataFrame(columns=cols)
        act = {"first": "kept the first row", "last": "kept the last row",
               "missing": "conflicting reads set to missing", "error": "refused"}[self.policy]
        lines = self.rows[rows_i[order]]
        recs = []
        for g in dup_groups:  # one record per repeated read (a handful): reporting, not compute
            k = int(skey[starts[g]])
            rec = {}
            if self.layout == "long":
                pair, f = divmod(k, n_f)
                conf = [self.findings[f]] if conflict[g, 0] else []
                rec["finding"] = self.findings[f]
            else:
                pair = k
                conf = list(self.findings[np.flatnonzero(conflict[g])])
            recs.append(rec | {
                "unit": self.units[pair // n_r], "reader": self.readers[pair % n_r],
                "n_rows": int(sizes[g]),
                "lines": ",".join(str(x) for x in lines[starts[g]:starts[g] + sizes[g]]),
                "conflicting": bool(conf), "conflicting_findings": ", ".join(map(str, conf)),
                "action": act if conf or self.policy in ("first", "last")
                else "identical rows merged",
            })
        return pd.DataFrame.from_records(recs, columns=cols)

    # ---- the result
    def ratings(self, allowed, quirks) -> Ratings:
        allowed_arr = _allowed(allowed, self.codes, self.findings, self.categories)
        report = ParseReport(
            file=self.name, format=f"generic {self.layout} ({self.fmt})", n_rows=len(self.df),
            n_rows_used=len(self.df) - sum(self.unused.values()), unused_rows=self.unused,
            duplicates=self.duplicates, duplicate_policy=self.policy,
            quirks=tuple(quirks + self.quirks), extra_columns=(),
            conflicting_cells=self.conflicting_cells)
        index = pd.Index(self.units, name=self.cols["unit"])
        return Ratings(
            codes=self.codes, categories=self.categories, units=index,
            readers=pd.Index(self.readers, name=None if self.cols["reader"] == _LONE_READER
                             else self.cols["reader"]),
            findings=pd.Index(self.findings, name="finding"), allowed=allowed_arr,
            clusters=self.clusters, meta=pd.DataFrame(self.meta, index=index),
            positive=self.positive, source=Path(self.name).name, notes=tuple(report.lines()[1:]),
            report=report)


def _allowed(allowed, codes, findings, categories) -> np.ndarray | None:
    if allowed is None:
        return None
    k = len(categories)
    if isinstance(allowed, str):
        if allowed != "observed":
            raise ValueError(f"allowed must be None, 'observed', a mapping or an array, got "
                             f"{allowed!r}")
        used = (codes[..., None] == np.arange(k)).any(axis=(0, 1))  # (findings, categories)
        return used
    if isinstance(allowed, dict):
        out = np.ones((len(findings), k), bool)
        text = [_text(c) for c in categories]
        for f, cats in allowed.items():
            j = findings.get_loc(f)
            want = {_text(c) for c in cats}
            out[j] = [t in want for t in text]
        return out
    return np.asarray(allowed, bool)
