"""2x2 accuracy of a rater against a reference.

Expected values come from scikit-learn (confusion_matrix, recall/precision, cohen_kappa_score,
with sample_weight for bootstrap replicates), scipy (Wilson intervals of binomtest), explicit
slow loops (leave-one-out majority), and separately computed estimates (paired differences).
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest
from sklearn.metrics import cohen_kappa_score, confusion_matrix, precision_score, recall_score

import adjudicate as adj
from adjudicate import MISSING, Ratings
from adjudicate.compare import (
    STATISTICS,
    UndefinedStatisticWarning,
    accuracy_statistics,
    accuracy_table,
    bootstrap_p_value,
    confusion_cells,
    leave_one_out_reference,
    paired_accuracy_difference,
)
from adjudicate.resample import bootstrap_weights


def sklearn_statistics(y_ref, y_rater, sample_weight=None):
    """The seven statistics from scikit-learn, in the order of STATISTICS."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kappa = cohen_kappa_score(y_ref, y_rater, sample_weight=sample_weight)
    w = np.ones(len(y_ref)) if sample_weight is None else sample_weight
    return [
        recall_score(y_ref, y_rater, sample_weight=sample_weight, zero_division=np.nan),
        recall_score(1 - y_ref, 1 - y_rater, sample_weight=sample_weight, zero_division=np.nan),
        precision_score(y_ref, y_rater, sample_weight=sample_weight, zero_division=np.nan),
        precision_score(1 - y_ref, 1 - y_rater, sample_weight=sample_weight,
                        zero_division=np.nan),
        kappa,
        np.average(y_ref == y_rater, weights=w),
        np.average(y_rater, weights=w),
    ]


# ------------------------------------------------------------------ the finalize
@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1)), min_size=2, max_size=60))
def test_statistics_match_sklearn(pairs):
    y_ref, y_rater = (np.array(x) for x in zip(*pairs))
    cells = confusion_cells(y_rater[:, None], y_ref, positive=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedStatisticWarning)
        ours = accuracy_statistics(cells.sum(0))[0, 0]
    expected = np.array(sklearn_statistics(y_ref, y_rater), dtype=float)
    if len(set(y_ref) | set(y_rater)) == 1:
        expected[4] = np.nan  # kappa 0/0; sklearn's value here depends on its version
    np.testing.assert_allclose(ours, expected, equal_nan=True, atol=1e-12)


def test_degenerate_no_positives_is_nan_with_a_warning():
    y_ref = ["NO"] * 6
    y_rater = [["NO"], ["YES"], ["NO"], ["NO"], ["NO"], ["NO"]]
    with pytest.warns(UndefinedStatisticWarning, match="sensitivity.*no reference positives"):
        t = accuracy_table(y_rater, y_ref, n_resamples=200, seed=0).table
    est = t.set_index("statistic")["estimate"]
    assert np.isnan(est["sensitivity"]) and est["kappa"] == 0.0   # sklearn: 0 as well
    assert est["specificity"] == pytest.approx(5 / 6)
    with pytest.warns(UndefinedStatisticWarning):
        out = accuracy_statistics([0, 0, 0, 10])
    assert np.isnan(out[[0, 2, 4]]).all() and out[1] == 1.0


def test_missing_labels_are_excluded_and_counted():
    rater = Ratings.from_array([["YES"], [None], ["NO"], ["YES"], ["NO"]])
    ref = ["YES", "YES", None, "NO", "NO"]
    t = accuracy_table(rater, ref, ci=None).table
    row = t.iloc[0]
    assert (row.n_units, row.n_excluded) == (3, 2)
    assert (row.tp, row.fp, row.fn, row.tn) == (1, 1, 0, 1)


def test_hedge_policies():
    rater = Ratings.from_array([["HEDGE"], ["YES"], ["NO"]], categories=["NO", "HEDGE", "YES"])
    ref = ["YES", "YES", "NO"]
    cells = {h: confusion_cells(rater, ref, hedge=h).sum(0)[0, 0].tolist()
             for h in ("negative", "positive", "missing")}
    assert cells == {"negative": [1, 0, 1, 1], "positive": [2, 0, 0, 1],
                     "missing": [1, 0, 0, 1]}


