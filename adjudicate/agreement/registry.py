"""Statistic names -> factories of :class:`~adjudicate.agreement.statistic.SumStatistic`.

:data:`_SUM_STATISTICS` maps each statistic name to a factory ``factory(ratings) ->
SumStatistic`` that binds the data's design (categories of each finding, reader pairs) into
the pair. :func:`sum_statistic` is the public door to it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from ..ratings import Ratings
from .cohen import light_statistic, reader_pairs
from .conger import conger_statistic
from .design import Design
from .gwet import gwet_family_statistic
from .krippendorff import krippendorff_statistic
from .percent import percent_agreement_statistic, specific_statistic
from .statistic import SumStatistic, weight_suffix

__all__ = ["STATISTICS", "sum_statistic"]


def _make_gwet(ratings: Ratings, *, name: str, label: str, weights, chance: str):
    return gwet_family_statistic(name, label, Design.of(ratings), weights, chance)


def _make_conger(ratings: Ratings, *, weights):
    return conger_statistic(Design.of(ratings), weights)


def _make_light(ratings: Ratings, *, weights):
    return light_statistic(Design.of(ratings), reader_pairs(ratings.codes), weights)


def _make_alpha(ratings: Ratings, *, level: str):
    return krippendorff_statistic(Design.of(ratings), level)


def _make_percent(ratings: Ratings):
    return percent_agreement_statistic(Design.of(ratings))


def _make_specific(ratings: Ratings, *, which: str):
    return specific_statistic(Design.of(ratings), which)


def _registry() -> dict[str, Callable[[Ratings], SumStatistic]]:
    reg: dict[str, Callable[[Ratings], SumStatistic]] = {
        "percent_agreement": _make_percent,
        "positive_agreement": partial(_make_specific, which="positive"),
        "negative_agreement": partial(_make_specific, which="negative"),
    }
    for wk in (None, "linear", "quadratic"):
        sfx, extra = weight_suffix(wk), ("" if wk is None else f" ({wk} weights)")
        ac = "gwet_ac1" if wk is None else f"gwet_ac2_{wk}"
        for name, label, chance in (
                ("fleiss_kappa" + sfx, "Fleiss' kappa" + extra, "fleiss"),
                ("brennan_prediger" + sfx, "Brennan-Prediger" + extra, "bp"),
                (ac, "Gwet's AC1" if wk is None else f"Gwet's AC2{extra}", "gwet")):
            reg[name] = partial(_make_gwet, name=name, label=label, weights=wk, chance=chance)
        reg["conger_kappa" + sfx] = partial(_make_conger, weights=wk)
        reg["light_kappa" + sfx] = partial(_make_light, weights=wk)
    for level in ("nominal", "ordinal", "interval"):
        name = "krippendorff_alpha" + ("" if level == "nominal" else f"_{level}")
        reg[name] = partial(_make_alpha, level=level)
    return reg


_SUM_STATISTICS: dict[str, Callable[[Ratings], SumStatistic]] = _registry()
"""Statistic name -> ``factory(ratings) -> SumStatistic``; the bootstrap's entry point."""

STATISTICS: tuple[str, ...] = tuple(_SUM_STATISTICS)
"""Names :func:`agreement_table` and :func:`sum_statistic` accept."""


def sum_statistic(name: str, ratings: Ratings) -> SumStatistic:
    """The ``(unit_stats, finalize)`` pair of one statistic, bound to a data set's design.

    Parameters
    ----------
    name : str
        One of :data:`STATISTICS`, e.g. ``"fleiss_kappa"``, ``"gwet_ac2_quadratic"``,
        ``"krippendorff_alpha_ordinal"``.
    ratings : Ratings
        Fixes the categories of each finding (for AC1 and Brennan-Prediger), the numeric
        values of the categories (interval alpha) and the reader pairs (Light's kappa).

    Returns
    -------
    SumStatistic
        ``S = stat.unit_stats(ratings.codes)`` has shape ``(n_units, n_findings, m)``;
        ``stat.finalize(S.sum(0))`` is the coefficient of every finding and
        ``stat.finalize(W @ S)`` (over units) its bootstrap replicates. ``stat.sums(codes)``
        is ``S.sum(0)`` computed without ``S``.

    Examples
    --------
    >>> import numpy as np
    >>> from adjudicate import Ratings
    >>> r = Ratings.from_array([[0, 0, 1], [1, 1, 1], [0, 0, 0], [1, 0, 1]])
    >>> stat = sum_statistic("fleiss_kappa", r)
    >>> S = stat.unit_stats(r.codes)
    >>> S.shape
    (4, 1, 8)
    >>> round(float(stat.finalize(S.sum(0))[0]), 4)
    0.3333
    >>> w = np.array([[2, 0, 1, 1]])              # one bootstrap replicate: unit 0 twice
    >>> stat.finalize(np.tensordot(w, S, axes=1)).shape
    (1, 1)
    """
    try:
        factory = _SUM_STATISTICS[name]
    except KeyError:
        raise ValueError(f"unknown statistic {name!r}; choose from {', '.join(STATISTICS)}") from None
    return factory(ratings)
