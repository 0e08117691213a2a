"""Any rater (a reader, NLP labels, a model's binary calls) against a reference standard.

The one home of "a rater against a reference": the 2x2 statistics, the leave-one-out reader
reference, the paired difference of two raters, and the workflow that puts them together
(:func:`compare_raters`), which :func:`adjudicate.compare_nlp` and model evaluation build on.

Every metric here is a function of the four cells of the 2x2 table of a binary rater against a
binary reference, and the cells are sums over units of per-unit indicators. So the pipeline is
the one of DESIGN.md, "Statistics are sums":

- :func:`confusion_cells` -- per unit, finding and rater, which cell the unit falls in:
  ``cells[unit, finding, rater, :]`` is one-hot over ``(tp, fp, fn, tn)`` (all zero when either
  side has no label, so the unit drops out of every sum);
- :func:`accuracy_statistics` -- the finalize: summed cells ``(..., 4)`` to the seven statistics
  ``(..., 7)`` of :data:`STATISTICS`, vectorized over any leading axes (replicates, findings,
  raters);
- :func:`accuracy_table` -- estimate and interval (one weight-matrix product for all
  replicates, findings and raters, :func:`adjudicate.resample.bootstrap_sums`; Wilson
  intervals, with a design effect for clustered units, for proportions resting on few
  events), in the tidy layout;
- :func:`paired_accuracy_difference` -- rater A minus rater B against the same reference on the
  same units and the same bootstrap replicates, with p-values that invert the reported
  interval, adjusted across findings (Holm by default);
- :func:`leave_one_out_reference` -- for each reader, the majority of the *other* readers of
  each unit (so no reader grades itself), for all readers at once from the vote counts minus
  the reader's own vote;
- :func:`compare_raters` -- a rater against a reference, readers against the reference or
  their leave-one-out majority, and readers minus the rater, as one :class:`ComparisonResult`.

References
----------
.. [1] J. Cohen, "A coefficient of agreement for nominal scales", Educational and Psychological
   Measurement 20(1), 1960 (kappa).
.. [2] E. B. Wilson, "Probable inference, the law of succession, and statistical inference",
   JASA 22, 1927 (the score interval of a proportion).
.. [3] A. C. Davison and D. V. Hinkley, *Bootstrap Methods and their Application*, Cambridge
   University Press, 1997, sections 3.8 (clustered data) and 4.4 (tests from intervals).
.. [4] E. L. Korn and B. I. Graubard, "Confidence intervals for proportions with small
   expected number of positive counts estimated from survey data", Survey Methodology 24,
   1998 (score intervals with the effective sample size ``n / deff``).
"""

from __future__ import annotations

import gc
import warnings
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd

from .agreement.terms import joint_kappa
from .ratings import MISSING, Ratings, as_ratings, positive_category
from .resample import (
    BOOTSTRAP_METHODS,
    ClusterDesign,
    _fresh_seed,
    bootstrap_sums,
    paired_difference,
    resolve_clusters,
)
from .results import TableResult
from .vote import BINARY_HEDGE_POLICIES, VoteResult, apply_hedge, check_policy, decide

__all__ = [
    "CELLS",
    "STATISTICS",
    "ComparisonResult",
    "UndefinedStatisticWarning",
    "accuracy_statistics",
    "accuracy_table",
    "bootstrap_p_value",
    "compare_raters",
    "confusion_cells",
    "format_comparison",
    "leave_one_out_reference",
    "paired_accuracy_difference",
]

CELLS = ("tp", "fp", "fn", "tn")
"""Order of the 2x2 cells on the last axis of :func:`confusion_cells`."""

STATISTICS = ("sensitivity", "specificity", "ppv", "npv", "kappa", "percent_agreement",
              "prevalence")
"""Order of the statistics on the last axis of :func:`accuracy_statistics`.

``prevalence`` is the share of units the *rater* calls positive; the reference's prevalence is
the rater's prevalence of the reference compared with itself.
"""

# statistic -> (numerator cells, denominator cells) for the proportions (Wilson intervals)
_PROPORTIONS = {
    "sensitivity": (("tp",), ("tp", "fn")),
    "specificity": (("tn",), ("tn", "fp")),
    "ppv": (("tp",), ("tp", "fp")),
    "npv": (("tn",), ("tn", "fn")),
    "percent_agreement": (("tp", "tn"), CELLS),
    "prevalence": (("tp", "fp"), CELLS),
}
_UNDEFINED_WHEN = {
    "sensitivity": "no reference positives",
    "specificity": "no reference negatives",
    "ppv": "no rater positives",
    "npv": "no rater negatives",
    "kappa": "both sides call every unit the same category",
    "percent_agreement": "no unit with both labels",
    "prevalence": "no unit with both labels",
}

Hedge = Literal["negative", "positive", "missing"]
Ties = Literal["negative", "positive", "missing", "random"]
_HEDGES = BINARY_HEDGE_POLICIES


class UndefinedStatisticWarning(RuntimeWarning):
    """A statistic is undefined (0/0) for some finding and rater; it is reported as NaN."""


# --------------------------------------------------------------------------- the finalize
def accuracy_statistics(cells, *, warn: bool = True) -> np.ndarray:
    """The seven 2x2 statistics from summed cells, vectorized over any leading axes.

    Parameters
    ----------
    cells : array_like, shape (..., 4)
        Summed ``(tp, fp, fn, tn)`` (bootstrap replicates may carry fractional weights).
    warn : bool, default True
        Warn (:class:`UndefinedStatisticWarning`) when a statistic is undefined. Pass False
        inside a bootstrap, where undefined replicates are expected and counted instead.

    Returns
    -------
    ndarray, shape (..., 7)
        Along the last axis, in the order of :data:`STATISTICS`:
        sensitivity ``tp/(tp+fn)``, specificity ``tn/(tn+fp)``, PPV ``tp/(tp+fp)``, NPV
        ``tn/(tn+fn)``, Cohen's kappa, percent agreement ``(tp+tn)/n`` and the rater's
        prevalence ``(tp+fp)/n``. NaN where undefined (0/0), never an error.

    Notes
    -----
    Cohen's kappa of a 2x2 table [1]_ is ``(p_o - p_e) / (1 - p_e)`` with chance agreement
    ``p_e`` from the two margins, computed by
    :func:`adjudicate.agreement.terms.joint_kappa` (the one home of Cohen's formula) on the
    table ``[[tp, fn], [fp, tn]]`` (reference x rater); undefined (NaN) when ``p_e`` is 1.

    Examples
    --------
    >>> accuracy_statistics([40, 10, 5, 45]).round(4).tolist()
    [0.8889, 0.8182, 0.8, 0.9, 0.7, 0.85, 0.5]

    Many tables at once (e.g. replicates x findings):

    >>> accuracy_statistics(np.ones((3, 2, 4))).shape
    (3, 2, 7)

    No reference positives: sensitivity is undefined.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     out = accuracy_statistics([0, 3, 0, 7])
    >>> bool(np.isnan(out[0])), w[0].category.__name__
    (True, 'UndefinedStatisticWarning')
    """
    c = np.asarray(cells, dtype=float)
    if c.shape[-1:] != (4,):
        raise ValueError(f"cells must have last axis 4 (tp, fp, fn, tn), got shape {c.shape}")
    tp, fp, fn, tn = np.moveaxis(c, -1, 0)
    n = tp + fp + fn + tn
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.stack([
            tp / (tp + fn),
            tn / (tn + fp),
            tp / (tp + fp),
            tn / (tn + fn),
            joint_kappa(np.stack([np.stack([tp, fn], -1), np.stack([fp, tn], -1)], -2))[0],
            (tp + tn) / n,
            (tp + fp) / n,
        ], axis=-1)
    if warn:
        _warn_undefined(out)
    return out


