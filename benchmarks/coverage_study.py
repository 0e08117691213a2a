"""Coverage of 95% intervals for Fleiss' kappa, Krippendorff's alpha and Gwet's AC1.

A simulation study of the package's interval methods on data shaped like the bundled
all-findings set: 810 images of 532 patients with the real number of images per patient
(``adjudicate.load_dataset("all_findings").ratings.clusters``), 5 exchangeable readers, one
binary finding. Each interval is checked against the *population* value of the coefficient,
derived analytically below; the coverage is the share of simulated data sets whose interval
contains it.

The model (a latent-class model with patient effects)
------------------------------------------------------
Patient ``j`` has a propensity ``p_j`` and a reading difficulty ``D_j``; image ``i`` of
patient ``j`` has a latent true status ``T_i``; each reader reads it independently given
``(T_i, D_j)``::

    p_j ~ Beta(pi * s, (1 - pi) * s),  s = 1 / icc - 1     (p_j = pi when icc = 0)
    D_j ~ Bernoulli(h)                                      ("hard" patient; h = 0: none)
    T_i | p_j ~ Bernoulli(p_j)                              (images of j share p_j)
    Y_ir | T_i, D_j ~ Bernoulli(y(T_i, D_j)),  y(1, d) = Se_d,  y(0, d) = 1 - Sp_d

``E[p_j] = pi`` (the prevalence) and ``icc = 1 / (s + 1)`` is the intra-patient correlation
of the true status of two images of the same patient (Beta-binomial). The difficulty is
shared by all images of a patient (so the readers' accuracy, and with it their agreement,
is correlated within patients too) and independent of the status.

Population values
-----------------
Write ``L = (T, D)`` for the latent state of a random image and ``y = y(L)``. Two distinct
readers ``r != s`` read the image independently given ``L``, each YES with probability
``y``, so for two random readers on a random image

- the marginal YES rate is ``m = E[y]``;
- the pairwise agreement probability is ``P_a = E[y^2 + (1 - y)^2] = 1 - 2 E[y (1 - y)]``.

Fleiss' kappa. Its chance agreement is that of two reads drawn from the pooled category
shares, ``p_e = m^2 + (1 - m)^2 = 1 - 2 m (1 - m)``, so::

    kappa = (P_a - p_e) / (1 - p_e) = (m (1 - m) - E[y (1 - y)]) / (m (1 - m))
          = Var(y) / (m (1 - m)),

using ``m (1 - m) = Var(Y) = E[Var(Y | L)] + Var(E[Y | L]) = E[y (1 - y)] + Var(y)``:
kappa is the intraclass correlation of the reads. Without hard patients ``y`` takes the
values ``Se`` and ``1 - Sp`` with probabilities ``pi`` and ``1 - pi``, so
``Var(y) = pi (1 - pi) J^2`` with Youden's ``J = Se + Sp - 1``::

    kappa = pi (1 - pi) (Se + Sp - 1)^2 / (m (1 - m)),   m = pi Se + (1 - pi) (1 - Sp).

Checks: perfect readers (``Se = Sp = 1``) give ``m = pi`` and kappa 1; uninformative readers
(``Se = 1 - Sp``, ``J = 0``) give kappa 0.

Krippendorff's alpha (nominal). ``alpha = 1 - D_o / D_e`` with ``D_o`` the share of
disagreeing ordered pairs of values within units (``-> 1 - P_a``) and ``D_e`` that among all
pairs of pairable values, ``N / (N - 1) * 2 m_hat (1 - m_hat)`` (``-> 1 - p_e``). With the same
number of reads on every image the two coefficients differ by ``O(1 / n)`` and share the
limit: ``alpha = kappa`` in the population.

Gwet's AC1. With ``q = 2`` categories its chance agreement is
``p_e = (1 / (q - 1)) sum_k m_k (1 - m_k) = 2 m (1 - m)``, so::

    AC1 = (P_a - 2 m (1 - m)) / (1 - 2 m (1 - m)) = 1 - 2 E[y (1 - y)] / (1 - 2 m (1 - m)).

Perfect readers give AC1 = 1; uninformative readers with ``Se = 1 - Sp = 0.5`` give 0, but
with ``Se = 1 - Sp = y0 != 0.5`` AC1 is ``1 - 2 y0 (1 - y0) / (1 - 2 y0 (1 - y0)) > 0`` (AC1
rewards agreement on the common category even without information).

With hard patients ``E[y]``, ``E[y^2]`` and ``E[y (1 - y)]`` are averages over the four
states ``(t, d)`` with probabilities ``P(T = t) P(D = d)``.

The patient effects change only how images of one patient depend on each other, never the
law of one image (``E[p_j] = pi``; ``D`` independent of ``T``), so the population values do
not depend on ``icc``; the estimators are ratios of averages over images and converge to them
as the number of patients grows. :func:`check_population_values` confirms this once per
scenario on about a million simulated images with the same patient structure.

Design
------
Per scenario, ``--datasets`` data sets are simulated; each interval method is computed for
each data set; coverage, its Monte Carlo standard error ``sqrt(p (1 - p) / N)``, which side
the misses fall on, and the mean width are tabulated. Methods (for each statistic):

- ``wald (textbook)``: estimate +- 1.96 SE, Gwet's (2014) analytic SE for independent
  units (``agreement_table(..., ci=None, clusters="unit")``);
- ``wald (cluster-robust)``: the same with the cluster-robust sandwich SE over patients
  (``clusters="patient"``);
- ``percentile`` and ``BCa`` bootstrap intervals, resampling images (``units``) or patients
  (``patients``), from ``--resamples`` replicates (:func:`adjudicate.bootstrap_sums`).

Vectorization: the data sets of a scenario are simulated as one array and processed in
groups of ``GROUP_SIZE``; a group is one :class:`adjudicate.Ratings` whose *findings* are the
data sets, so the sums registry gives per-image statistics ``S (images, data sets, m)`` and
each bootstrap is one ``W @ S`` for all data sets of the group. The data sets of a group share
the bootstrap weights ``W`` (independent of the data, so each interval is an ordinary
bootstrap interval); every group draws fresh weights.

Run::

    python benchmarks/coverage_study.py                 # full study (see --help)
    python benchmarks/coverage_study.py --quick         # smoke run: 20 data sets

Outputs: ``benchmarks/results/coverage_study.csv`` (tidy: one row per scenario, statistic
and method), ``benchmarks/results/coverage_population_check.csv`` (the check of the
population values and each coefficient's design effect) and ``docs/figures/coverage_*.png``; a ``--quick`` run adds ``_quick`` to the
names so it never overwrites the full study's files.
"""

