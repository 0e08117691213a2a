"""Patient-clustered bootstrap of agreement and accuracy on the NIH all-findings data.

The issue's benchmark: B = 10,000 patient-clustered replicates of Fleiss' kappa,
Krippendorff's alpha (nominal), Gwet's AC1 and per-reader sensitivity and specificity (each
reader against the majority of the other four, so no reader grades themselves) for all 16
all-findings columns -- 810 images of 532 patients, 5 readers. Target: under 1 s on 2 cores,
and at least 50x faster than a Python loop calling ``krippendorff.alpha`` per replicate.

How: every statistic is a function of sums over units of per-unit statistics (DESIGN.md,
"Statistics are sums"). The per-unit statistics of all five statistics are laid side by side
in one matrix ``S`` (810 x 656) and the bootstrap is one product ``W @ S`` (patients drawn,
in blocks of replicates) followed by one vectorized finalize
(:func:`adjudicate.resample.bootstrap_sums`).

The baseline rebuilds each replicate's data set (the drawn patients' images, repeated as drawn)
and calls ``krippendorff.alpha`` once per finding. It is timed on the first ``--loop-resamples``
replicates (default 200) and extrapolated linearly to B; its values are checked against the
engine's replicates (same seed, same draws).

Run:  python benchmarks/bench_bootstrap.py [--resamples 10000] [--loop-resamples 200]

Needs the ``test`` extra for its baseline (``pip install ".[test]"``: krippendorff).
"""

from __future__ import annotations

import argparse
import os
import time

import krippendorff
import numpy as np

from adjudicate import load_dataset
from adjudicate.accuracy import accuracy_statistics, confusion_cells, leave_one_out_reference
from adjudicate.agreement import sum_statistic
from adjudicate.resample import bootstrap_sums, bootstrap_weights

AGREEMENT = ("fleiss_kappa", "krippendorff_alpha", "gwet_ac1")


def build(ratings):
    """Per-unit statistics of every statistic side by side, and the finalize that splits them.

    Returns ``S`` of shape (n_units, n_columns) and ``finalize(T (..., n_columns)) ->
    (..., n_outputs)``: 3 agreement coefficients x 16 findings, then sensitivity and
    specificity x 16 findings x 5 readers.
    """
    n_units = ratings.shape[0]
    parts, finals = [], []
    for name in AGREEMENT:
        stat = sum_statistic(name, ratings)
        s = stat.unit_stats(ratings.codes)  # (units, findings, m)
        parts.append(s.reshape(n_units, -1))
        finals.append((s.shape[1:], stat.finalize))
    cells = confusion_cells(ratings, leave_one_out_reference(ratings))  # (units, F, R, 4)
    parts.append(cells.reshape(n_units, -1))

    def accuracy(t):  # (..., F, R, 4) -> (..., F, R, 2): sensitivity, specificity
        return accuracy_statistics(t, warn=False)[..., :2]

    finals.append((cells.shape[1:], accuracy))
    widths = np.cumsum([p.shape[1] for p in parts])[:-1]

    def finalize(total):
        lead = total.shape[:-1]
        out = [f(chunk.reshape(lead + shape)).reshape(lead + (-1,))
               for chunk, (shape, f) in zip(np.split(total, widths, axis=-1), finals)]
        return np.concatenate(out, axis=-1)

    return np.concatenate(parts, axis=1).astype(np.float64), finalize


def engine(ratings, n_resamples, seed, method="percentile"):
    """Everything the benchmark counts: unit statistics, replicates, intervals."""
    stats, finalize = build(ratings)
    res = bootstrap_sums(stats, finalize, clusters=ratings.clusters, n_resamples=n_resamples,
                         seed=seed, method=method, progress=False)
    return res, res.confidence_interval()


def engine_alpha_only(ratings, n_resamples, seed):
    stat = sum_statistic("krippendorff_alpha", ratings)
    s = stat.unit_stats(ratings.codes)
    res = bootstrap_sums(s, stat.finalize, clusters=ratings.clusters, n_resamples=n_resamples,
                         seed=seed, method="percentile", progress=False)
    return res, res.confidence_interval()


