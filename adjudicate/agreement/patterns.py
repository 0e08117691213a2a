"""The pattern engine: sums over a million units as frequency-weighted sums over a few patterns.

Most coefficients see a unit only through its category counts ``n_i`` (Fleiss,
Brennan-Prediger, AC1/AC2, alpha, percent and specific agreement), and with ``R`` readers and
``k`` categories there are at most ``(R + 1)^k`` distinct count vectors -- 36 for 5 readers
and a binary finding. So the sum over a million units is the frequency-weighted sum over the
count patterns that occur: one pass that encodes each unit's counts as an integer, one
``bincount``, and the per-unit formula on a few dozen patterns. Rater-specific coefficients
use the reader-code vectors that occur (``(k + 1)^R`` of them at most) the same way. Blocks of
units (:func:`chunk_slices`) bound the memory of every pass.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

__all__ = ["Patterns", "chunk_slices", "code_patterns", "count_patterns"]

_CHUNK_ELEMENTS = 1 << 22
"""About this many values per block of units: bounds memory whatever the data's size."""

_MAX_PATTERNS = 1 << 16
"""Largest ``(R + 1)^k`` for which sums go through count patterns."""


def chunk_slices(n_units: int, per_unit: int):
    """Slices of units holding about ``_CHUNK_ELEMENTS`` values each."""
    size = max(1, _CHUNK_ELEMENTS // max(per_unit, 1))
    for start in range(0, n_units, size):
        yield slice(start, min(start + size, n_units))


_MAX_CODE_PATTERNS = 1 << 13
"""Largest ``(k + 1)^R`` for which rater-specific sums go through reader-code patterns."""


def _count_ids(codes: np.ndarray, n_categories: int) -> np.ndarray:
    """Each unit's category counts as one integer ``sum_k n_k (R + 1)^k``, shape (u, F)."""
    base = codes.shape[1] + 1
    lut = np.zeros(256, np.int32)                 # codes seen as uint8: MISSING (-1) is 255
    lut[:n_categories] = base ** np.arange(n_categories)
    return lut[codes.view(np.uint8)].sum(axis=1, dtype=np.int32)


def _code_ids(codes: np.ndarray, n_categories: int) -> np.ndarray:
    """Each unit's reads (one code per reader) as one integer ``sum_g (c_g + 1) (k + 1)^g``."""
    mult = (n_categories + 1) ** np.arange(codes.shape[1], dtype=np.int32)
    return ((codes.astype(np.int32) + 1) * mult[:, None]).sum(axis=1, dtype=np.int32)


@dataclass(frozen=True, eq=False)
class Patterns:
    """The distinct per-unit patterns of a data set and how many units show each, per finding.

    Two kinds: category-count vectors (``counts (P, k)``; enough for coefficients that see a
    unit only through its counts) or full reader-code vectors (``codes (P, R)``; enough for
    every coefficient). ``freq (F, P)`` counts units; ``lookup`` maps an integer pattern id
    (``encode(codes_block) -> (c, F)``) to its column, -1 if absent.
    """

    freq: np.ndarray
    lookup: np.ndarray
    encode: Callable[[np.ndarray], np.ndarray]
    counts: np.ndarray | None = None
    codes: np.ndarray | None = None

    def evaluate(self, on_counts, on_codes, *args):
        """A per-unit function on every pattern: ``(P, F, ...)``."""
        f = self.freq.shape[0]
        if self.counts is not None and on_counts is not None:
            n = np.broadcast_to(self.counts[:, None, :], (len(self.counts), f, self.counts.shape[1]))
            return on_counts(n, *args)
        c = np.ascontiguousarray(np.broadcast_to(self.codes[:, :, None], (*self.codes.shape, f)))
        return on_codes(c, *args)


def _find_patterns(codes: np.ndarray, n_raw: int, encode, decode) -> Patterns:
    u, n_readers, f = codes.shape
    freq = np.zeros(f * n_raw, np.int64)
    offsets = np.arange(f, dtype=np.int64) * n_raw
    for block in chunk_slices(u, 3 * n_readers * f):
        freq += np.bincount((encode(codes[block]) + offsets).ravel(), minlength=f * n_raw)
    freq = freq.reshape(f, n_raw)
    ids = np.flatnonzero(freq.any(0))
    lookup = np.full(n_raw, -1, np.int64)
    lookup[ids] = np.arange(len(ids))
    return Patterns(freq[:, ids].astype(np.float64), lookup, encode, **decode(ids))


_PATTERN_CACHE: dict[tuple, tuple] = {}


def _forget(cache: dict, key: tuple, _ref) -> None:
    cache.pop(key, None)


def _cached(kind: str, codes: np.ndarray, n_categories: int, build):
    """``build()`` once per read-only codes array (a Ratings' codes), while it lives."""
    key = (kind, id(codes), n_categories)
    hit = _PATTERN_CACHE.get(key)
    if hit is not None and hit[0]() is codes:
        return hit[1]
    result = build()
    if not codes.flags.writeable:
        _PATTERN_CACHE[key] = (weakref.ref(codes, partial(_forget, _PATTERN_CACHE, key)), result)
    return result


def count_patterns(codes: np.ndarray, n_categories: int) -> Patterns | None:
    """The category-count vectors that occur (None if ``(R + 1)^k`` is too large)."""
    n_readers, k = codes.shape[1], n_categories
    n_raw = (n_readers + 1) ** k
    if k == 0 or n_raw > _MAX_PATTERNS:
        return None

    def decode(ids):
        return {"counts": (ids[:, None] // (n_readers + 1) ** np.arange(k)) % (n_readers + 1)}

    return _cached("counts", codes, k, lambda: _find_patterns(
        codes, n_raw, partial(_count_ids, n_categories=k), decode))


def code_patterns(codes: np.ndarray, n_categories: int) -> Patterns | None:
    """The reader-code vectors that occur (None if ``(k + 1)^R`` is too large)."""
    n_readers, k = codes.shape[1], n_categories
    n_raw = (k + 1) ** n_readers
    if n_raw > _MAX_CODE_PATTERNS:
        return None

    def decode(ids):
        digits = (ids[:, None] // (k + 1) ** np.arange(n_readers)) % (k + 1)
        return {"codes": (digits - 1).astype(np.int8)}

    return _cached("codes", codes, k, lambda: _find_patterns(
        codes, n_raw, partial(_code_ids, n_categories=k), decode))