from __future__ import annotations

import argparse
import itertools
import math
import re
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

import adjudicate
from adjudicate import Ratings, agreement_table
from adjudicate.agreement import sum_statistic
from adjudicate.resample import bootstrap_sums

ROOT = Path(__file__).resolve().parents[1]

STATISTICS = ("fleiss_kappa", "krippendorff_alpha", "gwet_ac1")
STATISTIC_LABELS = {"fleiss_kappa": "Fleiss' kappa", "krippendorff_alpha": "Krippendorff's alpha",
                    "gwet_ac1": "Gwet's AC1"}
METHODS = ("wald_unit", "percentile_unit", "bca_unit", "wald_patient", "percentile_patient",
           "bca_patient")
"""Images treated as independent first, then patients as clusters."""
METHOD_LABELS = {
    "wald_unit": "Wald (textbook)", "wald_patient": "Wald (cluster-robust)",
    "percentile_unit": "percentile (images)", "bca_unit": "BCa (images)",
    "percentile_patient": "percentile (patients)", "bca_patient": "BCa (patients)",
}
LEVEL = 0.95
N_READERS = 5
GROUP_SIZE = 250
"""Data sets per Ratings (as findings): one W @ S per group, memory ~ 20 MB per statistic."""

DEFAULT_DATASETS, DEFAULT_RESAMPLES = 10_000, 2_000
QUICK_DATASETS, QUICK_RESAMPLES = 20, 200


@dataclass(frozen=True)
class Scenario:
    """One data-generating model (see the module docstring)."""

    name: str
    label: str
    prevalence: float
    icc: float = 0.0            # intra-patient correlation of the true status
    hard_share: float = 0.0     # share of hard patients
    sensitivity: float = 0.85
    specificity: float = 0.95
    hard_sensitivity: float = 0.55
    hard_specificity: float = 0.80

    def states(self):
        """The latent states of one image: probabilities and YES probability ``y``.

        Four states ``(t, d)`` (true status, hard patient) with probabilities
        ``P(T = t) P(D = d)``; states of probability 0 are kept (they weigh nothing).
        """
        pi, h = self.prevalence, self.hard_share
        prob = np.array([pi * (1 - h), (1 - pi) * (1 - h), pi * h, (1 - pi) * h])
        y = np.array([self.sensitivity, 1 - self.specificity,
                      self.hard_sensitivity, 1 - self.hard_specificity])
        return prob, y


SCENARIOS = (
    Scenario("independent_p30", "independent images, prevalence 0.30", 0.30),
    Scenario("independent_p05", "independent images, prevalence 0.05", 0.05),
    Scenario("clustered_p30", "clustered status (icc 0.8), prevalence 0.30", 0.30, icc=0.8),
    Scenario("clustered_p05", "clustered status (icc 0.8), prevalence 0.05", 0.05, icc=0.8),
    Scenario("clustered_hard_p30", "clustered status + hard patients, prevalence 0.30", 0.30,
             icc=0.8, hard_share=0.3),
    Scenario("clustered_hard_p05", "clustered status + hard patients, prevalence 0.05", 0.05,
             icc=0.8, hard_share=0.3),
)


# ============================================================================ population values
def population_values(scenario: Scenario) -> dict[str, float]:
    """Population Fleiss' kappa (= Krippendorff's alpha) and Gwet's AC1 of a scenario.

    ``m = E[y]``, ``P_a = 1 - 2 E[y (1 - y)]``; kappa ``= (P_a - p_e) / (1 - p_e)`` with
    ``p_e = 1 - 2 m (1 - m)``; AC1 the same with ``p_e = 2 m (1 - m)`` (module docstring).
    """
    prob, y = scenario.states()
    m = float(prob @ y)
    within = float(prob @ (y * (1 - y)))        # E[y (1 - y)]
    pa = 1 - 2 * within
    pe_fleiss = 1 - 2 * m * (1 - m)
    pe_gwet = 2 * m * (1 - m)
    kappa = (pa - pe_fleiss) / (1 - pe_fleiss)
    return {"fleiss_kappa": kappa, "krippendorff_alpha": kappa,
            "gwet_ac1": (pa - pe_gwet) / (1 - pe_gwet),
            "marginal_yes": m, "pairwise_agreement": pa}


# ============================================================================ simulation
def _seed_sequence(seed) -> np.random.SeedSequence:
    return seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)


def patient_index(clusters) -> np.ndarray:
    """Patient number (0 .. n_patients - 1) of each image, in order of first appearance."""
    codes, _ = pd.factorize(np.asarray(clusters), sort=False)
    return codes.astype(np.intp)


def bundled_design() -> np.ndarray:
    """Patient of each of the 810 all-findings images (532 patients), as integers."""
    return patient_index(adjudicate.load_dataset("all_findings").ratings.clusters)


