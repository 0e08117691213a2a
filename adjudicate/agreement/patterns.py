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
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from scipy import sparse

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


_DERIVE_COUNTS = 1 << 16
"""Above this many reads, count patterns are summed from the reader-code patterns."""

_GRAM_UNITS = 1 << 17
"""Units per block of the passes in cluster order (their temporaries stay in cache)."""

_TOO_LARGE = "clusters too large"
"""Kept as :meth:`Patterns.cluster_gram` when a cluster is too large for it to pay."""

_GRAM_KEYS = 1 << 22
"""Pairs of units x findings held before they are counted (one ``bincount``)."""

_MAX_CODE_PATTERNS = 1 << 13
"""Largest ``(k + 1)^R`` for which rater-specific sums go through reader-code patterns."""


def _count_ids(codes: np.ndarray, n_categories: int) -> np.ndarray:
    """Each unit's category counts as one integer ``sum_k n_k (R + 1)^k``, shape (u, F)."""
    base = codes.shape[1] + 1
    lut = np.zeros(256, np.int32)                 # codes seen as uint8: MISSING (-1) is 255
    lut[:n_categories] = base ** np.arange(n_categories)
    return np.einsum("urf->uf", lut[codes.view(np.uint8)])  # 2-5x .sum(axis=1) here


def _code_ids(codes: np.ndarray, n_categories: int) -> np.ndarray:
    """Each unit's reads (one code per reader) as one integer ``sum_g (c_g + 1) (k + 1)^g``."""
    mult = (n_categories + 1) ** np.arange(codes.shape[1], dtype=np.int32)
    return np.einsum("urf,r->uf", codes.astype(np.int32) + 1, mult)


