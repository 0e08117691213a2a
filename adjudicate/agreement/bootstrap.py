"""One bootstrap for several agreement statistics, from sums reduced by cluster block by block.

:func:`adjudicate.resample.bootstrap_sums` takes the per-unit matrix ``S`` of every
statistic side by side; at millions of units that matrix is the largest thing in memory
(``units x findings x columns`` float64: Light's kappa alone has ``pairs x k^2`` columns per
finding). The bootstrap only needs ``S`` summed within clusters, so :func:`cluster_sums`
builds those sums directly:

- every statistic is evaluated on the reader-code patterns that occur (at most ``(k + 1)^R``
  per finding, :mod:`~adjudicate.agreement.patterns`): a table ``T (P, F, m)`` of per-pattern
  rows, so a unit's row of ``S`` is ``T[its pattern]`` and a cluster's is the sum of its units'
  rows (Light's and pairwise kappa: the cluster's ``pairs x k x k`` joint tables);
- columns that are equal on every pattern (Fleiss', Brennan-Prediger's and AC1's shares;
  alpha's symmetric coincidences) are kept once;
- units are taken in blocks of :data:`_STREAM_UNITS` in cluster order, their rows gathered
  from ``T`` and summed per cluster, so no ``units x columns`` array is ever built;
- at scale (``S_clusters`` over :data:`_DENSE_MAX_ELEMENTS` values) not even the cluster sums
  are built: clusters whose units show the same rows have the same sums, and the sums are
  held as each cluster's group (:class:`~adjudicate.resample.GroupedSums`,
  :func:`_grouped_sums`).

Statistics without small patterns (many readers or categories) stream ``stat.unit_stats`` of
each block of units instead. The replicates and the jackknife are those of
:func:`~adjudicate.resample.bootstrap_sums` with the same seed (the same draws of clusters).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .patterns import cluster_index, cluster_order, code_patterns
from .statistic import SumStatistic

if TYPE_CHECKING:
    from scipy import sparse

__all__ = ["bootstrap_statistics", "cluster_sums"]

_STREAM_UNITS = 1 << 16
"""Units per block when summing rows by cluster: bounds the temporaries whatever the size."""

_DENSE_MAX_ELEMENTS = 1 << 20
"""Largest ``S_clusters`` (clusters x columns: 8 MiB) kept dense (its product with the counts
is then fastest). Beyond, the sums are held as groups of clusters with equal sums
(:class:`~adjudicate.resample.GroupedSums`)."""

_HASH_SEED = 20261127
"""Seed of the random 64-bit keys whose sums name a cluster's rows (the naming is checked)."""