def simulate_codes(rng: np.random.Generator, patient_of: np.ndarray, n_datasets: int,
                   scenario: Scenario, n_readers: int = N_READERS) -> np.ndarray:
    """Reads of ``n_datasets`` independent data sets: int8 ``(images, readers, data sets)``.

    1 is YES, 0 is NO. All data sets share the patient structure ``patient_of``.
    """
    n_patients = int(patient_of.max()) + 1
    pi = scenario.prevalence
    shape = (n_patients, n_datasets)
    if scenario.icc <= 0:
        propensity = np.full(shape, pi)
    elif scenario.icc >= 1:
        propensity = (rng.random(shape) < pi).astype(float)
    else:
        s = 1 / scenario.icc - 1
        propensity = rng.beta(pi * s, (1 - pi) * s, size=shape)
    hard = rng.random(shape) < scenario.hard_share
    truth = rng.random((len(patient_of), n_datasets)) < propensity[patient_of]
    hard = hard[patient_of]
    y = np.where(hard, np.where(truth, scenario.hard_sensitivity, 1 - scenario.hard_specificity),
                 np.where(truth, scenario.sensitivity, 1 - scenario.specificity))
    reads = rng.random((len(patient_of), n_readers, n_datasets)) < y[:, None, :]
    return reads.view(np.int8)


def as_ratings(codes: np.ndarray, patient_of: np.ndarray) -> Ratings:
    """Data sets as the findings of one Ratings (binary NO/YES, patients as clusters)."""
    n_images, n_readers, n_sets = codes.shape
    return Ratings(codes=codes, categories=("NO", "YES"), units=pd.RangeIndex(n_images),
                   readers=pd.RangeIndex(n_readers), findings=pd.RangeIndex(n_sets),
                   clusters=patient_of, positive="YES")


def check_population_values(patient_of: np.ndarray, scenarios=SCENARIOS, *, copies: int = 1200,
                            seed=0, max_se: float = 0.01, verbose: bool = True) -> pd.DataFrame:
    """Estimate every coefficient on one huge simulated sample and compare with the analytic value.

    The sample is ``copies`` copies of the patient structure (``copies * 810`` images, e.g.
    972,000) simulated from the scenario. Asserts ``|estimate - value| < 5 SE`` with SE the
    package's cluster-robust standard error of that sample, and that SE is below ``max_se``
    (so the check is sharp: with the default 1200 copies the SEs are about 0.0003-0.0015, and
    an error of 0.01 in the derivation could not pass).

    The same sample gives each coefficient's design effect on the 810-image design,
    ``DE = (cluster-robust SE / textbook SE)^2``: how much the within-patient dependence
    inflates the variance over what independent images would give. A method that treats the
    images as independent is then expected to cover about ``2 Phi(1.96 / sqrt(DE)) - 1``.
    """
    n_patients = int(patient_of.max()) + 1
    big = (patient_of[None, :] + n_patients * np.arange(copies)[:, None]).ravel()
    z_level = float(ndtri(0.5 + LEVEL / 2))
    rows = []
    for scenario, child in zip(scenarios, _seed_sequence(seed).spawn(len(scenarios))):
        codes = simulate_codes(np.random.default_rng(child), big, 1, scenario)
        ratings = as_ratings(codes, big)
        truth = population_values(scenario)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tables = {clusters: agreement_table(ratings, statistics=STATISTICS,
                                                clusters=clusters).table.set_index("statistic")
                      for clusters in ("patient", "unit")}
        for name in STATISTICS:
            estimate = float(tables["patient"].estimate[name])
            se = float(tables["patient"].standard_error[name])
            design_effect = (se / float(tables["unit"].standard_error[name])) ** 2
            diff = estimate - truth[name]
            rows.append({"scenario": scenario.name, "statistic": name,
                         "population_value": truth[name], "estimate": estimate,
                         "standard_error": se, "z": diff / se,
                         "design_effect": design_effect,
                         "predicted_unit_coverage": 2 * float(ndtr(
                             z_level / math.sqrt(design_effect))) - 1,
                         "n_images": len(big)})
            assert se < max_se, (scenario.name, name, se)
            assert abs(diff) < 5 * se, (f"{scenario.name} {name}: analytic {truth[name]:.5f}, "
                                        f"simulated {estimate:.5f} (SE {se:.5f})")
    out = pd.DataFrame(rows)
    if verbose:
        print(f"population values checked on {len(big):,} simulated images per scenario "
              f"(largest |z| = {out.z.abs().max():.2f}):")
        print(out.drop(columns="n_images").to_string(index=False, float_format="%.4f"))
    return out


# ============================================================================ intervals
_FALLBACK = re.compile(r"not computable for (\d+) of")


def _bootstrap_intervals(stat, unit_stats, clusters, n_resamples: int, seed):
    """Percentile and BCa intervals of all data sets of a group from one ``W @ S``."""
    res = bootstrap_sums(unit_stats, stat.finalize, clusters=clusters, n_resamples=n_resamples,
                         seed=seed, method="percentile", confidence_level=LEVEL, progress=False)
    out = {"percentile": res.confidence_interval(LEVEL, method="percentile")}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out["bca"] = res.confidence_interval(LEVEL, method="bca")
    fallbacks = sum(int(m.group(1)) for w in caught
                    if (m := _FALLBACK.search(str(w.message))) is not None)
    return out, np.asarray(res.standard_error, float), fallbacks


