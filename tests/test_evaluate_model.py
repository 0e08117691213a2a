"""evaluate_model, the scores parser and ``adjudicate evaluate`` on the bundled data.

Independent sources: scikit-learn (``roc_auc_score``, ``confusion_matrix``), statsmodels'
Holm, hand calculations written out in the comments, and the package's own resampling
weights (:func:`adjudicate.resample.bootstrap_weights`) for "same replicates" claims.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import confusion_matrix, roc_auc_score
from statsmodels.stats.multitest import multipletests

import adjudicate as adj
from adjudicate._errors import InputError
from adjudicate.cli import main
from adjudicate.datasets import example_scores_path
from adjudicate.evaluate import _threshold_for, evaluate_model
from adjudicate.io.scores import read_label_table, read_scores
from adjudicate.resample import IndependentUnitsWarning, bootstrap_weights


@pytest.fixture(scope="module")
def ds():
    return adj.load_dataset("all_findings")


@pytest.fixture(scope="module")
def example():
    return read_scores(example_scores_path())


def _labels(ds, finding):
    return (ds.labels[finding] == "YES").astype(int)


# --------------------------------------------------------------------------- the parser
def test_example_file_is_marked_synthetic_and_parses(example, ds):
    head = example_scores_path().read_text().splitlines()[0]
    assert "SYNTHETIC" in head and "NOT A RESULT" in head
    assert example.scores.shape == (810, 16) and example.kind == "probability"
    assert list(example.scores.columns) == list(ds.labels.columns)
    assert example.scores.index.equals(ds.labels.index.sort_values())


def test_wide_and_long_layouts_agree(tmp_path):
    wide = tmp_path / "wide.csv"
    wide.write_text("image_id,Mass,Nodule\nb,0.5,0.25\na,1.5,\n")
    long = tmp_path / "long.csv"
    long.write_text("Image Index,finding,score\na,Mass,1.5\nb,Nodule,0.25\nb,Mass,0.5\n")
    w, lg = read_scores(wide), read_scores(long)
    pd.testing.assert_frame_equal(w.scores, lg.scores)
    assert (w.layout, lg.layout, w.kind) == ("wide", "long", "score")
    assert w.name == "wide"
    assert "1 missing score" in w.notes[0]      # the empty cell is counted, not dropped


@pytest.mark.parametrize("body, row, column, what", [
    ("Image ID,Mass\na,0.1\nb,high\n", 3, "Mass", "not a number"),
    ("Image ID,Mass\na,0.1\nb,inf\n", 3, "Mass", "not finite"),
    ("Image ID,Mass\na,0.1\na,0.3\n", 3, "Image ID", "appears twice"),
    ("Image ID,Mass\n,0.1\n", 2, "Image ID", "missing image id"),
    ("image,finding,score\na,Mass,0.1\na,Mass,0.2\n", 3, "image", "second score"),
])
def test_bad_scores_name_file_row_and_column(tmp_path, body, row, column, what):
    f = tmp_path / "s.csv"
    f.write_text("# a comment line\n" + body)   # row numbers count the comment line
    with pytest.raises(InputError) as e:
        read_scores(f)
    assert (e.value.file, e.value.row + 0, e.value.column) == (str(f), row + 1, column)
    assert what in str(e.value)


def test_no_image_column(tmp_path):
    f = tmp_path / "s.csv"
    f.write_text("id_of_picture,Mass\na,0.1\n")
    with pytest.raises(InputError, match="no image column"):
        read_scores(f)
    assert read_scores(f, image_column="id_of_picture").scores.index.tolist() == ["a"]


def test_scores_files_are_read_by_the_one_safe_entry_point(tmp_path):
    # io.schemas.read_text: a gzip-compressed file reads like the plain one; a directory is
    # refused with the same message as for the reader files
    import gzip

    body = "Image ID,Mass\na,0.1\nb,0.7\n"
    (tmp_path / "s.csv").write_text(body)
    (tmp_path / "s.csv.gz").write_bytes(gzip.compress(body.encode()))
    plain, packed = read_scores(tmp_path / "s.csv"), read_scores(tmp_path / "s.csv.gz")
    assert packed.scores.equals(plain.scores) and plain.scores["Mass"].tolist() == [0.1, 0.7]
    with pytest.raises(InputError, match="is a directory"):
        read_scores(tmp_path)


def test_label_table_reader(tmp_path):
    f = tmp_path / "ref.csv"
    f.write_text("Image ID,Mass\na,YES\nb,0\nc,\nd,maybe\n")
    with pytest.raises(InputError) as e:
        read_label_table(f)
    assert (e.value.row, e.value.column) == (5, "Mass")


# --------------------------------------------------------------------------- AUC rows
def test_auc_rows_match_scikit_learn(example, ds):
    res = evaluate_model(example, "published", dataset=ds)
    auc = res.table.query("statistic == 'auc'").set_index("finding")
    for f in ["Abnormal", "Effusion", "Hernia"]:
        y = _labels(ds, f).reindex(example.scores.index)
        assert auc.loc[f, "estimate"] == pytest.approx(roc_auc_score(y, example.scores[f]),
                                                       abs=1e-14)
    assert set(auc.method) == {"obuchowski, 532 patients"}
    assert (auc.n_units == 810).all() and auc.loc["Hernia", "n_positive"] == 5
    assert res.settings["clusters"] == "patients" and res.seed is None


def test_unit_clusters_give_delong(example, ds):
    res = evaluate_model(example, "published", dataset=ds, clusters="unit")
    assert set(res.table.method) == {"delong, images independent"}
    y = _labels(ds, "Mass").reindex(example.scores.index).to_numpy()
    direct = adj.evaluate.roc_auc(example.scores["Mass"], y, clusters="unit")
    row = res.table.query("finding == 'Mass'").iloc[0]
    assert row.standard_error == pytest.approx(direct.standard_error, rel=1e-12)


def test_bootstrap_sd_approaches_obuchowski_se_on_bundled_data(example, ds):
    # The patient bootstrap and Obuchowski's clustered variance estimate the same thing;
    # with B = 2000 the bootstrap SD's own Monte Carlo error is ~1.6% (1/sqrt(2(B-1))), and
    # both differ by O(1/I) with I = 532 patients: agreement within 12% for findings with
    # enough positives on both sides.
    boot = evaluate_model(example, "published", dataset=ds, n_resamples=2000, seed=11)
    ana = evaluate_model(example, "published", dataset=ds)
    b = boot.table.query("statistic == 'auc'").set_index("finding")
    a = ana.table.query("statistic == 'auc'").set_index("finding")
    sd = boot.bootstrap["auc"].standard_error
    common = [f for f in a.index if a.loc[f, "n_positive"] >= 40]
    ratio = pd.Series(np.asarray(sd)[:16], index=a.index)[common] / a.loc[common,
                                                                          "standard_error"]
    assert ratio.between(0.88, 1.12).all(), ratio
    assert b.loc["Abnormal", "method"] == "bca bootstrap, 2000 resamples of patients"
    # the patient bootstrap is wider than an image bootstrap would be: images cluster
    img = evaluate_model(example, "published", dataset=ds, clusters="unit")
    s_img = img.table.query("statistic == 'auc'").set_index("finding")["standard_error"]
    assert (a.loc[common, "standard_error"] > 0.95 * s_img[common]).all()


def test_images_on_one_side_only_are_counted(example, ds):
    df = example.scores.iloc[:800].copy()
    df.loc["not_an_nih_image.png"] = 0.5
    res = evaluate_model(df, "published", dataset=ds)
    text = " ".join(res.notes)
    assert "1 scored image(s) not in the reference" in text
    assert "10 reference image(s) without a score" in text
    assert (res.table.query("statistic == 'auc'").n_units == 800).all()


def test_bad_reference_alignment_is_an_input_error(example, ds):
    df = example.scores.rename(columns={"Mass": "Masses"})
    with pytest.raises(InputError, match="'Masses' has no labels"):
        evaluate_model(df, "published", dataset=ds)
    other = example.scores.set_axis([f"x{i}" for i in range(810)], axis=0)
    with pytest.raises(InputError, match="no image id of the scores"):
        evaluate_model(other, "published", dataset=ds)


def test_finding_without_positives_is_nan_with_reason(example, ds):
    labels = ds.labels.copy()
    labels["Hernia"] = "NO"
    with pytest.warns(IndependentUnitsWarning):   # a user table carries no patients
        res = evaluate_model(example, labels)
    row = res.table.query("statistic == 'auc' and finding == 'Hernia'").iloc[0]
    assert np.isnan(row.estimate) and "no positive" in row.note


# --------------------------------------------------------------------------- operating points
def test_operating_point_matches_confusion_matrix_and_threshold_is_inclusive(example, ds):
    f = "Effusion"
    s = example.scores[f]
    t = float(s.iloc[10])                         # a threshold equal to an observed score
    res = evaluate_model(example, "published", dataset=ds, threshold=t)
    y = _labels(ds, f).reindex(s.index)
    tn, fp, fn, tp = confusion_matrix(y, (s >= t).astype(int)).ravel()
    row = res.table.query("finding == @f").set_index("statistic")
    assert row.loc["sensitivity", "estimate"] == tp / (tp + fn)
    assert row.loc["specificity", "estimate"] == tn / (tn + fp)
    assert row.loc["ppv", "estimate"] == tp / (tp + fp)
    assert row.loc["npv", "estimate"] == tn / (tn + fn)
    # Wilson with the patients' design effect (compare.accuracy_table's small-count interval)
    assert row.loc["sensitivity", "method"] == "wilson (design effect, patients)"
    lo, hi = row.loc["sensitivity", ["ci_low", "ci_high"]]
    from statsmodels.stats.proportion import proportion_confint
    plain = proportion_confint(tp, tp + fn, method="wilson")
    assert lo <= plain[0] + 1e-12 and hi >= plain[1] - 1e-12   # never narrower


def test_operating_points_default_to_wilson_even_with_a_bootstrap(example, ds):
    # Hernia at threshold 0.5: 4 of its 5 positive images score >= 0.5 (0.866, 0.616, 0.491,
    # 0.852, 0.978), the 5 positives from 5 different patients. The patient bootstrap of a
    # proportion with 5 events collapses (BCa gave 0.00-1.00 here); the package's interval of
    # a proportion is Wilson at the effective sample size n / deff. With one positive per
    # patient, the cluster-robust variance C/(C-1) sum_c (y_c - p m_c)^2 / n^2 is
    # 532/531 * (4 * 0.2^2 + 0.8^2) / 25 = 532/531 * 0.032, the binomial p(1-p)/n = 0.032:
    # deff = 532/531, so Wilson of 4 * 531/532 events in 5 * 531/532 (statsmodels).
    from statsmodels.stats.proportion import proportion_confint

    res = evaluate_model(example, "published", dataset=ds, threshold=0.5, n_resamples=200,
                         seed=3, prevalence={"Hernia": 0.01})
    rows = res.table.query("finding == 'Hernia'").set_index("statistic")
    assert (rows.loc["sensitivity", "estimate"], rows.loc["sensitivity", "n_positive"]) == (0.8, 5)
    lo, hi = proportion_confint(4 * 531 / 532, 5 * 531 / 532, method="wilson")
    assert rows.loc["sensitivity", "ci_low"] == pytest.approx(lo, abs=1e-12)
    assert rows.loc["sensitivity", "ci_high"] == pytest.approx(hi, abs=1e-12)
    assert rows.loc["sensitivity", "ci_low"] == pytest.approx(0.3752, abs=1e-4)
    for stat in ("sensitivity", "specificity", "ppv", "npv"):
        assert rows.loc[stat, "method"] == "wilson (design effect, patients)"
    # the AUC keeps its own default (BCa when bootstrapped); the adjusted PPV has only a
    # bootstrap interval
    assert rows.loc["auc", "method"] == "bca bootstrap, 200 resamples of patients"
    assert rows.loc["ppv_adjusted", "method"] == "bca bootstrap, 200 resamples of patients"
    assert res.settings["method"] == "default"
    # asked for explicitly, the bootstrap is still there, and says so
    boot = evaluate_model(example, "published", dataset=ds, threshold=0.5, n_resamples=200,
                          seed=3, method="percentile").table
    b = boot.query("finding == 'Hernia'").set_index("statistic")
    assert b.loc["sensitivity", "method"] == "percentile bootstrap, 200 resamples of patients"
    # same seed, same replicates: the percentile interval is the 2.5/97.5% quantiles of the
    # default run's bootstrap distribution of Hernia's sensitivity
    dist = res.bootstrap["operating_points"].distribution[:, 0, list(example.scores.columns)
                                                         .index("Hernia"), 0]
    np.testing.assert_allclose(b.loc["sensitivity", ["ci_low", "ci_high"]].to_numpy(float),
                               np.nanquantile(dist, [0.025, 0.975]), atol=1e-12)
    with pytest.raises(ValueError, match="bootstrap interval: give n_resamples"):
        evaluate_model(example, "published", dataset=ds, threshold=0.5, method="bca")


def test_threshold_for_targets():
    s = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
    pos = np.array([0, 0, 1, 0, 1, 0, 1, 1], bool)
    # specificity >= 0.75 needs 3 of the 4 negatives below t: t just above 0.4 -> 0.5
    assert _threshold_for(s, pos, specificity=0.75) == 0.5
    # sensitivity >= 0.75 needs 3 of 4 positives >= t: the 3rd highest positive, 0.5
    assert _threshold_for(s, pos, sensitivity=0.75) == 0.5
    assert _threshold_for(s, pos, specificity=1.0) == 0.7
    assert _threshold_for(s, pos, sensitivity=0.0) == np.inf


def test_population_adjusted_ppv_by_hand(example, ds):
    # Effusion at threshold 0.5: sens/spec from the cells; at prevalence 5% the PPV is
    # se*pi / (se*pi + (1-sp)(1-pi)) (Bayes), as if negatives were reweighted 0.95/0.72 ...
    res = evaluate_model(example, "published", dataset=ds, threshold=0.5,
                         prevalence={"Effusion": 0.05}, n_resamples=300, seed=2)
    row = res.table.query("finding == 'Effusion'").set_index("statistic")
    se, sp = row.loc["sensitivity", "estimate"], row.loc["specificity", "estimate"]
    pi = 0.05
    assert row.loc["ppv_adjusted", "estimate"] == pytest.approx(
        se * pi / (se * pi + (1 - sp) * (1 - pi)))
    assert row.loc["npv_adjusted", "estimate"] == pytest.approx(
        sp * (1 - pi) / (sp * (1 - pi) + (1 - se) * pi))
    assert row.loc["accuracy_adjusted", "estimate"] == pytest.approx(se * pi + sp * (1 - pi))
    lo, hi = row.loc["ppv_adjusted", ["ci_low", "ci_high"]]
    assert lo < row.loc["ppv_adjusted", "estimate"] < hi
    assert row.loc["ppv_adjusted", "prevalence"] == 0.05
    assert "Mass" not in res.table.query("statistic == 'ppv_adjusted'").finding.tolist()


def test_adjusted_prevalence_holds_in_every_replicate(example, ds):
    # the weights are recomputed in each replicate: there, too, the adjusted PPV is Bayes'
    # formula with that replicate's sensitivity and specificity at the target prevalence
    res = evaluate_model(example, "published", dataset=ds, threshold=0.5,
                         prevalence={"Mass": 0.03}, n_resamples=50, seed=8)
    dist = res.bootstrap["operating_points"].distribution       # (B, sets, F, 7)
    f = list(example.scores.columns).index("Mass")
    se, sp, ppv_adj = dist[:, 0, f, 0], dist[:, 0, f, 1], dist[:, 0, f, 4]
    pi = 0.03
    np.testing.assert_allclose(ppv_adj, se * pi / (se * pi + (1 - sp) * (1 - pi)))


def test_auc_and_operating_points_share_replicates(example, ds):
    # same seed, same patients: replicate b of the AUC and of the 2x2 cells come from the
    # same weights, which bootstrap_weights reproduces
    res = evaluate_model(example, "published", dataset=ds, threshold=0.5, n_resamples=40,
                         seed=9)
    boot = res.bootstrap["auc"]
    images = example.scores.index
    patients = pd.Series(ds.ratings.clusters, index=ds.ratings.units).reindex(images)
    codes = pd.factorize(patients, sort=True)[0]
    w = bootstrap_weights(len(images), clusters=codes, n_resamples=40, seed=9)
    y = _labels(ds, "Nodule").reindex(images).to_numpy()
    s = example.scores["Nodule"].to_numpy()
    j = list(example.scores.columns).index("Nodule")
    ref = [roc_auc_score(np.repeat(y, wb), np.repeat(s, wb)) for wb in w]
    np.testing.assert_allclose(boot.distribution[:, j], ref, atol=1e-13)
    # and the 2x2 cells of the operating point come from the same weights
    calls = s >= 0.5
    sens = (w * (calls & (y == 1))).sum(1) / (w * (y == 1)).sum(1)
    np.testing.assert_allclose(res.bootstrap["operating_points"].distribution[:, 0, j, 0],
                               sens, atol=1e-14)


def test_row_order_of_the_scores_file_does_not_matter(example, ds, tmp_path):
    lines = example_scores_path().read_text().splitlines()
    head = [ln for ln in lines if ln.startswith("#")] + [lines[len(lines) - 811]]
    body = lines[len(lines) - 810:]
    rng = np.random.default_rng(0)
    shuffled = tmp_path / "synthetic_model_scores.csv"
    shuffled.write_text("\n".join(head + [body[i] for i in rng.permutation(810)]) + "\n")
    kw = {"dataset": ds, "threshold": 0.5, "n_resamples": 100, "seed": 4}
    a = evaluate_model(example_scores_path(), "published", **kw).table
    b = evaluate_model(shuffled, "published", **kw).table
    pd.testing.assert_frame_equal(a, b)


# --------------------------------------------------------------------------- two models
def test_two_models_paired_difference_and_holm(example, ds):
    rng = np.random.default_rng(4)
    noisy = (example.scores + rng.normal(0, 0.15, example.scores.shape)).clip(0, 1)
    res = evaluate_model(example, "published", dataset=ds, other_scores=noisy)
    d = res.table.query("statistic == 'auc_difference'").set_index("finding")
    auc = res.table.query("statistic == 'auc'")
    a = auc[auc.rater == example.name].set_index("finding").estimate
    assert res.settings["models"] == [example.name, "other"]
    b = auc[auc.rater == "other"].set_index("finding").estimate
    np.testing.assert_allclose(d.estimate, a - b, atol=1e-14)
    ok = d.p_value.notna()
    expected = multipletests(d.p_value[ok], method="holm")[1]
    np.testing.assert_allclose(d.p_adjusted[ok], expected)
    assert (d.p_value.between(0, 1)).all()


# --------------------------------------------------------------------------- readers
def test_model_against_readers_at_matched_operating_points(example, ds):
    res = evaluate_model(example, "published", dataset=ds, match_readers=True,
                         n_resamples=200, seed=5, margin=0.05)
    t = res.table
    gt = set(adj.GROUND_TRUTH_READERS)
    for reader in ds.ratings.readers:
        rows = t[(t.rater == str(reader)) & (t.finding == "Atelectasis")].set_index("statistic")
        if reader in gt:   # part of the reference: graded against the other panel readers
            assert rows.loc["sensitivity", "reference"].startswith("leave-one-out")
            panel = [x for x in ds.ratings.readers if x in gt]
            loo = adj.leave_one_out_reference(ds.ratings.select(readers=panel), seed=5)
            k = list(loo.readers).index(reader)
            ref = loo.codes[:, k, list(loo.findings).index("Atelectasis")]
            reads = ds.ratings.codes[:, list(ds.ratings.readers).index(reader),
                                     list(ds.ratings.findings).index("Atelectasis")]
            ok = (ref >= 0) & (reads >= 0)
            yes = loo.categories.index("YES")
            r_yes = ds.ratings.categories.index("YES")
            tp = ((ref == yes) & (reads == r_yes) & ok).sum()
            assert rows.loc["sensitivity", "estimate"] == pytest.approx(
                tp / ((ref == yes) & ok).sum())
        else:
            assert rows.loc["sensitivity", "reference"] == "published all-findings labels"
    d_all = t[t.statistic == "sensitivity_difference"]
    d = d_all[~d_all.rater.str.endswith("mean reader")]
    m = t[(t.rater == example.name) & t.matched_to.str.startswith("specificity of reader")]
    r = t[t.rater.isin([str(x) for x in ds.ratings.readers]) & (t.statistic == "sensitivity")]
    assert len(d) == len(m) == len(r) == 5 * 16
    np.testing.assert_allclose(d.estimate.to_numpy(),
                               m.estimate.to_numpy() - r.estimate.to_numpy())
    assert "<= -0.05" in d.method.iloc[0]
    assert d.method.iloc[0].startswith("bca bootstrap, 200 resamples of patients")
    # the readers' and the model's proportions: Wilson with the design effect (as any rater
    # against a reference); e.g. reader sensitivity = statsmodels' Wilson when deff is 1
    assert set(r.method) == set(m.method) == {"wilson (design effect, patients)"}
    ok = d.p_value.notna()
    assert d.p_value[ok].between(0, 1).all()
    assert (d.p_adjusted[ok] >= d.p_value[ok] - 1e-15).all()
    # the model reaches at least the reader's specificity at its matched threshold
    spec_m = t[(t.rater == example.name) & (t.statistic == "specificity")
               & t.matched_to.str.startswith("sensitivity of reader")]
    assert len(spec_m) == 80
    mean = t[t.rater == "mean reader"]
    assert set(mean.statistic) == {"sensitivity", "specificity"} and len(mean) == 32
    # model minus mean reader: the model at the mean reader's specificity, on the reference
    # (the operating-point row), minus the mean of the readers' sensitivities
    r_sens = r.groupby("finding", sort=False).estimate.mean()
    np.testing.assert_allclose(
        mean[mean.statistic == "sensitivity"].set_index("finding").estimate, r_sens)
    at_mean = t[(t.rater == example.name) & (t.matched_to == "mean reader")
                & (t.statistic == "sensitivity")].set_index("finding").estimate
    vs_mean = d_all[d_all.rater.str.endswith("mean reader")].set_index("finding")
    assert len(vs_mean) == 16
    np.testing.assert_allclose(vs_mean.estimate, at_mean - r_sens)
    lo, hi = vs_mean.ci_low, vs_mean.ci_high
    assert ((lo <= vs_mean.estimate + 1e-12) & (vs_mean.estimate <= hi + 1e-12)).mean() > 0.8


# --------------------------------------------------------------------------- the command
def test_cli_runs_out_of_the_box(capsys):
    code = main(["evaluate", "--threshold", "0.5"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "SYNTHETIC" in out and "obuchowski, 532 patients" in out
    assert "Operating point: threshold" in out


def test_cli_csv_and_json(capsys):
    code = main(["evaluate", "--cluster", "unit", "--format", "csv"])
    out, _ = capsys.readouterr()
    assert code == 0
    t = pd.read_csv(pd.io.common.StringIO(out))
    assert set(t.method) == {"delong, images independent"} and len(t) == 16
    code = main(["evaluate", "--bootstrap", "50", "--seed", "3", "--format", "json",
                 "--threshold", "0.4", "--prevalence", "Mass=0.02"])
    out, _ = capsys.readouterr()
    doc = json.loads(out)
    assert code == 0 and doc["settings"]["seed"] == 3
    assert {r["statistic"] for r in doc["rows"]} >= {"auc", "ppv_adjusted"}
    # --bootstrap without --method: the proportions keep the cluster-adjusted Wilson
    how = {r["statistic"]: r["method"] for r in doc["rows"] if r["finding"] == "Mass"}
    assert how["sensitivity"] == "wilson (design effect, patients)"
    assert how["ppv_adjusted"] == how["auc"] == "bca bootstrap, 50 resamples of patients"
    # --method asks for a bootstrap interval: without --bootstrap it is refused, one line
    code = main(["evaluate", "--method", "percentile"])
    _, err = capsys.readouterr()
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--bootstrap B" in err


def test_cli_bad_input_is_one_line_exit_2(tmp_path, capsys):
    f = tmp_path / "bad.csv"
    f.write_text("Image ID,Mass\n00000211_006.png,0.2\n00000211_007.png,x\n")
    code = main(["evaluate", "--scores", str(f)])
    _, err = capsys.readouterr()
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"{f}, row 3, column 'Mass'" in err
    g = tmp_path / "named.csv"
    g.write_text("picture,Mass\n00000211_006.png,0.2\n")
    code = main(["evaluate", "--scores", str(g)])
    _, err = capsys.readouterr()
    assert code == 2 and "no image column" in err
    code = main(["evaluate", "--scores", str(g), "--image-column", "picture", "--cluster",
                 "unit", "--format", "csv"])
    out, err = capsys.readouterr()
    assert code == 0 and "note: 809 reference image(s) without a score" in err
    assert out.startswith("finding,rater,statistic")
    code = main(["evaluate", "--prevalence", "Mass=2", "--threshold", "0.5"])
    _, err = capsys.readouterr()
    assert code == 2 and "strictly between 0 and 1" in err