def _warn_undefined(values: np.ndarray, where=None, stacklevel: int = 3) -> None:
    """One warning listing which statistics are undefined (and where, if labels are given)."""
    undefined = np.isnan(values)
    if not undefined.any():
        return
    parts = []
    for k, name in enumerate(STATISTICS):
        hit = undefined[..., k]
        if hit.any():
            text = f"{name} ({_UNDEFINED_WHEN[name]})"
            if where is not None:
                spots = [where(idx) for idx in zip(*np.nonzero(hit))]
                text += ": " + ", ".join(spots[:4]) + (" ..." if len(spots) > 4 else "")
            else:
                text += f" in {int(hit.sum())} of {hit.size}"
            parts.append(text)
    warnings.warn("undefined, reported as NaN: " + "; ".join(parts), UndefinedStatisticWarning,
                  stacklevel=stacklevel)


# --------------------------------------------------------------------------- inputs
def _positive_label(rater: Ratings, ref: Ratings | None, positive):
    """The positive category, by the package's one rule (:func:`~adjudicate.ratings.positive_category`).

    A given ``positive`` absent from data that use one category only is kept (nobody called
    it: all negative); absent from data with two or more categories it is a typo.
    """
    values = list(rater.categories) + [c for c in (ref.categories if ref is not None else ())
                                       if c not in rater.categories]
    values = [v for v in values if v != "HEDGE"]
    if positive is not None:
        if positive not in values and len(values) > 1:
            raise ValueError(f"positive category {positive!r} is not among the categories "
                             f"{sorted(values, key=str)}")
        return positive
    for r in (rater, ref):
        if r is not None and r.positive is not None:
            return r.positive
    try:
        vocabulary = tuple(sorted(values))
    except TypeError:
        vocabulary = tuple(values)
    return positive_category(vocabulary, required=True)


def _binary(r: Ratings, hedge: str, positive) -> tuple[np.ndarray, np.ndarray]:
    """``(positive, observed)`` booleans of shape (units, readers, findings).

    HEDGE is recoded by :func:`~adjudicate.vote.apply_hedge` (the one home of that recoding);
    ``positive`` is a category label; ratings that never use it are all negative.
    """
    if hedge not in _HEDGES:
        check_policy(hedge, "hedge")
        raise ValueError(f"hedge must be one of {_HEDGES} for a 2x2 table, got {hedge!r}")
    r = apply_hedge(r, hedge, keep_category=False)
    codes = r.codes
    observed = codes != MISSING
    is_pos = (codes == r.categories.index(positive) if positive in r.categories
              else np.zeros(codes.shape, dtype=bool))
    return is_pos & observed, observed


def _as_reference(reference, rater: Ratings) -> Ratings:
    """The reference as a Ratings aligned to the rater's units and findings."""
    if isinstance(reference, VoteResult):
        reference = reference.to_ratings()
    elif isinstance(reference, pd.DataFrame):
        reference = Ratings.from_labels(reference, reader="reference")
    elif isinstance(reference, pd.Series):
        return _as_reference(reference.to_frame(), rater)
    elif not isinstance(reference, Ratings):
        arr = np.asarray(reference, dtype=object)
        if arr.ndim == 1:
            arr = arr[:, None, None]
        elif arr.ndim == 2:  # units x findings
            arr = arr[:, None, :]
        reference = Ratings.from_array(arr, readers=["reference"])
        if reference.n_units != rater.n_units or reference.n_findings != rater.n_findings:
            raise ValueError(f"reference has shape {arr.shape[::2]} (units, findings); the "
                             f"rater has {(rater.n_units, rater.n_findings)}")
        return replace(reference, units=rater.units, findings=rater.findings)
    ref = _align(reference, rater, "reference")
    if ref.n_readers not in (1, rater.n_readers):
        raise ValueError(f"the reference must have one reader (shared) or one per rater "
                         f"({rater.n_readers}), got {ref.n_readers}")
    return ref


def _align(ratings: Ratings, rater: Ratings, what: str) -> Ratings:
    """``ratings`` on the rater's units (by id; missing where absent) and findings."""
    if not ratings.units.equals(rater.units):
        pos = ratings.units.get_indexer(rater.units)
        if (pos < 0).all():
            raise ValueError(f"the {what} shares no unit with the rater")
        codes = np.where((pos >= 0)[:, None, None], ratings.codes[np.maximum(pos, 0)], MISSING)
        clusters = rater.clusters
        if clusters is None and ratings.clusters is not None and (pos >= 0).all():
            clusters = np.asarray(ratings.clusters)[pos]
        ratings = replace(ratings, codes=codes, units=rater.units, clusters=clusters,
                          meta=pd.DataFrame(index=rater.units))
    if ratings.clusters is None and rater.clusters is not None:  # same units: same clusters
        ratings = replace(ratings, clusters=rater.clusters)
    if not ratings.findings.equals(rater.findings):
        missing = [f for f in rater.findings if f not in ratings.findings]
        if missing:
            raise KeyError(f"the {what} has no finding(s) {missing}; it has "
                           f"{list(ratings.findings)}")
        ratings = ratings.select(findings=list(rater.findings))
    return ratings


def _cells(rater: Ratings, ref: Ratings, hedge: str, positive):
    """Per-unit one-hot cells (U, F, R, 4) and the number of units with one side only (F, R)."""
    label = _positive_label(rater, ref, positive)
    r_pos, r_obs = _binary(rater, hedge, label)
    f_pos, f_obs = _binary(ref, hedge, label)
    both = r_obs & f_obs  # broadcasts a shared reference over raters
    cells = np.stack([r_pos & f_pos, r_pos & ~f_pos, ~r_pos & f_pos, ~r_pos & ~f_pos], axis=-1)
    cells &= both[..., None]
    excluded = (r_obs ^ f_obs).sum(axis=0)  # (R, F): a label on one side only
    return np.moveaxis(cells, 1, 2).astype(np.int8), excluded.T


def confusion_cells(rater, reference, *, hedge: Hedge = "negative", positive=None) -> np.ndarray:
    """Which 2x2 cell each unit falls in, for every finding and rater: the sufficient statistics.

    Parameters
    ----------
    rater : Ratings or array_like
        The rater(s) graded: a :class:`~adjudicate.Ratings` (units x raters x findings) or a
        units x raters array of one finding.
    reference : Ratings, DataFrame, VoteResult or array_like
        The reference standard: one label per unit and finding (a one-reader ``Ratings``, a
        units x findings label table, a vote), or one reference *per rater* (a ``Ratings``
        with as many readers as ``rater``, as :func:`leave_one_out_reference` returns).
        Aligned to the rater's units and findings by label; a missing label excludes the unit.
    hedge : {"negative", "positive", "missing"}
        What a HEDGE label counts as on either side (default NO; "missing" = no label).
    positive : hashable, optional
        The positive category. Default: the ratings' own, ``"YES"``, or the last of two
        categories (:func:`~adjudicate.ratings.positive_category`).

    Returns
    -------
    ndarray of int8, shape (n_units, n_findings, n_raters, 4)
        One-hot over :data:`CELLS` ``(tp, fp, fn, tn)``; all zeros where the rater or the
        reference has no label for the unit (the unit then counts in no cell).

    Examples
    --------
    >>> cells = confusion_cells([["YES"], ["YES"], ["NO"], [None]], ["YES", "NO", "NO", "YES"])
    >>> cells[:, 0, 0].tolist()
    [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 0, 0]]
    >>> cells.sum(axis=0)[0, 0].tolist()   # tp, fp, fn, tn
    [1, 1, 0, 1]
    """
    rater = as_ratings(rater)
    ref = _as_reference(reference, rater)
    return _cells(rater, ref, hedge, positive)[0]


