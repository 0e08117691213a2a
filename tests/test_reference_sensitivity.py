"""Reference definitions, soft-reference metrics and the sensitivity analysis."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from adjudicate import Ratings, accuracy_statistics, confusion_cells, load_dataset
from adjudicate.reference import (
    DawidSkene,
    build_definitions,
    reference_agreement,
    sensitivity_analysis,
    soft_auc,
    soft_confusion_cells,
)
from adjudicate.reproduce import GROUND_TRUTH_READERS
from adjudicate.vote import OtherRule


@pytest.fixture(scope="module")
def all_findings():
    return load_dataset("all_findings")


def test_published_definitions_reproduce_published_labels(all_findings):
    ds = all_findings
    defs = build_definitions(ds.ratings, published=ds.labels,
                             names=["published", "majority-ground-truth"],
                             ground_truth_readers=GROUND_TRUTH_READERS, other_rule=OtherRule())
    pd.testing.assert_frame_equal(defs["published"].labels, ds.labels.astype(object),
                                  check_dtype=False, check_names=False)
    # Nabulsi et al. 2021: the all-findings labels are the majority of the three
    # ground-truth readers plus the Other rule -- every one of 810 x 16 cells
    gt = defs["majority-ground-truth"].labels
    assert (gt.to_numpy() == ds.labels.to_numpy()).all()
    assert defs["majority-ground-truth"].unlabelled_share().max() == 0


def test_definitions_follow_their_policies():
    r = Ratings.from_array([["YES", "HEDGE", "NO", None], ["HEDGE", "HEDGE", "NO", "NO"],
                            ["YES", "NO", None, None], ["YES", "YES", "YES", None]],
                           categories=["NO", "HEDGE", "YES"])
    defs = build_definitions(r, seed=1, dawid_skene=DawidSkene(n_starts=1))
    lab = {k: d.labels[0].tolist() for k, d in defs.items()}
    assert lab["majority"] == ["NO", "NO", None, "YES"]  # HEDGE -> NO: 2 NO vs 1 YES
    assert lab["hedge-positive"] == ["YES", None, None, "YES"]  # 2 YES vs 2 NO: tie
    assert lab["hedge-missing"] == [None, "NO", None, "YES"]  # YES vs NO tie; 2 NO
    assert lab["ties-negative"][2] == "NO" and lab["ties-positive"][2] == "YES"
    assert lab["unanimous"] == [None, "NO", None, "YES"]  # HEDGE as NO: row 1 all NO
    assert set(defs) >= {"dawid-skene-hard", "dawid-skene-soft"}
    soft = defs["dawid-skene-soft"]
    assert soft.soft and soft.probability.shape == (4, 1)
    assert (defs["unanimous"].decisions.rule.tolist()
            == ["not unanimous", "unanimous", "not unanimous", "unanimous"])
    assert defs["majority"].unlabelled_share()[0] == 0.25


def test_soft_cells_equal_hard_cells_when_posteriors_are_0_or_1():
    rng = np.random.default_rng(0)
    calls = np.where(rng.random((40, 1, 2)) < 0.4, "YES", "NO").astype(object)
    calls[3, 0, 1] = None
    rater = Ratings.from_array(calls)
    truth = rng.random((40, 2)) < 0.3
    p = truth.astype(float)
    p[5, 0] = np.nan
    labels = pd.DataFrame(np.where(np.isnan(p), None, np.where(truth, "YES", "NO")))
    hard = confusion_cells(rater, Ratings.from_labels(labels))
    soft = soft_confusion_cells(rater, p)
    np.testing.assert_array_equal(soft, hard)
    np.testing.assert_array_equal(accuracy_statistics(soft.sum(0)),
                                  accuracy_statistics(hard.sum(0)))
    # the soft sensitivity is the expected one: sum(call * p) / sum(p)
    p2 = rng.random((40, 2))
    cells = soft_confusion_cells(rater, p2).sum(0)[0, 0]
    yes = calls[:, 0, 0] == "YES"
    assert cells[0] / (cells[0] + cells[2]) == pytest.approx(p2[yes, 0].sum() / p2[:, 0].sum())


def test_soft_auc_is_the_auc_for_0_1_posteriors_and_the_pair_average_otherwise():
    rng = np.random.default_rng(1)
    s = np.round(rng.random(60), 1)  # ties
    y = rng.random(60) < 0.4
    assert soft_auc(s, y.astype(float)) == pytest.approx(roc_auc_score(y, s))
    # brute force over distinct pairs, weighted p_i (1 - p_j)
    p = rng.random(60)
    num = den = 0.0
    for i in range(60):
        for j in range(60):
            if i != j:
                w = p[i] * (1 - p[j])
                num += w * ((s[i] > s[j]) + 0.5 * (s[i] == s[j]))
                den += w
    assert soft_auc(s, p) == pytest.approx(num / den)


def test_sensitivity_analysis_soft_equals_hard_and_reader_is_left_out():
    # Readers who agree perfectly: the latent class is certain (posteriors 0/1), so the
    # soft Dawid-Skene reference gives the hard numbers, and both equal the majority's.
    rng = np.random.default_rng(3)
    truth = rng.random(80) < 0.4
    reads = np.repeat(np.where(truth, "YES", "NO")[:, None], 3, axis=1).astype(object)
    nlp = np.where(rng.random(80) < 0.15, ~truth, truth)
    r = Ratings.from_array(np.c_[reads, np.where(nlp, "YES", "NO")],
                           readers=["a", "b", "c", "d"])
    res = sensitivity_analysis(r, rater="d", n_resamples=50, seed=2, clusters="unit",
                               dawid_skene={"n_starts": 1})
    t = res.table.set_index(["reference", "statistic"])
    for stat in ("sensitivity", "specificity", "kappa"):
        hard = t.loc[("majority", stat), "estimate"]
        assert t.loc[("dawid-skene-soft", stat), "estimate"] == pytest.approx(hard)
        assert t.loc[("dawid-skene-hard", stat), "estimate"] == pytest.approx(hard)
    sens = (nlp & truth).sum() / truth.sum()
    assert t.loc[("majority", "sensitivity"), "estimate"] == pytest.approx(sens)
    assert "left out of every panel" in " ".join(res.notes)
    assert res.settings["seed"] == 2 and res.bootstrap.distribution.shape[0] == 50
    assert (t.ci_low <= t.estimate + 1e-12).all() and (t.estimate <= t.ci_high + 1e-12).all()


def test_sensitivity_analysis_nlp_on_bundled_data_is_tidy_and_seeded(all_findings):
    res = sensitivity_analysis(all_findings, rater="nlp", n_resamples=0, seed=1,
                               definitions=["published", "majority", "unanimous"])
    t = res.table
    assert {"finding", "statistic", "estimate", "ci_low", "ci_high", "n_units", "method",
            "reference", "rater", "unlabelled_share"} <= set(t.columns)
    pub = t.query("reference == 'published' and finding == 'Pneumothorax' and "
                  "statistic == 'sensitivity'")
    assert pub.n_units.iloc[0] == 810
    # unanimous of 5 readers leaves images unlabelled; majority of 5 (odd, no HEDGE) none
    un = t.query("reference == 'unanimous'").unlabelled_share
    assert (un > 0).any() and (t.query("reference == 'majority'").unlabelled_share == 0).all()
    again = sensitivity_analysis(all_findings, rater="nlp", n_resamples=0, seed=1,
                                 definitions=["published", "majority", "unanimous"])
    pd.testing.assert_frame_equal(t, again.table)


def test_reference_agreement_four_findings_vs_all_findings(all_findings):
    res = reference_agreement(all_findings, definitions=["majority-ground-truth"],
                              n_resamples=40, seed=0)
    k = res.table.query("statistic == 'kappa' and reference == 'four-findings-adjudicated'")
    assert set(k.finding) == {"Pneumothorax", "Nodule or Mass"}
    assert (k.n_units == 810).all()
    assert (k.ci_low < k.estimate).all() and (k.estimate < k.ci_high).all()


def test_bad_rater():
    r = Ratings.from_array([["YES", "NO"], ["NO", "NO"]], readers=["a", "b"])
    with pytest.raises(KeyError, match="neither 'nlp' nor a reader"):
        sensitivity_analysis(r, rater="zz", n_resamples=0)
    with pytest.raises(ValueError, match="needs a bundled dataset"):
        sensitivity_analysis(r, rater="nlp", n_resamples=0)


def test_cli_sensitivity_csv_and_table(capsys, tmp_path):
    from adjudicate.cli import main

    png = tmp_path / "forest.png"
    assert main(["sensitivity", "all-findings", "--rater", "4343880271", "--bootstrap", "0",
                 "--seed", "3", "--definitions", "published,majority,unanimous",
                 "--statistics", "sensitivity", "--format", "csv",
                 "--figure", str(png)]) == 0
    out = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out))
    assert set(out.reference) == {"published", "majority", "unanimous"}
    assert (out.rater.astype(str) == "4343880271").all() and png.stat().st_size > 10_000
    assert main(["sensitivity", "all-findings", "--agreement", "--bootstrap", "0",
                 "--definitions", "majority"]) == 0
    text = capsys.readouterr().out
    assert "four-findings-adjudicated" in text and "kappa:" in text
    assert main(["sensitivity", "all-findings", "--rater", "nobody", "--bootstrap", "0"]) == 2
    assert "neither 'nlp' nor a reader" in capsys.readouterr().err


def test_scores_hook_gives_expected_auc_against_every_definition():
    # scores equal to the number of YES reads: the AUC against the majority is the
    # Mann-Whitney AUC of those scores (sklearn), and the column is reported per definition
    rng = np.random.default_rng(5)
    truth = rng.random(60) < 0.4
    reads = np.where(rng.random((60, 3)) < np.where(truth, 0.85, 0.1)[:, None], "YES", "NO")
    r = Ratings.from_array(reads.astype(object), readers=["a", "b", "c"])
    scores = pd.DataFrame({0: (reads == "YES").sum(1) + rng.random(60) * 0.1}, index=r.units)
    rater = pd.DataFrame({0: np.where(truth, "YES", "NO")}, index=r.units)
    res = sensitivity_analysis(r, rater=rater, scores=scores, n_resamples=0, clusters="unit",
                               definitions=["majority", "dawid-skene-soft"],
                               dawid_skene={"n_starts": 1})
    auc = res.table[res.table.statistic == "auc"].set_index("reference").estimate
    majority = (reads == "YES").sum(1) >= 2
    assert auc["majority"] == pytest.approx(roc_auc_score(majority, scores[0]))
    assert 0.5 < auc["dawid-skene-soft"] <= 1


def test_auc_intervals_are_evaluates_on_the_same_replicates():
    # The bundled synthetic example scores (all-findings images): under the published
    # definition the AUC must be adjudicate.roc_auc's against the published labels, and its
    # interval the percentile interval roc_auc's vectorised bootstrap gives for the same seed
    # and patients (the replicates every function draws for one seed and cluster design).
    import warnings

    import adjudicate as adj

    ds = adj.load_dataset("all_findings")
    scores = adj.read_scores(adj.example_scores_path())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sensitivity_analysis(ds, rater="nlp", scores=scores, n_resamples=40, seed=5,
                                   definitions=["published", "majority", "dawid-skene-soft"],
                                   statistics=["sensitivity"], dawid_skene={"n_starts": 1})
    t = res.table[res.table.statistic == "auc"].set_index(["reference", "finding"])
    patients = ds.ratings.clusters
    for finding in ("Cardiomegaly", "Effusion"):
        labels = ds.labels[finding].reindex(ds.ratings.units)
        s = scores.scores[finding].reindex(ds.ratings.units).to_numpy(float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = adj.roc_auc(s, (labels == "YES").astype(float).to_numpy(), clusters=patients,
                              n_resamples=40, seed=5, method="percentile")
        row = t.loc[("published", finding)]
        assert row.estimate == pytest.approx(ref.statistic, abs=1e-12)
        assert (row.ci_low, row.ci_high) == pytest.approx(
            tuple(ref.confidence_interval(method="percentile")), abs=1e-12)
        assert row.ci_low < row.estimate < row.ci_high
    # the refitted latent-class reference: point estimate only, said in the method column
    soft = t.loc[("dawid-skene-soft", "Cardiomegaly")]
    assert np.isnan(soft.ci_low) and "no AUC interval" in soft.method
    assert np.isfinite(t.loc[("majority", "Cardiomegaly"), "ci_low"])


def test_the_pages_tables_are_those_of_the_recorded_csvs():
    # docs/reference-sensitivity.md shows tables that benchmarks/reference_sensitivity.py
    # writes from its two CSVs: the page and the CSVs next to it must say the same numbers
    # (NLP sensitivity against the published labels, Pneumothorax: 0.458 in both)
    import importlib
    import re
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root / "benchmarks"))
    try:
        script = importlib.import_module("reference_sensitivity")
    finally:
        sys.path.remove(str(root / "benchmarks"))
        sys.modules.pop("reference_sensitivity", None)
    results = root / "benchmarks" / "results"
    table = pd.read_csv(results / "reference_sensitivity_four_findings.csv")
    tables = script.markdown_tables(table,
                                    pd.read_csv(results / "reference_agreement.csv"))
    page = (root / "docs" / "reference-sensitivity.md").read_text()
    blocks = dict(re.findall(r"<!-- tables: (\w+) -->\n(.*?)\n<!-- /tables -->", page, re.DOTALL))
    assert blocks == tables
    nlp = table[(table.rater == "nlp") & (table.reference == "published")
                & (table.statistic == "sensitivity") & (table.finding == "Pneumothorax")]
    assert f"| published | {nlp.estimate.iloc[0]:.3f} (" in blocks["nlp"]
