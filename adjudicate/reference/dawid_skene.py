"""The Dawid-Skene latent-class reference: the truth estimated from all reads by EM.

Dawid & Skene (1979): each unit has a true class ``z`` with prevalence ``pi[c]``; reader ``r``
reads a unit of class ``c`` as category ``k`` with probability ``theta[r, c, k]`` (the reader's
confusion matrix), independently of the other readers given ``z``. Missing reads are simply
absent from the likelihood. The maximum-likelihood estimate is found by EM:

- E-step: ``log P(z = c | reads) = log pi[c] + sum_{r,k} x[u, r, k] log theta[r, c, k] - lse``,
  one sparse matrix product of the one-hot reads ``x`` (:meth:`Ratings.indicators`) with
  ``log theta`` for all units, readers and findings at once;
- M-step: ``pi[c]`` is the mean posterior, ``theta[r, c, k]`` the posterior-weighted count of
  reader ``r``'s reads ``k`` over their units, normalised over ``k``: the transposed product.

Everything is weighted by unit weights ``w[b, u]``, so a batch of fits -- several starts, or
``B`` bootstrap replicates whose weights are the rows of
:func:`adjudicate.resample.bootstrap_weights` -- is one EM on a stack: the batch lives in the
columns of the products, the findings in a block-diagonal sparse design. There is no Python
loop over units, readers, findings or replicates, only over EM iterations.

References
----------
.. [1] A. P. Dawid and A. M. Skene, "Maximum likelihood estimation of observer error-rates
   using the EM algorithm", Journal of the Royal Statistical Society C 28(1), 20-28, 1979.
.. [2] A. C. Davison and D. V. Hinkley, *Bootstrap Methods and their Application*, 1997,
   section 3.8 (resample the clusters).
"""

from __future__ import annotations

import time
import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..ratings import MISSING, Ratings, as_ratings  # noqa: F401 (Ratings: the examples)
from ..resample import BootstrapResult, bootstrap_weights, resolve_clusters
from ..results import TableResult
from ..vote import HEDGE_POLICIES, apply_hedge

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = ["DawidSkene", "dawid_skene", "replicate_weights"]

_FLOOR = 1e-10
"""Smallest probability inside the logarithms (as crowd-kit): a reader who never erred in the
data would otherwise make one read decide the class with certainty."""

_BLOCK_ELEMENTS = 1 << 22
"""Largest ``findings x units x replicates x classes`` block of posteriors held at once."""


# --------------------------------------------------------------------------- the design
def _design(codes: np.ndarray, n_categories: int) -> tuple[sp.csr_matrix, np.ndarray]:
    """Block-diagonal one-hot design ``X[(f, u), (f, r, k)]`` and which units have reads.

    ``codes`` is (units, readers, findings). Row ``f * U + u`` holds the reads of unit ``u``
    for finding ``f``; column ``(f * R + r) * K + k`` is reader ``r`` reading category ``k``.
    The nonzeros are exactly the indicators of :meth:`Ratings.indicators`.
    """
    import scipy.sparse as sp  # here, not at import: 0.13 s of start-up
    n_u, n_r, n_f = codes.shape
    u, r, f = np.nonzero(codes != MISSING)
    k = codes[u, r, f].astype(np.intp)
    rows = f * n_u + u
    cols = (f * n_r + r) * n_categories + k
    x = sp.csr_matrix((np.ones(len(rows)), (rows, cols)),
                      shape=(n_f * n_u, n_f * n_r * n_categories))
    has_reads = np.zeros((n_f, n_u), bool)
    has_reads[f, u] = True
    return x, has_reads


def _m_step(x_t, posterior, weight, has_reads, shape, smoothing):
    """Prevalence ``(F, B, C)`` and confusion ``(F, B, R, C, K)`` from weighted posteriors.

    ``posterior`` (F, U, B, C); ``weight`` (B, U). Units without reads of a finding carry no
    information about it and are left out of its prevalence.
    """
    n_f, n_u, n_r, n_k = shape
    n_b, n_c = posterior.shape[2:]
    w = has_reads[:, :, None] * weight.T[None]  # (F, U, B)
    wt = posterior * w[..., None]
    with np.errstate(invalid="ignore", divide="ignore"):
        prevalence = wt.sum(axis=1) / w.sum(axis=1)[..., None]
    counts = (x_t @ wt.reshape(n_f * n_u, n_b * n_c)).reshape(n_f, n_r, n_k, n_b, n_c)
    counts = counts.transpose(0, 3, 1, 4, 2) + smoothing  # (F, B, R, C, K)
    total = counts.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        confusion = counts / total
    return prevalence, confusion, total[..., 0]