# --------------------------------------------------------------------------- leave-one-out
def leave_one_out_reference(ratings, *, hedge: Hedge = "negative", ties: Ties = "random",
                            seed=None) -> Ratings:
    """For every reader, the majority vote of the *other* readers of each unit.

    So a reader is never graded against a reference that holds their own read. Computed for
    all readers, units and findings at once: the vote counts of the panel minus the reader's
    own vote.

    Parameters
    ----------
    ratings : Ratings or array_like
        The readers (units x readers x findings).
    hedge : {"negative", "positive", "missing"}
        What a HEDGE read counts as in the vote (default NO, as in
        :func:`~adjudicate.majority_vote`); "missing" drops it.
    ties : {"random", "negative", "positive", "missing"}
        When the other readers split evenly: a seeded coin flip (default), NO, YES, or no
        reference label (the unit is excluded and counted as such).
    seed : int or numpy Generator, optional
        For ``ties="random"``: the same seed breaks the same ties whatever the order of the
        rows (draws keyed by the sorted unit ids). Without one a seed is drawn and recorded in
        the notes.

    Returns
    -------
    Ratings
        Categories ``("NO", "YES")``, readers as in ``ratings``: ``codes[u, r, f]`` is the
        reference label *for reader r*, MISSING where reader ``r`` did not read unit ``u``, no
        other reader did, or the others tie (with ``ties="missing"``). ``notes`` records the
        policy, the seed, the number of ties and of reads whose "majority" is one other
        reader's read.

    Notes
    -----
    Why ``ties="random"`` by default: with two other readers (the four-findings panels) the
    others disagree on many images, and exactly there the reader being graded is as likely
    right as wrong. Leaving those images out (``"missing"``) grades the reader only where the
    other readers agree -- the easy images -- which flatters every reader (on the
    four-findings data it drops 19% of Airspace opacity images and raises the mean reader
    kappa from about 0.60 to 0.75). Breaking ties toward NO or YES biases sensitivity or
    specificity. A seeded coin flip favours neither the reader nor a category; the seed is
    recorded so the reference can be rebuilt.

    With one other reader (a unit read twice), the "majority" is that reader's read alone:
    the comparison is then pairwise agreement, not a panel majority. The number of such reads
    is in the notes (and the ``n_single_other`` column of the tables).

    Examples
    --------
    Three readers; the reference of reader 0 is the majority of readers 1 and 2:

    >>> r = Ratings.from_array([["YES", "YES", "NO"], ["NO", "YES", "YES"]],
    ...                        readers=["a", "b", "c"])
    >>> loo = leave_one_out_reference(r, ties="missing")
    >>> loo.labels()[0].unstack().fillna("-").values.tolist()   # units x readers
    [['-', '-', 'YES'], ['YES', '-', '-']]
    >>> leave_one_out_reference(r, ties="positive").labels()[0].unstack().values.tolist()
    [['YES', 'YES', 'YES'], ['YES', 'YES', 'YES']]
    >>> "seed 3" in leave_one_out_reference(r, seed=3).notes[0]
    True
    """
    r = as_ratings(ratings)
    if hedge not in _HEDGES:
        check_policy(hedge, "hedge")
        raise ValueError(f"hedge must be one of {_HEDGES} for a vote, got {hedge!r}")
    check_policy(ties, "ties")
    if ties == "random":
        seed = _fresh_seed(seed)
    votes = apply_hedge(r, hedge, keep_category=False)
    x = votes.indicators()  # (U, R, F, K) one-hot reads
    others = x.sum(axis=1, keepdims=True, dtype=np.int32) - x  # the panel minus the reader
    label, tie = decide(others, ties=ties, seed=seed, units=r.units)
    read = r.codes != MISSING  # the units each reader read (a HEDGE read still counts here)
    codes = np.where(read & (label >= 0), label, MISSING).astype(np.int8)
    n_ties = int((tie & read).sum())
    n_single = int((read & (others.sum(-1) == 1)).sum())
    seed_text = f", seed {seed}" if ties == "random" and not isinstance(
        seed, np.random.Generator) else ""
    note = (f"leave-one-out majority of the other readers (hedge={hedge}, ties={ties}"
            f"{seed_text}): {n_ties} (unit, reader, finding) ties"
            + (" left without a reference label" if ties == "missing" else " broken")
            + f"; {n_single} reads graded against one other reader's read (units read twice)")
    return Ratings(codes=codes, categories=votes.categories, units=r.units, readers=r.readers,
                   findings=r.findings, clusters=r.clusters, meta=r.meta,
                   positive=_positive_label(votes, None, None), source="leave-one-out",
                   notes=(note,))


# --------------------------------------------------------------------------- tables
def _resolve(rater, reference, *, hedge, ties, seed):
    rater = as_ratings(rater)
    if isinstance(reference, str):
        if reference not in ("leave-one-out", "loo"):
            raise ValueError(f"reference must be labels or 'leave-one-out', got {reference!r}")
        ref = leave_one_out_reference(rater, hedge=hedge, ties=ties, seed=seed)
        name = "leave-one-out"
    else:
        ref = _as_reference(reference, rater)
        name = (str(ref.readers[0]) if ref.n_readers == 1 else
                ref.source if ref.source else "per-rater reference")
    return rater, ref, name


def _design(clusters, rater: Ratings, ref: Ratings, stacklevel: int = 3) -> ClusterDesign:
    """What is resampled (:func:`~adjudicate.resample.resolve_clusters`): by default the
    rater's clusters, else the reference's (aligned to the rater's units)."""
    if isinstance(clusters, ClusterDesign):
        return clusters
    owner = rater if (rater.clusters is not None or ref.clusters is None
                      or (isinstance(clusters, str) and clusters in rater.meta.columns)) else ref
    if owner is ref and not ref.units.equals(rater.units):
        owner = rater
    return resolve_clusters(clusters, owner, stacklevel=stacklevel)


def _recorded(seed):
    return None if isinstance(seed, np.random.Generator) else seed


def _proportion_counts(sums: np.ndarray):
    """``(k, n)`` of each proportion statistic, arrays ``(..., len(STATISTICS))`` (NaN for kappa)."""
    idx = {c: i for i, c in enumerate(CELLS)}
    k = np.full(sums.shape[:-1] + (len(STATISTICS),), np.nan)
    n = k.copy()
    for j, name in enumerate(STATISTICS):
        if name in _PROPORTIONS:
            num_cells, den_cells = _PROPORTIONS[name]
            k[..., j] = sums[..., [idx[c] for c in num_cells]].sum(-1)
            n[..., j] = sums[..., [idx[c] for c in den_cells]].sum(-1)
    return k, n


def _wilson(k: np.ndarray, n: np.ndarray, confidence_level: float):
    """Wilson score intervals (statsmodels); NaN where ``n`` is 0 or NaN (kappa)."""
    from statsmodels.stats.proportion import proportion_confint

    low, high = np.full(k.shape, np.nan), np.full(k.shape, np.nan)
    ok = np.isfinite(n) & (n > 0)
    if ok.any():
        low[ok], high[ok] = proportion_confint(k[ok], n[ok], alpha=1 - confidence_level,
                                               method="wilson")
    return low, high


