"""Fitting time of the Dawid-Skene reference (adjudicate.reference.DawidSkene).

On the bundled data: the point fit (all findings at once, several starts) and the
patient-clustered bootstrap (every replicate refitted; replicates fitted as one weighted stack,
SQUAREM-accelerated EM), for a few numbers of replicates; and, for scale, crowd-kit's
DawidSkene (pandas, one finding at a time) on the same reads, run to the same fixed point.

Run from the repository root::

    python benchmarks/bench_dawid_skene.py [--resamples 50 200] [--repeat 1] [--no-crowdkit]

Writes ``benchmarks/results/bench_dawid_skene.csv``. Timings depend on the machine and on
what else runs on it; the printed table says which.
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

import adjudicate as adj
from adjudicate.reference import DawidSkene
from adjudicate.vote import apply_hedge

ROOT = Path(__file__).resolve().parents[1]


def _time(fn, repeat: int):
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv=None) -> pd.DataFrame:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--resamples", type=int, nargs="+", default=[50, 200])
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--no-crowdkit", action="store_true")
    args = p.parse_args(argv)
    rows = []
    for name in ("four_findings", "all_findings"):
        ds = adj.load_dataset(name)
        r = ds.ratings
        shape = f"{r.n_units} images x {r.n_readers} readers x {r.n_findings} findings"
        secs, model = _time(lambda r=r: DawidSkene(seed=1).fit(r), args.repeat)
        conv = model.convergence_
        rows.append({"dataset": name, "task": "point fit, 5 starts", "n_resamples": 0,
                     "seconds": secs, "shape": shape,
                     "max_iterations": int(conv.iterations.max()),
                     "converged": bool(conv.converged.all())})
        for b in args.resamples:
            secs, model = _time(lambda r=r, b=b: DawidSkene(seed=1, n_starts=1,
                                                                n_resamples=b).fit(r),
                                args.repeat)
            boot = model.convergence_[model.convergence_.start == "bootstrap"]
            rows.append({"dataset": name, "task": "bootstrap refits (1 start)",
                         "n_resamples": b, "seconds": model.fit_seconds_["bootstrap"],
                         "shape": shape, "max_iterations": int(boot.iterations.max()),
                         "converged": float(boot.converged.min())})
        if not args.no_crowdkit:
            try:
                from crowdkit.aggregation import DawidSkene as CK
            except ImportError:
                continue
            binary = apply_hedge(r, "negative", keep_category=False)
            f = binary.findings[0]
            long = binary.select(findings=f).to_frame().rename(
                columns={"unit": "task", "reader": "worker", "category": "label"})
            ours = DawidSkene(n_starts=1, tol=1e-12, max_iter=5000).fit(
                binary.select(findings=f))
            n_iter = int(ours.convergence_.iterations.iloc[0])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                secs, _ = _time(lambda long=long: CK(n_iter=100, tol=-1.0).fit(
                    long[["task", "worker", "label"]]), 1)
            rows.append({"dataset": name, "task": f"crowd-kit DawidSkene, 100 EM iterations, "
                                                  f"finding {f!r}", "n_resamples": 0,
                         "seconds": secs, "shape": f"{len(long)} reads",
                         "max_iterations": 100, "converged": np.nan})
            rows.append({"dataset": name, "task": f"crowd-kit, extrapolated to one point fit "
                                                  f"of {f!r} ({n_iter} plain EM iterations)",
                         "n_resamples": 0, "seconds": secs * n_iter / 100,
                         "shape": f"{len(long)} reads", "max_iterations": n_iter,
                         "converged": np.nan})
    table = pd.DataFrame(rows)
    table["machine"] = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cpus"
    out = ROOT / "benchmarks" / "results" / "bench_dawid_skene.csv"
    out.parent.mkdir(exist_ok=True)
    table.to_csv(out, index=False, float_format="%.4g")
    print(table.drop(columns="machine").to_string(index=False))
    return table


if __name__ == "__main__":
    main()
