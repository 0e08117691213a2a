"""The coverage study's model (benchmarks/coverage_study.py): its population values, its smoke run.

The study checks intervals against analytic population values of Fleiss' kappa (= Krippendorff's
alpha) and Gwet's AC1; these tests check those values by hand on special cases and against an
independent simulation written here with plain numpy and the textbook formulas, then run the
script's ``--quick`` path end to end.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "coverage_study.py"


@pytest.fixture(scope="module")
def study():
    spec = importlib.util.spec_from_file_location("coverage_study", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it executes
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


def test_perfect_readers_agree_perfectly(study):
    # Se = Sp = 1: every read is the true status, m = pi, P_a = 1, so kappa = alpha = AC1 = 1,
    # with or without patient effects.
    for icc in (0.0, 0.8):
        s = study.Scenario("perfect", "perfect", 0.2, icc=icc, sensitivity=1.0, specificity=1.0)
        values = study.population_values(s)
        for name in ("fleiss_kappa", "krippendorff_alpha", "gwet_ac1"):
            assert values[name] == pytest.approx(1.0)
        assert values["marginal_yes"] == pytest.approx(0.2)


def test_uninformative_readers(study):
    # Se = 1 - Sp: the read does not depend on the status (Youden J = 0), so kappa = 0.
    # AC1 is not 0 unless the YES rate is 1/2: with y0 = 0.3, E[y(1-y)] = m(1-m) = 0.21 and
    # AC1 = 1 - 2 * 0.21 / (1 - 2 * 0.21) = 1 - 0.42 / 0.58 = 0.16 / 0.58 = 0.275862...
    s = study.Scenario("noise", "noise", 0.4, sensitivity=0.3, specificity=0.7)
    values = study.population_values(s)
    assert values["fleiss_kappa"] == pytest.approx(0.0, abs=1e-12)
    assert values["gwet_ac1"] == pytest.approx(0.16 / 0.58)
    half = study.Scenario("coin", "coin", 0.4, sensitivity=0.5, specificity=0.5)
    assert study.population_values(half)["gwet_ac1"] == pytest.approx(0.0, abs=1e-12)


def test_default_readers_by_hand(study):
    # pi = 0.3, Se = 0.85, Sp = 0.95: m = 0.3 * 0.85 + 0.7 * 0.05 = 0.29;
    # kappa = pi (1 - pi) J^2 / (m (1 - m)) = 0.21 * 0.8^2 / (0.29 * 0.71) = 0.1344 / 0.2059;
    # E[y(1-y)] = 0.3 * 0.85 * 0.15 + 0.7 * 0.05 * 0.95 = 0.0715,
    # AC1 = 1 - 2 * 0.0715 / (1 - 2 * 0.2059) = 1 - 0.143 / 0.5882.
    s = study.Scenario("default", "default", 0.3)
    values = study.population_values(s)
    assert values["marginal_yes"] == pytest.approx(0.29)
    assert values["fleiss_kappa"] == pytest.approx(0.1344 / 0.2059)
    assert values["krippendorff_alpha"] == values["fleiss_kappa"]
    assert values["gwet_ac1"] == pytest.approx(1 - 0.143 / 0.5882)


def _textbook_fleiss_and_ac1(reads: np.ndarray) -> tuple[float, float]:
    """Fleiss (1971) kappa and Gwet (2008) AC1 of complete binary reads (units x raters)."""
    r = reads.shape[1]
    yes = reads.sum(1)
    counts = np.stack([r - yes, yes], 1).astype(float)          # n_ij
    p_i = ((counts**2).sum(1) - r) / (r * (r - 1))              # agreement of unit i
    p_bar = p_i.mean()
    p_j = counts.sum(0) / counts.sum()                          # category shares
    pe_fleiss = (p_j**2).sum()
    pe_gwet = (p_j * (1 - p_j)).sum() / (len(p_j) - 1)
    return (p_bar - pe_fleiss) / (1 - pe_fleiss), (p_bar - pe_gwet) / (1 - pe_gwet)


@pytest.mark.parametrize("name", ["independent_p05", "clustered_hard_p30"])
def test_population_values_match_an_independent_simulation(study, name):
    # 300,000 independent images drawn here from the latent states directly (status, hard
    # patient), 5 readers; the SE of kappa at this size is about 0.002-0.003, so 0.012 is
    # more than 4 SE, yet far tighter than any plausible slip in the derivation.
    scenario = next(s for s in study.SCENARIOS if s.name == name)
    rng = np.random.default_rng(11)
    n = 300_000
    truth = rng.random(n) < scenario.prevalence
    hard = rng.random(n) < scenario.hard_share
    se = np.where(hard, scenario.hard_sensitivity, scenario.sensitivity)
    sp = np.where(hard, scenario.hard_specificity, scenario.specificity)
    y = np.where(truth, se, 1 - sp)
    reads = (rng.random((n, 5)) < y[:, None]).astype(int)
    kappa, ac1 = _textbook_fleiss_and_ac1(reads)
    values = study.population_values(scenario)
    assert kappa == pytest.approx(values["fleiss_kappa"], abs=0.012)
    assert ac1 == pytest.approx(values["gwet_ac1"], abs=0.012)
    assert reads.mean() == pytest.approx(values["marginal_yes"], abs=0.003)


def test_simulated_patient_effect_has_the_intended_correlation(study):
    # The reads of two images of one patient are correlated through the shared propensity
    # (and difficulty); without patient effects images are independent. Read-level check on
    # the simulator itself: correlation of the YES shares of the first two images of patients
    # with >= 2 images, pooled over data sets.
    patient_of = np.repeat(np.arange(2000), 2)                 # 2000 patients x 2 images
    rng = np.random.default_rng(5)
    for scenario, positive in ((study.SCENARIOS[0], False), (study.SCENARIOS[2], True)):
        codes = study.simulate_codes(rng, patient_of, 20, scenario)
        share = codes.mean(1)                                   # (images, data sets)
        r = np.corrcoef(share[0::2].ravel(), share[1::2].ravel())[0, 1]
        assert (r > 0.3) if positive else (abs(r) < 0.03), (scenario.name, r)


def test_quick_run_end_to_end(study, tmp_path):
    table = study.main(["--quick", "--out", str(tmp_path), "--results", str(tmp_path)])
    csv = tmp_path / "coverage_study_quick.csv"
    assert csv.exists()
    check = pd.read_csv(tmp_path / "coverage_population_check_quick.csv")
    assert len(check) == len(study.SCENARIOS) * len(study.STATISTICS)
    assert (check.z.abs() < 5).all() and (check.design_effect > 0.9).all()
    for figure in ("coverage_by_method_quick.png", "coverage_width_quick.png"):
        assert (tmp_path / figure).stat().st_size > 10_000
    saved = pd.read_csv(csv)
    n_rows = len(study.SCENARIOS) * len(study.STATISTICS) * len(study.METHODS)
    assert len(saved) == len(table) == n_rows
    required = {"scenario", "statistic", "method", "coverage", "mc_se", "mean_width",
                "n_datasets", "n_undefined"}
    assert required <= set(saved.columns)
    assert (saved.n_datasets == study.QUICK_DATASETS).all()
    assert (saved.n_undefined == 0).all()
    assert saved.coverage.between(0, 1).all() and (saved.mean_width > 0).all()
    # Krippendorff's alpha and Fleiss' kappa share the population value in every scenario
    wide = saved.pivot_table(index=["scenario", "method"], columns="statistic",
                             values="true_value")
    assert np.allclose(wide.fleiss_kappa, wide.krippendorff_alpha)


def test_proportion_intervals_of_the_small_count_study(study):
    # Wilson (1927) against statsmodels' implementation; with one image per cluster the
    # design effect of the cluster-adjusted Wilson is n/(n-1) -> floored at 1 only when
    # below: here it is slightly above 1, so the interval is a little wider than Wilson's.
    from statsmodels.stats.proportion import proportion_confint

    lo, hi = study.wilson_interval(8, 9)
    ref = proportion_confint(8, 9, alpha=0.05, method="wilson")
    assert (lo, hi) == pytest.approx(ref)
    assert (round(lo, 3), round(hi, 3)) == (0.565, 0.980)   # the 8/9 example
    x = np.array([1.0] * 8 + [0.0])
    clo, chi = study.cluster_wilson_interval(x, np.ones(9))
    assert clo < lo and chi > hi
    # two images per patient, perfectly correlated: deff = 2 J / (J - 1) by hand (ratio
    # estimator: sum_j (x_j - p n_j)^2 / n^2 over p (1 - p) / n), so the interval is
    # Wilson's at n / deff images
    xc, nc = np.array([2.0] * 8 + [0.0]), np.full(9, 2.0)
    clo2, chi2 = study.cluster_wilson_interval(xc, nc)
    deff = 9 / 8 * (8 * (2 - 2 * 16 / 18) ** 2 + (0 - 2 * 16 / 18) ** 2) / 18**2 / (
        (16 / 18) * (2 / 18) / 18)
    elo, ehi = study.wilson_interval(16 / 18 * 18 / deff, 18 / deff)
    assert (clo2, chi2) == pytest.approx((elo, ehi))
    assert deff == pytest.approx(2 * 9 / 8)


def test_study_cluster_wilson_is_the_packages_default_interval(study):
    # The coverage study's cluster-adjusted Wilson (written there independently) is the interval
    # accuracy_table reports by default for every proportion ("wilson (design effect,
    # patients)"), so the study measures the coverage of the package's own default.
    import warnings

    import adjudicate as adj

    calls = ["YES", "YES", "NO", "YES", "YES", "YES", "NO", "YES", "YES"]
    patients = np.array([0, 0, 1, 1, 2, 2, 3, 3, 4])
    r = adj.Ratings.from_array(np.array(calls, dtype=object)[:, None], readers=["r"])
    r = adj.Ratings(codes=r.codes, categories=r.categories, units=r.units, readers=r.readers,
                    findings=r.findings, clusters=patients, positive="YES")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # specificity undefined: no reference negatives
        t = adj.accuracy_table(r, ["YES"] * 9, n_resamples=50, seed=1).table
    row = t[t.statistic == "sensitivity"].iloc[0]
    assert row["method"].startswith("wilson (design effect")
    yes = (np.array(calls) == "YES").astype(float)
    x = np.bincount(patients, weights=yes)
    n = np.bincount(patients).astype(float)
    assert study.cluster_wilson_interval(x, n) == pytest.approx((row.ci_low, row.ci_high))
