"""Fleiss' kappa, Brennan-Prediger and Gwet's AC1/AC2: one family, same p_a and pi, different p_e."""

from __future__ import annotations

import numpy as np

from . import terms
from .design import Design
from .statistic import SumStatistic, from_counts

__all__ = ["gwet_family_statistic"]


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


def gwet_family_statistic(name, label, design: Design, weight_kind, chance: str) -> SumStatistic:
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
        name=name, label=label, unit_stats=from_counts(count_stats, k), finalize=finalize,
        components=components, n_categories=k, count_stats=count_stats,
        count_influence=count_influence,
        null_se=null_se if (chance == "fleiss" and unit_w is None) else None,
        width=_SHARES + k)

