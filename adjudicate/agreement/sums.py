"""Every coefficient as a pair: per-unit sufficient statistics ``S`` and ``finalize(sums)``.

The contract the bootstrap relies on (DESIGN.md, "Statistics are sums"):

- ``stat.unit_stats(codes) -> S`` of shape ``(n_units, n_findings, m)``, float64, one row of
  per-unit quantities for each unit and finding (category shares, pair agreements,
  coincidences, joint cells of a reader pair ...);
- ``stat.finalize(T) -> (..., n_findings)`` maps sums ``T`` of shape ``(..., n_findings, m)``
  to the coefficient, vectorized over any leading axes. The point estimate is
  ``finalize(S.sum(0))``; a bootstrap replicate is ``finalize(w @ S)`` and is exact for any
  unit weights ``w``, since nothing outside ``finalize`` is other than a sum over units.

:data:`_SUM_STATISTICS` maps each statistic name to a factory ``factory(ratings) ->
SumStatistic`` that binds the data's design (categories of each finding, reader pairs) into
the pair. :func:`sum_statistic` is the public door to it.

Speed. ``stat.sums(codes)`` equals ``S.sum(0)`` without building ``S``. Most coefficients see
a unit only through its category counts ``n_i`` (Fleiss, Brennan-Prediger, AC1/AC2, alpha,
percent and specific agreement), and with ``R`` readers and ``k`` categories there are at most
``(R + 1)^k`` distinct count vectors -- 36 for 5 readers and a binary finding. So the sum over
a million units is the frequency-weighted sum over the count patterns that occur: one pass
that encodes each unit's counts as an integer, one ``bincount``, and the per-unit formula on a
few dozen patterns. Rater-specific coefficients use per-rater category counts (Conger) or one
float32 Gram matrix of one-hot reads per block of units, exact for counts below 2^24 (Cohen,
Light). Blocks of units bound the memory.

Analytic standard errors use the units' linearized contributions ``psi_i`` (Gwet 2014's
``kappa*_i - kappa``): the variance is the sandwich ``C/(C-1) sum_c (sum_{i in c} psi_i)^2 /
n^2`` over clusters ``c``, which for independent units is Gwet's ``sum_i psi_i^2 / (n (n-1))``.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd
from scipy import sparse

from ..ratings import MISSING, Ratings
from . import terms

__all__ = [
    "STATISTICS", "Patterns", "SumStatistic", "chunk_slices", "code_patterns", "count_patterns",
    "sum_statistic",
]

_CHUNK_ELEMENTS = 1 << 22
"""About this many values per block of units: bounds memory whatever the data's size."""

_MAX_PATTERNS = 1 << 16
"""Largest ``(R + 1)^k`` for which sums go through count patterns."""


# ============================================================================ blocks, patterns
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


def joint_counts(codes: np.ndarray, n_categories: int) -> np.ndarray:
    """Joint tables of every pair of readers: ``J[f, g, h, k, l]`` units read k by g, l by h.

    One float32 Gram matrix of one-hot reads per block of units (exact: block counts stay
    far below 2^24), accumulated in float64.
    """
    u, n_readers, f = codes.shape
    k = n_categories
    out = np.zeros((f, n_readers * k, n_readers * k))
    for block in chunk_slices(u, 2 * n_readers * f * max(k, 1)):
        c = np.ascontiguousarray(codes[block].transpose(2, 0, 1))            # (F, c, R)
        x = terms.one_hot(c, k).view(np.uint8).astype(np.float32)            # (F, c, R, k)
        x = x.reshape(f, c.shape[1], n_readers * k)
        out += np.matmul(x.transpose(0, 2, 1), x)
    return out.reshape(f, n_readers, k, n_readers, k).transpose(0, 1, 3, 2, 4)


