"""Properties of the agreement coefficients on random data (hypothesis).

- invariance to permuting units (every statistic), to permuting raters (every statistic here
  is symmetric in the raters, Conger's and Cohen's included), and to relabeling categories
  (the nominal statistics; specific agreement follows its category);
- agreement with peers on arbitrary data: the ``krippendorff`` package (nominal, ordinal,
  interval, with missing values), statsmodels ``fleiss_kappa`` (complete data), scikit-learn
  ``cohen_kappa_score`` (every pair);
- the bootstrap contract: ``finalize(w @ S)`` is the statistic of the data with unit ``i``
  repeated ``w_i`` times;
- ranges: kappa-type coefficients at most 1, proportions in [0, 1].
"""

from __future__ import annotations

import itertools
import warnings

import krippendorff
import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as hs
from hypothesis.extra import numpy as hnp
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from adjudicate import Ratings, pairwise_kappa, specific_agreement
from adjudicate.agreement import STATISTICS, sum_statistic

NOMINAL = ["percent_agreement", "fleiss_kappa", "conger_kappa", "light_kappa",
           "brennan_prediger", "gwet_ac1", "krippendorff_alpha"]
CLOSE = {"rtol": 1e-9, "atol": 1e-12}


@hs.composite
def reads(draw, complete=False, min_categories=2):
    """codes (units, raters) with -1 = missing, and the number of categories."""
    k = draw(hs.integers(min_categories, 4))
    u = draw(hs.integers(2, 25))
    r = draw(hs.integers(2, 5))
    low = 0 if complete else -1
    codes = draw(hnp.arrays(np.int8, (u, r), elements=hs.integers(low, k - 1)))
    return codes, k


def ratings(codes: np.ndarray, k: int) -> Ratings:
    u, r = codes.shape[:2]
    codes = codes if codes.ndim == 3 else codes[:, :, None]
    return Ratings(codes=codes, categories=tuple(range(k)), units=pd.RangeIndex(u),
                   readers=pd.RangeIndex(r), findings=pd.RangeIndex(codes.shape[2]))


def values(codes: np.ndarray, k: int, names=STATISTICS) -> dict[str, float]:
    r = ratings(codes, k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {n: float(sum_statistic(n, r).finalize(sum_statistic(n, r).sums(r.codes))[0])
                for n in names}


def same(a: dict, b: dict):
    for name, value in a.items():
        np.testing.assert_allclose(value, b[name], equal_nan=True, err_msg=name, **CLOSE)


@settings(max_examples=60, deadline=None)
@given(reads(), hs.randoms(use_true_random=False))
def test_invariant_to_permuting_units_and_raters(data, rnd):
    codes, k = data
    base = values(codes, k)
    units = list(range(codes.shape[0]))
    raters = list(range(codes.shape[1]))
    rnd.shuffle(units)
    rnd.shuffle(raters)
    same(base, values(codes[units], k))
    same(base, values(codes[:, raters], k))


@settings(max_examples=60, deadline=None)
@given(reads(), hs.randoms(use_true_random=False))
def test_nominal_statistics_invariant_to_relabeling_categories(data, rnd):
    codes, k = data
    perm = list(range(k))
    rnd.shuffle(perm)
    lut = np.array(perm + [-1], np.int8)          # index -1 keeps missing reads missing
    relabeled = lut[codes]
    same(values(codes, k, NOMINAL), values(relabeled, k, NOMINAL))
    # unweighted pairwise kappas do not care either
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = pairwise_kappa(np.where(codes < 0, np.nan, codes), categories=list(range(k)))
        b = pairwise_kappa(np.where(relabeled < 0, np.nan, relabeled), categories=list(range(k)))
        np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), equal_nan=True, **CLOSE)
        # specific agreement follows its category
        c = int(rnd.randrange(k))
        x, y = np.where(codes < 0, np.nan, codes), np.where(relabeled < 0, np.nan, relabeled)
        np.testing.assert_allclose(
            specific_agreement(x, c, categories=list(range(k))).statistic,
            specific_agreement(y, perm[c], categories=list(range(k))).statistic,
            equal_nan=True, **CLOSE)