@dataclass(frozen=True, eq=False)
class Patterns:
    """The distinct per-unit patterns of a data set and how many units show each, per finding.

    Two kinds: category-count vectors (``counts (P, k)``; enough for coefficients that see a
    unit only through its counts) or full reader-code vectors (``codes (P, R)``; enough for
    every coefficient). ``freq (F, P)`` counts units; ``lookup`` maps an integer pattern id
    (``encode(codes_block) -> (c, F)``) to its column, -1 if absent.

    A ``Patterns`` belongs to the codes it was found in: :meth:`unit_columns` (each unit's
    pattern) and :meth:`cluster_counts` (patterns per cluster) are computed once for them and
    shared by every statistic, its variance and its bootstrap.
    """

    freq: np.ndarray
    lookup: np.ndarray
    encode: Callable[[np.ndarray], np.ndarray]
    counts: np.ndarray | None = None
    codes: np.ndarray | None = None
    _memo: dict = field(default_factory=dict, repr=False)

    def unit_columns(self, codes: np.ndarray) -> np.ndarray:
        """Column of each unit's pattern, ``(n_units, F)`` int32, encoded once per data set."""
        columns = self._memo.get("columns")
        if columns is None:
            ids = self._memo.pop("ids", None)
            derived = self._memo.get("derived")
            if derived is not None:      # counts of reader-code patterns: a lookup per unit
                by_codes, to_counts = derived
                columns = to_counts[by_codes.unit_columns(codes)]
            elif ids is not None and len(self.lookup) == self.freq.shape[1]:
                columns = ids            # every possible pattern occurs: ids are columns
            else:
                columns = np.empty((codes.shape[0], codes.shape[2]), np.int32)
                for block in chunk_slices(codes.shape[0], 3 * codes.shape[1] * codes.shape[2]):
                    found = self.encode(codes[block]) if ids is None else ids[block]
                    columns[block] = self.lookup[found]
            self._memo["columns"] = columns
        return columns

    def cluster_counts(self, codes: np.ndarray, clusters) -> sparse.csr_matrix:
        """How many units of each cluster show each pattern, finding by finding, sparse.

        Shape ``(F * n_clusters, F * P)``: row ``f * C + c`` holds cluster ``c``'s counts of
        the patterns of finding ``f`` in columns ``f * P .. f * P + P - 1`` (zeros elsewhere),
        so products with it never mix findings. Built once per clusters array (the last one
        asked for) straight from the units' pattern columns taken in cluster order: the rows
        then come sorted, so the matrix is laid out in one pass. A unit is one entry: two units
        of a cluster with one pattern are two entries of 1 in a row (not summed: products
        and ``toarray`` add them, and summing them would cost more than every product).
        """
        hit = _memo_hit(self._memo, "clusters", clusters)
        if hit is not None:
            return hit
        from scipy import sparse
        u, (f, n_patterns) = codes.shape[0], self.freq.shape
        cluster_of, n_clusters = _grouping(clusters, u)
        columns = self.unit_columns(codes)
        order = cluster_order(cluster_of)
        if order is not None:
            columns = columns[order]
        # finding-major: entries of finding f, units in cluster order, are rows f * C + c
        indices = (columns.T + (np.arange(f, dtype=np.int32) * n_patterns)[:, None]).ravel()
        sizes = np.bincount(cluster_of, minlength=n_clusters)
        indptr = np.zeros(f * n_clusters + 1, np.int64)
        np.cumsum(np.tile(sizes, f), out=indptr[1:])
        members = sparse.csr_matrix((np.ones(u * f), indices, indptr),
                                    shape=(f * n_clusters, f * n_patterns))
        _memo_keep(self._memo, "clusters", clusters, members)
        return members

    def _in_cluster_order(self, codes: np.ndarray, clusters):
        """Units sorted by cluster, kept for the last clusters asked for: ``(cluster_of,
        columns, same, blocks)``, each unit's cluster number and pattern columns ``(u, F)`` in
        that order, whether each unit's cluster holds the next unit too (``(u,)`` bool), and
        blocks of about ``_GRAM_UNITS`` units of whole clusters (unit slices)."""
        hit = _memo_hit(self._memo, "order", clusters)
        if hit is not None:
            return hit
        u = codes.shape[0]
        cluster_of, _ = _grouping(clusters, u)
        columns = self.unit_columns(codes)
        order = cluster_order(cluster_of)
        if order is not None:
            cluster_of, columns = cluster_of[order], columns[order]
        same = np.zeros(u, bool)
        np.equal(cluster_of[1:], cluster_of[:-1], out=same[:-1])
        # cut at the first unit of the cluster holding every _GRAM_UNITS-th unit
        cuts = np.unique(np.searchsorted(cluster_of, cluster_of[::_GRAM_UNITS]))
        blocks = [slice(a, b) for a, b in zip(cuts, [*cuts[1:], u])]
        result = (cluster_of, columns, same, blocks)
        _memo_keep(self._memo, "order", clusters, result)
        return result

    def cluster_gram(self, codes: np.ndarray, clusters) -> np.ndarray | None:
        """``G_f = A_f' A_f`` per finding, ``(F, P, P)``, ``A_f`` the cluster x pattern counts.

        ``sum_c (sum_{i in c} psi_i)^2 = psi' G psi`` for any per-pattern ``psi``, so each
        statistic's cluster-robust variance costs ``P^2`` per finding instead of a pass over
        the units. ``G_f[p, q]`` counts the ordered pairs of units (a unit with itself
        included) of one cluster showing patterns ``p`` and ``q``: built from the units in
        cluster order, in blocks of whole clusters, one offset ``d`` at a time (the units
        ``i`` whose cluster holds ``i + d``: those of offset ``d - 1`` followed by their
        successor), up to the largest cluster. None when patterns or clusters are too large
        for it to pay (then use :meth:`cluster_counts`).
        """
        hit = _memo_hit(self._memo, "gram", clusters)
        if hit is not None:
            return hit if hit is not _TOO_LARGE else None
        u, (f, n_patterns) = codes.shape[0], self.freq.shape
        if n_patterns > 1024 or not u:
            return None
        _, columns, same, blocks = self._in_cluster_order(codes, clusters)
        square = n_patterns * n_patterns
        pairs = np.zeros((f, square), np.int64)
        # a unit's columns as one item of F integers of the smallest type holding a pair's
        # key p P + q (< P^2), taken as one
        small = np.dtype(np.uint16 if n_patterns <= 1 << 8 else np.uint32)
        item = _item_type(f * small.itemsize)
        keys, held = [], 0
        for unit in blocks:                 # blocks of whole clusters, for the cache
            local = columns[unit].astype(small).view(item).ravel()      # (units,)
            lead, d = np.flatnonzero(same[unit]), 1      # units i, i + 1 share a cluster
            while len(lead):
                if d == 64:                 # a cluster of 65+ units
                    _memo_keep(self._memo, "gram", clusters, _TOO_LARGE)
                    return None
                key = np.take(local, lead).view(small)   # pair (p, q) of a finding: p P + q
                key *= small.type(n_patterns)
                key += np.take(local, lead + d).view(small)
                keys.append(key.reshape(-1, f))
                held += key.size
                # i, i + d + 1 share a cluster if i, i + d and i + 1, i + d + 1 do
                lead = np.compress(np.diff(lead) == 1, lead[:-1])
                d += 1
            if keys and (held > _GRAM_KEYS or unit.stop == u):
                for j in range(f):          # finding by finding: its counts stay in cache
                    pairs[j] += np.bincount(np.concatenate([key[:, j] for key in keys]),
                                            minlength=square)
                keys, held = [], 0
        pairs = pairs.reshape(f, n_patterns, n_patterns)
        gram = (pairs + pairs.transpose(0, 2, 1)).astype(np.float64)
        diagonal = np.arange(n_patterns)
        gram[:, diagonal, diagonal] += self.freq          # each unit paired with itself
        _memo_keep(self._memo, "gram", clusters, gram)
        return gram

    def clusters_with(self, codes: np.ndarray, clusters, present: np.ndarray) -> np.ndarray:
        """Per finding, how many clusters hold a unit whose pattern is flagged in ``present (P, F)``.

        Every cluster but those whose units all show unflagged patterns. A statistic leaves
        out units read once or never, which show rare patterns: one pass finds the units
        showing each finding's rarest patterns (and the unflagged ones), kept for the next
        flags; only flags that leave out a common pattern need a pass of their own. The
        clusters of those few units are then counted by their size (units in cluster order).
        """
        seen = _memo_hit(self._memo, "seen", clusters)
        if seen is None:
            seen = {}
            _memo_keep(self._memo, "seen", clusters, seen)
        present = np.asarray(present, bool)
        key = present.tobytes()
        if key not in seen:
            u, (f, n_patterns) = codes.shape[0], self.freq.shape
            if not u:
                return np.zeros(f, np.int64)
            cluster_of, columns, same, blocks = self._in_cluster_order(codes, clusters)
            n_clusters = u - np.count_nonzero(same)
            unflagged = ~present.T.ravel()
            shown = unflagged & (self.freq.ravel() > 0)
            out = np.full(f, n_clusters, np.int64)
            if shown.any():
                flat, unit = self._units_showing(shown, clusters, columns, blocks)
                keep = unflagged[flat]              # of the units known, the unflagged ones
                flat, unit = flat[keep], unit[keep]
                # each such unit's cluster, known by its first unit, and the cluster's size
                first = np.searchsorted(cluster_of, cluster_of[unit], side="left")
                size = np.searchsorted(cluster_of, cluster_of[unit], side="right") - first
                cell, at, count = np.unique(flat // n_patterns * np.int64(u) + first,
                                            return_index=True, return_counts=True)
                empty = cell[count == size[at]] // u              # all units unflagged
                out -= np.bincount(empty, minlength=f)
            seen[key] = out
        return seen[key]

    def _units_showing(self, shown: np.ndarray, clusters, columns, blocks):
        """Units (in cluster order) showing a pattern flagged in ``shown (F * P,)``: their
        flattened pattern column ``f * P + p`` and position. The first pass looks for each
        finding's rarest patterns too, and is kept: later flags within them need no pass."""
        known = _memo_hit(self._memo, "rare", clusters)
        if known is not None and not (shown & ~known[0]).any():
            return known[1], known[2]
        table = self._rare_table() | shown | (False if known is None else known[0])
        f, n_patterns = self.freq.shape
        widest = max(unit.stop - unit.start for unit in blocks)
        shift = np.tile(np.arange(f, dtype=np.int32) * np.int32(n_patterns), widest)
        flats, units = [], []
        for unit in blocks:                 # blocks, for the cache
            local = columns[unit]
            flat = local.ravel() + shift[:local.size]
            at = np.flatnonzero(np.take(table, flat))
            flats.append(flat[at])
            units.append(at // f + unit.start)
        found = (table, np.concatenate(flats), np.concatenate(units))
        _memo_keep(self._memo, "rare", clusters, found)
        return found[1], found[2]

    def _rare_table(self) -> np.ndarray:
        """``(F * P,)`` flags of each finding's rarest patterns, together shown by at most
        1/256 of the units: the units showing them are kept by the first pass of
        :meth:`clusters_with`, so that counting the clusters of units that another statistic
        leaves out (those read once or never) needs no other pass."""
        freq = self.freq
        order = np.argsort(freq, axis=1, kind="stable")
        shown = np.take_along_axis(freq, order, axis=1).cumsum(1)
        rare = np.zeros(freq.shape, bool)
        np.put_along_axis(rare, order, shown <= freq.sum(1, keepdims=True) / 256, axis=1)
        return rare.ravel()

    def evaluate(self, on_counts, on_codes, *args):
        """A per-unit function on every pattern: ``(P, F, ...)``."""
        f = self.freq.shape[0]
        if self.counts is not None and on_counts is not None:
            n = self.counts[:, None, :]                       # (P, F, k), read-only
            if f > 1:
                n = np.broadcast_to(n, (len(self.counts), f, self.counts.shape[1]))
            else:                                            # one finding: no broadcast cost
                n = n.view()
                n.flags.writeable = False
            return on_counts(n, *args)
        c = np.ascontiguousarray(np.broadcast_to(self.codes[:, :, None], (*self.codes.shape, f)))
        return on_codes(c, *args)


def _item_type(size: int) -> np.dtype:
    """A type of ``size`` bytes, so that a row of small integers is taken as one item."""
    if size in (1, 2, 4, 8):
        return np.dtype(f"u{size}")
    return np.dtype((np.void, size))


def _memo_hit(memo: dict, name: str, clusters):
    """What ``memo`` keeps under ``name`` for these clusters, or None. A read-only array is
    known by its identity; a writable one is compared with the copy kept of it."""
    hit = memo.get(name)
    if hit is None or hit[0] is not clusters:
        return None
    if hit[1] is not None and not np.array_equal(hit[1], clusters):
        return None
    return hit[2]


def _memo_keep(memo: dict, name: str, clusters, value) -> None:
    frozen = isinstance(clusters, np.ndarray) and _read_only(clusters)
    memo[name] = (clusters, None if frozen else np.array(clusters, copy=True), value)


def _read_only(array: np.ndarray) -> bool:
    """No writable array shares this one's memory (it and every array it views are read-only,
    down to one that owns its data)."""
    while isinstance(array, np.ndarray):
        if array.flags.writeable:
            return False
        if array.base is None:
            return True
        array = array.base
    return False


def _find_patterns(codes: np.ndarray, n_raw: int, encode, decode) -> Patterns:
    u, n_readers, f = codes.shape
    if f == 1 and u * n_readers <= _CHUNK_ELEMENTS // 3:   # one finding, one block
        ids = encode(codes)                     # each unit's pattern id: kept for unit_columns
        freq = np.bincount(ids.ravel(), minlength=n_raw)[None]
    else:
        freq = np.zeros(f * n_raw, np.int64)
        offsets = np.arange(f, dtype=np.int64) * n_raw
        ids = np.empty((u, f), np.int32)
        for block in chunk_slices(u, 3 * n_readers * f):
            ids[block] = encode(codes[block])
            freq += np.bincount((ids[block] + offsets).ravel(), minlength=f * n_raw)
        freq = freq.reshape(f, n_raw)
    present = np.flatnonzero(freq[0] if f == 1 else freq.any(0))
    lookup = np.full(n_raw, -1, np.int64)
    lookup[present] = np.arange(len(present))
    found = Patterns(freq[:, present].astype(np.float64), lookup, encode, **decode(present))
    found._memo["ids"] = ids
    return found


def cluster_index(clusters, n_units: int) -> tuple[np.ndarray, int]:
    """The resampling engine's numbering of clusters (one id per unit) and their count."""
    from ..resample import ClusterDesign, _design
    design = clusters if isinstance(clusters, ClusterDesign) else _design(clusters, n_units)
    return design.codes, design.n_clusters


def cluster_order(cluster_of: np.ndarray) -> np.ndarray | None:
    """The units in cluster order (a stable sort of the cluster numbers), or None when they
    already are (the unit design, patients listed one after another): no sort then."""
    if len(cluster_of) > 1 and (cluster_of[1:] < cluster_of[:-1]).any():
        return np.argsort(cluster_of, kind="stable")
    return None


def _grouping(clusters, n_units: int) -> tuple[np.ndarray, int]:
    """Some numbering of the clusters, for sums within them (any numbering serves).

    Cluster codes already numbered ``0 .. C - 1`` (``ClusterDesign.codes``, as the tables
    pass them) are used as they are; anything else goes through :func:`cluster_index`.
    """
    ids = np.asarray(clusters) if isinstance(clusters, np.ndarray) else None
    if (ids is not None and ids.ndim == 1 and len(ids) == n_units and ids.dtype.kind in "iu"
            and n_units and ids.min() >= 0 and ids.max() < n_units):
        return ids.astype(np.intp, copy=False), int(ids.max()) + 1
    return cluster_index(clusters, n_units)


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

    encode = partial(_count_ids, n_categories=k)

    def build():
        # large data: from the reader-code patterns, which the rater-specific statistics
        # and the cluster-robust variance need too (one pass over the units for both)
        by_codes = code_patterns(codes, k) if codes.size > _DERIVE_COUNTS else None
        if by_codes is None:
            return _find_patterns(codes, n_raw, encode, decode)
        return _counts_of_code_patterns(by_codes, k, n_raw, encode, decode)

    return _cached("counts", codes, k, build)


def _counts_of_code_patterns(by_codes: Patterns, k: int, n_raw: int, encode, decode) -> Patterns:
    """The count patterns from the reader-code patterns (each code vector's category counts),
    with no pass over the units: the frequencies are those of the code patterns, summed."""
    f = by_codes.freq.shape[0]
    counts = (by_codes.codes[:, :, None] == np.arange(k)).sum(1)          # (Pc, k)
    raw = counts @ (by_codes.codes.shape[1] + 1) ** np.arange(k)          # count id of each
    present, to_counts = np.unique(raw, return_inverse=True)
    n = len(present)
    where = (to_counts.ravel() + np.arange(f)[:, None] * n).ravel()       # (F * Pc)
    freq = np.bincount(where, weights=by_codes.freq.ravel(), minlength=f * n).reshape(f, n)
    lookup = np.full(n_raw, -1, np.int64)
    lookup[present] = np.arange(n)
    found = Patterns(freq, lookup, encode, **decode(present))
    found._memo["derived"] = (by_codes, to_counts.ravel().astype(np.int32))
    return found


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

