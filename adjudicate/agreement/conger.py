"""Conger's kappa: chance agreement from each rater's own category distribution."""

from __future__ import annotations

import numpy as np

from . import terms
from .design import Design
from .statistic import SumStatistic, from_counts, weight_suffix

__all__ = ["conger_statistic"]


def conger_statistic(design: Design, weight_kind) -> SumStatistic:
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

    head_only = SumStatistic("", "", from_counts(head_stats, k), None, None,
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
    return SumStatistic("conger_kappa" + weight_suffix(weight_kind), label, unit_stats, finalize,
                        components, n_categories=k, influence=influence, fast_sums=fast_sums,
                        width=head + r_all * k)

