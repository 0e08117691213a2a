"""Dawid-Skene: against crowd-kit (an independent implementation) and a simulation whose
reader accuracies are known."""

import warnings

import numpy as np
import pandas as pd
import pytest

from adjudicate import Ratings
from adjudicate.reference import DawidSkene


def simulate(seed, n_units=600, prevalence=0.3, sens=(0.9, 0.7, 0.8, 0.95, 0.6),
             spec=(0.8, 0.95, 0.9, 0.85, 0.9), reads_per_unit=3, images_per_patient=2):
    """Units in patients of two images; each unit read by 3 of 5 readers (missing reads)."""
    rng = np.random.default_rng(seed)
    truth = rng.random(n_units) < prevalence
    p = np.where(truth[:, None], np.array(sens)[None], 1 - np.array(spec)[None])
    yes = rng.random(p.shape) < p
    n_r = len(sens)
    chosen = np.argsort(rng.random((n_units, n_r)), axis=1)[:, :reads_per_unit]
    read = np.zeros((n_units, n_r), bool)
    np.put_along_axis(read, chosen, True, axis=1)
    labels = np.where(read, np.where(yes, "YES", "NO"), None)
    r = Ratings.from_array(labels, readers=[f"r{i}" for i in range(n_r)])
    clusters = np.arange(n_units) // images_per_patient
    return Ratings(codes=r.codes, categories=r.categories, units=r.units, readers=r.readers,
                   findings=r.findings, clusters=clusters, positive="YES"), truth


def test_matches_crowdkit_dawid_skene():
    # crowd-kit 1.4 DawidSkene (pandas implementation, majority-vote start) run to its fixed
    # point: same maximum-likelihood estimates to ~1e-6. Its own stopping rule stops when the
    # ELBO first decreases, so it is made to run all 40 iterations (tol < 0); plain EM
    # reaches 1e-14 in 28 iterations on these data (accurate readers, 4 reads per image).
    ck = pytest.importorskip("crowdkit.aggregation")
    r, _ = simulate(seed=3, n_units=150, reads_per_unit=4, sens=(0.9, 0.85, 0.8, 0.95, 0.75),
                    spec=(0.9, 0.95, 0.85, 0.9, 0.8))
    mine = DawidSkene(n_starts=1, tol=1e-13, max_iter=5000).fit(r)
    long = r.to_frame().rename(columns={"unit": "task", "reader": "worker",
                                        "category": "label"})[["task", "worker", "label"]]
    with warnings.catch_warnings():  # crowd-kit's pandas deprecation warnings
        warnings.simplefilter("ignore")
        theirs = ck.DawidSkene(n_iter=40, tol=-1.0).fit(long)
    np.testing.assert_allclose(mine.probability_[0].to_numpy(),
                               theirs.probas_["YES"].reindex(r.units).to_numpy(), atol=1e-6)
    assert mine.prevalence_.loc[0, "YES"] == pytest.approx(theirs.priors_["YES"], abs=1e-6)
    err = theirs.errors_  # P(observed label | true label), indexed (worker, observed)
    sens = err.xs("YES", level="label")["YES"].reindex(r.readers)
    spec = err.xs("NO", level="label")["NO"].reindex(r.readers)
    got = mine.readers_.pivot(index="reader", columns="statistic", values="estimate")
    np.testing.assert_allclose(got.loc[list(r.readers), "sensitivity"], sens, atol=1e-6)
    np.testing.assert_allclose(got.loc[list(r.readers), "specificity"], spec, atol=1e-6)


def test_recovers_known_accuracies_within_intervals():
    # 600 images of 300 patients, 3 of 5 readers per image. The 11 parameters (prevalence,
    # 5 sensitivities, 5 specificities) are known; nominal 95% intervals should cover them
    # (expected misses ~0.55; at most 2 allowed), and every estimate is within 0.1.
    sens = (0.9, 0.7, 0.8, 0.95, 0.6)
    spec = (0.8, 0.95, 0.9, 0.85, 0.9)
    r, truth = simulate(seed=11, sens=sens, spec=spec)
    ds = DawidSkene(n_resamples=200, seed=5).fit(r)
    t = ds.table().table
    true = {("latent class", "prevalence"): truth.mean()}  # the sample prevalence
    true.update({(f"r{i}", "sensitivity"): s for i, s in enumerate(sens)})
    true.update({(f"r{i}", "specificity"): s for i, s in enumerate(spec)})
    t["true"] = [true[(a, b)] for a, b in zip(t.rater, t.statistic)]
    covered = (t.ci_low <= t.true) & (t.true <= t.ci_high)
    assert covered.sum() >= 9, t
    assert (np.abs(t.estimate - t.true) < 0.1).all()
    assert t.method.iloc[0].startswith("percentile bootstrap, 200 resamples of patients")
    assert (t.ci_high - t.ci_low).between(0.01, 0.4).all()


def test_starts_agree_and_hidden_truth_is_recovered():
    r, truth = simulate(seed=2)
    ds = DawidSkene(n_starts=4, seed=0).fit(r)
    conv = ds.convergence_
    assert conv.converged.all() and conv.chosen.sum() == 1
    assert conv.log_likelihood.max() - conv.log_likelihood.min() < 1e-4  # one optimum here
    hard = ds.labels_[0].to_numpy() == "YES"
    assert (hard == truth).mean() > 0.9
    # soft reference is calibrated-ish: mean posterior = fitted prevalence
    assert ds.probability_[0].mean() == pytest.approx(ds.prevalence_.loc[0, "YES"], abs=1e-6)


def test_same_seed_same_numbers_and_row_order_free():
    r, _ = simulate(seed=4, n_units=200)
    a = DawidSkene(n_resamples=40, seed=9).fit(r).table().table
    b = DawidSkene(n_resamples=40, seed=9).fit(r).table().table
    pd.testing.assert_frame_equal(a, b)
    perm = np.random.default_rng(0).permutation(r.n_units)
    shuffled = r.select(units=r.units[perm])
    c = DawidSkene(n_resamples=40, seed=9).fit(shuffled).table().table
    np.testing.assert_allclose(a.estimate, c.estimate, atol=1e-8)
    np.testing.assert_allclose(a.ci_low, c.ci_low, atol=1e-8)


def test_hedge_as_category_gives_classes_by_categories():
    reads = [["YES", "HEDGE", "YES"], ["NO", "NO", "HEDGE"], ["YES", "YES", "YES"],
             ["NO", "NO", "NO"], ["HEDGE", "YES", "YES"], ["NO", "HEDGE", "NO"]]
    r = Ratings.from_array(reads, categories=["NO", "HEDGE", "YES"])
    ds = DawidSkene(hedge="category", n_starts=1).fit(r)
    assert ds.classes_ == ("NO", "YES") and ds.confusion_.shape == (1, 3, 2, 3)
    np.testing.assert_allclose(ds.confusion_.sum(-1), 1.0)
    assert ds.labels_[0].tolist() == ["YES", "NO", "YES", "NO", "YES", "NO"]


def test_bad_options():
    with pytest.raises(ValueError, match="hedge"):
        DawidSkene(hedge="abstain")
    with pytest.raises(ValueError, match="two classes"):
        DawidSkene().fit(Ratings.from_array([["NO", "NO"]]))
