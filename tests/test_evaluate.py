"""ROC AUC, its variances and its bootstrap against independent sources.

Peers: scikit-learn (``roc_auc_score``, ``roc_curve``); DeLong (1988) and Obuchowski (1997)
written here as plain loops over (positive, negative) pairs and clusters, straight from the
papers' formulas; the worked example of Hanley & McNeil (1982).
"""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.metrics import roc_curve as sk_roc_curve

from adjudicate.evaluate import (
    _bootstrap_auc,
    _design,
    auc_difference,
    roc_auc,
    roc_curve,
)
from adjudicate.resample import IndependentUnitsWarning, bootstrap_weights


def _psi(x, y):
    """Mann-Whitney kernel: 1 if the positive outscores the negative, 1/2 on a tie."""
    return 1.0 if x > y else 0.5 if x == y else 0.0


def _loop_placements(s, y):
    pos = [s[i] for i in range(len(s)) if y[i] == 1]
    neg = [s[i] for i in range(len(s)) if y[i] == 0]
    v10 = [sum(_psi(x, z) for z in neg) / len(neg) for x in pos]
    v01 = [sum(_psi(x, z) for x in pos) / len(pos) for z in neg]
    return pos, neg, v10, v01


def _loop_delong_var(s, y):
    """DeLong et al. (1988), eq. for var(A): S10/m + S01/n, sample variances of placements."""
    pos, neg, v10, v01 = _loop_placements(s, y)
    a = sum(v10) / len(v10)
    s10 = sum((v - a) ** 2 for v in v10) / (len(v10) - 1)
    s01 = sum((v - a) ** 2 for v in v01) / (len(v01) - 1)
    return a, s10 / len(pos) + s01 / len(neg)


def _loop_obuchowski_var(s, y, cl):
    """Obuchowski (1997), section 2: structural components summed within clusters."""
    pos_idx = [i for i in range(len(s)) if y[i] == 1]
    neg_idx = [i for i in range(len(s)) if y[i] == 0]
    big_m, big_n = len(pos_idx), len(neg_idx)
    a = sum(_psi(s[i], s[j]) for i in pos_idx for j in neg_idx) / (big_m * big_n)
    clusters = sorted(set(cl))
    v10, v01, m, n = {}, {}, {}, {}
    for c in clusters:
        v10[c] = sum(sum(_psi(s[i], s[j]) for j in neg_idx) / big_n
                     for i in pos_idx if cl[i] == c)
        v01[c] = sum(sum(_psi(s[i], s[j]) for i in pos_idx) / big_m
                     for j in neg_idx if cl[j] == c)
        m[c] = sum(1 for i in pos_idx if cl[i] == c)
        n[c] = sum(1 for j in neg_idx if cl[j] == c)
    i10 = sum(1 for c in clusters if m[c] > 0)
    i01 = sum(1 for c in clusters if n[c] > 0)
    big_i = len(clusters)
    s10 = i10 / ((i10 - 1) * big_m) * sum((v10[c] - m[c] * a) ** 2 for c in clusters)
    s01 = i01 / ((i01 - 1) * big_n) * sum((v01[c] - n[c] * a) ** 2 for c in clusters)
    s11 = big_i / (big_i - 1) * sum((v10[c] - m[c] * a) * (v01[c] - n[c] * a)
                                    for c in clusters)
    return a, s10 / big_m + s01 / big_n + 2 * s11 / (big_m * big_n)


