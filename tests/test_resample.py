"""Tests of the bootstrap engine against independent sources.

- scipy.stats.bootstrap on a mean, a ratio of sums and a proportion: with the same seed the
  resamples coincide (scipy draws ``rng.integers(0, n, (B, n))``, our documented draw), so
  distributions and intervals must agree to rounding; with different seeds they must agree
  within Monte Carlo error.
- A slow reference loop that rebuilds every resampled data set by concatenating the drawn
  patients and computes kappa with scikit-learn; the same for leave-one-patient-out.
- The BCa formulas of Efron & Tibshirani (1993, eq. 14.10, 14.14, 14.15), written out per output.
- A coverage simulation with a known population kappa, for independent and clustered units.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.stats as st
from hypothesis import given, settings
from hypothesis import strategies as hs
from sklearn.metrics import cohen_kappa_score

import adjudicate
from adjudicate import resample
from adjudicate.resample import (
    BootstrapResult,
    ConfidenceInterval,
    bootstrap_sums,
    bootstrap_weights,
    paired_difference,
)

_RNG_KW = "rng" if "rng" in inspect.signature(st.bootstrap).parameters else "random_state"


def mean_of(x):
    """Per-unit stats of a mean (value, 1) and its finalize."""
    x = np.asarray(x, float)
    return np.c_[x, np.ones_like(x)], ratio


def ratio(s):
    return s[..., 0] / s[..., 1]


# 2x2 cells of two raters' binary reads, in the order (1,1), (1,0), (0,1), (0,0)
def cells(r1, r2):
    """One-hot 2x2 cell of each unit: shape (..., 4)."""
    r1, r2 = np.asarray(r1, bool), np.asarray(r2, bool)
    return np.stack([r1 & r2, r1 & ~r2, ~r1 & r2, ~r1 & ~r2], axis=-1).astype(float)


def kappa_from_cells(c):
    """Cohen's kappa from summed 2x2 cells (..., 4): (p_o - p_e) / (1 - p_e)."""
    p11, p10, p01, p00 = np.moveaxis(c / c.sum(-1, keepdims=True), -1, 0)
    first, second = p11 + p10, p11 + p01
    p_e = first * second + (1 - first) * (1 - second)
    return (p11 + p00 - p_e) / (1 - p_e)


# ------------------------------------------------------------------ weights: properties
@settings(max_examples=60, deadline=None)
@given(n_units=hs.integers(2, 40), n_resamples=hs.integers(1, 30), seed=hs.integers(0, 2**32))
def test_unit_weights_count_each_draw(n_units, n_resamples, seed):
    w = bootstrap_weights(n_units, n_resamples=n_resamples, seed=seed)
    assert w.shape == (n_resamples, n_units)
    assert (w >= 0).all()
    assert (w.sum(axis=1) == n_units).all()  # n_units draws per replicate
    np.testing.assert_array_equal(w, bootstrap_weights(n_units, n_resamples=n_resamples,
                                                       seed=seed))


@settings(max_examples=60, deadline=None)
@given(ids=hs.lists(hs.sampled_from(["p1", "p2", "p3", "p4", "p5", 7, (1, 2)]), min_size=2,
                    max_size=30).filter(lambda ids: len(set(ids)) >= 2),
       seed=hs.integers(0, 2**32))
def test_cluster_weights_constant_within_clusters(ids, seed):
    w = bootstrap_weights(len(ids), clusters=ids, n_resamples=20, seed=seed)
    codes, uniques = pd.factorize(pd.Series(ids, dtype=object))
    for c in range(len(uniques)):
        members = w[:, codes == c]
        assert (members == members[:, :1]).all()
    first = [ids.index(u) for u in uniques]  # one unit per cluster
    assert (w[:, first].sum(axis=1) == len(uniques)).all()  # n_clusters draws per replicate


@settings(max_examples=30, deadline=None)
@given(n_units=hs.integers(2, 30), seed=hs.integers(0, 2**32))
def test_singleton_clusters_are_the_unit_bootstrap(n_units, seed):
    # clusters are numbered in sorted id order (so rows can come in any order): unit i with
    # label of rank k carries the weight of unit k of the plain unit bootstrap
    perm = np.random.default_rng(seed).permutation(n_units)
    labels = [f"u{i:03d}" for i in perm]
    np.testing.assert_array_equal(
        bootstrap_weights(n_units, clusters=labels, n_resamples=15, seed=seed),
        bootstrap_weights(n_units, n_resamples=15, seed=seed)[:, perm])