def group_intervals(ratings: Ratings, n_resamples: int, seeds) -> list[dict]:
    """Every method's interval for every statistic and data set (finding) of ``ratings``.

    Returns records with arrays over data sets: ``statistic, method, estimate, low, high,
    se`` and ``bca_fallbacks`` (count of BCa intervals replaced by percentile ones).
    """
    records = []
    estimates = {}
    for clusters in ("unit", "patient"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # undefined estimates show up as NaN
            table = agreement_table(ratings, statistics=STATISTICS, ci=None, clusters=clusters,
                                    confidence_level=LEVEL).table
        for name, part in table.groupby("statistic", sort=False):
            part = part.sort_values("finding")
            estimates[name] = part.estimate.to_numpy()
            records.append({"statistic": name, "method": f"wald_{clusters}",
                            "estimate": estimates[name], "low": part.ci_low.to_numpy(),
                            "high": part.ci_high.to_numpy(),
                            "se": part.standard_error.to_numpy(), "bca_fallbacks": 0})
    seed_unit, seed_patient = seeds
    for name in STATISTICS:
        stat = sum_statistic(name, ratings)
        unit_stats = stat.unit_stats(ratings.codes)          # (images, data sets, m)
        for design, clusters, seed in (("unit", None, seed_unit),
                                       ("patient", ratings.clusters, seed_patient)):
            intervals, se, fallbacks = _bootstrap_intervals(stat, unit_stats, clusters,
                                                            n_resamples, seed)
            for method, (low, high) in intervals.items():
                records.append({"statistic": name, "method": f"{method}_{design}",
                                "estimate": estimates[name], "low": np.asarray(low),
                                "high": np.asarray(high), "se": se,
                                "bca_fallbacks": fallbacks if method == "bca" else 0})
    return records


def run_scenario(scenario: Scenario, patient_of: np.ndarray, n_datasets: int, n_resamples: int,
                 seed) -> pd.DataFrame:
    """Per data set, statistic and method: estimate, interval, SE (a long DataFrame)."""
    n_groups = math.ceil(n_datasets / GROUP_SIZE)
    frames = []
    for g, child in enumerate(_seed_sequence(seed).spawn(n_groups)):
        data_seed, seed_unit, seed_patient = child.spawn(3)
        size = min(GROUP_SIZE, n_datasets - g * GROUP_SIZE)
        codes = simulate_codes(np.random.default_rng(data_seed), patient_of, size, scenario)
        records = group_intervals(as_ratings(codes, patient_of), n_resamples,
                                  (seed_unit, seed_patient))
        for rec in records:
            fallbacks = np.zeros(size, np.int64)
            fallbacks[0] = rec["bca_fallbacks"]      # a count per group, kept on its first row
            frames.append(pd.DataFrame({
                "scenario": scenario.name, "statistic": rec["statistic"],
                "method": rec["method"], "dataset": g * GROUP_SIZE + np.arange(size),
                "estimate": rec["estimate"], "low": rec["low"], "high": rec["high"],
                "se": rec["se"], "bca_fallbacks": fallbacks,
            }))
    return pd.concat(frames, ignore_index=True)


def summarize(long: pd.DataFrame, n_resamples: int, seed) -> pd.DataFrame:
    """Coverage table: one row per scenario, statistic and method."""
    by_name = {s.name: s for s in SCENARIOS}
    z = float(ndtri(0.5 + LEVEL / 2))
    rows = []
    for (scen, name, method), part in long.groupby(["scenario", "statistic", "method"],
                                                   sort=False):
        scenario = by_name[scen]
        truth = population_values(scenario)[name]
        defined = part.low.notna() & part.high.notna() & part.estimate.notna()
        ok = part[defined]
        n = len(ok)
        covered = (ok.low <= truth) & (truth <= ok.high)
        p = covered.mean() if n else math.nan
        width = ok.high - ok.low
        sd = part.estimate.std(ddof=1)
        rows.append({
            "scenario": scen, "scenario_label": scenario.label, "prevalence": scenario.prevalence,
            "icc": scenario.icc, "hard_share": scenario.hard_share, "statistic": name,
            "method": method, "method_label": METHOD_LABELS[method],
            "true_value": truth, "coverage": p,
            "mc_se": math.sqrt(p * (1 - p) / n) if n else math.nan,
            "below_truth": (ok.high < truth).mean() if n else math.nan,
            "above_truth": (ok.low > truth).mean() if n else math.nan,
            "mean_width": width.mean(), "width_mc_se": width.std(ddof=1) / math.sqrt(n),
            "relative_width": width.mean() / (2 * z * sd),
            "relative_width_mc_se": width.std(ddof=1) / math.sqrt(n) / (2 * z * sd),
            "mean_se": ok.se.mean(), "empirical_sd": sd,
            "mean_estimate": part.estimate.mean(), "n_datasets": len(part),
            "n_undefined": int((~defined).sum()), "bca_fallbacks": int(part.bca_fallbacks.sum()),
            "n_resamples": n_resamples if not method.startswith("wald") else 0, "seed": seed,
        })
    return pd.DataFrame(rows)


# ============================================================================ figures
_COLORS = {"fleiss_kappa": "#1b6ca8", "krippendorff_alpha": "#e08214", "gwet_ac1": "#2b8a3e"}
_MARKERS = {"fleiss_kappa": "o", "krippendorff_alpha": "s", "gwet_ac1": "^"}


def _panel_title(scenario: Scenario) -> str:
    truth = population_values(scenario)
    return (f"{scenario.label}\ntrue kappa = alpha = {truth['fleiss_kappa']:.3f}, "
            f"AC1 = {truth['gwet_ac1']:.3f}")


def _panels(table: pd.DataFrame, value: str, error, ylabel: str, title: str, path: Path, *,
            nominal: float | None = None, n_datasets: int | None = None, ylim=None):
    """One panel per scenario (rows: patient effects, columns: prevalence), methods on x.

    ``value`` +- 2 ``error(rows)`` per statistic; optionally a reference line at ``nominal``
    (with its +-2 MC-SE band for a coverage of ``n_datasets`` data sets).
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    scenarios = [s for s in SCENARIOS if s.name in set(table.scenario)]
    n_rows = math.ceil(len(scenarios) / 2)
    fig, axes = plt.subplots(n_rows, 2, figsize=(12, 3.7 * n_rows + 1.1),
                             sharey=ylim is not None, squeeze=False)
    x = np.arange(len(METHODS))
    offsets = dict(zip(STATISTICS, (-0.22, 0.0, 0.22)))
    split = sum(m.endswith("_unit") for m in METHODS) - 0.5
    for ax, scenario in zip(axes.flat, scenarios):
        part = table[table.scenario == scenario.name]
        if nominal is not None:
            ax.axhline(nominal, color="black", lw=1, zorder=1)
            if n_datasets:
                band = 2 * math.sqrt(nominal * (1 - nominal) / n_datasets)
                ax.axhspan(nominal - band, nominal + band, color="0.88", zorder=0)
        top = 0.0
        for name in STATISTICS:
            rows = part[part.statistic == name].set_index("method").reindex(list(METHODS))
            ax.errorbar(x + offsets[name], rows[value], yerr=2 * error(rows), fmt=_MARKERS[name],
                        color=_COLORS[name], ms=6, capsize=3, lw=1.2, zorder=3)
            top = max(top, float((rows[value] + 2 * error(rows)).max()))
        ax.set_title(_panel_title(scenario), fontsize=10.5)
        ax.set_xticks(x)
        ax.set_xticklabels([METHOD_LABELS[m].replace(" (", "\n(") for m in METHODS], fontsize=9)
        ax.axvline(split, color="0.5", lw=0.8, ls=":")
        for where, text in (((split - 0.5) / 2, "images as independent"),
                            ((split + len(METHODS) - 0.5) / 2, "patients as clusters")):
            ax.text(where, 0.975, text, transform=ax.get_xaxis_transform(), ha="center",
                    va="top", fontsize=8.5, color="0.3", zorder=4,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0})
        ax.set_xlim(-0.5, len(METHODS) - 0.5)
        ax.grid(axis="y", color="0.9", lw=0.6)
        if ylim is None:
            ax.set_ylim(0, top * 1.12)
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel)
    if ylim is not None:
        axes[0, 0].set_ylim(*ylim)
    for ax in axes.flat[len(scenarios):]:
        ax.set_visible(False)
    handles = [Line2D([], [], color=_COLORS[n], marker=_MARKERS[n], ls="", ms=7,
                      label=STATISTIC_LABELS[n]) for n in STATISTICS]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=9.5,
               frameon=False)
    fig.suptitle(title, fontsize=12)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_coverage(table: pd.DataFrame, path: Path) -> None:
    """Coverage by method, one panel per scenario, +-2 MC-SE bars, the nominal 0.95 line."""
    n = int(table.n_datasets.max())
    low = min(0.85, float((table.coverage - 2 * table.mc_se).min()) - 0.01)
    _panels(table, "coverage", lambda r: r.mc_se, "coverage of the population value",
            f"Coverage of nominal 95% intervals, {n:,} simulated data sets per scenario\n"
            f"(bars: \u00b12 Monte Carlo SE; grey band: 0.95 \u00b12 MC SE)", path,
            nominal=LEVEL, n_datasets=n, ylim=(low, 1.0))


def plot_width(table: pd.DataFrame, path: Path) -> None:
    """Mean interval width relative to a correct one, one panel per scenario.

    The reference is ``2 * 1.96 * SD`` of the estimates over the simulated data sets (what a
    normal interval with the true standard error would span); 1 is right, below 1 too narrow.
    Bars: +-2 MC-SE of the mean width (the reference's own MC error, common to all methods
    of a statistic, is left out).
    """
    n = int(table.n_datasets.max())
    low = min(0.7, float((table.relative_width - 2 * table.relative_width_mc_se).min()) - 0.03)
    high = max(1.15, float((table.relative_width + 2 * table.relative_width_mc_se).max()) + 0.05)
    _panels(table, "relative_width", lambda r: r.relative_width_mc_se,
            "mean width / (3.92 \u00d7 SD of estimates)",
            f"Mean width of nominal 95% intervals relative to a correct interval's width "
            f"(3.92 \u00d7 the SD of the estimates\nover {n:,} simulated data sets per scenario; "
            f"1 = right width, below 1 = too narrow; bars: \u00b12 MC SE)", path,
            nominal=1.0, ylim=(low, high))


# ============================================================================ report
def coverage_markdown(table: pd.DataFrame) -> str:
    """Wide Markdown table: scenario x statistic rows, method columns, coverage (MC-SE)."""
    head = ("| scenario | statistic | true | "
            + " | ".join(METHOD_LABELS[m] for m in METHODS) + " |")
    lines = [head, "|" + "---|" * (3 + len(METHODS))]
    for scenario in SCENARIOS:
        for name in STATISTICS:
            part = table[(table.scenario == scenario.name) & (table.statistic == name)]
            if part.empty:
                continue
            part = part.set_index("method")
            cells = [f"{part.coverage[m]:.3f}" for m in METHODS]
            lines.append(f"| {scenario.label} | {STATISTIC_LABELS[name]} | "
                         f"{part.true_value.iloc[0]:.3f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ============================================================================ proportions
# Proportion intervals at small counts (issue 10): a reader's sensitivity when the reader saw
# few positive images. Two designs taken from the bundled data -- few events on the complete
# all-findings design, and the incomplete four-findings design (22 readers in 66 panels of 3,
# most reading a few hundred images) -- and four intervals: Wilson (images independent),
# Wilson with the effective sample size of the patient clustering, and the percentile and BCa
# bootstrap over patients. The truth is simulated, so each reader's sensitivity is known.

PROPORTION_METHODS = ("wilson", "wilson_cluster", "percentile_patient", "bca_patient")
PROPORTION_LABELS = {"wilson": "Wilson (images)", "wilson_cluster": "Wilson (cluster-adjusted)",
                     "percentile_patient": "percentile (patients)",
                     "bca_patient": "BCa (patients)"}
POSITIVE_BINS = (1, 5, 10, 20, 50, 10**9)
"""Bins of a reader's number of positive images in a data set: [1, 5), [5, 10), ..."""


@dataclass(frozen=True)
class ProportionScenario:
    """A reader-sensitivity scenario on a bundled design (which readers read which images)."""

    name: str
    label: str
    design: str                 # "all_findings" or "four_findings"
    prevalence: float
    icc: float = 0.8
    hard_share: float = 0.3
    sensitivity: float = 0.85
    hard_sensitivity: float = 0.55

    @property
    def population_sensitivity(self) -> float:
        """P(read YES | positive): hardness is independent of the status (module docstring)."""
        return (1 - self.hard_share) * self.sensitivity + self.hard_share * self.hard_sensitivity


PROPORTION_SCENARIOS = (
    ProportionScenario("few_events", "few events: 810 images, 5 readers, prevalence 0.012",
                       "all_findings", 0.012),
    ProportionScenario("panels", "incomplete design: 4,376 images, 22 readers in 66 panels, "
                                 "prevalence 0.05", "four_findings", 0.05),
)


def bundled_read_design(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Patient of each image and which readers read it (``(images, readers)`` bool)."""
    r = adjudicate.load_dataset(name).ratings
    return patient_index(r.clusters), r.observed.any(axis=2)


def simulate_sensitivity_stats(rng: np.random.Generator, patient_of: np.ndarray,
                               read: np.ndarray, n_datasets: int,
                               scenario: ProportionScenario) -> np.ndarray:
    """Per image, data set and reader: ``(true positive read, positive image read)``.

    Shape ``(images, data sets, readers, 2)``; the latent model of :func:`simulate_codes`
    (patient propensity with intra-patient correlation ``icc``, hard patients), reads only
    where the design has them.
    """
    n_patients = int(patient_of.max()) + 1
    pi, shape = scenario.prevalence, (n_patients, n_datasets)
    s = 1 / scenario.icc - 1
    propensity = rng.beta(pi * s, (1 - pi) * s, size=shape)
    hard = (rng.random(shape) < scenario.hard_share)[patient_of]
    truth = rng.random((len(patient_of), n_datasets)) < propensity[patient_of]
    y = np.where(hard, scenario.hard_sensitivity, scenario.sensitivity)
    yes = rng.random((len(patient_of), n_datasets, read.shape[1])) < y[..., None]
    positive_read = truth[..., None] & read[:, None, :]
    return np.stack([positive_read & yes, positive_read], axis=-1).astype(np.float64)


def wilson_interval(count, nobs, level: float = LEVEL):
    """Wilson (1927) score interval, vectorized; ``nobs`` may be fractional (effective n)."""
    z = float(ndtri(0.5 + level / 2))
    count, nobs = np.asarray(count, float), np.asarray(nobs, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = count / nobs
        center = (p + z**2 / (2 * nobs)) / (1 + z**2 / nobs)
        half = z / (1 + z**2 / nobs) * np.sqrt(p * (1 - p) / nobs + z**2 / (4 * nobs**2))
    return center - half, center + half


def cluster_wilson_interval(cluster_counts, cluster_nobs, level: float = LEVEL):
    """Wilson interval at the effective sample size of clustered data.

    ``n_eff = n / deff`` with the design effect ``deff`` = cluster-robust (ratio-estimator,
    with the ``J / (J - 1)`` correction) variance of ``p = x / n`` over its binomial variance,
    floored at 1 (clustering never makes a proportion more precise here) and 1 where ``p`` is
    0 or 1 (no variance to compare). Clusters are the first axis; the interval is then Wilson's
    at ``(p n_eff, n_eff)`` (Korn & Graubard 1998 use the same effective-n idea).
    """
    x, n = np.asarray(cluster_counts, float), np.asarray(cluster_nobs, float)
    total_x, total_n = x.sum(0), n.sum(0)
    j = (n > 0).sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = total_x / total_n
        robust = j / (j - 1) * ((x - p * n) ** 2).sum(0) / total_n**2
        binomial = p * (1 - p) / total_n
        deff = np.where((binomial > 0) & (j > 1), np.maximum(robust / binomial, 1.0), 1.0)
    n_eff = total_n / deff
    return wilson_interval(p * n_eff, n_eff, level)


def proportion_group(stats: np.ndarray, patient_of: np.ndarray, n_resamples: int, seed):
    """Every method's interval of every (data set, reader) sensitivity of one group."""
    count, nobs = stats[..., 0].sum(0), stats[..., 1].sum(0)  # (data sets, readers)
    order = np.argsort(patient_of, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(patient_of[order]) != 0])
    by_patient = np.add.reduceat(stats[order], starts, axis=0)  # (patients, D, R, 2)
    out = {"wilson": wilson_interval(count, nobs),
           "wilson_cluster": cluster_wilson_interval(by_patient[..., 0], by_patient[..., 1])}
    res = bootstrap_sums(stats, lambda t: t[..., 0] / t[..., 1], clusters=patient_of,
                         n_resamples=n_resamples, seed=seed, method="percentile",
                         confidence_level=LEVEL, progress=False)
    out["percentile_patient"] = res.confidence_interval(LEVEL, method="percentile")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # BCa falls back where it must
        out["bca_patient"] = res.confidence_interval(LEVEL, method="bca")
    return count, nobs, out


def run_proportions(n_datasets: int, n_resamples: int, seed, group_size: int = 20
                    ) -> pd.DataFrame:
    """Coverage of each method by the reader's number of positive images (tidy table)."""
    rows = []
    for scenario, child in zip(PROPORTION_SCENARIOS,
                               _seed_sequence(seed).spawn(len(PROPORTION_SCENARIOS))):
        t0 = time.perf_counter()
        patient_of, read = bundled_read_design(scenario.design)
        truth = scenario.population_sensitivity
        records = []
        n_groups = math.ceil(n_datasets / group_size)
        for g, gseed in enumerate(child.spawn(n_groups)):
            data_seed, boot_seed = gseed.spawn(2)
            size = min(group_size, n_datasets - g * group_size)
            stats = simulate_sensitivity_stats(np.random.default_rng(data_seed), patient_of,
                                               read, size, scenario)
            count, nobs, intervals = proportion_group(stats, patient_of, n_resamples,
                                                      boot_seed)
            for method, (low, high) in intervals.items():
                records.append(pd.DataFrame({
                    "method": method, "positives": nobs.ravel(), "count": count.ravel(),
                    "low": np.asarray(low).ravel(), "high": np.asarray(high).ravel()}))
        long = pd.concat(records, ignore_index=True)
        long = long[long.positives >= 1]
        long["bin"] = pd.cut(long.positives, POSITIVE_BINS, right=False,
                             labels=[f"{a}-{b - 1}" if b < 10**9 else f"{a}+"
                                     for a, b in itertools.pairwise(POSITIVE_BINS)])
        long["covered"] = (long.low <= truth) & (truth <= long.high)
        long["width"] = long.high - long.low
        long["degenerate"] = long.width <= 1e-12
        for (method, b), part in long.groupby(["method", "bin"], observed=True, sort=False):
            cov = part.covered.mean()
            rows.append({"scenario": scenario.name, "scenario_label": scenario.label,
                         "true_sensitivity": truth, "method": method, "positives": str(b),
                         "n_intervals": len(part), "coverage": cov,
                         "mc_se": math.sqrt(cov * (1 - cov) / len(part)),
                         "miss_low": (part.high < truth).mean(),
                         "miss_high": (part.low > truth).mean(),
                         "mean_width": part.width.mean(),
                         "degenerate_share": part.degenerate.mean(),
                         "n_datasets": n_datasets, "n_resamples": n_resamples})
        print(f"{scenario.label}: {time.perf_counter() - t0:.1f} s", flush=True)
    table = pd.DataFrame(rows)
    order = {m: i for i, m in enumerate(PROPORTION_METHODS)}
    return table.sort_values(["scenario", "positives", "method"],
                             key=lambda c: c.map(order) if c.name == "method" else
                             (c.str.extract(r"^(\d+)")[0].astype(float)
                              if c.name == "positives" else c)).reset_index(drop=True)


def plot_proportions(table: pd.DataFrame, path: Path) -> None:
    """Coverage by a reader's positive count, one panel per scenario, +-2 MC-SE bars."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scenarios = list(dict.fromkeys(table.scenario))
    fig, axes = plt.subplots(1, len(scenarios), figsize=(6.2 * len(scenarios), 4.4),
                             sharey=True, squeeze=False)
    for ax, name in zip(axes[0], scenarios):
        part = table[table.scenario == name]
        bins = list(dict.fromkeys(part.positives))
        x = np.arange(len(bins))
        for k, method in enumerate(PROPORTION_METHODS):
            m = part[part.method == method].set_index("positives").reindex(bins)
            ax.errorbar(x + (k - 1.5) * 0.12, m.coverage, yerr=2 * m.mc_se, fmt="o-", ms=4,
                        capsize=2, label=PROPORTION_LABELS[method])
        ax.axhline(LEVEL, color="0.4", ls="--", lw=0.8)
        ax.set_xticks(x, bins)
        ax.set_xlabel("positive images the reader read (per simulated data set)")
        ax.set_title(part.scenario_label.iloc[0] + f"\ntrue sensitivity "
                     f"{part.true_sensitivity.iloc[0]:.3f}", fontsize=10)
        ax.grid(axis="y", color="0.9")
    axes[0][0].set_ylabel("coverage of nominal 95% intervals")
    axes[0][0].set_ylim(max(0.0, table.coverage.min() - 0.05), 1.0)
    axes[0][-1].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def proportions_markdown(table: pd.DataFrame) -> str:
    """Wide Markdown table: scenario x positives rows, method columns, coverage (share
    of degenerate zero-width intervals in brackets where any)."""
    head = ("| scenario | positives | n | " + " | ".join(PROPORTION_LABELS[m]
                                                         for m in PROPORTION_METHODS) + " |")
    lines = [head, "|" + "---|" * (3 + len(PROPORTION_METHODS))]
    for (scen, b), part in table.groupby(["scenario", "positives"], sort=False):
        part = part.set_index("method")
        cells = [f"{part.coverage[m]:.3f}" + (f" ({part.degenerate_share[m]:.0%} zero-width)"
                                             if part.degenerate_share[m] >= 0.005 else "")
                 for m in PROPORTION_METHODS]
        lines.append(f"| {scen} | {b} | {int(part.n_intervals.iloc[0])} | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines)


FIXED_N = ((9, 0.85), (9, 0.95), (20, 0.90), (50, 0.90), (200, 0.90))
"""(reference positives, true sensitivity) of the fixed-n check (independent images)."""


def run_fixed_n(n_datasets: int, n_resamples: int, seed, cases=FIXED_N) -> pd.DataFrame:
    """Coverage at a fixed number of independent positives with a known sensitivity.

    The simplest case behind the default interval of ``adjudicate.accuracy_table``: ``n``
    independent reference positives, each found with probability ``p`` (no clustering, no
    reader panels), every method of :func:`proportion_group` with each image its own cluster.
    """
    rows = []
    root = _seed_sequence(seed)
    for (n, p), child in zip(cases, root.spawn(len(cases))):
        rng = np.random.default_rng(child)
        found = (rng.random((n, n_datasets, 1)) < p).astype(np.float64)
        stats = np.stack([found, np.ones_like(found)], axis=-1)     # (n, D, 1, 2)
        _, _, out = proportion_group(stats, np.arange(n), n_resamples,
                                     int(rng.integers(2**31)))
        for method, (low, high) in out.items():
            low, high = np.asarray(low).ravel(), np.asarray(high).ravel()
            covered = (low <= p) & (p <= high)
            rows.append({"positives": n, "true_sensitivity": p, "method": method,
                         "coverage": covered.mean(),
                         "mc_se": np.sqrt(covered.mean() * (1 - covered.mean()) / n_datasets),
                         "zero_width": float((high - low <= 1e-12).mean()),
                         "mean_width": float((high - low).mean()),
                         "n_datasets": n_datasets, "n_resamples": n_resamples})
    return pd.DataFrame(rows)


def fixed_n_markdown(table: pd.DataFrame) -> str:
    wide = table.pivot_table(index=["positives", "true_sensitivity"], columns="method",
                             values="coverage")
    methods = ["wilson", "wilson_cluster", "percentile_patient", "bca_patient"]
    header = ("| reference positives, true sensitivity | Wilson | Wilson (cluster-adjusted) "
              "| percentile | BCa |")
    lines = [header, "|---|---|---|---|---|"]
    for (n, p), row in wide.iterrows():
        lines.append(f"| {n}, {p:.2f} | " + " | ".join(f"{row[m]:.3f}" for m in methods)
                     + " |")
    return "\n".join(lines)


def main_proportions(args) -> pd.DataFrame:
    n_datasets = args.datasets or (40 if args.quick else 1000)
    n_resamples = args.resamples or (QUICK_RESAMPLES if args.quick else 1000)
    suffix = "_quick" if args.quick else ""
    t0 = time.perf_counter()
    table = run_proportions(n_datasets, n_resamples, args.seed)
    args.results.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.results / f"coverage_proportions{suffix}.csv", index=False,
                 float_format="%.6g")
    plot_proportions(table, args.out / f"coverage_proportions{suffix}.png")
    print(proportions_markdown(table))
    fixed = run_fixed_n(n_datasets, n_resamples, args.seed)
    fixed.to_csv(args.results / f"coverage_proportions_fixed_n{suffix}.csv", index=False,
                 float_format="%.6g")
    print(fixed_n_markdown(fixed))
    print(f"total {time.perf_counter() - t0:.1f} s")
    return table


def main(argv=None) -> pd.DataFrame:
    """Run the study; write the CSV and the figures; return the coverage table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=None,
                        help=f"simulated data sets per scenario (default {DEFAULT_DATASETS}; "
                             f"{QUICK_DATASETS} with --quick)")
    parser.add_argument("--resamples", type=int, default=None,
                        help=f"bootstrap replicates per interval (default {DEFAULT_RESAMPLES}; "
                             f"{QUICK_RESAMPLES} with --quick)")
    parser.add_argument("--seed", type=int, default=20240611, help="root seed")
    parser.add_argument("--quick", action="store_true", help="smoke run: few data sets")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "figures",
                        help="folder of the PNG figures (default docs/figures)")
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results",
                        help="folder of the coverage CSV (default benchmarks/results)")
    parser.add_argument("--check-copies", type=int, default=None,
                        help="copies of the 810-image design in the population-value check "
                             "(default 1200, 200 with --quick)")
    parser.add_argument("--proportions", action="store_true",
                        help="instead: coverage of proportion intervals at small counts "
                             "(reader sensitivity; few events, incomplete panel design)")
    args = parser.parse_args(argv)
    if args.proportions:
        return main_proportions(args)
    n_datasets = args.datasets or (QUICK_DATASETS if args.quick else DEFAULT_DATASETS)
    n_resamples = args.resamples or (QUICK_RESAMPLES if args.quick else DEFAULT_RESAMPLES)
    copies = args.check_copies or (200 if args.quick else 1200)
    suffix = "_quick" if args.quick else ""

    start = time.perf_counter()
    patient_of = bundled_design()
    print(f"design: {len(patient_of)} images, {patient_of.max() + 1} patients, "
          f"{N_READERS} readers; {n_datasets} data sets x {len(SCENARIOS)} scenarios, "
          f"B = {n_resamples}, seed {args.seed}")
    check_seed, *scenario_seeds = np.random.SeedSequence(args.seed).spawn(1 + len(SCENARIOS))
    check = check_population_values(patient_of, copies=copies, seed=check_seed)
    print(f"  ({time.perf_counter() - start:.1f} s)")

    frames = []
    for scenario, seed in zip(SCENARIOS, scenario_seeds):
        t0 = time.perf_counter()
        frames.append(run_scenario(scenario, patient_of, n_datasets, n_resamples, seed))
        print(f"{scenario.label}: {time.perf_counter() - t0:.1f} s", flush=True)
    table = summarize(pd.concat(frames, ignore_index=True), n_resamples, args.seed)

    args.results.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    csv = args.results / f"coverage_study{suffix}.csv"
    table.to_csv(csv, index=False, float_format="%.6g")
    check.to_csv(args.results / f"coverage_population_check{suffix}.csv", index=False,
                 float_format="%.6g")
    plot_coverage(table, args.out / f"coverage_by_method{suffix}.png")
    plot_width(table, args.out / f"coverage_width{suffix}.png")
    elapsed = time.perf_counter() - start
    print()
    print(coverage_markdown(table))
    print(f"\nwrote {csv} (and the population check beside it) and figures in {args.out}; "
          f"total {elapsed:.1f} s")
    table.attrs["elapsed_seconds"] = elapsed
    return table


if __name__ == "__main__":
    main(sys.argv[1:])
