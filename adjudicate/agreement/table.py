"""Many agreement statistics for all findings at once, as one tidy table; the HEDGE views."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import replace
from typing import Literal

import numpy as np
import pandas as pd

from .._lazy import ndtri
from ..ratings import MISSING, Ratings, as_ratings
from ..resample import _check_level, _fresh_seed, resolve_clusters
from ..results import TableResult
from ..vote import apply_hedge
from .bootstrap import bootstrap_statistics
from .coefficients import coverage, undefined_reason
from .design import Design
from .registry import STATISTICS, sum_statistic
from .results import UndefinedAgreementWarning

__all__ = ["DEFAULT_STATISTICS", "HEDGE_VIEWS", "agreement_table", "hedge_view"]

HedgeView = Literal["category", "negative", "positive", "missing"]
HEDGE_VIEWS: tuple[str, ...] = ("category", "negative", "positive", "missing")

DEFAULT_STATISTICS: tuple[str, ...] = (
    "percent_agreement", "positive_agreement", "negative_agreement", "fleiss_kappa",
    "conger_kappa", "light_kappa", "brennan_prediger", "gwet_ac1", "krippendorff_alpha",
)
"""Statistics of :func:`agreement_table` by default."""

ORDINAL_STATISTICS: tuple[str, ...] = (
    "krippendorff_alpha_ordinal", "light_kappa_linear", "gwet_ac2_linear",
)
"""Added by default when a finding has three or more ordered categories (HEDGE as one)."""

_HEDGE = "HEDGE"


def hedge_view(ratings: Ratings, hedge: HedgeView = "category") -> tuple[Ratings, str]:
    """The ratings seen through one HEDGE policy, and a sentence saying what was done.

    Parameters
    ----------
    ratings : Ratings
    hedge : {"category", "negative", "positive", "missing"}
        ``"category"``: HEDGE stays its own category, ordered ``NO < HEDGE < YES``; nominal
        statistics treat it as a third category, ordinal ones (ordinal alpha, weighted kappa)
        as the middle of the scale. ``"negative"``: every HEDGE read counts as NO.
        ``"positive"``: every HEDGE read counts as YES. ``"missing"``: HEDGE reads are
        dropped, as if the reader had not read the unit (units left with fewer than two reads
        then carry no agreement).

    Returns
    -------
    (Ratings, str)
        Unchanged ratings and a note when HEDGE is not a category.

    Examples
    --------
    >>> from adjudicate import Ratings
    >>> r = Ratings.from_array([["YES", "HEDGE"], ["NO", "HEDGE"]])
    >>> r.categories
    ('HEDGE', 'NO', 'YES')
    >>> hedge_view(r, "category")[0].categories
    ('NO', 'HEDGE', 'YES')
    >>> view, note = hedge_view(r, "negative")
    >>> view.categories, note
    (('NO', 'YES'), 'HEDGE read as NO')
    """
    if hedge not in HEDGE_VIEWS:
        raise ValueError(f"hedge must be one of {HEDGE_VIEWS}, got {hedge!r}")
    cats = ratings.categories
    if _HEDGE not in cats:
        return ratings, f"hedge={hedge!r} ignored: HEDGE is not a category"
    if hedge == "category":
        return _hedge_in_middle(ratings), "HEDGE kept as a category between NO and YES"
    # the same recoding a vote applies (vote.apply_hedge, the one home of HEDGE recoding)
    note = {"missing": "HEDGE read as missing (not read)", "negative": "HEDGE read as NO",
            "positive": "HEDGE read as YES"}[hedge]
    return apply_hedge(ratings, hedge, keep_category=False), note


def _hedge_in_middle(ratings: Ratings) -> Ratings:
    """Reorder the vocabulary so that HEDGE sits between NO and YES."""
    cats = list(ratings.categories)
    if not {"NO", "YES"} <= set(cats):
        return ratings
    rest = [c for c in cats if c not in ("NO", _HEDGE, "YES")]
    order = ["NO", _HEDGE, "YES"] + rest
    if order == cats:
        return ratings
    perm = [cats.index(c) for c in order]                  # new position -> old position
    lut = np.empty(len(cats) + 1, np.int8)
    lut[perm] = np.arange(len(cats))
    lut[-1] = MISSING
    return replace(ratings, codes=lut[ratings.codes], categories=tuple(order),
                   allowed=ratings.allowed[:, perm])


def agreement_table(ratings, *, statistics: Sequence[str] | None = None,
                    hedge: HedgeView = "category", readers=None, findings=None,
                    confidence_level: float = 0.95, ci: Literal["bootstrap"] | None = None,
                    n_resamples: int = 9999, seed=None, method: str = "bca",
                    clusters=None) -> TableResult:
    """Agreement statistics for every finding: one row per finding and statistic.

    Each statistic is computed for all findings at once from per-unit sums
    (:mod:`adjudicate.agreement.statistic`); the bootstrap, if asked for, reuses the same sums.

    Parameters
    ----------
    ratings : Ratings or array_like
        Units x readers x findings ratings (e.g. from :func:`adjudicate.read_readers`).
    statistics : sequence of str, optional
        Names from :data:`adjudicate.agreement.STATISTICS`. Default:
        :data:`DEFAULT_STATISTICS`, plus :data:`ORDINAL_STATISTICS` when some finding has three
        or more categories in the chosen HEDGE view.
    hedge : {"category", "negative", "positive", "missing"}, default "category"
        How HEDGE reads enter (see :func:`hedge_view`): as the middle category of
        ``NO < HEDGE < YES``, recoded to NO, recoded to YES, or dropped as missing. Ignored,
        with a note, when HEDGE is not a category. The view used is the ``hedge`` column.
    readers, findings : list, optional
        Subsets of readers and findings (labels).
    confidence_level : float, default 0.95
        Confidence level of ``ci_low``/``ci_high``.
    ci : {None, "bootstrap"}
        ``None``: Wald intervals from the analytic standard errors (Gwet's for Fleiss, AC1,
        Brennan-Prediger, Conger and Krippendorff; NaN for statistics without one).
        ``"bootstrap"``: bootstrap intervals (and bootstrap standard errors) for every
        statistic.
    n_resamples : int, default 9999
        Bootstrap replicates.
    seed : int, optional
        One seed gives all statistics the same resamples; without one a seed is drawn, used
        and recorded (``settings["seed"]`` and the ``seed`` column).
    method : {"bca", "percentile"}, default "bca"
        Bootstrap interval method.
    clusters : None, "unit", str or array_like
        What is resampled and what the cluster-robust standard errors group
        (:func:`adjudicate.resample.resolve_clusters`): ``None`` (default) the clusters the
        ratings carry (patients for the NIH data; units, with an
        :class:`~adjudicate.resample.IndependentUnitsWarning`, when none are known),
        ``"unit"`` independent units, a column of ``ratings.meta``, or one id per unit (e.g.
        ``ratings.clusters``).

    Returns
    -------
    TableResult
        ``.table`` has columns ``finding, statistic, estimate, standard_error, ci_low,
        ci_high, n_units, n_raters, method, hedge, seed``: ``n_units`` counts units read at
        least twice, ``n_raters`` readers with a read of the finding; ``method`` says how the
        interval was made and over what (``"wald (cluster-robust, patients)"``, ``"wald
        (units)"``, ``"bootstrap bca (patients)"``). ``.settings`` holds ``hedge``,
        ``hedge_note``, ``confidence_level``, ``clusters``, ``ci``, ``n_resamples``,
        ``method``, ``seed`` and ``labels`` (statistic name -> name in the literature);
        ``.notes`` what the reader of the table should know; ``.bootstrap`` the
        :class:`~adjudicate.BootstrapResult` (distribution shaped (findings, statistics)).
        :meth:`~adjudicate.TableResult.wide` gives the ``estimate [low, high]`` view.

    References
    ----------
    .. [1] K. L. Gwet, *Handbook of Inter-Rater Reliability*, 4th ed., 2014.
    .. [2] K. Krippendorff, "Computing Krippendorff's Alpha-Reliability", 2011.

    Examples
    --------
    >>> import numpy as np
    >>> from adjudicate import Ratings, agreement_table
    >>> rng = np.random.default_rng(0)
    >>> truth = rng.random((60, 1, 2)) < 0.3
    >>> reads = np.where(rng.random((60, 3, 2)) < 0.85, truth, ~truth)
    >>> r = Ratings.from_array(np.where(reads, "YES", "NO"), findings=["Mass", "Nodule"])
    >>> res = agreement_table(r, statistics=["fleiss_kappa", "krippendorff_alpha"],
    ...                       clusters="unit")
    >>> res.table[["finding", "statistic", "n_units", "n_raters", "method"]]
      finding           statistic  n_units  n_raters        method
    0    Mass        fleiss_kappa       60         3  wald (units)
    1    Mass  krippendorff_alpha       60         3  wald (units)
    2  Nodule        fleiss_kappa       60         3  wald (units)
    3  Nodule  krippendorff_alpha       60         3  wald (units)
    >>> res.notes
    ("hedge='category' ignored: HEDGE is not a category",)
    >>> boot = agreement_table(r, statistics=["fleiss_kappa"], clusters="unit",
    ...                        ci="bootstrap", n_resamples=200, seed=3)
    >>> boot.settings["seed"], boot.table["method"].iloc[0]
    (3, 'bootstrap bca (units)')
    """
    if not isinstance(ratings, Ratings):
        ratings = as_ratings(ratings)
    if ci not in (None, "analytic", "bootstrap"):
        raise ValueError(f"ci must be None or 'bootstrap', got {ci!r}")
    confidence_level = _check_level(confidence_level)
    if readers is not None or findings is not None:
        ratings = ratings.select(readers=readers, findings=findings)
    design = resolve_clusters(clusters, ratings, stacklevel=2)
    view, hedge_note = hedge_view(ratings, hedge)
    notes = [hedge_note] if "ignored" in hedge_note else []
    if not design.clustered and clusters is None:
        notes.append("no clusters known: units treated as independent")
    if statistics is None:
        statistics = list(DEFAULT_STATISTICS)
        if (Design.of(view).effective.sum(1) >= 3).any():
            statistics += list(ORDINAL_STATISTICS)
    statistics = list(statistics)
    unknown = [s for s in statistics if s not in STATISTICS]
    if unknown:
        raise ValueError(f"unknown statistics {unknown}; choose from {', '.join(STATISTICS)}")

    cluster_ids = design.codes if design.clustered else None
    codes = view.codes
    pairable, n_raters = coverage(codes, view.n_categories)
    z = float(ndtri((1 + confidence_level) / 2))
    stats = [sum_statistic(name, view) for name in statistics]
    labels = {name: stat.label for name, stat in zip(statistics, stats)}
    estimates, ses, lows, highs, hows = [], [], [], [], []
    wald = ("wald (cluster-robust, " if design.clustered else "wald (") + design.label + ")"
    for stat in stats:  # a handful of statistics, each over all findings at once
        total = stat.sums(codes)
        comp = stat.components(total)
        estimate = np.asarray(comp["coefficient"], np.float64)
        estimates.append(estimate)
        bad = np.flatnonzero(np.isnan(estimate))
        if len(bad):
            why = "; ".join(f"{view.findings[f]}: {undefined_reason(comp, f, view.categories)}"
                            for f in bad)
            warnings.warn(f"{stat.label} is undefined (NaN) for {len(bad)} finding(s): {why}",
                          UndefinedAgreementWarning, stacklevel=2)
        if ci != "bootstrap":
            with np.errstate(invalid="ignore", divide="ignore"):
                var = stat.variance(codes, total, cluster_ids)
                se = np.where(np.isfinite(estimate) & (var >= 0), np.sqrt(np.abs(var)), np.nan)
            ses.append(se)
            lows.append(estimate - z * se)
            highs.append(np.minimum(estimate + z * se, 1.0))
            hows.append(np.where(np.isfinite(se), wald, "none").astype(object))
    boot = None
    if ci == "bootstrap" and stats:
        # every statistic on the same replicates: one W @ S for all of them
        seed = _fresh_seed(seed)
        boot = bootstrap_statistics(stats, codes, clusters=design,
                                    n_resamples=n_resamples, seed=seed, method=method,
                                    confidence_level=confidence_level)
        low, high = boot.confidence_interval(confidence_level)  # (findings, statistics)
        se = np.asarray(boot.standard_error, np.float64)
        how = f"bootstrap {boot.method} ({design.label})"
        ses, lows, highs = list(se.T), list(np.asarray(low).T), list(np.asarray(high).T)
        hows = [np.full(view.n_findings, how, dtype=object)] * len(stats)
    recorded = seed if ci == "bootstrap" and not isinstance(seed, np.random.Generator) else None
    frames = [pd.DataFrame({
        "finding": view.findings, "statistic": name, "estimate": est,
        "standard_error": se, "ci_low": lo, "ci_high": hi,
        "n_units": pairable.astype(np.int64), "n_raters": n_raters.astype(np.int64),
        "method": how, "hedge": hedge, "seed": recorded,
    }) for name, est, se, lo, hi, how in zip(statistics, estimates, ses, lows, highs, hows)]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=list(TABLE_COLUMNS))
    order = {s: i for i, s in enumerate(statistics)}
    f_order = {f: i for i, f in enumerate(view.findings)}
    table = table.sort_values(["finding", "statistic"], key=lambda col: col.map(
        f_order if col.name == "finding" else order), kind="stable").reset_index(drop=True)
    settings = {"hedge": hedge, "hedge_note": hedge_note, "confidence_level": confidence_level,
                "clusters": design.label, "ci": ci or "wald", "method": method if boot else "wald",
                "n_resamples": n_resamples if boot else None, "seed": recorded,
                "labels": labels}
    return TableResult(table, settings=settings, notes=tuple(notes), bootstrap=boot)


TABLE_COLUMNS = ("finding", "statistic", "estimate", "standard_error", "ci_low", "ci_high",
                 "n_units", "n_raters", "method", "hedge", "seed")
"""Columns of :func:`agreement_table`'s ``.table``."""
