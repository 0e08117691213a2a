"""The design of a data set as the coefficients see it: categories, their values, positive/negative."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..ratings import Ratings, _label_text, known_vocabulary, positive_category
from .patterns import count_patterns

__all__ = ["Design"]


@dataclass(frozen=True, eq=False)
class Design:
    """What the coefficients need to know about the data beyond the per-unit counts."""

    n_categories: int
    effective: np.ndarray          # (F, k) categories each finding can take: allowed | used
    values: np.ndarray             # (k,) numeric value of each category (interval alpha)
    positive: int | None
    negative: int | None
    n_readers: int

    @classmethod
    def of(cls, ratings: Ratings) -> Design:
        k = ratings.n_categories
        used = np.zeros((ratings.n_findings, k), bool)
        found = count_patterns(ratings.codes, k)
        if found is not None:
            used = (found.freq @ (found.counts > 0)) > 0
        else:
            for c in range(k):  # categories, not units
                used[:, c] = (ratings.codes == c).any(axis=(0, 1))
        cats = ratings.categories
        if all(isinstance(c, (int, float, np.number)) and not isinstance(c, bool) for c in cats):
            values = np.array(cats, np.float64)
        else:
            values = np.arange(k, dtype=np.float64)
        positive, negative = _roles(cats, ratings.positive)
        return cls(n_categories=k, effective=ratings.allowed | used, values=values,
                   positive=positive, negative=negative, n_readers=ratings.n_readers)


def _roles(categories: tuple, positive) -> tuple[int | None, int | None]:
    """The positive and negative categories' indices, memoized per categories: a small
    call (one item of a few hundred units) spends more on these rules than on its sums."""
    try:  # keyed by the labels and their types (1, 1.0 and True compare equal)
        return _roles_of(categories, tuple(map(type, categories)), positive)
    except TypeError:  # unhashable labels: no memo
        return _roles_of.__wrapped__(categories, None, positive)


@lru_cache(maxsize=256)
def _roles_of(categories: tuple, _types, positive) -> tuple[int | None, int | None]:
    index = _positive_index(categories, positive)
    return index, _negative_index(categories, index)


def _positive_index(categories: tuple, positive) -> int | None:
    # the one rule of which category is positive lives in ratings.positive_category
    label = positive_category(categories, positive if positive in categories else None)
    return None if label is None else categories.index(label)


def _negative_index(categories: tuple, positive: int | None) -> int | None:
    """The negative category, the counterpart of :func:`~adjudicate.ratings.positive_category`.

    Within a known vocabulary (:data:`~adjudicate.ratings.VOCABULARIES`, each listed from its
    "absent" category to its positive one, matched as the home matches them: as text,
    ignoring case), its first category (``no`` of ``hedge/no/yes``); else, of two
    categories, the one that is not positive; else ``"NO"``, else the lowest category.
    """
    if positive is None or len(categories) < 2:
        return None
    vocab = known_vocabulary(categories)
    if vocab is not None:
        absent = _label_text(vocab[0]).lower()
        found = [i for i, c in enumerate(categories) if _label_text(c).lower() == absent]
        if found:
            return found[0]
    if len(categories) == 2:
        return 1 - positive
    return categories.index("NO") if "NO" in categories else 0