def _design_effect(cells: np.ndarray, design: ClusterDesign, k: np.ndarray, n: np.ndarray):
    """Kish design effect of each proportion: cluster-robust over binomial variance (>= 1).

    The ratio estimator ``p = sum y / sum m`` (``y``, ``m`` the per-unit numerator and
    denominator indicators) has the cluster-robust variance ``C/(C-1) sum_c (Y_c - p M_c)^2 /
    n^2``; divided by ``p (1 - p) / n`` it is the design effect, and ``n / deff`` the effective
    sample size of Korn & Graubard (1998). 1 for independent units or ``p`` of 0 or 1.
    """
    deff = np.ones(k.shape)
    if not design.clustered:
        return deff
    from scipy import sparse

    u = cells.shape[0]
    member = sparse.csr_matrix((np.ones(u), (design.codes, np.arange(u))),
                               shape=(design.n_clusters, u))
    by_cluster = member @ cells.reshape(u, -1).astype(np.float64)
    by_cluster = by_cluster.reshape((design.n_clusters,) + cells.shape[1:])
    y, m = _proportion_counts(by_cluster)  # (C, ..., S)
    c = design.n_clusters
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        robust = c / (c - 1) * ((y - p * m) ** 2).sum(0) / n**2
        binomial = p * (1 - p) / n
        ratio = np.where(binomial > 0, robust / binomial, 1.0)
    return np.where(np.isfinite(ratio), np.maximum(ratio, 1.0), 1.0)


def _wilson_design(cells: np.ndarray, design: ClusterDesign, confidence_level: float):
    """The package's interval of a rater's proportions against a reference, from per-unit cells.

    Wilson's score interval of every proportion of :data:`STATISTICS` (NaN for kappa) at the
    effective sample size ``n / deff`` (:func:`_design_effect`; Korn & Graubard 1998) for
    clustered units, plain Wilson for independent ones. ``cells``: ``(units, ..., 4)``
    one-hot ``(tp, fp, fn, tn)``; returns ``low, high`` of shape ``(..., len(STATISTICS))``
    and the ``method`` label of the rows.
    """
    k, n = _proportion_counts(cells.sum(axis=0, dtype=np.int64))
    deff = _design_effect(cells, design, k, n)
    low, high = _wilson(k / deff, n / deff, confidence_level)
    label = f"wilson (design effect, {design.label})" if design.clustered else "wilson"
    return low, high, label


def _check_ci(ci):
    if ci not in ("bootstrap", None):
        raise ValueError(f"ci must be 'bootstrap' or None, got {ci!r}")


_INTERVAL_METHODS = (None, *BOOTSTRAP_METHODS, "wilson")


def accuracy_table(rater, reference, *, hedge: Hedge = "negative", ties: Ties = "random",
                   positive=None, ci: Literal["bootstrap"] | None = "bootstrap",
                   n_resamples: int = 9999, seed=None, clusters=None,
                   method: Literal["bca", "percentile", "wilson"] | None = None,
                   confidence_level: float = 0.95, reference_name: str | None = None,
                   progress: bool | None = None) -> TableResult:
    """Sensitivity, specificity, PPV, NPV, kappa, agreement and prevalence of raters vs a reference.

    All raters and findings in one vectorized pass: the per-unit 2x2 cells
    (:func:`confusion_cells`) are summed for the estimate and multiplied by one bootstrap weight
    matrix for the intervals.

    Parameters
    ----------
    rater : Ratings or array_like
        The rater(s) graded (readers, NLP labels, a model's thresholded output).
    reference : Ratings, DataFrame, VoteResult, array_like or "leave-one-out"
        The reference standard (see :func:`confusion_cells`). ``"leave-one-out"``: each reader
        against the majority of the other readers of each unit
        (:func:`leave_one_out_reference`, with ``hedge``, ``ties`` and ``seed``).
    hedge : {"negative", "positive", "missing"}
        What HEDGE counts as, for rater, reference and leave-one-out vote.
    ties : {"random", "negative", "positive", "missing"}
        Tie policy of the leave-one-out vote (see :func:`leave_one_out_reference` for why the
        default is a seeded coin flip).
    positive : hashable, optional
        The positive category (default: :func:`~adjudicate.ratings.positive_category`).
    ci : {"bootstrap", None}
        Intervals (default) or none (Wilson intervals are always in ``wilson_low/high``).
    n_resamples : int, default 9999
    seed : int, optional
        Seed of the bootstrap weights (and of random tie-breaking). The same seed draws the
        same replicates in every function of the package given the same clusters, whatever
        the order of the rows. Without one a seed is drawn, used and recorded.
    clusters : None, "unit", str or array_like
        What the bootstrap resamples (:func:`~adjudicate.resample.resolve_clusters`): None
        (default) the rater's clusters (patients for the NIH data; else the reference's; else
        independent units, with an :class:`~adjudicate.resample.IndependentUnitsWarning`),
        ``"unit"``, a metadata column, or one cluster id per unit.
    method : {None, "bca", "percentile", "wilson"}
        Interval method. None (default) or ``"wilson"``: Wilson's score interval for every
        proportion (sensitivity, specificity, PPV, NPV, agreement, prevalence), at the
        effective sample size ``n / deff`` for clustered units (Korn & Graubard 1998), and
        the BCa bootstrap for kappa. The coverage study (``docs/coverage.md``) found this
        interval at 0.94-0.98 coverage at every event count, while the patient bootstrap
        under-covers up to 10-19 events (0.90-0.92) and collapses to a point below 10.
        ``"bca"`` or ``"percentile"``: that bootstrap interval for every statistic. The
        ``method`` column says which one each row got.
    confidence_level : float, default 0.95
    reference_name : str, optional
        The ``reference`` column (default: the reference's reader name, or "leave-one-out").
    progress : bool, optional
        Bootstrap progress bar on stderr.

    Returns
    -------
    TableResult
        ``.table``, tidy: one row per (rater, finding, statistic), raters then findings in
        their order and statistics in the order of :data:`STATISTICS`. Columns ``finding``,
        ``rater``, ``reference``, ``statistic``, ``estimate``, ``ci_low``, ``ci_high``,
        ``wilson_low``, ``wilson_high`` (plain Wilson, proportions only; NaN for kappa),
        ``n_units`` (units with both labels), ``n_excluded`` (units with a label on one side
        only, left out), ``excluded_share`` (``n_excluded / (n_units + n_excluded)``),
        ``n_single_other`` (leave-one-out references only: units whose "majority" is one
        other reader's read), ``tp``, ``fp``, ``fn``, ``tn``, ``n_undefined`` (bootstrap
        replicates where the statistic is undefined, left out of the interval), ``method``,
        ``seed``.
        ``.bootstrap`` holds the :class:`~adjudicate.resample.BootstrapResult` (estimate and
        distribution of shape (findings, raters, statistics)); ``.settings`` the options and
        the seed used; ``.notes`` the reference's notes (ties, single-reader "majorities").

    Warns
    -----
    UndefinedStatisticWarning
        When an estimate is undefined (e.g. sensitivity without reference positives): NaN.

    Examples
    --------
    Two readers against a reference, one finding:

    >>> ref = ["YES", "YES", "NO", "NO", "YES", "NO", "NO", "YES"]
    >>> readers = Ratings.from_array(
    ...     [["YES", "YES"], ["YES", "NO"], ["NO", "NO"], ["YES", "NO"],
    ...      ["YES", "YES"], ["NO", "NO"], ["NO", None], ["NO", "YES"]], readers=["r1", "r2"])
    >>> res = accuracy_table(readers, ref, n_resamples=500, seed=0, clusters="unit")
    >>> t = res.table
    >>> t.loc[t.statistic == "sensitivity", ["rater", "estimate", "n_units", "tp", "fn", "method"]]
      rater  estimate  n_units  tp  fn  method
    0    r1      0.75        8   3   1  wilson
    7    r2      0.75        7   3   1  wilson
    >>> t.loc[t.statistic == "kappa", "estimate"].round(3).tolist()
    [0.5, 0.72]
    >>> int(t.loc[t.rater == "r2", "n_excluded"].iloc[0])    # r2 did not read one unit
    1
    >>> res.seed
    0
    """
    _check_ci(ci)
    if method not in _INTERVAL_METHODS:
        raise ValueError(f"method must be one of {_INTERVAL_METHODS}, got {method!r}")
    seed = _fresh_seed(seed)
    rater, ref, name = _resolve(rater, reference, hedge=hedge, ties=ties, seed=seed)
    cells, excluded = _cells(rater, ref, hedge, positive)
    sums = cells.sum(axis=0, dtype=np.int64)  # (F, R, 4)
    findings, raters = rater.findings, rater.readers
    estimate = accuracy_statistics(sums, warn=False)
    _warn_undefined(estimate, lambda i: f"{raters[i[1]]}/{findings[i[0]]}")
    design = _design(clusters, rater, ref)
    k, n = _proportion_counts(sums)
    w_low, w_high = _wilson(k, n, confidence_level)
    boot = None
    low = high = np.full(estimate.shape, np.nan)
    n_undefined = np.zeros(estimate.shape, dtype=np.int64)
    how = np.full(estimate.shape, "none", dtype=object)
    if ci == "bootstrap":
        boot_method = method if method in BOOTSTRAP_METHODS else "bca"
        boot = bootstrap_sums(cells, _finalize, clusters=design, n_resamples=n_resamples,
                              seed=seed, method=boot_method, confidence_level=confidence_level,
                              progress=progress)
        low, high = (np.asarray(x, dtype=float).copy() for x in boot.confidence_interval())
        n_undefined = np.asarray(boot.n_undefined)
        how[:] = f"bootstrap {boot_method} ({design.label})"
        use_wilson = np.isfinite(n) & (n > 0) & (method in (None, "wilson"))
        if use_wilson.any():
            d_low, d_high, label = _wilson_design(cells, design, confidence_level)
            low, high = np.where(use_wilson, d_low, low), np.where(use_wilson, d_high, high)
            how[use_wilson] = label
    table = _tidy(findings, raters, reference_name or name, estimate, low, high, w_low, w_high,
                  sums, excluded, n_undefined, how)
    single = _single_other(rater, ref, cells, hedge)
    if single is not None:  # (F, R) -> rater-major rows, one per statistic
        table.insert(table.columns.get_loc("n_excluded") + 2, "n_single_other",
                     np.repeat(np.moveaxis(single, 1, 0).reshape(-1), len(STATISTICS)))
    table["seed"] = _recorded(seed)
    settings = {"reference": reference_name or name, "hedge": hedge, "ties": ties,
                "positive": _positive_label(rater, ref, positive), "ci": ci,
                "method": method or "wilson", "n_resamples": n_resamples if ci else None,
                "confidence_level": confidence_level, "clusters": design.label,
                "seed": _recorded(seed)}
    return TableResult(table, settings=settings, notes=tuple(ref.notes), bootstrap=boot)


