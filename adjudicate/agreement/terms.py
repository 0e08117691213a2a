"""The terms of the agreement literature, one function per quantity.

Notation follows Fleiss (1971) and Gwet (2014): unit ``i``, category ``k``, ``n_ik`` reads of unit
``i`` in category ``k`` (its *category counts*), ``r_i = sum_k n_ik`` reads of the unit, and
agreement weights ``w_kl`` (the identity for nominal codes, so that only equal codes agree).
Every function is vectorized over leading axes -- units, findings, bootstrap replicates -- and
none loops over units, findings or raters. Functions that take *sums over units* (``pi``,
``coincidences`` totals, joint tables) work equally on weighted sums ``W @ S``, which is what
the bootstrap feeds them.

References
----------
.. [1] J. L. Fleiss, "Measuring nominal scale agreement among many raters", Psychological
   Bulletin 76(5), 378-382, 1971.
.. [2] K. L. Gwet, *Handbook of Inter-Rater Reliability*, 4th ed., Advanced Analytics, 2014,
   chapters 2-5.
.. [3] K. Krippendorff, "Computing Krippendorff's Alpha-Reliability", Annenberg School for
   Communication, University of Pennsylvania, 2011.
.. [4] A. J. Conger, "Integration and generalization of kappas for multiple raters",
   Psychological Bulletin 88(2), 322-328, 1980.
.. [5] J. S. Uebersax, "Statistical methods for rater agreement: specific agreement", 1982-2010;
   H. C. W. de Vet et al., "Specific agreement on dichotomous outcomes can be calculated for
   more than two raters", J Clin Epidemiol 83, 85-89, 2017.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..ratings import MISSING

__all__ = [
    "agreeing_pairs",
    "agreement_weights",
    "brennan_prediger_chance_agreement",
    "category_counts",
    "category_shares",
    "chance_corrected",
    "cohen_chance_agreement",
    "cohen_observed_agreement",
    "coincidences",
    "conger_chance_agreement",
    "disagreement_distances",
    "fleiss_chance_agreement",
    "gwet_chance_agreement",
    "joint_table_kappa",
    "krippendorff_alpha_from_coincidences",
    "one_hot",
    "specific_agreement_terms",
    "unit_observed_agreement",
]

_COUNT_DTYPE = np.int16
_ONE = 1e-14

_SMALL = 1 << 10
"""Arrays of sums up to this size (point estimates) skip the cells-first layout of blocks of
bootstrap replicates, whose copy and bookkeeping cost more than they save there."""
"""Chance agreement within this of 1 means every read fell in one category: kappa undefined."""


# ----------------------------------------------------------------------------- per unit
def category_counts(codes: np.ndarray, n_categories: int) -> np.ndarray:
    """Category counts ``n[unit, finding, k]`` from codes ``[unit, rater, finding]``.

    Missing reads (:data:`~adjudicate.MISSING`) are not counted: ``r_i`` is the number of
    reads that exist.

    Examples
    --------
    >>> codes = np.array([[[0], [1], [-1]]], dtype=np.int8)   # one unit, 3 raters, 1 finding
    >>> category_counts(codes, 2).tolist()
    [[[1, 1]]]
    """
    u, _, f = codes.shape
    out = np.zeros((u, f, n_categories), dtype=_COUNT_DTYPE)
    for c in range(n_categories):  # a loop over categories (2-3 here), not units
        np.sum(codes == c, axis=1, dtype=_COUNT_DTYPE, out=out[..., c])
    return out


def one_hot(codes: np.ndarray, n_categories: int) -> np.ndarray:
    """Indicators ``x[..., k] = (code == k)``; all False for a missing read."""
    return codes[..., None] == np.arange(n_categories, dtype=codes.dtype)


def agreeing_pairs(n: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Ordered pairs of distinct reads of a unit that agree: ``sum_kl w_kl n_k n_l - r``.

    With the identity weights this is ``sum_k n_k (n_k - 1)``, Fleiss' (1971) numerator of
    ``P_i``; with weights it is Gwet's (2014, eq. 2.12) ``sum_k n_k (n*_k - 1)``, which
    assumes ``w_kk = 1``.

    Parameters
    ----------
    n : ndarray (..., n_findings, k)
        Category counts.
    weights : ndarray (n_findings, k, k), optional
        Agreement weights per finding; default identity.
    """
    n = n.astype(np.float64, copy=False)
    r = n.sum(-1)
    if weights is None:
        return np.einsum("...k,...k->...", n, n) - r
    return np.einsum("...fk,fkl,...fl->...f", n, weights, n) - r


