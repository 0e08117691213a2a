"""A rater (reader, NLP labels, model) against a reference standard: the 2x2 metrics.

Every metric here is a function of the four cells of the 2x2 table of a binary rater against a
binary reference, and the cells are sums over units of per-unit indicators. So the pipeline is
the one of DESIGN.md, "Statistics are sums":

- :func:`confusion_cells` -- per unit, finding and rater, which cell the unit falls in:
  ``cells[unit, finding, rater, :]`` is one-hot over ``(tp, fp, fn, tn)`` (all zero when either
  side has no label, so the unit drops out of every sum);
- :func:`accuracy_statistics` -- the finalize: summed cells ``(..., 4)`` to the seven statistics
  ``(..., 7)`` of :data:`STATISTICS`, vectorized over any leading axes (replicates, findings,
  raters);
- :func:`accuracy_table` -- estimate, bootstrap interval (one weight-matrix product for all
  replicates, findings and raters, :func:`adjudicate.resample.bootstrap_sums`), Wilson intervals
  for the proportions (statsmodels), in the tidy layout;
- :func:`paired_accuracy_difference` -- rater A minus rater B against the same reference on the
  same units and the same bootstrap replicates, with p-values adjusted across findings
  (statsmodels ``multipletests``);
- :func:`leave_one_out_reference` -- for each reader, the majority of the *other* readers of
  each unit (so no reader grades itself), for all readers at once from the vote counts minus
  the reader's own vote.

References
----------
.. [1] J. Cohen, "A coefficient of agreement for nominal scales", Educational and Psychological
   Measurement 20(1), 1960 (kappa).
.. [2] E. B. Wilson, "Probable inference, the law of succession, and statistical inference",
   JASA 22, 1927 (the score interval of a proportion).
.. [3] A. C. Davison and D. V. Hinkley, *Bootstrap Methods and their Application*, Cambridge
   University Press, 1997, sections 3.8 (clustered data) and 4.4 (tests from intervals).
"""

from __future__ import annotations

import gc
import warnings
from dataclasses import replace
from typing import Literal

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from .ratings import MISSING, Ratings, as_ratings
from .resample import bootstrap_sums, paired_difference
from .vote import VoteResult, apply_hedge, decide

