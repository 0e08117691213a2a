"""Coverage of 95% intervals for a proportion resting on few events (issue 10).

Sensitivity estimated from ``n`` reference positives with true value ``p``: the share of
simulated studies whose interval covers ``p``, for the Wilson score interval (the default of
:func:`adjudicate.accuracy_table` below 10 events or non-events) and for the percentile and
BCa bootstrap (what the tables used before). Run: ``python benchmarks/coverage_small_counts.py``.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
from statsmodels.stats.proportion import proportion_confint

from adjudicate.resample import bootstrap_sums


def coverage(n: int, p: float, n_sim: int = 1000, n_resamples: int = 999, seed: int = 0):
    rng = np.random.default_rng(seed)
    hits = {"wilson": 0, "percentile": 0, "bca": 0}
    for _ in range(n_sim):
        y = (rng.random(n) < p).astype(float)
        low, high = proportion_confint(y.sum(), n, alpha=0.05, method="wilson")
        hits["wilson"] += low <= p <= high
        res = bootstrap_sums(np.c_[y, np.ones(n)], lambda s: s[..., 0] / s[..., 1],
                             n_resamples=n_resamples, seed=int(rng.integers(2**31)),
                             progress=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for method in ("percentile", "bca"):
                low, high = res.confidence_interval(0.95, method=method)
                hits[method] += low <= p <= high
    return {k: v / n_sim for k, v in hits.items()}


def main(argv) -> None:
    print("n positives, true sensitivity: coverage of nominal 95% intervals "
          "(1000 simulated studies each)")
    for n, p in [(9, 0.85), (9, 0.95), (20, 0.9), (50, 0.9), (200, 0.9)]:
        cov = coverage(n, p)
        print(f"n={n:4d} p={p:.2f}: " + ", ".join(f"{k} {v:.3f}" for k, v in cov.items()))


if __name__ == "__main__":
    main(sys.argv[1:])
