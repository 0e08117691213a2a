"""Patient-clustered bootstrap of the ROC AUC of all 16 all-findings columns.

The issue's benchmark: B = 10,000 patient-clustered replicates of the AUC of a model's scores
(the bundled synthetic example scores) against the published labels, for all 16 all-findings
columns -- 810 images of 532 patients. Target: under 1 s in-process on 2 cores.

How (adjudicate.evaluate): scores are sorted once per finding; one class is grouped by
distinct score and the images of the other class are assigned to the gaps between the groups,
as one sparse map from patients to those groups. Replicate ``b`` draws patient counts
``W[b]``; the AUC of every finding in every replicate is then one sparse product
``map @ W.T``, a cumulative sum over score groups and segment sums (blocks of replicates to
bound memory): no Python loop over replicates or images. The leave-one-patient-out jackknife
for BCa is the same computation with ``W = 1 - I``.

The baseline rebuilds each replicate's data set (the drawn patients' images, repeated as
drawn) and calls ``sklearn.metrics.roc_auc_score`` once per finding. It is timed on the first
``--loop-resamples`` replicates (default 200) and extrapolated linearly to B; its values are
checked against the engine's replicates (same seed, same draws, equal to ~1e-15).

Run:  python benchmarks/bench_auc.py [--resamples 10000] [--loop-resamples 200] [--out CSV]

Needs the ``test`` extra for its baseline (``pip install ".[test]"``: scikit-learn).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from adjudicate import load_dataset
from adjudicate.datasets import example_scores_path
from adjudicate.evaluate import _bootstrap_auc
from adjudicate.io.scores import read_scores
from adjudicate.resample import bootstrap_weights, resolve_clusters


def data():
    ds = load_dataset("all_findings")
    scores = read_scores(example_scores_path()).scores
    labels = (ds.labels.reindex(scores.index) == "YES").to_numpy(dtype=float)
    patients = pd.Series(ds.ratings.clusters, index=ds.ratings.units).reindex(scores.index)
    design = resolve_clusters(patients.to_numpy(), None, n_units=len(scores))
    return scores.to_numpy(), labels, design


def engine(scores, labels, design, n_resamples, seed):
    boot, _ = _bootstrap_auc(scores, labels, design, n_resamples=n_resamples, seed=seed,
                             method="bca", confidence_level=0.95)
    return boot


def loop(scores, labels, design, n_resamples, seed):
    w = bootstrap_weights(len(scores), clusters=design.codes, n_resamples=n_resamples,
                          seed=seed)
    out = np.empty((n_resamples, scores.shape[1]))
    with warnings.catch_warnings():  # a replicate without a positive: NaN, as the engine
        warnings.simplefilter("ignore")
        for b in range(n_resamples):
            idx = np.repeat(np.arange(len(scores)), w[b])
            for j in range(scores.shape[1]):
                out[b, j] = roc_auc_score(labels[idx, j], scores[idx, j])
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--resamples", type=int, default=10_000)
    p.add_argument("--loop-resamples", type=int, default=200)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", default=None, help="append a row of results to this CSV")
    args = p.parse_args()

    scores, labels, design = data()
    engine(scores, labels, design, 50, args.seed)  # warm up (imports, caches)
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        boot = engine(scores, labels, design, args.resamples, args.seed)
        times.append(time.perf_counter() - t0)
    t_engine = min(times)

    t0 = time.perf_counter()
    ref = loop(scores, labels, design, args.loop_resamples, args.seed)
    t_loop = (time.perf_counter() - t0) * args.resamples / args.loop_resamples
    mine = boot.distribution[:args.loop_resamples]
    same_nan = bool((np.isnan(ref) == np.isnan(mine)).all())
    err = np.nanmax(np.abs(ref - mine)) if same_nan else np.inf

    print(f"data: {scores.shape[0]} images, {design.n_clusters} patients, "
          f"{scores.shape[1]} findings; B = {args.resamples}")
    print(f"engine (vectorized, incl. cluster jackknife): best of {args.repeats} "
          f"{t_engine:.3f} s (all: {', '.join(f'{t:.2f}' for t in times)})")
    print(f"loop of roc_auc_score: {t_loop:.1f} s (timed on {args.loop_resamples} replicates, "
          f"extrapolated)")
    print(f"speed-up: {t_loop / t_engine:.0f}x; max |difference| on shared replicates: "
          f"{err:.1e} (undefined replicates, e.g. no Pneumonia positive drawn: "
          f"{int(np.isnan(mine).sum())}, the same in both)")
    print(f"cores: {os.cpu_count()}; load average: {os.getloadavg()[0]:.1f}")
    if args.out:
        row = pd.DataFrame([{"resamples": args.resamples, "n_images": scores.shape[0],
                             "n_patients": design.n_clusters, "n_findings": scores.shape[1],
                             "engine_s": round(t_engine, 4), "loop_s": round(t_loop, 2),
                             "speedup": round(t_loop / t_engine, 1),
                             "max_abs_diff": err, "cores": os.cpu_count(),
                             "load_average": round(os.getloadavg()[0], 1),
                             "python": platform.python_version(),
                             "numpy": np.__version__}])
        out = Path(args.out)
        row.to_csv(out, mode="a", header=not out.exists(), index=False)


if __name__ == "__main__":
    main()
