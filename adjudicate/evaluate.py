"""A model's scores against a reference standard: ROC, AUC, operating points, readers.

The AUC of a finding is the Mann-Whitney statistic [1]_: the share of (positive, negative)
image pairs the score orders correctly, ties counting one half. Its pieces, top to bottom:

- :func:`_placements` -- DeLong's placement values [2]_: for each positive image the share of
  negatives it outscores (``V10``), for each negative the share of positives that outscore it
  (``V01``); their means are the AUC;
- :func:`_delong_covariance` -- the variance (and, for several models on the same images, the
  covariance) from the sample variances of the placements, images independent [2]_;
- :func:`_obuchowski_covariance` -- the clustered version [3]_: placements summed within each
  patient (``V10_i.``, ``V01_i.``), structural components ``S10``, ``S01``, ``S11`` from those
  sums; with one image per patient it is DeLong's;
- :class:`_AUCColumns` and :func:`_weighted_auc` -- the bootstrap: scores are sorted once;
  one class is grouped by distinct score and the images of the other class are assigned to
  the gaps between those groups, as one sparse map from resampled clusters, so the AUC of
  every replicate (``W`` a matrix of cluster counts) is one sparse product, a cumulative sum
  over score groups and segment sums: no loop over replicates or images. The leave-one-cluster-out jackknife
  (for BCa) is the same computation with ``W = 1 - I``. The distributions go into
  :class:`adjudicate.resample.BootstrapResult`, which gives the percentile and BCa intervals.

Operating points (sensitivity, specificity, PPV, NPV at a threshold) are 2x2 statistics: the
per-image cells go through :func:`adjudicate.resample.bootstrap_sums` with the same seed and
clusters, so they are resampled with the same weights as the AUC, and the 2x2 finalize and
Wilson intervals are those of :mod:`adjudicate.accuracy`. **A score equal to the threshold is
positive** (``score >= threshold``).

References
----------
.. [1] J. A. Hanley and B. J. McNeil, "The meaning and use of the area under a receiver
   operating characteristic (ROC) curve", Radiology 143:29-36, 1982.
.. [2] E. R. DeLong, D. M. DeLong and D. L. Clarke-Pearson, "Comparing the areas under two or
   more correlated receiver operating characteristic curves: a nonparametric approach",
   Biometrics 44:837-845, 1988.
.. [3] N. A. Obuchowski, "Nonparametric analysis of clustered ROC curve data", Biometrics
   53:567-578, 1997.
.. [4] A. Majkowska et al., "Chest radiograph interpretation using deep learning models:
   assessment using radiologist adjudicated reference standards and population-adjusted
   evaluation", Radiology 294:421-431, 2020 (online 2019).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.special import ndtr, ndtri

from .resample import (
    BootstrapResult,
    ClusterDesign,
    ConfidenceInterval,
    _check_level,
    _check_method,
    _chunks,
    _cluster_counts,
    _cluster_index,
    _fresh_seed,
    _positive_int,
    resolve_clusters,
)

__all__ = [
    "AUCDifferenceResult",
    "AUCResult",
    "auc_difference",
    "roc_auc",
    "roc_curve",
]

Method = Literal["bca", "percentile", "delong", "obuchowski"]
_ANALYTIC = ("delong", "obuchowski")


# --------------------------------------------------------------------------- inputs
def _as_scores(scores, name: str = "scores") -> np.ndarray:
    s = np.asarray(scores, dtype=float)
    if s.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one score per image), got shape {s.shape}")
    if np.isinf(s).any():
        raise ValueError(f"{name} must be finite (NaN = no score): position "
                         f"{int(np.flatnonzero(np.isinf(s))[0])} is {s[np.isinf(s)][0]}")
    return s


def _as_labels(labels, n: int) -> np.ndarray:
    """Reference labels as floats 1.0 (positive), 0.0 (negative), NaN (no label)."""
    lab = pd.Series(np.asarray(labels, dtype=object).ravel(), dtype=object)
    if len(lab) != n:
        raise ValueError(f"labels must hold one label per score: {len(lab)} labels for {n} "
                         "scores")
    text = lab.map(lambda v: v.strip().upper() if isinstance(v, str) else v)
    mapping = {"YES": 1.0, "NO": 0.0, True: 1.0, False: 0.0, 1: 1.0, 0: 0.0}
    out = text.map(lambda v: np.nan if pd.isna(v) else mapping.get(v, -1.0))
    bad = (out == -1.0).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"labels must be 0/1, True/False or YES/NO (NaN = no label): "
                         f"position {i} is {lab[i]!r}")
    return out.to_numpy(dtype=float)


# --------------------------------------------------------------------------- placements
def _placements(scores: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """DeLong placement values of one finding, ties counting one half.

    ``v10[i]`` = share of negatives scored below positive ``i`` (+ half the ties);
    ``v01[j]`` = share of positives scored above negative ``j`` (+ half the ties). Both have
    the AUC as their mean. ``scores`` may have several columns (models on the same images):
    then the outputs have one column per model.
    """
    s = scores.reshape(len(scores), -1)
    pos, neg = s[positive], s[~positive]
    n1, n0 = len(pos), len(neg)
    pos_sorted, neg_sorted = np.sort(pos, axis=0), np.sort(neg, axis=0)
    v10 = np.empty_like(pos)
    v01 = np.empty_like(neg)
    for m in range(s.shape[1]):  # models: a handful of columns, never images
        below = (np.searchsorted(neg_sorted[:, m], pos[:, m], "left")
                 + np.searchsorted(neg_sorted[:, m], pos[:, m], "right"))
        above = 2 * n1 - (np.searchsorted(pos_sorted[:, m], neg[:, m], "left")
                          + np.searchsorted(pos_sorted[:, m], neg[:, m], "right"))
        v10[:, m], v01[:, m] = below / (2.0 * n0), above / (2.0 * n1)
    return v10, v01


def _delong_covariance(v10: np.ndarray, v01: np.ndarray) -> np.ndarray:
    """DeLong et al. (1988): ``S10 / n1 + S01 / n0``, S the sample covariances of placements."""
    n1, n0 = len(v10), len(v01)
    s10 = np.atleast_2d(np.cov(v10, rowvar=False, ddof=1))
    s01 = np.atleast_2d(np.cov(v01, rowvar=False, ddof=1))
    return s10 / n1 + s01 / n0


def _obuchowski_covariance(v10: np.ndarray, v01: np.ndarray, pos_cluster: np.ndarray,
                           neg_cluster: np.ndarray, auc: np.ndarray) -> np.ndarray:
    """Obuchowski (1997), clustered data: structural components summed within clusters.

    ``V10_i.`` and ``V01_i.`` are the placements of cluster ``i``'s positive and negative
    images summed, ``m_i`` and ``n_i`` its numbers of positives and negatives, ``M`` and
    ``N`` the totals, ``I10`` (``I01``) the number of clusters with a positive (negative)
    image and ``I`` the number of clusters with any:

    ``S10 = I10 / ((I10 - 1) M) sum_i (V10_i. - m_i A)^2``,
    ``S01 = I01 / ((I01 - 1) N) sum_i (V01_i. - n_i A)^2``,
    ``S11 = I / (I - 1) sum_i (V10_i. - m_i A)(V01_i. - n_i A)``,
    ``var A = S10 / M + S01 / N + 2 S11 / (M N)``; for several models the same sums of
    cross-products give the covariance matrix (``S11`` symmetrised).
    """
    _, codes = np.unique(np.r_[pos_cluster, neg_cluster], return_inverse=True)
    n_cl = int(codes.max()) + 1
    pc, nc = codes[:len(pos_cluster)], codes[len(pos_cluster):]
    big_m, big_n = len(v10), len(v01)
    m_i = np.bincount(pc, minlength=n_cl).astype(float)
    n_i = np.bincount(nc, minlength=n_cl).astype(float)
    v10_i = np.stack([np.bincount(pc, v10[:, k], n_cl) for k in range(v10.shape[1])], 1)
    v01_i = np.stack([np.bincount(nc, v01[:, k], n_cl) for k in range(v01.shape[1])], 1)
    d10 = v10_i - m_i[:, None] * auc
    d01 = v01_i - n_i[:, None] * auc
    i10, i01 = np.count_nonzero(m_i), np.count_nonzero(n_i)
    with np.errstate(divide="ignore", invalid="ignore"):
        s10 = i10 / ((i10 - 1) * big_m) * (d10.T @ d10)
        s01 = i01 / ((i01 - 1) * big_n) * (d01.T @ d01)
        s11 = n_cl / (n_cl - 1) * (d10.T @ d01)
    return s10 / big_m + s01 / big_n + (s11 + s11.T) / (big_m * big_n)


# --------------------------------------------------------------------------- bootstrap
@dataclass(frozen=True, eq=False)
class _AUCColumns:
    """Scores sorted once, as one sparse map from resampled rows (clusters) to score groups.

    For each defined column (a finding, or a finding x model) the class with fewer distinct
    scores is "grouped" (A; the negatives with negated scores when they have fewer: the AUC
    ``P(A > B) + P(A = B) / 2`` is unchanged), its distinct scores ``u_0 > u_1 > ...``
    (decreasing). Rows of ``maps`` (one product ``maps @ counts`` serves them all):

    - ``P_g``: resampled weight of the A images scoring ``u_g``;
    - ``E_h``: weight of the B images that exactly ``h + 1`` groups outscore
      (``u_h > x >= u_{h+1}``);
    - ``O_g``: weight of the B images tied with ``u_g``;
    - ``Z_k``: weight of the B images of column ``k`` that no group outscores.

    Then the Mann-Whitney numerator is ``sum_h E_h C_h + sum_g O_g P_g / 2`` with ``C`` the
    cumulative sum of ``P`` within the column, and the denominator ``sum_g P_g`` times the
    weight of all B images, ``sum_h E_h + Z_k``.
    """

    maps: sparse.csr_array  # rows: P (G), E (G), O (G), Z (K_defined)
    n_groups: int
    starts: np.ndarray     # (K_defined,) first group of each defined column
    defined: np.ndarray    # (K,) columns with at least one positive and one negative
    n_rows: int


def _auc_columns(scores: np.ndarray, labels: np.ndarray, rows: np.ndarray, n_rows: int
                 ) -> _AUCColumns:
    """Build :class:`_AUCColumns` from scores and labels (n_units, K), NaN = not evaluated.

    ``rows[u]`` is the resampled row (cluster) of unit ``u``. One sort per column.
    """
    k = labels.shape[1]
    parts = {"P": ([], []), "E": ([], []), "O": ([], []), "Z": ([], [])}
    starts = []
    defined = np.zeros(k, dtype=bool)
    g_off = 0
    for j in range(k):  # columns (findings x models): setup only, one sort each
        ok = ~np.isnan(labels[:, j]) & ~np.isnan(scores[:, j])
        is_pos = ok & (labels[:, j] == 1)
        is_neg = ok & (labels[:, j] == 0)
        if not (is_pos.any() and is_neg.any()):
            continue
        defined[j] = True
        a_idx, b_idx, sign = is_pos, is_neg, 1.0
        ua = np.unique(scores[is_pos, j])
        un = np.unique(scores[is_neg, j])
        if len(un) < len(ua):  # group the negatives: P(-neg > -pos) is the same AUC
            a_idx, b_idx, sign, ua = is_neg, is_pos, -1.0, -un[::-1]
        n_g = len(ua)
        a_s, b_s = sign * scores[a_idx, j], sign * scores[b_idx, j]
        desc = lambda i: g_off + n_g - 1 - i  # ascending index -> row of decreasing order
        parts["P"][0].append(desc(np.searchsorted(ua, a_s)))
        parts["P"][1].append(rows[a_idx])
        right = np.searchsorted(ua, b_s, "right")
        above = n_g - right                   # groups scoring above x
        hit = above > 0
        parts["E"][0].append(g_off + above[hit] - 1)
        parts["E"][1].append(rows[b_idx][hit])
        left = np.searchsorted(ua, b_s, "left")
        tie = right > left
        parts["O"][0].append(desc(left[tie]))
        parts["O"][1].append(rows[b_idx][tie])
        parts["Z"][0].append(np.full(int((~hit).sum()), len(starts)))
        parts["Z"][1].append(rows[b_idx][~hit])
        starts.append(g_off)
        g_off += n_g
    offsets = {"P": 0, "E": g_off, "O": 2 * g_off, "Z": 3 * g_off}
    r = [np.zeros(0, np.intp)] + [offsets[m] + np.concatenate(parts[m][0]) for m in parts
                                  if parts[m][0]]
    c = [np.zeros(0, np.intp)] + [np.concatenate(parts[m][1]) for m in parts if parts[m][1]]
    r, c = np.concatenate(r), np.concatenate(c)
    maps = sparse.csr_array((np.ones(len(r)), (r, c)),  # duplicate entries are summed
                            shape=(3 * g_off + len(starts), n_rows))
    return _AUCColumns(maps=maps, n_groups=g_off, starts=np.asarray(starts, np.intp),
                       defined=defined, n_rows=n_rows)


def _weighted_auc(cols: _AUCColumns, counts_t: np.ndarray) -> np.ndarray:
    """AUC of every column under every weight vector: ``counts_t`` is (n_rows, b) -> (K, b).

    Column ``b`` of ``counts_t`` says how often each row (cluster) is drawn. NaN for columns
    that are undefined, or where a replicate draws no positive or no negative.
    """
    b = counts_t.shape[1]
    out = np.full((len(cols.defined), b), np.nan)
    if not cols.defined.any():
        return out
    g = cols.n_groups
    sums = np.ascontiguousarray((cols.maps @ counts_t).T)  # (b, rows): contiguous per replicate
    p, e, o, z = sums[:, :g], sums[:, g:2 * g], sums[:, 2 * g:3 * g], sums[:, 3 * g:]
    cum = np.cumsum(p, axis=1)
    base = np.where(cols.starts > 0, cum[:, np.maximum(cols.starts - 1, 0)], 0.0)
    stops = np.r_[cols.starts[1:], g] - 1
    p_tot = cum[:, stops] - base
    e_tot = np.add.reduceat(e, cols.starts, axis=1)
    n_tot = e_tot + z
    num = (np.add.reduceat(e * cum, cols.starts, axis=1) - base * e_tot
           + 0.5 * np.add.reduceat(o * p, cols.starts, axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        out[cols.defined] = (num / (p_tot * n_tot)).T
    return out


def _draw_counts(n_units: int, codes: np.ndarray, n_resamples: int, seed, width: int):
    """Blocks of cluster counts, exactly those :func:`~adjudicate.resample.bootstrap_sums` draws
    for the same ``seed`` and ``clusters=codes``: yields ``(start, stop, counts_t, rows)`` with
    ``counts_t`` (n_clusters, stop - start) and ``rows`` the cluster index of each unit."""
    rows, n_clusters = _cluster_index(n_units, codes)
    rng = np.random.default_rng(seed)
    for start, stop in _chunks(n_resamples, width):
        counts = _cluster_counts(rng, stop - start, n_clusters)
        yield start, stop, np.ascontiguousarray(counts.T, dtype=np.float64)


def _bootstrap_auc(scores: np.ndarray, labels: np.ndarray, design: ClusterDesign, *,
                   n_resamples: int, seed, method: str, confidence_level: float,
                   ) -> tuple[BootstrapResult, np.ndarray]:
    """Patient-clustered bootstrap of the AUC of every column (K), and the estimates.

    Replicates are those of :func:`~adjudicate.resample.bootstrap_sums` with the same seed and
    ``clusters=design.codes`` (so 2x2 statistics bootstrapped there share the weights).
    Returns the :class:`BootstrapResult` (distribution (B, K), cluster jackknife (n_clusters,
    K)) and the estimates (K,).
    """
    n_units, k = labels.shape
    rows, n_clusters = _cluster_index(n_units, design.codes)
    cols = _auc_columns(scores, labels, rows, n_clusters)
    estimate = _weighted_auc(cols, np.ones((n_clusters, 1)))[:, 0]
    width = 2 * cols.maps.shape[0] + n_clusters
    distribution = np.empty((n_resamples, k))
    for start, stop, counts_t in _draw_counts(n_units, design.codes, n_resamples, seed, width):
        distribution[start:stop] = _weighted_auc(cols, counts_t).T
    jackknife = np.empty((n_clusters, k))
    for start, stop in _chunks(n_clusters, width):
        leave_out = np.ones((n_clusters, stop - start))
        leave_out[np.arange(start, stop), np.arange(stop - start)] = 0.0
        jackknife[start:stop] = _weighted_auc(cols, leave_out).T
    for a in (estimate, distribution, jackknife):
        a.setflags(write=False)
    boot = BootstrapResult(estimate=estimate, distribution=distribution, jackknife=jackknife,
                           method=method, confidence_level=confidence_level,
                           n_resamples=n_resamples, n_clusters=n_clusters, seed=seed,
                           clustered=design.clustered)
    return boot, estimate


def _difference_result(boot: BootstrapResult, a: int | np.ndarray, b: int | np.ndarray
                       ) -> BootstrapResult:
    """Column ``a`` minus column ``b`` of a bootstrap over columns, on the same replicates."""
    def diff(x):
        return None if x is None else np.asarray(x)[..., a] - np.asarray(x)[..., b]

    est = diff(boot.estimate)
    return BootstrapResult(estimate=float(est) if np.ndim(est) == 0 else est, distribution=diff(boot.distribution),
                           jackknife=diff(boot.jackknife), method=boot.method,
                           confidence_level=boot.confidence_level,
                           n_resamples=boot.n_resamples, n_clusters=boot.n_clusters,
                           seed=boot.seed, clustered=boot.clustered)


def _shared_seed(seed):
    """One integer seed for several bootstraps that must share their replicates."""
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**63))
    return _fresh_seed(seed)


# --------------------------------------------------------------------------- analytic core
def _auc_analysis(scores: np.ndarray, labels: np.ndarray, design: ClusterDesign
                  ) -> tuple[np.ndarray, np.ndarray, int, int]:
    """AUC of each model (columns of ``scores``) on one finding and their covariance matrix.

    Units with a label and every model's score are used. Returns ``(auc (M,), cov (M, M),
    n_pos, n_neg)``; Obuchowski's covariance when ``design.clustered``, else DeLong's.
    NaN when there are no positives or no negatives.
    """
    s = scores.reshape(len(scores), -1)
    ok = ~np.isnan(labels) & ~np.isnan(s).any(axis=1)
    positive = labels[ok] == 1
    n1, n0 = int(positive.sum()), int((~positive).sum())
    m = s.shape[1]
    if n1 == 0 or n0 == 0:
        return np.full(m, np.nan), np.full((m, m), np.nan), n1, n0
    v10, v01 = _placements(s[ok], positive)
    auc = v10.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        if design.clustered:
            codes = design.codes[ok]
            cov = _obuchowski_covariance(v10, v01, codes[positive], codes[~positive], auc)
        else:
            cov = _delong_covariance(v10, v01) if min(n1, n0) > 1 else np.full((m, m), np.nan)
    return auc, cov, n1, n0


def _wald(estimate, se, confidence_level, low=-np.inf, high=np.inf) -> ConfidenceInterval:
    z = ndtri(0.5 + confidence_level / 2)
    with np.errstate(invalid="ignore"):
        lo = np.clip(estimate - z * se, low, high)
        hi = np.clip(estimate + z * se, low, high)
    return ConfidenceInterval(lo[()] if np.ndim(lo) == 0 else lo, hi[()] if np.ndim(hi) == 0
                              else hi)


def _design(clusters, n: int, stacklevel: int = 3) -> ClusterDesign:
    if isinstance(clusters, ClusterDesign):
        return clusters
    return resolve_clusters(clusters, None, n_units=n, stacklevel=stacklevel + 1)


# --------------------------------------------------------------------------- results
@dataclass(frozen=True, eq=False)
class AUCResult:
    """The ROC AUC of one model on one finding, with its standard error and intervals.

    Attributes
    ----------
    statistic : float
        The AUC (Mann-Whitney; ties count one half). NaN without positives or negatives.
    standard_error : float
        Analytic: Obuchowski's clustered (``variance_method="obuchowski"``) or DeLong's
        (``"delong"``, images independent).
    variance_method : {"obuchowski", "delong"}
    n_positive, n_negative, n_clusters : int
        Images with a positive / negative reference label (and a score); clusters
        (patients) they come from.
    confidence_level : float
        Default level of :meth:`confidence_interval`.
    method : str
        Default interval method: the analytic one, or ``"bca"``/``"percentile"`` when
        bootstrapped.
    bootstrap : BootstrapResult or None
        The patient-clustered bootstrap (distribution kept for inspection).
    note : str
        Why the AUC is undefined, if it is.
    """

    statistic: float
    standard_error: float
    variance_method: str
    n_positive: int
    n_negative: int
    n_clusters: int
    confidence_level: float = 0.95
    method: str = "obuchowski"
    bootstrap: BootstrapResult | None = field(default=None, repr=False)
    note: str = ""

    def confidence_interval(self, confidence_level: float | None = None, *,
                            method: Method | None = None) -> ConfidenceInterval:
        """Two-sided interval: Wald from the analytic SE (clipped to [0, 1]) or bootstrap.

        Parameters
        ----------
        confidence_level : float, optional
            Default: ``self.confidence_level``.
        method : {"obuchowski", "delong", "bca", "percentile"}, optional
            Default ``self.method``. ``"obuchowski"``/``"delong"`` use
            :attr:`standard_error` (whichever variance the result holds); ``"bca"`` and
            ``"percentile"`` need :attr:`bootstrap`.
        """
        level = (self.confidence_level if confidence_level is None
                 else _check_level(confidence_level))
        method = self.method if method is None else str(method).lower()
        if method in _ANALYTIC:
            if method != self.variance_method:
                raise ValueError(f"this result holds the {self.variance_method} variance; "
                                 f"method={method!r} needs clusters="
                                 + ("'unit'" if method == "delong" else "patient ids"))
            return _wald(np.float64(self.statistic), self.standard_error, level, 0.0, 1.0)
        _check_method(method)
        if self.bootstrap is None:
            raise ValueError(f"method={method!r} needs a bootstrap: pass n_resamples")
        return self.bootstrap.confidence_interval(level, method=method)


@dataclass(frozen=True, eq=False)
class AUCDifferenceResult:
    """AUC of model A minus AUC of model B on the same images (paired).

    Attributes
    ----------
    statistic : float
        ``auc_a - auc_b``.
    auc_a, auc_b : float
    standard_error : float
        From the DeLong/Obuchowski covariance: ``sqrt(var_a + var_b - 2 cov_ab)``.
    p_value : float
        Two-sided Wald test of equal AUCs, ``2 (1 - Phi(|d| / se))``.
    variance_method, n_positive, n_negative, n_clusters, confidence_level, method, bootstrap
        As in :class:`AUCResult`.
    """

    statistic: float
    auc_a: float
    auc_b: float
    standard_error: float
    p_value: float
    variance_method: str
    n_positive: int
    n_negative: int
    n_clusters: int
    confidence_level: float = 0.95
    method: str = "obuchowski"
    bootstrap: BootstrapResult | None = field(default=None, repr=False)

    def confidence_interval(self, confidence_level: float | None = None, *,
                            method: Method | None = None) -> ConfidenceInterval:
        """Two-sided interval of the difference (Wald or bootstrap); see :class:`AUCResult`."""
        level = (self.confidence_level if confidence_level is None
                 else _check_level(confidence_level))
        method = self.method if method is None else str(method).lower()
        if method in _ANALYTIC:
            return _wald(np.float64(self.statistic), self.standard_error, level, -1.0, 1.0)
        _check_method(method)
        if self.bootstrap is None:
            raise ValueError(f"method={method!r} needs a bootstrap: pass n_resamples")
        return self.bootstrap.confidence_interval(level, method=method)


def _wald_p(d, se):
    with np.errstate(divide="ignore", invalid="ignore"):
        return 2 * ndtr(-np.abs(np.float64(d) / se))


# --------------------------------------------------------------------------- public
def roc_curve(scores, labels) -> pd.DataFrame:
    """The empirical ROC curve: one point per distinct score, from the strictest threshold.

    An image is called positive when ``score >= threshold``. The first row is the threshold
    ``inf`` (nobody positive, the point (0, 0)), as in :func:`sklearn.metrics.roc_curve`.

    Parameters
    ----------
    scores : array_like of float, shape (n,)
        One score per image; NaN = no score (left out).
    labels : array_like, shape (n,)
        Reference labels: 1/0, True/False or ``"YES"``/``"NO"``; NaN/None = no label.

    Returns
    -------
    DataFrame
        Columns ``threshold``, ``fpr``, ``tpr``, ``sensitivity`` (= tpr), ``specificity``
        (= 1 - fpr), ``tp``, ``fp``, ``fn``, ``tn``; thresholds decreasing.

    Examples
    --------
    >>> roc_curve([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])
       threshold  fpr  tpr  sensitivity  specificity  tp  fp  fn  tn
    0        inf  0.0  0.0          0.0          1.0   0   0   2   2
    1       0.80  0.0  0.5          0.5          1.0   1   0   1   2
    2       0.40  0.5  0.5          0.5          0.5   1   1   1   1
    3       0.35  0.5  1.0          1.0          0.5   2   1   0   1
    4       0.10  1.0  1.0          1.0          0.0   2   2   0   0
    """
    s = _as_scores(scores)
    y = _as_labels(labels, len(s))
    ok = ~np.isnan(s) & ~np.isnan(y)
    s, pos = s[ok], y[ok] == 1
    thresholds, first = np.unique(-s, return_inverse=True)  # decreasing scores
    tp = np.r_[0, np.cumsum(np.bincount(first, pos, len(thresholds)))].astype(np.int64)
    fp = np.r_[0, np.cumsum(np.bincount(first, ~pos, len(thresholds)))].astype(np.int64)
    n1, n0 = int(pos.sum()), int((~pos).sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        tpr, fpr = tp / n1, fp / n0
    return pd.DataFrame({"threshold": np.r_[np.inf, -thresholds], "fpr": fpr, "tpr": tpr,
                         "sensitivity": tpr, "specificity": 1 - fpr, "tp": tp, "fp": fp,
                         "fn": n1 - tp, "tn": n0 - fp})


def roc_auc(scores, labels, *, clusters=None, n_resamples: int = 0, seed=None,
            method: Method | None = None, confidence_level: float = 0.95) -> AUCResult:
    """ROC AUC of a score against binary reference labels, with clustered intervals.

    Parameters
    ----------
    scores : array_like of float, shape (n,)
        One score per image (probabilities, any real score, or 0/1 calls); NaN = no score.
    labels : array_like, shape (n,)
        1/0, True/False or ``"YES"``/``"NO"``; NaN/None = no label (image left out).
    clusters : None, "unit", sequence or ClusterDesign
        One patient id per image: the standard error is Obuchowski's clustered one and the
        bootstrap resamples patients. ``"unit"``: images independent (DeLong; image
        bootstrap). ``None`` (default): no clusters known, so images are treated as
        independent with an :class:`~adjudicate.resample.IndependentUnitsWarning`.
    n_resamples : int, default 0
        Bootstrap replicates (0: analytic intervals only).
    seed : None, int or Generator
        Seed of the bootstrap (drawn and recorded in ``.bootstrap.seed`` when None).
    method : {"obuchowski", "delong", "bca", "percentile"}, optional
        Default interval method of the result: the analytic one, or BCa when bootstrapped.
    confidence_level : float, default 0.95

    Returns
    -------
    AUCResult

    Examples
    --------
    Hanley & McNeil (1982), Table 1: 109 CT images rated 1-5.

    >>> ratings = np.repeat([1, 2, 3, 4, 5, 1, 2, 3, 4, 5],
    ...                     [33, 6, 6, 11, 2, 3, 2, 2, 11, 33])
    >>> truth = np.repeat([0, 1], [58, 51])
    >>> res = roc_auc(ratings, truth, clusters="unit")
    >>> round(res.statistic, 3), round(res.standard_error, 4), res.variance_method
    (0.893, 0.0307, 'delong')
    >>> [round(float(x), 3) for x in res.confidence_interval()]
    [0.833, 0.953]
    """
    s = _as_scores(scores)
    y = _as_labels(labels, len(s))
    design = _design(clusters, len(s))
    level = _check_level(confidence_level)
    auc, cov, n1, n0 = _auc_analysis(s, y, design)
    ok = ~np.isnan(s) & ~np.isnan(y)
    n_cl = len(np.unique(design.codes[ok]))
    vm = "obuchowski" if design.clustered else "delong"
    boot = None
    n_resamples = int(n_resamples or 0)
    if n_resamples:
        n_resamples = _positive_int(n_resamples, "n_resamples")
        bm = _check_method(method if method not in (None, *_ANALYTIC) else "bca")
        boot, _ = _bootstrap_auc(s[:, None], y[:, None], design, n_resamples=n_resamples,
                                 seed=_shared_seed(seed), method=bm, confidence_level=level)
        boot = _column(boot, 0)
    default = method or ("bca" if boot is not None else vm)
    note = "" if n1 and n0 else ("no positive reference labels" if not n1
                                 else "no negative reference labels")
    return AUCResult(statistic=float(auc[0]), standard_error=float(np.sqrt(cov[0, 0])),
                     variance_method=vm, n_positive=n1, n_negative=n0, n_clusters=n_cl,
                     confidence_level=level, method=default, bootstrap=boot, note=note)


def _column(boot: BootstrapResult, index) -> BootstrapResult:
    """One output (or a sub-array) of a bootstrap over many outputs."""
    def pick(x):
        return None if x is None else np.asarray(x)[..., index]

    est = pick(boot.estimate)
    return BootstrapResult(estimate=float(est) if np.ndim(est) == 0 else est,
                           distribution=pick(boot.distribution), jackknife=pick(boot.jackknife),
                           method=boot.method, confidence_level=boot.confidence_level,
                           n_resamples=boot.n_resamples, n_clusters=boot.n_clusters,
                           seed=boot.seed, clustered=boot.clustered)


def auc_difference(scores_a, scores_b, labels, *, clusters=None, n_resamples: int = 0,
                   seed=None, method: Method | None = None,
                   confidence_level: float = 0.95) -> AUCDifferenceResult:
    """Paired difference of the AUCs of two models scored on the same images.

    Images with a label and both scores are used. The standard error comes from the
    DeLong (independent images) or Obuchowski (clustered) covariance of the two AUCs; the
    bootstrap resamples patients once for both models, so their correlation is kept.

    Parameters
    ----------
    scores_a, scores_b : array_like of float, shape (n,)
    labels : array_like, shape (n,)
    clusters, n_resamples, seed, method, confidence_level
        As in :func:`roc_auc`.

    Returns
    -------
    AUCDifferenceResult
        ``statistic = auc_a - auc_b`` with ``standard_error``, the Wald ``p_value`` and
        ``confidence_interval()``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 300)
    >>> a = y + rng.normal(0, 1.0, 300)          # the better model
    >>> b = y + rng.normal(0, 2.0, 300)
    >>> d = auc_difference(a, b, y, clusters="unit")
    >>> round(d.statistic, 3), round(d.auc_a, 3), round(d.auc_b, 3), round(d.p_value, 4)
    (0.114, 0.814, 0.701, 0.0038)
    """
    sa, sb = _as_scores(scores_a, "scores_a"), _as_scores(scores_b, "scores_b")
    if len(sa) != len(sb):
        raise ValueError(f"scores_a and scores_b must score the same images: {len(sa)} and "
                         f"{len(sb)} scores")
    y = _as_labels(labels, len(sa))
    design = _design(clusters, len(sa))
    level = _check_level(confidence_level)
    s = np.c_[sa, sb]
    auc, cov, n1, n0 = _auc_analysis(s, y, design)
    se = float(np.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]))
    d = float(auc[0] - auc[1])
    ok = ~np.isnan(y) & ~np.isnan(s).any(axis=1)
    n_cl = len(np.unique(design.codes[ok]))
    vm = "obuchowski" if design.clustered else "delong"
    boot = None
    if n_resamples:
        n_resamples = _positive_int(n_resamples, "n_resamples")
        bm = _check_method(method if method not in (None, *_ANALYTIC) else "bca")
        y2 = np.where(ok, y, np.nan)  # the same images for both models
        both, _ = _bootstrap_auc(s, np.c_[y2, y2], design, n_resamples=n_resamples,
                                 seed=_shared_seed(seed), method=bm, confidence_level=level)
        boot = _difference_result(both, 0, 1)
    return AUCDifferenceResult(
        statistic=d, auc_a=float(auc[0]), auc_b=float(auc[1]), standard_error=se,
        p_value=float(_wald_p(d, se)), variance_method=vm, n_positive=n1, n_negative=n0,
        n_clusters=n_cl, confidence_level=level,
        method=method or ("bca" if boot is not None else vm), bootstrap=boot)