def _single_other(rater: Ratings, ref: Ratings, cells: np.ndarray, hedge: str):
    """Per (finding, rater), units graded against ONE other reader's read (leave-one-out).

    None unless ``ref`` is a leave-one-out reference of these readers. An image read by two
    readers gives each the other's read as its "majority": pairwise agreement, not a panel.
    """
    if ref.source != "leave-one-out" or ref.n_readers != rater.n_readers:
        return None
    votes = apply_hedge(rater, hedge, keep_category=False).codes != MISSING  # (U, R, F)
    others = votes.sum(axis=1, keepdims=True) - votes
    compared = cells.any(-1)  # (U, F, R): both sides labelled
    return ((others == 1).transpose(0, 2, 1) & compared).sum(0)


def _finalize(sums):
    return accuracy_statistics(sums, warn=False)


def _tidy(findings, raters, reference, estimate, low, high, w_low, w_high, sums, excluded,
          n_undefined, method) -> pd.DataFrame:
    """Rows (rater, finding, statistic) from arrays shaped (F, R, 7) / (F, R, 4) / (F, R)."""
    n_f, n_r, n_s = estimate.shape
    order = lambda a: np.moveaxis(a, 1, 0).reshape(n_r * n_f, *a.shape[2:])  # rater-major
    r_idx, f_idx = np.divmod(np.arange(n_r * n_f), n_f)
    rep = lambda a: np.repeat(a, n_s)
    cells = order(sums)
    n_units = rep(cells.sum(-1))
    n_excluded = rep(order(excluded[..., None])[:, 0])
    with np.errstate(invalid="ignore", divide="ignore"):
        share = n_excluded / (n_units + n_excluded)
    frame = pd.DataFrame({
        "finding": rep(np.asarray(findings, dtype=object)[f_idx]),
        "rater": rep(np.asarray(raters.astype(str), dtype=object)[r_idx]),
        "reference": reference,
        "statistic": np.tile(np.asarray(STATISTICS, dtype=object), n_r * n_f),
        "estimate": order(estimate).ravel(),
        "ci_low": order(low).ravel(),
        "ci_high": order(high).ravel(),
        "wilson_low": order(w_low).ravel(),
        "wilson_high": order(w_high).ravel(),
        "n_units": n_units,
        "n_excluded": n_excluded,
        "excluded_share": share,
        **{c: rep(cells[:, i]) for i, c in enumerate(CELLS)},
        "n_undefined": order(n_undefined).ravel(),
        "method": order(np.asarray(method, dtype=object)).ravel(),
    })
    return frame


