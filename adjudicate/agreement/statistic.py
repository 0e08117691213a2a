"""Every coefficient as a pair: per-unit sufficient statistics ``S`` and ``finalize(sums)``.

The contract the bootstrap relies on (DESIGN.md, "Statistics are sums"):

- ``stat.unit_stats(codes) -> S`` of shape ``(n_units, n_findings, m)``, float64, one row of
  per-unit quantities for each unit and finding (category shares, pair agreements,
  coincidences, joint cells of a reader pair ...);
- ``stat.finalize(T) -> (..., n_findings)`` maps sums ``T`` of shape ``(..., n_findings, m)``
  to the coefficient, vectorized over any leading axes. The point estimate is
  ``finalize(S.sum(0))``; a bootstrap replicate is ``finalize(w @ S)`` and is exact for any
  unit weights ``w``, since nothing outside ``finalize`` is other than a sum over units.

``stat.sums(codes)`` equals ``S.sum(0)`` without building ``S``
(:mod:`~adjudicate.agreement.patterns`); ``stat.variance`` is the analytic variance
(:mod:`~adjudicate.agreement.variance`). Each family of coefficients builds its pairs in a
module of its own name; :mod:`~adjudicate.agreement.registry` maps names to them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import terms
from .patterns import Patterns, chunk_slices, code_patterns, count_patterns

__all__ = ["SumStatistic", "from_counts", "weight_suffix"]


@dataclass(frozen=True, eq=False)
class SumStatistic:
    """One coefficient for all findings, as sufficient statistics and their finalization.

    Attributes
    ----------
    name, label : str
        Registry name (``"fleiss_kappa"``) and the name used in papers (``"Fleiss' kappa"``).
    unit_stats : callable
        ``codes (n_units, n_readers, n_findings) int8 -> S (n_units, n_findings, m)``.
    finalize : callable
        ``T (..., n_findings, m) -> coefficient (..., n_findings)``, NaN where undefined.
    components : callable
        ``T -> dict`` of named terms (``observed``, ``chance``, ``n_pairable`` ...) used for
        reports and for saying why a coefficient is undefined.
    count_stats : callable, optional
        ``n (..., n_findings, k) -> S``: when ``S`` depends on a unit only through its
        category counts (then ``unit_stats`` is ``count_stats`` of the counts).
    influence : callable, optional
        ``(codes, T) -> (psi, counted)``, both ``(n_units, n_findings)``: the linearized
        per-unit contributions behind the analytic standard error.
    count_influence : callable, optional
        ``(n, T) -> (psi, counted)`` when ``psi`` depends on a unit only through its counts.
    closed_se, null_se : callable, optional
        ``T -> se``: closed-form standard error (Cohen's kappa); SE under H0 (tests only).
    fast_sums : callable, optional
        ``codes -> T`` without building ``S`` (rater-specific coefficients).
    """

    name: str
    label: str
    unit_stats: Callable[[np.ndarray], np.ndarray]
    finalize: Callable[[np.ndarray], np.ndarray]
    components: Callable[[np.ndarray], dict]
    n_categories: int = 0
    count_stats: Callable | None = None
    influence: Callable | None = None
    count_influence: Callable | None = None
    closed_se: Callable | None = None
    null_se: Callable | None = None
    fast_sums: Callable | None = None
    width: int = field(default=1)

    def patterns(self, codes: np.ndarray, *, for_influence: bool = False) -> Patterns | None:
        """The coarsest patterns this statistic can be evaluated on, if any are small."""
        by_counts = self.count_influence if for_influence else self.count_stats
        found = count_patterns(codes, self.n_categories) if by_counts is not None else None
        return found if found is not None else code_patterns(codes, self.n_categories)

    def sums(self, codes: np.ndarray) -> np.ndarray:
        """``S.sum(0)``, computed without holding ``S`` (patterns, or blocks of units)."""
        found = self.patterns(codes)
        if found is not None:
            per_pattern = found.evaluate(self.count_stats, self.unit_stats)
            return np.einsum("fp,pfm->fm", found.freq, per_pattern)
        if self.fast_sums is not None:
            return self.fast_sums(codes)
        total = self.unit_stats(codes[:0]).sum(0)
        for block in chunk_slices(codes.shape[0], codes.shape[1] * codes.shape[2]
                                  + codes.shape[2] * self.width):
            total = total + self.unit_stats(codes[block]).sum(0)
        return total

    def _unit_influence(self, codes, total):
        if self.influence is not None:
            return self.influence(codes, total)
        return self.count_influence(terms.category_counts(codes, self.n_categories), total)

    def variance(self, codes: np.ndarray, total: np.ndarray, clusters=None) -> np.ndarray:
        """Large-sample variance per finding from the unit contributions ``psi``.

        ``clusters`` (one id per unit, or None) groups units that are not independent; the
        variance is then the cluster-robust sandwich (:func:`~adjudicate.agreement.variance.influence_variance`).
        """
        from .variance import influence_variance
        return influence_variance(self, codes, total, clusters)


def from_counts(count_stats: Callable, n_categories: int) -> Callable:
    def unit_stats(codes: np.ndarray) -> np.ndarray:
        return count_stats(terms.category_counts(codes, n_categories))
    return unit_stats


def weight_suffix(weight_kind) -> str:
    """``""`` or ``"_linear"``/``"_quadratic"``: the registry name's weights suffix."""
    return "" if weight_kind in (None, "identity") else f"_{weight_kind}"
