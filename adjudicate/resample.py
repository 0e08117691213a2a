"""Bootstrap engine: every statistic is a function of sums, so B replicates are one matrix product.

Every coefficient in the package is ``finalize(S.sum(0))`` for a per-unit matrix
``S[unit, stat]`` of sufficient statistics (category counts, pair agreements, 2x2 cells).
Resampling units with replacement only changes how often each row of ``S`` is counted, so a
bootstrap replicate is ``finalize(w @ S)`` with ``w`` the resampling counts of the units, and
B replicates of all findings and all statistics are one product ``W @ S``. A cluster bootstrap
(draw patients, keep all their images) first sums ``S`` within clusters and then draws clusters.

The pipeline, top to bottom:

- :func:`bootstrap_weights` -- the counts ``W[replicate, unit]`` (unit or cluster resampling);
- :func:`bootstrap_sums` -- sums rows of ``S`` within clusters, ``W @ S_clusters`` chunk by chunk,
  ``finalize`` on each chunk, the leave-one-cluster-out jackknife ``finalize(total - S_clusters)``;
- :class:`BootstrapResult` -- keeps the distribution; percentile and BCa intervals from it, with
  the bias correction ``z0`` (:func:`_bias_correction`) and the acceleration ``a``
  (:func:`_acceleration`) of Efron & Tibshirani (1993), chapter 14;
- :func:`paired_difference` -- statistic A minus statistic B on the same replicates.

References
----------
.. [1] B. Efron and R. J. Tibshirani, *An Introduction to the Bootstrap*, Chapman & Hall, 1993,
   sections 13.3 (percentile interval) and 14.3 (BCa, equations 14.14-14.15).
.. [2] A. C. Davison and D. V. Hinkley, *Bootstrap Methods and their Application*, Cambridge
   University Press, 1997, section 3.8 (resampling clustered data: resample the clusters).
"""

from __future__ import annotations

import math
import operator
import os
import sys
import warnings
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd

from ._lazy import ndtr, ndtri

__all__ = [
    "BootstrapResult",
    "ClusterDesign",
    "ClusterJackknife",
    "ConfidenceInterval",
    "IndependentUnitsWarning",
    "bootstrap_sums",
    "bootstrap_weights",
    "check_n_resamples",
    "min_resamples",
    "paired_difference",
    "resolve_clusters",
    "stack_statistics",
]

Method = Literal["percentile", "bca"]
BOOTSTRAP_METHODS = ("percentile", "bca")
"""The bootstrap interval methods (``method=``; the CLI's ``--method`` choices)."""

_BLOCK_ELEMENTS = 1 << 21
"""Largest number of float64 elements (16 MiB) in one block of replicates: bounds memory."""


class ConfidenceInterval(NamedTuple):
    """A two-sided confidence interval: floats, or arrays shaped like the statistic."""

    low: float | np.ndarray
    high: float | np.ndarray


# --------------------------------------------------------------------------- validation
def _positive_int(value, name: str, minimum: int = 1) -> int:
    try:
        number = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}") from None
    if number < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {number}")
    return number


def _check_level(level) -> float:
    level = float(level)
    if not 0 < level < 1:
        raise ValueError(f"confidence_level must lie strictly between 0 and 1, got {level}")
    return level


def _check_method(method) -> str:
    name = str(method).lower()
    if name not in BOOTSTRAP_METHODS:
        raise ValueError(f"method must be one of {BOOTSTRAP_METHODS}, got {method!r}")
    return name


class IndependentUnitsWarning(UserWarning):
    """No clusters are known, so units (images) are resampled as if independent."""


@dataclass(frozen=True, eq=False)
class ClusterDesign:
    """Which units belong together when resampling: the one home of cluster numbering.

    Attributes
    ----------
    codes : ndarray of intp, shape (n_units,)
        Cluster index of each unit, ``0 .. n_clusters - 1``, numbered in the sorted order of
        the cluster ids (of the unit ids when units are independent), so that resampling
        never depends on the order of rows in an input file.
    n_clusters : int
        Number of clusters (units, when independent).
    label : str
        What is resampled, for method columns and reports: ``"patients"``, ``"units"``, or
        the name of the metadata column the clusters came from.
    clustered : bool
        Whether units are grouped (False: every unit is its own cluster).
    """

    codes: np.ndarray
    n_clusters: int
    label: str
    clustered: bool


def _sorted_codes(ids) -> tuple[np.ndarray, int]:
    if isinstance(ids, pd.RangeIndex) and ids.step > 0:   # already distinct and sorted
        return np.arange(len(ids)), len(ids)
    if (isinstance(ids, np.ndarray) and ids.dtype.kind in "iu" and len(ids) > 1
            and not (ids[1:] < ids[:-1]).any()):
        # integer ids in sorted order (units listed patient by patient): a new cluster
        # wherever the id changes
        codes = np.empty(len(ids), np.intp)
        codes[0] = 0
        np.not_equal(ids[1:], ids[:-1], out=codes[1:])
        np.cumsum(codes, out=codes)
        return codes, int(codes[-1]) + 1
    if (isinstance(ids, np.ndarray) and ids.dtype.kind in "iu" and len(ids)
            and ids.min() >= 0 and ids.max() < 4 * len(ids) + 1024):
        # small non-negative integer ids (patient numbers): ranks by counting, no sort
        seen = np.bincount(ids, minlength=1) > 0
        rank = np.cumsum(seen, dtype=np.intp) - 1
        return rank[ids], int(rank[-1]) + 1
    try:
        codes, uniques = pd.factorize(ids, sort=True)
    except TypeError:  # ids of mixed types: order them by their text
        codes, uniques = pd.factorize(pd.Index(ids).astype(str), sort=True)
    return codes.astype(np.intp, copy=False), len(uniques)


def resolve_clusters(clusters=None, ratings=None, *, n_units: int | None = None,
                     warn: bool = True, stacklevel: int = 2) -> ClusterDesign:
    """What a statistic resamples: the one meaning of ``clusters`` in every function.

    Parameters
    ----------
    clusters : None, "unit", str, or sequence of hashable
        ``None`` (every function's default): the clusters the ratings carry
        (``ratings.clusters``, the patients of the NIH data); when they carry none, units are
        independent and an :class:`IndependentUnitsWarning` says so. ``"unit"``: units are
        independent on purpose (no warning). Another string: a column of ``ratings.meta``
        (per-unit metadata); ``"patient"`` also names the ratings' own clusters. A sequence:
        one cluster id per unit.
    ratings : Ratings, optional
        The data whose units are resampled; its unit ids order independent units.
    n_units : int, optional
        Number of units when no ``ratings`` are given.
    warn : bool, default True
        Warn when units are resampled as independent because no clusters are known.

    Returns
    -------
    ClusterDesign

    Examples
    --------
    >>> d = resolve_clusters(["p2", "p1", "p2"], n_units=3)
    >>> d.codes.tolist(), d.n_clusters, d.label
    ([1, 0, 1], 2, 'clusters')
    >>> resolve_clusters("unit", n_units=3).label
    'units'
    """
    if ratings is not None:
        n_units = ratings.n_units
    if n_units is None:
        raise ValueError("resolve_clusters needs ratings or n_units")
    unit_ids = ratings.units if ratings is not None else None

    def independent() -> ClusterDesign:
        if unit_ids is None:
            return ClusterDesign(np.arange(n_units), n_units, "units", False)
        codes, n = _sorted_codes(unit_ids)
        return ClusterDesign(codes, n, "units", False)

    if isinstance(clusters, str):
        if clusters == "unit":
            return independent()
        meta = getattr(ratings, "meta", None)
        if meta is not None and clusters in meta.columns:
            ids, label = meta[clusters].to_numpy(), clusters
        elif clusters == "patient" and ratings is not None and ratings.clusters is not None:
            ids, label = ratings.clusters, "patients"
        else:
            known = [] if meta is None else list(meta.columns)
            raise ValueError(f"clusters={clusters!r} is neither 'unit' nor a per-unit column "
                             f"of the ratings (known: {known or 'none'})")
    elif clusters is None:
        if ratings is None or ratings.clusters is None:
            if warn:
                warnings.warn("no clusters are known: units are resampled as independent "
                              "(pass clusters='unit' to say so, or cluster ids)",
                              IndependentUnitsWarning, stacklevel=stacklevel + 1)
            return independent()
        ids, label = ratings.clusters, "patients"
    else:
        ids, label = clusters, "clusters"
    if isinstance(ids, (pd.Index, pd.Series, np.ndarray)):
        if np.ndim(ids) != 1:
            raise ValueError(f"clusters must be 1-D (one id per unit), got shape "
                             f"{np.shape(ids)}")
    else:
        items = list(ids)
        ids = np.fromiter(items, dtype=object, count=len(items))
    if len(ids) != n_units:
        raise ValueError(f"clusters must hold one id per unit: got {len(ids)} ids for "
                         f"{n_units} units")
    if isinstance(ids, np.ndarray) and ids.dtype.kind in "iub":
        missing = np.zeros(1, bool)          # integer ids cannot be missing: no object copy
    else:
        missing = pd.isna(pd.Series(ids, dtype=object)).to_numpy()
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        where = f"unit {unit_ids[i]!r}" if unit_ids is not None else f"unit {i}"
        raise ValueError(f"clusters must not be missing ({where} has no cluster id)")
    codes, n = _sorted_codes(ids)
    codes.setflags(write=False)   # fixed once numbered: caches may know it by its identity
    return ClusterDesign(codes, n, label, True)