def _logsumexp(a: np.ndarray) -> np.ndarray:
    """``log(sum(exp(a), axis=-1))`` without overflow (numpy's ``logaddexp`` for two classes:
    scipy's general version costs most of an EM iteration here)."""
    if a.shape[-1] == 2:
        a0, a1 = a[..., 0], a[..., 1]
        return np.maximum(a0, a1) + np.log1p(np.exp(-np.abs(a0 - a1)))
    top = a.max(axis=-1)
    return top + np.log(np.exp(a - top[..., None]).sum(axis=-1))


def _e_step(x, prevalence, confusion, weight, has_reads):
    """Posteriors ``(F, U, B, C)`` and the weighted observed-data log-likelihood ``(F, B)``."""
    n_f, n_b, n_r, n_c, n_k = confusion.shape
    n_u = weight.shape[1]
    # a reader or class without data has no confusion row (NaN): it then explains nothing
    log_theta = np.log(np.maximum(np.nan_to_num(confusion, nan=1.0 / n_k), _FLOOR))
    log_theta = log_theta.transpose(0, 2, 4, 1, 3).reshape(n_f * n_r * n_k, n_b * n_c)
    log_joint = (x @ log_theta).reshape(n_f, n_u, n_b, n_c)
    log_joint += np.log(np.maximum(np.nan_to_num(prevalence, nan=1.0 / n_c), _FLOOR))[:, None]
    lse = _logsumexp(log_joint)
    posterior = np.exp(log_joint - lse[..., None])
    w = has_reads[:, :, None] * weight.T[None]
    return posterior, (w * lse).sum(axis=1)


def _squarem_step(t0, t1, t2):
    """SQUAREM extrapolation (Varadhan & Roland 2008, scheme S3) of two EM steps, per fit.

    ``t0 -> t1 -> t2`` are (prevalence, confusion) after zero, one and two EM steps. With
    ``r = t1 - t0`` and ``v = t2 - t1 - r`` the step ``t0 - 2 a r + a^2 v`` with
    ``a = -|r| / |v|`` (at most -1; -1 gives ``t2``) jumps along the slow direction of EM.
    The result is projected back to probabilities (floored, rows renormalised).
    """
    diffs = []
    for a0, a1, a2 in zip(t0, t1, t2):
        r = np.nan_to_num(a1 - a0)
        diffs.append((r, np.nan_to_num(a2 - a1) - r))
    lead = t0[0].ndim - 1  # (F, B)
    sr = sum((r**2).reshape(r.shape[:lead] + (-1,)).sum(-1) for r, _ in diffs)
    sv = sum((v**2).reshape(v.shape[:lead] + (-1,)).sum(-1) for _, v in diffs)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = np.where(sv > 0, -np.sqrt(sr / sv), -1.0)
    alpha = np.minimum(alpha, -1.0)
    out = []
    for a0, a2, (r, v) in zip(t0, t2, diffs):
        al = alpha.reshape(alpha.shape + (1,) * (a0.ndim - lead))
        new = np.clip(np.nan_to_num(a0) - 2 * al * r + al**2 * v, _FLOOR, 1.0)
        new = new / new.sum(axis=-1, keepdims=True)
        out.append(np.where(np.isnan(a2), np.nan, new))
    return tuple(out)


