"""The public agreement coefficients for one item (finding): a units x raters array in, a result out.

Each function accepts a plain ``units x raters`` array-like (rows = units, columns = raters,
``None``/NaN = missing; labels may be strings or numbers), a DataFrame, or a one-finding
:class:`~adjudicate.Ratings`, with ``categories=`` declaring the full ordered category set.
Each computes its coefficient from the sums of :mod:`adjudicate.agreement.statistic` and returns an
:class:`AgreementResult`; ``ci="bootstrap"`` adds a (cluster) bootstrap of the same sums.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import replace
from functools import partial
from typing import Literal

import numpy as np
import pandas as pd

from .._lazy import ndtr
from ..ratings import MISSING, Ratings, as_ratings, check_labels
from ..resample import bootstrap_sums, resolve_clusters
from . import terms
from .cohen import cohen_statistic, joint_counts
from .design import Design
from .patterns import count_patterns
from .percent import specific_agreement_statistic
from .registry import sum_statistic
from .results import AgreementResult, UndefinedAgreementWarning, _Deferred
from .statistic import SumStatistic

__all__ = [
    "brennan_prediger", "cohen_kappa", "conger_kappa", "fleiss_kappa", "gwet_ac1",
    "krippendorff_alpha", "light_kappa", "pairwise_kappa", "percent_agreement",
    "specific_agreement",
]

Weights = Literal["linear", "quadratic"] | None
Level = Literal["nominal", "ordinal", "interval"]


# ============================================================================ input
def item_ratings(data, categories: Sequence | None = None) -> Ratings:
    """Wrap one item's ``units x raters`` data as a one-finding :class:`Ratings`.

    The same result as :func:`~adjudicate.as_ratings`, with a fast path for numeric arrays
    (NaN = missing) so that a million units convert in milliseconds.
    """
    if isinstance(data, Ratings):
        ratings = as_ratings(data, categories=categories)
        if ratings.n_findings != 1:
            raise ValueError(f"these ratings hold {ratings.n_findings} findings; pass one "
                             "(ratings.select(findings=...)) or use agreement_table()")
        return ratings
    if isinstance(data, pd.DataFrame):   # keep the frame's unit and rater labels
        frame = data
        if all(pd.api.types.is_numeric_dtype(t) for t in frame.dtypes):
            ratings = item_ratings(frame.to_numpy(dtype=np.float64, na_value=np.nan), categories)
        else:
            ratings = as_ratings(frame, categories=categories)
        return replace(ratings, units=frame.index, readers=frame.columns)
    if isinstance(data, np.ndarray):
        arr = data
    else:
        try:
            arr = np.asarray(data)
        except ValueError:  # ragged rows: Ratings.from_array says so
            return as_ratings(data, categories=categories)
    if arr.size == 0:
        shape = arr.shape if arr.ndim == 2 else (0, 0)
        return Ratings.from_array(np.empty(shape, dtype=object), categories=categories)
    if arr.ndim != 2:
        raise ValueError(f"expected a 2-D units x raters array, got {arr.ndim}-D; for several "
                         "findings use agreement_table() on a Ratings")
    if arr.dtype.kind in "biuf":
        fast = _numeric_ratings(arr, categories)
        if fast is not None:
            return fast
    return as_ratings(arr, categories=categories)


def _numeric_ratings(arr: np.ndarray, categories) -> Ratings | None:
    x = np.asarray(arr, dtype=np.float64)
    missing = np.isnan(x)
    lo, hi = np.fmin.reduce(x, axis=None), np.fmax.reduce(x, axis=None)  # NaN: all missing
    if np.isinf(lo) or np.isinf(hi):  # the same refusal as Ratings.from_array
        check_labels(x.ravel(), ~missing.ravel(), x.shape + (1,))
    if categories is None:
        cat_values = None
        cats = None
    else:
        try:
            cat_values = np.array([float(c) for c in categories], np.float64)
        except (TypeError, ValueError):
            return None
        if any(isinstance(c, str) for c in categories) or np.isnan(cat_values).any():
            return None
        cats = tuple(c.item() if isinstance(c, np.generic) else c for c in categories)
        if len(set(cat_values.tolist())) != len(cat_values):
            raise ValueError(f"categories repeat: {cats}")
    codes = None
    if lo >= 0 and hi < 128 and (cat_values is None or (
            (cat_values >= 0) & (cat_values < 128) & (cat_values == np.floor(cat_values))).all()):
        codes, cat_values = _byte_label_codes(x, missing, int(lo), int(hi), cat_values)
    if codes is None:
        codes, cat_values = _label_codes(x, missing, cat_values)
    if cats is None:
        labels = cat_values.astype(arr.dtype) if arr.dtype.kind in "biu" else cat_values
        cats = tuple(v.item() for v in labels)
    if codes is None:   # a value that is not a category: the first one in row order
        values = x[~missing]
        bad = np.isin(values, cat_values, invert=True)
        raise ValueError(f"value {values[bad][0]!r} is not one of the categories {cats}")
    u, r = x.shape
    units = _range_index(u)
    return Ratings(codes=codes[:, :, None], categories=cats, units=units,
                   readers=_range_index(r), findings=_range_index(1), meta=_no_meta(units))


_RANGES: dict[int, pd.RangeIndex] = {}


def _range_index(n: int) -> pd.RangeIndex:
    """``pd.RangeIndex(n)``, kept (an Index is immutable): building one costs ~10 us."""
    index = _RANGES.get(n)
    if index is None:
        if len(_RANGES) > 64:
            _RANGES.clear()
        index = _RANGES[n] = pd.RangeIndex(n)
    return index


def _byte_label_codes(x: np.ndarray, missing: np.ndarray, lo: int, hi: int, cat_values):
    """Codes of labels that are whole numbers 0..127 (``lo``, ``hi``: the smallest and largest
    present), in a few passes over bytes: ``(codes, category values)``, ``(None, ...)`` when a
    label is not a whole number (the general path decides) or not a declared category."""
    with np.errstate(invalid="ignore"):
        codes = x.astype(np.int8)                   # NaN casts to some byte, overwritten below
    if not (np.equal(codes, x) | missing).all():    # a fractional label
        return None, cat_values
    np.bitwise_or(codes, np.negative(missing.view(np.int8)), out=codes)   # missing: -1
    # which labels occur: lo and hi do; between them, one byte comparison per value
    between = range(lo + 1, hi)
    if len(between) <= 16:
        used = [lo, *(v for v in between if (codes == v).any()), hi] if hi > lo else [lo]
        used = np.array(used, np.int64)
    else:
        used = np.flatnonzero(np.bincount(codes.ravel().view(np.uint8), minlength=256)[:128])
    if cat_values is None:
        cat_values = used.astype(np.float64)
    lut = np.full(256, MISSING, np.int8)            # byte -> code; 255 (missing) stays -1
    lut[cat_values.astype(np.int64)] = np.arange(len(cat_values))
    if (lut[used] == MISSING).any():
        return None, cat_values
    if not np.array_equal(lut[used], used):         # labels are not already their codes
        codes = lut[codes.view(np.uint8)]
    return codes, cat_values


def _label_codes(x: np.ndarray, missing: np.ndarray, cat_values):
    """Codes of any numeric labels (the general path): ``(codes or None, category values)``."""
    present = ~missing
    values = x[present]
    codes = np.full(x.shape, MISSING, dtype=np.int8)
    small = (values.size > 0 and values.min() >= 0 and values.max() < 1 << 16
             and (cat_values is None or ((cat_values >= 0) & (cat_values < 1 << 16)
                                         & (cat_values == np.floor(cat_values))).all()))
    ints = values.astype(np.int64) if small else None
    if small and (ints == values).all():
        # integer labels: which occur (bincount), and a lookup table from label to code
        used = np.flatnonzero(np.bincount(ints))
        if cat_values is None:
            cat_values = used.astype(np.float64)
        lut = np.full(max(int(used[-1]), int(cat_values.max(initial=0))) + 1, MISSING, np.int8)
        lut[cat_values.astype(np.int64)] = np.arange(len(cat_values))
        mapped = lut[ints]
        bad = mapped == MISSING
    else:
        if cat_values is None:
            cat_values = np.unique(values)
        order = np.argsort(cat_values, kind="stable")
        ranked = cat_values[order]
        pos = np.clip(np.searchsorted(ranked, values), 0, max(len(ranked) - 1, 0))
        bad = (ranked[pos] != values) if len(ranked) else np.ones(len(values), bool)
        mapped = order[pos] if len(ranked) else pos
    if bad.any():
        return None, cat_values
    codes[present] = mapped
    return codes, cat_values


_NO_META: list = []


def _no_meta(units: pd.RangeIndex) -> pd.DataFrame:
    """An empty per-unit metadata frame on ``units``: a copy of a kept one (a third of the
    time of building it, which dominates converting a small array)."""
    if not _NO_META or not _NO_META[0].index.equals(units):
        _NO_META[:] = [pd.DataFrame(index=units)]
    return _NO_META[0].copy(deep=False)


# ============================================================================ machinery
def coverage(codes: np.ndarray, n_categories: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Units read by two or more raters and raters with a read, per finding."""
    found = None if n_categories is None else count_patterns(codes, n_categories)
    if found is not None:
        pairable = found.freq @ (found.counts.sum(1) >= 2)
    else:
        pairable = ((codes != MISSING).sum(1) >= 2).sum(0)
    return pairable.astype(np.int64), _readers_with_reads(codes).sum(0)


