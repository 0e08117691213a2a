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
2x2 finalize and the cluster-adjusted Wilson intervals (the default for these proportions) are
those of :mod:`adjudicate.compare`; with ``n_resamples`` the per-image cells also go through
:func:`adjudicate.resample.bootstrap_sums` with the same seed and clusters, so they are
resampled with the same weights as the AUC (the intervals of the prevalence-adjusted rows,
and of every row with ``method="bca"``/``"percentile"``). **A score equal to the threshold
is positive** (``score >= threshold``).

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

from ._lazy import ndtr, ndtri
from .ratings import _binary_value
from .resample import (
    BootstrapResult,
    ClusterDesign,
    ConfidenceInterval,
    _check_level,
    _check_method,
    _cluster_counts,
    _fresh_seed,
    check_n_resamples,
    resolve_clusters,
)

__all__ = [
    "AUCDifferenceResult",
    "AUCResult",
    "auc_difference",
    "evaluate_model",
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
    out = _label_codes(lab)
    bad = out == -1.0
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"labels must be 0/1, True/False or YES/NO (NaN = no label): "
                         f"position {i} is {lab[i]!r}")
    return out


def _label_codes(values: pd.Series) -> np.ndarray:
    """1.0 for YES/1/True, 0.0 for NO/0/False (any binary known vocabulary,
    :data:`adjudicate.ratings.VOCABULARIES`), NaN for no label, -1.0 for anything else."""
    return np.array([_binary_value(v) for v in values], dtype=float)


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
    - ``O_g``: weight of the B images tied with ``u_g`` (rows only for groups with a tie:
      ``tie_groups`` says which group, ``tie_columns`` which column);
    - ``Z_k``: weight of the B images of column ``k`` that no group outscores.

    Then the Mann-Whitney numerator is ``sum_h E_h C_h + sum_g O_g P_g / 2`` with ``C`` the
    cumulative sum of ``P`` within the column, and the denominator ``sum_g P_g`` times the
    weight of all B images, ``sum_h E_h + Z_k``.
    """

    maps: object  # scipy.sparse.csr_array; rows: P (G), E (G), O (ties), Z (K_defined)
    n_groups: int
    tie_groups: np.ndarray   # (n_ties,) group of each O row
    tie_columns: np.ndarray  # (n_ties, K_defined) one-hot: column of each O row
    starts: np.ndarray     # (K_defined,) first group of each defined column
    defined: np.ndarray    # (K,) columns with at least one positive and one negative
    n_rows: int


def _auc_columns(scores: np.ndarray, labels: np.ndarray, rows: np.ndarray, n_rows: int
                 ) -> _AUCColumns:
    """Build :class:`_AUCColumns` from scores and labels (n_units, K), NaN = not evaluated.

    ``rows[u]`` is the resampled row (cluster) of unit ``u``. One sort per column.
    """
    from scipy import sparse  # imported when first needed: keeps `import adjudicate` light

    k = labels.shape[1]
    parts = {"P": ([], []), "E": ([], []), "O": ([], []), "Z": ([], [])}
    starts, tie_groups = [], []
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
        top = g_off + n_g - 1                 # ascending index i -> row top - i (decreasing)
        parts["P"][0].append(top - np.searchsorted(ua, a_s))
        parts["P"][1].append(rows[a_idx])
        right = np.searchsorted(ua, b_s, "right")
        above = n_g - right                   # groups scoring above x
        hit = above > 0
        parts["E"][0].append(g_off + above[hit] - 1)
        parts["E"][1].append(rows[b_idx][hit])
        left = np.searchsorted(ua, b_s, "left")
        tie = right > left
        tied, tie_row = np.unique(top - left[tie], return_inverse=True)
        parts["O"][0].append(sum(map(len, tie_groups)) + tie_row)
        parts["O"][1].append(rows[b_idx][tie])
        tie_groups.append(tied)
        parts["Z"][0].append(np.full(int((~hit).sum()), len(starts)))
        parts["Z"][1].append(rows[b_idx][~hit])
        starts.append(g_off)
        g_off += n_g
    n_ties = sum(map(len, tie_groups))
    offsets = {"P": 0, "E": g_off, "O": 2 * g_off, "Z": 2 * g_off + n_ties}
    r = [np.zeros(0, np.intp)] + [offsets[m] + np.concatenate(parts[m][0]) for m in parts
                                  if parts[m][0]]
    c = [np.zeros(0, np.intp)] + [np.concatenate(parts[m][1]) for m in parts if parts[m][1]]
    r, c = np.concatenate(r), np.concatenate(c)
    maps = sparse.csr_array((np.ones(len(r)), (r, c)),  # duplicate entries are summed
                            shape=(2 * g_off + n_ties + len(starts), n_rows))
    tie_col = np.repeat(np.arange(len(starts)), [len(x) for x in tie_groups])
    return _AUCColumns(maps=maps, n_groups=g_off,
                       tie_groups=np.concatenate([np.zeros(0, np.intp)] + tie_groups),
                       tie_columns=(tie_col[:, None] == np.arange(len(starts))).astype(float),
                       starts=np.asarray(starts, np.intp), defined=defined, n_rows=n_rows)


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
    n_ties = len(cols.tie_groups)
    p, e = sums[:, :g], sums[:, g:2 * g]
    o, z = sums[:, 2 * g:2 * g + n_ties], sums[:, 2 * g + n_ties:]
    cum = np.cumsum(p, axis=1)
    base = np.where(cols.starts > 0, cum[:, np.maximum(cols.starts - 1, 0)], 0.0)
    stops = np.r_[cols.starts[1:], g] - 1
    p_tot = cum[:, stops] - base
    e_tot = np.add.reduceat(e, cols.starts, axis=1)
    n_tot = e_tot + z
    num = (np.add.reduceat(e * cum, cols.starts, axis=1) - base * e_tot
           + 0.5 * ((o * p[:, cols.tie_groups]) @ cols.tie_columns))
    with np.errstate(divide="ignore", invalid="ignore"):
        out[cols.defined] = (num / (p_tot * n_tot)).T
    return out


def _engine_clusters(design: ClusterDesign) -> tuple[np.ndarray, int]:
    """The cluster number of each unit as the bootstrap engine numbers ``clusters=design``
    (:func:`~adjudicate.resample.bootstrap_sums` takes the design's own numbering, sorted id
    order), so the AUC bootstrap draws the same replicates as every 2x2 bootstrap given the
    same seed."""
    return design.codes, design.n_clusters


_CACHE_ELEMENTS = 1 << 17
"""Float64 values (1 MiB) per block of replicates in the AUC bootstrap: the group sums of a
block and their temporaries then stay in a core's L2 cache. Measured on the bundled data
(3,036 group rows): 32 replicates per block take 0.5 s for B = 10,000, 64 or more 1.3-1.8 s."""


def _blocks(n: int, width: int):
    """Row ranges ``(start, stop)`` of blocks of about ``_CACHE_ELEMENTS / width`` rows."""
    size = max(8, _CACHE_ELEMENTS // max(width, 1))
    for start in range(0, n, size):
        yield start, min(start + size, n)


def _draw_counts(n_clusters: int, n_resamples: int, seed, width: int):
    """Blocks of cluster counts, exactly those :func:`~adjudicate.resample.bootstrap_sums` draws
    for the same ``seed`` and clusters: yields ``(start, stop, counts_t)`` with ``counts_t``
    (n_clusters, stop - start)."""
    rng = np.random.default_rng(seed)
    for start, stop in _blocks(n_resamples, width):  # numpy draws the same stream in any blocks
        counts = _cluster_counts(rng, stop - start, n_clusters)
        yield start, stop, np.ascontiguousarray(counts.T, dtype=np.float64)


def _bootstrap_auc(scores: np.ndarray, labels: np.ndarray, design: ClusterDesign, *,
                   n_resamples: int, seed, method: str, confidence_level: float,
                   ) -> tuple[BootstrapResult, np.ndarray]:
    """Patient-clustered bootstrap of the AUC of every column (K), and the estimates.

    Replicates are those of :func:`~adjudicate.resample.bootstrap_sums` with the same seed and
    ``clusters=design`` (so 2x2 statistics bootstrapped there share the weights).
    Returns the :class:`BootstrapResult` (distribution (B, K), cluster jackknife (n_clusters,
    K)) and the estimates (K,).
    """
    k = labels.shape[1]
    rows, n_clusters = _engine_clusters(design)
    cols = _auc_columns(scores, labels, rows, n_clusters)
    estimate = _weighted_auc(cols, np.ones((n_clusters, 1)))[:, 0]
    width = cols.maps.shape[0]
    distribution = np.empty((n_resamples, k))
    for start, stop, counts_t in _draw_counts(n_clusters, n_resamples, seed, width):
        distribution[start:stop] = _weighted_auc(cols, counts_t).T
    jackknife = np.empty((n_clusters, k))
    for start, stop in _blocks(n_clusters, width):
        leave_out = np.ones((n_clusters, stop - start))
        leave_out[np.arange(start, stop), np.arange(stop - start)] = 0.0
        jackknife[start:stop] = _weighted_auc(cols, leave_out).T
    for a in (estimate, distribution, jackknife):
        a.setflags(write=False)
    boot = BootstrapResult(estimate=estimate, distribution=distribution, jackknife=jackknife,
                           method=method, confidence_level=confidence_level,
                           n_resamples=n_resamples, n_clusters=n_clusters, seed=seed,
                           clustered=design.clustered, clusters=design.label)
    return boot, estimate


def _derived(boot: BootstrapResult, fn) -> BootstrapResult:
    """A statistic computed from another bootstrap's outputs, on the same replicates.

    ``fn`` maps an array whose last axes are the outputs (estimate, each replicate, each
    jackknife value) to the new statistic: a column, a difference of columns, a mean.
    """
    est = np.asarray(fn(np.asarray(boot.estimate, dtype=float)))
    return BootstrapResult(
        estimate=float(est) if est.ndim == 0 else est, distribution=fn(boot.distribution),
        jackknife=None if boot.jackknife is None else fn(boot.jackknife), method=boot.method,
        confidence_level=boot.confidence_level, n_resamples=boot.n_resamples,
        n_clusters=boot.n_clusters, seed=boot.seed, clustered=boot.clustered,
        clusters=boot.clusters)


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
class _Intervals:
    """``confidence_interval`` shared by the AUC results: Wald from the analytic standard
    error (clipped to the statistic's range) or the stored bootstrap."""

    _range = (0.0, 1.0)

    def confidence_interval(self, confidence_level: float | None = None, *,
                            method: Method | None = None) -> ConfidenceInterval:
        """Two-sided interval: Wald from the analytic SE (clipped to the range) or bootstrap.

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
            return _wald(np.float64(self.statistic), self.standard_error, level, *self._range)
        _check_method(method)
        if self.bootstrap is None:
            raise ValueError(f"method={method!r} needs a bootstrap: pass n_resamples")
        return self.bootstrap.confidence_interval(level, method=method)


@dataclass(frozen=True, eq=False)
class AUCResult(_Intervals):
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


@dataclass(frozen=True, eq=False)
class AUCDifferenceResult(AUCResult):
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

    auc_a: float = np.nan
    auc_b: float = np.nan
    p_value: float = np.nan

    _range = (-1.0, 1.0)


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
        n_resamples = check_n_resamples(n_resamples, level)
        bm = _check_method(method if method not in (None, *_ANALYTIC) else "bca")
        boot, _ = _bootstrap_auc(s[:, None], y[:, None], design, n_resamples=n_resamples,
                                 seed=_shared_seed(seed), method=bm, confidence_level=level)
        boot = _derived(boot, lambda x: x[..., 0])
    default = method or ("bca" if boot is not None else vm)
    note = "" if n1 and n0 else ("no positive reference labels" if not n1
                                 else "no negative reference labels")
    return AUCResult(statistic=float(auc[0]), standard_error=float(np.sqrt(cov[0, 0])),
                     variance_method=vm, n_positive=n1, n_negative=n0, n_clusters=n_cl,
                     confidence_level=level, method=default, bootstrap=boot, note=note)


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
        n_resamples = check_n_resamples(n_resamples, level)
        bm = _check_method(method if method not in (None, *_ANALYTIC) else "bca")
        y2 = np.where(ok, y, np.nan)  # the same images for both models
        both, _ = _bootstrap_auc(s, np.c_[y2, y2], design, n_resamples=n_resamples,
                                 seed=_shared_seed(seed), method=bm, confidence_level=level)
        boot = _derived(both, lambda x: x[..., 0] - x[..., 1])
    return AUCDifferenceResult(
        statistic=d, auc_a=float(auc[0]), auc_b=float(auc[1]), standard_error=se,
        p_value=float(_wald_p(d, se)), variance_method=vm, n_positive=n1, n_negative=n0,
        n_clusters=n_cl, confidence_level=level,
        method=method or ("bca" if boot is not None else vm), bootstrap=boot)


# --------------------------------------------------------------------------- thresholds
def _threshold_for(scores: np.ndarray, positive: np.ndarray, *, specificity=None,
                   sensitivity=None) -> float:
    """The operating threshold (``score >= t`` positive) reaching a target on these images.

    For a target specificity: the smallest threshold whose specificity is at least the
    target (the most sensitive such point). For a target sensitivity: the largest threshold
    whose sensitivity is at least the target. ``inf`` calls every image negative.
    """
    pos, neg = np.sort(scores[positive]), np.sort(scores[~positive])
    if specificity is not None:
        k = int(np.ceil(specificity * len(neg) - 1e-9))   # negatives that must fall below t
        if k <= 0:
            return float(scores.min()) if len(scores) else np.inf
        above = scores[scores > neg[k - 1]]
        return float(above.min()) if len(above) else np.inf
    k = int(np.ceil(sensitivity * len(pos) - 1e-9))       # positives that must reach t
    return np.inf if k <= 0 else float(pos[::-1][k - 1])


def _cells(calls: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """One-hot (tp, fp, fn, tn) per image (last axis); zeros where the call or label is NaN,
    so those images count in no cell (the layout of :func:`adjudicate.accuracy.confusion_cells`)."""
    ok = ~np.isnan(calls) & ~np.isnan(labels)
    c, y = calls == 1, labels == 1
    return (np.stack([c & y, c & ~y, ~c & y, ~c & ~y], axis=-1) & ok[..., None]).astype(np.int8)


def _adjusted(sums: np.ndarray, prevalence: np.ndarray) -> np.ndarray:
    """PPV, NPV and accuracy at a target prevalence, from summed cells ``(..., 4)``.

    Positives are weighted ``pi / p`` and negatives ``(1 - pi) / (1 - p)`` (``p`` the
    prevalence of the reference in these images), so the weighted prevalence is ``pi``
    (Majkowska et al. 2019). Applied to the cells of each bootstrap replicate, the weights
    are recomputed for that replicate, so every replicate has prevalence ``pi``:
    ``PPV = se pi / (se pi + (1 - sp)(1 - pi))``, ``NPV = sp (1 - pi) / (sp (1 - pi) +
    (1 - se) pi)``, ``accuracy = se pi + sp (1 - pi)``.
    """
    tp, fp, fn, tn = np.moveaxis(np.asarray(sums, dtype=float), -1, 0)
    pi = prevalence
    with np.errstate(divide="ignore", invalid="ignore"):
        w_pos, w_neg = pi / (tp + fn), (1 - pi) / (fp + tn)
        tp, fn, fp, tn = tp * w_pos, fn * w_pos, fp * w_neg, tn * w_neg
        return np.stack([tp / (tp + fp), tn / (tn + fn), tp + tn], axis=-1)


# --------------------------------------------------------------------------- evaluate_model
_OPERATING = ("sensitivity", "specificity", "ppv", "npv")
_ADJUSTED = ("ppv_adjusted", "npv_adjusted", "accuracy_adjusted")


def _as_model(scores, default_name: str):
    from .io.scores import ModelScores, read_scores

    if isinstance(scores, ModelScores):
        return scores
    if isinstance(scores, pd.DataFrame):
        return read_scores(scores, name=default_name)
    return read_scores(scores)


def _label_floats(table: pd.DataFrame) -> np.ndarray:
    """YES/NO (or 1/0, True/False) label table -> floats 1/0, NaN where no label."""
    flat = pd.Series(table.astype(object).to_numpy().ravel(), dtype=object)
    out = _label_codes(flat).reshape(table.shape)
    if (out == -1.0).any():
        i, j = np.argwhere(out == -1.0)[0]
        raise ValueError(f"reference label {table.iat[i, j]!r} (image {table.index[i]!r}, "
                         f"finding {table.columns[j]!r}) is not YES/NO or 1/0")
    return out


def _reference(reference, dataset):
    """The reference labels (images x findings), its name, the dataset and the reader panel."""
    from .datasets import Dataset, load_dataset
    from .io.scores import read_label_table
    from .reproduce import GROUND_TRUTH_READERS
    from .vote import VoteResult, majority_vote

    ds = dataset
    if isinstance(ds, str):
        ds = load_dataset(ds)
    if isinstance(reference, str) and reference in ("published", "majority"):
        if ds is None:
            ds = load_dataset("all_findings")
        if not isinstance(ds, Dataset):
            raise TypeError("dataset must be a bundled dataset name or a Dataset")
        if reference == "published":
            panel = (list(GROUND_TRUTH_READERS) if ds.name == "all_findings"
                     else list(ds.ratings.readers))
            return ds.labels, f"published {ds.name.replace('_', '-')} labels", ds, panel
        vote = majority_vote(ds.ratings)
        return (vote.labels, "majority vote of all readers", ds,
                list(ds.ratings.readers))
    if isinstance(reference, VoteResult):
        readers = reference.policy.get("readers")
        panel = list(readers) if readers is not None else (
            list(ds.ratings.readers) if ds is not None else [])
        return reference.labels, "majority vote", ds, panel
    if isinstance(reference, pd.DataFrame):
        return reference, "user labels", ds, []
    if isinstance(reference, (str, bytes)) or hasattr(reference, "__fspath__"):
        return read_label_table(reference), str(reference), ds, []
    raise TypeError("reference must be 'published', 'majority', a label table (DataFrame "
                    "or CSV file) or a VoteResult")


def _cluster_ids(clusters, ds, images: pd.Index):
    """Patient ids of the evaluated images from the dataset (None when unknown)."""
    if ds is None:
        return None
    ids = pd.Series(ds.ratings.clusters, index=ds.ratings.units)
    found = ids.reindex(images)
    return None if found.isna().any() else found.to_numpy()


def _method_text(design: ClusterDesign, analytic: str, n_resamples: int, method: str) -> str:
    what = design.label if design.clustered else "images"
    if n_resamples:
        return f"{method} bootstrap, {n_resamples} resamples of {what}"
    if analytic in _ANALYTIC:
        return (f"obuchowski, {design.n_clusters} {what}" if analytic == "obuchowski"
                else "delong, images independent")
    return analytic


def _interval(boot: BootstrapResult | None, method: str, level: float):
    if boot is None:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # BCa falls back where it must
        low, high = boot.confidence_interval(level, method=method)
    return np.asarray(low, dtype=float), np.asarray(high, dtype=float)


def _one_sided_p(boot: BootstrapResult, margin: float) -> np.ndarray:
    """One-sided p of H0 ``difference <= -margin`` (margin 0: superiority; > 0:
    non-inferiority) that inverts the reported interval, as every p-value of the package:
    half the two-sided :meth:`~adjudicate.resample.BootstrapResult.p_value` of ``-margin``
    when the estimate lies above it (one minus that half below), so ``p < alpha / 2``
    exactly when the two-sided ``1 - alpha`` interval lies above ``-margin``."""
    two = np.asarray(boot.p_value(-margin), dtype=float)
    est = np.asarray(boot.estimate, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(np.isnan(two) | np.isnan(est), np.nan,
                        np.where(est > -margin, two / 2, 1 - two / 2))


def evaluate_model(scores, reference="published", *, dataset=None, other_scores=None,
                   clusters=None, threshold=None, sensitivity: float | None = None,
                   specificity: float | None = None, match_readers: bool = False,
                   prevalence: dict | None = None, margin: float = 0.0,
                   n_resamples: int = 0, seed=None,
                   method: Literal["bca", "percentile"] | None = None,
                   confidence_level: float = 0.95, p_adjust: str = "holm"):
    """Evaluate a model's scores against a reference standard, finding by finding.

    ROC AUC with patient-clustered intervals, the paired AUC difference of two models,
    operating points (sensitivity, specificity, PPV, NPV) at a threshold, at a target
    sensitivity or specificity, and at the readers' specificities, the model against each
    reader at matched operating points, and PPV/NPV/accuracy at a target prevalence.

    Parameters
    ----------
    scores : ModelScores, DataFrame or path
        The model's scores (see :func:`adjudicate.io.read_scores`): images x findings,
        findings named as in the reference.
    reference : "published", "majority", DataFrame, VoteResult or path
        ``"published"``: the dataset's published labels (the default); ``"majority"``: the
        majority vote of all the dataset's readers (:func:`adjudicate.majority_vote`,
        default policies); a label table (images x findings, YES/NO or 1/0) as a DataFrame
        or CSV file; a :class:`~adjudicate.VoteResult`.
    dataset : str or Dataset, optional
        The bundled dataset the images come from: its patients are the clusters, its readers
        the readers of ``match_readers``. Default ``"all_findings"`` when ``reference`` is
        ``"published"`` or ``"majority"``.
    other_scores : ModelScores, DataFrame or path, optional
        A second model on the same images: adds its AUC and the paired difference
        (``auc_difference``, on the images both scored) with its two-sided ``p_value``: the
        Wald test of the DeLong/Obuchowski difference, or with ``n_resamples`` the inversion
        of the bootstrap interval; ``p_adjusted`` across findings.
    clusters : None, "unit", "patient", Series or array
        ``None``: the dataset's patients (images independent, with an
        :class:`~adjudicate.resample.IndependentUnitsWarning`, when unknown); ``"unit"``:
        images independent (DeLong); a Series mapping image id to patient id, or one id per
        evaluated image.
    threshold : float or dict, optional
        Operating point: an image is positive when ``score >= threshold`` (one threshold, or
        one per finding).
    sensitivity, specificity : float, optional
        Operating point at a target: the most specific threshold with at least this
        sensitivity / the most sensitive with at least this specificity (chosen on these
        images; the interval does not include the uncertainty of that choice).
    match_readers : bool
        Each reader's sensitivity and specificity against the reference (leave-one-out,
        :func:`adjudicate.leave_one_out_reference`, for readers in the reference panel: the
        majority of the *other* panel readers), the model at each reader's and at the mean
        reader's specificity, and model minus reader: ``sensitivity_difference`` at matched
        specificity and ``specificity_difference`` at matched sensitivity, with paired
        patient-clustered bootstrap intervals and a one-sided test (``p_value``) of
        ``difference <= -margin``, Holm-adjusted across findings. A reader's HEDGE reads
        count as NO (the package's default HEDGE policy). The panel: the three ground-truth
        readers for the all-findings published labels, every reader for the four-findings
        labels (adjudicated from their reads) and for a majority vote, nobody for a user's
        table.
    prevalence : dict, optional
        ``{finding: target prevalence}``: PPV, NPV and accuracy at that prevalence
        (``ppv_adjusted``, ...): images reweighted so the finding's prevalence is the target
        (Majkowska et al. 2019), in every bootstrap replicate.
    margin : float, default 0
        Non-inferiority margin of the model-minus-reader tests (0: superiority).
    n_resamples : int, default 0
        Bootstrap replicates; 0 = no bootstrap (Obuchowski/DeLong for the AUC). The
        prevalence-adjusted rows have an interval only from a bootstrap. Model-vs-reader
        differences are always bootstrapped (2000 replicates when 0 is given).
    seed : None, int or Generator
        One seed for every bootstrap here, so all share the same replicates; drawn and
        recorded when None.
    method : {None, "bca", "percentile"}
        Interval method. None (default): the default of each statistic. Proportions
        (sensitivity, specificity, PPV, NPV of the model and of the readers) get Wilson's
        score interval with the patients' design effect, as every rater against a
        reference in the package (:func:`adjudicate.accuracy_table`): it keeps its coverage
        with few events, where the patient bootstrap collapses (``docs/coverage.md``). The
        AUC gets its own default (:func:`roc_auc`: Obuchowski/DeLong, BCa with
        ``n_resamples``), and what has only a bootstrap interval (adjusted rows,
        differences, the mean reader) BCa. ``"bca"`` or ``"percentile"``: that bootstrap
        interval for every statistic (needs ``n_resamples``). The ``method`` column says
        which interval each row got.
    confidence_level : float, default 0.95
    p_adjust : str, default "holm"
        Multiplicity adjustment across findings (``p_adjusted``).

    Returns
    -------
    TableResult
        Tidy rows: ``finding, rater, statistic, estimate, ci_low, ci_high, standard_error,
        p_value, p_adjusted, n_units, method, seed, reference, threshold, matched_to,
        prevalence, n_positive, n_negative, note``. Statistics: ``auc``, ``auc_difference``,
        ``sensitivity``, ``specificity``, ``ppv``, ``npv``, ``ppv_adjusted``,
        ``npv_adjusted``, ``accuracy_adjusted``, ``sensitivity_difference``,
        ``specificity_difference``. ``notes`` count the images on one side only.
        ``bootstrap`` holds the :class:`~adjudicate.resample.BootstrapResult` objects behind
        the intervals: ``"auc"`` (outputs: findings of the model, of the second model, then
        both models on their common images), ``"operating_points"`` (operating points x
        findings x (sensitivity, specificity, PPV, NPV, the three adjusted)) and
        ``"readers"`` (reader, model at the reader's specificity, model at the reader's
        sensitivity x readers x findings x (sensitivity, specificity)).

    Examples
    --------
    The synthetic example model shipped for the all-findings images:

    >>> from adjudicate.datasets import example_scores_path
    >>> res = evaluate_model(example_scores_path(), "published", threshold=0.5)
    >>> auc = res.table.query("statistic == 'auc'").set_index("finding")
    >>> round(float(auc.loc["Abnormal", "estimate"]), 3), auc.loc["Abnormal", "method"]
    (0.929, 'obuchowski, 532 patients')
    >>> res.table.query("finding == 'Effusion'")[["statistic", "estimate"]].round(3)
          statistic  estimate
    3           auc     0.934
    28  sensitivity     0.801
    29  specificity     0.897
    30          ppv     0.751
    31          npv     0.921
    """
    from ._errors import InputError
    from .compare import _adjust, _wilson_design, accuracy_statistics
    from .ratings import Ratings
    from .resample import bootstrap_sums
    from .results import TableResult

    level = _check_level(confidence_level)
    if method is not None:
        method = _check_method(method)
        if not n_resamples:
            raise ValueError(f"method={method!r} is a bootstrap interval: give n_resamples "
                             "(e.g. 2000), or method=None for the default of each statistic")
    boot_method = method or "bca"   # what is bootstrapped, when no method is asked for
    model = _as_model(scores, "model")
    other = None if other_scores is None else _as_model(other_scores, "other")
    if other is not None and other.name == model.name:
        other = type(other)(**{**other.__dict__, "name": other.name + " (2)"})
    labels_all, ref_name, ds, panel = _reference(reference, dataset)
    notes = [f"{model.name}: {n}" for n in model.notes]
    notes += [f"{other.name}: {n}" for n in other.notes] if other is not None else []

    findings = list(model.findings)
    for m in [model] + ([other] if other is not None else []):
        unknown = [f for f in m.findings if f not in labels_all.columns]
        if unknown:
            raise InputError(f"finding {unknown[0]!r} has no labels in the reference "
                             f"({ref_name}; its findings: {', '.join(map(str, labels_all.columns))})",
                             file=m.source, row=1 if m.source else None, column=unknown[0])
    if other is not None:
        findings = [f for f in findings if f in other.findings]
        if not findings:
            raise InputError("the two score files share no finding", file=other.source)
    ref_images = labels_all.index.astype(str)
    labels_all = labels_all.set_axis(ref_images, axis=0)
    scored = model.scores.index
    images = scored.intersection(ref_images).sort_values()
    if len(images) == 0:
        raise InputError(f"no image id of the scores is in the reference ({ref_name}); "
                         f"e.g. {scored[0]!r}", file=model.source)
    n_only_scores = len(scored.difference(ref_images))
    n_only_ref = len(ref_images.difference(scored))
    if n_only_scores:
        notes.append(f"{n_only_scores} scored image(s) not in the reference ({ref_name}): "
                     "left out")
    if n_only_ref:
        notes.append(f"{n_only_ref} reference image(s) without a score: left out")
    y = _label_floats(labels_all.loc[images, findings])
    s_a = model.scores.loc[images, findings].to_numpy(dtype=float)
    models = [model.name]
    stack = [s_a]
    if other is not None:
        stack.append(other.scores.reindex(index=images, columns=findings).to_numpy(float))
        models.append(other.name)
        n_miss = int(len(images) - len(other.scores.index.intersection(images)))
        if n_miss:
            notes.append(f"{n_miss} image(s) scored by {model.name} but not by {other.name}: "
                         "left out of the paired comparison")
    s_all = np.stack(stack, axis=-1)  # (n, F, M)
    n, n_f, n_m = s_all.shape

    # clusters: the dataset's patients unless told otherwise
    if isinstance(clusters, pd.Series):
        ids = clusters.reindex(images)
        if ids.isna().any():
            raise ValueError(f"clusters has no id for image {ids.index[ids.isna()][0]!r}")
        clusters = ids.to_numpy()
    ref_ratings = Ratings.from_labels(labels_all.loc[images, findings],
                                      clusters=_cluster_ids(clusters, ds, images))
    design = resolve_clusters(clusters, ref_ratings, stacklevel=2)
    vm = "obuchowski" if design.clustered else "delong"
    n_boot = int(n_resamples or 0)
    if n_boot:
        n_boot = check_n_resamples(n_boot, level)
    seed = _shared_seed(seed) if (n_boot or match_readers) else (
        seed if not isinstance(seed, np.random.Generator) else None)
    rows = []

    def add(finding, rater, statistic, estimate, low=np.nan, high=np.nan, se=np.nan,
            p=np.nan, p_adj=np.nan, n_units=0, how="", **extra):
        rows.append({"finding": finding, "rater": rater, "statistic": statistic,
                     "estimate": float(estimate), "ci_low": float(low), "ci_high": float(high),
                     "standard_error": float(se), "p_value": float(p),
                     "p_adjusted": float(p_adj), "n_units": int(n_units), "method": how,
                     **extra})

    # ---- AUC: analytic per finding, the bootstrap for all findings and models at once
    pair_ok = ~np.isnan(y) & ~np.isnan(s_all).any(axis=-1)          # (n, F)
    auc = np.full((n_f, n_m), np.nan)
    se = np.full((n_f, n_m), np.nan)
    n_pos = np.zeros((n_f, n_m), int)
    n_neg = np.zeros((n_f, n_m), int)
    diff, diff_se = np.full(n_f, np.nan), np.full(n_f, np.nan)
    diff_n = np.zeros((n_f, 2), int)
    for f in range(n_f):  # analytic variances: one small computation per finding
        for m in range(n_m):
            a, cov, n_pos[f, m], n_neg[f, m] = _auc_analysis(s_all[:, f, m], y[:, f], design)
            auc[f, m], se[f, m] = a[0], np.sqrt(cov[0, 0])
        if n_m == 2:
            a, cov, n1, n0 = _auc_analysis(s_all[:, f, :], y[:, f], design)
            diff_n[f] = n1, n0
            diff[f] = a[0] - a[1]
            diff_se[f] = np.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    auc_boot = None
    if n_boot:
        cols_s = [s_all[:, :, m] for m in range(n_m)]
        cols_y = [y] * n_m
        if n_m == 2:
            y_pair = np.where(pair_ok, y, np.nan)
            cols_s += [s_all[:, :, 0], s_all[:, :, 1]]
            cols_y += [y_pair, y_pair]
        auc_boot, _ = _bootstrap_auc(np.concatenate(cols_s, 1), np.concatenate(cols_y, 1),
                                     design, n_resamples=n_boot, seed=seed,
                                     method=boot_method, confidence_level=level)
    auc_how = _method_text(design, vm, n_boot, boot_method)
    for m in range(n_m):
        cols = slice(m * n_f, (m + 1) * n_f)
        ci = (_interval(_derived(auc_boot, lambda x, cols=cols: x[..., cols]), boot_method,
                        level)
              if auc_boot is not None else _wald(auc[:, m], se[:, m], level, 0.0, 1.0))
        for f, name in enumerate(findings):
            why = ("" if n_pos[f, m] and n_neg[f, m] else
                   "undefined: no positive reference labels" if not n_pos[f, m] else
                   "undefined: no negative reference labels")
            add(name, models[m], "auc", auc[f, m], ci[0][f], ci[1][f], se[f, m],
                n_units=n_pos[f, m] + n_neg[f, m], how=auc_how, n_positive=n_pos[f, m],
                n_negative=n_neg[f, m], note=why)
    if n_m == 2:
        if auc_boot is not None:
            d_boot = _derived(auc_boot, lambda x: x[..., 2 * n_f:3 * n_f] - x[..., 3 * n_f:])
            ci = _interval(d_boot, boot_method, level)
            p = np.asarray(d_boot.p_value(), dtype=float)
        else:
            ci = _wald(diff, diff_se, level, -1.0, 1.0)
            p = _wald_p(diff, diff_se)
        p_adj, _ = _adjust(p[:, None], p_adjust, 1 - level)
        for f, name in enumerate(findings):
            add(name, f"{models[0]} - {models[1]}", "auc_difference", diff[f], ci[0][f],
                ci[1][f], diff_se[f], p[f], p_adj[f, 0], n_units=diff_n[f].sum(),
                how=auc_how + ("" if n_boot else "; Wald test"), n_positive=diff_n[f, 0],
                n_negative=diff_n[f, 1])

    # ---- operating points of the model: thresholds given or reached on these images
    sets = []  # (label, thresholds (F,), matched_to)
    if threshold is not None:
        t = (np.array([float(threshold.get(f, np.nan)) for f in findings])
             if isinstance(threshold, dict) else np.full(n_f, float(threshold)))
        sets.append(("threshold", t, ""))
    for target, kw in ((sensitivity, "sensitivity"), (specificity, "specificity")):
        if target is not None:
            t = np.array([_threshold_for(s_a[ok, f], y[ok, f] == 1, **{kw: target})
                          if (ok := ~np.isnan(s_a[:, f]) & ~np.isnan(y[:, f])).any()
                          else np.nan for f in range(n_f)])
            sets.append((f"target {kw} {target:g}", t, ""))

    reader_rows = None
    boots = {}
    if match_readers:
        reader_rows, t_mean, boots["readers"] = _versus_readers(
            ds, panel, images, findings, y, s_a, model.name, design, seed=seed,
            n_resamples=n_boot or 2000, method=method, level=level, margin=margin,
            p_adjust=p_adjust, ref_name=ref_name)
        if not n_boot:
            notes.append("model-vs-reader comparisons: 2000 bootstrap resamples (they have "
                         "no analytic interval here)")
        sets.append(("mean reader specificity", t_mean, "mean reader"))

    pi = np.array([np.nan] * n_f)
    if prevalence:
        bad = [f for f in prevalence if f not in findings]
        if bad:
            raise ValueError(f"prevalence given for {bad[0]!r}, which is not an evaluated "
                             f"finding ({', '.join(findings)})")
        for f, v in prevalence.items():
            v = float(v)
            if not 0 < v < 1:
                raise ValueError(f"prevalence of {f!r} must lie strictly between 0 and 1, "
                                 f"got {v}")
            pi[findings.index(f)] = v
        if not sets:
            raise ValueError("prevalence-adjusted PPV/NPV need an operating point: give a "
                             "threshold, a target sensitivity/specificity or match_readers")
    if sets:
        thr = np.stack([t for _, t, _ in sets])                       # (S, F)
        with np.errstate(invalid="ignore"):
            calls = np.where(np.isnan(s_a)[:, None, :] | np.isnan(thr)[None],
                             np.nan, (s_a[:, None, :] >= thr[None]).astype(float))
        cells = _cells(calls, y[:, None, :])                           # (n, S, F, 4)
        sums = cells.sum(axis=0, dtype=np.int64)

        def finalize(s):
            return np.concatenate([accuracy_statistics(s, warn=False)[..., :4],
                                   _adjusted(s, pi)], axis=-1)

        est = finalize(sums)
        op_se = np.full(est.shape, np.nan)
        low, high = np.full(est.shape, np.nan), np.full(est.shape, np.nan)
        how = np.full(est.shape, "needs a bootstrap for an interval", dtype=object)
        if n_boot:
            op_boot = boots["operating_points"] = bootstrap_sums(
                cells, finalize, clusters=design, n_resamples=n_boot, seed=seed,
                method=boot_method, confidence_level=level)
            low, high = (x.copy() for x in _interval(op_boot, boot_method, level))
            op_se = np.asarray(op_boot.standard_error)
            how[:] = _method_text(design, "", n_boot, boot_method)
        if method is None:
            # the proportions: compare's cluster-adjusted Wilson, as for any rater
            w_lo, w_hi, w_how = _wilson_design(cells, design, level)
            low[..., :4], high[..., :4], how[..., :4] = w_lo[..., :4], w_hi[..., :4], w_how
        stat_names = _OPERATING + _ADJUSTED
        for k, (label, t, matched) in enumerate(sets):
            for f, name in enumerate(findings):
                tp, fp, fn, tn = sums[k, f]
                why = {"sensitivity": "no positive reference labels",
                       "specificity": "no negative reference labels",
                       "ppv": "no image at or above the threshold",
                       "npv": "no image below the threshold"}
                for j, stat in enumerate(stat_names):
                    if j >= 4 and np.isnan(pi[f]):
                        continue
                    reason = why.get(stat, "")
                    add(name, model.name, stat, est[k, f, j], low[k, f, j], high[k, f, j],
                        op_se[k, f, j], n_units=tp + fp + fn + tn, how=how[k, f, j],
                        threshold=t[f], matched_to=matched or label,
                        prevalence=pi[f] if j >= 4 else np.nan, n_positive=tp + fn,
                        n_negative=fp + tn,
                        note=f"undefined: {reason}" if np.isnan(est[k, f, j]) and reason
                        else "")
    if reader_rows is not None:
        rows.extend(reader_rows)

    table = pd.DataFrame(rows)
    for col, fill in (("threshold", np.nan), ("matched_to", ""), ("prevalence", np.nan),
                      ("n_positive", 0), ("n_negative", 0), ("note", ""), ("reader", "")):
        if col not in table:
            table[col] = fill
        table[col] = table[col].fillna(fill) if col not in ("threshold", "prevalence") \
            else table[col]
    table["reference"] = (table["reference"].fillna(ref_name) if "reference" in table
                          else ref_name)
    table["seed"] = seed if (n_boot or match_readers) else None
    order = ["finding", "rater", "statistic", "estimate", "ci_low", "ci_high",
             "standard_error", "p_value", "p_adjusted", "n_units", "method", "seed",
             "reference", "threshold", "matched_to", "prevalence", "n_positive",
             "n_negative", "note"]
    table = table[order].astype({"n_positive": int, "n_negative": int})
    settings = {"seed": table["seed"].iloc[0] if len(table) else None,
                "confidence_level": level, "clusters": design.label if design.clustered
                else "units", "n_clusters": design.n_clusters, "n_resamples": n_boot,
                "method": method or "default", "reference": ref_name,
                "models": models, "threshold_rule": "score >= threshold is positive",
                "margin": margin, "p_adjust": p_adjust, "n_images": n}
    return TableResult(table=table, settings=settings, notes=tuple(notes),
                       bootstrap={"auc": auc_boot, **boots})


def _versus_readers(ds, panel, images, findings, y, s_a, model_name, design, *, seed,
                    n_resamples, method, level, margin, p_adjust, ref_name):
    """Rows of readers' operating points and of model minus reader at matched points.

    ``method`` None: the readers' and the model's proportions get compare's cluster-adjusted
    Wilson interval, what has only a bootstrap interval (differences, mean reader) BCa."""
    from .compare import _adjust, _wilson_design, accuracy_statistics, leave_one_out_reference
    from .resample import bootstrap_sums

    if ds is None:
        raise ValueError("match_readers needs the readers of a bundled dataset (dataset=...)")
    r = ds.ratings
    missing = [f for f in findings if f not in r.findings]
    if missing:
        raise ValueError(f"the dataset's readers did not read {missing[0]!r}")
    r = r.select(units=list(images), findings=findings)
    readers = list(r.readers)
    yes = r.categories.index("YES")
    read = r.codes != -1
    calls = np.where(read, (r.codes == yes).astype(float), np.nan)   # HEDGE -> NO
    ref = np.repeat(y[:, None, :], len(readers), axis=1)               # (n, R, F)
    in_panel = [x for x in readers if str(x) in {str(p) for p in panel}]
    if len(in_panel) >= 2:
        loo = leave_one_out_reference(r.select(readers=in_panel), seed=seed)
        loo_yes = loo.categories.index("YES")
        loo_y = np.where(loo.codes == -1, np.nan, (loo.codes == loo_yes).astype(float))
        for k, name in enumerate(in_panel):
            ref[:, readers.index(name), :] = loo_y[:, k, :]
    # each reader's own images: read, with a reference label and a model score
    ok = ~np.isnan(calls) & ~np.isnan(ref) & ~np.isnan(s_a)[:, None, :]
    calls = np.where(ok, calls, np.nan)
    reader_cells = _cells(calls, ref)                                  # (n, R, F, 4)
    reader_est = accuracy_statistics(reader_cells.sum(0), warn=False)  # (R, F, 7)
    n_r, n_f = len(readers), len(findings)
    t_spec = np.full((n_r, n_f), np.nan)
    t_sens = np.full((n_r, n_f), np.nan)
    for i in range(n_r):          # readers x findings: one threshold each, setup only
        for f in range(n_f):
            u = ok[:, i, f]
            pos = ref[u, i, f] == 1
            if pos.any() and (~pos).any():
                t_spec[i, f] = _threshold_for(s_a[u, f], pos, specificity=reader_est[i, f, 1])
                t_sens[i, f] = _threshold_for(s_a[u, f], pos, sensitivity=reader_est[i, f, 0])
    model_calls = []
    for t in (t_spec, t_sens):
        with np.errstate(invalid="ignore"):
            c = (s_a[:, None, :] >= t[None]).astype(float)
        model_calls.append(np.where(ok, c, np.nan))
    cells = np.stack([reader_cells, _cells(model_calls[0], ref), _cells(model_calls[1], ref)],
                     axis=1)                                             # (n, 3, R, F, 4)

    def finalize(sums):
        return accuracy_statistics(sums, warn=False)[..., :2]           # sens, spec

    boot_method = method or "bca"
    boot = bootstrap_sums(cells, finalize, clusters=design, n_resamples=n_resamples,
                          seed=seed, method=boot_method, confidence_level=level)
    est = np.asarray(boot.estimate)                                      # (3, R, F, 2)
    how = _method_text(design, "", n_resamples, boot_method)
    if method is None:   # proportions: Wilson with the design effect, as for any rater
        lo, hi, point_how = _wilson_design(cells, design, level)
        lo, hi = lo[..., :2], hi[..., :2]
    else:
        (lo, hi), point_how = _interval(boot, boot_method, level), how
    se_all = np.asarray(boot.standard_error)
    diffs = _derived(boot, lambda x: np.stack([x[..., 1, :, :, 0] - x[..., 0, :, :, 0],
                                               x[..., 2, :, :, 1] - x[..., 0, :, :, 1]], -1))
    d_lo, d_hi = _interval(diffs, boot_method, level)
    d_p = _one_sided_p(diffs, margin)                                   # (R, F, 2)
    d_adj, _ = _adjust(np.moveaxis(d_p, 1, 0), p_adjust, 1 - level)      # across findings
    d_adj = np.moveaxis(d_adj, 0, 1)
    d_se = np.asarray(diffs.standard_error)
    def mean_of_readers(x):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)   # a replicate with no reader
            return np.nanmean(x[..., 0, :, :, :], axis=-3)

    mean_boot = _derived(boot, mean_of_readers)                         # (F, 2)
    m_lo, m_hi = _interval(mean_boot, boot_method, level)
    sums = cells.sum(0)
    rows = []
    test = (f"one-sided test of model - reader <= -{margin:g}" if margin
            else "one-sided test of model - reader <= 0 (superiority)")
    for i, reader in enumerate(readers):
        own = "leave-one-out majority of the other panel readers" if reader in in_panel \
            else ref_name
        for f, name in enumerate(findings):
            tp, fp, fn, tn = sums[0, i, f]
            base = {"finding": name, "n_units": int(tp + fp + fn + tn),
                    "n_positive": int(tp + fn), "n_negative": int(fp + tn), "reference": own,
                    "method": how, "p_value": np.nan, "p_adjusted": np.nan}
            for j, stat in enumerate(("sensitivity", "specificity")):
                rows.append({**base, "rater": str(reader), "statistic": stat,
                             "estimate": est[0, i, f, j], "ci_low": lo[0, i, f, j],
                             "ci_high": hi[0, i, f, j], "standard_error": se_all[0, i, f, j],
                             "threshold": np.nan, "matched_to": "", "method": point_how})
            for k, (stat, at) in enumerate((("sensitivity", "specificity"),
                                            ("specificity", "sensitivity"))):
                t = (t_spec, t_sens)[k][i, f]
                rows.append({**base, "rater": model_name, "statistic": stat,
                             "estimate": est[1 + k, i, f, k], "ci_low": lo[1 + k, i, f, k],
                             "ci_high": hi[1 + k, i, f, k],
                             "standard_error": se_all[1 + k, i, f, k], "threshold": t,
                             "matched_to": f"{at} of reader {reader}",
                             "method": point_how})
                rows.append({**base, "rater": f"{model_name} - {reader}",
                             "statistic": f"{stat}_difference", "estimate": diffs.estimate[i, f, k],
                             "ci_low": d_lo[i, f, k], "ci_high": d_hi[i, f, k],
                             "standard_error": d_se[i, f, k], "p_value": d_p[i, f, k],
                             "p_adjusted": d_adj[i, f, k], "threshold": t,
                             "matched_to": f"{at} of reader {reader}",
                             "method": f"{how}; {test}"})
    mean_est = np.asarray(mean_boot.estimate)                          # (F, 2)

    # the model at the mean reader's specificity (sensitivity) on the reference itself, and
    # model minus mean reader: a second bootstrap with the same seed and clusters draws the
    # same replicates, so the difference of the two distributions is the paired one
    labelled = ~np.isnan(s_a) & ~np.isnan(y)
    t_mean = np.full((2, n_f), np.nan)
    for f in range(n_f):          # findings: one threshold each, setup only
        u = labelled[:, f]
        pos = y[u, f] == 1
        if pos.any() and (~pos).any():
            if not np.isnan(mean_est[f, 1]):
                t_mean[0, f] = _threshold_for(s_a[u, f], pos, specificity=mean_est[f, 1])
            if not np.isnan(mean_est[f, 0]):
                t_mean[1, f] = _threshold_for(s_a[u, f], pos, sensitivity=mean_est[f, 0])
    with np.errstate(invalid="ignore"):
        m_calls = np.where(labelled[:, None, :], (s_a[:, None, :] >= t_mean[None]).astype(float),
                           np.nan)                                       # (n, 2, F)
    m_boot = bootstrap_sums(_cells(m_calls, y[:, None, :]), finalize, clusters=design,
                            n_resamples=n_resamples, seed=seed, method=boot_method,
                            confidence_level=level)                      # (2, F, 2)

    def versus_mean(model, mean):
        if model is None or mean is None:
            return None
        model, mean = np.asarray(model), np.asarray(mean)
        return np.stack([model[..., 0, :, 0] - mean[..., :, 0],
                         model[..., 1, :, 1] - mean[..., :, 1]], axis=-1)  # (..., F, 2)

    vm = BootstrapResult(
        estimate=versus_mean(m_boot.estimate, mean_boot.estimate),
        distribution=versus_mean(m_boot.distribution, mean_boot.distribution),
        jackknife=versus_mean(m_boot.jackknife, mean_boot.jackknife), method=boot.method,
        confidence_level=boot.confidence_level, n_resamples=boot.n_resamples,
        n_clusters=boot.n_clusters, seed=boot.seed, clustered=boot.clustered,
        clusters=boot.clusters)
    v_lo, v_hi = _interval(vm, boot_method, level)
    v_p = _one_sided_p(vm, margin)                                      # (F, 2)
    v_adj, _ = _adjust(v_p, p_adjust, 1 - level)
    v_se = np.asarray(vm.standard_error)
    for f, name in enumerate(findings):
        for k, (stat, at) in enumerate((("sensitivity", "specificity"),
                                        ("specificity", "sensitivity"))):
            rows.append({"finding": name, "rater": f"{model_name} - mean reader",
                         "statistic": f"{stat}_difference", "estimate": vm.estimate[f, k],
                         "ci_low": v_lo[f, k], "ci_high": v_hi[f, k],
                         "standard_error": v_se[f, k], "p_value": v_p[f, k],
                         "p_adjusted": v_adj[f, k], "n_units": int(labelled[:, f].sum()),
                         "method": f"{how}; {test}", "threshold": t_mean[k, f],
                         "matched_to": f"{at} of the mean reader", "n_positive": 0,
                         "n_negative": 0, "note": f"mean of {n_r} readers, each on their own "
                                                  "reference; the model on the reference"})
    for f, name in enumerate(findings):
        for j, stat in enumerate(("sensitivity", "specificity")):
            rows.append({"finding": name, "rater": "mean reader", "statistic": stat,
                         "estimate": mean_est[f, j], "ci_low": m_lo[f, j], "ci_high": m_hi[f, j],
                         "standard_error": np.asarray(mean_boot.standard_error)[f, j],
                         "p_value": np.nan, "p_adjusted": np.nan,
                         "n_units": int(ok[:, :, f].any(axis=1).sum()), "method": how,
                         "threshold": np.nan, "matched_to": "", "n_positive": 0,
                         "n_negative": 0, "note": f"mean of {n_r} readers"})
    return rows, t_mean[0], boot