def _design(clusters, n_units: int) -> ClusterDesign:
    """The engine's view of ``clusters``: a :class:`ClusterDesign`, ids (numbered by
    :func:`resolve_clusters`, in sorted id order), or None (every unit its own cluster, in
    the order given: the caller's rows are its units)."""
    if isinstance(clusters, ClusterDesign):
        if len(clusters.codes) != n_units:
            raise ValueError(f"clusters must hold one id per unit: the design has "
                             f"{len(clusters.codes)} units, the statistics {n_units}")
        return clusters
    if clusters is None or (isinstance(clusters, str) and clusters == "unit"):
        return ClusterDesign(np.arange(n_units), n_units, "units", False)
    return resolve_clusters(clusters, n_units=n_units, warn=False)


def _check_clusters(n_clusters: int, clustered: bool) -> None:
    if n_clusters < 2:
        what = "clusters" if clustered else "units"
        raise ValueError(f"a bootstrap needs at least 2 {what}, got {n_clusters}")


def _check_seed(seed):
    """``seed`` as numpy takes it, or a ValueError/TypeError naming ``seed``.

    None, a non-negative integer, a :class:`numpy.random.SeedSequence`, ``BitGenerator`` or
    ``Generator``. A bool, a string, a float or a negative integer is refused (numpy's own
    message would not say which argument was wrong).
    """
    if seed is None or isinstance(seed, (np.random.Generator, np.random.SeedSequence,
                                         np.random.BitGenerator)):
        return seed
    if isinstance(seed, (bool, np.bool_)):
        raise TypeError(f"seed must be None, a non-negative integer or a numpy Generator, "
                        f"got {seed!r}")
    try:
        number = operator.index(seed)
    except TypeError:
        raise TypeError(f"seed must be None, a non-negative integer or a numpy Generator, "
                        f"got {type(seed).__name__} {seed!r}") from None
    if number < 0:
        raise ValueError(f"seed must be a non-negative integer, got {number}")
    return number


def _fresh_seed(seed):
    """The seed to record: a fresh one when none is given, so every run can be repeated.

    A fresh seed is a non-negative 63-bit integer (from the OS entropy of
    :class:`numpy.random.SeedSequence`), short enough to type back as ``--seed``. A given
    seed is validated (:func:`_check_seed`), so a bad one is named.
    """
    seed = _check_seed(seed)
    return int(np.random.SeedSequence().entropy % 2**63) if seed is None else seed


def min_resamples(confidence_level: float = 0.95) -> int:
    """The fewest bootstrap replicates a two-sided interval at ``confidence_level`` can use.

    A percentile (or BCa) endpoint is the ``(1 - confidence_level) / 2`` quantile of the
    replicates. With fewer than ``2 / (1 - confidence_level)`` replicates that tail holds
    less than one replicate, so the endpoint is the most extreme replicate or an
    extrapolation past it -- an interval in name only (``--bootstrap 2`` once printed a
    "95% CI" that excluded the estimate). This is the floor that is refused; for intervals
    worth reporting use at least ``10 / (1 - confidence_level)`` (5 replicates beyond each
    endpoint: 200 at 95%, 1000 at 99%), and thousands for BCa.

    Examples
    --------
    >>> min_resamples(0.95), min_resamples(0.99), min_resamples(0.5)
    (40, 200, 4)
    """
    level = _check_level(confidence_level)
    return max(2, math.ceil(2 / (1 - level) - 1e-9))


def check_n_resamples(n_resamples, confidence_level: float = 0.95, *, n_values: int = 1) -> int:
    """Validate a replicate count before anything is allocated.

    Refuses counts below :func:`min_resamples` for the interval's level, and counts whose
    bootstrap distribution (``n_resamples x n_values`` float64) would not fit in the memory
    available now; warns (RuntimeWarning) below ``10 / (1 - confidence_level)``, where fewer
    than 5 replicates lie beyond each endpoint. Every message names ``n_resamples`` (the
    command line's ``--bootstrap``).

    Examples
    --------
    >>> check_n_resamples(2000)
    2000
    >>> check_n_resamples(2)
    Traceback (most recent call last):
    ...
    ValueError: n_resamples=2 is too few for a 95% interval: each tail needs at least one replicate, so at least 40 (200 or more recommended)
    """
    n = _positive_int(n_resamples, "n_resamples")
    level = _check_level(confidence_level)
    need = min_resamples(level)
    if n < need:
        raise ValueError(f"n_resamples={n} is too few for a {level * 100:g}% interval: "
                         f"each tail needs at least one replicate, so at least "
                         f"{need} ({math.ceil(10 / (1 - level) - 1e-9)} or more recommended)")
    advised = math.ceil(10 / (1 - level) - 1e-9)
    if n < advised:
        warnings.warn(f"n_resamples={n} leaves fewer than 5 replicates beyond each end of the "
                      f"{level * 100:g}% interval, so its endpoints are rough; "
                      f"{advised} or more are advised", RuntimeWarning, stacklevel=3)
    _check_memory(n, n_values, "statistics", "the bootstrap distribution")
    return n


def _check_memory(n_resamples: int, n_values: int, what: str, array: str) -> None:
    """Refuse an ``n_resamples x n_values`` float64/int64 array larger than free memory."""
    need_bytes = 8 * n_resamples * max(int(n_values), 1)
    free = _available_memory()
    if free is not None and need_bytes > free:
        raise ValueError(f"n_resamples={n_resamples} needs about {_size(need_bytes)} for "
                         f"{array} ({n_resamples} replicates x {n_values} {what} x 8 bytes), "
                         f"more than the {_size(free)} of memory available; use fewer")