def loop_krippendorff(ratings, n_resamples, seed):
    """The baseline: per replicate, rebuild the resampled data, krippendorff.alpha per finding."""
    w = bootstrap_weights(ratings.n_units, clusters=ratings.clusters, n_resamples=n_resamples,
                          seed=seed)
    data = np.where(ratings.codes >= 0, ratings.codes, np.nan).astype(float)  # (U, R, F)
    domain = list(range(ratings.n_categories))
    out = np.empty((n_resamples, ratings.n_findings))
    for b in range(n_resamples):
        units = np.repeat(np.arange(ratings.n_units), w[b])
        sample = data[units]
        for f in range(ratings.n_findings):
            out[b, f] = krippendorff.alpha(reliability_data=sample[:, :, f].T,
                                           level_of_measurement="nominal",
                                           value_domain=domain)
    return out


def best_of(fn, repeat=3):
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resamples", type=int, default=10_000)
    parser.add_argument("--loop-resamples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args(argv)
    b, b_loop, seed = args.resamples, args.loop_resamples, args.seed

    ratings = load_dataset("all_findings").ratings
    n_units, n_readers, n_findings = ratings.shape
    stats, finalize = build(ratings)
    n_out = finalize(stats.sum(0)).shape[-1]
    print(f"all-findings: {n_units} images, {len(set(ratings.clusters))} patients, "
          f"{n_readers} readers, {n_findings} findings; B = {b:,} patient-clustered replicates")
    print(f"statistics: {', '.join(AGREEMENT)} x {n_findings} findings + sensitivity, "
          f"specificity x {n_findings} findings x {n_readers} readers (leave-one-out "
          f"reference) = {n_out} outputs from S of shape {stats.shape}")
    print(f"cpu cores visible: {os.cpu_count()}\n")

    rows = []
    t_build, _ = best_of(lambda: build(ratings))
    rows.append(("per-unit statistics S (all five statistics)", t_build))
    t_pct, (res, _) = best_of(lambda: engine(ratings, b, seed, "percentile"))
    rows.append(("whole run: S + W @ S + finalize + percentile CIs", t_pct))
    t_bca, _ = best_of(lambda: engine(ratings, b, seed, "bca"))
    rows.append(("whole run: S + W @ S + finalize + BCa CIs", t_bca))
    t_alpha, (res_alpha, _) = best_of(lambda: engine_alpha_only(ratings, b, seed))
    rows.append(("Krippendorff's alpha alone, percentile CIs", t_alpha))

    start = time.perf_counter()
    loop = loop_krippendorff(ratings, b_loop, seed)
    t_loop = (time.perf_counter() - start) * b / b_loop
    rows.append((f"Python loop, krippendorff.alpha per replicate x finding (x{b / b_loop:g})",
                 t_loop))
    # the loop and the engine see the same replicates: same numbers
    alpha_engine = res.distribution[:b_loop, n_findings:2 * n_findings]
    np.testing.assert_allclose(loop, alpha_engine, rtol=1e-9, atol=1e-12, equal_nan=True)
    np.testing.assert_allclose(loop, res_alpha.distribution[:b_loop], rtol=1e-9, atol=1e-12,
                               equal_nan=True)

    width = max(len(r[0]) for r in rows)
    print(f"{'what':<{width}}  {'seconds':>8}")
    print(f"{'-' * width}  {'-' * 8}")
    for what, t in rows:
        print(f"{what:<{width}}  {t:8.3f}")
    print(f"\nloop / whole run (all statistics, percentile): {t_loop / t_pct:7.0f}x")
    print(f"loop / whole run (all statistics, BCa):        {t_loop / t_bca:7.0f}x")
    print(f"loop / engine, Krippendorff's alpha alone:     {t_loop / t_alpha:7.0f}x")
    verdict = "met" if t_pct < 1 and t_loop / t_pct >= 50 else "NOT met"
    print(f"target (< 1 s, >= 50x the loop): {verdict}")
    print(f"\nThe loop was timed on its first {b_loop} replicates and extrapolated linearly to "
          f"{b:,}; its alphas equal the engine's replicates (checked, same seed). Times are "
          "the best of 3 runs.")


if __name__ == "__main__":
    main()
