"""Time the bootstrap engine alone at the size of the NIH four-findings test set.

810 images of 532 patients, B = 10,000 replicates, per-unit statistics of shape 16 x 40
(16 findings x 10 reader pairs x the four 2x2 cells), finalized to 16 x 10 Cohen's kappas.
Compared with a Python loop over replicates: (a) rebuild each resampled data set by
concatenating the drawn patients and sum it, (b) one weighted sum per replicate. Both loops
use the same seed and are checked to give the engine's numbers. Loops run on a subset of the
replicates and are extrapolated to B.

Run:  python benchmarks/bench_resample.py [--resamples 10000] [--loop-resamples 1000]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from adjudicate.resample import bootstrap_sums, bootstrap_weights

N_UNITS, N_PATIENTS, N_FINDINGS, N_PAIRS = 810, 532, 16, 10


def make_data(seed: int = 0):
    """Per-unit one-hot 2x2 cells (units, findings, 4 * pairs) and patient ids."""
    rng = np.random.default_rng(seed)
    patients = np.r_[np.arange(N_PATIENTS), rng.integers(0, N_PATIENTS, N_UNITS - N_PATIENTS)]
    patients = np.array([f"patient{p:04d}" for p in rng.permutation(patients)])
    truth = rng.random((N_UNITS, N_FINDINGS, 1)) < rng.uniform(0.05, 0.5, (N_FINDINGS, 1))
    reads = truth ^ (rng.random((N_UNITS, N_FINDINGS, N_PAIRS)) < 0.15)
    other = truth ^ (rng.random((N_UNITS, N_FINDINGS, N_PAIRS)) < 0.15)
    cells = np.stack([reads & other, reads & ~other, ~reads & other, ~reads & ~other], -1)
    return cells.reshape(N_UNITS, N_FINDINGS, 4 * N_PAIRS).astype(float), patients


def kappas(sums):
    """Cohen's kappa of each (finding, pair) from summed cells (..., findings, 4 * pairs)."""
    c = sums.reshape(sums.shape[:-1] + (N_PAIRS, 4))
    p11, p10, p01, p00 = np.moveaxis(c / c.sum(-1, keepdims=True), -1, 0)
    first, second = p11 + p10, p11 + p01
    p_e = first * second + (1 - first) * (1 - second)
    return (p11 + p00 - p_e) / (1 - p_e)


def best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def peak_mib(fn):
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def loop_rebuild(stats, patients, n_resamples, seed):
    """Naive: per replicate, draw patients, concatenate their images, sum, finalize."""
    order = list(dict.fromkeys(patients))  # first appearance, as the engine numbers clusters
    members = {p: np.flatnonzero(patients == p) for p in order}
    members = [members[p] for p in order]
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_resamples):
        drawn = rng.integers(0, len(order), size=len(order))
        units = np.concatenate([members[c] for c in drawn])
        out.append(kappas(stats[units].sum(axis=0)))
    return np.array(out)


def loop_weighted(stats, patients, n_resamples, seed):
    """Per replicate, one weighted sum of the unit statistics (weights drawn up front)."""
    w = bootstrap_weights(len(stats), clusters=patients, n_resamples=n_resamples, seed=seed)
    flat = stats.reshape(len(stats), -1)
    return np.array([kappas((w_b @ flat).reshape(stats.shape[1:])) for w_b in w])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resamples", type=int, default=10_000)
    parser.add_argument("--loop-resamples", type=int, default=1_000)
    args = parser.parse_args(argv)
    b, b_loop, seed = args.resamples, args.loop_resamples, 1
    stats, patients = make_data()
    print(f"{N_UNITS} units, {len(set(patients))} patients, unit stats {stats.shape[1:]}, "
          f"output {kappas(stats.sum(0)).shape}, B = {b:,}\n")

    rows = []
    t, _ = best_of(lambda: bootstrap_weights(N_UNITS, clusters=patients, n_resamples=b,
                                             seed=seed))
    rows.append(("bootstrap_weights, patients", t, peak_mib(
        lambda: bootstrap_weights(N_UNITS, clusters=patients, n_resamples=b, seed=seed))))
    for label, clusters in (("unit", None), ("patient", patients)):
        def run(clusters=clusters):
            return bootstrap_sums(stats, kappas, clusters=clusters, n_resamples=b, seed=seed,
                                  progress=False)
        t, res = best_of(run)
        rows.append((f"bootstrap_sums, {label} resampling", t, peak_mib(run)))
    for method in ("percentile", "bca"):
        t, _ = best_of(lambda method=method: res.confidence_interval(method=method))
        rows.append((f"  + confidence_interval({method!r})", t,
                     peak_mib(lambda method=method: res.confidence_interval(method=method))))

    def whole():
        r = bootstrap_sums(stats, kappas, clusters=patients, n_resamples=b, seed=seed,
                           progress=False)
        return r.confidence_interval(), r.standard_error

    t_whole, _ = best_of(whole)
    rows.append(("whole run: patients, BCa interval, SE", t_whole, peak_mib(whole)))

    for label, loop in (("Python loop: rebuild data per replicate", loop_rebuild),
                        ("Python loop: weighted sum per replicate", loop_weighted)):
        start = time.perf_counter()
        dist = loop(stats, patients, b_loop, seed)
        t = (time.perf_counter() - start) * b / b_loop
        np.testing.assert_allclose(dist, res.distribution[:b_loop], rtol=1e-10, atol=1e-12)
        rows.append((f"{label} (x{b / b_loop:g})", t, float("nan")))

    width = max(len(r[0]) for r in rows)
    print(f"{'what':<{width}}  {'seconds':>8}  {'peak MiB':>8}  {'vs engine':>9}")
    print(f"{'-' * width}  {'-' * 8}  {'-' * 8}  {'-' * 9}")
    engine = rows[2][1]
    for what, t, mib in rows:
        ratio = f"{t / engine:8.1f}x" if what.startswith("Python") else ""
        mem = f"{mib:8.1f}" if np.isfinite(mib) else f"{'':8}"
        print(f"{what:<{width}}  {t:8.3f}  {mem}  {ratio:>9}")
    print("\nLoops extrapolated from their first replicates; their replicates equal the "
          "engine's (checked). Peak MiB: numpy allocations traced by tracemalloc.")


if __name__ == "__main__":
    main()