# ------------------------------------------------------------------ Wilson intervals
def test_wilson_intervals_match_scipy_binomtest():
    rng = np.random.default_rng(2)
    y_ref = rng.integers(0, 2, 150)
    y_rater = np.where(rng.random(150) < 0.8, y_ref, 1 - y_ref)
    t = accuracy_table(y_rater[:, None], y_ref, ci=None, positive=1,
                       confidence_level=0.9).table.set_index("statistic")
    tn, fp, fn, tp = confusion_matrix(y_ref, y_rater).ravel()
    counts = {"sensitivity": (tp, tp + fn), "specificity": (tn, tn + fp),
              "ppv": (tp, tp + fp), "npv": (tn, tn + fn),
              "percent_agreement": (tp + tn, 150), "prevalence": (tp + fp, 150)}
    for name, (k, n) in counts.items():
        ci = binomtest(int(k), int(n)).proportion_ci(confidence_level=0.9, method="wilson")
        assert t.loc[name, "wilson_low"] == pytest.approx(ci.low, abs=1e-12), name
        assert t.loc[name, "wilson_high"] == pytest.approx(ci.high, abs=1e-12), name
    assert np.isnan(t.loc["kappa", "wilson_low"])


# ------------------------------------------------------------------ bootstrap wiring
def test_bootstrap_replicates_match_sklearn_with_sample_weights():
    """Replicate b of the table = sklearn's statistics weighted by row b of the weights."""
    ds = adj.load_dataset("all_findings")
    readers = ds.ratings.select(readers=["4343880271"], findings=["Effusion", "Nodule"])
    ref = ds.labels[["Effusion", "Nodule"]]
    res = accuracy_table(readers, ref, n_resamples=40, seed=11, method="percentile")
    t = res.table
    dist = res.bootstrap.distribution  # (B, findings, raters, statistics)
    w = bootstrap_weights(ds.ratings.n_units, clusters=ds.ratings.clusters, n_resamples=40,
                          seed=11)
    for j, finding in enumerate(["Effusion", "Nodule"]):
        y_ref = (ref[finding] == "YES").to_numpy().astype(int)
        y_rater = (readers.labels()[finding] == "YES").to_numpy().astype(int)
        for b in range(0, 40, 7):
            expected = sklearn_statistics(y_ref, y_rater, sample_weight=w[b].astype(float))
            np.testing.assert_allclose(dist[b, j, 0], expected, atol=1e-12)
    # the interval is the percentile interval of that distribution
    sens = t[(t.finding == "Nodule") & (t.statistic == "sensitivity")]
    lo, hi = np.percentile(dist[:, 1, 0, 0], [2.5, 97.5])
    assert sens.ci_low.item() == pytest.approx(lo) and sens.ci_high.item() == pytest.approx(hi)


# ------------------------------------------------------------------ leave-one-out
def slow_leave_one_out(ratings: Ratings, hedge="negative", ties="missing"):
    """Explicit loops: for each read, count the other readers' YES and NO votes."""
    cats = ratings.categories
    yes, hedge_code = cats.index("YES"), cats.index("HEDGE") if "HEDGE" in cats else None
    u_n, r_n, f_n = ratings.shape
    out = np.full(ratings.shape, MISSING)
    codes = ratings.codes
    for u in range(u_n):
        readers_of_u = [r for r in range(r_n) if codes[u, r, 0] != MISSING]
        for r in readers_of_u:
            for f in range(f_n):
                n_yes = n_no = 0
                for o in readers_of_u:
                    if o == r or codes[u, o, f] == MISSING:
                        continue
                    c = codes[u, o, f]
                    if c == hedge_code:
                        if hedge == "missing":
                            continue
                        c = yes if hedge == "positive" else -2
                    if c == yes:
                        n_yes += 1
                    else:
                        n_no += 1
                if n_yes > n_no:
                    out[u, r, f] = 1
                elif n_no > n_yes:
                    out[u, r, f] = 0
                elif n_yes + n_no > 0 and ties != "missing":
                    out[u, r, f] = 1 if ties == "positive" else 0
    return out


@pytest.mark.parametrize("hedge,ties", [("negative", "missing"), ("missing", "positive"),
                                        ("positive", "negative")])
def test_leave_one_out_matches_a_slow_loop_four_findings(hedge, ties):
    ds = adj.load_dataset("four_findings")
    r = ds.ratings.select(units=np.arange(ds.ratings.n_units) < 700)
    loo = leave_one_out_reference(r, hedge=hedge, ties=ties)
    assert loo.categories == ("NO", "YES")
    np.testing.assert_array_equal(loo.codes, slow_leave_one_out(r, hedge, ties))


