"""Coverage of 95% intervals for the ROC AUC when images cluster within patients.

The AUC part of the coverage study (docs/coverage.md): data sets shaped like the bundled
all-findings set -- 810 images of 532 patients with the real number of images per patient --
one finding, one model score per image. Each interval is checked against the *population*
AUC; the coverage is the share of simulated data sets whose interval contains it.

The model (binormal with patient effects)
-----------------------------------------
Patient ``j`` has a status propensity ``a_j`` and a score effect ``b_j``; image ``i`` of
patient ``j`` has true status ``T_i`` and score ``S_i``::

    a_j ~ N(0, rho_t),  T_i = 1[a_j + e_i > c],  e_i ~ N(0, 1 - rho_t),  c = Phi^-1(1 - pi)
    b_j ~ N(0, rho_s),  S_i = mu T_i + b_j + d_i,  d_i ~ N(0, 1 - rho_s)

so ``P(T = 1) = pi``, the status of two images of a patient is correlated (latent correlation
``rho_t``) and so are their scores (``rho_s``), independently of the status. The population
AUC -- ``P(S+ > S-)`` for a positive and a negative image drawn independently from the
population, the limit of the Mann-Whitney estimator as the number of patients grows (pairs
within one patient are a vanishing share of all pairs) -- is

    AUC = P(mu + (b_j - b_k) + (d - d') > 0) = Phi(mu / sqrt(2)),

whatever ``rho_t`` and ``rho_s``: the score difference of images of two different patients is
``N(mu, 2 rho_s + 2 (1 - rho_s)) = N(mu, 2)``. :func:`check_population_value` confirms it by
simulation on ~1M images with the bundled patient structure.

Methods
-------
- ``DeLong`` (images independent) and ``Obuchowski`` (patients as clusters): Wald intervals
  ``AUC +- 1.96 SE`` clipped to [0, 1] (:func:`adjudicate.evaluate.roc_auc`);
- ``percentile`` and ``BCa`` bootstrap, resampling images or patients, from ``--resamples``
  replicates (the vectorised AUC bootstrap of :mod:`adjudicate.evaluate`). The data sets of a
  group of ``GROUP_SIZE`` share the bootstrap weights (independent of the data, so every
  interval is an ordinary bootstrap interval); every group draws fresh weights.

Run::

    python benchmarks/coverage_auc.py                  # 2,000 data sets x 4 scenarios, B = 1,000
    python benchmarks/coverage_auc.py --quick          # smoke run

Outputs: ``benchmarks/results/coverage_auc.csv`` (one row per scenario and method),
``benchmarks/results/coverage_auc_population_check.csv`` and
``docs/figures/coverage_auc.png``; ``--quick`` adds ``_quick`` to the names.

Needs the ``test`` extra for :func:`check_population_value` (``pip install ".[test]"``:
scikit-learn).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import ndtri

sys.path.insert(0, str(Path(__file__).resolve().parent))
from coverage_study import bundled_design  # the one home of the design

from adjudicate.evaluate import (
    _auc_analysis,
    _bootstrap_auc,
    _wald,
)
from adjudicate.resample import resolve_clusters

ROOT = Path(__file__).resolve().parents[1]
LEVEL = 0.95
GROUP_SIZE = 100
METHODS = ("delong", "percentile_unit", "bca_unit", "obuchowski", "percentile_patient",
           "bca_patient")
METHOD_LABELS = {"delong": "DeLong (images)", "percentile_unit": "percentile (images)",
                 "bca_unit": "BCa (images)", "obuchowski": "Obuchowski (patients)",
                 "percentile_patient": "percentile (patients)", "bca_patient": "BCa (patients)"}
DEFAULT_DATASETS, DEFAULT_RESAMPLES = 2_000, 1_000
QUICK_DATASETS, QUICK_RESAMPLES = 40, 200


@dataclass(frozen=True)
class Scenario:
    name: str
    label: str
    prevalence: float
    rho_t: float = 0.0     # latent correlation of the status of two images of a patient
    rho_s: float = 0.0     # correlation of their scores given the status
    auc: float = 0.85

    @property
    def mu(self) -> float:
        return math.sqrt(2) * float(ndtri(self.auc))


SCENARIOS = (
    Scenario("independent_p30", "independent images, prevalence 0.30", 0.30),
    Scenario("clustered_p30", "patient effects (rho 0.6/0.6), prevalence 0.30", 0.30,
             0.6, 0.6),
    Scenario("scores_only_p30", "score effect only (rho_s 0.6), prevalence 0.30", 0.30,
             0.0, 0.6),
    Scenario("clustered_p10", "patient effects (rho 0.6/0.6), prevalence 0.10", 0.10,
             0.6, 0.6),
)


def simulate(rng, patient_of: np.ndarray, scenario: Scenario, n_datasets: int):
    """Scores and labels, (images, data sets)."""
    n_pat = int(patient_of.max()) + 1
    n = len(patient_of)
    c = float(ndtri(1 - scenario.prevalence))
    a = rng.normal(0, math.sqrt(scenario.rho_t), (n_pat, n_datasets))[patient_of]
    t = (a + rng.normal(0, math.sqrt(1 - scenario.rho_t), (n, n_datasets)) > c)
    b = rng.normal(0, math.sqrt(scenario.rho_s), (n_pat, n_datasets))[patient_of]
    s = scenario.mu * t + b + rng.normal(0, math.sqrt(1 - scenario.rho_s), (n, n_datasets))
    return s, t.astype(float)


def check_population_value(patient_of, scenario, *, copies=1200, seed=0) -> dict:
    """Empirical AUC of ~1M images (the design repeated) against ``Phi(mu / sqrt 2)``."""
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(seed)
    big = np.concatenate([patient_of + k * (patient_of.max() + 1) for k in range(copies)])
    s, t = simulate(rng, big, scenario, 1)
    est = roc_auc_score(t[:, 0], s[:, 0])
    return {"scenario": scenario.name, "n_images": len(big), "population_auc": scenario.auc,
            "simulated_auc": est, "difference": est - scenario.auc}


def group_intervals(s, t, patient_of, n_resamples, seed) -> list[dict]:
    """All methods' intervals for a group of data sets (columns of ``s``, ``t``)."""
    rows = []
    designs = {"unit": resolve_clusters("unit", None, n_units=len(s)),
               "patient": resolve_clusters(patient_of, None, n_units=len(s))}
    analytic = {"unit": "delong", "patient": "obuchowski"}
    seeds = seed.spawn(2)
    for (kind, design), ss in zip(designs.items(), seeds):
        boot, est = _bootstrap_auc(s, t, design, n_resamples=n_resamples, seed=ss,
                                   method="bca", confidence_level=LEVEL)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)
            ci = {m: boot.confidence_interval(LEVEL, method=m) for m in ("percentile", "bca")}
        fallbacks = len(caught)
        for k in range(s.shape[1]):
            a, cov, _, _ = _auc_analysis(s[:, k], t[:, k], design)
            se = float(np.sqrt(cov[0, 0]))
            lo, hi = _wald(a[0], se, LEVEL, 0.0, 1.0)
            rows.append({"method": analytic[kind], "estimate": a[0], "low": lo, "high": hi,
                         "se": se, "bca_fallbacks": 0})
            for m in ("percentile", "bca"):
                rows.append({"method": f"{m}_{kind}", "estimate": est[k],
                             "low": ci[m].low[k], "high": ci[m].high[k],
                             "se": boot.standard_error[k],
                             "bca_fallbacks": fallbacks if m == "bca" else 0})
    return rows