def unit_observed_agreement(n: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Per-unit observed agreement ``p_a,i = agreeing_pairs / (r (r - 1))``; 0 if ``r < 2``.

    The share of ordered pairs of reads of the unit that agree (Fleiss 1971, ``P_i``). Units
    with fewer than two reads carry no agreement and count 0 here (and are left out of the
    denominator by their zero indicator ``r >= 2``).

    Examples
    --------
    >>> unit_observed_agreement(np.array([[3, 1], [2, 0], [1, 0]])).tolist()
    [0.5, 1.0, 0.0]
    """
    r = n.sum(-1, dtype=np.float64)
    pairs = r * (r - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(r >= 2, agreeing_pairs(n, weights) / np.where(r >= 2, pairs, 1), 0.0)


def category_shares(n: np.ndarray) -> np.ndarray:
    """Per-unit shares ``n_ik / r_i`` of the reads in each category; 0 for a unit never read.

    Their mean over units read at least once is Gwet's ``pi_k`` (2014, eq. 5.3), the
    classification probability behind Fleiss' and Gwet's chance agreement.
    """
    r = n.sum(-1, dtype=np.float64)[..., None]
    return n / np.where(r > 0, r, 1.0)


def coincidences(n: np.ndarray) -> np.ndarray:
    """Krippendorff's per-unit coincidences ``o_kl = (n_k n_l - [k = l] n_k) / (r - 1)``.

    Each of the ``r (r - 1)`` ordered pairs of pairable values of a unit counts
    ``1 / (r - 1)``, so a unit contributes ``r`` pairable values; units with fewer than two
    reads contribute nothing (Krippendorff 2011, section C). Returns ``(..., k, k)``.

    Examples
    --------
    >>> coincidences(np.array([[2, 1]]))[0].tolist()     # reads a, a, b
    [[1.0, 1.0], [1.0, 0.0]]
    """
    n = n.astype(np.float64, copy=False)
    r = n.sum(-1)
    scale = np.where(r >= 2, 1.0 / np.where(r >= 2, r - 1, 1), 0.0)
    outer = n[..., :, None] * n[..., None, :]
    k = n.shape[-1]
    diag = np.arange(k)
    outer[..., diag, diag] -= n
    return outer * scale[..., None, None]


def specific_agreement_terms(n: np.ndarray, category: int) -> tuple[np.ndarray, np.ndarray]:
    """Agreeing and possible pairs for one category: ``n_c (n_c - 1)`` and ``n_c (r - 1)``.

    Their sums over units give Uebersax's category-specific agreement
    ``p_s(c) = sum_i n_ic (n_ic - 1) / sum_i n_ic (r_i - 1)``, the many-rater form of
    ``2a / (2a + b + c)`` (de Vet et al. 2017).
    """
    n = n.astype(np.float64, copy=False)
    nc = n[..., category]
    r = n.sum(-1)
    return nc * (nc - 1), nc * np.maximum(r - 1, 0)


# ----------------------------------------------------------------------------- weights
def agreement_weights(kind: str | None, effective: np.ndarray) -> np.ndarray:
    """Agreement weights ``w[finding, k, l]`` in [0, 1], with ``w_kk = 1``.

    Parameters
    ----------
    kind : {None, "identity", "linear", "quadratic"}
        ``linear``: ``1 - |i - j| / (q - 1)``; ``quadratic``: ``1 - (i - j)^2 / (q - 1)^2``
        (Cicchetti-Allison and Fleiss-Cohen weights), where ``i, j`` are the ranks of the
        categories among the ``q`` categories of the finding (``effective``), in vocabulary
        order.
    effective : ndarray of bool (n_findings, k)
        The categories each finding can take.

    Examples
    --------
    >>> agreement_weights("linear", np.array([[True, True, True]]))[0].tolist()
    [[1.0, 0.5, 0.0], [0.5, 1.0, 0.5], [0.0, 0.5, 1.0]]
    >>> agreement_weights("linear", np.array([[True, False, True]]))[0].tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    effective = np.asarray(effective, bool)
    f, k = effective.shape
    eye = np.broadcast_to(np.eye(k), (f, k, k))
    if kind in (None, "identity", "nominal"):
        return eye.copy()
    if kind not in ("linear", "quadratic"):
        raise ValueError(f"weights must be None, 'identity', 'linear' or 'quadratic', got {kind!r}")
    rank = np.cumsum(effective, axis=-1) - 1.0
    q = effective.sum(-1, dtype=np.float64)
    dist = np.abs(rank[:, :, None] - rank[:, None, :]) / np.maximum(q - 1, 1)[:, None, None]
    w = 1 - (dist if kind == "linear" else dist**2)
    both = effective[:, :, None] & effective[:, None, :]
    return np.where(both, w, eye)


def weight_total(weights: np.ndarray, effective: np.ndarray) -> np.ndarray:
    """``T_w = sum_kl w_kl`` over the categories of each finding, and their number ``q``."""
    both = effective[:, :, None] & effective[:, None, :]
    return (weights * both).sum((-1, -2)), effective.sum(-1).astype(np.float64)


# ----------------------------------------------------------------------------- chance
def chance_corrected(observed: np.ndarray, chance: np.ndarray) -> np.ndarray:
    """``(p_a - p_e) / (1 - p_e)``: the kappa form; NaN where ``p_e`` is 1 (or either is NaN)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (observed - chance) / (1 - chance)
    return np.where(1 - chance > _ONE, out, np.nan)


def fleiss_chance_agreement(pi: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Fleiss' chance agreement ``p_e = sum_kl w_kl pi_k pi_l`` (Fleiss 1971, eq. 4).

    ``pi`` (..., n_findings, k) are the classification probabilities (Gwet 2014, eq. 5.3).
    """
    v = np.ascontiguousarray(np.moveaxis(pi, -1, 0))                 # (k, ..., f): sums of arrays
    return _bilinear(v, weights, v)


def gwet_chance_agreement(pi: np.ndarray, weights: np.ndarray, effective: np.ndarray) -> np.ndarray:
    """Gwet's AC1/AC2 chance agreement ``T_w / (q (q - 1)) sum_k pi_k (1 - pi_k)``.

    ``q`` is the number of categories of the finding, ``T_w`` the sum of its weights
    (``q`` for the identity, giving AC1's ``sum_k pi_k (1 - pi_k) / (q - 1)``); Gwet (2008),
    Gwet (2014, eq. 4.9). NaN when ``q < 2``.
    """
    total, q = weight_total(weights, effective)
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(q >= 2, total / (q * (q - 1)), np.nan)
    return factor * np.einsum("...k,...k->...", pi, 1 - pi)


def brennan_prediger_chance_agreement(weights: np.ndarray, effective: np.ndarray) -> np.ndarray:
    """Brennan & Prediger's uniform chance agreement ``T_w / q^2`` (``1/q`` unweighted).

    NaN when ``q < 2``: with one category there is nothing to agree on by chance or otherwise.
    """
    total, q = weight_total(weights, effective)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(q >= 2, total / q**2, np.nan)


def conger_chance_agreement(counts: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Conger's (1980) chance agreement from each rater's own marginal distribution.

    ``p_e = sum_kl w_kl mean_{g != h} p_gk p_hl`` over ordered pairs of distinct raters,
    i.e. the mean of the raters' pairwise Cohen chance agreements; written as Gwet (2014,
    eq. 5.10) ``sum_kl w_kl (pbar_k pbar_l - s2_kl / r)``.

    Parameters
    ----------
    counts : ndarray (..., n_findings, n_raters, k)
        Units each rater put in each category (summed over units).
    weights : ndarray (n_findings, k, k)

    Notes
    -----
    Raters with no read (in these units) have no marginal distribution and are left out,
    so ``r`` is the number of raters who read something; NaN when fewer than two did.
    """
    by_rater = _cells_first(counts)                          # (R, k, ..., f): sums of arrays
    total = by_rater.sum(1)                                  # (R, ..., f)
    active = total > 0
    p = by_rater / np.where(active, total, 1)[:, None]       # 0 for a rater without reads
    r = active.sum(0).astype(np.float64)
    sum_p = p.sum(0)                                         # (k, ..., f)
    # sum over ordered pairs g != h: all pairs (g, h) minus the pairs g == h
    pairs = _bilinear(sum_p, weights, sum_p) - _bilinear(
        p.reshape(-1, *p.shape[2:]), _rater_weights(weights, p.shape[0]),
        p.reshape(-1, *p.shape[2:]))
    with np.errstate(invalid="ignore", divide="ignore"):
        return pairs / np.where(r >= 2, r * (r - 1), np.nan)


def _rater_weights(weights, n_raters: int):
    """Weights ``(..., k, k)`` for ``R`` raters' stacked categories ``(R * k)``: block
    diagonal, so that ``_bilinear`` of stacked vectors sums each rater's own form."""
    if weights is None or _is_identity(weights):
        return None
    w = np.asarray(weights, np.float64)
    k = w.shape[-1]
    out = np.zeros((*w.shape[:-2], n_raters, k, n_raters, k))
    rater = np.arange(n_raters)
    out[..., rater, :, rater, :] = w[None]
    return out.reshape(*w.shape[:-2], n_raters * k, n_raters * k)


def cohen_observed_agreement(joint: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``p_o = sum_kl w_kl p_kl`` from a joint table ``(..., k, k)`` of counts (Cohen 1968)."""
    n = joint.sum((-1, -2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return (joint * weights).sum((-1, -2)) / n


def cohen_chance_agreement(joint: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``p_e = sum_kl w_kl p_k. p_.l`` from the two raters' own margins (Cohen 1960, 1968)."""
    n = joint.sum((-1, -2))[..., None]
    with np.errstate(invalid="ignore", divide="ignore"):
        row, col = joint.sum(-1) / n, joint.sum(-2) / n
    return np.einsum("...k,...kl,...l->...", row, weights, col)


def joint_kappa(joint: np.ndarray, weights: np.ndarray | None = None, *,
                kappa_only: bool = False):
    """Cohen's (weighted) kappa of joint tables: the one home of Cohen's formula.

    ``kappa = (p_o - p_e) / (1 - p_e)`` with ``p_o = sum w_kl p_kl`` and ``p_e = sum w_kl
    p_k. p_.l`` (identity weights by default); NaN where ``p_e`` is 1 or the table is empty.

    Parameters
    ----------
    joint : ndarray (..., k, k)
        Counts (or weights) of units rated ``(k, l)`` by the two raters.
    weights : ndarray broadcastable to (..., k, k), optional
    kappa_only : bool, default False
        Return only kappa, from the counts as ``(n A - E) / (n^2 - E)`` (``A = sum w_kl
        J_kl``, ``E = sum w_kl J_k. J_.l``): the same number to rounding in fewer passes,
        for bootstrap replicates.

    Returns
    -------
    kappa, p_o, p_e : ndarrays (...)

    Examples
    --------
    >>> kappa, p_o, p_e = joint_kappa(np.array([[40.0, 5], [10, 45]]))   # 2x2: tp fn / fp tn
    >>> round(float(kappa), 4), round(float(p_o), 4), round(float(p_e), 4)
    (0.7, 0.85, 0.5)
    """
    k = joint.shape[-1]
    table = _cells_first(joint)                                              # (k, k, ...)
    identity = weights is None or _is_identity(weights)
    if kappa_only:   # in place where it can: this runs on every block of replicates
        row, col = table.sum(1), table.sum(0)
        n = row.sum(0)
        agree = (table.reshape(k * k, *table.shape[2:])[::k + 1].sum(0) if identity
                 else (table * _weights_first(weights, table.ndim)).sum((0, 1)))
        chance = _bilinear(row, None if identity else weights, col)
        agree *= n
        agree -= chance                                 # n A - E
        np.multiply(n, n, out=n)                        # n^2
        np.subtract(n, chance, out=chance)              # n^2 (1 - p_e)
        with np.errstate(invalid="ignore", divide="ignore"):
            np.divide(agree, chance, out=agree)
        n *= _ONE
        agree[~(chance > n)] = np.nan
        return agree
    n = table.sum(1).sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = table / n
    row, col = p.sum(1), p.sum(0)                                            # (k, ...)
    if identity:
        p_o = p[np.arange(k), np.arange(k)].sum(0)
    else:
        p_o = (p * _weights_first(weights, p.ndim)).sum((0, 1))
    p_e = _bilinear(row, weights, col)
    return chance_corrected(p_o, p_e), p_o, p_e


def _cells_first(table: np.ndarray, copy: bool = True) -> np.ndarray:
    """Tables ``(..., k, k)`` as ``(k, k, ...)``: sums over cells are then sums of whole
    contiguous arrays, where reductions over a tiny last axis (or over a strided view) cost
    10-20x more; ``copy=False`` for weights, which only broadcast."""
    moved = np.moveaxis(table, (-2, -1), (0, 1))
    return np.ascontiguousarray(moved) if copy else moved


def _is_identity(weights) -> bool:
    """Whether (broadcastable) agreement weights are the identity on every table."""
    w = np.asarray(weights)
    return bool(w.shape[-2:] == (w.shape[-1],) * 2 and (w == np.eye(w.shape[-1])).all())


def _bilinear(a: np.ndarray, weights, b: np.ndarray) -> np.ndarray:
    """``sum_kl w_kl a_k b_l`` of cells-first ``a, b (k, ...)``; ``weights (..., k, k)``
    broadcasting against the trailing axes (None or the identity: ``sum_k a_k b_k``)."""
    if weights is None or _is_identity(weights):
        return (a * b).sum(0)
    return (a[:, None] * _weights_first(weights, a.ndim + 1) * b[None, :]).sum((0, 1))


def _weights_first(weights, ndim: int) -> np.ndarray:
    """Weights ``(..., k, k)`` as a ``(k, k, 1, ..., ...)`` view of ``ndim`` axes that
    broadcasts against cells-first tables ``(k, k, ...)`` of that many axes."""
    w = _cells_first(np.asarray(weights, np.float64), copy=False)
    return w.reshape(*w.shape[:2], *[1] * (ndim - w.ndim), *w.shape[2:])


def joint_table_kappa(joint: np.ndarray, weights: np.ndarray):
    """Cohen's (weighted) kappa of joint tables and its two standard errors.

    Parameters
    ----------
    joint : ndarray (..., k, k)
        Counts of units rated ``(k, l)`` by the two raters.
    weights : ndarray broadcastable to (..., k, k)

    Returns
    -------
    kappa, se, se_null, p_o, p_e : ndarrays (...)
        ``se`` is the large-sample standard error of Fleiss, Cohen & Everitt (1969), for
        intervals; ``se_null`` the one under H0: kappa = 0, for tests.
    """
    kappa, p_o, p_e = joint_kappa(joint, weights)
    n = joint.sum((-1, -2))
    with np.errstate(invalid="ignore", divide="ignore"):
        p = joint / n[..., None, None]
        row, col = p.sum(-1), p.sum(-2)
        w_row = np.einsum("...kl,...l->...k", weights * np.ones_like(p), col)   # wbar_k.
        w_col = np.einsum("...kl,...k->...l", weights * np.ones_like(p), row)   # wbar_.l
        spread = w_row[..., :, None] + w_col[..., None, :]
        one_minus = (1 - kappa)[..., None, None]
        term = (p * (weights - spread * one_minus) ** 2).sum((-1, -2))
        var = (term - (kappa - p_e * (1 - kappa)) ** 2) / (n * (1 - p_e) ** 2)
        expected = row[..., :, None] * col[..., None, :]
        var0 = ((expected * (weights - spread) ** 2).sum((-1, -2)) - p_e**2) / (n * (1 - p_e) ** 2)
    se = np.sqrt(np.where(var >= 0, var, 0.0))
    se0 = np.sqrt(np.where(var0 >= 0, var0, 0.0))
    undefined = np.isnan(kappa)
    return (kappa, np.where(undefined, np.nan, se), np.where(undefined, np.nan, se0), p_o, p_e)


# ----------------------------------------------------------------------------- alpha
def disagreement_distances(level: str, n_values: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Krippendorff's squared difference ``delta^2[..., k, l]`` for a level of measurement.

    Parameters
    ----------
    level : {"nominal", "ordinal", "interval"}
    n_values : ndarray (..., k)
        Pairable values in each category (the margins of the coincidence matrix); the ordinal
        metric depends on them.
    values : ndarray (k,)
        Numeric value of each category, for the interval metric.

    Notes
    -----
    nominal: ``[k != l]``. interval: ``(v_k - v_l)^2``. ordinal (Krippendorff 2011, p. 6):
    ``(sum_{g=k..l} n_g - (n_k + n_l) / 2)^2``, which is the interval metric on the
    mid-ranks ``m_k = sum_{g<=k} n_g - n_k / 2``; it uses the order of the categories and
    the frequencies of the values, not their numeric distances.

    Examples
    --------
    >>> disagreement_distances("ordinal", np.array([2.0, 4.0, 2.0]), None).tolist()
    [[0.0, 9.0, 36.0], [9.0, 0.0, 9.0], [36.0, 9.0, 0.0]]
    """
    k = n_values.shape[-1]
    if level == "nominal":
        return np.broadcast_to(1.0 - np.eye(k), n_values.shape[:-1] + (k, k))
    if level == "interval":
        v = np.broadcast_to(np.asarray(values, np.float64), n_values.shape)
    elif level == "ordinal":
        v = np.cumsum(n_values, axis=-1) - n_values / 2
    else:
        raise ValueError(f"level must be 'nominal', 'ordinal' or 'interval', got {level!r}")
    return (v[..., :, None] - v[..., None, :]) ** 2


@lru_cache(maxsize=32)
def _nominal_distances(k: int) -> np.ndarray:
    """The nominal metric ``[k != l]`` (:func:`disagreement_distances`), kept read-only."""
    d = disagreement_distances("nominal", np.zeros(k), None).copy()
    d.setflags(write=False)
    return d


def krippendorff_alpha_from_coincidences(o: np.ndarray, level: str, values: np.ndarray):
    """``alpha = 1 - D_o / D_e = 1 - (n - 1) sum o_kl d_kl / sum n_k n_l d_kl``.

    ``o`` (..., k, k) is the coincidence matrix summed over units (Krippendorff 2011,
    section C). Returns ``(alpha, D_o, D_e)``; alpha is NaN when there are no pairable values
    or no expected disagreement (all pairable values in one category).
    """
    k = o.shape[-1]
    if o.size <= _SMALL:   # one set of sums (a point estimate): no layout to pay for
        n_k = o.sum(-1)
        n = n_k.sum(-1)
        d = (_nominal_distances(k) if level == "nominal"
             else disagreement_distances(level, n_k, values))
        with np.errstate(invalid="ignore", divide="ignore"):
            observed = (o * d).sum((-1, -2)) / n
            expected = np.einsum("...k,...kl,...l->...", n_k, d, n_k) / (n * (n - 1))
            alpha = 1 - observed / expected
        return np.where((n > 1) & (expected > 0), alpha, np.nan), observed, expected
    table = _cells_first(o)                                  # (k, k, ...): sums of arrays
    n_k = table.sum(1)
    n = n_k.sum(0)
    if level == "ordinal":   # distances from the margins: (..., k, k) moved cells-first
        d = _cells_first(disagreement_distances(level, np.moveaxis(n_k, 0, -1), values))
    else:
        d = disagreement_distances(level, np.zeros(k), values)
        d = d.reshape(k, k, *[1] * (o.ndim - 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        observed = (table * d).sum((0, 1)) / n
        expected = (n_k[:, None] * d * n_k[None, :]).sum((0, 1)) / (n * (n - 1))
        alpha = 1 - observed / expected
    return np.where((n > 1) & (expected > 0), alpha, np.nan), observed, expected


def missing_free(codes: np.ndarray) -> np.ndarray:
    """Boolean: reads that exist (not :data:`~adjudicate.MISSING`)."""
    return codes != MISSING