# ============================================================================ the pair
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
        variance is then the cluster-robust sandwich.
        """
        f = codes.shape[2]
        if clusters is None and self.closed_se is not None:
            return self.closed_se(total) ** 2
        if self.influence is None and self.count_influence is None:
            return np.full(f, np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            found = self.patterns(codes, for_influence=True)
            table = None
            if found is not None:
                psi_p, counted_p = found.evaluate(
                    self.count_influence, self._unit_influence, total)     # (P, F)
                table = np.where(counted_p, psi_p, 0.0), counted_p
                if clusters is None:
                    n = (found.freq * counted_p.T).sum(1)
                    square = (found.freq * table[0].T ** 2).sum(1)
                    return np.where(n > 1, square / (n * (n - 1)), np.nan)
            u = codes.shape[0]
            psi = np.zeros((u, f))
            counted = np.zeros((u, f), bool)
            for block in chunk_slices(u, 4 * codes.shape[1] * f + 4 * f * self.width):
                if table is None:
                    psi[block], counted[block] = self._unit_influence(codes[block], total)
                else:   # look each unit's pattern up
                    col = found.lookup[found.encode(codes[block])]
                    psi[block] = np.take_along_axis(table[0], col, 0)
                    counted[block] = np.take_along_axis(table[1], col, 0)
            psi[~counted] = 0.0
            n = counted.sum(0)
            if clusters is None:
                return np.where(n > 1, (psi**2).sum(0) / (n * (n - 1)), np.nan)
            cluster_of, uniques = pd.factorize(np.asarray(clusters))
            member = sparse.csr_matrix((np.ones(u), (cluster_of, np.arange(u))),
                                       shape=(len(uniques), u))
            by_cluster = member @ psi
            c = ((member @ counted.astype(np.float64)) > 0).sum(0)
            return np.where(c > 1, c / (c - 1) * (by_cluster**2).sum(0) / n**2, np.nan)


def _from_counts(count_stats: Callable, n_categories: int) -> Callable:
    def unit_stats(codes: np.ndarray) -> np.ndarray:
        return count_stats(terms.category_counts(codes, n_categories))
    return unit_stats


# ============================================================================ design
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
        positive = _positive_index(cats, ratings.positive)
        return cls(n_categories=k, effective=ratings.allowed | used, values=values,
                   positive=positive, negative=_negative_index(cats, positive),
                   n_readers=ratings.n_readers)


def _positive_index(categories: tuple, positive) -> int | None:
    if not categories:
        return None
    if positive is not None and positive in categories:
        return categories.index(positive)
    if "YES" in categories:
        return categories.index("YES")
    return len(categories) - 1


def _negative_index(categories: tuple, positive: int | None) -> int | None:
    if positive is None or len(categories) < 2:
        return None
    if len(categories) == 2:
        return 1 - positive
    if "NO" in categories:
        return categories.index("NO")
    return 0


# ============================================================================ Gwet family
# columns of the per-unit matrix shared by Fleiss, Brennan-Prediger and AC1/AC2: indicators
# of r >= 1 and r >= 2, p_a,i, then 1/(r(r-1)), 1/r (r >= 2), 1/r (r >= 1) for the null SE,
# then the category shares n_ik / r_i.
_READ, _PAIRED, _AGREE, _INV_PAIRS, _INV_R2, _INV_R1, _SHARES = range(7)


def _gwet_count_stats(n_categories: int, weights: np.ndarray | None):
    def count_stats(n: np.ndarray) -> np.ndarray:
        r = n.sum(-1, dtype=np.float64)
        out = np.empty((*n.shape[:-1], _SHARES + n_categories))
        out[..., _READ] = r >= 1
        out[..., _PAIRED] = r >= 2
        out[..., _AGREE] = terms.unit_observed_agreement(n, weights)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[..., _INV_PAIRS] = np.where(r >= 2, 1.0 / (r * (r - 1)), 0.0)
            out[..., _INV_R2] = np.where(r >= 2, 1.0 / r, 0.0)
            out[..., _INV_R1] = np.where(r >= 1, 1.0 / r, 0.0)
        out[..., _SHARES:] = terms.category_shares(n)
        return out
    return count_stats


def _gwet_parts(total: np.ndarray):
    """``n`` (units read), ``n2`` (units read twice or more), ``p_a``, ``pi`` from sums."""
    n1, n2 = total[..., _READ], total[..., _PAIRED]
    with np.errstate(invalid="ignore", divide="ignore"):
        pa = total[..., _AGREE] / n2
        pi = total[..., _SHARES:] / n1[..., None]
    return n1, n2, pa, pi


def _gwet_statistic(name, label, design: Design, weight_kind, chance: str) -> SumStatistic:
    """Fleiss' kappa, Brennan-Prediger or Gwet's AC1/AC2: same p_a and pi, different p_e."""
    k, eff = design.n_categories, design.effective
    w = terms.agreement_weights(weight_kind, eff)
    unit_w = None if weight_kind in (None, "identity") else w
    count_stats = _gwet_count_stats(k, unit_w)

    def chance_of(pi):
        if chance == "fleiss":
            return terms.fleiss_chance_agreement(pi, w)
        if chance == "gwet":
            return terms.gwet_chance_agreement(pi, w, eff)
        return np.broadcast_to(terms.brennan_prediger_chance_agreement(w, eff), pi.shape[:-1])

    def components(total):
        n1, n2, pa, pi = _gwet_parts(total)
        pe = chance_of(pi)
        return {"observed": pa, "chance": pe, "n_pairable": n2, "n_read": n1,
                "q": eff.sum(-1), "coefficient": terms.chance_corrected(pa, pe)}

    def finalize(total):
        _n1, _n2, pa, pi = _gwet_parts(total)
        return terms.chance_corrected(pa, chance_of(pi))

    def unit_chance(shares, pi):
        """Gwet's p_e|i: the chance term each unit contributes (2014, sections 5.3-5.4)."""
        if chance == "fleiss":
            return np.einsum("...fk,fk->...f", shares, np.einsum("fkl,fl->fk", w, pi))
        if chance == "gwet":
            total_w, q = terms.weight_total(w, eff)
            with np.errstate(invalid="ignore", divide="ignore"):
                factor = total_w / (q * (q - 1))
            return factor * np.einsum("...fk,fk->...f", shares, 1 - pi)
        return None

    def count_influence(n, total):
        """``kappa*_i - kappa`` of Gwet (2014, eq. 5.12 and its AC1/BP analogues)."""
        n1, n2, pa, pi = _gwet_parts(total)
        pe = chance_of(pi)
        coef = terms.chance_corrected(pa, pe)
        s = count_stats(n)
        with np.errstate(invalid="ignore", divide="ignore"):
            psi = (n1 / n2) * (s[..., _AGREE] - pe * s[..., _PAIRED]) / (1 - pe) - coef
            pe_i = unit_chance(s[..., _SHARES:], pi)
            if pe_i is not None:
                psi = psi - 2 * (1 - coef) * (pe_i - pe) / (1 - pe)
        return psi, s[..., _READ] > 0

    def null_se(total):
        """SE under H0 (all reads independent draws from pi), any number of reads per unit.

        The delta method on ``kappa = (p_a - sum pi^2) / (1 - sum pi^2)`` at kappa = 0: unit
        ``i`` contributes ``a_i / n2 - 2 sum_k pi_k n_ik / (r_i n)``, whose variance under
        the multinomial null follows from U-statistic moments with ``z1 = S3 - S2^2``,
        ``z2 = S2 - S2^2`` (``S_m = sum pi^m``). With the same number ``m`` of reads for
        every unit it is Fleiss, Nee & Landis (1979):
        ``2 (S2 + S2^2 - 2 S3) / (n m (m - 1) (1 - S2)^2)``.
        """
        n1, n2, _pa, pi = _gwet_parts(total)
        s2, s3 = (pi**2).sum(-1), (pi**3).sum(-1)
        z1, z2 = s3 - s2**2, s2 - s2**2
        c1, c2, c3 = total[..., _INV_PAIRS], total[..., _INV_R2], total[..., _INV_R1]
        with np.errstate(invalid="ignore", divide="ignore"):
            var = ((4 * z1 * (c2 - c1) + 2 * z2 * c1) / n2**2 - 8 * z1 * c2 / (n1 * n2)
                   + 4 * z1 * c3 / n1**2) / (1 - s2) ** 2
        defined = ~np.isnan(finalize(total))
        return np.where(defined & (var >= 0), np.sqrt(np.abs(var)), np.nan)

    return SumStatistic(
        name=name, label=label, unit_stats=_from_counts(count_stats, k), finalize=finalize,
        components=components, n_categories=k, count_stats=count_stats,
        count_influence=count_influence,
        null_se=null_se if (chance == "fleiss" and unit_w is None) else None,
        width=_SHARES + k)