def _available_memory() -> int | None:
    """Bytes of memory available now (Linux ``MemAvailable``; None when unknown)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _size(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PiB"


# --------------------------------------------------------------------------- weights
def _draw(rng: np.random.Generator, n_rows: int, n_clusters: int) -> np.ndarray:
    """``(n_rows, n_clusters)`` cluster numbers: row ``b`` lists the clusters replicate ``b`` draws.

    The one draw of the package's bootstrap: numpy gives the same stream in any blocks of rows.
    """
    return rng.integers(0, n_clusters, size=(n_rows, n_clusters))


def _cluster_counts(rng: np.random.Generator, n_rows: int, n_clusters: int) -> np.ndarray:
    """``(n_rows, n_clusters)`` counts: how often each cluster is drawn in each replicate."""
    idx = _draw(rng, n_rows, n_clusters)
    idx += np.arange(n_rows)[:, None] * n_clusters  # row offsets: one bincount for all rows
    counts = np.bincount(idx.ravel(), minlength=n_rows * n_clusters)
    return counts.reshape(n_rows, n_clusters)


def _chunks(n_resamples: int, width: int):
    """Row ranges ``(start, stop)`` of blocks of replicates holding ~_BLOCK_ELEMENTS values."""
    size = max(1, min(n_resamples, _BLOCK_ELEMENTS // max(width, 1)))
    for start in range(0, n_resamples, size):
        yield start, min(start + size, n_resamples)


def bootstrap_weights(n_units: int, *, clusters: Sequence[Hashable] | None = None,
                      n_resamples: int, seed=None) -> np.ndarray:
    """Resampling counts of the units: row ``b`` says how often each unit is in replicate ``b``.

    Parameters
    ----------
    n_units : int
        Number of units (images). At least 2 (or 2 clusters).
    clusters : ClusterDesign, sequence of hashable, or "unit", optional
        A :class:`ClusterDesign` (from :func:`resolve_clusters`), or one cluster id per unit
        (e.g. patient ids; any hashable values, missing ids are an error), numbered
        ``0 .. n_clusters - 1`` in sorted id order by :func:`resolve_clusters`, so the weights
        of a cluster do not depend on where its rows are. Default (or ``"unit"``): each unit
        is its own cluster, in the order of the rows (the ordinary unit bootstrap).
    n_resamples : int
        Number of bootstrap replicates (rows).
    seed : None, int, numpy.random.SeedSequence or numpy.random.Generator, optional
        Passed to :func:`numpy.random.default_rng`. The same seed gives the same weights.

    Returns
    -------
    weights : ndarray of int64, shape (n_resamples, n_units)
        Unit bootstrap: each row sums to ``n_units``. Cluster bootstrap: every unit carries
        the count of its cluster, so weights are constant within a cluster and the cluster
        counts of a row sum to ``n_clusters``.

    Raises
    ------
    ValueError
        ``n_units`` or ``n_resamples`` not a positive integer; ``clusters`` of the wrong
        length, with missing ids, or fewer than 2 clusters (units).

    Notes
    -----
    The draws are exactly those of ``rng = numpy.random.default_rng(seed)`` followed by
    ``idx = rng.integers(0, n_clusters, size=(n_resamples, n_clusters))``: row ``b`` of ``idx``
    lists the clusters drawn for replicate ``b``. They are taken in blocks of rows, which
    numpy's generator makes identical to one draw (and to drawing row by row), so a slow
    reference loop with the same seed reproduces the same replicates. For the unit bootstrap
    this is also the draw of :func:`scipy.stats.bootstrap` with ``rng=default_rng(seed)``.

    Examples
    --------
    >>> w = bootstrap_weights(5, n_resamples=3, seed=1)
    >>> w.shape, w.sum(axis=1).tolist()
    ((3, 5), [5, 5, 5])

    Two patients with two images each and one with a single image:

    >>> w = bootstrap_weights(5, clusters=["p1", "p1", "p2", "p3", "p3"], n_resamples=4, seed=1)
    >>> bool((w[:, 0] == w[:, 1]).all() and (w[:, 3] == w[:, 4]).all())
    True
    >>> (w[:, [0, 2, 3]].sum(axis=1)).tolist()   # one unit per cluster: counts sum to 3
    [3, 3, 3, 3]
    """
    n_units = _positive_int(n_units, "n_units")
    n_resamples = _positive_int(n_resamples, "n_resamples")
    design = _design(clusters, n_units)
    codes, n_clusters = design.codes, design.n_clusters
    _check_clusters(n_clusters, design.clustered)
    _check_memory(n_resamples, n_units, "units", "the weights")
    rng = np.random.default_rng(_check_seed(seed))
    weights = np.empty((n_resamples, n_units), dtype=np.int64)
    for start, stop in _chunks(n_resamples, max(n_clusters, n_units)):
        weights[start:stop] = _cluster_counts(rng, stop - start, n_clusters)[:, codes]
    return weights


# --------------------------------------------------------------------------- intervals
def _lerp(a, b, t):
    """Linear interpolation written as numpy's quantile writes it (exact at both ends)."""
    diff = b - a
    out = a + diff * t
    np.subtract(b, diff * (1 - t), out=out, where=t >= 0.5)
    return out


def _quantile_pair(x: np.ndarray, q_low: np.ndarray, q_high: np.ndarray):
    """Quantiles ``q_low[j] <= q_high[j]`` of each column ``j`` of ``x``, ignoring NaN.

    Linear interpolation, numpy's default ("linear", Hyndman & Fan type 7). numpy's quantile
    functions take one set of probabilities for all columns while BCa needs its own per
    column, so: one partition brackets the ranks needed at both ends, and only the two thin
    end bands (a few percent of the rows at usual levels) are sorted. NaN where a column has
    no defined value or a probability is NaN.
    """
    n = np.count_nonzero(~np.isnan(x), axis=0)
    ok = (n > 0) & np.isfinite(q_low) & np.isfinite(q_high)
    if not ok.any():
        return np.full(x.shape[1], np.nan), np.full(x.shape[1], np.nan)

    def ranks(q):
        h = np.where(ok, (n - 1) * np.where(ok, q, 0.0), 0.0)
        lo = np.floor(h).astype(np.intp)
        return h, lo, np.minimum(lo + 1, np.maximum(n - 1, 0))

    low, high = ranks(q_low), ranks(q_high)
    k_head, k_tail = int(low[2][ok].max()), int(high[1][ok].min())
    if k_head < k_tail:
        part = np.partition(x, (k_head, k_tail), axis=0)  # NaN sorts last in numpy
        bands = (np.sort(part[:k_head + 1], axis=0), 0), (np.sort(part[k_tail:], axis=0), k_tail)
    else:  # the two ends overlap: sort everything
        whole = np.sort(x, axis=0)
        bands = (whole, 0), (whole, 0)
    cols = np.arange(x.shape[1])
    out = []
    for (band, offset), (h, lo, hi) in zip(bands, (low, high)):
        i = np.clip(lo - offset, 0, len(band) - 1)  # clipping only moves columns not ok
        j = np.clip(hi - offset, 0, len(band) - 1)
        value = _lerp(band[i, cols], band[j, cols], h - lo)
        value[~ok] = np.nan
        out.append(value)
    return out