__all__ = [
    "CELLS",
    "STATISTICS",
    "UndefinedStatisticWarning",
    "accuracy_statistics",
    "accuracy_table",
    "bootstrap_p_value",
    "confusion_cells",
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

Hedge = Literal["negative", "positive", "abstain"]
Ties = Literal["abstain", "negative", "positive", "random"]
_HEDGES = ("negative", "positive", "abstain")


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
    ``p_e`` from the two margins; for two categories it reduces to the exact form
    ``2 (tp tn - fp fn) / ((tp + fp)(fp + tn) + (tp + fn)(fn + tn))``, which is used here
    (no cancellation, and 0/0 exactly when both margins are degenerate).

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
            2 * (tp * tn - fp * fn) / ((tp + fp) * (fp + tn) + (tp + fn) * (fn + tn)),
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
    """The positive category: given, the ratings' own ("YES"), or the higher of two values."""
    values = set(rater.categories) | (set(ref.categories) if ref is not None else set())
    if positive is not None:
        # absent from data that uses one category only: nobody called it (all negative);
        # absent from data with two or more categories: a typo
        if positive not in values and len(values - {"HEDGE"}) > 1:
            raise ValueError(f"positive category {positive!r} is not among the categories "
                             f"{sorted(values, key=str)}")
        return positive
    for r in (rater, ref):
        if r is not None and r.positive is not None:
            return r.positive
    if "YES" in values:
        return "YES"
    if len(values) == 2:
        try:
            return max(values)  # the higher of two: 1 of 0/1, True of False
        except TypeError:
            pass
    raise ValueError(f"which category is positive? pass positive= (categories are "
                     f"{sorted(values, key=str)})")


def _binary(r: Ratings, hedge: str, positive) -> tuple[np.ndarray, np.ndarray]:
    """``(positive, observed)`` booleans of shape (units, readers, findings).

    ``positive`` is a category label; ratings that never use it are all negative.
    """
    if hedge not in _HEDGES:
        raise ValueError(f"hedge must be one of {_HEDGES}, got {hedge!r}")
    codes = r.codes
    observed = codes != MISSING
    is_pos = (codes == r.categories.index(positive) if positive in r.categories
              else np.zeros(codes.shape, dtype=bool))
    if "HEDGE" in r.categories:
        hedged = codes == r.categories.index("HEDGE")
        if hedge == "abstain":
            observed = observed & ~hedged
        elif hedge == "positive":
            is_pos = is_pos | hedged
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
    ref = reference
    if not ref.units.equals(rater.units):
        pos = ref.units.get_indexer(rater.units)
        if (pos < 0).all():
            raise ValueError("the reference shares no unit with the rater")
        codes = np.where((pos >= 0)[:, None, None], ref.codes[np.maximum(pos, 0)], MISSING)
        ref = replace(ref, codes=codes, units=rater.units, clusters=rater.clusters,
                      meta=pd.DataFrame(index=rater.units))
    if not ref.findings.equals(rater.findings):
        missing = [f for f in rater.findings if f not in ref.findings]
        if missing:
            raise KeyError(f"the reference has no finding(s) {missing}; it has "
                           f"{list(ref.findings)}")
        ref = ref.select(findings=list(rater.findings))
    if ref.n_readers not in (1, rater.n_readers):
        raise ValueError(f"the reference must have one reader (shared) or one per rater "
                         f"({rater.n_readers}), got {ref.n_readers}")
    return ref


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
    hedge : {"negative", "positive", "abstain"}
        What a HEDGE label counts as on either side (default NO; "abstain" = no label).
    positive : hashable, optional
        The positive category. Default: the ratings' own (``"YES"``), or the higher of two.

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
def leave_one_out_reference(ratings, *, hedge: Hedge = "negative", ties: Ties = "abstain",
                            seed=None) -> Ratings:
    """For every reader, the majority vote of the *other* readers of each unit.

    So a reader is never graded against a reference that holds their own read. Computed for
    all readers, units and findings at once: the vote counts of the panel minus the reader's
    own vote.

    Parameters
    ----------
    ratings : Ratings or array_like
        The readers (units x readers x findings).
    hedge : {"negative", "positive", "abstain"}
        What a HEDGE read counts as in the vote (default NO, as in
        :func:`~adjudicate.majority_vote`); "abstain" drops it.
    ties : {"abstain", "negative", "positive", "random"}
        When the other readers split evenly: no reference label (default; the unit is
        excluded and counted as such), NO, YES, or a seeded coin flip.
    seed : int or numpy Generator, optional
        For ``ties="random"``.

    Returns
    -------
    Ratings
        Categories ``("NO", "YES")``, readers as in ``ratings``: ``codes[u, r, f]`` is the
        reference label *for reader r*, MISSING where reader ``r`` did not read unit ``u``, no
        other reader did, or the others tie (with ``ties="abstain"``). ``notes`` records the
        policy and the number of ties.

    Examples
    --------
    Three readers; the reference of reader 0 is the majority of readers 1 and 2:

    >>> r = Ratings.from_array([["YES", "YES", "NO"], ["NO", "YES", "YES"]],
    ...                        readers=["a", "b", "c"])
    >>> loo = leave_one_out_reference(r)
    >>> loo.labels()[0].unstack().fillna("-").values.tolist()   # units x readers
    [['-', '-', 'YES'], ['YES', '-', '-']]
    >>> leave_one_out_reference(r, ties="positive").labels()[0].unstack().values.tolist()
    [['YES', 'YES', 'YES'], ['YES', 'YES', 'YES']]
    """
    r = as_ratings(ratings)
    if hedge not in _HEDGES:
        raise ValueError(f"hedge must be one of {_HEDGES}, got {hedge!r}")
    votes = apply_hedge(r, hedge, keep_category=False)
    x = votes.indicators()  # (U, R, F, K) one-hot reads
    others = x.sum(axis=1, keepdims=True, dtype=np.int32) - x  # the panel minus the reader
    label, tie = decide(others, ties=ties, seed=seed)
    read = r.codes != MISSING  # the units each reader read (a HEDGE read still counts here)
    codes = np.where(read & (label >= 0), label, MISSING).astype(np.int8)
    n_ties = int((tie & read).sum())
    note = (f"leave-one-out majority of the other readers (hedge={hedge}, ties={ties}): "
            f"{n_ties} (unit, reader, finding) ties"
            + (" left without a reference label" if ties == "abstain" else ""))
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


def _clusters_of(clusters, rater: Ratings, ref: Ratings):
    if isinstance(clusters, str):
        if clusters != "patients":
            raise ValueError(f"clusters must be 'patients', None or one id per unit, got "
                             f"{clusters!r}")
        return rater.clusters if rater.clusters is not None else ref.clusters
    return clusters


def _method_text(ci, method, clusters, n_resamples, given="patients") -> str:
    if ci is None:
        return "none"
    what = ("units" if clusters is None else
            "patients" if isinstance(given, str) and given == "patients" else "clusters")
    return f"{method} bootstrap, {n_resamples} resamples of {what}"


def _wilson(sums: np.ndarray, confidence_level: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson intervals (statsmodels) for the proportions; NaN for kappa and 0/0."""
    low = np.full(sums.shape[:-1] + (len(STATISTICS),), np.nan)
    high = low.copy()
    idx = {c: i for i, c in enumerate(CELLS)}
    for k, name in enumerate(STATISTICS):
        if name not in _PROPORTIONS:
            continue
        num_cells, den_cells = _PROPORTIONS[name]
        count = sums[..., [idx[c] for c in num_cells]].sum(-1)
        nobs = sums[..., [idx[c] for c in den_cells]].sum(-1)
        ok = nobs > 0
        lo, hi = proportion_confint(count[ok], nobs[ok], alpha=1 - confidence_level,
                                    method="wilson")
        low[..., k][ok], high[..., k][ok] = lo, hi
    return low, high


def _check_ci(ci):
    if ci not in ("bootstrap", None):
        raise ValueError(f"ci must be 'bootstrap' or None, got {ci!r}")


def accuracy_table(rater, reference, *, hedge: Hedge = "negative", ties: Ties = "abstain",
                   positive=None, ci: Literal["bootstrap"] | None = "bootstrap",
                   n_resamples: int = 9999, seed=None, clusters="patients",
                   method: Literal["bca", "percentile"] = "bca",
                   confidence_level: float = 0.95, reference_name: str | None = None,
                   progress: bool | None = None) -> pd.DataFrame:
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
    hedge : {"negative", "positive", "abstain"}
        What HEDGE counts as, for rater, reference and leave-one-out vote.
    ties : {"abstain", "negative", "positive", "random"}
        Tie policy of the leave-one-out vote.
    positive : hashable, optional
        The positive category (default: the ratings' own, ``"YES"``).
    ci : {"bootstrap", None}
        Bootstrap intervals (default) or none (Wilson intervals are always given).
    n_resamples : int, default 9999
    seed : int, optional
        Seed of the bootstrap weights (and of random tie-breaking). The same seed draws the
        same replicates in every function of the package given the same clusters.
    clusters : "patients", None or array_like
        What the bootstrap resamples: the rater's patient ids (default; units if it has none),
        units (None), or one cluster id per unit.
    method : {"bca", "percentile"}
        Bootstrap interval method.
    confidence_level : float, default 0.95
    reference_name : str, optional
        The ``reference`` column (default: the reference's reader name, or "leave-one-out").
    progress : bool, optional
        Bootstrap progress bar on stderr.

    Returns
    -------
    DataFrame
        Tidy: one row per (rater, finding, statistic), raters then findings in their order and
        statistics in the order of :data:`STATISTICS`. Columns ``finding``, ``rater``,
        ``reference``, ``statistic``, ``estimate``, ``ci_low``, ``ci_high``, ``wilson_low``,
        ``wilson_high`` (proportions only; NaN for kappa), ``n_units`` (units with both
        labels), ``n_excluded`` (units with a label on one side only, left out), ``tp``,
        ``fp``, ``fn``, ``tn``, ``n_undefined`` (bootstrap replicates where the statistic is
        undefined, left out of the interval), ``method``. ``attrs["bootstrap"]`` holds the
        :class:`~adjudicate.resample.BootstrapResult` (estimate and distribution of shape
        (findings, raters, statistics)).

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
    >>> t = accuracy_table(readers, ref, n_resamples=500, seed=0)
    >>> t.loc[t.statistic == "sensitivity", ["rater", "estimate", "n_units", "tp", "fn"]]
      rater  estimate  n_units  tp  fn
    0    r1      0.75        8   3   1
    7    r2      0.75        7   3   1
    >>> t.loc[t.statistic == "kappa", "estimate"].round(3).tolist()
    [0.5, 0.72]
    >>> int(t.loc[t.rater == "r2", "n_excluded"].iloc[0])    # r2 did not read one unit
    1
    """
    _check_ci(ci)
    rater, ref, name = _resolve(rater, reference, hedge=hedge, ties=ties, seed=seed)
    cells, excluded = _cells(rater, ref, hedge, positive)
    sums = cells.sum(axis=0, dtype=np.int64)  # (F, R, 4)
    findings, raters = rater.findings, rater.readers
    estimate = accuracy_statistics(sums, warn=False)
    _warn_undefined(estimate, lambda i: f"{raters[i[1]]}/{findings[i[0]]}")
    cl = _clusters_of(clusters, rater, ref)
    boot = None
    low = high = np.full(estimate.shape, np.nan)
    n_undefined = np.zeros(estimate.shape, dtype=np.int64)
    if ci == "bootstrap":
        boot = bootstrap_sums(cells, _finalize, clusters=cl, n_resamples=n_resamples, seed=seed,
                              method=method, confidence_level=confidence_level,
                              progress=progress)
        low, high = (np.asarray(x) for x in boot.confidence_interval())
        n_undefined = np.asarray(boot.n_undefined)
    w_low, w_high = _wilson(sums, confidence_level)
    table = _tidy(findings, raters, reference_name or name, estimate, low, high, w_low, w_high,
                  sums, excluded, n_undefined,
                  _method_text(ci, method, cl, n_resamples, clusters))
    table.attrs["bootstrap"] = boot
    return table


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
        "n_units": rep(cells.sum(-1)),
        "n_excluded": rep(order(excluded[..., None])[:, 0]),
        **{c: rep(cells[:, i]) for i, c in enumerate(CELLS)},
        "n_undefined": order(n_undefined).ravel(),
        "method": method,
    })
    return frame


