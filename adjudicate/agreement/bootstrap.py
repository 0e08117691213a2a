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
  from ``T`` and summed per cluster, so no ``units x columns`` array is ever built.

Statistics without small patterns (many readers or categories) stream ``stat.unit_stats`` of
each block of units instead. The replicates and the jackknife are those of
:func:`~adjudicate.resample.bootstrap_sums` with the same seed (the same draws of clusters).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .patterns import cluster_index, code_patterns
from .statistic import SumStatistic

if TYPE_CHECKING:
    from scipy import sparse

__all__ = ["bootstrap_statistics", "cluster_sums"]

_STREAM_UNITS = 1 << 16
"""Units per block when summing rows by cluster: bounds the temporaries whatever the size."""


def _segments(sorted_clusters: np.ndarray) -> tuple[np.ndarray, sparse.csr_matrix]:
    """Clusters of a block of units sorted by cluster, and the 0/1 matrix summing their rows."""
    from scipy import sparse
    starts = np.flatnonzero(np.r_[True, sorted_clusters[1:] != sorted_clusters[:-1]])
    n = len(sorted_clusters)
    summing = sparse.csr_matrix((np.ones(n), np.arange(n), np.r_[starts, n]),
                                shape=(len(starts), n))
    return sorted_clusters[starts], summing


def cluster_sums(stats: Sequence[SumStatistic], codes: np.ndarray, clusters=None):
    """Per-unit sums of several statistics summed within clusters, without building ``S``.

    Parameters
    ----------
    stats : sequence of SumStatistic
        Bound to the data of ``codes`` (:func:`~adjudicate.agreement.sum_statistic`).
    codes : ndarray of int8, shape (n_units, n_readers, n_findings)
    clusters : sequence of hashable, optional
        One cluster id per unit; None: every unit is its own cluster.

    Returns
    -------
    by_cluster : ndarray, shape (n_clusters, n_columns)
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
    order = None if clusters is None else np.argsort(cluster_of, kind="stable")
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
        table, inverse = np.ascontiguousarray(table[..., keep]), inverse.ravel()  # (P, F, W')
        columns = found.unit_columns(codes)                                 # (U, F)
    n_kept = table.shape[-1] if by_pattern else 0
    unit_width = sum(widths[i] for i in by_unit)
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
        if order is None:
            by_cluster[start:stop] = rows(np.arange(start, stop))
        else:
            units = order[start:stop]
            which, summing = _segments(cluster_of[units])
            by_cluster[which] += summing @ rows(units)

    edges = np.cumsum([0] + [widths[i] for i in by_pattern])
    unit_edges = np.cumsum([0] + [widths[i] for i in by_unit])

    def expand(sums: np.ndarray) -> list[np.ndarray]:
        both = sums.reshape(*sums.shape[:-1], f, n_kept + unit_width)
        out: list = [None] * len(stats)
        for i, lo, hi in zip(by_pattern, edges[:-1], edges[1:]):
            out[i] = both[..., inverse[lo:hi]]
        for i, lo, hi in zip(by_unit, unit_edges[:-1], unit_edges[1:]):
            out[i] = both[..., n_kept + lo:n_kept + hi]
        return out

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
    from ..resample import bootstrap_cluster_sums

    by_cluster, expand = cluster_sums(stats, codes, clusters)
    finalizers = [stat.finalize for stat in stats]

    def finalize(sums):
        outs = [np.asarray(fin(part)) for fin, part in zip(finalizers, expand(sums))]
        return np.stack(np.broadcast_arrays(*outs), axis=-1)

    from ..resample import _design
    design = _design(clusters, codes.shape[0])
    f = codes.shape[2]
    return bootstrap_cluster_sums(by_cluster.reshape(len(by_cluster), f, -1),
                                  lambda sums: finalize(sums.reshape(*sums.shape[:-2], -1)),
                                  clustered=design.clustered, label=design.label,
                                  n_resamples=n_resamples,
                                  seed=seed, method=method, confidence_level=confidence_level,
                                  progress=progress, separable=True)