def _bias_correction(estimate: np.ndarray, distribution: np.ndarray) -> np.ndarray:
    """BCa ``z0``: normal quantile of the share of replicates below the estimate.

    Replicates equal to the estimate count one half (as :func:`scipy.stats.bootstrap` does),
    so a statistic that takes few values is not biased by ties. NaN replicates are ignored.
    """
    n = np.count_nonzero(~np.isnan(distribution), axis=0)
    below = (np.count_nonzero(distribution < estimate, axis=0)
             + np.count_nonzero(distribution <= estimate, axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        return ndtri(below / (2.0 * n))


def _acceleration(jackknife: np.ndarray) -> np.ndarray:
    """BCa ``a`` from leave-one-cluster-out values (Efron & Tibshirani eq. 14.15).

    ``a = sum(d**3) / (6 * sum(d**2) ** 1.5)`` with ``d`` the jackknife mean minus each
    jackknife value; NaN jackknife values are ignored, and a constant jackknife gives 0.
    """
    width = jackknife.shape[1]
    rows = max(1, (1 << 16) // max(width, 1))         # blocks of 512 KiB: no temporary as large
    blocks = [(start, start + rows) for start in range(0, len(jackknife), rows)]  # as the input
    n, total = np.zeros(width, np.int64), np.zeros(width)
    for start, stop in blocks:
        block = jackknife[start:stop]
        n += np.count_nonzero(~np.isnan(block), axis=0)
        total += np.nansum(block, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / n
        num, den = np.zeros(width), np.zeros(width)
        for start, stop in blocks:
            d = mean - jackknife[start:stop]
            d[np.isnan(d)] = 0.0
            square = d * d
            num += np.einsum("ij,ij->j", square, d)
            den += square.sum(axis=0)
    return _acceleration_of(n, num, den)


def _acceleration_of(n: np.ndarray, num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``a = num / (6 den^1.5)`` from ``n`` values, ``num = sum d^3`` and ``den = sum d^2``:
    0 for a constant jackknife, NaN where no value is defined."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / (6.0 * den**1.5), np.where(n > 0, 0.0, np.nan))


class ClusterJackknife:
    """Leave-one-cluster-out values kept once per distinct value, spread to clusters on demand.

    At scale most clusters share their sums with many others, and so their jackknife values:
    ``values[index[c, g]]`` is cluster ``c``'s value for the outputs of block ``g`` (a
    finding; ``block`` says which block each distinct row belongs to). Holds ``n_clusters x
    blocks`` integers instead of ``n_clusters x outputs`` floats; ``np.asarray(j)`` (or :meth:`toarray`) gives the full ``(n_clusters,
    *out_shape)`` array, and indexing or ``reshape`` work on it.

    Examples
    --------
    Three clusters, one block of two outputs: clusters 0 and 2 share their values.

    >>> j = ClusterJackknife(np.array([[0.5, 1.0], [0.7, 1.2]]), np.array([0, 0]),
    ...                      np.array([[0], [1], [0]]), out_shape=(1, 2))
    >>> j.shape
    (3, 1, 2)
    >>> np.asarray(j)[:, 0, 0].tolist()
    [0.5, 0.7, 0.5]
    >>> bool(np.allclose(j.acceleration(), _acceleration(np.asarray(j).reshape(3, -1))))
    True
    """

    def __init__(self, values: np.ndarray, block: np.ndarray, index: np.ndarray,
                 out_shape: tuple):
        self.values, self.block, self.index = values, block, index
        self.out_shape = tuple(out_shape)
        for array in (values, block, index):
            array.setflags(write=False)

    @property
    def shape(self) -> tuple:
        return (self.index.shape[0], *self.out_shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def dtype(self):
        return self.values.dtype

    def __len__(self) -> int:
        return self.index.shape[0]

    def toarray(self) -> np.ndarray:
        """The ``(n_clusters, *out_shape)`` array of every cluster's values."""
        return self.values[self.index].reshape(self.shape)

    def __array__(self, dtype=None, copy=None):
        full = self.toarray()
        return full if dtype is None else full.astype(dtype, copy=False)

    def __getitem__(self, key):
        return self.toarray()[key]

    def reshape(self, *shape):
        return self.toarray().reshape(*shape)

    def acceleration(self) -> np.ndarray:
        """BCa ``a`` of every output, from the distinct values weighted by their clusters."""
        blocks, block_of = self.index.shape[1], self.block
        weight = np.bincount(self.index.ravel(), minlength=len(self.values)).astype(float)
        valid = ~np.isnan(self.values)
        v = np.where(valid, self.values, 0.0)
        w = np.where(valid, weight[:, None], 0.0)              # (n_distinct, per)

        from scipy import sparse
        one_hot = sparse.csr_matrix((np.ones(len(block_of)), (block_of, np.arange(len(block_of)))),
                                    shape=(blocks, len(block_of)))

        def per_block(x):                                      # sums over rows of each block
            return one_hot @ x

        n = per_block(w)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = per_block(w * v) / n
            d = np.where(valid, mean[block_of] - v, 0.0)
            num, den = per_block(w * d**3), per_block(w * d**2)
        return _acceleration_of(n, num, den).reshape(-1)


def _bca_levels(z0, a, alpha: float):
    """Adjusted lower and upper probabilities (Efron & Tibshirani eq. 14.10) and where usable."""
    z_lo, z_hi = ndtri(alpha), ndtri(1 - alpha)
    with np.errstate(invalid="ignore", divide="ignore"):
        den_lo, den_hi = 1 - a * (z0 + z_lo), 1 - a * (z0 + z_hi)
        lo = ndtr(z0 + (z0 + z_lo) / den_lo)
        hi = ndtr(z0 + (z0 + z_hi) / den_hi)
    usable = np.isfinite(z0) & np.isfinite(a) & (den_lo > 0) & (den_hi > 0)
    return lo, hi, usable


def _null_probabilities(x: np.ndarray, null: float) -> tuple[np.ndarray, np.ndarray]:
    """Where each column's quantile function (linear, as :func:`_quantile_pair`) meets ``null``.

    ``L = sup{q: Q(q) <= null}`` and ``U = inf{q: Q(q) >= null}`` (0 or 1 beyond the
    replicates), ignoring NaN: the percentile interval at level ``1 - alpha`` excludes
    ``null`` exactly when ``alpha / 2 > L`` (below) or ``alpha / 2 > 1 - U`` (above).
    """
    n = np.count_nonzero(~np.isnan(x), axis=0)
    ordered = np.sort(x, axis=0)  # NaN last
    at_most = np.count_nonzero(x <= null, axis=0)
    below = np.count_nonzero(x < null, axis=0)
    cols = np.arange(x.shape[1])

    def rank(k):
        """Fractional rank where the polyline through (i, x_i) crosses null, x_{k-1} -> x_k."""
        i = np.clip(k - 1, 0, max(x.shape[0] - 1, 0))
        j = np.clip(k, 0, max(x.shape[0] - 1, 0))
        lo, hi = ordered[i, cols], ordered[j, cols]
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(hi > lo, (null - lo) / (hi - lo), 0.0)
        return (k - 1 + frac) / np.maximum(n - 1, 1)

    with np.errstate(invalid="ignore"):
        low = np.where(at_most == 0, 0.0, np.where(at_most >= n, 1.0, rank(at_most)))
        high = np.where(below == 0, 0.0, np.where(below >= n, 1.0, rank(below)))
    return low, high


# --------------------------------------------------------------------------- result
@dataclass(frozen=True, eq=False)
class BootstrapResult:
    """The bootstrap distribution of a statistic and the intervals it gives.

    Attributes
    ----------
    estimate : float or ndarray
        The statistic on the original data, shape ``out_shape``.
    distribution : ndarray, shape (n_resamples, *out_shape)
        The statistic on every replicate, kept for inspection. NaN where the statistic is
        undefined in a replicate (e.g. kappa when a resample has one category only).
    jackknife : ndarray or ClusterJackknife, shape (n_clusters, *out_shape), or None
        Leave-one-cluster-out values (for the BCa acceleration); None if not computed. A
        :class:`ClusterJackknife` (the values of many clusters held once) when the engine
        found that most clusters share theirs; ``np.asarray`` gives the full array.
    method : {"percentile", "bca"}
        The default interval method of :meth:`confidence_interval`.
    confidence_level : float
        The default confidence level of :meth:`confidence_interval`.
    n_resamples, n_clusters : int
        Number of replicates; number of resampled clusters (units for a unit bootstrap).
    seed
        The seed the weights were drawn from; a fresh integer seed if none was given, so any
        run can be repeated (not reproducible if a ``Generator`` was passed).
    clustered : bool
        Whether clusters (rather than units) were resampled.
    clusters : str
        What was resampled, for method columns: ``"patients"``, ``"units"``, a metadata
        column name, or ``"clusters"`` for ids given as such (:class:`ClusterDesign` label).

    Examples
    --------
    >>> x = np.array([2.0, 4.0, 3.0, 9.0, 1.0, 5.0])
    >>> res = bootstrap_sums(np.c_[x, np.ones_like(x)], lambda s: s[..., 0] / s[..., 1],
    ...                      n_resamples=2000, seed=0)
    >>> float(res.estimate), res.distribution.shape
    (4.0, (2000,))
    >>> low, high = res.confidence_interval(0.9, method="percentile")
    >>> bool(low < 4.0 < high)
    True
    """

    estimate: float | np.ndarray
    distribution: np.ndarray
    jackknife: np.ndarray | ClusterJackknife | None
    method: str
    confidence_level: float
    n_resamples: int
    n_clusters: int
    seed: object
    clustered: bool
    clusters: str = "units"

    def confidence_interval(self, confidence_level: float | None = None, *,
                            method: Method | None = None) -> ConfidenceInterval:
        """Two-sided interval from the stored distribution, for any level and method.

        Parameters
        ----------
        confidence_level : float, optional
            Confidence level in (0, 1). Default: ``self.confidence_level``.
        method : {"percentile", "bca"}, optional
            Default: ``self.method``. ``"percentile"``: the ``alpha/2`` and ``1 - alpha/2``
            quantiles of the distribution. ``"bca"``: bias-corrected and accelerated
            quantiles [1]_, with ``z0`` from the share of replicates below the estimate (ties
            count one half) and the acceleration from the leave-one-cluster-out jackknife.

        Returns
        -------
        ConfidenceInterval
            ``(low, high)``, floats or arrays of the statistic's shape.

        Notes
        -----
        NaN replicates (statistic undefined) are ignored: quantiles and ``z0`` use the defined
        replicates only; :attr:`n_undefined` says how many were dropped per output. The
        interval is NaN where the estimate is NaN or no replicate is defined. When every
        replicate equals the estimate the interval collapses to it (``z0 = 0``, ``a = 0``).
        Where BCa cannot be computed -- the estimate lies outside all replicates (``z0``
        infinite), the jackknife is undefined, or ``1 - a (z0 + z) <= 0`` -- the percentile
        interval is returned for those outputs, with a :class:`RuntimeWarning`. Quantiles use
        linear interpolation (numpy's default "linear" method).

        References
        ----------
        .. [1] B. Efron and R. J. Tibshirani, *An Introduction to the Bootstrap*, 1993, 14.3.

        Examples
        --------
        >>> rng = np.random.default_rng(7)
        >>> x = rng.exponential(size=40)
        >>> res = bootstrap_sums(np.c_[x, np.ones(40)], lambda s: s[..., 0] / s[..., 1],
        ...                      n_resamples=4000, seed=1)
        >>> pct = res.confidence_interval(method="percentile")
        >>> bca = res.confidence_interval(method="bca")
        >>> bool(bca.high > pct.high)   # a right-skewed mean: BCa moves the interval right
        True
        >>> bool(res.confidence_interval(0.5).high < res.confidence_interval(0.99).high)
        True
        """
        level = (self.confidence_level if confidence_level is None
                 else _check_level(confidence_level))
        method = self.method if method is None else _check_method(method)
        if method == "bca" and self.jackknife is None:
            raise ValueError("method='bca' needs the jackknife values, which this result "
                             "does not hold; use method='percentile'")
        if self.n_resamples < min_resamples(level):
            check_n_resamples(self.n_resamples, level)  # raises, naming the count needed
        out_shape = np.shape(self.estimate)
        estimate = np.reshape(np.asarray(self.estimate, dtype=float), -1)
        dist = self.distribution.reshape(self.n_resamples, -1)
        alpha = (1 - level) / 2
        q_lo, q_hi = np.full(estimate.shape, alpha), np.full(estimate.shape, 1 - alpha)
        if method == "bca":
            z0, a = self._bca_terms(estimate, dist)
            bca_lo, bca_hi, usable = _bca_levels(z0, a, alpha)
            fallback = ~usable & ~np.isnan(estimate) & (np.count_nonzero(~np.isnan(dist), 0) > 0)
            if fallback.any():
                warnings.warn(f"BCa interval not computable for {int(fallback.sum())} of "
                              f"{fallback.size} outputs (estimate outside the bootstrap "
                              "distribution or undefined jackknife); using the percentile "
                              "interval there", RuntimeWarning, stacklevel=2)
            q_lo, q_hi = np.where(usable, bca_lo, q_lo), np.where(usable, bca_hi, q_hi)
        low, high = _quantile_pair(dist, q_lo, q_hi)
        undefined = np.isnan(estimate)
        low[undefined] = high[undefined] = np.nan
        return ConfidenceInterval(_shaped(low, out_shape), _shaped(high, out_shape))

    def _bca_terms(self, estimate: np.ndarray, dist: np.ndarray):
        """BCa bias correction ``z0`` and acceleration ``a`` of every output."""
        if self.jackknife is None:
            raise ValueError("method='bca' needs the jackknife values, which this result "
                             "does not hold; use method='percentile'")
        return _bias_correction(estimate, dist), self._acceleration

    @cached_property
    def _acceleration(self) -> np.ndarray:
        """BCa acceleration of every output, from the jackknife (computed once)."""
        if isinstance(self.jackknife, ClusterJackknife):
            return self.jackknife.acceleration()
        return _acceleration(self.jackknife.reshape(self.jackknife.shape[0], -1))

    def p_value(self, null: float = 0.0, *, method: Method | None = None):
        """Two-sided p-value of ``statistic == null``: the inversion of the reported interval.

        The smallest ``alpha`` at which the two-sided interval of ``method`` at level
        ``1 - alpha`` (:meth:`confidence_interval`) excludes ``null``, so that, at any level,
        ``p < 1 - level`` exactly when that interval excludes ``null`` (Davison & Hinkley
        1997, section 4.4: tests from intervals). For the percentile interval this is
        ``2 min(L, 1 - U)`` with ``L``, ``U`` the probabilities at which the (linearly
        interpolated) quantile function of the replicates reaches ``null`` from below and
        from above; for BCa the same probabilities are mapped back through the BCa
        adjustment (Efron & Tibshirani 1993, eq. 14.10, solved for ``alpha``).

        Parameters
        ----------
        null : float, default 0
            The value tested (0: no difference).
        method : {"percentile", "bca"}, optional
            Default: ``self.method``, the method of the reported interval. Outputs where BCa
            is not computable at ``self.confidence_level`` use the percentile inversion, as
            :meth:`confidence_interval` uses the percentile interval there.

        Returns
        -------
        float or ndarray
            Shaped like the statistic. NaN where the estimate or every replicate is
            undefined, and where the defined replicates are all equal: a distribution without
            spread (e.g. a sensitivity resting on one positive unit) measures no uncertainty,
            so it gives no test.

        Examples
        --------
        >>> x = np.array([0.8, 1.1, -0.9, 0.5, 1.6, -0.7, 0.2, -1.3, 0.7, -0.4])
        >>> res = bootstrap_sums(np.c_[x, np.ones(10)], lambda s: s[..., 0] / s[..., 1],
        ...                      n_resamples=2000, seed=4)
        >>> p = res.p_value()
        >>> low, high = res.confidence_interval(1 - p + 1e-9)   # just above the p-value...
        >>> bool(abs(low) < 1e-6)                                # ...the interval reaches 0
        True
        >>> bool(res.confidence_interval(0.95).low > 0) == bool(p < 0.05)
        True
        """
        method = self.method if method is None else _check_method(method)
        out_shape = np.shape(self.estimate)
        estimate = np.reshape(np.asarray(self.estimate, dtype=float), -1)
        dist = self.distribution.reshape(self.n_resamples, -1)
        low_prob, high_prob = _null_probabilities(dist, float(null))
        p = np.minimum(1.0, 2 * np.minimum(low_prob, 1 - high_prob))
        if method == "bca":
            z0, a = self._bca_terms(estimate, dist)
            _, _, usable = _bca_levels(z0, a, (1 - self.confidence_level) / 2)
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                w_lo, w_hi = ndtri(low_prob) - z0, ndtri(high_prob) - z0
                den_lo, den_hi = 1 + a * w_lo, 1 + a * w_hi
                side_lo = np.where(den_lo > 0, 2 * ndtr(w_lo / den_lo - z0),
                                   np.where(w_lo < 0, 0.0, 1.0))
                side_hi = np.where(den_hi > 0, 2 * ndtr(z0 - w_hi / den_hi),
                                   np.where(w_hi > 0, 0.0, 1.0))
                side_lo = np.where(np.isneginf(w_lo), 0.0, np.where(np.isposinf(w_lo), 1.0,
                                                                      side_lo))
                side_hi = np.where(np.isposinf(w_hi), 0.0, np.where(np.isneginf(w_hi), 1.0,
                                                                      side_hi))
            p = np.where(usable, np.minimum(1.0, np.minimum(side_lo, side_hi)), p)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
            spread = np.nanmax(dist, axis=0) > np.nanmin(dist, axis=0)
        p = np.where(spread & ~np.isnan(estimate), p, np.nan)
        return _shaped(p, out_shape)

    @cached_property
    def standard_error(self):
        """Standard deviation of the distribution (ddof=1), ignoring NaN replicates."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN or one defined replicate
            return _shaped(np.nanstd(self.distribution, axis=0, ddof=1), np.shape(self.estimate))

    @property
    def n_undefined(self):
        """Number of NaN (undefined) replicates per output; intervals ignore them."""
        return _shaped(np.count_nonzero(np.isnan(self.distribution), axis=0),
                       np.shape(self.estimate))


def _shaped(values: np.ndarray, shape: tuple):
    values = np.reshape(values, shape)
    return values[()] if values.ndim == 0 else values


# --------------------------------------------------------------------------- engine
class _Progress:
    """A one-line progress bar on stderr, updated per block of replicates."""

    def __init__(self, enabled, total: int):
        if enabled is None:
            stream = sys.stderr
            enabled = (stream is not None and hasattr(stream, "isatty") and stream.isatty()
                       and not os.environ.get("CI"))
        elif not isinstance(enabled, bool):
            raise ValueError(f"progress must be None, True or False, got {enabled!r}")
        self.enabled, self.total = enabled, total

    def update(self, done: int) -> None:
        if self.enabled:
            filled = round(30 * done / self.total)
            sys.stderr.write(f"\rbootstrap [{'#' * filled}{'.' * (30 - filled)}] "
                             f"{done}/{self.total} resamples")
            if done == self.total:
                sys.stderr.write("\n")
            sys.stderr.flush()


def _cluster_sums(stats: np.ndarray, codes: np.ndarray, n_clusters: int) -> np.ndarray:
    """Rows of ``stats`` summed within clusters: ``(n_clusters, n_stats)``, cluster order."""
    if n_clusters == len(codes) and (codes == np.arange(len(codes))).all():
        return stats
    from scipy import sparse
    members = sparse.csr_matrix((np.ones(len(codes)), (codes, np.arange(len(codes)))),
                                shape=(n_clusters, len(codes)))
    return members @ stats


@dataclass(frozen=True, eq=False)
class GroupedSums:
    """Sums within clusters held as groups of clusters with equal sums, block by block.

    Blocks are sets of columns (findings) of width ``m``; a unit's sums in block ``g`` are one
    of a few rows, ``rows[g, r]``. Clusters whose units show the same rows (as a multiset)
    have the same sums and form a group. Cluster ``c``'s group in block ``g`` is
    ``group[c, g]``, and group ``k`` holds ``members[:, k]`` units of each row (of its block).
    So the sums of any weighting of the clusters are: weights summed by group (a sparse
    product read in cluster order), then by row (``members``), then times ``rows``. This
    holds ``clusters x blocks`` integers where ``S_clusters`` is ``clusters x blocks x m``
    floats, and a replicate costs about ``clusters x blocks`` additions. The numbers are those
    of ``counts @ S_clusters`` for the same draws, up to the order of floating-point
    additions (here fixed: by row). Built by :func:`adjudicate.agreement.bootstrap.cluster_sums`.

    Attributes
    ----------
    group : ndarray of int, shape (n_clusters, n_blocks)
        The group of each cluster in each block (groups numbered across blocks).
    members : scipy.sparse.csc_matrix, shape (n_blocks x n_rows, n_groups)
        How many units of each row (``g * n_rows + r``) a cluster of each group holds.
    rows : ndarray of float64, shape (n_blocks, n_rows, m)
        Each block's distinct unit rows (zero-padded to the longest block).
    block : ndarray of int, shape (n_groups,)
        The block of each group.
    """

    group: np.ndarray
    members: object
    rows: np.ndarray
    block: np.ndarray

    @property
    def n_clusters(self) -> int:
        return self.group.shape[0]

    @property
    def n_stats(self) -> int:
        return self.rows.shape[0] * self.rows.shape[2]

    @cached_property
    def _clusters_to_groups(self):
        """``(n_groups, n_clusters)`` 0/1 sparse matrix, one column per cluster (one entry per
        block): a product with it reads the clusters in order and adds into the groups' sums."""
        from scipy import sparse
        c, g = self.group.shape
        n = self.members.shape[1]
        index = np.int32 if n < 2**31 and c * g < 2**31 else np.int64
        return sparse.csc_matrix((np.ones(c * g, np.int64),
                                  self.group.ravel().astype(index, copy=False),
                                  np.arange(0, c * g + 1, g, dtype=index)), shape=(n, c))

    def _times_rows(self, by_group: np.ndarray) -> np.ndarray:
        """Weights of the groups ``(n_groups, k)`` to sums ``(k, n_stats)``: by row, then rows."""
        g, r = self.rows.shape[:2]
        by_row = (self.members @ by_group).astype(np.float64)                      # (G R, k)
        by_row = by_row.reshape(g, r, -1).transpose(0, 2, 1)                       # (G, k, R)
        sums = np.matmul(by_row, self.rows)                                        # (G, k, m)
        return sums.transpose(1, 0, 2).reshape(by_group.shape[1], -1)

    def total(self) -> np.ndarray:
        """Sums over all clusters, ``(n_stats,)``."""
        flat, n_groups = self.group.ravel(), self.members.shape[1]
        step = _BLOCK_ELEMENTS                   # blocks: bincount's intp copy stays small
        sizes = np.zeros(n_groups, np.int64)
        for start in range(0, len(flat), step):
            sizes += np.bincount(flat[start:start + step], minlength=n_groups)
        return self._times_rows(sizes[:, None])[0]

    def replicate_sums(self, draws: np.ndarray) -> np.ndarray:
        """Sums ``(rows, n_stats)`` of the replicates whose drawn clusters are the rows of
        ``draws``: the clusters' counts (cluster-major), then by group, row and rows."""
        b, c = draws.shape
        if b > 1:                                  # cluster-major keys, in place: at 10^7
            draws *= b                             # clusters every array of that size costs
            draws += np.arange(b)[:, None]         # its page faults again
        counts = np.bincount(draws.ravel(), minlength=c * b).reshape(c, b)
        return self._times_rows(self._clusters_to_groups @ counts)   # integer until by row

    def group_sums(self, start: int, stop: int) -> np.ndarray:
        """The sums of one cluster of each group ``start .. stop - 1`` in its block, ``(k, m)``."""
        g, r, m = self.rows.shape
        return self.members[:, start:stop].T @ self.rows.reshape(g * r, m)

    def distinct(self):
        """``(rows, block, inverse)`` as :func:`_distinct_blocks` finds them, for the jackknife
        (``rows`` computed block by block as the jackknife reads them)."""
        return _GroupRows(self), self.block, self.group.ravel()

    def dense(self) -> np.ndarray:
        """``S_clusters`` itself, ``(n_clusters, n_stats)`` (for checks on small data)."""
        g, m = self.rows.shape[0], self.rows.shape[2]
        per_group = self.group_sums(0, self.members.shape[1])
        out = np.zeros((self.n_clusters, g, m))
        out[np.arange(self.n_clusters)[:, None], np.arange(g), :] = per_group[self.group]
        return out.reshape(self.n_clusters, -1)


class _GroupRows:
    """The groups' sums, computed for the slices the jackknife asks for."""

    def __init__(self, sums: GroupedSums):
        self.sums = sums

    def __len__(self) -> int:
        return self.sums.members.shape[1]

    def __getitem__(self, rows: slice) -> np.ndarray:
        start, stop, _ = rows.indices(len(self))
        return self.sums.group_sums(start, stop)


_DISTINCT_MIN_ROWS = 4096
"""Look for equal rows of cluster sums (to finalize each once) from this many clusters."""


def _distinct_blocks(by_cluster: np.ndarray, groups: int):
    """Equal blocks of cluster sums, to evaluate the jackknife once per distinct block.

    The columns of ``by_cluster`` are ``groups`` blocks of equal width (findings). Returns
    ``(rows, group, inverse)``: the distinct blocks ``(n_distinct, width)``, the block each
    was found in, and for every (cluster, block) the index of its distinct block; or None
    when they are (nearly) all distinct. Blocks are grouped by a random projection, one per
    block position, and the grouping is then checked exactly, chunk by chunk.
    """
    n, n_stats = by_cluster.shape
    if n < _DISTINCT_MIN_ROWS:
        return None
    per = n_stats // groups
    blocks = by_cluster.reshape(n, groups, per)
    probe = np.random.default_rng(0).standard_normal((groups, per))
    keys, _ = pd.factorize(np.einsum("cgm,gm->cg", blocks, probe).ravel())
    # the block position is part of the key: equal blocks of two findings are not one block
    inverse, uniques = pd.factorize(keys * groups + np.tile(np.arange(groups), n))
    if len(uniques) > n * groups // 2:
        return None
    first = np.empty(len(uniques), np.intp)
    first[inverse[::-1]] = np.arange(n * groups)[::-1]          # first (cluster, block) of each
    rows = blocks.reshape(-1, per)[first]
    flat = blocks.reshape(-1, per)
    for start, stop in _chunks(n * groups, per):
        if not np.array_equal(rows[inverse[start:stop]], flat[start:stop]):
            return None
    return rows, first % groups, inverse


def _jackknife(by_cluster, total: np.ndarray, call: Callable, out_shape: tuple,
               groups: int) -> np.ndarray | ClusterJackknife:
    """Leave-one-cluster-out values ``finalize(total - by_cluster[c])``, ``(n_clusters, out)``.

    In blocks of a fixed number of rows, so linear in the clusters. With ``groups > 1`` the
    sums are ``groups`` blocks of columns and output ``g`` (first output axis) depends only on
    block ``g`` (agreement: findings); then the jackknife is evaluated once per distinct block
    (at scale most clusters share their reads with many others), not once per cluster.
    """
    if isinstance(by_cluster, GroupedSums):
        n, n_stats, found = by_cluster.n_clusters, by_cluster.n_stats, by_cluster.distinct()
    else:
        n, n_stats = by_cluster.shape
        found = _distinct_blocks(by_cluster, groups) if groups > 1 else None
    out_size = int(np.prod(out_shape))
    width = max(n_stats, out_size)
    if found is None:
        jackknife = np.empty((n, out_size))
        for start, stop in _chunks(n, width):
            jackknife[start:stop] = _finalize_rows(call, total - by_cluster[start:stop],
                                                   out_size, out_shape)
        return jackknife
    rows, group, inverse = found
    per, out_per = n_stats // groups, out_size // groups
    distinct = np.empty((len(rows), out_per))
    for start, stop in _chunks(len(rows), width):
        pick = np.arange(stop - start), group[start:stop]
        full = np.broadcast_to(total, (stop - start, n_stats)).reshape(-1, groups, per).copy()
        full[pick] -= rows[start:stop]
        values = _finalize_rows(call, full.reshape(-1, n_stats), out_size, out_shape)
        distinct[start:stop] = values.reshape(-1, groups, out_per)[pick]
    index = inverse.reshape(n, groups).astype(np.int32 if len(rows) < 2**31 else np.intp)
    return ClusterJackknife(distinct, np.asarray(group, np.intp), index, out_shape)


def _as_unit_stats(unit_stats, name: str = "unit_stats") -> np.ndarray:
    stats = np.asarray(unit_stats)
    if stats.ndim == 0:
        raise ValueError(f"{name} must have one row per unit, got a scalar")
    if stats.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be numeric (bool, integer or float), got {stats.dtype}")
    stats = stats.astype(np.float64, copy=False)
    if not np.isfinite(stats).all():
        raise ValueError(f"{name} must be finite: a NaN or infinite per-unit statistic would "
                         "poison every replicate that draws its unit")
    return stats


def _vectorized(finalize: Callable, stat_shape: tuple) -> Callable:
    """``finalize`` on flat sums ``(..., n_stats)``, floating-point warnings silenced."""

    def call(flat):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return np.asarray(finalize(flat.reshape(flat.shape[:-1] + stat_shape)), dtype=float)

    return call


def _finalize_rows(call: Callable, sums: np.ndarray, out_size: int, out_shape: tuple):
    values = call(sums)
    if values.shape != (len(sums), *out_shape):
        raise ValueError(f"finalize is not vectorized: for sums of shape {sums.shape[:1]} + "
                         f"stat_shape it returned shape {values.shape}, expected "
                         f"{(len(sums), *out_shape)} (it must accept any leading axes)")
    return values.reshape(len(sums), out_size)


def bootstrap_sums(unit_stats, finalize: Callable, *, clusters: Sequence[Hashable] | None = None,
                   n_resamples: int = 9999, seed=None, method: Method = "bca",
                   confidence_level: float = 0.95, progress: bool | None = None
                   ) -> BootstrapResult:
    """Bootstrap a statistic that is a function of sums over units of per-unit statistics.

    The estimate is ``finalize(unit_stats.sum(0))``; replicate ``b`` is ``finalize(W[b] @
    unit_stats)`` with ``W`` the counts of :func:`bootstrap_weights` (same ``seed``, same
    ``W``). All replicates, findings and statistics are one matrix product, computed in
    blocks of replicates to bound memory, never a loop over replicates, findings or units.

    Parameters
    ----------
    unit_stats : array_like, shape (n_units, *stat_shape)
        Per-unit sufficient statistics (counts, 2x2 cells, pair agreements...). Finite.
    finalize : callable
        Maps summed statistics of shape ``(..., *stat_shape)`` to the statistic of shape
        ``(..., *out_shape)``; it must accept any leading axes (none for the estimate, one for
        blocks of replicates and the jackknife). Return NaN where the statistic is undefined;
        floating-point warnings inside it are silenced.
    clusters : ClusterDesign, sequence of hashable, or "unit", optional
        Resample clusters, keeping all their units (images of one patient are not
        independent): a :class:`ClusterDesign` from :func:`resolve_clusters` (the one
        numbering of clusters, which the result's ``clusters`` label comes from), or one
        cluster id per unit. Default: resample units (rows).
    n_resamples : int, default 9999
        Number of bootstrap replicates.
    seed : None, int, numpy.random.SeedSequence or numpy.random.Generator, optional
        Seed of :func:`numpy.random.default_rng`; the same seed gives identical numbers.
        Without one a fresh seed is drawn and recorded in the result.
    method : {"bca", "percentile"}, default "bca"
        Default interval method of the result (any method can be asked for later).
    confidence_level : float, default 0.95
        Default confidence level of the result.
    progress : bool, optional
        Progress bar on stderr, updated per block of replicates. Default: shown when stderr
        is a terminal and the ``CI`` environment variable is not set.

    Returns
    -------
    BootstrapResult
        Estimate, distribution ``(n_resamples, *out_shape)`` and leave-one-cluster-out
        jackknife ``(n_clusters, *out_shape)``; intervals via ``confidence_interval()``.

    Notes
    -----
    Unit statistics are first summed within clusters (``S_clusters``, one row per cluster,
    clusters in sorted id order), then each block of replicates is
    ``counts @ S_clusters``. The jackknife for the BCa acceleration is at cluster level,
    ``finalize(total - S_clusters)``, vectorized: the influence of each thing that is
    resampled (a patient, not an image, in a cluster bootstrap). It is always computed (it
    costs ``n_clusters`` evaluations against ``n_resamples``), so any method can be asked
    for later. Memory: the distribution (``8 * n_resamples * prod(out_shape)`` bytes) plus
    blocks of about 16 MiB and whatever ``finalize`` allocates for one block.

    Raises
    ------
    ValueError
        Non-numeric or non-finite ``unit_stats``; ``clusters`` of the wrong length, with
        missing ids, or fewer than 2 clusters (units); a bad ``n_resamples``, ``method``,
        ``confidence_level`` or ``progress``; a ``finalize`` that does not keep the leading
        axis of its input.
    TypeError
        ``finalize`` is not callable.

    Examples
    --------
    A proportion with a 95% BCa interval: per unit, (positive, 1).

    >>> positive = np.array([1, 0, 0, 1, 1, 0, 1, 1, 0, 1, 1, 1])
    >>> res = bootstrap_sums(np.c_[positive, np.ones(12)], lambda s: s[..., 0] / s[..., 1],
    ...                      n_resamples=999, seed=0)
    >>> round(float(res.estimate), 3), res.distribution.shape
    (0.667, (999,))
    >>> low, high = res.confidence_interval()
    >>> bool(0.3 < low < 0.667 < high < 0.95)
    True

    Many statistics at once, resampling patients: two columns of per-unit stats and a
    finalize returning a (2, 2) statistic for every replicate.

    >>> stats = np.arange(12.0).reshape(6, 2)
    >>> f = lambda s: np.stack([s, s / s.sum(-1, keepdims=True)], axis=-2)
    >>> res = bootstrap_sums(stats, f, clusters=["a", "a", "b", "c", "c", "d"],
    ...                      n_resamples=500, seed=0, method="percentile")
    >>> res.estimate.shape, res.distribution.shape, res.jackknife.shape, res.n_clusters
    ((2, 2), (500, 2, 2), (4, 2, 2), 4)
    """
    stats = _as_unit_stats(unit_stats)
    n_units, stat_shape = stats.shape[0], stats.shape[1:]
    n_resamples = _positive_int(n_resamples, "n_resamples")
    method = _check_method(method)
    confidence_level = _check_level(confidence_level)
    if not callable(finalize):
        raise TypeError(f"finalize must be callable, got {type(finalize).__name__}")
    progress = _Progress(progress, n_resamples)
    design = _design(clusters, n_units)
    codes, n_clusters = design.codes, design.n_clusters
    _check_clusters(n_clusters, design.clustered)
    seed = _fresh_seed(seed)

    flat = stats.reshape(n_units, -1)
    total = flat.sum(axis=0)
    out_size = _vectorized(finalize, stat_shape)(total).size
    check_n_resamples(n_resamples, confidence_level, n_values=out_size)  # before allocating
    by_cluster = _cluster_sums(flat, codes, n_clusters)
    return _bootstrap_cluster_sums(by_cluster, finalize, stat_shape, clustered=design.clustered,
                                   label=design.label,
                                   n_resamples=n_resamples, seed=seed, method=method,
                                   confidence_level=confidence_level, progress=progress,
                                   total=total)


def bootstrap_cluster_sums(by_cluster: np.ndarray, finalize: Callable, *, clustered: bool,
                           label: str | None = None, n_resamples: int = 9999, seed=None, method: Method = "bca",
                           confidence_level: float = 0.95, progress: bool | None = None,
                           separable: bool = False) -> BootstrapResult:
    """:func:`bootstrap_sums` of statistics already summed within clusters.

    ``by_cluster`` has one row per cluster, in the order :func:`bootstrap_sums` numbers them
    (:func:`resolve_clusters`; units in their order when they are independent), so that the same
    seed gives the same replicates as ``bootstrap_sums(unit_stats, finalize, clusters=...)``
    without the per-unit matrix ever being held; ``label`` is what was resampled (the
    :class:`ClusterDesign` label). For callers that can sum their per-unit
    statistics cluster by cluster in blocks (:mod:`adjudicate.agreement.bootstrap`).
    ``separable``: ``by_cluster`` is ``(n_clusters, G, m)`` and output ``g`` of ``finalize``
    (first axis, length ``G``) depends only on ``sums[..., g, :]`` (findings), which lets the
    jackknife be evaluated once per distinct block of sums. ``by_cluster`` may also be a
    :class:`GroupedSums` (then separable by its blocks).
    """
    n_resamples = _positive_int(n_resamples, "n_resamples")
    method = _check_method(method)
    confidence_level = _check_level(confidence_level)
    if not callable(finalize):
        raise TypeError(f"finalize must be callable, got {type(finalize).__name__}")
    if isinstance(by_cluster, GroupedSums):
        sums, n_clusters, total = by_cluster, by_cluster.n_clusters, by_cluster.total()
        stat_shape = (by_cluster.rows.shape[0], by_cluster.rows.shape[2])
        groups = stat_shape[0]
    else:
        stats = np.asarray(by_cluster, np.float64)
        n_clusters, stat_shape = stats.shape[0], stats.shape[1:]
        sums = stats.reshape(n_clusters, -1)
        total = sums.sum(axis=0)
        groups = stats.shape[1] if separable and stats.ndim == 3 else 1
    _check_clusters(n_clusters, clustered)
    out_size = _vectorized(finalize, stat_shape)(total).size
    check_n_resamples(n_resamples, confidence_level, n_values=out_size)  # before allocating
    return _bootstrap_cluster_sums(
        sums, finalize, stat_shape, clustered=clustered,
        label=label or ("clusters" if clustered else "units"),
        n_resamples=n_resamples, seed=_fresh_seed(seed), method=method,
        confidence_level=confidence_level, progress=_Progress(progress, n_resamples),
        total=total, groups=groups)


def _bootstrap_cluster_sums(by_cluster: np.ndarray, finalize: Callable, stat_shape: tuple, *,
                            clustered: bool, label: str, n_resamples: int, seed, method: str,
                            confidence_level: float, progress: _Progress,
                            total: np.ndarray, groups: int = 1) -> BootstrapResult:
    """The engine once unit statistics are summed within clusters: ``(n_clusters, n_stats)``.

    Replicates are drawn in blocks of rows of ``counts`` (about ``_BLOCK_ELEMENTS`` counts per
    block), their products ``counts @ by_cluster`` gathered into blocks of sums of fixed size
    and ``finalize`` called once per block of sums, so the number of ``finalize`` calls does
    not grow with the number of clusters. The jackknife ``finalize(total - by_cluster)`` is
    evaluated in blocks of a fixed number of clusters, so its cost is linear in them
    (:func:`_jackknife`; ``groups``: the sums and outputs split by finding). ``total``: the
    sums over all clusters, which every caller has already computed.
    """
    grouped = isinstance(by_cluster, GroupedSums)
    if grouped:
        n_clusters, n_stats = by_cluster.n_clusters, by_cluster.n_stats
    else:
        n_clusters, n_stats = by_cluster.shape
    call = _vectorized(finalize, stat_shape)
    estimate = call(total)
    out_shape = estimate.shape
    out_size = estimate.size
    width = max(n_stats, out_size)          # values per replicate, sums and outputs

    rng = np.random.default_rng(seed)
    distribution = np.empty((n_resamples, out_size))
    for start, stop in _chunks(n_resamples, width):
        sums = np.empty((stop - start, n_stats))
        for lo, hi in _chunks(stop - start, max(n_clusters, n_stats)):
            if grouped:
                sums[lo:hi] = by_cluster.replicate_sums(_draw(rng, hi - lo, n_clusters))
            else:
                counts = _cluster_counts(rng, hi - lo, n_clusters).astype(np.float64)
                np.matmul(counts, by_cluster, out=sums[lo:hi])
        distribution[start:stop] = _finalize_rows(call, sums, out_size, out_shape)
        progress.update(stop)

    jackknife = _jackknife(by_cluster, total, call, out_shape, groups)

    distribution = distribution.reshape(n_resamples, *out_shape)
    if not isinstance(jackknife, ClusterJackknife):
        jackknife = jackknife.reshape(n_clusters, *out_shape)
        jackknife.setflags(write=False)
    for array in (estimate, distribution):
        array.setflags(write=False)
    return BootstrapResult(
        estimate=_shaped(estimate, out_shape), distribution=distribution, jackknife=jackknife,
        method=method, confidence_level=confidence_level, n_resamples=n_resamples,
        n_clusters=n_clusters, seed=seed, clustered=clustered, clusters=label,
    )


def _split(unit_stats: Sequence) -> tuple[np.ndarray, Callable]:
    """Flatten several per-unit statistics side by side; a function to cut sums back apart."""
    arrays = [_as_unit_stats(u, f"unit_stats[{i}]") for i, u in enumerate(unit_stats)]
    n_units = {a.shape[0] for a in arrays}
    if len(n_units) != 1:
        raise ValueError(f"every statistic needs one row per unit of the same units: got "
                         f"{sorted(n_units)} rows")
    shapes = [a.shape[1:] for a in arrays]
    flat = [a.reshape(a.shape[0], -1) for a in arrays]
    edges = np.cumsum([0] + [f.shape[1] for f in flat])

    def parts(sums):
        lead = sums.shape[:-1]
        return [sums[..., lo:hi].reshape(lead + shape)
                for lo, hi, shape in zip(edges[:-1], edges[1:], shapes)]

    return np.concatenate(flat, axis=1), parts


def stack_statistics(*pairs) -> tuple[np.ndarray, Callable]:
    """Several statistics as one, so a single bootstrap serves them all.

    Parameters
    ----------
    *pairs : (unit_stats, finalize)
        Per-unit statistics (same units, any stat shapes) and their finalize functions, as
        for :func:`bootstrap_sums`. Their outputs must broadcast to one shape.

    Returns
    -------
    unit_stats : ndarray, shape (n_units, total)
        The per-unit statistics side by side.
    finalize : callable
        Maps their sums to the outputs stacked on a new last axis, in the order given.

    Examples
    --------
    A proportion and a mean from the same units, on the same replicates:

    >>> x = np.array([1.0, 0, 1, 1, 0, 1])
    >>> s, fin = stack_statistics((np.c_[x, np.ones(6)], lambda t: t[..., 0] / t[..., 1]),
    ...                           (np.c_[2 * x, np.ones(6)], lambda t: t[..., 0] / t[..., 1]))
    >>> fin(s.sum(0)).tolist()
    [0.6666666666666666, 1.3333333333333333]
    >>> bootstrap_sums(s, fin, n_resamples=200, seed=0).distribution.shape
    (200, 2)
    """
    if not pairs:
        raise ValueError("stack_statistics needs at least one (unit_stats, finalize) pair")
    finalizers = [f for _, f in pairs]
    if not all(callable(f) for f in finalizers):
        raise TypeError("every finalize must be callable")
    stats, parts = _split([u for u, _ in pairs])

    def finalize(sums):
        outs = [np.asarray(f(part)) for f, part in zip(finalizers, parts(sums))]
        return np.stack(np.broadcast_arrays(*outs), axis=-1)

    return stats, finalize


def paired_difference(unit_stats_a, finalize_a: Callable, unit_stats_b, finalize_b: Callable,
                      *, clusters: Sequence[Hashable] | None = None, n_resamples: int = 9999,
                      seed=None, method: Method = "bca", confidence_level: float = 0.95,
                      progress: bool | None = None) -> BootstrapResult:
    """Bootstrap statistic A minus statistic B on the same replicates of the same units.

    For comparing two raters (a model and the readers, two reference standards) on the same
    images: both statistics see the same resampled units, so their correlation is kept and
    the interval of the difference is narrower than from two separate bootstraps. The
    per-unit statistics are concatenated so one weight matrix serves both.

    Parameters
    ----------
    unit_stats_a, unit_stats_b : array_like, shapes (n_units, *stat_shape_a), (n_units, ...)
        Per-unit statistics of A and B for the same units in the same order.
    finalize_a, finalize_b : callable
        As in :func:`bootstrap_sums`; their outputs must broadcast against each other.
    clusters, n_resamples, seed, method, confidence_level, progress
        As in :func:`bootstrap_sums`.

    Returns
    -------
    BootstrapResult
        Of ``finalize_a(sums_a) - finalize_b(sums_b)``; its distribution equals the difference
        of the distributions of two :func:`bootstrap_sums` runs with the same seed.

    Examples
    --------
    Sensitivity of two models on the same 8 positive images (per unit: correct, 1):

    >>> a = np.array([1, 1, 1, 0, 1, 1, 1, 1])
    >>> b = np.array([1, 0, 1, 0, 1, 1, 0, 1])
    >>> rate = lambda s: s[..., 0] / s[..., 1]
    >>> res = paired_difference(np.c_[a, np.ones(8)], rate, np.c_[b, np.ones(8)], rate,
    ...                         n_resamples=2000, seed=3, method="percentile")
    >>> float(res.estimate)
    0.25
    >>> bool((res.distribution >= 0).all())   # A is right wherever B is: never below 0
    True
    """
    if not (callable(finalize_a) and callable(finalize_b)):
        raise TypeError("finalize_a and finalize_b must be callable")
    stats, parts = _split([unit_stats_a, unit_stats_b])

    def difference(sums):
        lead = sums.shape[:-1]  # no, or one, leading axis: align the outputs after it
        part_a, part_b = parts(sums)
        out_a, out_b = np.asarray(finalize_a(part_a)), np.asarray(finalize_b(part_b))
        ndim = max(out_a.ndim, out_b.ndim) - len(lead)
        out_a, out_b = (out.reshape(lead + (1,) * (ndim + len(lead) - out.ndim)
                                    + out.shape[len(lead):]) for out in (out_a, out_b))
        return out_a - out_b

    return bootstrap_sums(stats, difference,
                          clusters=clusters, n_resamples=n_resamples, seed=seed, method=method,
                          confidence_level=confidence_level, progress=progress)
