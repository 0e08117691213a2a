"""Result objects of the agreement coefficients, and the warning for undefined ones."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .._lazy import ndtri
from ..resample import BOOTSTRAP_METHODS, ConfidenceInterval

__all__ = ["AgreementResult", "ConfidenceInterval", "UndefinedAgreementWarning"]


class UndefinedAgreementWarning(RuntimeWarning):
    """A coefficient is undefined for these data (NaN returned); the message says why.

    Examples: every read in one category (chance agreement 1, so kappa is 0/0), no unit with
    two or more reads, a single rater, fewer than two categories declared.
    """


class _Deferred:
    """A value computed on first use (:class:`AgreementResult`'s standard error)."""

    __slots__ = ("compute",)

    def __init__(self, compute):
        self.compute = compute


class _LazyField:
    """A dataclass field whose value may be a :class:`_Deferred`, evaluated once when read.

    The analytic standard error costs more than the coefficient at small sizes; most callers
    of a one-item function read only ``.statistic``. The attribute, its value and the
    constructor are those of a plain float field.
    """

    def __init__(self, default):
        self.default = default

    def __set_name__(self, owner, name):
        self.slot = "_" + name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self.default
        value = obj.__dict__[self.slot]
        if isinstance(value, _Deferred):
            value = float(value.compute())
            obj.__dict__[self.slot] = value
        return value

    def __set__(self, obj, value):
        obj.__dict__[self.slot] = value


@dataclass(frozen=True)
class AgreementResult:
    """An agreement coefficient, its standard errors and intervals (scipy.stats style).

    Attributes
    ----------
    statistic : float
        The coefficient; NaN when undefined (an :class:`UndefinedAgreementWarning` said why).
    standard_error : float
        Large-sample standard error for confidence intervals (NaN where none is defined;
        use ``ci="bootstrap"``). For Fleiss' kappa this is Gwet's general variance, never
        the null one.
    name : str
        The coefficient's name, as in the literature.
    n_units : int
        Units that carry agreement information: read by two or more raters (for Cohen's
        kappa: read by both raters).
    n_raters : int
        Raters with at least one read.
    bootstrap : BootstrapResult or None
        The bootstrap distribution when ``ci="bootstrap"`` was asked for.
    standard_error_null : float
        Standard error under H0: coefficient = 0 (Fleiss' and Cohen's kappa), for tests only.
    pvalue : float
        Two-sided p-value of H0: coefficient = 0 from ``standard_error_null``.
    observed_agreement, chance_agreement : float
        ``p_a`` and ``p_e`` of coefficients of the form ``(p_a - p_e) / (1 - p_e)``.
    confidence_level : float
        Default level of :meth:`confidence_interval`.
    clusters : str
        What was resampled and what the standard error is robust to (``"patients"``,
        ``"units"``, ...; :func:`adjudicate.resample.resolve_clusters`).
    details : dict
        Further terms (Krippendorff's observed and expected disagreement, pairwise kappas...).

    Examples
    --------
    >>> res = AgreementResult(0.5, standard_error=0.1, name="Fleiss' kappa", n_units=40,
    ...                       n_raters=3)
    >>> low, high = res.confidence_interval()
    >>> round(low, 4), round(high, 4), res.method
    (0.304, 0.696, 'wald')
    """

    statistic: float
    standard_error: float = _LazyField(math.nan)
    name: str = ""
    n_units: int = 0
    n_raters: int = 0
    bootstrap: Any = field(default=None, repr=False, compare=False)
    standard_error_null: float = math.nan
    pvalue: float = math.nan
    observed_agreement: float = math.nan
    chance_agreement: float = math.nan
    confidence_level: float = 0.95
    details: dict = field(default_factory=dict, repr=False, compare=False)
    clusters: str = "units"

    def __getstate__(self):  # pickles hold the standard error, never the computation
        state = dict(self.__dict__)
        state["_standard_error"] = self.standard_error
        return state

    @property
    def method(self) -> str:
        """The default interval method: the bootstrap's (``"bca"``/``"percentile"``) or
        ``"wald"``."""
        return self.bootstrap.method if self.bootstrap is not None else "wald"

    def confidence_interval(self, confidence_level: float | None = None, *,
                            method: str | None = None) -> ConfidenceInterval:
        """Two-sided confidence interval ``(low, high)``.

        Parameters
        ----------
        confidence_level : float, optional
            Default: the result's ``confidence_level`` (0.95 unless asked otherwise).
        method : {None, "bootstrap", "wald", "percentile", "bca"}, optional
            Default: the bootstrap interval (with the bootstrap's own method) when the result
            holds a bootstrap, else the Wald one. ``"wald"`` (also spelled ``"analytic"``)
            forces the Wald interval
            ``statistic -/+ z * standard_error`` (upper end capped at 1, every coefficient's
            maximum); it is ``(nan, nan)`` where no standard error is defined.
            ``"percentile"`` or ``"bca"`` pick a bootstrap interval method.
        """
        level = self.confidence_level if confidence_level is None else float(confidence_level)
        if not 0 < level < 1:
            raise ValueError(f"confidence_level must lie strictly between 0 and 1, got {level}")
        if method not in (None, "wald", "analytic", "bootstrap", *BOOTSTRAP_METHODS):
            raise ValueError("method must be None, 'wald', 'bootstrap', 'percentile' or "
                             f"'bca', got {method!r}")
        if method == "analytic":
            method = "wald"
        if method != "wald" and self.bootstrap is not None:
            boot_method = method if method in BOOTSTRAP_METHODS else None
            low, high = self.bootstrap.confidence_interval(level, method=boot_method)
            return ConfidenceInterval(float(low), float(high))
        if method in BOOTSTRAP_METHODS:
            raise ValueError(f"method={method!r} needs a bootstrap: call with ci='bootstrap'")
        return wald_interval(self.statistic, self.standard_error, level)


def wald_interval(estimate: float, se: float, level: float) -> ConfidenceInterval:
    """``estimate -/+ z_{(1+level)/2} se``, the upper end capped at 1; NaN without an SE."""
    if not (math.isfinite(estimate) and math.isfinite(se)):
        return ConfidenceInterval(math.nan, math.nan)
    z = float(ndtri((1 + level) / 2))
    return ConfidenceInterval(estimate - z * se, min(estimate + z * se, 1.0))
