"""The core data model: a dense rating tensor ``codes[unit, reader, finding]``.

Everything in the package flows through :class:`Ratings`. Parsers build one at the edge;
statistics consume one (or a plain units x raters array, wrapped on entry with
:meth:`Ratings.from_array`). Codes are small integers indexing one shared, ordered category
vocabulary; :data:`MISSING` marks a reader who did not read a unit (never a category).
Which categories a finding's design allows is kept per finding (``allowed``): for the
four-findings data HEDGE is allowed for Pneumothorax and Nodule/mass only, so Gwet's AC1 and
Brennan-Prediger use q = 3 categories there and q = 2 for Fracture.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

__all__ = ["MISSING", "VOCABULARIES", "Ratings", "as_ratings", "known_vocabulary", "positive_category"]

MISSING = -1
"""Code of a read that does not exist (reader did not read the unit)."""

_CODE_DTYPE = np.int8


@dataclass(frozen=True, eq=False)
class Ratings:
    """Categorical ratings of units by readers, for one or more findings.

    Parameters
    ----------
    codes : ndarray of int8, shape (n_units, n_readers, n_findings)
        Index into ``categories``; :data:`MISSING` (-1) where a reader did not read a unit.
    categories : tuple
        The ordered category vocabulary shared by all findings (e.g. ``("NO", "HEDGE", "YES")``).
        Order matters for ordinal statistics and for tie-breaking in votes.
    units, readers, findings : pandas.Index
        Labels of the three axes.
    allowed : ndarray of bool, shape (n_findings, n_categories), optional
        Categories each finding's design allows. Default: all.
    clusters : ndarray, shape (n_units,), optional
        Cluster (patient) id of each unit; images of one patient are not independent.
    meta : pandas.DataFrame, optional
        Per-unit metadata (set, view, ...), indexed like ``units``.
    positive : hashable, optional
        The category that means "present" for binary summaries (``"YES"`` for NIH data).
    source : str, optional
        Where the ratings came from (file name), for messages and reports.
    notes : tuple of str, optional
        Human-readable notes on how the ratings were built (parser decisions).
    report : object, optional
        The parser's full report (:class:`adjudicate.io.ParseReport`) when read from a file.

    Examples
    --------
    >>> r = Ratings.from_array([["YES", "NO"], ["NO", "NO"], ["YES", None]])
    >>> r.shape
    (3, 2, 1)
    >>> r.categories
    ('NO', 'YES')
    >>> r.counts()[:, 0, :].tolist()   # per unit: how many reads in each category
    [[1, 1], [2, 0], [0, 1]]
    """

    codes: np.ndarray
    categories: tuple
    units: pd.Index
    readers: pd.Index
    findings: pd.Index
    allowed: np.ndarray | None = None
    clusters: np.ndarray | None = None
    meta: pd.DataFrame | None = None
    positive: Hashable | None = None
    source: str | None = None
    notes: tuple[str, ...] = field(default=())
    report: object = field(default=None, repr=False)

    def __post_init__(self):
        codes = np.asarray(self.codes)
        if codes.ndim != 3:
            raise ValueError(f"codes must be 3-D (units, readers, findings), got {codes.ndim}-D")
        k = len(self.categories)
        if k > np.iinfo(_CODE_DTYPE).max:
            raise ValueError(f"categories: too many ({k}); at most {np.iinfo(_CODE_DTYPE).max} "
                             "distinct labels fit the int8 codes")
        codes = codes.astype(_CODE_DTYPE, copy=False)
        if codes.size and (codes.min() < MISSING or codes.max() >= k):
            raise ValueError(f"codes must lie in [-1, {k - 1}]")
        units, readers, findings = (x if isinstance(x, pd.Index) else pd.Index(x)
                                    for x in (self.units, self.readers, self.findings))
        for name, idx, n in (("units", units, codes.shape[0]), ("readers", readers, codes.shape[1]),
                             ("findings", findings, codes.shape[2])):
            if len(idx) != n:
                raise ValueError(f"{name} has {len(idx)} labels for an axis of length {n}")
        allowed = (np.ones((codes.shape[2], k), bool) if self.allowed is None
                   else np.asarray(self.allowed, bool))
        if allowed.shape != (codes.shape[2], k):
            raise ValueError(f"allowed must have shape {(codes.shape[2], k)}, got {allowed.shape}")
        clusters = None if self.clusters is None else np.asarray(self.clusters)
        if clusters is not None and clusters.shape != (codes.shape[0],):
            raise ValueError("clusters must hold one id per unit")
        meta = (pd.DataFrame(index=units) if self.meta is None else self.meta)
        if len(meta) != codes.shape[0]:
            raise ValueError("meta must have one row per unit")
        if self.positive is not None and self.positive not in self.categories:
            raise ValueError(f"positive category {self.positive!r} is not among {self.categories}")
        codes.setflags(write=False)
        allowed.setflags(write=False)
        set_ = object.__setattr__
        set_(self, "codes", codes)
        set_(self, "categories", tuple(self.categories))
        set_(self, "units", units)
        set_(self, "readers", readers)
        set_(self, "findings", findings)
        set_(self, "allowed", allowed)
        set_(self, "clusters", clusters)
        set_(self, "meta", meta)
        set_(self, "notes", tuple(self.notes))

    # ------------------------------------------------------------------ shape
    @property
    def shape(self) -> tuple[int, int, int]:
        """``(n_units, n_readers, n_findings)``."""
        return self.codes.shape

    @property
    def n_units(self) -> int:
        return self.codes.shape[0]

    @property
    def n_readers(self) -> int:
        return self.codes.shape[1]

    @property
    def n_findings(self) -> int:
        return self.codes.shape[2]

    @property
    def n_categories(self) -> int:
        return len(self.categories)

    def __repr__(self) -> str:
        u, r, f = self.shape
        return (f"Ratings({u} units x {r} readers x {f} findings, categories={self.categories}, "
                f"{int(self.observed.sum())} reads" + (f", source={self.source!r}" if self.source else "")
                + ")")

    # ------------------------------------------------------------ summaries
    @property
    def observed(self) -> np.ndarray:
        """Boolean ``(units, readers, findings)``: True where a read exists."""
        return self.codes != MISSING

    def n_reads(self) -> np.ndarray:
        """Reads per unit and finding, shape ``(n_units, n_findings)``."""
        return self.observed.sum(axis=1)

    def counts(self, dtype=np.int32) -> np.ndarray:
        """Per-unit category counts ``n[unit, finding, category]``.

        The sufficient statistic of every rater-exchangeable coefficient (Fleiss, AC1,
        Krippendorff). Missing reads are not counted.
        """
        u, _, f = self.shape
        k = self.n_categories
        out = np.zeros((u, f, k), dtype=dtype)
        for c in range(k):  # k is 2 or 3 here: a loop over categories, not units
            np.sum(self.codes == c, axis=1, out=out[:, :, c], dtype=dtype)
        return out

    def indicators(self) -> np.ndarray:
        """One-hot reads ``x[unit, reader, finding, category]`` (bool); all False if missing."""
        return self.codes[..., None] == np.arange(self.n_categories, dtype=_CODE_DTYPE)

    def categories_of(self, finding) -> tuple:
        """The categories the design allows for one finding."""
        j = self.findings.get_loc(finding)
        return tuple(c for c, a in zip(self.categories, self.allowed[j]) if a)

    def cluster_codes(self) -> tuple[np.ndarray, int]:
        """Integer cluster index of each unit and the number of clusters.

        Units without cluster ids are their own clusters. Numbered by
        :func:`adjudicate.resample.resolve_clusters` (the one home of cluster numbering), in
        sorted id order.
        """
        from .resample import resolve_clusters

        design = resolve_clusters(None, self, warn=False)
        return design.codes, design.n_clusters

    # ---------------------------------------------------------- transforms
    def select(self, *, units=None, readers=None, findings=None) -> Ratings:
        """A subset by labels (or a boolean mask for ``units``), keeping the given order.

        Examples
        --------
        >>> r = Ratings.from_array([[0, 1, 1], [1, 1, 0]], readers=["a", "b", "c"])
        >>> r.select(readers=["c", "a"]).readers.tolist()
        ['c', 'a']
        """
        ui = _positions(self.units, units, "unit")
        ri = _positions(self.readers, readers, "reader")
        fi = _positions(self.findings, findings, "finding")
        codes = self.codes[np.ix_(ui, ri, fi)]
        return replace(
            self, codes=codes, units=self.units[ui], readers=self.readers[ri],
            findings=self.findings[fi], allowed=self.allowed[fi],
            clusters=None if self.clusters is None else self.clusters[ui],
            meta=self.meta.iloc[ui],
        )

    def recode(self, mapping: Mapping, *, drop_unused: bool = True) -> Ratings:
        """Map categories to others (or to ``None`` = missing), e.g. a HEDGE policy.

        Categories absent from ``mapping`` stay as they are. With ``drop_unused`` the
        vocabulary loses categories nothing maps to any more.

        Examples
        --------
        >>> r = Ratings.from_array([["NO", "HEDGE", "YES"]], categories=["NO", "HEDGE", "YES"])
        >>> r.recode({"HEDGE": "NO"}).categories
        ('NO', 'YES')
        >>> r.recode({"HEDGE": None}).observed.sum()
        np.int64(2)
        """
        for c in mapping:
            if c not in self.categories:
                raise ValueError(f"cannot recode {c!r}: not a category {self.categories}")
        target = [mapping.get(c, c) for c in self.categories]
        for t in target:
            if t is not None and t not in self.categories:
                raise ValueError(f"cannot recode to {t!r}: not a category {self.categories}")
        keep = [c for c in self.categories if c in target] if drop_unused else list(self.categories)
        new_index = {c: i for i, c in enumerate(keep)}
        lut = np.array([MISSING if t is None else new_index[t] for t in target] + [MISSING],
                       dtype=_CODE_DTYPE)
        codes = lut[self.codes]  # index -1 picks the trailing MISSING
        allowed = np.zeros((self.n_findings, len(keep)), bool)
        for i, t in enumerate(target):
            if t is not None:
                allowed[:, new_index[t]] |= self.allowed[:, i]
        positive = self.positive if self.positive in keep else None
        return replace(self, codes=codes, categories=tuple(keep), allowed=allowed,
                       positive=positive)

    # ---------------------------------------------------------- conversion
    def to_frame(self) -> pd.DataFrame:
        """Long tidy table: one row per read that exists, the layout :meth:`from_frame` reads.

        Columns ``unit, reader, finding, category``, then ``cluster`` (when the ratings carry
        clusters) and the per-unit metadata columns; rows unit by unit, in unit order. A unit
        nobody read gets one row with no reader, finding or category, so its cluster and
        metadata are kept. ``attrs["adjudicate.ratings"]`` holds what a table of reads cannot
        show: all readers, findings and categories in order (also those nobody read or
        used), the positive category and the categories each finding allows. So
        ``Ratings.from_frame(r.to_frame())`` rebuilds ``r``.

        Examples
        --------
        >>> Ratings.from_array([["a", None]]).to_frame()
           unit  reader  finding category
        0     0       0        0        a
        """
        ui, ri, fi = np.nonzero(self.observed)
        unread = np.flatnonzero(~self.observed.any(axis=(1, 2)))
        if len(unread):  # one row per unit nobody read, for its cluster and metadata
            order = np.argsort(np.r_[ui, unread], kind="stable")
            ui = np.r_[ui, unread][order]
            ri = np.r_[ri, np.full(len(unread), -1)][order]
            fi = np.r_[fi, np.full(len(unread), -1)][order]
        codes = np.where(ri >= 0, self.codes[ui, np.maximum(ri, 0), np.maximum(fi, 0)], MISSING)

        def column(index, pos):
            if (pos >= 0).all():
                return index[pos]
            return np.where(pos >= 0, np.asarray(index, dtype=object)[np.maximum(pos, 0)], None)

        cats = np.asarray(list(self.categories) + [None], dtype=object)
        frame = pd.DataFrame({
            "unit": self.units[ui], "reader": column(self.readers, ri),
            "finding": column(self.findings, fi), "category": cats[codes],
        })
        if self.clusters is not None:
            frame["cluster"] = self.clusters[ui]
        for col in self.meta.columns:
            if col not in frame.columns:
                frame[col] = self.meta[col].to_numpy()[ui]
        allowed = {f: [c for c, a in zip(self.categories, row) if a]
                   for f, row in zip(self.findings, self.allowed) if not row.all()}
        frame.attrs["adjudicate.ratings"] = {
            "readers": list(self.readers), "findings": list(self.findings),
            "categories": list(self.categories), "positive": self.positive, "allowed": allowed}
        return frame

    @classmethod
    def from_frame(cls, frame, **options) -> Ratings:
        """Ratings from a table of reads: the inverse of :meth:`to_frame`.

        Any reader study's table is read the same way (long layout ``unit, reader, finding,
        label`` or wide layout ``unit, reader, <one column per finding>``, column names
        recognised or given, categories inferred or given): ``options`` are those of
        :func:`adjudicate.io.read_ratings`, which also reads CSV and Parquet files.

        Examples
        --------
        >>> r = Ratings.from_array([["YES", "NO"], ["NO", None]], categories=["NO", "YES"],
        ...                        readers=["a", "b"], clusters=["p1", "p1"])
        >>> back = Ratings.from_frame(r.to_frame())
        >>> (back.codes == r.codes).all(), back.categories, list(back.clusters)
        (np.True_, ('NO', 'YES'), ['p1', 'p1'])
        >>> import pandas as pd
        >>> long = pd.DataFrame({"case_id": ["c1", "c1", "c2"], "rater": ["x", "y", "x"],
        ...                      "finding": "Mass", "label": ["NO", "YES", "YES"]})
        >>> Ratings.from_frame(long).codes[:, :, 0].tolist()
        [[0, 1], [1, -1]]
        """
        from .io.generic import read_ratings

        return read_ratings(frame, **options)

    def where(self, *, keep_readers: bool = False, **conditions) -> Ratings:
        """The units whose per-unit metadata match: ``column=value`` or ``column=[values]``.

        Values match as given or as text, so ``where(set="val")`` and ``where(age=40)`` or
        ``where(age="40")`` all work. Several conditions must all hold. Readers who read none
        of the units kept are left out (a split read by its own reader pool gives that pool),
        unless ``keep_readers``.

        Examples
        --------
        >>> import pandas as pd
        >>> long = pd.DataFrame({"unit": ["a", "a", "b", "c"], "reader": ["x", "y", "x", "x"],
        ...                      "label": [1, 0, 1, 1], "view": ["PA", "PA", "AP", "PA"]})
        >>> r = Ratings.from_frame(long)
        >>> r.where(view="PA").units.tolist(), r.where(view=["AP", "PA"]).n_units
        (['a', 'c'], 3)
        """
        if not conditions:
            return self
        mask = np.ones(self.n_units, bool)
        for col, want in conditions.items():
            if col not in self.meta.columns:
                raise KeyError(f"no per-unit column {col!r}; the ratings have: "
                               f"{list(self.meta.columns) or 'none'}")
            wanted = [want] if isinstance(want, (str, bytes)) or np.ndim(want) == 0 else list(want)
            values = self.meta[col]
            text = values.map(_label_text, na_action="ignore")
            hit = (values.isin(wanted) | text.isin([_label_text(w) for w in wanted])).to_numpy()
            if not hit.any():
                seen = sorted({_label_text(v) for v in values.dropna()})
                raise ValueError(f"no unit has {col}={want!r}; {col} holds: "
                                 + ", ".join(seen[:12]) + (" ..." if len(seen) > 12 else ""))
            mask &= hit
        kept = self.select(units=mask)
        if keep_readers:
            return kept
        return kept.select(readers=kept.observed.any(axis=(0, 2)))

    def labels(self) -> pd.DataFrame:
        """Wide table of category labels, one row per (unit, reader), NaN where missing."""
        cats = np.asarray(list(self.categories) + [None], dtype=object)
        flat = cats[self.codes.reshape(-1, self.n_findings)]
        idx = pd.MultiIndex.from_product([self.units, self.readers], names=["unit", "reader"])
        return pd.DataFrame(flat, index=idx, columns=self.findings)

    @classmethod
    def from_array(cls, data, *, categories: Sequence | None = None, units=None, readers=None,
                   findings=None, clusters=None, positive=None) -> Ratings:
        """Wrap a units x raters array (one finding) or units x raters x findings array.

        Missing reads are ``None`` or NaN (also ``pandas.NA``). Category labels may be strings
        or numbers; their order is ``categories`` if given (the full set, including categories
        nobody used), else the sorted distinct values.

        Anything else that cannot be a label is an error, never a category: an infinite
        number, and the text a missing cell often turns into -- an empty (or blank) string,
        ``"nan"``, ``"NA"``, ``"None"``, ``"null"`` -- unless ``categories`` lists it
        explicitly. Ragged or nested rows are an error too.

        Raises
        ------
        ValueError
            Ragged rows, a value outside ``categories``, an infinite value, text that looks
            like a missing cell, or more than 127 categories.

        Examples
        --------
        >>> r = Ratings.from_array([[1, 2], [3, None]], categories=[1, 2, 3, 4])
        >>> r.codes[:, :, 0].tolist()
        [[0, 1], [2, -1]]
        """
        arr = _object_array(data, "data")
        if arr.ndim == 2:
            arr = arr[:, :, None]
        if arr.ndim != 3:
            raise ValueError(f"data: expected a 2-D (units x raters) or 3-D array, got "
                             f"{arr.ndim}-D")
        flat = pd.Series(arr.ravel(), dtype=object)
        present = flat.notna().to_numpy()
        check_labels(flat.to_numpy(), present, arr.shape, categories)
        if categories is None:
            uniq = pd.unique(flat[present])
            try:
                categories = sorted(uniq)
            except TypeError:
                categories = sorted(uniq, key=str)
        categories = tuple(_plain(c) for c in categories)
        if len(set(categories)) != len(categories):
            raise ValueError(f"categories repeat: {categories}")
        codes = pd.Categorical(flat.where(present, None), categories=list(categories)).codes
        bad = present & (codes == MISSING)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            u, r, f = np.unravel_index(i, arr.shape)
            raise ValueError(f"value {flat[i]!r} (unit {u}, rater {r}, finding {f}) is not one "
                             f"of the categories {categories}")
        n_u, n_r, n_f = arr.shape
        positive = positive_category(categories, positive)
        return cls(
            codes=codes.reshape(arr.shape),
            categories=categories,
            units=pd.RangeIndex(n_u) if units is None else units,
            readers=pd.RangeIndex(n_r) if readers is None else readers,
            findings=pd.RangeIndex(n_f) if findings is None else findings,
            clusters=clusters,
            positive=positive,
        )

    @classmethod
    def from_labels(cls, table: pd.DataFrame, *, reader: str = "reference",
                    categories: Sequence | None = None, clusters=None,
                    positive=None) -> Ratings:
        """A units x findings table of labels as a one-reader :class:`Ratings`.

        The shape of a reference standard (published labels, a vote): one label per unit
        and finding, NaN/None where there is none (missing, never a category).

        Examples
        --------
        >>> t = pd.DataFrame({"Mass": ["YES", None], "Nodule": ["NO", "NO"]}, index=["a", "b"])
        >>> r = Ratings.from_labels(t, reader="published")
        >>> r.shape, list(r.readers), r.codes[:, 0, 0].tolist()
        ((2, 1, 2), ['published'], [1, -1])
        """
        lab = table.astype(object).where(table.notna(), None).to_numpy()
        return cls.from_array(lab[:, None, :], categories=categories, units=table.index,
                              readers=pd.Index([reader]), findings=table.columns,
                              clusters=None if clusters is None else np.asarray(clusters),
                              positive=positive)


VOCABULARIES: tuple[tuple, ...] = (
    (0, 1), (False, True), ("NO", "YES"), ("NO", "HEDGE", "YES"),
    ("negative", "positive"), ("absent", "present"), ("normal", "abnormal"),
)
"""The known label vocabularies, each in category order with its positive category last.