# --------------------------------------------------------------------------- paired
def bootstrap_p_value(distribution: np.ndarray, null: float = 0.0) -> np.ndarray:
    """Two-sided bootstrap p-value of "no difference" counted from a bootstrap distribution.

    The tables of this module report instead :meth:`adjudicate.BootstrapResult.p_value`, the
    inversion of the interval they report (so a p-value below ``1 - confidence_level`` comes
    exactly with an interval that excludes 0); this count is kept for distributions without
    a result object.

    ``p = min(1, 2 (1 + min(#{d* <= null}, #{d* >= null})) / (B + 1))`` over the ``B``
    defined (non-NaN) replicates: twice the share of replicates on the far side of the null,
    the smallest level at which the equal-tailed percentile interval excludes it [3]_, with
    the +1 that keeps it above 0. NaN where no replicate is defined, and where all defined
    replicates are equal: a distribution without spread (e.g. a sensitivity resting on one
    positive unit, -1 whenever that unit is drawn and undefined otherwise) cannot measure
    uncertainty, so it gives no test rather than a spurious p near 0.

    Examples
    --------
    >>> bootstrap_p_value(np.array([[0.1], [0.2], [-0.1], [0.3]])).round(3).tolist()
    [0.8]
    >>> bootstrap_p_value(np.array([[-1.0], [np.nan], [-1.0]])).tolist()   # no spread: no test
    [nan]
    """
    d = np.asarray(distribution, dtype=float)
    defined = (~np.isnan(d)).sum(axis=0)
    below = (d <= null).sum(axis=0)
    above = (d >= null).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.minimum(1.0, 2 * (1 + np.minimum(below, above)) / (defined + 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
        spread = np.nanmax(d, axis=0) > np.nanmin(d, axis=0)
    return np.where((defined > 0) & spread, p, np.nan)


def paired_accuracy_difference(rater, other, reference, *, hedge: Hedge = "negative",
                               ties: Ties = "random", positive=None, n_resamples: int = 9999,
                               seed=None, clusters=None,
                               method: Literal["bca", "percentile"] = "bca",
                               confidence_level: float = 0.95, p_adjust: str = "holm",
                               reference_name: str | None = None,
                               progress: bool | None = None) -> TableResult:
    """Each rater minus another rater (e.g. readers minus NLP), against the same reference.

    Both raters are compared on the same units -- those where the rater, the other rater and
    the reference all have a label -- and on the same bootstrap replicates (the per-unit cells
    of both side by side, one weight matrix: :func:`adjudicate.resample.paired_difference`),
    so the interval and p-value account for their correlation.

    Parameters
    ----------
    rater : Ratings
        The raters (e.g. readers), units x raters x findings.
    other : Ratings
        The rater subtracted: one reader (e.g. the NLP labels, shared by every rater) or one
        per rater.
    reference : Ratings, DataFrame, VoteResult, array_like or "leave-one-out"
        As in :func:`accuracy_table`; a per-rater reference (leave-one-out) grades ``other``
        against each rater's own reference.
    hedge, ties, positive, n_resamples, seed, clusters, confidence_level, progress
        As in :func:`accuracy_table`.
    method : {"bca", "percentile"}
        Bootstrap interval method of the difference; the p-value inverts that same interval.
    p_adjust : str, default "holm"
        Multiplicity adjustment across findings, any ``method`` of
        :func:`statsmodels.stats.multitest.multipletests` ("holm", "bonferroni", "fdr_bh",
        ...). One family per (rater, statistic): its findings with a defined p-value.
    reference_name : str, optional

    Returns
    -------
    TableResult
        ``.table``: one row per (rater, finding, statistic): ``finding``, ``rater``,
        ``other``, ``reference``, ``statistic``, ``estimate`` (rater minus other),
        ``ci_low``, ``ci_high``, ``p_value`` (:meth:`~adjudicate.BootstrapResult.p_value`:
        the smallest ``1 - level`` at which the reported interval excludes 0, so ``p_value <
        1 - confidence_level`` exactly when ``[ci_low, ci_high]`` excludes 0),
        ``p_adjusted``, ``reject`` (at ``1 - confidence_level``, after adjustment),
        ``estimate_rater``, ``estimate_other`` (each on the common units), ``n_units``
        (common units), ``n_undefined`` (replicates where the difference is undefined, left
        out), ``method``, ``p_adjust``, ``seed``. ``.bootstrap``: the paired
        :class:`~adjudicate.BootstrapResult`.

    Examples
    --------
    >>> ref = ["YES", "YES", "NO", "NO", "YES", "NO", "NO", "YES"] * 3
    >>> a = Ratings.from_array(np.array(["YES", "YES", "NO", "YES", "YES", "NO", "NO", "YES"] * 3)
    ...                        [:, None])
    >>> b = Ratings.from_array(np.array(["YES", "NO", "NO", "NO", "NO", "NO", "NO", "YES"] * 3)
    ...                        [:, None])
    >>> d = paired_accuracy_difference(a, b, ref, n_resamples=999, seed=1, method="percentile",
    ...                                clusters="unit").table
    >>> d.loc[d.statistic.isin(["sensitivity", "specificity"]), ["statistic", "estimate"]]
         statistic  estimate
    0  sensitivity      0.50
    1  specificity     -0.25
    >>> bool(d.p_value.iloc[0] < 0.05), bool(d.ci_low.iloc[0] > 0)
    (True, True)
    """
    _check_ci("bootstrap")
    seed = _fresh_seed(seed)
    rater, ref, name = _resolve(rater, reference, hedge=hedge, ties=ties, seed=seed)
    other = _as_reference(as_ratings(other), rater)  # align units/findings; 1 or R readers
    cells_a, _ = _cells(rater, ref, hedge, positive)
    cells_b, _ = _cells(other, ref, hedge, positive)
    if cells_b.shape[2] == 1 and cells_a.shape[2] > 1:
        cells_b = np.broadcast_to(cells_b, cells_a.shape)
    common = (cells_a.any(-1) & cells_b.any(-1))[..., None]  # all three labelled
    cells_a, cells_b = cells_a * common, cells_b * common
    sums_a, sums_b = cells_a.sum(0, dtype=np.int64), cells_b.sum(0, dtype=np.int64)
    est_a = accuracy_statistics(sums_a, warn=False)
    est_b = accuracy_statistics(sums_b, warn=False)
    estimate = est_a - est_b
    findings, raters = rater.findings, rater.readers
    _warn_undefined(estimate, lambda i: f"{raters[i[1]]}/{findings[i[0]]}")
    design = _design(clusters, rater, ref)
    boot = paired_difference(cells_a, _finalize, cells_b, _finalize, clusters=design,
                             n_resamples=n_resamples, seed=seed, method=method,
                             confidence_level=confidence_level, progress=progress)
    low, high = (np.asarray(x) for x in boot.confidence_interval())
    p = np.asarray(boot.p_value(), dtype=float)  # (F, R, 7): inverts the reported interval
    p_adj, reject = _adjust(p, p_adjust, 1 - confidence_level)

    n_f, n_r, n_s = estimate.shape
    order = lambda a: np.moveaxis(a, 1, 0).reshape(-1)
    r_idx = np.repeat(np.arange(n_r), n_f * n_s)
    f_idx = np.tile(np.repeat(np.arange(n_f), n_s), n_r)
    other_names = np.asarray(other.readers.astype(str), dtype=object)
    frame = pd.DataFrame({
        "finding": np.asarray(findings, dtype=object)[f_idx],
        "rater": np.asarray(raters.astype(str), dtype=object)[r_idx],
        "other": other_names[r_idx] if len(other_names) == n_r else other_names[0],
        "reference": reference_name or name,
        "statistic": np.tile(np.asarray(STATISTICS, dtype=object), n_r * n_f),
        "estimate": order(estimate),
        "ci_low": order(low),
        "ci_high": order(high),
        "p_value": order(p),
        "p_adjusted": order(p_adj),
        "reject": order(reject),
        "estimate_rater": order(est_a),
        "estimate_other": order(est_b),
        "n_units": np.repeat(np.moveaxis(sums_a.sum(-1), 1, 0).reshape(-1), n_s),
        "n_undefined": order(np.asarray(boot.n_undefined)),
        "method": f"bootstrap {method} ({design.label})",
        "p_adjust": p_adjust,
        "seed": _recorded(seed),
    })
    settings = {"reference": reference_name or name, "hedge": hedge, "ties": ties,
                "method": method, "n_resamples": n_resamples,
                "confidence_level": confidence_level, "clusters": design.label,
                "p_adjust": p_adjust, "seed": _recorded(seed)}
    return TableResult(frame, settings=settings, notes=tuple(ref.notes), bootstrap=boot)


def _adjust(p: np.ndarray, how: str, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """multipletests across findings (axis 0) for every (rater, statistic) family."""
    from statsmodels.stats.multitest import multipletests

    p_adj = np.full(p.shape, np.nan)
    reject = np.zeros(p.shape, dtype=bool)
    flat_p = p.reshape(p.shape[0], -1)
    flat_adj, flat_rej = p_adj.reshape(flat_p.shape), reject.reshape(flat_p.shape)
    # multipletests(method="holm") calls gc.collect() each time, ~40 ms with pandas loaded:
    # freeze the objects that exist now so those collections have nothing old to scan
    already_frozen = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        for j in range(flat_p.shape[1]):  # one call per family: the statsmodels API is 1-D
            ok = ~np.isnan(flat_p[:, j])
            if ok.any():
                rej, adj, _, _ = multipletests(flat_p[ok, j], alpha=alpha, method=how)
                flat_adj[ok, j], flat_rej[ok, j] = adj, rej
    finally:
        if not already_frozen:
            gc.unfreeze()
    return p_adj, reject


# --------------------------------------------------------------------------- the workflow
@dataclass(frozen=True, eq=False)
class ComparisonResult(TableResult):
    """A rater and readers against a reference (:func:`compare_raters`).

    Attributes
    ----------
    table : DataFrame
        Tidy accuracy rows, one per (rater, reference, finding, statistic), as
        :func:`accuracy_table` (``rater`` is the rater's name, a reader id, or the
        reference's name for its own ``prevalence`` rows), plus ``note`` (e.g. why a
        finding has no rows).
    differences : DataFrame
        Reader minus rater, one row per (reader, reference, finding, statistic), as
        :func:`paired_accuracy_difference`.
    settings, notes, bootstrap
        As :class:`~adjudicate.TableResult`; ``bootstrap`` maps each part's name to its
        :class:`~adjudicate.BootstrapResult`.
    """

    differences: pd.DataFrame = field(default=None, repr=False)

    def to_frame(self) -> pd.DataFrame:
        """Both tables in one tidy frame, told apart by ``comparison``.

        ``comparison`` is ``"accuracy"`` (a rater against the reference) or ``"rater -
        <rater>"`` (the paired difference); columns that do not apply are empty.
        """
        rater = self.settings.get("rater", "rater")
        acc = self.table.assign(comparison="accuracy")
        parts = [acc]
        if self.differences is not None and len(self.differences):
            parts.append(self.differences.assign(comparison=f"rater - {rater}"))
        frame = pd.concat(parts, ignore_index=True, sort=False)
        first = ["comparison", "finding", "rater", "reference", "statistic", "estimate",
                 "ci_low", "ci_high"]
        return frame[first + [c for c in frame.columns if c not in first]]

    def to_dict(self) -> dict:
        """Settings, notes and the rows of :meth:`to_frame` as JSON-able values."""
        base = TableResult(self.to_frame(), settings=self.settings, notes=self.notes)
        return base.to_dict()


def _placeholder_rows(findings, rater: str, reference: str, note: str) -> pd.DataFrame:
    n = len(findings) * len(STATISTICS)
    return pd.DataFrame({
        "finding": np.repeat(np.asarray(findings, dtype=object), len(STATISTICS)),
        "rater": rater, "reference": reference,
        "statistic": np.tile(np.asarray(STATISTICS, dtype=object), len(findings)),
        "estimate": np.full(n, np.nan), "n_units": 0, "note": note,
    })


def compare_raters(rater, reference, *, readers=None, readers_vs_reference=None,
                   leave_one_out: bool = True, reference_name: str = "reference",
                   hedge: Hedge = "negative", ties: Ties = "random", positive=None,
                   n_resamples: int = 9999, seed=None, confidence_level: float = 0.95,
                   method: Literal["bca", "percentile"] | None = None, clusters=None,
                   p_adjust: str = "holm", no_label_note: str = "the rater has no labels",
                   progress: bool | None = None) -> ComparisonResult:
    """Any rater against a reference, beside the readers, with paired differences.

    The workflow of a reader study that grades a new rater (NLP labels, a model's binary
    calls, one more reader):

    - the rater against the reference (:func:`accuracy_table`), and the reference's own
      prevalence;
    - readers not part of the reference (``readers_vs_reference``) against it, and each of
      them minus the rater on the same units and replicates
      (:func:`paired_accuracy_difference`, Holm-adjusted across findings);
    - with ``leave_one_out``: every reader against the majority of the *other* readers
      (:func:`leave_one_out_reference`: no reader grades themselves), and each reader minus
      the rater against that reader's own leave-one-out reference.

    One seed serves every part (drawn when none is given, and recorded), so all rows see the
    same resampled clusters.

    Parameters
    ----------
    rater : Ratings
        One rater (units x 1 x findings). Findings where it has no label at all get
        placeholder rows (NaN, ``note``), never zeros.
    reference : Ratings, DataFrame, VoteResult or array_like
        The reference standard (see :func:`confusion_cells`).
    readers : Ratings, optional
        The reader panel, on the same units (aligned by unit id).
    readers_vs_reference : sequence, optional
        Reader ids to grade directly against ``reference`` (readers who are not part of it).
    leave_one_out : bool, default True
        Also grade every reader against the majority of the other readers.
    reference_name : str
        The ``reference`` column of rows against ``reference``.
    hedge, ties, positive, n_resamples, seed, confidence_level, clusters, progress
        As in :func:`accuracy_table`.
    method : {None, "bca", "percentile"}
        Interval method of the accuracy rows (None: cluster-adjusted Wilson for every
        proportion, BCa for kappa; see :func:`accuracy_table`); the differences use BCa for
        None.
    p_adjust : str, default "holm"
    no_label_note : str
        The ``note`` of the placeholder rows.

    Returns
    -------
    ComparisonResult

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> truth = rng.random((120, 1, 2)) < 0.4
    >>> flip = lambda p: np.where(rng.random(truth.shape) < p, ~truth, truth)
    >>> yn = lambda x: np.where(x, "YES", "NO")
    >>> readers = Ratings.from_array(yn(np.concatenate([flip(0.1), flip(0.1), flip(0.15)], 1)),
    ...                              readers=["r1", "r2", "r3"], findings=["Mass", "Nodule"])
    >>> model = Ratings.from_array(yn(flip(0.2)), readers=["model"], findings=["Mass", "Nodule"])
    >>> res = compare_raters(model, yn(truth[:, 0, :]), readers=readers, reference_name="truth",
    ...                      n_resamples=200, seed=0, clusters="unit")
    >>> sorted(set(res.table.rater)), sorted(set(res.differences.reference))
    (['model', 'r1', 'r2', 'r3', 'truth'], ['leave-one-out'])
    >>> res.settings["seed"]
    0
    """
    rater = as_ratings(rater)
    if rater.n_readers != 1:
        raise ValueError(f"compare_raters grades one rater; got {rater.n_readers} "
                         "(use accuracy_table for several)")
    seed = _fresh_seed(seed)
    rater_name = str(rater.readers[0])
    labelled = rater.observed.any(axis=(0, 1))
    with_labels = [f for f, ok in zip(rater.findings, labelled) if ok]
    without = [f for f, ok in zip(rater.findings, labelled) if not ok]
    opts = {"hedge": hedge, "n_resamples": n_resamples, "seed": seed,
                "confidence_level": confidence_level, "clusters": clusters, "progress": progress}
    diff_method = method if method in BOOTSTRAP_METHODS else "bca"
    ref = _as_reference(reference, rater)
    sel = rater.select(findings=with_labels)
    parts, diffs, boots, notes = [], [], {}, []
    with warnings.catch_warnings():
        # undefined statistics are expected (rare findings, readers with few units): they
        # are counted into one summary warning below, not one per table
        warnings.simplefilter("ignore", UndefinedStatisticWarning)
        own = accuracy_table(ref, ref, reference_name=reference_name, method=method, **opts)
        parts.append(own.table[own.table.statistic == "prevalence"].assign(rater=reference_name))
        acc = accuracy_table(sel, ref.select(findings=with_labels),
                             reference_name=reference_name, method=method, **opts)
        parts.append(acc.table)
        boots[f"{rater_name} vs {reference_name}"] = acc.bootstrap
        if without:
            parts.append(_placeholder_rows(without, rater_name, reference_name, no_label_note))
        if readers is not None:
            panel = _align(as_ratings(readers), rater, "reader panel")
            if readers_vs_reference:
                outside = panel.select(readers=list(readers_vs_reference))
                part = accuracy_table(outside, ref, reference_name=reference_name,
                                      method=method, **opts)
                parts.append(part.table)
                diff = paired_accuracy_difference(
                    outside.select(findings=with_labels), sel, ref.select(findings=with_labels),
                    reference_name=reference_name, p_adjust=p_adjust, method=diff_method, **opts)
                diffs.append(diff.table)
                boots[f"readers - {rater_name} vs {reference_name}"] = diff.bootstrap
            if leave_one_out:
                loo = leave_one_out_reference(panel, hedge=hedge, ties=ties, seed=seed)
                notes += loo.notes
                part = accuracy_table(panel, loo, reference_name="leave-one-out", method=method,
                                      **opts)
                parts.append(part.table)
                boots["readers vs leave-one-out"] = part.bootstrap
                diff = paired_accuracy_difference(
                    panel.select(findings=with_labels), sel, loo.select(findings=with_labels),
                    reference_name="leave-one-out", p_adjust=p_adjust, method=diff_method,
                    **opts)
                diffs.append(diff.table)
                boots[f"readers - {rater_name} vs leave-one-out"] = diff.bootstrap
    table = pd.concat(parts, ignore_index=True, sort=False)
    table["note"] = table["note"].fillna("") if "note" in table else ""
    table["n_units"] = table["n_units"].astype("int64")
    counts = [*CELLS, "n_excluded", "n_undefined"]
    table[counts] = table[counts].astype("Int64")  # NA on placeholder rows
    table["seed"] = _recorded(seed)
    differences = (pd.concat(diffs, ignore_index=True) if diffs
                   else pd.DataFrame(columns=["finding", "rater", "other", "reference",
                                              "statistic", "estimate", "ci_low", "ci_high"]))
    nan_rows = table[(table.note == "") & table.estimate.isna()]
    n_undefined = (len(nan_rows), int(differences["estimate"].isna().sum()))
    if any(n_undefined):
        by_stat = nan_rows.groupby("statistic", sort=False).size()
        notes.append(f"undefined (0/0, reported as NaN): {n_undefined[0]} estimates ("
                     + ", ".join(f"{k} {v}" for k, v in by_stat.items())
                     + f") and {n_undefined[1]} differences; e.g. sensitivity where a "
                     "reference has no positive among the units compared")
        warnings.warn(f"{n_undefined[0]} estimates and {n_undefined[1]} differences are "
                      "undefined (0/0) and reported as NaN; see the notes",
                      UndefinedStatisticWarning, stacklevel=2)
    settings = {"rater": rater_name, "reference": reference_name, "n_resamples": n_resamples,
                "seed": _recorded(seed), "confidence_level": confidence_level,
                "method": method or "auto", "hedge": hedge, "ties": ties,
                "p_adjust": p_adjust, "clusters": own.settings["clusters"],
                "no_labels": list(without)}
    return ComparisonResult(table, settings=settings, notes=tuple(notes), bootstrap=boots,
                            differences=differences)


def format_comparison(result: ComparisonResult,
                      format: Literal["table", "csv", "json"] = "table") -> str:
    """Render a :func:`compare_raters` (or :func:`~adjudicate.compare_nlp`) result.

    Parameters
    ----------
    result : ComparisonResult
    format : {"table", "csv", "json"}
        ``"table"``: readable sections (rater vs reference, readers vs reference, readers vs
        the leave-one-out majority, reader minus rater) with ``estimate [ci_low, ci_high]``
        cells (:func:`adjudicate.results.wide_view`). ``"csv"``: :meth:`~ComparisonResult.to_frame`
        as CSV (tidy). ``"json"``: ``{"settings": ..., "notes": ..., "rows": [...]}``.

    Returns
    -------
    str
    """
    from .results import format_cell, wide_view

    if format == "csv":
        return result.to_frame().to_csv(index=False)
    if format == "json":
        import json
        return json.dumps(result.to_dict(), indent=1)
    if format != "table":
        raise ValueError(f"format must be 'table', 'csv' or 'json', got {format!r}")
    p = result.settings
    t, d = result.table, result.differences
    rater, ref = p["rater"], p["reference"]
    label = p.get("rater_label", rater)
    short = {"sensitivity": "sens", "specificity": "spec", "ppv": "ppv", "npv": "npv",
             "kappa": "kappa", "percent_agreement": "agree", "prevalence": "prev"}

    def block(rows, index, **kw):
        wide = wide_view(rows, index=index, digits=2, **kw).rename(columns=short)
        first = rows.drop_duplicates(index).set_index(index)
        wide.insert(0, "n", first["n_units"].reindex(wide.index).to_numpy())
        if "excluded_share" in rows and (first["n_excluded"].fillna(0) > 0).any():
            wide.insert(1, "excl", first["excluded_share"].reindex(wide.index)
                        .map(lambda x: "" if pd.isna(x) else f"{x:.0%}").to_numpy())
        return wide.to_string()

    level = round(100 * p["confidence_level"])
    methods = sorted(set(t["method"].dropna()) - {"none"})
    out = [f"{label} and readers vs the {ref} reference",
           (f"cells: estimate [{level}% CI]; intervals: {'; '.join(methods)}; "
           f"{p['n_resamples']} resamples, seed {p['seed']}; n = units compared, "
           "excl = share of units with a label on one side only (left out)")]
    out += [f"- {n}" for n in result.notes]
    rows = t[(t.rater == rater) & (t.note == "")]
    wide_rows = block(rows, "finding") if len(rows) else ""
    prev = t[(t.rater == ref) & (t.statistic == "prevalence")].set_index("finding")
    out += ["", f"{label} vs {ref}", wide_rows]
    if len(prev):
        out += [f"prevalence ({ref}): " + ", ".join(
            f"{f} {format_cell(r.estimate, r.ci_low, r.ci_high, digits=2)}"
            for f, r in prev.iterrows())]
    for f in p.get("no_labels", []):
        note = t.loc[(t.rater == rater) & (t.finding == f), "note"]
        out.append(f"{f}: {note.iloc[0] if len(note) else 'no labels'}")
    vs_ref = t[(t.rater != rater) & (t.rater != ref) & (t.reference == ref)]
    if len(vs_ref):
        out += ["", f"Readers vs {ref}", block(vs_ref, ["rater", "finding"])]
    loo = t[t.reference == "leave-one-out"]
    if len(loo):
        out += ["", "Readers vs the majority of the other readers (leave-one-out)",
                block(loo, ["rater", "finding"])]
    if d is not None and len(d):
        for name, rows in d.groupby("reference", sort=False):
            out += ["", (f"Reader minus {label} vs {name} (same units, paired bootstrap; * = "
                        f"{p['p_adjust']}-adjusted p < {1 - p['confidence_level']:.2g} across "
                        "findings)"),
                    block(rows, ["rater", "finding"], signed=True, mark="reject")]
    return "\n".join(out) + "\n"