def _readers_with_reads(codes: np.ndarray) -> np.ndarray:
    """``(codes != MISSING).any(0)``: whether each (reader, finding) has a read. The first
    units usually settle it, and a reduction along the units axis of a few narrow columns is
    slow (18 us for 810 units, 15 ms per million), so more units are read only if needed."""
    seen = (codes[:16] != MISSING).any(0)
    for start, stop in ((16, 1024), (1024, None)):   # the first 16, 1024, then all units
        if seen.all() or len(codes) <= start:
            break
        seen |= (codes[start:stop] != MISSING).any(0)
    return seen


def undefined_reason(components: dict, f: int, categories: tuple) -> str:
    """Why a coefficient is NaN for finding ``f``, in words."""
    def get(key):
        v = components.get(key)
        return None if v is None else np.asarray(v)[..., f] if np.ndim(v) else v
    if "n_category" in components and components.get("category") is None:
        return ("which category is positive is not known (no 'YES', not two categories, "
                "none declared): pass category= or the full categories=")
    n_pairable = get("n_pairable")
    if n_pairable is not None and n_pairable == 0:
        return "no unit has two or more reads"
    if get("n_values") is not None and get("n_values") == 0:
        return "no unit has two or more reads (no pairable values)"
    if get("n_raters") is not None and get("n_raters") < 2:
        return "fewer than two raters have reads"
    if get("q") is not None and get("q") < 2:
        return "fewer than two categories are declared, so chance agreement is undefined"
    chance = get("chance")
    if chance is not None and np.isfinite(chance) and 1 - chance <= 1e-14:
        return ("every read falls in one category, so chance agreement is 1 and the "
                "coefficient is 0/0")
    expected = get("expected_disagreement")
    if expected is not None and not expected > 0:
        return "every pairable value falls in one category (no expected disagreement)"
    if "n_category" in components:
        category = components.get("category")
        label = categories[category] if category is not None else None
        if category is None:
            return "there is no such category (fewer than two categories)"
        return f"no pair of reads involves category {label!r}"
    if "n_pairs" in components:
        return "no pair of raters has a defined kappa"
    return "the coefficient is undefined for these data"