@settings(max_examples=60, deadline=None)
@given(reads())
def test_krippendorff_alpha_matches_krippendorff_package(data):
    codes, k = data
    counts = np.stack([(codes == c).sum(1) for c in range(k)], axis=1)
    pairable = counts.sum(1) >= 2
    n_k = counts[pairable].sum(0)
    assume(pairable.any() and (n_k > 0).sum() >= 2)   # the package raises otherwise
    got = values(codes, k, ["krippendorff_alpha", "krippendorff_alpha_ordinal",
                            "krippendorff_alpha_interval"])
    for level, name in (("nominal", "krippendorff_alpha"),
                        ("ordinal", "krippendorff_alpha_ordinal"),
                        ("interval", "krippendorff_alpha_interval")):
        ref = krippendorff.alpha(value_counts=counts, value_domain=list(range(k)),
                                 level_of_measurement=level)
        np.testing.assert_allclose(got[name], ref, err_msg=level, **CLOSE)


@settings(max_examples=60, deadline=None)
@given(reads(complete=True))
def test_complete_data_match_statsmodels_and_sklearn(data):
    codes, k = data
    counts = np.stack([(codes == c).sum(1) for c in range(k)], axis=1)
    got = values(codes, k, ["fleiss_kappa", "brennan_prediger", "light_kappa"])
    with np.errstate(invalid="ignore", divide="ignore"):
        ref = sm_fleiss_kappa(counts)
    if np.isfinite(ref) and abs(1 - (counts.sum(0) / counts.sum()) @ (counts.sum(0) / counts.sum())) > 1e-12:
        np.testing.assert_allclose(got["fleiss_kappa"], ref, **CLOSE)
    else:
        assert np.isnan(got["fleiss_kappa"])      # one category: undefined, not 0 or 1
    np.testing.assert_allclose(got["brennan_prediger"],
                               sm_fleiss_kappa(counts, method="randolph"), **CLOSE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pairs = [cohen_kappa_score(codes[:, g], codes[:, h], labels=list(range(k)))
                 for g, h in itertools.combinations(range(codes.shape[1]), 2)]
    defined = [p for p in pairs if np.isfinite(p)]
    np.testing.assert_allclose(got["light_kappa"], np.mean(defined) if defined else np.nan,
                               equal_nan=True, **CLOSE)


@settings(max_examples=40, deadline=None)
@given(reads(), hs.data())
def test_weighted_sums_are_resampled_data(data, draw):
    codes, k = data
    u = codes.shape[0]
    w = np.array(draw.draw(hs.lists(hs.integers(0, 3), min_size=u, max_size=u)))
    assume(w.sum() > 0)
    r = ratings(codes, k)
    resampled = ratings(np.repeat(codes, w, axis=0), k)
    for name in STATISTICS:
        stat = sum_statistic(name, r)
        if name.startswith("light"):   # Light's kappa keeps the pairs of the original data
            direct = stat.finalize(stat.sums(resampled.codes))
        else:
            other = sum_statistic(name, resampled)
            direct = other.finalize(other.sums(resampled.codes))
        weighted = stat.finalize(np.tensordot(w.astype(float), stat.unit_stats(r.codes), axes=1))
        np.testing.assert_allclose(weighted, direct, equal_nan=True, err_msg=name, **CLOSE)


@settings(max_examples=60, deadline=None)
@given(reads())
def test_ranges(data):
    codes, k = data
    got = values(codes, k)
    for name, v in got.items():
        if np.isnan(v):
            continue
        assert v <= 1 + 1e-12, name
        if name in ("percent_agreement", "positive_agreement", "negative_agreement"):
            assert v >= -1e-12, name


def test_relabeling_changes_ordinal_statistics():
    # a control for the invariance test: ordinal statistics must see the order
    codes = np.array([[0, 1], [1, 2], [2, 2], [0, 0], [1, 0]], np.int8)
    swapped = np.array([0, 2, 1, -1], np.int8)[codes]
    a = values(codes, 3, ["krippendorff_alpha_ordinal", "gwet_ac2_quadratic"])
    b = values(swapped, 3, ["krippendorff_alpha_ordinal", "gwet_ac2_quadratic"])
    for name in a:
        assert a[name] != pytest.approx(b[name])