def _clustered_data(seed, n_patients=40, ties=1):
    """Images within patients sharing a random effect; scores rounded to make ties."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 4, n_patients)
    cl = np.repeat(np.arange(n_patients), sizes)
    u = rng.normal(0, 1, n_patients)[cl]
    y = (u + rng.normal(0, 1, len(cl)) > 0.3).astype(int)
    s = np.round(y + 0.8 * u + rng.normal(0, 1, len(cl)), ties)
    return s, y, cl


# --------------------------------------------------------------------------- point values
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auc_and_roc_curve_match_scikit_learn(seed):
    s, y, _ = _clustered_data(seed, ties=seed)  # seed 0: heavy ties (integers)
    res = roc_auc(s, y, clusters="unit")
    assert res.statistic == pytest.approx(roc_auc_score(y, s), abs=1e-14)
    fpr, tpr, thr = sk_roc_curve(y, s, drop_intermediate=False)
    curve = roc_curve(s, y)
    np.testing.assert_allclose(curve["fpr"], fpr, atol=1e-15)
    np.testing.assert_allclose(curve["tpr"], tpr, atol=1e-15)
    np.testing.assert_array_equal(curve["threshold"].to_numpy()[1:], thr[1:])
    assert curve["threshold"].iloc[0] == np.inf


def test_binary_calls_and_string_labels():
    # 0/1 calls: AUC = (sensitivity + specificity) / 2 (one operating point, Hanley-McNeil)
    calls = np.array([1, 1, 0, 1, 0, 0, 0, 1])
    labels = ["YES", "YES", "YES", "NO", "NO", "NO", "NO", None]
    res = roc_auc(calls, labels, clusters="unit")
    sens, spec = 2 / 3, 3 / 4
    assert res.statistic == pytest.approx((sens + spec) / 2)
    assert (res.n_positive, res.n_negative) == (3, 4)  # the unlabelled image is left out


def test_undefined_without_negatives():
    res = roc_auc([0.2, 0.5, 0.9], [1, 1, 1], clusters="unit")
    assert np.isnan(res.statistic) and "no negative" in res.note


# --------------------------------------------------------------------------- variances
@pytest.mark.parametrize("seed", [3, 4])
def test_delong_matches_independent_loop(seed):
    s, y, _ = _clustered_data(seed)
    a, var = _loop_delong_var(s, y)
    res = roc_auc(s, y, clusters="unit")
    assert res.variance_method == "delong"
    assert res.statistic == pytest.approx(a, abs=1e-14)
    assert res.standard_error == pytest.approx(np.sqrt(var), rel=1e-12)


@pytest.mark.parametrize("seed", [5, 6])
def test_obuchowski_matches_independent_loop(seed):
    s, y, cl = _clustered_data(seed)
    a, var = _loop_obuchowski_var(s, y, cl)
    res = roc_auc(s, y, clusters=cl)
    assert res.statistic == pytest.approx(a, abs=1e-14)
    assert res.variance_method == "obuchowski"
    assert res.standard_error == pytest.approx(np.sqrt(var), rel=1e-12)
    assert res.standard_error != pytest.approx(roc_auc(s, y, clusters="unit").standard_error)


def test_obuchowski_reduces_to_delong_with_one_image_per_cluster():
    s, y, _ = _clustered_data(7)
    own = roc_auc(s, y, clusters=np.arange(len(s)))      # every image its own cluster
    assert own.variance_method == "obuchowski"
    assert own.standard_error == pytest.approx(roc_auc(s, y, clusters="unit").standard_error,
                                               rel=1e-12)


def test_no_clusters_known_warns_and_uses_delong():
    s, y, _ = _clustered_data(8)
    with pytest.warns(IndependentUnitsWarning):
        res = roc_auc(s, y)
    assert res.variance_method == "delong"


def test_hanley_mcneil_1982_worked_example():
    # Hanley & McNeil (1982), Radiology 143:29-36, Table 1: 58 normal and 51 abnormal CT
    # images rated 1 (definitely normal) .. 5 (definitely abnormal).
    normal, abnormal = [33, 6, 6, 11, 2], [3, 2, 2, 11, 33]
    ratings = np.r_[np.repeat(np.arange(1, 6), normal), np.repeat(np.arange(1, 6), abnormal)]
    truth = np.r_[np.zeros(58), np.ones(51)]
    res = roc_auc(ratings, truth, clusters="unit")
    # the counts give the published area (trapezoidal = Wilcoxon) to 3 decimals
    assert round(res.statistic, 3) == 0.893
    # Their SE 0.032 comes from their exponential approximation (eq. 2, Q1 = A/(2-A),
    # Q2 = 2A^2/(1+A)), not from the placements: check the formula reproduces it ...
    a, n_a, n_n = res.statistic, 51, 58
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    se_hm = np.sqrt((a * (1 - a) + (n_a - 1) * (q1 - a * a) + (n_n - 1) * (q2 - a * a))
                    / (n_a * n_n))
    assert round(se_hm, 3) == 0.032
    # ... while DeLong's nonparametric SE (no distributional approximation) is the
    # independent loop's value, 0.0307 (S10/n1 + S01/n0, sample variances with ddof 1)
    _, var = _loop_delong_var(ratings, truth)
    assert res.standard_error == pytest.approx(np.sqrt(var), rel=1e-12)
    assert round(res.standard_error, 4) == 0.0307


# --------------------------------------------------------------------------- paired
def _loop_delong_cov(s1, s2, y):
    _, _, a10, a01 = _loop_placements(s1, y)
    _, _, b10, b01 = _loop_placements(s2, y)
    ma, mb = np.mean(a10), np.mean(b10)
    c10 = sum((p - ma) * (q - mb) for p, q in zip(a10, b10)) / (len(a10) - 1)
    c01 = sum((p - ma) * (q - mb) for p, q in zip(a01, b01)) / (len(a01) - 1)
    return c10 / len(a10) + c01 / len(a01)


def test_paired_difference_delong_covariance():
    s, y, _ = _clustered_data(9)
    rng = np.random.default_rng(9)
    s2 = np.round(s + rng.normal(0, 1, len(s)), 1)
    d = auc_difference(s, s2, y, clusters="unit")
    _, va = _loop_delong_var(s, y)
    _, vb = _loop_delong_var(s2, y)
    cov = _loop_delong_cov(s, s2, y)
    assert d.statistic == pytest.approx(roc_auc_score(y, s) - roc_auc_score(y, s2))
    assert d.standard_error == pytest.approx(np.sqrt(va + vb - 2 * cov), rel=1e-12)
    assert 0 < d.p_value < 1


def test_paired_difference_obuchowski_is_delong_with_singleton_clusters():
    s, y, _ = _clustered_data(10)
    s2 = s[::-1].copy()
    own = auc_difference(s, s2, y, clusters=np.arange(len(s)))
    assert own.standard_error == pytest.approx(
        auc_difference(s, s2, y, clusters="unit").standard_error, rel=1e-12)


# --------------------------------------------------------------------------- bootstrap
def test_bootstrap_replicates_equal_roc_auc_score_on_the_same_draws():
    s, y, cl = _clustered_data(11)
    rng = np.random.default_rng(11)
    scores = np.c_[s, np.round(s + rng.normal(0, 1, len(s))), (s > 0.5).astype(float)]
    labels = np.c_[y, y, y].astype(float)
    labels[rng.random(labels.shape) < 0.1] = np.nan           # some images unlabelled
    design = _design(cl, len(s))
    boot, est = _bootstrap_auc(scores, labels, design, n_resamples=60, seed=5, method="bca",
                               confidence_level=0.95)
    # the same replicates as every other bootstrap of the package (same seed, same clusters)
    w = bootstrap_weights(len(s), clusters=design.codes, n_resamples=60, seed=5)
    for j in range(3):
        ok = ~np.isnan(labels[:, j])
        assert est[j] == pytest.approx(roc_auc_score(labels[ok, j], scores[ok, j]), abs=1e-14)
        ref = [roc_auc_score(np.repeat(labels[ok, j], wb[ok]), np.repeat(scores[ok, j], wb[ok]))
               for wb in w]
        np.testing.assert_allclose(boot.distribution[:, j], ref, atol=1e-13)
    # jackknife: leave one patient out
    keep = cl != cl[0]
    ok = keep & ~np.isnan(labels[:, 0])
    first = design.codes[0]
    assert boot.jackknife[first, 0] == pytest.approx(
        roc_auc_score(labels[ok, 0], scores[ok, 0]), abs=1e-14)


def test_bootstrap_result_intervals_and_seed():
    s, y, cl = _clustered_data(12)
    a = roc_auc(s, y, clusters=cl, n_resamples=400, seed=3)
    b = roc_auc(s, y, clusters=cl, n_resamples=400, seed=3)
    np.testing.assert_array_equal(a.bootstrap.distribution, b.bootstrap.distribution)
    assert a.method == "bca" and a.bootstrap.seed == 3
    lo, hi = a.confidence_interval()
    assert lo < a.statistic < hi
    lo_p, hi_p = a.confidence_interval(0.9, method="percentile")
    assert lo <= lo_p and hi_p <= hi
    lo_o, hi_o = a.confidence_interval(method="obuchowski")
    assert lo_o < a.statistic < hi_o
    with pytest.raises(ValueError, match="delong"):
        a.confidence_interval(method="delong")
    # no seed given: one is drawn and recorded
    c = roc_auc(s, y, clusters=cl, n_resamples=50)
    assert isinstance(c.bootstrap.seed, int)


def test_paired_bootstrap_difference_uses_common_images():
    s, y, cl = _clustered_data(13)
    s2 = s.copy()
    s2[:5] = np.nan                               # model B did not score 5 images
    d = auc_difference(s, s2, y, clusters=cl, n_resamples=200, seed=1)
    assert d.statistic == 0.0                    # same scores on the common images
    assert np.all(d.bootstrap.distribution == 0.0)