def _warn_undefined(label: str, reason: str, stacklevel: int = 4) -> None:
    warnings.warn(f"{label} is undefined (NaN): {reason}", UndefinedAgreementWarning,
                  stacklevel=stacklevel)


def _single(finalize):
    """``finalize`` of a one-finding statistic as a map from ``(..., m)`` to ``(...)``."""
    def call(total):
        return finalize(total[..., None, :])[..., 0]
    return call


def _bootstrap(stat, codes, *, clusters, n_resamples, seed, method, confidence_level):
    return bootstrap_sums(stat.unit_stats(codes)[:, 0, :], _single(stat.finalize),
                          clusters=clusters, n_resamples=n_resamples, seed=seed,
                          method=method, confidence_level=confidence_level)


def _check_ci(ci) -> None:
    if ci not in (None, "analytic", "bootstrap"):
        raise ValueError(f"ci must be None, 'analytic' or 'bootstrap', got {ci!r}")


def compute(stat: SumStatistic, ratings: Ratings, *, ci=None, n_resamples=9999,
            seed=None, method="bca", clusters=None, confidence_level=0.95,
            n_units=None, n_raters=None, stacklevel: int = 3,
            carries_clusters: bool = False) -> AgreementResult:
    """Point estimate, standard errors and (optionally) bootstrap of one statistic, one item.

    ``clusters`` as everywhere (:func:`adjudicate.resample.resolve_clusters`): None = the
    ratings' own (independent units, with a warning, when they carry none).
    """
    _check_ci(ci)
    codes = ratings.codes
    # a plain units x raters array cannot carry clusters: its Wald interval is the textbook
    # one and says so (``clusters="units"``); a warning when units are resampled, or when a
    # Ratings (which could carry patients) carries none
    warn = ci == "bootstrap" or carries_clusters
    design = resolve_clusters(clusters, ratings, warn=warn, stacklevel=stacklevel)
    clusters = design.codes if design.clustered else None
    total = stat.sums(codes)
    comp = stat.components(total)
    estimate = float(comp["coefficient"][0])
    pairable, raters = coverage(codes, ratings.n_categories)
    se = se0 = math.nan
    if math.isfinite(estimate):
        se = _Deferred(partial(_standard_error, stat, codes, total, clusters))  # on first use
        if stat.null_se is not None:
            se0 = float(stat.null_se(total)[0])
    else:
        _warn_undefined(stat.label, undefined_reason(comp, 0, ratings.categories))
    pvalue = 2 * float(ndtr(-abs(estimate) / se0)) if se0 > 0 else math.nan
    boot = None
    if ci == "bootstrap":
        boot = _bootstrap(stat, codes, clusters=design, n_resamples=n_resamples, seed=seed,
                          method=method, confidence_level=confidence_level)
    details = {k: (v[0] if np.ndim(v) else v) for k, v in comp.items()
               if k not in ("coefficient", "observed", "chance")}
    return AgreementResult(
        statistic=estimate, standard_error=se, name=stat.label, clusters=design.label,
        n_units=int(pairable[0] if n_units is None else n_units),
        n_raters=int(raters[0] if n_raters is None else n_raters), bootstrap=boot,
        standard_error_null=se0, pvalue=pvalue,
        observed_agreement=float(comp.get("observed", [math.nan])[0]),
        chance_agreement=float(np.ravel(comp.get("chance", math.nan))[0]),
        confidence_level=confidence_level, details=details)


def _standard_error(stat: SumStatistic, codes, total, clusters) -> float:
    with np.errstate(invalid="ignore", divide="ignore"):
        var = stat.variance(codes, total, clusters)[0]
    return math.sqrt(var) if var >= 0 else math.nan


def _statistic(name: str, data, categories, **options) -> AgreementResult:
    ratings = item_ratings(data, categories)
    return compute(sum_statistic(name, ratings), ratings, stacklevel=4,
                   carries_clusters=isinstance(data, Ratings), **options)