@settings(max_examples=30, deadline=None)
@given(n_units=hs.integers(3, 25), n_clusters=hs.integers(2, 6), seed=hs.integers(0, 2**32))
def test_bootstrap_sums_is_finalize_of_weights_times_stats(n_units, n_clusters, seed):
    rng = np.random.default_rng(seed)
    stats = rng.integers(1, 5, size=(n_units, 2, 3)).astype(float)
    clusters = np.r_[np.arange(n_clusters), rng.integers(0, n_clusters, n_units)][:n_units]
    if len(set(clusters)) < 2:
        return

    def share(s):
        return s / s.sum(axis=-1, keepdims=True)

    res = bootstrap_sums(stats, share, clusters=clusters, n_resamples=40, seed=seed,
                         method="percentile")
    w = bootstrap_weights(n_units, clusters=clusters, n_resamples=40, seed=seed)
    expected = share(np.einsum("bu,uij->bij", w.astype(float), stats))
    np.testing.assert_allclose(res.distribution, expected, rtol=1e-12)
    np.testing.assert_allclose(res.estimate, share(stats.sum(0)), rtol=1e-12)


def test_block_size_does_not_change_the_numbers(monkeypatch):
    rng = np.random.default_rng(5)
    stats = rng.random((50, 3))
    clusters = rng.integers(0, 20, 50)
    big = bootstrap_sums(stats, lambda s: s[..., 0] / s[..., 2], clusters=clusters,
                         n_resamples=500, seed=9)
    w_big = bootstrap_weights(50, clusters=clusters, n_resamples=500, seed=9)
    monkeypatch.setattr(resample, "_BLOCK_ELEMENTS", 7 * 20)  # blocks of 7 replicates
    small = bootstrap_sums(stats, lambda s: s[..., 0] / s[..., 2], clusters=clusters,
                           n_resamples=500, seed=9)
    np.testing.assert_array_equal(w_big, bootstrap_weights(50, clusters=clusters,
                                                           n_resamples=500, seed=9))
    np.testing.assert_allclose(small.distribution, big.distribution, rtol=1e-14)
    np.testing.assert_allclose(small.jackknife, big.jackknife, rtol=1e-14)


# ------------------------------------------------------------------ against scipy.stats.bootstrap
def scipy_bootstrap(data, statistic, *, seed, **kw):
    return st.bootstrap(data, statistic, **{_RNG_KW: np.random.default_rng(seed)}, **kw)


def _sum_ratio(x, y, axis=-1):
    return x.sum(axis=axis) / y.sum(axis=axis)


_SKEWED = np.random.default_rng(11).lognormal(0.0, 1.0, 25)
_DEN = np.random.default_rng(12).poisson(5, 30) + 1.0
_NUM = _DEN * np.random.default_rng(13).uniform(0.1, 0.9, 30)
_BINARY = (np.random.default_rng(14).random(40) < 0.3).astype(float)

CASES = {
    # name: (our unit stats, our finalize, scipy data, scipy statistic, scipy paired)
    "mean": (np.c_[_SKEWED, np.ones(25)], ratio, (_SKEWED,), np.mean, False),
    "ratio of sums": (np.c_[_NUM, _DEN], ratio, (_NUM, _DEN), _sum_ratio, True),
    "proportion": (np.c_[_BINARY, np.ones(40)], ratio, (_BINARY,), np.mean, False),
}


@pytest.mark.parametrize("method", ["percentile", "BCa"])
@pytest.mark.parametrize("case", CASES)
def test_same_seed_as_scipy_gives_the_same_interval(case, method):
    # scipy draws the resamples as rng.integers(0, n, (n_resamples, n)), which is our
    # documented draw: with the same seed both see identical resamples, so everything,
    # including BCa's z0 (ties count one half in both) and acceleration, agrees to rounding.
    stats, finalize, data, statistic, paired = CASES[case]
    ours = bootstrap_sums(stats, finalize, n_resamples=9999, seed=123, method=method)
    ref = scipy_bootstrap(data, statistic, seed=123, n_resamples=9999, method=method,
                          paired=paired)
    np.testing.assert_allclose(ours.distribution, ref.bootstrap_distribution, rtol=1e-12)
    np.testing.assert_allclose(ours.confidence_interval(), ref.confidence_interval,
                               rtol=1e-12)
    np.testing.assert_allclose(ours.standard_error, ref.standard_error, rtol=1e-10)