def run_scenario(scenario, patient_of, n_datasets, n_resamples, seed) -> pd.DataFrame:
    ss = np.random.SeedSequence([seed, SCENARIOS.index(scenario)])
    rows = []
    for g, child in enumerate(ss.spawn(math.ceil(n_datasets / GROUP_SIZE))):
        size = min(GROUP_SIZE, n_datasets - g * GROUP_SIZE)
        sim, boot = child.spawn(2)
        s, t = simulate(np.random.default_rng(sim), patient_of, scenario, size)
        rows += group_intervals(s, t, patient_of, n_resamples, boot)
    out = pd.DataFrame(rows)
    out.insert(0, "scenario", scenario.name)
    return out


def summarize(long: pd.DataFrame, n_resamples: int, seed) -> pd.DataFrame:
    by_name = {s.name: s for s in SCENARIOS}
    z = float(ndtri(0.5 + LEVEL / 2))
    rows = []
    for (scen, method), part in long.groupby(["scenario", "method"], sort=False):
        sc = by_name[scen]
        truth = sc.auc
        ok = part[part.low.notna() & part.high.notna()]
        n = len(ok)
        covered = (ok.low <= truth) & (truth <= ok.high)
        p = covered.mean()
        width = ok.high - ok.low
        sd = part.estimate.std(ddof=1)
        rows.append({
            "scenario": scen, "scenario_label": sc.label, "prevalence": sc.prevalence,
            "rho_t": sc.rho_t, "rho_s": sc.rho_s, "method": method,
            "method_label": METHOD_LABELS[method], "true_auc": truth, "coverage": p,
            "mc_se": math.sqrt(p * (1 - p) / n), "below_truth": (ok.high < truth).mean(),
            "above_truth": (ok.low > truth).mean(), "mean_width": width.mean(),
            "relative_width": width.mean() / (2 * z * sd), "mean_se": ok.se.mean(),
            "empirical_sd": sd, "mean_estimate": part.estimate.mean(), "n_datasets": len(part),
            "n_undefined": len(part) - n, "bca_fallback_groups": int(part.bca_fallbacks.gt(0)
                                                                     .sum() > 0),
            "n_resamples": 0 if method in ("delong", "obuchowski") else n_resamples,
            "seed": seed})
    return pd.DataFrame(rows)