def _weights_name(base: str, weights) -> str:
    if weights not in (None, "identity", "linear", "quadratic"):
        raise ValueError(f"weights must be None, 'linear' or 'quadratic', got {weights!r}")
    return base if weights in (None, "identity") else f"{base}_{weights}"


_COMMON = """data : array_like (n_units, n_raters), DataFrame or one-finding Ratings
        Rows are units (images), columns raters; ``None``/NaN where a rater did not read a
        unit. Labels may be strings or numbers.
    categories : sequence, optional
        The full ordered category set, including categories nobody used. Default: the
        distinct labels, sorted (or the vocabulary of a ``Ratings``)."""

_BOOT = """ci : {None, "bootstrap"}, optional
        ``"bootstrap"``: also bootstrap the per-unit sums (:func:`adjudicate.bootstrap_sums`);
        the result's ``confidence_interval()`` is then the bootstrap interval.
    n_resamples : int, default 9999
    seed : int, optional
        Same seed, same resamples.
    method : {"bca", "percentile"}, default "bca"
        Bootstrap interval method.
    clusters : None, "unit", str or sequence, optional
        What is resampled (:func:`adjudicate.resample.resolve_clusters`): None (default) the
        clusters a ``Ratings`` carries (its patients), else independent units with an
        :class:`~adjudicate.resample.IndependentUnitsWarning`; ``"unit"``: independent units
        on purpose; a metadata column; or one id per unit (e.g. patient). Units of a cluster
        are resampled together and the analytic standard error is the cluster-robust
        (sandwich) version.
    confidence_level : float, default 0.95"""


def _doc(f):
    f.__doc__ = f.__doc__.replace("{COMMON}", _COMMON).replace("{BOOT}", _BOOT)
    return f


# ============================================================================ coefficients
@_doc
def percent_agreement(data, *, categories: Sequence | None = None, ci=None,
                      n_resamples: int = 9999, seed=None, method: str = "bca",
                      clusters: Sequence[Hashable] | None = None,
                      confidence_level: float = 0.95) -> AgreementResult:
    """Overall percent agreement: the share of pairs of reads of a unit that agree.

    ``p_a = mean_i sum_k n_ik (n_ik - 1) / (r_i (r_i - 1))`` over the units read at least
    twice (Fleiss' ``P-bar``, Gwet's ``p_a``); for two raters, the share of units on which
    they agree. Not corrected for chance.

    Parameters
    ----------
    {COMMON}
    {BOOT}

    Returns
    -------
    AgreementResult
        ``standard_error`` is the standard error of the mean of the per-unit agreements.

    References
    ----------
    .. [1] J. L. Fleiss, "Measuring nominal scale agreement among many raters",
       Psychological Bulletin 76(5), 378-382, 1971.

    Examples
    --------
    >>> from adjudicate import percent_agreement
    >>> res = percent_agreement([["YES", "YES", "NO"], ["NO", "NO", "NO"], ["YES", None, "YES"]])
    >>> round(res.statistic, 4)      # (1/3 + 1 + 1) / 3
    0.7778
    >>> res.n_units
    3
    """
    return _statistic("percent_agreement", data, categories, ci=ci, n_resamples=n_resamples,
                      seed=seed, method=method, clusters=clusters,
                      confidence_level=confidence_level)


@_doc
def specific_agreement(data, category=None, *, categories: Sequence | None = None, ci=None,
                       n_resamples: int = 9999, seed=None, method: str = "bca",
                       clusters: Sequence[Hashable] | None = None,
                       confidence_level: float = 0.95) -> AgreementResult:
    """Positive (or negative) specific agreement: agreement on one category.

    ``p_s(c) = sum_i n_ic (n_ic - 1) / sum_i n_ic (r_i - 1)``: of the reads in category ``c``
    that have a partner read of the same unit, the share whose partner agrees. For two
    raters and a binary finding this is ``2a / (2a + b + c)`` (positive) and
    ``2d / (2d + b + c)`` (negative); for more raters it pools all pairs of raters
    (Uebersax; de Vet et al. 2017).

    Parameters
    ----------
    {COMMON}
    category : label, optional
        The category whose specific agreement is wanted: the positive one by default
        (:func:`adjudicate.ratings.positive_category`: the ratings' own, ``"YES"``, or the
        last of two categories -- 1 for 0/1 codes). When the positive category is not known
        (e.g. only one category occurs and none is declared) the result is undefined (NaN,
        with a warning saying why), never agreement on another category. Pass the negative
        label (``"NO"``, 0) for negative specific agreement.
    {BOOT}

    Returns
    -------
    AgreementResult
        No analytic standard error (NaN); use ``ci="bootstrap"``.

    References
    ----------
    .. [1] J. S. Uebersax, "Statistical methods for rater agreement", section on specific
       agreement, 2010.
    .. [2] H. C. W. de Vet, R. B. Dikmans, I. Eekhout, "Specific agreement on dichotomous
       outcomes can be calculated for more than two raters", J Clin Epidemiol 83, 85-89, 2017.

    Examples
    --------
    >>> from adjudicate import specific_agreement
    >>> data = [[1, 1], [1, 0], [0, 0], [0, 0], [1, 1]]   # a=2, b+c=1, d=2
    >>> round(specific_agreement(data).statistic, 4)         # 2*2 / (2*2 + 1)
    0.8
    >>> round(specific_agreement(data, category=0).statistic, 4)
    0.8

    Only NO reads, no declared positive category: undefined, not 1.

    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     res = specific_agreement([[0, 0], [0, 0], [0, 0]], clusters="unit")
    >>> res.statistic
    nan
    >>> specific_agreement([[0, 0], [0, 0]], categories=[0, 1], clusters="unit").statistic
    nan
    """
    ratings = item_ratings(data, categories)
    design = Design.of(ratings)
    if category is None:
        index = design.positive
        label = "Positive specific agreement"
    else:
        if category not in ratings.categories:
            raise ValueError(f"category {category!r} is not one of {ratings.categories}")
        index = ratings.categories.index(category)
        label = f"Specific agreement on {category!r}"
    stat = specific_agreement_statistic(design, index, "specific_agreement", label)
    return compute(stat, ratings, ci=ci, n_resamples=n_resamples, seed=seed, method=method,
                   clusters=clusters, confidence_level=confidence_level, carries_clusters=isinstance(data, Ratings))