def _quantile_mc_se(dist, alpha, delta=0.005):
    """Monte Carlo standard error of the alpha-quantile of B replicates.

    Asymptotic SE of a sample quantile: sqrt(alpha (1 - alpha) / B) / f(q_alpha), with the
    density f estimated by a difference quotient of the quantile function.
    """
    slope = (np.quantile(dist, alpha + delta) - np.quantile(dist, alpha - delta)) / (2 * delta)
    return np.sqrt(alpha * (1 - alpha) / len(dist)) * slope


@pytest.mark.parametrize("case", ["mean", "ratio of sums"])
def test_independent_seeds_agree_with_scipy_within_monte_carlo_error(case):
    # Different seeds: the two intervals differ only by Monte Carlo error. Each percentile
    # endpoint has SE se_q (above); the difference of two independent runs sqrt(2) se_q. A
    # BCa endpoint also carries the noise of z0 (SE ~ sqrt(.25 / B) / phi(z0)), which moves
    # its quantile level by about as much again: SE ~ sqrt(2) se_q per run, 2 se_q for the
    # difference. We allow 5 of those SEs. B = 50,000 keeps that small (a few % of the
    # bootstrap SE) and still below the BCa-vs-percentile gap checked below.
    stats, finalize, data, statistic, paired = CASES[case]
    b = 50_000
    ours = bootstrap_sums(stats, finalize, n_resamples=b, seed=1)
    se_q = np.array([_quantile_mc_se(ours.distribution, a) for a in (0.025, 0.975)])
    for method, tol in (("percentile", 5 * np.sqrt(2) * se_q), ("BCa", 5 * 2 * se_q)):
        ref = scipy_bootstrap(data, statistic, seed=2, n_resamples=b, method=method,
                              paired=paired)
        got = np.array(ours.confidence_interval(method=method))
        assert (np.abs(got - np.array(ref.confidence_interval)) < tol).all(), (method, got)
    if case == "mean":  # right-skewed: a BCa that ignored z0 and a would fail the check above
        pct = np.array(ours.confidence_interval(method="percentile"))
        ref = scipy_bootstrap(data, statistic, seed=2, n_resamples=b, method="BCa")
        assert (np.abs(pct - np.array(ref.confidence_interval)) > 1.5 * 5 * 2 * se_q).all()