def _em(x, x_t, posterior, weight, has_reads, shape, *, smoothing, max_iter, tol,
        accelerate=True):
    """EM from initial posteriors, for a batch of weightings at once (batch axis B).

    Each cycle takes two EM steps, a SQUAREM extrapolation and a stabilising EM step, and
    keeps the extrapolated fit only where it does not lower the likelihood (so the sequence
    stays monotone); ``accelerate=False`` takes plain EM steps. Fits whose every finding has
    converged leave the batch (the products shrink as fits converge).

    Returns prevalence ``(F, B, C)``, confusion ``(F, B, R, C, K)``, posterior
    ``(F, U, B, C)``, log-likelihood ``(F, B)``, EM steps taken until convergence and the
    converged flag ``(F, B)``: converged when the log-likelihood changes by less than
    ``tol * (1 + |loglik|)`` over a cycle.
    """
    n_f, n_b = posterior.shape[0], posterior.shape[2]
    m = lambda post, w: _m_step(x_t, post, w, has_reads, shape, smoothing)[:2]
    e = lambda th, w: _e_step(x, th[0], th[1], w, has_reads)
    theta = list(m(posterior, weight))
    posterior, loglik = e(theta, weight)
    steps = np.ones(n_b, int)
    iterations = np.full((n_f, n_b), max_iter)
    converged = np.zeros((n_f, n_b), bool)
    active = np.arange(n_b)
    while active.size:
        if active.size == n_b:  # views, not copies, while every fit is still running
            active = slice(None)
        w = weight[active]
        th0 = (theta[0][:, active], theta[1][:, active])
        ll0 = loglik[:, active].copy()
        th1 = m(posterior[:, :, active], w)
        p1, ll1 = e(th1, w)
        if accelerate:
            th2 = m(p1, w)
            p2, ll2 = e(th2, w)
            p_x, _ = e(_squarem_step(th0, th1, th2), w)
            th3 = m(p_x, w)
            p3, ll3 = e(th3, w)
            ok = ll3 >= ll2  # NaN-free: likelihoods are finite
            th_out = tuple(np.where(ok.reshape(ok.shape + (1,) * (a.ndim - 2)), a, b)
                           for a, b in zip(th3, th2))
            p_out = np.where(ok[:, None, :, None], p3, p2)
            ll_out, n_steps = np.where(ok, ll3, ll2), 4
        else:
            th_out, p_out, ll_out, n_steps = th1, p1, ll1, 1
        theta[0][:, active], theta[1][:, active] = th_out
        posterior[:, :, active] = p_out
        loglik[:, active] = ll_out
        steps[active] += n_steps
        done = np.abs(ll_out - ll0) <= tol * (1 + np.abs(ll_out))
        newly = done & ~converged[:, active]
        iterations[:, active] = np.where(newly, steps[active], iterations[:, active])
        converged[:, active] |= done
        active = np.arange(n_b)[active]
        active = active[~converged[:, active].all(axis=0) & (steps[active] < max_iter)]
    prevalence, confusion, total = _m_step(x_t, posterior, weight, has_reads, shape, smoothing)
    confusion = np.where((total > smoothing * shape[3])[..., None], confusion, np.nan)
    return prevalence, confusion, posterior, loglik, iterations, converged


def _majority_start(counts: np.ndarray, class_index: np.ndarray) -> np.ndarray:
    """Soft majority vote ``(F, U, C)``: each unit's share of reads in each class category."""
    votes = counts[..., class_index].astype(float)  # (U, F, C)
    n = votes.sum(axis=-1, keepdims=True)
    share = np.where(n > 0, votes / np.maximum(n, 1), 1.0 / len(class_index))
    return share.transpose(1, 0, 2)


def _align_to_majority(prevalence, confusion, posterior, start):
    """Undo label switching of a two-class fit: keep the class order of the majority vote.

    EM from a random start can end in the mirror solution (classes swapped, every reader
    worse than chance), which has exactly the same likelihood. Where the posterior agrees
    with the majority-vote start less than its mirror does, swap the two classes.
    """
    if posterior.shape[-1] != 2:
        return prevalence, confusion, posterior
    p = posterior[..., 1]  # (F, U, B)
    m = start[..., 1][..., None]  # (F, U, 1)
    swap = (np.abs(p - m).sum(axis=1) > np.abs(1 - p - m).sum(axis=1))  # (F, B)
    if swap.any():
        prevalence = np.where(swap[..., None], prevalence[..., ::-1], prevalence)
        confusion = np.where(swap[..., None, None, None], confusion[..., ::-1, :], confusion)
        posterior = np.where(swap[:, None, :, None], posterior[..., ::-1], posterior)
    return prevalence, confusion, posterior