def _percent_agreement(design: Design) -> SumStatistic:
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

    return SumStatistic("percent_agreement", "Percent agreement", _from_counts(count_stats, k),
                        finalize, components, n_categories=k, count_stats=count_stats,
                        count_influence=count_influence, width=2)


def _specific_agreement(design: Design, category: int | None, name: str,
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

    return SumStatistic(name, label, _from_counts(count_stats, k), finalize, components,
                        n_categories=k, count_stats=count_stats, width=3)


# ============================================================================ Conger
def _conger(design: Design, weight_kind) -> SumStatistic:
    k, r_all = design.n_categories, design.n_readers
    w = terms.agreement_weights(weight_kind, design.effective)
    unit_w = None if weight_kind in (None, "identity") else w
    head = 3  # read, paired, agreement: then each rater's one-hot read

    def head_stats(n):
        r = n.sum(-1)
        return np.stack([r >= 1, r >= 2, terms.unit_observed_agreement(n, unit_w)], -1)

    def unit_stats(codes):
        n = terms.category_counts(codes, k)
        x = terms.one_hot(codes, k)                          # (u, R, F, k)
        out = np.empty((*n.shape[:2], head + r_all * k))
        out[..., :head] = head_stats(n)
        out[..., head:] = x.transpose(0, 2, 1, 3).reshape((*n.shape[:2], r_all * k))
        return out

    head_only = SumStatistic("", "", _from_counts(head_stats, k), None, None,
                             n_categories=k, count_stats=head_stats, width=head)

    def fast_sums(codes):
        by_rater = np.zeros((r_all, codes.shape[2], k))                  # (R, F, k)
        for c in range(k):  # categories, not units
            by_rater[..., c] = (codes == c).sum(0)
        rater_part = by_rater.transpose(1, 0, 2).reshape(codes.shape[2], r_all * k)
        return np.concatenate([head_only.sums(codes), rater_part.astype(np.float64)], -1)

    def parts(total):
        n1, n2 = total[..., 0], total[..., 1]
        with np.errstate(invalid="ignore", divide="ignore"):
            pa = total[..., 2] / n2
        counts = total[..., head:].reshape((*total.shape[:-1], r_all, k))
        return n1, n2, pa, counts

    def finalize(total):
        _n1, _n2, pa, counts = parts(total)
        return terms.chance_corrected(pa, terms.conger_chance_agreement(counts, w))

    def components(total):
        n1, n2, pa, counts = parts(total)
        pe = terms.conger_chance_agreement(counts, w)
        return {"observed": pa, "chance": pe, "n_pairable": n2, "n_read": n1,
                "n_raters": (counts.sum(-1) > 0).sum(-1),
                "coefficient": terms.chance_corrected(pa, pe)}

    def influence(codes, total):
        """Gwet (2014, section 5.4; irrCAC ``conger.kappa.raw``) linearization."""
        n1, n2, pa, counts = parts(total)
        pe = terms.conger_chance_agreement(counts, w)
        coef = terms.chance_corrected(pa, pe)
        n_g = counts.sum(-1)                                  # (F, R) units read by rater g
        with np.errstate(invalid="ignore", divide="ignore"):
            p = np.where(n_g[..., None] > 0, counts / n_g[..., None], 0.0)   # (F, R, k)
            active = n_g > 0
            r = active.sum(-1).astype(np.float64)                             # (F,)
            pbar = p.sum(-2) / r[:, None]                                      # (F, k)
            # h_gl = 2 sum_k w_kl (r pbar_k - p_gk) / (r (r - 1)), times n / n_g
            h = 2 * np.einsum("fkl,fgk->fgl", w, r[:, None, None] * pbar[:, None, :] - p)
            scale = np.where(active, n1[:, None] / n_g, 0.0) / (r * (r - 1))[:, None]
            h = np.nan_to_num(h * scale[..., None])
        # each read l of rater g adds h_gl - sum_l' p_gl' h_gl' (a missing read adds 0)
        per_read = (h - (p * h).sum(-1, keepdims=True)).transpose(1, 0, 2)     # (R, F, k)
        d_pe = np.zeros((codes.shape[0], codes.shape[2]))
        for c in range(k):  # categories, not units or raters
            d_pe += np.einsum("ugf,gf->uf", (codes == c).view(np.uint8), per_read[..., c])
        s = head_stats(terms.category_counts(codes, k))
        with np.errstate(invalid="ignore", divide="ignore"):
            psi = ((n1 / n2) * (s[..., 2] - pe * s[..., 1]) / (1 - pe) - coef
                   - (1 - coef) * d_pe / (1 - pe))
        return psi, s[..., 0] > 0

    label = "Conger's kappa" + ("" if unit_w is None else f" ({weight_kind} weights)")
    return SumStatistic("conger_kappa" + _suffix(weight_kind), label, unit_stats, finalize,
                        components, n_categories=k, influence=influence, fast_sums=fast_sums,
                        width=head + r_all * k)


# ============================================================================ pairs
def reader_pairs(codes: np.ndarray) -> np.ndarray:
    """``(P, 2)`` pairs ``g < h`` of readers who read at least one unit in common."""
    together = np.zeros((codes.shape[1], codes.shape[1]))
    for block in chunk_slices(codes.shape[0], codes.shape[1] * codes.shape[2]):
        seen = (codes[block] != MISSING).any(axis=2).astype(np.float32)   # (c, R)
        together += seen.T @ seen
    g, h = np.nonzero(np.triu(together > 0, 1))
    return np.stack([g, h], 1)


def _pair_unit_stats(pairs: np.ndarray, n_categories: int):
    k = n_categories
    a, b = pairs[:, 0], pairs[:, 1]

    def unit_stats(codes):
        ca = codes[:, a, :].astype(np.int16)                 # (u, P, F)
        cb = codes[:, b, :].astype(np.int16)
        cell = np.where((ca >= 0) & (cb >= 0), ca * k + cb, -1).transpose(0, 2, 1)  # (u, F, P)
        onehot = terms.one_hot(cell, k * k).astype(np.float64)
        return onehot.reshape((*cell.shape[:2], cell.shape[2] * k * k))
    return unit_stats


def _pair_sums(pairs: np.ndarray, n_categories: int):
    def fast_sums(codes):
        joint = joint_counts(codes, n_categories)            # (F, R, R, k, k)
        picked = joint[:, pairs[:, 0], pairs[:, 1]]          # (F, P, k, k)
        return picked.reshape(codes.shape[2], -1)
    return fast_sums


def _pairwise_kappas(total, n_pairs, k, w):
    joint = total.reshape((*total.shape[:-1], n_pairs, k, k))
    return terms.joint_table_kappa(joint, w[:, None])


def _cohen(design: Design, pair: tuple[int, int], weight_kind) -> SumStatistic:
    k = design.n_categories
    w = terms.agreement_weights(weight_kind, design.effective)
    pairs = np.array([pair])

    def finalize(total):
        return _pairwise_kappas(total, 1, k, w)[0][..., 0]

    def components(total):
        kappa, _se, _se0, po, pe = _pairwise_kappas(total, 1, k, w)
        return {"observed": po[..., 0], "chance": pe[..., 0], "n_pairable": total.sum(-1),
                "coefficient": kappa[..., 0]}

    def closed_se(total):
        return _pairwise_kappas(total, 1, k, w)[1][..., 0]

    def null_se(total):
        return _pairwise_kappas(total, 1, k, w)[2][..., 0]

    def influence(codes, total):
        """Fleiss-Cohen-Everitt linearization: its sandwich without clusters is their SE."""
        kappa, _, _, _po, pe = (v[..., 0] for v in _pairwise_kappas(total, 1, k, w))
        joint = total.reshape((*total.shape[:-1], k, k))
        n = joint.sum((-1, -2))
        with np.errstate(invalid="ignore", divide="ignore"):
            row, col = joint.sum(-1) / n[:, None], joint.sum(-2) / n[:, None]
        w_row = np.einsum("fkl,fl->fk", w, col)
        w_col = np.einsum("fkl,fk->fl", w, row)
        cell = _pair_unit_stats(pairs, k)(codes).reshape(codes.shape[0], -1, k, k)
        with np.errstate(invalid="ignore", divide="ignore"):
            per_cell = (w - (w_row[:, :, None] + w_col[:, None, :]) * (1 - kappa)[:, None, None]
                        - (kappa - pe * (1 - kappa))[:, None, None]) / (1 - pe)[:, None, None]
        psi = np.einsum("ufkl,fkl->uf", cell, np.nan_to_num(per_cell))
        psi = np.where(np.isnan(kappa), np.nan, psi)
        return psi, cell.sum((-1, -2)) > 0

    label = "Cohen's kappa" + ("" if weight_kind in (None, "identity")
                               else f" ({weight_kind} weights)")
    return SumStatistic("cohen_kappa" + _suffix(weight_kind), label, _pair_unit_stats(pairs, k),
                        finalize, components, n_categories=k, influence=influence,
                        closed_se=closed_se, null_se=null_se, fast_sums=_pair_sums(pairs, k),
                        width=k * k)


def _light(design: Design, pairs: np.ndarray, weight_kind) -> SumStatistic:
    k, n_pairs = design.n_categories, len(pairs)
    w = terms.agreement_weights(weight_kind, design.effective)

    def finalize(total):
        kappa = _pairwise_kappas(total, n_pairs, k, w)[0]
        defined = ~np.isnan(kappa)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (np.where(defined, kappa, 0).sum(-1)
                    / np.where(defined.any(-1), defined.sum(-1), np.nan))

    def components(total):
        kappa = _pairwise_kappas(total, n_pairs, k, w)[0]
        joint_n = total.reshape((*total.shape[:-1], n_pairs, k * k)).sum(-1)
        return {"coefficient": finalize(total), "n_pairs": np.isfinite(kappa).sum(-1),
                "n_pairs_total": (joint_n > 0).sum(-1), "pair_kappas": kappa}

    label = "Light's kappa" + ("" if weight_kind in (None, "identity")
                               else f" ({weight_kind} weights)")
    return SumStatistic("light_kappa" + _suffix(weight_kind), label, _pair_unit_stats(pairs, k),
                        finalize, components, n_categories=k, fast_sums=_pair_sums(pairs, k),
                        width=max(n_pairs, 1) * k * k)


# ============================================================================ alpha
def _krippendorff(design: Design, level: str) -> SumStatistic:
    k = design.n_categories
    values = design.values
    kk = k * k  # columns: coincidences o_kl, then the pairable-unit indicator

    def count_stats(n):
        out = np.empty((*n.shape[:-1], kk + 1))
        out[..., :kk] = terms.coincidences(n).reshape((*n.shape[:-1], kk))
        out[..., kk] = n.sum(-1) >= 2
        return out

    def coincidence_matrix(total):
        return total[..., :kk].reshape((*total.shape[:-1], k, k))

    def finalize(total):
        return terms.krippendorff_alpha_from_coincidences(coincidence_matrix(total), level,
                                                          values)[0]

    def components(total):
        o = coincidence_matrix(total)
        alpha, d_o, d_e = terms.krippendorff_alpha_from_coincidences(o, level, values)
        return {"observed_disagreement": d_o, "expected_disagreement": d_e,
                "n_values": o.sum((-1, -2)), "n_pairable": total[..., kk], "coefficient": alpha}

    # Gwet's (2014, section 3.5; irrCAC krippen.alpha.raw) variance, in agreement weights
    # w = 1 - delta^2 / max(delta^2): defined for the nominal and interval metrics, whose
    # distances do not depend on the data (the ordinal metric does; use the bootstrap).
    if level == "nominal":
        w = np.eye(k)
    else:
        d2 = terms.disagreement_distances("interval", np.zeros(k), values)
        w = 1 - d2 / d2.max() if k > 1 and d2.max() > 0 else np.eye(k)

    def count_influence(n, total):
        o = coincidence_matrix(total)                          # (F, k, k)
        n_k = o.sum(-1)
        big_n = n_k.sum(-1)                                    # pairable values
        n2 = total[..., kk]                                    # pairable units
        with np.errstate(invalid="ignore", divide="ignore"):
            rbar = big_n / n2
            pa_prime = np.einsum("fkl,kl->f", o, w) / big_n
            pa = (1 - 1 / big_n) * pa_prime + 1 / big_n
            pi = n_k / big_n[:, None]
            pe = np.einsum("fk,kl,fl->f", pi, w, pi)
            alpha_prime = (pa_prime - pe) / (1 - pe)
            n = n.astype(np.float64)
            r = n.sum(-1)
            excess = (r - rbar) / rbar
            pa_i = np.einsum("...fkl,kl->...f", terms.coincidences(n), w) / rbar - pa * excess
            pe_i = np.einsum("...fk,fk->...f", n, pi @ w) / rbar - pe * excess
            kappa_i = (pa_i - pe) / (1 - pe)
            psi = kappa_i - 2 * (1 - alpha_prime) * (pe_i - pe) / (1 - pe) - alpha_prime
        return psi, r >= 2

    name = "krippendorff_alpha" + ("" if level == "nominal" else f"_{level}")
    label = f"Krippendorff's alpha ({level})"
    return SumStatistic(name, label, _from_counts(count_stats, k), finalize, components,
                        n_categories=k, count_stats=count_stats,
                        count_influence=None if level == "ordinal" else count_influence,
                        width=kk + 1)


def _specific(design: Design, which: str) -> SumStatistic:
    category = design.positive if which == "positive" else design.negative
    return _specific_agreement(design, category, f"{which}_agreement",
                               f"{which.capitalize()} specific agreement")


def _suffix(weight_kind) -> str:
    return "" if weight_kind in (None, "identity") else f"_{weight_kind}"


# ============================================================================ registry
def _make_gwet(ratings: Ratings, *, name: str, label: str, weights, chance: str):
    return _gwet_statistic(name, label, Design.of(ratings), weights, chance)


def _make_conger(ratings: Ratings, *, weights):
    return _conger(Design.of(ratings), weights)


def _make_light(ratings: Ratings, *, weights):
    return _light(Design.of(ratings), reader_pairs(ratings.codes), weights)


def _make_alpha(ratings: Ratings, *, level: str):
    return _krippendorff(Design.of(ratings), level)


def _make_percent(ratings: Ratings):
    return _percent_agreement(Design.of(ratings))


def _make_specific(ratings: Ratings, *, which: str):
    return _specific(Design.of(ratings), which)


def _registry() -> dict[str, Callable[[Ratings], SumStatistic]]:
    reg: dict[str, Callable[[Ratings], SumStatistic]] = {
        "percent_agreement": _make_percent,
        "positive_agreement": partial(_make_specific, which="positive"),
        "negative_agreement": partial(_make_specific, which="negative"),
    }
    for wk in (None, "linear", "quadratic"):
        sfx, extra = _suffix(wk), ("" if wk is None else f" ({wk} weights)")
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
