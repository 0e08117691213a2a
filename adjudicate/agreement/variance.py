"""The analytic variance of a coefficient: the (cluster-robust) sandwich of its influence terms.

Analytic standard errors use the units' linearized contributions ``psi_i`` (Gwet 2014's
``kappa*_i - kappa``): the variance is the sandwich ``C/(C-1) sum_c (sum_{i in c} psi_i)^2 /
n^2`` over clusters ``c``, which for independent units is Gwet's ``sum_i psi_i^2 / (n (n-1))``.

With patterns, ``psi`` is a function of the unit's pattern, so ``sum_c (sum_{i in c} psi_i)^2 =
psi' G psi`` with ``G`` the per-finding pattern x pattern count of pairs of units sharing a
cluster (:meth:`~adjudicate.agreement.patterns.Patterns.cluster_gram`, built once per data set
and clusters): each statistic then costs ``P^2`` per finding, not a pass over the units.
"""

from __future__ import annotations

import numpy as np

from .patterns import _grouping, chunk_slices, code_patterns

__all__ = ["influence_variance"]


def influence_variance(stat, codes: np.ndarray, total: np.ndarray, clusters=None) -> np.ndarray:
    """Large-sample variance per finding of ``stat`` from the unit contributions ``psi``.

    ``clusters`` (one id per unit, or None) groups units that are not independent; the
    variance is then the cluster-robust sandwich.
    """
    f = codes.shape[2]
    if clusters is None and stat.closed_se is not None:
        return stat.closed_se(total) ** 2
    if stat.influence is None and stat.count_influence is None:
        return np.full(f, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        found = stat.patterns(codes, for_influence=True)
        if clusters is not None:
            # one set of patterns (reader codes) for every statistic, so that the
            # cluster-pattern counts are built once per data set and clusters
            found = code_patterns(codes, stat.n_categories) or found
        if found is not None:
            psi_p, counted_p = found.evaluate(
                stat.count_influence, stat._unit_influence, total)     # (P, F)
            psi_p = np.where(counted_p, psi_p, 0.0)
            n = (found.freq * counted_p.T).sum(1)
            if clusters is None:
                square = (found.freq * psi_p.T ** 2).sum(1)
                return np.where(n > 1, square / (n * (n - 1)), np.nan)
            # per cluster and finding, sum_i psi_i = sum over patterns of (units of the
            # cluster showing it) x psi of the pattern: one sparse product with the
            # cluster-pattern counts, which every statistic of the same data and clusters
            # shares (built once), so each statistic costs one pass over them
            gram = found.cluster_gram(codes, clusters)                  # (F, P, P)
            if gram is not None:    # sum_c (sum_{i in c} psi_i)^2 = psi' A'A psi
                psi_f = np.ascontiguousarray(psi_p.T)[:, :, None]        # (F, P, 1)
                square = (psi_f * (gram @ psi_f)).sum((1, 2))
            else:
                members = found.cluster_counts(codes, clusters)         # (F * C, F * P)
                by_cluster = (members @ psi_p.T.ravel()).reshape(f, -1)
                square = (by_cluster**2).sum(1)
            c = found.clusters_with(codes, clusters, counted_p)
            return np.where(c > 1, c / (c - 1) * square / n**2, np.nan)
        u = codes.shape[0]
        psi = np.zeros((u, f))
        counted = np.zeros((u, f), bool)
        for block in chunk_slices(u, 4 * codes.shape[1] * f + 4 * f * stat.width):
            psi[block], counted[block] = stat._unit_influence(codes[block], total)
        psi[~counted] = 0.0
        n = counted.sum(0)
        if clusters is None:
            return np.where(n > 1, (psi**2).sum(0) / (n * (n - 1)), np.nan)
        from scipy import sparse
        cluster_of, n_clusters = _grouping(clusters, u)
        member = sparse.csr_matrix((np.ones(u), (cluster_of, np.arange(u))),
                                   shape=(n_clusters, u))
        by_cluster = member @ psi
        c = ((member @ counted.astype(np.float64)) > 0).sum(0)
        return _sandwich(by_cluster, c, n)


def _sandwich(by_cluster: np.ndarray, c: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``C/(C-1) sum_c (sum_{i in c} psi_i)^2 / n^2``, NaN with fewer than 2 clusters."""
    return np.where(c > 1, c / (c - 1) * (np.asarray(by_cluster) ** 2).sum(0) / n**2, np.nan)