def plot(table: pd.DataFrame, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = int(table.n_datasets.max())
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6))
    x = np.arange(len(METHODS))
    colors = ("#1b6ca8", "#e08214", "#2b8a3e", "#7b3294")
    offsets = np.linspace(-0.27, 0.27, len(SCENARIOS))
    band = 2 * math.sqrt(LEVEL * (1 - LEVEL) / n)
    for ax, (value, err, ylabel) in zip(axes, (
            ("coverage", "mc_se", "coverage of the population AUC"),
            ("relative_width", None, "mean width / (3.92 x SD of estimates)"))):
        nominal = LEVEL if value == "coverage" else 1.0
        ax.axhline(nominal, color="black", lw=1)
        if value == "coverage":
            ax.axhspan(nominal - band, nominal + band, color="0.88", zorder=0)
        for sc, off, col in zip(SCENARIOS, offsets, colors):
            part = table[table.scenario == sc.name].set_index("method").reindex(list(METHODS))
            yerr = 2 * part[err] if err else None
            ax.errorbar(x + off, part[value], yerr=yerr, fmt="o", color=col, ms=5, capsize=3,
                        label=sc.label)
        ax.set_xticks(x)
        ax.set_xticklabels([METHOD_LABELS[m].replace(" (", "\n(") for m in METHODS],
                           fontsize=8.5)
        ax.axvline(2.5, color="0.5", lw=0.8, ls=":")
        ax.set_ylabel(ylabel)
        ax.grid(axis="y", color="0.9", lw=0.6)
    axes[0].set_ylim(min(0.8, float((table.coverage - 2 * table.mc_se).min()) - 0.01), 1.0)
    axes[1].set_ylim(min(0.8, float(table.relative_width.min()) - 0.03),
                     max(1.1, float(table.relative_width.max()) + 0.03))
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=9, frameon=False)
    fig.suptitle(f"ROC AUC: coverage (left, \u00b12 MC SE, grey: 0.95 \u00b12 MC SE) and width "
                 f"(right) of nominal 95% intervals,\n{n:,} simulated data sets per scenario; "
                 "810 images of 532 patients; population AUC 0.85", fontsize=11)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def markdown(table: pd.DataFrame) -> str:
    head = "| scenario | " + " | ".join(METHOD_LABELS[m] for m in METHODS) + " |"
    lines = [head, "|" + "---|" * (1 + len(METHODS))]
    for sc in SCENARIOS:
        part = table[table.scenario == sc.name].set_index("method")
        if part.empty:
            continue
        lines.append(f"| {sc.label} | " + " | ".join(
            f"{part.coverage[m]:.3f} ({part.mc_se[m]:.3f})" for m in METHODS) + " |")
    return "\n".join(lines)


def main(argv=None) -> pd.DataFrame:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", type=int, default=None)
    p.add_argument("--resamples", type=int, default=None)
    p.add_argument("--seed", type=int, default=20261127)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--replot", action="store_true",
                   help="redraw the figure from the results CSV, simulate nothing")
    args = p.parse_args(argv)
    if args.replot:
        suffix = "_quick" if args.quick else ""
        table = pd.read_csv(ROOT / "benchmarks" / "results" / f"coverage_auc{suffix}.csv")
        plot(table, ROOT / "docs" / "figures" / f"coverage_auc{suffix}.png")
        print(markdown(table))
        return table
    n_data = args.datasets or (QUICK_DATASETS if args.quick else DEFAULT_DATASETS)
    n_boot = args.resamples or (QUICK_RESAMPLES if args.quick else DEFAULT_RESAMPLES)
    suffix = "_quick" if args.quick else ""
    patient_of = bundled_design()
    t0 = time.perf_counter()
    checks = pd.DataFrame([check_population_value(patient_of, sc, copies=60 if args.quick
                                                  else 1200) for sc in SCENARIOS])
    long = pd.concat([run_scenario(sc, patient_of, n_data, n_boot, args.seed)
                      for sc in SCENARIOS], ignore_index=True)
    table = summarize(long, n_boot, args.seed)
    results = ROOT / "benchmarks" / "results"
    table.to_csv(results / f"coverage_auc{suffix}.csv", index=False, float_format="%.6g")
    checks.to_csv(results / f"coverage_auc_population_check{suffix}.csv", index=False,
                  float_format="%.6g")
    plot(table, ROOT / "docs" / "figures" / f"coverage_auc{suffix}.png")
    print(checks.to_string(index=False))
    print(markdown(table))
    print(f"{n_data} data sets x {len(SCENARIOS)} scenarios, B = {n_boot}: "
          f"{time.perf_counter() - t0:.0f} s")
    return table


if __name__ == "__main__":
    main()
