"""Cohen's kappa, pairwise kappas and Light's kappa: coefficients of reader pairs' joint tables."""

from __future__ import annotations

import numpy as np

from ..ratings import MISSING
from . import terms
from .design import Design
from .patterns import chunk_slices
from .statistic import SumStatistic, weight_suffix

__all__ = ["cohen_statistic", "joint_counts", "light_statistic", "reader_pairs"]


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


def reader_pairs(codes: np.ndarray) -> np.ndarray:
    """``(P, 2)`` pairs ``g < h`` of readers who read at least one unit in common."""
    n_readers = codes.shape[1]
    together = np.zeros((n_readers, n_readers))
    upper = np.triu(np.ones((n_readers, n_readers), bool), 1)
    head, rest = codes[:1024], codes[1024:]
    for part in (head, rest):   # the first units usually hold every pair: the rest is not read
        if part is rest and (together > 0)[upper].all():
            break
        for block in chunk_slices(part.shape[0], n_readers * codes.shape[2]):
            seen = (part[block] != MISSING).any(axis=2).astype(np.float32)   # (c, R)
            together += seen.T @ seen
    g, h = np.nonzero((together > 0) & upper)
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


def _pair_kappas(total, n_pairs, k, w):
    """Only the kappas (:func:`terms.joint_kappa`): Light's finalize runs on every replicate
    and jackknife row, where the standard errors of ``joint_table_kappa`` cost 4x the kappas."""
    joint = total.reshape((*total.shape[:-1], n_pairs, k, k))
    return terms.joint_kappa(joint, w[:, None], kappa_only=True)


def cohen_statistic(design: Design, pair: tuple[int, int], weight_kind) -> SumStatistic:
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
    return SumStatistic("cohen_kappa" + weight_suffix(weight_kind), label, _pair_unit_stats(pairs, k),
                        finalize, components, n_categories=k, influence=influence,
                        closed_se=closed_se, null_se=null_se, fast_sums=_pair_sums(pairs, k),
                        width=k * k)


def light_statistic(design: Design, pairs: np.ndarray, weight_kind) -> SumStatistic:
    k, n_pairs = design.n_categories, len(pairs)
    w = terms.agreement_weights(weight_kind, design.effective)

    def finalize(total):
        kappa = _pair_kappas(total, n_pairs, k, w)
        defined = ~np.isnan(kappa)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (np.where(defined, kappa, 0).sum(-1)
                    / np.where(defined.any(-1), defined.sum(-1), np.nan))

    def components(total):
        kappa = _pair_kappas(total, n_pairs, k, w)
        joint_n = total.reshape((*total.shape[:-1], n_pairs, k * k)).sum(-1)
        return {"coefficient": finalize(total), "n_pairs": np.isfinite(kappa).sum(-1),
                "n_pairs_total": (joint_n > 0).sum(-1), "pair_kappas": kappa}

    label = "Light's kappa" + ("" if weight_kind in (None, "identity")
                               else f" ({weight_kind} weights)")
    return SumStatistic("light_kappa" + weight_suffix(weight_kind), label, _pair_unit_stats(pairs, k),
                        finalize, components, n_categories=k, fast_sums=_pair_sums(pairs, k),
                        width=max(n_pairs, 1) * k * k)