@_doc
def cohen_kappa(data, *, raters: Sequence | None = None, weights: Weights = None,
                categories: Sequence | None = None, ci=None, n_resamples: int = 9999,
                seed=None, method: str = "bca", clusters: Sequence[Hashable] | None = None,
                confidence_level: float = 0.95) -> AgreementResult:
    """Cohen's kappa of two raters, unweighted or with linear/quadratic weights.

    ``kappa = (p_o - p_e) / (1 - p_e)`` with ``p_o = sum w_kl p_kl`` and
    ``p_e = sum w_kl p_k. p_.l`` from the two raters' joint table over the units both read.

    Parameters
    ----------
    {COMMON}
    raters : pair of column positions or reader labels, optional
        Which two raters, when ``data`` has more than two columns.
    weights : {None, "linear", "quadratic"}
        Agreement weights for ordinal codes, from the ranks of the categories in their order:
        ``1 - |i - j| / (q - 1)`` or ``1 - (i - j)^2 / (q - 1)^2`` (as scikit-learn).
    {BOOT}

    Returns
    -------
    AgreementResult
        ``standard_error``: Fleiss, Cohen & Everitt (1969) large-sample SE (for intervals);
        ``standard_error_null`` and ``pvalue``: under H0: kappa = 0.

    References
    ----------
    .. [1] J. Cohen, "A coefficient of agreement for nominal scales", Educational and
       Psychological Measurement 20, 37-46, 1960; "Weighted kappa", Psychological Bulletin
       70, 213-220, 1968.
    .. [2] J. L. Fleiss, J. Cohen, B. S. Everitt, "Large sample standard errors of kappa and
       weighted kappa", Psychological Bulletin 72, 323-327, 1969.

    Examples
    --------
    >>> from adjudicate import cohen_kappa
    >>> a = ["YES", "YES", "NO", "NO", "NO", "YES", "NO", "NO"]
    >>> b = ["YES", "NO", "NO", "NO", "NO", "YES", "YES", "NO"]
    >>> res = cohen_kappa(list(zip(a, b)))
    >>> round(res.statistic, 4)           # p_o = 6/8, p_e = (3*3 + 5*5)/64
    0.4667
    >>> round(res.standard_error, 4), res.n_units
    (0.3227, 8)
    """
    _check_ci(ci)
    ratings = item_ratings(data, categories)
    if raters is None:
        if ratings.n_readers != 2:
            raise ValueError(f"Cohen's kappa is for two raters; data have {ratings.n_readers}: "
                             "pass raters=(a, b), or use light_kappa/fleiss_kappa")
        pair = (0, 1)
    else:
        pair = tuple(_rater_position(ratings, x) for x in raters)
        if len(pair) != 2 or pair[0] == pair[1]:
            raise ValueError(f"raters must name two different raters, got {raters!r}")
    weights_kind = None if weights in (None, "identity") else weights
    _weights_name("cohen_kappa", weights)
    stat = cohen_statistic(Design.of(ratings), pair, weights_kind)
    both = ((ratings.codes[:, pair[0], 0] != MISSING)
            & (ratings.codes[:, pair[1], 0] != MISSING)).sum()
    return compute(stat, ratings, ci=ci, n_resamples=n_resamples, seed=seed, method=method,
                   clusters=clusters, confidence_level=confidence_level, n_units=both,
                   n_raters=2, carries_clusters=isinstance(data, Ratings))


def _rater_position(ratings: Ratings, rater) -> int:
    if rater in ratings.readers:
        return int(ratings.readers.get_loc(rater))
    if isinstance(rater, (int, np.integer)) and 0 <= rater < ratings.n_readers:
        return int(rater)
    raise KeyError(f"unknown rater {rater!r}; raters are {list(ratings.readers)}")