The one place that says which label of a known vocabulary means "present"
(:func:`positive_category`) and in which order its categories go
(:func:`adjudicate.io.infer_categories`). Labels match as text ignoring case (``"yes"``,
``1.0`` and ``"1"`` are spellings of ``"YES"`` and ``1``)."""


def known_vocabulary(categories: Sequence) -> tuple | None:
    """The smallest known vocabulary (:data:`VOCABULARIES`) holding every category, or None.

    Examples
    --------
    >>> known_vocabulary(("HEDGE", "NO")), known_vocabulary(["abnormal", "normal"])
    (('NO', 'HEDGE', 'YES'), ('normal', 'abnormal'))
    >>> known_vocabulary((0, 1, 2)) is None
    True
    """
    texts = {_label_text(c).lower() for c in categories} - {""}
    if not texts:
        return None
    for vocab in VOCABULARIES:
        if texts <= {_label_text(v).lower() for v in vocab}:
            return vocab
    return None


def positive_category(categories: Sequence, positive=None, *, required: bool = False):
    """Which category is "positive": the one rule of the package.

    In order:

    1. the category given (``positive``, e.g. ``Ratings.positive``);
    2. categories within a known vocabulary (:data:`VOCABULARIES`: ``0/1``, ``False/True``,
       ``NO/YES``, ``NO/HEDGE/YES``, ``negative/positive``, ``absent/present``,
       ``normal/abnormal``, in any order and case): its positive category (1, True, YES,
       positive, present, abnormal), or none when nobody used it (``(0,)``, ``("NO",
       "HEDGE")``);
    3. ``"YES"`` if it is a category (also beside labels of no known vocabulary);
    4. of two other categories, the second in the categories' order.

    Otherwise it is not known: None, or with ``required=True`` an error asking for
    ``positive=``. Every constructor (:meth:`Ratings.from_array`, :meth:`Ratings.from_frame`,
    :func:`~adjudicate.io.read_ratings`, :func:`~adjudicate.read_readers`) and every binary
    statistic follows it.

    Examples
    --------
    >>> positive_category(("NO", "HEDGE", "YES")), positive_category((0, 1))
    ('YES', 1)
    >>> positive_category(("abnormal", "normal")), positive_category(("mild", "severe"))
    ('abnormal', 'severe')
    >>> positive_category((0,)) is None        # one category: is it the positive one?
    True
    >>> positive_category(("a", "b", "c"), required=True)
    Traceback (most recent call last):
    ...
    ValueError: which category is positive? pass positive= (categories are ('a', 'b', 'c'))
    """
    label, _ = _positive_rule(categories, positive)
    if label is None and required:
        raise ValueError(f"which category is positive? pass positive= (categories are "
                         f"{tuple(categories)})")
    return label


def _positive_rule(categories: Sequence, positive=None) -> tuple[object, str]:
    """:func:`positive_category` and which step of its rule decided (for notes)."""
    categories = tuple(categories)
    if positive is not None:
        if positive not in categories:
            raise ValueError(f"positive category {positive!r} is not among {categories}")
        return positive, "as given"
    vocab = known_vocabulary(categories)
    if vocab is not None:
        key = _label_text(vocab[-1]).lower()
        found = [c for c in categories if _label_text(c).lower() == key]
        return (found[0], "the last of a known vocabulary") if found else (None, "")
    if "YES" in categories:
        return "YES", "YES"
    if len(categories) == 2:
        return categories[-1], ("the second of two categories: give positive= if the other "
                                "one means 'present'")
    return None, ""


def as_ratings(data, *, categories: Sequence | None = None) -> Ratings:
    """Return ``data`` if it is a :class:`Ratings`, else wrap an array-like with ``from_array``.

    The one validation path every statistic uses on entry. ``categories`` given with a
    ``Ratings`` must list its vocabulary (possibly extended by unused categories).

    Examples
    --------
    >>> as_ratings([[1, 1], [0, 1]]).shape
    (2, 2, 1)
    """
    if isinstance(data, Ratings):
        if categories is None or tuple(categories) == data.categories:
            return data
        categories = tuple(categories)
        missing = [c for c in data.categories if c not in categories]
        if missing:
            raise ValueError(f"categories {categories} omit used categories {missing}")
        lut = np.array([categories.index(c) for c in data.categories] + [MISSING], _CODE_DTYPE)
        allowed = np.ones((data.n_findings, len(categories)), bool)
        return replace(data, codes=lut[data.codes], categories=categories, allowed=allowed)
    if isinstance(data, pd.DataFrame):
        data = data.astype(object).where(data.notna(), None).to_numpy()
    return Ratings.from_array(data, categories=categories)


_MISSING_TEXT = frozenset({"", "nan", "na", "n/a", "none", "null", "nat", "<na>"})


def _object_array(data, name: str) -> np.ndarray:
    """``data`` as an object array; ragged or nested rows are a ValueError naming ``name``."""
    try:
        arr = np.asarray(data, dtype=object)
    except ValueError as e:  # numpy: "setting an array element with a sequence ..."
        raise ValueError(f"{name} is ragged: its rows have different lengths ({e})") from None
    if arr.ndim == 1 and arr.size and isinstance(arr[0], (list, tuple, np.ndarray)):
        lengths = sorted({len(x) if hasattr(x, "__len__") else 1 for x in arr})
        raise ValueError(f"{name} is ragged: its rows have different lengths {lengths[:5]}")
    return arr


def check_labels(values: np.ndarray, present: np.ndarray, shape: tuple,
                 categories=None) -> None:
    """Refuse values that cannot be category labels; one home for every array entry point.

    Missing is ``None``/NaN only (``present`` False there). An infinite number, and a string
    that is blank or spells a missing value (``"nan"``, ``"NA"``, ...), is an error naming its
    position, unless ``categories`` lists it explicitly.
    """
    declared = set() if categories is None else {c for c in categories if isinstance(c, str)}
    kept = values[present]
    try:
        distinct = pd.unique(pd.Series(kept, dtype=object))
    except TypeError:  # unhashable cells
        raise ValueError("data is ragged or nested: a cell holds a list or other unhashable "
                         "value; rows must be flat sequences of labels") from None
    for v in distinct:  # a loop over the distinct values (a handful), not over cells
        why = None
        if isinstance(v, str):
            if v.strip().lower() in _MISSING_TEXT and v not in declared:
                why = ("an empty string" if not v.strip() else f"the text {v!r}") + \
                    ", not a label; a missing read is None or NaN (or list the text in " \
                    "categories if it really is a category)"
        elif isinstance(v, (float, np.floating)) and not np.isfinite(v):
            why = "infinite, not a label; a missing read is None or NaN"
        elif isinstance(v, (bytes, bytearray)):
            why = "bytes; decode it to text first"
        elif isinstance(v, (tuple, frozenset)):
            why = "a sequence, not a label (the rows are nested)"
        if why:
            hit = pd.Series(kept, dtype=object).map(lambda x, bad=v: x is bad or x == bad)
            i = int(np.flatnonzero(present)[np.flatnonzero(hit.to_numpy(bool))[0]])
            raise ValueError(f"data: value {v!r} at {_where(i, shape)} is {why}")


def _where(i: int, shape: tuple) -> str:
    pos = np.unravel_index(i, shape)
    names = ("unit", "rater", "finding")
    return "(" + ", ".join(f"{n} {int(p)}" for n, p in zip(names, pos)) + ")"


def _label_text(x) -> str:
    """A label, id or metadata value as text: ``1.0`` -> ``"1"``, ``True`` -> ``"True"``,
    strings stripped. How labels given in one vocabulary match those written in another."""
    if isinstance(x, (bool, np.bool_)):
        return "True" if x else "False"
    if isinstance(x, (float, np.floating)) and float(x).is_integer():
        return str(int(x))
    return str(x).strip()


_BINARY_VALUES = {_label_text(v).lower(): float(i)
                  for vocab in VOCABULARIES if len(vocab) == 2 for i, v in enumerate(vocab)}
"""Labels of the two-category known vocabularies as text (lower case) -> 1.0 (positive) or
0.0 (negative): ``yes``, ``1``, ``true``, ``positive``, ``present``, ``abnormal`` -> 1.0."""


def _binary_value(label) -> float:
    """A binary reference label as a number: 1.0 (the positive of a two-category known
    vocabulary, any case or spelling: ``"YES"``, ``1``, ``"1.0"``, ``True``, ``"present"``),
    0.0 (its negative), NaN (no label: None/NaN), -1.0 (anything else, for the caller to
    report)."""
    if label is None or (not isinstance(label, str) and pd.isna(label)):
        return np.nan
    text = _label_text(label).lower()
    if text not in _BINARY_VALUES:
        try:
            text = _label_text(float(text))  # "1.0" is 1 as text too
        except ValueError:
            pass
    return _BINARY_VALUES.get(text, -1.0)


def _plain(x):
    """numpy scalar -> Python scalar so categories print and compare plainly."""
    return x.item() if isinstance(x, np.generic) else x


def _positions(index: pd.Index, wanted, what: str) -> np.ndarray:
    if wanted is None:
        return np.arange(len(index))
    arr = np.asarray(wanted)
    if arr.dtype == bool:
        if arr.shape != (len(index),):
            raise ValueError(f"{what} mask must have length {len(index)}")
        return np.flatnonzero(arr)
    if isinstance(wanted, (str, bytes)) or np.ndim(wanted) == 0:
        wanted = [wanted]
    wanted = list(wanted)
    seen = pd.Index([str(w) for w in wanted])
    if seen.has_duplicates:  # a repeated label would compare a reader with itself
        rep = sorted(set(seen[seen.duplicated()]))
        raise ValueError(f"{what}s: {', '.join(repr(r) for r in rep)} given more than once; "
                         f"list each {what} once")
    pos = index.get_indexer(wanted)
    if (pos < 0).any():
        unknown = [w for w, p in zip(wanted, pos) if p < 0]
        # reader ids are often typed as numbers by users: match on their text too
        text = pd.Index(index.astype(str))
        retry = text.get_indexer([str(w) for w in unknown])
        if (retry < 0).any():
            bad = [w for w, p in zip(unknown, retry) if p < 0]
            raise KeyError(f"unknown {what}(s) {bad}; known: {list(index[:10])}"
                           + (" ..." if len(index) > 10 else ""))
        pos[pos < 0] = retry
    return pos