def replicate_weights(design, n_resamples: int, seed) -> np.ndarray:
    """Cluster-bootstrap unit weights ``(n_resamples, n_units)`` in the design's cluster order.

    The clusters are drawn as the units of :func:`adjudicate.resample.bootstrap_weights`
    (one weight per cluster, clusters numbered in sorted id order by
    :func:`~adjudicate.resample.resolve_clusters`), then spread to their units, so the
    replicates do not depend on the order of rows in the input.
    """
    per_cluster = bootstrap_weights(design.n_clusters, n_resamples=n_resamples, seed=seed)
    return per_cluster[:, design.codes]


# --------------------------------------------------------------------------- the model
class DawidSkene:
    """The Dawid-Skene latent-class model, per finding, fitted by EM on all reads.

    crowd-kit style: set the options, :meth:`fit` a :class:`~adjudicate.Ratings`, then read
    the attributes. Missing reads are allowed (each unit may be read by any subset of
    readers). All findings, starts and bootstrap replicates are fitted as stacks.

    Parameters
    ----------
    hedge : {"negative", "positive", "missing", "category"}, default "negative"
        What a HEDGE read counts as (as in :func:`~adjudicate.majority_vote`). With
        ``"category"`` HEDGE is a category readers may answer but not a true class: each
        reader's confusion matrix is then classes x (NO, HEDGE, YES).
    n_starts : int, default 5
        EM starts per finding: the soft majority vote (each unit's share of reads in each
        class) and ``n_starts - 1`` random posteriors (Dirichlet(1) per unit, from ``seed``).
        The start with the highest log-likelihood wins; ties go to the majority-vote start.
    max_iter : int, default 1000
        Most EM iterations.
    tol : float, default 1e-9
        Converged when the log-likelihood changes by less than ``tol * (1 + |loglik|)``.
    replicate_tol : float, default 1e-7
        Convergence tolerance of the bootstrap refits (their estimates then move by far less
        than their spread; the point fit uses ``tol``).
    smoothing : float, default 0.0
        Pseudo-count added to every cell of every confusion matrix in the M-step (0 = the
        maximum-likelihood estimate of the paper; 1 = a uniform Dirichlet prior).
    n_resamples : int, default 0
        Bootstrap replicates for intervals (0 = none). Each replicate is a full refit on a
        cluster-resampled data set (:func:`~adjudicate.resample.bootstrap_weights`), started
        from the fitted posteriors; replicates are fitted as one weighted stack.
    clusters : None, "unit", str or array_like
        What the bootstrap resamples; see :func:`~adjudicate.resample.resolve_clusters`
        (default: the patients the ratings carry).
    confidence_level : float, default 0.95
    seed : None, int or Generator
        Random starts and bootstrap weights. Drawn (and recorded in ``seed_``) when None.
    keep_replicates : bool, default False
        Keep every replicate's posterior probability of the positive class
        (``replicate_probability_``), for intervals of statistics against the soft reference
        that carry the uncertainty of the fit.

    Attributes
    ----------
    classes_ : tuple
        The true classes (the categories other than HEDGE).
    categories_ : tuple
        The categories a read may take (classes, plus HEDGE with ``hedge="category"``).
    posterior_ : ndarray, shape (n_units, n_findings, n_classes)
        Posterior probability of each class for each unit (the prevalence for units nobody
        read for that finding).
    probability_ : DataFrame
        Units x findings: posterior probability of the positive class (the soft reference);
        NaN where nobody read the unit for that finding.
    labels_ : DataFrame
        Units x findings: the most probable class (hard reference; on an exact 0.5 tie, the
        lower class), None where nobody read the unit.
    prevalence_ : DataFrame
        Findings x classes: estimated class prevalence.
    confusion_ : ndarray, shape (n_findings, n_readers, n_classes, n_categories)
        ``confusion_[f, r, c, k] = P(reader r reads k | true class c)``; NaN for a reader
        without reads of class ``c`` units (or no reads at all) for finding ``f``.
    readers_ : DataFrame
        Tidy: ``finding, reader, statistic`` (sensitivity, specificity for two classes;
        ``P(k|c)`` cells otherwise), ``estimate, ci_low, ci_high, n_reads``.
    convergence_ : DataFrame
        One row per (finding, start): ``start`` (majority / random i), ``iterations``,
        ``log_likelihood``, ``converged``, ``chosen``; plus, with a bootstrap, one row per
        finding ``start="bootstrap"`` with the share of converged replicates and their
        largest iteration count.
    bootstrap_ : BootstrapResult or None
        Replicates of ``[prevalence of each class, confusion cells]`` per finding: estimate
        shape ``(n_findings, n_classes + n_readers * n_classes * n_categories)``; percentile
        intervals (a BCa jackknife would need one refit per cluster).
    seed_
        The seed used.
    fit_seconds_ : dict
        Wall time of the point fit and of the bootstrap.

    References
    ----------
    A. P. Dawid and A. M. Skene, *Maximum likelihood estimation of observer error-rates using
    the EM algorithm*, JRSS C 28(1), 1979.

    Examples
    --------
    Three readers, the third often wrong; without missing reads:

    >>> reads = [["YES", "YES", "NO"], ["YES", "YES", "YES"], ["NO", "NO", "YES"],
    ...          ["NO", "NO", "NO"], ["YES", "YES", "NO"], ["NO", "NO", "NO"]]
    >>> ds = DawidSkene(seed=0).fit(Ratings.from_array(reads, readers=["a", "b", "c"]))
    >>> ds.labels_[0].tolist()
    ['YES', 'YES', 'NO', 'NO', 'YES', 'NO']
    >>> ds.prevalence_.round(3).to_dict("records")
    [{'NO': 0.5, 'YES': 0.5}]
    >>> ds.readers_.query("reader == 'c'")[["statistic", "estimate"]].round(3).values.tolist()
    [['sensitivity', 0.333], ['specificity', 0.667]]
    >>> bool(ds.convergence_["converged"].all())
    True
    """

    def __init__(self, *, hedge: str = "negative", n_starts: int = 5, max_iter: int = 1000,
                 tol: float = 1e-9, replicate_tol: float = 1e-7, smoothing: float = 0.0,
                 n_resamples: int = 0,
                 clusters=None, confidence_level: float = 0.95, seed=None,
                 keep_replicates: bool = False):
        if hedge not in HEDGE_POLICIES:
            raise ValueError(f"hedge must be one of {HEDGE_POLICIES}, got {hedge!r}")
        self.hedge = hedge
        if n_starts < 1:
            raise ValueError(f"n_starts must be at least 1, got {n_starts}")
        if max_iter < 1:
            raise ValueError(f"max_iter must be at least 1, got {max_iter}")
        if smoothing < 0:
            raise ValueError(f"smoothing must be >= 0, got {smoothing}")
        if n_resamples < 0:
            raise ValueError(f"n_resamples must be >= 0, got {n_resamples}")
        self.n_starts, self.max_iter, self.tol = int(n_starts), int(max_iter), float(tol)
        self.replicate_tol = float(replicate_tol)
        self.smoothing, self.n_resamples = float(smoothing), int(n_resamples)
        self.clusters, self.confidence_level, self.seed = clusters, confidence_level, seed
        self.keep_replicates = keep_replicates

    def __repr__(self) -> str:
        return (f"DawidSkene(hedge={self.hedge!r}, n_starts={self.n_starts}, "
                f"smoothing={self.smoothing}, n_resamples={self.n_resamples})")

    # ------------------------------------------------------------------ fit
    def fit(self, ratings, *, weights=None) -> DawidSkene:
        """Fit every finding of ``ratings`` (a :class:`~adjudicate.Ratings` or units x raters).

        Parameters
        ----------
        ratings : Ratings or array_like
        weights : ndarray, shape (n_resamples, n_units), optional
            The bootstrap unit weights to refit on (default: drawn by
            :func:`replicate_weights` from ``seed``), so that other statistics can be
            bootstrapped on the very same replicates.

        Returns
        -------
        DawidSkene
            ``self``, with the attributes filled.
        """
        from ..resample import _fresh_seed

        r = as_ratings(ratings)
        seed = _fresh_seed(self.seed) if (self.n_starts > 1 or self.n_resamples) else self.seed
        rng = np.random.default_rng(seed)
        r = apply_hedge(r, self.hedge, keep_category=False) \
            if self.hedge != "category" else r
        categories = tuple(c for c, used in zip(r.categories, r.allowed.any(0))
                           if used or c != "HEDGE")
        if categories != r.categories:
            r = as_ratings(r, categories=categories)
        classes = tuple(c for c in categories if c != "HEDGE")
        if len(classes) < 2:
            raise ValueError(f"Dawid-Skene needs at least two classes; categories are "
                             f"{categories}")
        class_index = np.array([categories.index(c) for c in classes])
        n_u, n_r, n_f = r.shape
        n_k, n_c = len(categories), len(classes)
        shape = (n_f, n_u, n_r, n_k)
        x, has_reads = _design(r.codes, n_k)
        x_t = x.T.tocsr()
        counts = r.counts()  # (U, F, K)
        start_mv = _majority_start(counts, class_index)  # (F, U, C)

        # --- point fit: all starts as one batch of equal weights
        t0 = time.perf_counter()
        starts = np.empty((n_f, n_u, self.n_starts, n_c))
        starts[:, :, 0] = start_mv
        if self.n_starts > 1:
            starts[:, :, 1:] = rng.dirichlet(np.ones(n_c), size=(n_f, n_u, self.n_starts - 1))
        ones = np.ones((self.n_starts, n_u))
        prev, conf, post, loglik, iters, conv = _em(
            x, x_t, starts, ones, has_reads, shape, smoothing=self.smoothing,
            max_iter=self.max_iter, tol=self.tol)
        prev, conf, post = _align_to_majority(prev, conf, post, start_mv)
        best = loglik.max(axis=1, keepdims=True)
        near = loglik >= best - 1e-7 * (1 + np.abs(best))
        chosen = np.where(near[:, 0], 0, loglik.argmax(axis=1))  # (F,)
        fi = np.arange(n_f)
        prevalence, confusion = prev[fi, chosen], conf[fi, chosen]  # (F, C), (F, R, C, K)
        posterior = post[fi, :, chosen]  # (F, U, C)
        fit_seconds = {"fit": time.perf_counter() - t0}
        if not conv[fi, chosen].all():
            bad = [str(r.findings[f]) for f in np.flatnonzero(~conv[fi, chosen])]
            warnings.warn(f"Dawid-Skene EM did not converge in {self.max_iter} iterations "
                          f"for {bad}", RuntimeWarning, stacklevel=2)

        names = ["majority"] + [f"random {i}" for i in range(1, self.n_starts)]
        convergence = pd.DataFrame({
            "finding": np.repeat(np.asarray(r.findings, dtype=object), self.n_starts),
            "start": np.tile(names, n_f),
            "iterations": iters.ravel(),
            "log_likelihood": loglik.ravel(),
            "converged": conv.ravel(),
            "chosen": (np.arange(self.n_starts)[None] == chosen[:, None]).ravel(),
        })

        # --- bootstrap: replicates as one weighted stack per block, warm-started
        estimate = np.concatenate([prevalence, confusion.reshape(n_f, -1)], axis=1)
        boot = None
        replicate_probability = None
        design = None
        if weights is not None:
            weights = np.asarray(weights)
            if weights.ndim != 2 or weights.shape[1] != n_u:
                raise ValueError(f"weights must be (n_resamples, {n_u}), got {weights.shape}")
            self.n_resamples = weights.shape[0]
        if self.n_resamples:
            t1 = time.perf_counter()
            design = resolve_clusters(self.clusters, r, warn=True, stacklevel=2)
            if weights is None:
                weights = replicate_weights(design, self.n_resamples, rng)
            dist = np.empty((self.n_resamples,) + estimate.shape)
            b_iters = np.empty((n_f, self.n_resamples), int)
            b_conv = np.empty((n_f, self.n_resamples), bool)
            if self.keep_replicates:
                replicate_probability = np.empty((self.n_resamples, n_u, n_f), np.float32)
            size = max(1, _BLOCK_ELEMENTS // max(1, n_f * n_u * n_c))
            for lo in range(0, self.n_resamples, size):
                hi = min(lo + size, self.n_resamples)
                warm = np.repeat(posterior[:, :, None], hi - lo, axis=2)
                p_b, c_b, post_b, _, it_b, cv_b = _em(
                    x, x_t, warm, weights[lo:hi].astype(float), has_reads, shape,
                    smoothing=self.smoothing, max_iter=self.max_iter, tol=self.replicate_tol)
                p_b, c_b, post_b = _align_to_majority(p_b, c_b, post_b, start_mv)
                dist[lo:hi] = np.concatenate(
                    [p_b.transpose(1, 0, 2), c_b.transpose(1, 0, 2, 3, 4).reshape(
                        hi - lo, n_f, -1)], axis=2)
                b_iters[:, lo:hi], b_conv[:, lo:hi] = it_b, cv_b
                if replicate_probability is not None:
                    replicate_probability[lo:hi] = post_b[..., -1].transpose(2, 1, 0)
            dist.setflags(write=False)
            boot = BootstrapResult(
                estimate=estimate, distribution=dist, jackknife=None, method="percentile",
                confidence_level=self.confidence_level, n_resamples=self.n_resamples,
                n_clusters=design.n_clusters, seed=seed, clustered=design.clustered)
            fit_seconds["bootstrap"] = time.perf_counter() - t1
            convergence = pd.concat([convergence, pd.DataFrame({
                "finding": np.asarray(r.findings, dtype=object), "start": "bootstrap",
                "iterations": b_iters.max(axis=1), "log_likelihood": np.nan,
                "converged": b_conv.mean(axis=1)})], ignore_index=True)

        # --- attributes
        self.ratings_ = r
        self.classes_, self.categories_ = classes, categories
        self.findings_, self.units_, self.reader_ids_ = r.findings, r.units, r.readers
        self.posterior_ = posterior.transpose(1, 0, 2)
        self.prevalence_ = pd.DataFrame(prevalence, index=r.findings, columns=list(classes))
        self.confusion_ = confusion
        self.has_reads_ = has_reads.T  # (U, F)
        self.convergence_ = convergence
        self.bootstrap_ = boot
        self.cluster_design_ = design
        self.replicate_probability_ = replicate_probability
        self.seed_ = seed
        self.fit_seconds_ = fit_seconds
        cls = np.asarray(classes, dtype=object)
        hard = np.where(has_reads.T, cls[self.posterior_.argmax(axis=-1)], None)
        self.labels_ = pd.DataFrame(hard, index=r.units, columns=r.findings, dtype=object)
        self.probability_ = pd.DataFrame(np.where(has_reads.T, self.posterior_[..., -1], np.nan),
                                         index=r.units, columns=r.findings)
        self.n_reads_ = (r.codes != MISSING).sum(axis=0).T  # (F, R)
        self.readers_ = self._reader_table()
        return self

    # ------------------------------------------------------------------ tables
    def _intervals(self):
        if self.bootstrap_ is None:
            nan = np.full(np.shape(self.bootstrap_estimate()), np.nan)
            return nan, nan
        low, high = self.bootstrap_.confidence_interval(self.confidence_level)
        return np.asarray(low), np.asarray(high)

    def bootstrap_estimate(self) -> np.ndarray:
        """``[prevalence, confusion cells]`` per finding, the layout of ``bootstrap_``."""
        n_f = len(self.findings_)
        return np.concatenate([self.prevalence_.to_numpy(), self.confusion_.reshape(n_f, -1)],
                              axis=1)

    def _reader_table(self) -> pd.DataFrame:
        n_f, n_r, n_c, n_k = self.confusion_.shape
        low, high = self._intervals()
        cells = lambda a: a[:, n_c:].reshape(n_f, n_r, n_c, n_k)
        est, lo, hi = self.confusion_, cells(low), cells(high)
        if n_c == 2 and self.classes_ == tuple(c for c in self.categories_ if c != "HEDGE"):
            neg, pos = (self.categories_.index(c) for c in self.classes_)
            pick = lambda a: np.stack([a[:, :, 1, pos], a[:, :, 0, neg]], axis=-1)
            stats = ["sensitivity", "specificity"]
        else:
            pick = lambda a: a.reshape(n_f, n_r, n_c * n_k)
            stats = [f"P({k}|{c})" for c in self.classes_ for k in self.categories_]
        e, l_, h = pick(est), pick(lo), pick(hi)
        n_s = len(stats)
        f_idx, r_idx, s_idx = (a.ravel() for a in np.indices((n_f, n_r, n_s)))
        return pd.DataFrame({
            "finding": np.asarray(self.findings_, dtype=object)[f_idx],
            "reader": np.asarray(self.reader_ids_.astype(str), dtype=object)[r_idx],
            "statistic": np.asarray(stats, dtype=object)[s_idx],
            "estimate": e.ravel(), "ci_low": l_.ravel(), "ci_high": h.ravel(),
            "n_reads": self.n_reads_[f_idx, r_idx],
        })

    def method_text(self) -> str:
        """The ``method`` column: how the intervals were made."""
        if self.bootstrap_ is None:
            return "Dawid-Skene EM (no interval)"
        return (f"percentile bootstrap, {self.n_resamples} resamples of "
                f"{self.cluster_design_.label}, Dawid-Skene refit per replicate")

    def table(self) -> TableResult:
        """Prevalence and each reader's accuracy, tidy, with intervals and settings.

        Returns
        -------
        TableResult
            Rows ``statistic="prevalence"`` (``rater="latent class"``) and the reader rows of
            ``readers_`` (``rater`` = reader id), columns of
            :data:`adjudicate.results.TIDY_COLUMNS` plus ``rater``, ``reference``
            (``"dawid-skene"``), ``n_reads``.

        Examples
        --------
        >>> r = Ratings.from_array([["YES", "YES", "NO"], ["NO", "NO", "NO"], ["YES", "NO", "YES"],
        ...                         ["NO", "NO", "NO"]])
        >>> t = DawidSkene(n_starts=1).fit(r).table()
        >>> t.table.statistic.tolist()[:3]
        ['prevalence', 'sensitivity', 'specificity']
        """
        low, high = self._intervals()
        pos = len(self.classes_) - 1
        n_units = self.has_reads_.sum(axis=0)
        prev = pd.DataFrame({
            "finding": np.asarray(self.findings_, dtype=object), "rater": "latent class",
            "statistic": "prevalence", "estimate": self.prevalence_.iloc[:, pos].to_numpy(),
            "ci_low": low[:, pos], "ci_high": high[:, pos], "n_units": n_units,
            "n_reads": self.n_reads_.sum(axis=1)})
        readers = self.readers_.rename(columns={"reader": "rater"})
        readers["n_units"] = readers["n_reads"]
        table = pd.concat([prev, readers], ignore_index=True)
        table["method"] = self.method_text()
        table["reference"] = "dawid-skene"
        order = ["finding", "rater", "reference", "statistic", "estimate", "ci_low", "ci_high",
                 "n_units", "n_reads", "method"]
        table = table[order].sort_values("finding", kind="stable",
                                         key=lambda s: s.map({f: i for i, f in
                                                              enumerate(self.findings_)}))
        settings = {"seed": self.seed_, "confidence_level": self.confidence_level,
                    "clusters": None if self.cluster_design_ is None
                    else self.cluster_design_.label,
                    "n_resamples": self.n_resamples, "method": "percentile",
                    "hedge": self.hedge, "n_starts": self.n_starts,
                    "smoothing": self.smoothing, "fit_seconds": self.fit_seconds_}
        notes = tuple(self._notes())
        return TableResult(table.reset_index(drop=True), settings=settings, notes=notes,
                           bootstrap=self.bootstrap_)

    def _notes(self):
        conv = self.convergence_
        chosen = conv[conv["chosen"].eq(True)]  # object column: NaN on bootstrap rows
        for row in chosen.itertuples():
            yield (f"{row.finding}: EM start '{row.start}' chosen, {row.iterations} "
                   f"iterations, log-likelihood {row.log_likelihood:.3f}")
        boot = conv[conv["start"] == "bootstrap"]
        for row in boot.itertuples():
            if row.converged < 1:
                yield (f"{row.finding}: {1 - row.converged:.1%} of bootstrap refits did not "
                       f"converge in {self.max_iter} iterations")


def dawid_skene(ratings, **options) -> DawidSkene:
    """Fit the Dawid-Skene model: ``DawidSkene(**options).fit(ratings)``.

    Examples
    --------
    >>> ds = dawid_skene([[1, 1, 0], [0, 0, 0], [1, 1, 1], [0, 1, 0]], n_starts=2, seed=1)
    >>> ds.labels_[0].tolist()
    [1, 0, 1, 0]
    """
    return DawidSkene(**options).fit(ratings)