def pairwise_kappa(data, *, weights: Weights = None, categories: Sequence | None = None,
                   tidy: bool | None = None) -> pd.DataFrame:
    """Cohen's kappa of every pair of raters.

    All pairs come from one ``einsum`` over units of the raters' one-hot reads (the joint
    table of every pair at once), then Cohen's formula on all tables together.

    Parameters
    ----------
    data : array_like (n_units, n_raters), DataFrame or Ratings
        One item, or a :class:`~adjudicate.Ratings` with any number of findings.
    weights : {None, "linear", "quadratic"}
    categories : sequence, optional
    tidy : bool, optional
        Force the tidy table (True) or the matrix (False, one finding only). Default: the
        matrix for one item, the tidy table for several findings.

    Returns
    -------
    DataFrame
        For one item (array input or a one-finding Ratings): the symmetric ``raters x
        raters`` matrix of kappas, NaN where a pair read no unit in common or its kappa is
        undefined; the diagonal is each rater against itself (1, or NaN if the rater used one
        category). For several findings: a tidy table with columns ``finding, rater_1,
        rater_2, kappa, standard_error, n_units`` (one row per pair ``rater_1 < rater_2``
        that read a unit in common).

    References
    ----------
    .. [1] J. Cohen, "Weighted kappa", Psychological Bulletin 70, 213-220, 1968.

    Examples
    --------
    >>> from adjudicate import pairwise_kappa
    >>> m = pairwise_kappa([[0, 0, 1], [1, 1, 1], [0, 0, 0], [1, 0, 1]])
    >>> m.round(3).values.tolist()
    [[1.0, 0.5, 0.5], [0.5, 1.0, 0.2], [0.5, 0.2, 1.0]]
    """
    weights_kind = None if weights in (None, "identity") else weights
    _weights_name("kappa", weights)
    if isinstance(data, Ratings) and data.n_findings > 1:
        ratings = as_ratings(data, categories=categories)
    else:
        ratings = item_ratings(data, categories)
    k = ratings.n_categories
    design = Design.of(ratings)
    w = terms.agreement_weights(weights_kind, design.effective)
    joint = joint_counts(ratings.codes, k)
    kappa, se, _, _, _ = terms.joint_table_kappa(joint, w[:, None, None])
    n_common = joint.sum((-1, -2))
    if tidy is None:
        tidy = ratings.n_findings > 1 or (isinstance(data, Ratings) and data.n_findings > 1)
    if not tidy:
        return pd.DataFrame(kappa[0], index=ratings.readers.copy(), columns=ratings.readers.copy())
    f_idx, g, h = np.nonzero(np.triu(np.ones(kappa.shape[1:], bool), 1)[None] & (n_common > 0))
    return pd.DataFrame({
        "finding": ratings.findings[f_idx], "rater_1": ratings.readers[g],
        "rater_2": ratings.readers[h], "kappa": kappa[f_idx, g, h],
        "standard_error": se[f_idx, g, h], "n_units": n_common[f_idx, g, h].astype(np.int64),
    })


@_doc
def light_kappa(data, *, weights: Weights = None, categories: Sequence | None = None, ci=None,
                n_resamples: int = 9999, seed=None, method: str = "bca",
                clusters: Sequence[Hashable] | None = None,
                confidence_level: float = 0.95) -> AgreementResult:
    """Light's kappa: the mean of Cohen's kappas over all pairs of raters.

    Each pair's kappa uses the units that pair read in common. Pairs that read no unit in
    common, or whose kappa is undefined (e.g. both used one category), are left out of the
    mean; ``details["n_pairs"]`` says how many pairs were averaged.

    Parameters
    ----------
    {COMMON}
    weights : {None, "linear", "quadratic"}
        Weights of each pairwise kappa (see :func:`cohen_kappa`).
    {BOOT}

    Returns
    -------
    AgreementResult
        No analytic standard error (NaN); use ``ci="bootstrap"``.

    References
    ----------
    .. [1] R. J. Light, "Measures of response agreement for qualitative data: some
       generalizations and alternatives", Psychological Bulletin 76, 365-377, 1971.

    Examples
    --------
    >>> from adjudicate import light_kappa
    >>> round(light_kappa([[0, 0, 1], [1, 1, 1], [0, 0, 0], [1, 0, 1]]).statistic, 4)  # (.5+.5+.2)/3
    0.4
    """
    name = _weights_name("light_kappa", weights)
    ratings = item_ratings(data, categories)
    stat = sum_statistic(name, ratings)
    res = compute(stat, ratings, ci=ci, n_resamples=n_resamples, seed=seed, method=method,
                  clusters=clusters, confidence_level=confidence_level, carries_clusters=isinstance(data, Ratings))
    return res


