"""The AUC coverage study's model (benchmarks/coverage_auc.py): population AUC, one group.

The study checks intervals against the population AUC ``Phi(mu / sqrt 2)`` of its binormal
model with patient effects; here that value is checked against a large simulation scored by
scikit-learn, and one small group of data sets runs through every interval method.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.metrics import roc_auc_score

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def study():
    """The script as a module (its directory on the path, as when it runs)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield importlib.import_module("coverage_auc")
    finally:
        sys.path.remove(str(BENCHMARKS))
        for name in ("coverage_auc", "coverage_study"):
            sys.modules.pop(name, None)


def test_population_auc_of_the_binormal_model(study):
    # S+ - S- of two images of different patients is N(mu, 2): AUC = Phi(mu / sqrt 2) = 0.85,
    # whatever the patient effects; prevalence pi from the probit threshold.
    sc = study.Scenario("t", "t", 0.2, rho_t=0.6, rho_s=0.6)
    assert norm.cdf(sc.mu / np.sqrt(2)) == pytest.approx(0.85)
    rng = np.random.default_rng(3)
    patient_of = np.repeat(np.arange(40_000), 3)          # 120,000 images
    s, t = study.simulate(rng, patient_of, sc, 1)
    assert t.mean() == pytest.approx(0.2, abs=0.01)
    # MC SE of the AUC here is about 0.002 (clustered): 4 SE
    assert roc_auc_score(t[:, 0], s[:, 0]) == pytest.approx(0.85, abs=0.008)
    # status and scores correlate within patients as designed
    same = np.corrcoef(s[0::3, 0] - sc.mu * t[0::3, 0], s[1::3, 0] - sc.mu * t[1::3, 0])[0, 1]
    assert same == pytest.approx(0.6, abs=0.03)


def test_one_group_of_intervals(study):
    patient_of = np.repeat(np.arange(60), 2)
    sc = study.SCENARIOS[1]
    s, t = study.simulate(np.random.default_rng(0), patient_of, sc, 4)
    rows = study.group_intervals(s, t, patient_of, 100, np.random.SeedSequence(1))
    assert len(rows) == 4 * len(study.METHODS)
    assert {r["method"] for r in rows} == set(study.METHODS)
    for r in rows:
        assert 0 <= r["low"] <= r["estimate"] <= r["high"] <= 1