def _distinct_unit_rows(table: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct rows of each finding's per-pattern table ``(P, F, W)``.

    Returns ``row_of (P, F)``, the global row of each pattern (the rows of one finding are
    contiguous and numbered apart from every other finding's), ``rows (R, W)`` and the
    finding of each row ``(R,)``. Patterns that give a unit the same sums share a row
    (Fleiss' kappa sees a unit's counts only, not which reader gave which read).
    """
    p, f, w = table.shape
    keyed = np.concatenate([np.repeat(np.arange(f), p)[:, None].astype(table.dtype),
                            table.transpose(1, 0, 2).reshape(f * p, w)], axis=1)
    unique, inverse = np.unique(keyed, axis=0, return_inverse=True)
    return (inverse.reshape(f, p).T, np.ascontiguousarray(unique[:, 1:]),
            unique[:, 0].astype(np.intp))


def _row_keys(n_rows: int, which: int = 0) -> np.ndarray:
    """Random 64-bit keys, one per distinct row (fixed seeds): a cluster is named by their sum.

    ``which`` picks one of two independent sets of keys (grouping and check)."""
    return np.random.default_rng([_HASH_SEED, which]).integers(
        0, np.iinfo(np.int64).max, n_rows, np.int64, endpoint=True).view(np.uint64)


def _grouped_sums(table: np.ndarray, columns: np.ndarray, cluster_of: np.ndarray,
                  order: np.ndarray | None, n_clusters: int):
    """The cluster sums as :class:`~adjudicate.resample.GroupedSums`, or None.

    A cluster's sums in a finding are fixed by the multiset of its units' rows (the distinct
    rows of the pattern table, :func:`_distinct_unit_rows`). A cluster of one unit is named by
    its row (when every cluster has one unit, the groups are the rows); a larger one by the sum
    (wrapping) of a random 64-bit key per row over its units, and clusters with one name form a
    group. Every cluster is then checked against the first
    of its group: same finding, same size and the same sum of a second, independent set of
    keys; if any differs (two multisets with one name, about ``2**-64`` likely for a pair)
    the dense sums are used (None). Two different multisets pass only if both sums collide
    (about ``2**-128`` for a pair). All passes are linear in the units.
    """
    from scipy import sparse

    from ..resample import GroupedSums
    u, f = columns.shape
    row_of, rows, finding_of_row = _distinct_unit_rows(table)
    global_row = row_of.T.ravel().astype(np.int32)        # pattern f * P + p -> global row
    offsets = np.arange(f, dtype=np.int32) * row_of.shape[0]
    sizes = np.bincount(cluster_of, minlength=n_clusters)
    singletons = sizes.max() == 1
    if singletons:   # each unit's global row, (U, F) in cluster order: the groups themselves
        seq = columns + offsets if order is None else np.take(columns, order, axis=0) + offsets
    else:            # (F, U) finding-major, units in cluster order
        seq = np.ascontiguousarray(columns.T)
        if order is not None:
            seq = np.take(seq, order, axis=1)
            cluster_of = cluster_of[order]
        seq += offsets[:, None]
    seq = global_row[seq]            # fancy indexing: ~10x np.take(mode="clip") at 10^7
    # each finding's distinct rows, zero-padded to the longest: row r is padded[f, local[r]]
    n_rows = int(np.bincount(finding_of_row, minlength=f).max())
    local_row = np.arange(len(rows)) - np.searchsorted(finding_of_row, np.arange(f))[
        finding_of_row]
    padded = np.zeros((f, n_rows, rows.shape[1]))
    padded[finding_of_row, local_row] = rows
    padded_of_row = finding_of_row * n_rows + local_row
    if singletons:                    # one unit per cluster: the groups are the rows themselves
        members = sparse.csc_matrix((np.ones(len(rows), np.int64), padded_of_row,
                                     np.arange(len(rows) + 1)), shape=(f * n_rows, len(rows)))
        return GroupedSums(group=seq, members=members, rows=padded, block=finding_of_row)
    starts = np.r_[0, np.cumsum(sizes)[:-1]]

    def names(which: int) -> np.ndarray:
        """Each cluster's sum of row keys, (F * C,) finding-major, in blocks of clusters."""
        keys, out = _row_keys(len(rows), which), np.empty((f, n_clusters), np.uint64)
        for lo in range(0, n_clusters, _STREAM_UNITS):
            hi = min(lo + _STREAM_UNITS, n_clusters)
            first_unit, end = starts[lo], starts[hi] if hi < n_clusters else u
            out[:, lo:hi] = np.add.reduceat(keys[seq[:, first_unit:end]],
                                            starts[lo:hi] - first_unit, axis=1)
        return out.ravel()

    ids, _ = pd.factorize(names(0))                                  # (F * C,) finding-major
    ids = ids.astype(np.int32 if ids.max() < 2**31 else np.intp)
    # ids are numbered in order of first appearance, so findings' groups come one after another
    seen = np.maximum.accumulate(ids)
    first = np.flatnonzero(np.r_[True, ids[1:] > seen[:-1]])       # first position of each id
    del seen
    block, rep = np.divmod(first, n_clusters)
    first_id = np.r_[0, np.cumsum(np.bincount(block, minlength=f))]
    ids = ids.reshape(f, n_clusters)
    if (ids.min(axis=1) < first_id[:-1]).any() or (ids.max(axis=1) >= first_id[1:]).any():
        return None                                                # a name shared by findings
    check = names(1).reshape(f, n_clusters)
    for lo in range(0, n_clusters, _STREAM_UNITS):                 # blocks: no temporaries of
        part = ids[:, lo:lo + _STREAM_UNITS]                       # the data's size
        if not ((sizes[rep[part]] == sizes[lo:lo + _STREAM_UNITS]).all()
                and (check.ravel()[first[part]] == check[:, lo:lo + _STREAM_UNITS]).all()):
            return None
    del check
    group = np.ascontiguousarray(ids.T)
    del ids
    # each group's units, by row: the rows of its first cluster
    rep_sizes = sizes[rep]
    where = np.repeat(starts[rep] - np.r_[0, np.cumsum(rep_sizes)[:-1]] + block * u, rep_sizes)
    which = padded_of_row[seq.ravel()[where + np.arange(rep_sizes.sum())]]
    members = sparse.csc_matrix((np.ones(len(which), np.int64), which,
                                 np.r_[0, np.cumsum(rep_sizes)]),
                                shape=(f * n_rows, len(first)))
    members.sum_duplicates()
    return GroupedSums(group=group, members=members, rows=padded, block=block)


def _segments(sorted_clusters: np.ndarray) -> tuple[np.ndarray, sparse.csr_matrix]:
    """Clusters of a block of units sorted by cluster, and the 0/1 matrix summing their rows."""
    from scipy import sparse
    starts = np.flatnonzero(np.r_[True, sorted_clusters[1:] != sorted_clusters[:-1]])
    n = len(sorted_clusters)
    summing = sparse.csr_matrix((np.ones(n), np.arange(n), np.r_[starts, n]),
                                shape=(len(starts), n))
    return sorted_clusters[starts], summing


def cluster_sums(stats: Sequence[SumStatistic], codes: np.ndarray, clusters=None, *,
                 grouped: bool = False):
    """Per-unit sums of several statistics summed within clusters, without building ``S``.

    Parameters
    ----------
    stats : sequence of SumStatistic
        Bound to the data of ``codes`` (:func:`~adjudicate.agreement.sum_statistic`).
    codes : ndarray of int8, shape (n_units, n_readers, n_findings)
    clusters : sequence of hashable, optional
        One cluster id per unit; None: every unit is its own cluster.
    grouped : bool, default False
        Allow the sums to be returned as :class:`~adjudicate.resample.GroupedSums` (each
        cluster's group of clusters with equal sums, per finding) when every statistic has
        pattern rows, ``S_clusters`` would hold more than ``_DENSE_MAX_ELEMENTS`` values and
        the grouping passes its checks.

    Returns
    -------
    by_cluster : ndarray, shape (n_clusters, n_columns), or GroupedSums
        Rows in the order :func:`~adjudicate.resample.bootstrap_sums` numbers clusters;
        columns finding-major (``n_columns = n_findings x columns per finding``).
    expand : callable
        Maps sums ``(..., n_columns)`` to the list of each statistic's sums
        ``(..., n_findings, m)``, as ``stat.finalize`` takes them.

    Examples
    --------
    >>> from adjudicate import Ratings
    >>> from adjudicate.agreement import sum_statistic
    >>> r = Ratings.from_array([[0, 0, 1], [1, 1, 1], [0, 0, 0], [1, 0, 1]])
    >>> stats = [sum_statistic(n, r) for n in ("fleiss_kappa", "gwet_ac1")]
    >>> by_cluster, expand = cluster_sums(stats, r.codes, clusters=["a", "a", "b", "c"])
    >>> by_cluster.shape[0]                    # three clusters
    3
    >>> fleiss, ac1 = expand(by_cluster.sum(0))
    >>> round(float(stats[0].finalize(fleiss)[0]), 4)
    0.3333
    """
    u, _n_readers, f = codes.shape
    cluster_of, n_clusters = cluster_index(clusters, u)
    order = cluster_order(cluster_of)                # None: units already in cluster order
    identity = order is None and n_clusters == u     # every unit its own cluster, in order
    widths = [stat.unit_stats(codes[:0]).shape[-1] for stat in stats]
    found = code_patterns(codes, stats[0].n_categories) if stats else None
    by_pattern = [i for i, stat in enumerate(stats)
                  if found is not None and stat.n_categories == stats[0].n_categories]
    by_unit = [i for i in range(len(stats)) if i not in by_pattern]

    # per-pattern rows of every pattern statistic, equal columns kept once
    if by_pattern:
        table = np.concatenate([found.evaluate(stats[i].count_stats, stats[i].unit_stats)
                                for i in by_pattern], axis=-1)            # (P, F, W)
        _, keep, inverse = np.unique(table.reshape(-1, table.shape[-1]), axis=1,
                                     return_index=True, return_inverse=True)
        by_first = np.argsort(keep)                  # kept columns in their first order, so a
        rank = np.empty_like(by_first)               # statistic's own columns are one slice
        rank[by_first] = np.arange(len(keep))
        keep, inverse = keep[by_first], rank[inverse.ravel()]
        table = np.ascontiguousarray(table[..., keep])                      # (P, F, W')
        columns = found.unit_columns(codes)                                 # (U, F)
    n_kept = table.shape[-1] if by_pattern else 0
    unit_width = sum(widths[i] for i in by_unit)
    edges = np.cumsum([0] + [widths[i] for i in by_pattern])
    unit_edges = np.cumsum([0] + [widths[i] for i in by_unit])

    picks = []                       # each pattern statistic's columns: a slice, or indices
    for lo, hi in pairwise(edges):
        idx = inverse[lo:hi]
        run = hi > lo and (np.diff(idx) == 1).all()
        picks.append(slice(int(idx[0]), int(idx[-1]) + 1) if run else idx)

    def expand(sums: np.ndarray) -> list[np.ndarray]:
        both = sums.reshape(*sums.shape[:-1], f, n_kept + unit_width)
        out: list = [None] * len(stats)
        for i, pick in zip(by_pattern, picks):
            out[i] = (both[..., pick] if isinstance(pick, slice)
                      else np.take(both, pick, axis=-1))
        for i, lo, hi in zip(by_unit, unit_edges[:-1], unit_edges[1:]):
            out[i] = both[..., n_kept + lo:n_kept + hi]
        return out

    if grouped and not by_unit and n_clusters * f * n_kept > _DENSE_MAX_ELEMENTS:
        sums = _grouped_sums(table, columns, cluster_of, order, n_clusters)
        if sums is not None:
            return sums, expand
    by_cluster = np.zeros((n_clusters, f * (n_kept + unit_width)))
    finding = np.arange(f)

    def rows(units: np.ndarray) -> np.ndarray:
        """The units' rows of ``S``, finding-major: ``(units, F * (n_kept + unit_width))``."""
        parts = []
        if by_pattern:
            parts.append(table[columns[units], finding])                     # (b, F, W')
        if by_unit:
            block = codes[units]
            parts += [stats[i].unit_stats(block) for i in by_unit]           # (b, F, m)
        joined = np.concatenate(parts, axis=-1) if len(parts) > 1 else parts[0]
        return joined.reshape(len(units), -1)

    for start in range(0, u, _STREAM_UNITS):
        stop = min(start + _STREAM_UNITS, u)
        if identity:
            by_cluster[start:stop] = rows(np.arange(start, stop))
        else:
            units = np.arange(start, stop) if order is None else order[start:stop]
            which, summing = _segments(cluster_of[units])
            by_cluster[which] += summing @ rows(units)

    return by_cluster, expand


def bootstrap_statistics(stats: Sequence[SumStatistic], codes: np.ndarray, *, clusters=None,
                         n_resamples: int = 9999, seed=None, method: str = "bca",
                         confidence_level: float = 0.95, progress: bool | None = None):
    """Bootstrap several statistics on the same replicates: outputs ``(n_findings, n_stats)``.

    The same numbers as ``bootstrap_sums(*stack_statistics(*[(s.unit_stats(codes),
    s.finalize) for s in stats]), clusters=clusters, ...)`` with the same seed, from
    :func:`cluster_sums` (memory ``n_clusters x columns``, not ``n_units x columns``).

    Examples
    --------
    >>> from adjudicate import Ratings
    >>> from adjudicate.agreement import sum_statistic
    >>> r = Ratings.from_array([[0, 0, 1], [1, 1, 1], [0, 0, 0], [1, 0, 1], [1, 1, 0]])
    >>> stats = [sum_statistic(n, r) for n in ("fleiss_kappa", "krippendorff_alpha")]
    >>> res = bootstrap_statistics(stats, r.codes, n_resamples=200, seed=0)
    >>> res.distribution.shape                  # replicates x findings x statistics
    (200, 1, 2)
    """
    from ..resample import GroupedSums, bootstrap_cluster_sums

    by_cluster, expand = cluster_sums(stats, codes, clusters, grouped=True)
    finalizers = [stat.finalize for stat in stats]

    def finalize(sums):
        outs = [np.asarray(fin(part)) for fin, part in zip(finalizers, expand(sums))]
        return np.stack(np.broadcast_arrays(*outs), axis=-1)

    from ..resample import _design
    design = _design(clusters, codes.shape[0])
    f = codes.shape[2]
    if not isinstance(by_cluster, GroupedSums):
        by_cluster = by_cluster.reshape(len(by_cluster), f, -1)
    return bootstrap_cluster_sums(by_cluster,
                                  lambda sums: finalize(sums.reshape(*sums.shape[:-2], -1)),
                                  clustered=design.clustered, label=design.label,
                                  n_resamples=n_resamples,
                                  seed=seed, method=method, confidence_level=confidence_level,
                                  progress=progress, separable=True)