@_doc
def fleiss_kappa(data, *, weights: Weights = None, categories: Sequence | None = None,
                 ci=None, n_resamples: int = 9999, seed=None, method: str = "bca",
                 clusters: Sequence[Hashable] | None = None,
                 confidence_level: float = 0.95) -> AgreementResult:
    """Fleiss' kappa for any number of raters, with any number of reads per unit.

    ``kappa = (p_a - p_e) / (1 - p_e)`` with ``p_a`` the mean agreement of the units read
    at least twice and ``p_e = sum_kl w_kl pi_k pi_l``, where ``pi_k`` is the mean over units
    (read at least once) of the share of their reads in category ``k`` (Gwet 2014, ch. 5:
    Fleiss' kappa extended to a varying number of reads; identical to Fleiss 1971 when every
    unit has the same number).

    Parameters
    ----------
    {COMMON}
    weights : {None, "linear", "quadratic"}
        Weighted generalization for ordinal codes (Gwet 2014).
    {BOOT}

    Returns
    -------
    AgreementResult
        ``standard_error``: Gwet's (2014, eq. 5.12) large-sample SE, used for the confidence
        interval. ``standard_error_null`` and ``pvalue``: Fleiss, Nee & Landis (1979) SE under
        H0: kappa = 0 (each unit's variance under the null uses its own number of reads; NaN
        for weighted kappa), for tests only -- it is not a confidence-interval SE.

    References
    ----------
    .. [1] J. L. Fleiss, "Measuring nominal scale agreement among many raters",
       Psychological Bulletin 76(5), 378-382, 1971.
    .. [2] J. L. Fleiss, J. C. Nee, J. R. Landis, "Large sample variance of kappa in the case
       of different sets of raters", Psychological Bulletin 86, 974-977, 1979.
    .. [3] K. L. Gwet, *Handbook of Inter-Rater Reliability*, 4th ed., 2014, chapter 5.

    Examples
    --------
    >>> from adjudicate import fleiss_kappa
    >>> res = fleiss_kappa([[0, 0, 1], [1, 1, 1], [0, 0, 0], [1, 0, 1]])
    >>> round(res.statistic, 4), round(res.observed_agreement, 4), round(res.chance_agreement, 4)
    (0.3333, 0.6667, 0.5)
    >>> low, high = res.confidence_interval()     # Wald, Gwet's SE
    >>> bool(low < res.statistic < high)
    True
    """
    return _statistic(_weights_name("fleiss_kappa", weights), data, categories, ci=ci,
                      n_resamples=n_resamples, seed=seed, method=method, clusters=clusters,
                      confidence_level=confidence_level)


@_doc
def conger_kappa(data, *, weights: Weights = None, categories: Sequence | None = None,
                 ci=None, n_resamples: int = 9999, seed=None, method: str = "bca",
                 clusters: Sequence[Hashable] | None = None,
                 confidence_level: float = 0.95) -> AgreementResult:
    """Conger's kappa: Cohen's kappa generalized to many raters, each with own marginals.

    ``p_a`` as Fleiss'; ``p_e`` the mean over pairs of distinct raters of their Cohen chance
    agreement ``sum_kl w_kl p_gk p_hl``, where ``p_gk`` is the share of rater ``g``'s reads
    in category ``k`` (Conger 1980; Gwet 2014, eq. 5.10, with missing reads). For two raters
    it equals Cohen's kappa. Raters without reads are left out.

    Parameters
    ----------
    {COMMON}
    weights : {None, "linear", "quadratic"}
    {BOOT}

    Returns
    -------
    AgreementResult
        ``standard_error``: Gwet's (2014, section 5.4) large-sample SE.

    References
    ----------
    .. [1] A. J. Conger, "Integration and generalization of kappas for multiple raters",
       Psychological Bulletin 88(2), 322-328, 1980.
    .. [2] K. L. Gwet, *Handbook of Inter-Rater Reliability*, 4th ed., 2014, chapter 5.

    Examples
    --------
    >>> from adjudicate import conger_kappa
    >>> round(conger_kappa([[0, 0, 1], [1, 1, 1], [0, 0, 0], [1, 0, 1]]).statistic, 4)
    0.3846
    """
    return _statistic(_weights_name("conger_kappa", weights), data, categories, ci=ci,
                      n_resamples=n_resamples, seed=seed, method=method, clusters=clusters,
                      confidence_level=confidence_level)


@_doc
def brennan_prediger(data, *, weights: Weights = None, categories: Sequence | None = None,
                     ci=None, n_resamples: int = 9999, seed=None, method: str = "bca",
                     clusters: Sequence[Hashable] | None = None,
                     confidence_level: float = 0.95) -> AgreementResult:
    """Brennan-Prediger coefficient (PABAK for two raters and two categories).

    Chance agreement is uniform over the ``q`` declared categories: ``p_e = 1/q``
    (``T_w / q^2`` with weights), so ``kappa = (p_a - 1/q) / (1 - 1/q)``; for a binary
    finding and two raters this is the prevalence- and bias-adjusted kappa ``2 p_o - 1``.
    ``q`` counts declared categories even if nobody used them: pass ``categories=``.

    Parameters
    ----------
    {COMMON}
    weights : {None, "linear", "quadratic"}
    {BOOT}

    Returns
    -------
    AgreementResult
        ``standard_error``: Gwet's (2014) large-sample SE.

    References
    ----------
    .. [1] R. L. Brennan, D. J. Prediger, "Coefficient kappa: some uses, misuses, and
       alternatives", Educational and Psychological Measurement 41, 687-699, 1981.
    .. [2] T. Byrt, J. Bishop, J. B. Carlin, "Bias, prevalence and kappa", J Clin Epidemiol
       46, 423-429, 1993.

    Examples
    --------
    >>> from adjudicate import brennan_prediger
    >>> data = [[0, 0], [1, 1], [0, 0], [1, 0]]
    >>> round(brennan_prediger(data).statistic, 4)                       # 2 * 3/4 - 1
    0.5
    >>> round(brennan_prediger(data, categories=[0, 1, 2]).statistic, 4)  # (3/4 - 1/3) / (2/3)
    0.625
    """
    return _statistic(_weights_name("brennan_prediger", weights), data, categories, ci=ci,
                      n_resamples=n_resamples, seed=seed, method=method, clusters=clusters,
                      confidence_level=confidence_level)