def test_leave_one_out_matches_a_slow_loop_all_findings_and_majority_vote():
    ds = adj.load_dataset("all_findings")
    r = ds.ratings
    loo = leave_one_out_reference(r, ties="missing")
    np.testing.assert_array_equal(loo.codes, slow_leave_one_out(r))
    # and against majority_vote of the other four readers, reader by reader
    for k, reader in enumerate(r.readers):
        others = [x for x in r.readers if x != reader]
        vote = adj.majority_vote(r, readers=others, ties="missing")
        np.testing.assert_array_equal(loo.codes[:, k, :], vote.codes)


def test_leave_one_out_table_never_grades_a_reader_with_their_own_read():
    # reader a always says YES, b and c always NO: against the others a has specificity 0
    r = Ratings.from_array([["YES", "NO", "NO"]] * 10, readers=["a", "b", "c"])
    with pytest.warns(UndefinedStatisticWarning):
        t = accuracy_table(r, "leave-one-out", ci=None, ties="missing").table
    est = t.set_index(["rater", "statistic"])["estimate"]
    assert est["a", "specificity"] == 0.0
    # b: the others are a (YES) and c (NO): a tie on every unit, missing -> all excluded
    assert (t[t.rater == "b"].n_units == 0).all() and (t[t.rater == "b"].n_excluded == 10).all()


# ------------------------------------------------------------------ paired difference
def test_paired_difference_equals_difference_of_separate_estimates():
    ds = adj.load_dataset("all_findings")
    findings = ["Effusion", "Mass", "Atelectasis"]
    readers = ds.ratings.select(readers=["4343880271", "4343882583"], findings=findings)
    nlp = adj.nlp_ratings(ds).select(findings=findings)
    ref = ds.labels[findings]
    kw = {"n_resamples": 300, "seed": 5, "method": "percentile"}
    d_res = paired_accuracy_difference(readers, nlp, ref, **kw)
    a_res = accuracy_table(readers, ref, **kw)
    b_res = accuracy_table(nlp, ref, **kw)
    d, a, b = d_res.table, a_res.table, b_res.table
    key = ["finding", "statistic"]
    b_est = b.set_index(key)["estimate"]
    for reader in readers.readers:
        da = d[d.rater == reader].set_index(key)
        aa = a[a.rater == reader].set_index(key)
        np.testing.assert_allclose(da.estimate, aa.estimate - b_est.reindex(da.index))
        np.testing.assert_allclose(da.estimate_rater, aa.estimate)
    # same replicates: the distribution of the difference is the difference of distributions
    dist_d = d_res.bootstrap.distribution
    dist_a = a_res.bootstrap.distribution
    dist_b = b_res.bootstrap.distribution
    np.testing.assert_allclose(dist_d, dist_a - dist_b, equal_nan=True)
    # p-values adjusted across the three findings by Holm (statsmodels), per family
    fam = d[(d.rater == "4343880271") & (d.statistic == "sensitivity")]
    p = np.sort(fam.p_value.to_numpy())
    holm = np.minimum(1, np.maximum.accumulate(p * np.array([3, 2, 1])))
    np.testing.assert_allclose(np.sort(fam.p_adjusted.to_numpy()), holm)


def test_paired_difference_uses_common_units_only():
    rater = Ratings.from_array([["YES"], ["YES"], [None], ["NO"]], readers=["r"])
    other = Ratings.from_array([["NO"], ["YES"], ["YES"], [None]], readers=["nlp"])
    with pytest.warns(UndefinedStatisticWarning, match="specificity"):  # common: 2 positives
        d = paired_accuracy_difference(rater, other, ["YES", "YES", "YES", "NO"],
                                       n_resamples=50, seed=0, method="percentile").table
    row = d.set_index("statistic").loc["sensitivity"]
    assert row.n_units == 2 and row.estimate == pytest.approx(1.0 - 0.5)


def test_bootstrap_p_value_counts_the_far_side():
    d = np.r_[np.full(90, 0.2), np.full(10, -0.1)][:, None]
    assert bootstrap_p_value(d)[0] == pytest.approx(2 * 11 / 101)
    assert np.isnan(bootstrap_p_value(np.full((5, 1), np.nan))[0])


def test_statistics_order_is_the_cli_vocabulary():
    assert STATISTICS == ("sensitivity", "specificity", "ppv", "npv", "kappa",
                          "percent_agreement", "prevalence")


def test_reference_alignment_by_unit_label():
    rater = Ratings.from_array([["YES"], ["NO"]], units=["u1", "u2"])
    ref = pd.DataFrame({0: ["NO", "YES", "YES"]}, index=["u2", "u1", "u9"])
    cells = confusion_cells(rater, ref)
    assert cells.sum(0)[0, 0].tolist() == [1, 0, 0, 1]