# ------------------------------------------------------------------ cluster bootstrap: slow loop
def _clustered_reads(seed=3):
    """Two readers, three findings, 80 images of 35 patients (1 to 4 images each)."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 5, 35)
    patients = np.repeat([f"p{i:03d}" for i in rng.permutation(35)], sizes)
    order = rng.permutation(len(patients))
    patients = patients[order]
    truth = rng.random((len(patients), 3)) < [0.3, 0.5, 0.4]
    r1 = truth ^ (rng.random(truth.shape) < 0.1)
    r2 = truth ^ (rng.random(truth.shape) < 0.2)
    return patients, r1, r2


def _slow_statistic(r1, r2):
    """Per finding: Cohen's kappa (scikit-learn) and the first reader's positive rate."""
    return np.array([[cohen_kappa_score(r1[:, f], r2[:, f]), r1[:, f].mean()]
                     for f in range(r1.shape[1])])


def _fast_statistic(s):
    return np.stack([kappa_from_cells(s), (s[..., 0] + s[..., 1]) / s.sum(-1)], axis=-1)


def test_cluster_bootstrap_matches_a_slow_loop_over_resampled_patients():
    patients, r1, r2 = _clustered_reads()
    res = bootstrap_sums(cells(r1, r2), _fast_statistic, clusters=patients, n_resamples=200,
                         seed=42, method="percentile")
    assert res.clustered and res.n_clusters == 35
    assert res.estimate.shape == (3, 2) and res.distribution.shape == (200, 3, 2)
    np.testing.assert_allclose(res.estimate, _slow_statistic(r1, r2), rtol=1e-12)

    # documented draw: clusters numbered in sorted id order (row order does not matter),
    # one row per replicate
    order = np.unique(patients)
    members = [np.flatnonzero(patients == p) for p in order]
    rng = np.random.default_rng(42)
    slow = []
    for _ in range(200):
        drawn = rng.integers(0, len(order), size=len(order))
        units = np.concatenate([members[c] for c in drawn])
        slow.append(_slow_statistic(r1[units], r2[units]))
    np.testing.assert_allclose(res.distribution, np.array(slow), rtol=1e-12, atol=1e-12)

    # leave-one-patient-out jackknife, for the BCa acceleration at cluster level
    slow_jack = [_slow_statistic(r1[patients != p], r2[patients != p]) for p in order]
    np.testing.assert_allclose(res.jackknife, np.array(slow_jack), rtol=1e-12, atol=1e-12)


def test_bca_interval_follows_the_textbook_formulas_at_cluster_level():
    patients, r1, r2 = _clustered_reads(seed=8)
    res = bootstrap_sums(cells(r1, r2), _fast_statistic, clusters=patients, n_resamples=3000,
                         seed=1, confidence_level=0.9)
    low, high = res.confidence_interval()
    z = st.norm.ppf([0.05, 0.95])
    for f in range(3):
        for k in range(2):
            dist, jack, est = res.distribution[:, f, k], res.jackknife[:, f, k], res.estimate[f, k]
            # Efron & Tibshirani eq. 14.14 (ties count one half, as scipy) and 14.15
            z0 = st.norm.ppf(np.mean(dist < est) + np.mean(dist == est) / 2)
            d = jack.mean() - jack
            a = (d**3).sum() / (6 * ((d**2).sum()) ** 1.5)
            levels = st.norm.cdf(z0 + (z0 + z) / (1 - a * (z0 + z)))  # eq. 14.10
            np.testing.assert_allclose([low[f, k], high[f, k]], np.quantile(dist, levels),
                                       rtol=1e-12)


# ------------------------------------------------------------------ calibration
_POPULATION = np.array([0.3, 0.1, 0.1, 0.5])  # 2x2 cell probabilities (1,1) (1,0) (0,1) (0,0)
# Two kinds of patient, equally likely, whose mixture is _POPULATION: kind A's images are read
# alike by both readers (p_o = 1), kind B's often not (p_o = 0.6). Images of one patient share
# the kind: strongly correlated within patients, same population kappa.
_KIND_A, _KIND_B = np.array([0.5, 0.0, 0.0, 0.5]), np.array([0.1, 0.2, 0.2, 0.5])


def _simulate_cells(rng, n_patients, per_patient, clustered):
    n = n_patients * per_patient
    if clustered:
        kind_a = np.repeat(rng.random(n_patients) < 0.5, per_patient)
        probs = np.where(kind_a[:, None], _KIND_A, _KIND_B)
    else:
        probs = np.broadcast_to(_POPULATION, (n, 4))
    cell = (rng.random(n)[:, None] > np.cumsum(probs, axis=1)).sum(axis=1)
    return np.eye(4)[cell], np.repeat(np.arange(n_patients), per_patient)


def _coverage(clustered, n_datasets=300, seed=2024):
    """Share of 95% intervals (unit and cluster resampling, BCa and percentile) covering kappa."""
    true_kappa = kappa_from_cells(_POPULATION)  # (0.8 - 0.52) / 0.48 = 0.5833
    rng = np.random.default_rng(seed)
    hits = {}
    for _ in range(n_datasets):
        stats, patients = _simulate_cells(rng, 40, 8, clustered)
        for design, clusters in (("unit", None), ("cluster", patients)):
            res = bootstrap_sums(stats, kappa_from_cells, clusters=clusters, n_resamples=999,
                                 seed=rng.integers(2**63))
            for method in ("bca", "percentile"):
                low, high = res.confidence_interval(method=method)
                hits[design, method] = hits.get((design, method), 0) + (low <= true_kappa <= high)
    return {key: count / n_datasets for key, count in hits.items()}


def test_population_kappa_of_the_simulation():
    assert kappa_from_cells(_POPULATION) == pytest.approx((0.8 - 0.52) / 0.48)
    assert kappa_from_cells((_KIND_A + _KIND_B) / 2) == pytest.approx(7 / 12)


def test_intervals_cover_the_population_kappa():
    # 300 independent data sets of 320 images (40 patients x 8): the coverage estimate has a
    # binomial SE of sqrt(.95 * .05 / 300) = 0.0126. We accept [0.90, 0.99]: 4 SE below the
    # nominal 0.95 (bootstrap intervals at this size typically under-cover by a point or so),
    # 3 SE above. Independent images: both resampling designs are valid.
    coverage = _coverage(clustered=False)
    for key, value in coverage.items():
        assert 0.90 <= value <= 0.99, (key, value)


def test_cluster_bootstrap_covers_where_the_unit_bootstrap_does_not():
    # Clustered images: the agreement indicator has an intra-patient correlation of
    # Var(p_o by kind) / Var(agree) = 0.04 / 0.16 = 0.25, so with 8 images per patient the
    # design effect is 1 + 7 * 0.25 = 2.75 and the unit bootstrap's SE is too small by about
    # sqrt(2.75) = 1.66: its 95% interval covers only about P(|Z| < 1.96 / 1.66) = 0.76.
    # Resampling patients restores ~0.95. Bands as above; 0.85 is >3 binomial SEs above 0.76.
    coverage = _coverage(clustered=True)
    for method in ("bca", "percentile"):
        assert 0.90 <= coverage["cluster", method] <= 0.99, coverage
        assert coverage["unit", method] < 0.85, coverage
        assert coverage["cluster", method] - coverage["unit", method] > 0.10, coverage


# ------------------------------------------------------------------ undefined and degenerate
def test_undefined_replicates_are_counted_and_ignored():
    # 12 images: some resamples show one category only, where kappa is 0/0 (undefined)
    r1 = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], bool)
    r2 = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], bool)
    res = bootstrap_sums(cells(r1, r2), kappa_from_cells, n_resamples=4000, seed=0)
    dist = res.distribution
    undefined = np.isnan(dist)
    assert res.n_undefined == undefined.sum() > 0
    assert res.estimate == pytest.approx(cohen_kappa_score(r1, r2))
    np.testing.assert_allclose(res.confidence_interval(method="percentile"),
                               np.nanquantile(dist, [0.025, 0.975]), rtol=1e-12)
    assert res.standard_error == pytest.approx(np.std(dist[~undefined], ddof=1), rel=1e-12)
    low, high = res.confidence_interval(method="bca")
    assert np.nanmin(dist) <= low <= res.estimate <= high <= np.nanmax(dist)


def test_all_replicates_equal_collapse_the_interval():
    # sensitivity when every positive is found: 1.0 in every replicate
    found = np.ones(15)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = bootstrap_sums(np.c_[found, np.ones(15)], ratio, n_resamples=300, seed=0)
        for method in ("bca", "percentile"):
            assert tuple(res.confidence_interval(method=method)) == (1.0, 1.0)
    assert res.standard_error == 0 and res.n_undefined == 0


def test_constant_statistic_in_a_multidimensional_output():
    stats = np.random.default_rng(0).random((20, 2))
    res = bootstrap_sums(stats, lambda s: np.stack([ratio(s), 0 * ratio(s) + 3], -1),
                         n_resamples=500, seed=0)
    low, high = res.confidence_interval()
    assert low.shape == high.shape == (2,)
    assert (low[1], high[1]) == (3.0, 3.0)
    assert low[0] < res.estimate[0] < high[0]


def test_bca_falls_back_to_percentile_when_the_estimate_is_outside_all_replicates():
    # number of distinct units in the sample (a function of per-unit indicator sums): 10 on
    # the data, < 10 in every replicate unless one happens to be a permutation
    res = bootstrap_sums(np.eye(10), lambda s: (s > 0).sum(-1), n_resamples=999, seed=0)
    assert (res.distribution < 10).all()
    with pytest.warns(RuntimeWarning, match="percentile"):
        bca = res.confidence_interval(method="bca")
    assert bca == res.confidence_interval(method="percentile")


def test_undefined_estimate_gives_an_undefined_interval():
    res = bootstrap_sums(np.ones((5, 2)), lambda s: s[..., 0] - s[..., 1] + np.nan,
                         n_resamples=50, seed=0)
    assert np.isnan(res.estimate) and res.n_undefined == 50
    for method in ("bca", "percentile"):
        assert np.isnan(res.confidence_interval(method=method)).all()


def test_quantile_pair_matches_numpy_per_column():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(1001, 6))
    x[rng.random(x.shape) < 0.05] = np.nan
    x[:, 4] = np.nan  # no defined value
    x[:990, 5] = np.nan  # 11 defined values: a wide band of ranks
    uniform = resample._quantile_pair(x, np.full(6, 0.025), np.full(6, 0.975))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN column
        np.testing.assert_allclose(uniform, np.nanquantile(x, [0.025, 0.975], axis=0),
                                   rtol=1e-14)
    q_low, q_high = rng.uniform(0.001, 0.2, 6), rng.uniform(0.7, 0.999, 6)
    low, high = resample._quantile_pair(x, q_low, q_high)
    for j in range(4):
        assert low[j] == np.nanquantile(x[:, j], q_low[j])
        assert high[j] == np.nanquantile(x[:, j], q_high[j])
    assert np.isnan(low[4]) and np.isnan(high[4])


# ------------------------------------------------------------------ results and reproducibility
def test_same_seed_identical_numbers_and_fresh_seed_is_recorded():
    stats, finalize = mean_of(_SKEWED)
    a = bootstrap_sums(stats, finalize, n_resamples=300, seed=7)
    b = bootstrap_sums(stats, finalize, n_resamples=300, seed=7)
    np.testing.assert_array_equal(a.distribution, b.distribution)
    assert a.confidence_interval() == b.confidence_interval()
    c = bootstrap_sums(stats, finalize, n_resamples=300)
    assert isinstance(c.seed, int)
    np.testing.assert_array_equal(
        c.distribution, bootstrap_sums(stats, finalize, n_resamples=300, seed=c.seed).distribution)
    assert not np.array_equal(a.distribution, c.distribution)


def test_result_defaults_and_recomputed_levels():
    stats, finalize = mean_of(_SKEWED)
    res = bootstrap_sums(stats, finalize, n_resamples=2000, seed=0, method="percentile",
                         confidence_level=0.8)
    assert isinstance(res, BootstrapResult)
    assert (res.method, res.confidence_level, res.n_resamples, res.n_clusters, res.clustered,
            res.seed) == ("percentile", 0.8, 2000, 25, False, 0)
    ci = res.confidence_interval()
    assert isinstance(ci, ConfidenceInterval) and isinstance(ci.low, float)
    np.testing.assert_allclose(ci, np.quantile(res.distribution, [0.1, 0.9]), rtol=1e-14)
    np.testing.assert_allclose(res.confidence_interval(0.5),
                               np.quantile(res.distribution, [0.25, 0.75]), rtol=1e-14)
    assert res.standard_error == pytest.approx(np.std(res.distribution, ddof=1), rel=1e-12)
    assert res.distribution.flags.writeable is False


def test_paired_difference_uses_the_same_replicates():
    patients, r1, r2 = _clustered_reads()
    model = r1 ^ (np.random.default_rng(0).random(r1.shape) < 0.1)
    a, b = cells(model, r2), cells(r1, r2)
    options = {"clusters": patients, "n_resamples": 1000, "seed": 5}
    diff = paired_difference(a, kappa_from_cells, b, kappa_from_cells, **options)
    res_a = bootstrap_sums(a, kappa_from_cells, **options)
    res_b = bootstrap_sums(b, kappa_from_cells, **options)
    np.testing.assert_allclose(diff.distribution, res_a.distribution - res_b.distribution,
                               rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(diff.jackknife, res_a.jackknife - res_b.jackknife, atol=1e-14)
    np.testing.assert_allclose(diff.estimate, res_a.estimate - res_b.estimate, atol=1e-15)
    # the two kappas share reader 2 and most of reader 1: positively correlated, so pairing
    # gives a smaller SE than two independent bootstraps would
    unpaired = np.hypot(res_a.standard_error, res_b.standard_error)
    assert (diff.standard_error < 0.8 * unpaired).all()


def test_paired_difference_of_different_stat_shapes():
    rng = np.random.default_rng(1)
    x = rng.random((30, 3))
    diff = paired_difference(x, lambda s: s / s.sum(-1, keepdims=True), x[:, 0], lambda s: s,
                             n_resamples=100, seed=0, method="percentile")
    expected = x.sum(0) / x.sum() - x[:, 0].sum()
    np.testing.assert_allclose(diff.estimate, expected, rtol=1e-12)
    assert diff.distribution.shape == (100, 3)


def test_progress_bar(capsys, monkeypatch):
    stats, finalize = mean_of(_SKEWED)
    bootstrap_sums(stats, finalize, n_resamples=50, seed=0, progress=True)
    assert "50/50 resamples" in capsys.readouterr().err
    bootstrap_sums(stats, finalize, n_resamples=50, seed=0, progress=False)
    bootstrap_sums(stats, finalize, n_resamples=50, seed=0)  # stderr is not a terminal here
    assert capsys.readouterr().err == ""

    class Terminal:
        def __init__(self):
            self.text = ""

        def isatty(self):
            return True

        def write(self, text):
            self.text += text

        def flush(self):
            pass

    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    monkeypatch.delenv("CI", raising=False)
    bootstrap_sums(stats, finalize, n_resamples=50, seed=0)
    assert "50/50" in terminal.text
    terminal.text = ""
    monkeypatch.setenv("CI", "true")
    bootstrap_sums(stats, finalize, n_resamples=50, seed=0)
    assert terminal.text == ""


# ------------------------------------------------------------------ invalid arguments
_X = np.random.default_rng(0).random((6, 2))


@pytest.mark.parametrize("kwargs, match", [
    ({"n_resamples": 0}, "n_resamples"),
    ({"n_resamples": 2.5}, "n_resamples"),
    ({"confidence_level": 1.0}, "confidence_level"),
    ({"confidence_level": 0}, "confidence_level"),
    ({"method": "basic"}, "method"),
    ({"progress": "yes"}, "progress"),
    ({"clusters": [1, 2, 3]}, "one id per unit"),
    ({"clusters": ["a", "b", None, "a", "b", "c"]}, "missing"),
    ({"clusters": ["a"] * 6}, "at least 2 clusters"),
])
def test_invalid_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        bootstrap_sums(_X, ratio, **{"n_resamples": 10, **kwargs})


@pytest.mark.parametrize("stats, finalize, match", [
    (np.r_[_X[:5], [[np.nan, 1.0]]], ratio, "finite"),
    (np.array([["a", "b"]] * 6), ratio, "numeric"),
    (_X[:1], ratio, "at least 2 units"),
    (_X, lambda s: float(np.sum(s)), "not vectorized"),
])
def test_invalid_data(stats, finalize, match):
    with pytest.raises(ValueError, match=match):  # 40: the fewest a 95% interval accepts
        bootstrap_sums(stats, finalize, n_resamples=40)


def test_finalize_must_be_callable():
    with pytest.raises(TypeError, match="callable"):
        bootstrap_sums(_X, "ratio", n_resamples=10)


def test_invalid_weights_and_pairs():
    with pytest.raises(ValueError, match="n_units"):
        bootstrap_weights(0, n_resamples=5)
    with pytest.raises(ValueError, match="one id per unit"):
        bootstrap_weights(4, clusters=["a", "b"], n_resamples=5)
    with pytest.raises(ValueError, match="same units"):
        paired_difference(_X, ratio, _X[:4], ratio, n_resamples=5)
    res = BootstrapResult(estimate=1.0, distribution=np.ones(3), jackknife=None,
                          method="percentile", confidence_level=0.9, n_resamples=3,
                          n_clusters=3, seed=0, clustered=False)
    with pytest.raises(ValueError, match="jackknife"):
        res.confidence_interval(method="bca")
    with pytest.raises(ValueError, match="confidence_level"):
        res.confidence_interval(1.5)


def test_public_names_are_exported():
    for name in resample.__all__:
        assert getattr(adjudicate, name) is getattr(resample, name)