@_doc
def gwet_ac1(data, *, weights: Weights = None, categories: Sequence | None = None, ci=None,
             n_resamples: int = 9999, seed=None, method: str = "bca",
             clusters: Sequence[Hashable] | None = None,
             confidence_level: float = 0.95) -> AgreementResult:
    """Gwet's AC1 (AC2 with weights for ordinal codes).

    ``p_e = T_w / (q (q - 1)) sum_k pi_k (1 - pi_k)`` with ``q`` the number of declared
    categories (AC1: ``sum_k pi_k (1 - pi_k) / (q - 1)``); ``p_a`` and ``pi`` as in
    :func:`fleiss_kappa`. Declare unused categories with ``categories=``: ``q`` changes the
    value.

    Parameters
    ----------
    {COMMON}
    weights : {None, "linear", "quadratic"}
        ``None`` gives AC1; weights give AC2.
    {BOOT}

    Returns
    -------
    AgreementResult
        ``standard_error``: Gwet's (2008; 2014, ch. 5) large-sample SE.

    References
    ----------
    .. [1] K. L. Gwet, "Computing inter-rater reliability and its variance in the presence of
       high agreement", British Journal of Mathematical and Statistical Psychology 61,
       29-48, 2008.
    .. [2] K. L. Gwet, *Handbook of Inter-Rater Reliability*, 4th ed., 2014, chapters 4-5.

    Examples
    --------
    >>> from adjudicate import gwet_ac1
    >>> res = gwet_ac1([[0, 0, 1], [1, 1, 1], [0, 0, 0], [1, 0, 1]])
    >>> round(res.statistic, 4), round(res.chance_agreement, 4)
    (0.3333, 0.5)
    """
    name = "gwet_ac1" if weights in (None, "identity") else _weights_name("gwet_ac2", weights)
    return _statistic(name, data, categories, ci=ci, n_resamples=n_resamples, seed=seed,
                      method=method, clusters=clusters, confidence_level=confidence_level)


@_doc
def krippendorff_alpha(data, *, level: Level = "nominal", categories: Sequence | None = None,
                       ci=None, n_resamples: int = 9999, seed=None, method: str = "bca",
                       clusters: Sequence[Hashable] | None = None,
                       confidence_level: float = 0.95) -> AgreementResult:
    """Krippendorff's alpha at the nominal, ordinal or interval level.

    ``alpha = 1 - D_o / D_e`` from the coincidence matrix: every ordered pair of values
    of a unit counts ``1 / (r_i - 1)``; units with fewer than two reads are not pairable and
    do not count (Krippendorff 2011). The ordinal metric uses the categories' order and
    their frequencies (Krippendorff's rank-sum distance), not their numeric spacing; the
    interval metric uses numeric category values (ranks for labels that are not numbers).

    Parameters
    ----------
    {COMMON}
        For ``level="ordinal"`` the order of ``categories`` is the order of the scale: pass
        ``categories=["NO", "HEDGE", "YES"]`` for string labels, which otherwise sort
        alphabetically.
    level : {"nominal", "ordinal", "interval"}, default "nominal"
    {BOOT}

    Returns
    -------
    AgreementResult
        ``details`` holds ``observed_disagreement`` and ``expected_disagreement``.
        ``standard_error``: Gwet's (2014, ch. 3) large-sample standard error of alpha (from
        the linearization of each unit's contribution; cluster-robust with ``clusters``),
        used for the Wald interval. Krippendorff recommends the bootstrap:
        ``ci="bootstrap"``.

    References
    ----------
    .. [1] K. Krippendorff, "Computing Krippendorff's Alpha-Reliability", 2011.
    .. [2] A. F. Hayes, K. Krippendorff, "Answering the call for a standard reliability
       measure for coding data", Communication Methods and Measures 1, 77-89, 2007.

    Examples
    --------
    Krippendorff's (2011) worked example: 4 observers, 12 units, missing values.

    >>> from adjudicate import krippendorff_alpha
    >>> data = [[1, 1, None, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3], [2, 2, 2, 2],
    ...         [1, 2, 3, 4], [4, 4, 4, 4], [1, 1, 2, 1], [2, 2, 2, 2], [None, 5, 5, 5],
    ...         [None, None, 1, 1], [None, 3, None, None]]
    >>> [round(krippendorff_alpha(data, level=lv).statistic, 3)
    ...  for lv in ("nominal", "ordinal", "interval")]
    [0.743, 0.815, 0.849]
    """
    if level not in ("nominal", "ordinal", "interval"):
        raise ValueError(f"level must be 'nominal', 'ordinal' or 'interval', got {level!r}")
    name = "krippendorff_alpha" + ("" if level == "nominal" else f"_{level}")
    return _statistic(name, data, categories, ci=ci, n_resamples=n_resamples, seed=seed,
                      method=method, clusters=clusters, confidence_level=confidence_level)
