"""A rater against a *soft* reference: the probability that each unit is positive.

A latent-class reference (:class:`~adjudicate.reference.DawidSkene`) gives each unit a
posterior probability ``p`` of being positive rather than a label. The rater's 2x2 table
against it is the *expected* table: a unit the rater calls positive adds ``p`` to the true
positives and ``1 - p`` to the false positives, and so on. These fractional cells are exactly
the hard cells of :func:`adjudicate.compare.confusion_cells` against an all-YES and an all-NO
reference, weighted by ``p`` and ``1 - p``, so every 2x2 statistic of
:func:`adjudicate.compare.accuracy_statistics` applies unchanged (sensitivity
``sum(call * p) / sum(p)``, ...) and equals the hard-label statistic when every ``p`` is 0 or 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..compare import confusion_cells
from ..ratings import Ratings, as_ratings

__all__ = ["soft_auc", "soft_confusion_cells"]


def soft_confusion_cells(rater, probability, *, hedge: str = "negative") -> np.ndarray:
    """Expected 2x2 cells of a rater against reference probabilities, per unit.

    Parameters
    ----------
    rater : Ratings or array_like
        The rater(s): units x raters x findings (or units x raters, one finding).
    probability : DataFrame or array_like
        Units x findings probability that the unit is positive (the soft reference), NaN where
        there is no reference. A DataFrame is aligned to the rater's units and findings.
    hedge : {"negative", "positive", "missing"}
        What the rater's HEDGE counts as (passed to :func:`~adjudicate.confusion_cells`).

    Returns
    -------
    ndarray of float, shape (n_units, n_findings, n_raters, 4)
        ``(tp, fp, fn, tn)`` weighted by ``p`` (reference positive) and ``1 - p`` (negative);
        all zero where the rater or the reference has no value.

    Examples
    --------
    >>> cells = soft_confusion_cells([["YES"], ["NO"]], [[0.8], [0.3]])
    >>> cells[:, 0, 0].round(2).tolist()   # tp, fp, fn, tn
    [[0.8, 0.2, 0.0, 0.0], [0.0, 0.0, 0.3, 0.7]]
    """
    r = as_ratings(rater)
    if isinstance(probability, pd.DataFrame):
        p = probability.reindex(index=r.units, columns=r.findings).to_numpy(dtype=float)
    else:
        p = np.asarray(probability, dtype=float)
        if p.ndim == 1:
            p = p[:, None]
    if p.shape != (r.n_units, r.n_findings):
        raise ValueError(f"probability must be units x findings {(r.n_units, r.n_findings)}, "
                         f"got {p.shape}")
    if np.nanmin(p, initial=0) < 0 or np.nanmax(p, initial=1) > 1:
        raise ValueError("probability must lie in [0, 1]")
    known = ~np.isnan(p)
    side = {}
    for name in ("YES", "NO"):
        table = pd.DataFrame(np.where(known, name, None), index=r.units, columns=r.findings)
        ref = Ratings.from_labels(table, reader="reference", categories=("NO", "YES"))
        side[name] = confusion_cells(r, ref, hedge=hedge, positive=r.positive or "YES")
    weight = np.nan_to_num(p)[:, :, None, None]
    return weight * side["YES"] + (1 - weight) * side["NO"]


def soft_auc(scores, probability) -> float:
    """Expected AUC of scores against reference probabilities.

    The share of (positive, negative) pairs of distinct units that the scores order
    correctly (ties count one half), each pair weighted by ``p_i (1 - p_j)``: the AUC
    averaged over the reference's uncertainty. With ``p`` in {0, 1} it is the ordinary AUC
    (Mann-Whitney).

    Parameters
    ----------
    scores : array_like, shape (n_units,)
        Higher = more likely positive (a binary call gives (sensitivity + specificity) / 2).
    probability : array_like, shape (n_units,)
        Probability each unit is positive; NaN units are left out.

    Examples
    --------
    >>> soft_auc([0.9, 0.4, 0.2, 0.1], [1, 1, 0, 0])
    1.0
    >>> round(soft_auc([0.9, 0.4, 0.2, 0.1], [0.9, 0.6, 0.3, 0.0]), 4)   # 3.21 / 3.42
    0.9386
    """
    s = np.asarray(scores, dtype=float)
    p = np.asarray(probability, dtype=float)
    keep = ~(np.isnan(s) | np.isnan(p))
    s, p = s[keep], p[keep]
    q = 1 - p
    order = np.argsort(s, kind="stable")
    s, p, q = s[order], p[order], q[order]
    # for each unit j (as the negative): positive weight strictly below / tied with s_j
    first = np.searchsorted(s, s, side="left")
    last = np.searchsorted(s, s, side="right")
    cum_p = np.r_[0.0, np.cumsum(p)]
    above = cum_p[-1] - cum_p[last]  # positives scoring higher than unit j
    tied = cum_p[last] - cum_p[first] - p  # other units tied with j
    correct = (q * (above + 0.5 * tied)).sum()
    pairs = p.sum() * q.sum() - (p * q).sum()  # distinct pairs only
    return float(correct / pairs) if pairs > 0 else float("nan")