# --------------------------------------------------------------------------- paired
def bootstrap_p_value(distribution: np.ndarray, null: float = 0.0) -> np.ndarray:
    """Two-sided bootstrap p-value of "no difference" from a bootstrap distribution.

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
                               ties: Ties = "abstain", positive=None, n_resamples: int = 9999,
                               seed=None, clusters="patients",
                               method: Literal["bca", "percentile"] = "bca",
                               confidence_level: float = 0.95, p_adjust: str = "holm",
                               reference_name: str | None = None,
                               progress: bool | None = None) -> pd.DataFrame:
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
    hedge, ties, positive, n_resamples, seed, clusters, method, confidence_level, progress
        As in :func:`accuracy_table`.
    p_adjust : str, default "holm"
        Multiplicity adjustment across findings, any ``method`` of
        :func:`statsmodels.stats.multitest.multipletests` ("holm", "bonferroni", "fdr_bh",
        ...). One family per (rater, statistic): its findings with a defined p-value.
    reference_name : str, optional

    Returns
    -------
    DataFrame
        One row per (rater, finding, statistic): ``finding``, ``rater``, ``other``,
        ``reference``, ``statistic``, ``estimate`` (rater minus other), ``ci_low``,
        ``ci_high``, ``p_value`` (:func:`bootstrap_p_value`), ``p_adjusted``, ``reject`` (at
        ``1 - confidence_level``, after adjustment), ``estimate_rater``, ``estimate_other``
        (each on the common units), ``n_units`` (common units), ``n_undefined`` (replicates
        where the difference is undefined, left out), ``method``, ``p_adjust``.

    Examples
    --------
    >>> ref = ["YES", "YES", "NO", "NO", "YES", "NO", "NO", "YES"] * 3
    >>> a = Ratings.from_array(np.array(["YES", "YES", "NO", "YES", "YES", "NO", "NO", "YES"] * 3)
    ...                        [:, None])
    >>> b = Ratings.from_array(np.array(["YES", "NO", "NO", "NO", "NO", "NO", "NO", "YES"] * 3)
    ...                        [:, None])
    >>> d = paired_accuracy_difference(a, b, ref, n_resamples=999, seed=1, method="percentile")
    >>> d.loc[d.statistic.isin(["sensitivity", "specificity"]), ["statistic", "estimate"]]
         statistic  estimate
    0  sensitivity      0.50
    1  specificity     -0.25
    >>> bool(d.p_value.iloc[0] < 0.05)
    True
    """
    _check_ci("bootstrap")
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
    cl = _clusters_of(clusters, rater, ref)
    boot = paired_difference(cells_a, _finalize, cells_b, _finalize, clusters=cl,
                             n_resamples=n_resamples, seed=seed, method=method,
                             confidence_level=confidence_level, progress=progress)
    low, high = (np.asarray(x) for x in boot.confidence_interval())
    p = bootstrap_p_value(boot.distribution)  # (F, R, 7)
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
        "method": _method_text("bootstrap", method, cl, n_resamples, clusters),
        "p_adjust": p_adjust,
    })
    frame.attrs["bootstrap"] = boot
    return frame


def _adjust(p: np.ndarray, how: str, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """multipletests across findings (axis 0) for every (rater, statistic) family."""
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

