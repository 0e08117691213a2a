"""Krippendorff's alpha (nominal, ordinal, interval) from coincidences."""

from __future__ import annotations

import numpy as np

from . import terms
from .design import Design
from .statistic import SumStatistic, from_counts

__all__ = ["krippendorff_statistic"]


def krippendorff_statistic(design: Design, level: str) -> SumStatistic:
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
    return SumStatistic(name, label, from_counts(count_stats, k), finalize, components,
                        n_categories=k, count_stats=count_stats,
                        count_influence=None if level == "ordinal" else count_influence,
                        width=kk + 1)

