"""Percent agreement and specific (positive/negative) agreement."""

from __future__ import annotations

import numpy as np

from . import terms
from .design import Design
from .statistic import SumStatistic, from_counts

__all__ = ["percent_agreement_statistic", "specific_agreement_statistic", "specific_statistic"]


def percent_agreement_statistic(design: Design) -> SumStatistic:
    k = design.n_categories

    def count_stats(n):
        r = n.sum(-1)
        return np.stack([(r >= 2).astype(np.float64), terms.unit_observed_agreement(n)], -1)

    def finalize(total):
        with np.errstate(invalid="ignore", divide="ignore"):
            return total[..., 1] / total[..., 0]

    def components(total):
        pa = finalize(total)
        return {"observed": pa, "n_pairable": total[..., 0], "coefficient": pa}

    def count_influence(n, total):
        s = count_stats(n)
        return s[..., 1] - finalize(total), s[..., 0] > 0

    return SumStatistic("percent_agreement", "Percent agreement", from_counts(count_stats, k),
                        finalize, components, n_categories=k, count_stats=count_stats,
                        count_influence=count_influence, width=2)


def specific_agreement_statistic(design: Design, category: int | None, name: str,
                        label: str) -> SumStatistic:
    """Specific agreement on one category (``category`` index; None: undefined)."""
    k = design.n_categories

    def count_stats(n):
        if category is None:
            return np.zeros((*n.shape[:-1], 3))
        agree, possible = terms.specific_agreement_terms(n, category)
        return np.stack([agree, possible, (n.sum(-1) >= 2).astype(np.float64)], -1)

    def finalize(total):
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total[..., 1] > 0, total[..., 0] / total[..., 1], np.nan)

    def components(total):
        return {"n_pairable": total[..., 2], "n_category": total[..., 1],
                "coefficient": finalize(total), "category": category}

    return SumStatistic(name, label, from_counts(count_stats, k), finalize, components,
                        n_categories=k, count_stats=count_stats, width=3)



def specific_statistic(design: Design, which: str) -> SumStatistic:
    category = design.positive if which == "positive" else design.negative
    return specific_agreement_statistic(design, category, f"{which}_agreement",
                               f"{which.capitalize()} specific agreement")

