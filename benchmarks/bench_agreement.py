"""Benchmark: agreement coefficients against krippendorff.alpha and statsmodels.

Run from the project root::

    python benchmarks/bench_agreement.py                 # bundled data + 1,000,000 x 5 x 14
    python benchmarks/bench_agreement.py --units 200000  # a smaller synthetic matrix
    python benchmarks/bench_agreement.py --skip-synthetic

For each finding it times

- Krippendorff's nominal alpha: ``adjudicate.krippendorff_alpha(x)`` on a units x raters float
  array with NaN (conversion included) against ``krippendorff.alpha(reliability_data=x.T)``;
- Fleiss' kappa: ``adjudicate.fleiss_kappa(x)`` (with Gwet's and the null SE) against
  statsmodels ``fleiss_kappa(aggregate_raters(x)[0])``. statsmodels assumes every unit has the
  same number of reads, so it is timed only where that holds: the all-findings data, and the
  synthetic matrix before reads are deleted (our time is given for both matrices);

then all findings at once from a :class:`~adjudicate.Ratings` (alpha; Fleiss with SEs; the
full default :func:`~adjudicate.agreement_table`). Every time is the best of ``--repeat`` runs
with caches cleared; peak memory is measured in a separate run with ``tracemalloc`` (numpy
reports its buffers to it), and the process's maximum resident set size is printed at the end.
The largest difference between our value and the peer's is printed too.

Needs the peers of the ``test`` extra (``pip install ".[test]"``: krippendorff; statsmodels
is a runtime dependency).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
import warnings
from functools import partial
from importlib.metadata import version
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

import adjudicate
from adjudicate import Ratings, agreement_table, fleiss_kappa, krippendorff_alpha
from adjudicate.agreement import patterns as _patterns
from adjudicate.agreement import sum_statistic

DATA = Path(adjudicate.__file__).parent / "datasets" / "nih_expert_labels"


# ----------------------------------------------------------------------------- measuring
def clear_caches() -> None:
    _patterns._PATTERN_CACHE.clear()


def best_time(fn, repeat: int) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeat):
        clear_caches()
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def peak_mib(fn) -> float:
    clear_caches()
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:9.1f}" if np.isfinite(seconds) else f"{'-':>9}"


# ----------------------------------------------------------------------------- data
def bundled(which: str) -> tuple[Ratings, dict[str, np.ndarray]]:
    """A Ratings (pandas pivot of the CSV) and one units x readers float array per finding."""
    path = (DATA / "all_findings_expert_labels" / "test_individual_readers.csv" if which == "all"
            else DATA / "four_findings_expert_labels" / "individual_readers.csv")
    df = pd.read_csv(path).drop_duplicates(["Image ID", "Reader ID"])
    skip = {"Image ID", "Patient ID", "Reader ID", "Abnormal", "Set ID"}
    findings = [c for c in df.columns if c not in skip]
    cats = ("NO", "HEDGE", "YES") if which == "four" else ("NO", "YES")
    code = {c: i for i, c in enumerate(cats)}
    arrays = {f: df.pivot(index="Image ID", columns="Reader ID", values=f)
              .apply(lambda col: col.map(code)).to_numpy(dtype=float) for f in findings}
    codes = np.stack([np.where(np.isnan(a), -1, a) for a in arrays.values()], 2).astype(np.int8)
    r = Ratings(codes=codes, categories=cats, units=pd.RangeIndex(codes.shape[0]),
                readers=pd.RangeIndex(codes.shape[1]), findings=pd.Index(findings))
    return r, arrays


def synthetic(n_units: int, n_readers: int = 5, n_findings: int = 14, missing: float = 0.1,
              seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Binary reads: a latent truth per unit and finding, each reader wrong 10% of the time.

    Returns the complete codes and the codes with ``missing`` of the reads deleted.
    """
    rng = np.random.default_rng(seed)
    prevalence = np.linspace(0.02, 0.4, n_findings)
    truth = rng.random((n_units, 1, n_findings)) < prevalence
    wrong = rng.random((n_units, n_readers, n_findings)) < 0.1
    complete = (truth ^ wrong).astype(np.int8)
    with_missing = complete.copy()
    with_missing[rng.random(complete.shape) < missing] = -1
    return complete, with_missing


def as_float(codes_2d: np.ndarray) -> np.ndarray:
    return np.where(codes_2d < 0, np.nan, codes_2d).astype(np.float64)


# ----------------------------------------------------------------------------- sections
def per_finding(title: str, items, repeat: int, complete_items=None) -> None:
    """Per finding: ours vs krippendorff (alpha) and vs statsmodels (Fleiss).

    ``items`` maps finding -> units x raters float array, or a callable making it (so that a
    large synthetic matrix is converted one finding at a time).
    """
    print(f"\n## {title}: per finding, milliseconds (best of {repeat})\n")
    print(f"{'finding':<20}{'units':>9} | {'alpha ours':>10}{'kripp.':>9}{'x faster':>9}"
          f" | {'Fleiss ours':>11}{'statsm.':>9}{'x faster':>9} | {'max |diff|':>10}")
    totals = np.zeros(4)
    for name, x in items.items():
        x = x() if callable(x) else x
        worst = 0.0
        domain = np.unique(x[~np.isnan(x)])
        t_ours, ours = best_time(lambda x=x: quiet(krippendorff_alpha, x), repeat)
        if len(domain) > 1:
            t_peer, peer = best_time(lambda x=x: krippendorff.alpha(
                reliability_data=x.T, level_of_measurement="nominal"), repeat)
            worst = max(worst, abs(ours.statistic - peer))
        else:
            t_peer = np.nan
        full = x if complete_items is None else complete_items[name]()
        t_fk, fk = best_time(lambda full=full: quiet(fleiss_kappa, full), repeat)
        if not np.isnan(full).any():
            t_sm, sm = best_time(lambda full=full: sm_fleiss_kappa(aggregate_raters(full)[0]),
                                 repeat)
            if np.isfinite(fk.statistic):
                worst = max(worst, abs(fk.statistic - sm))
        else:
            t_sm = np.nan
        totals += np.nan_to_num([t_ours, t_peer, t_fk, t_sm])
        print(f"{name[:19]:<20}{len(x):>9} | {ms(t_ours)} {ms(t_peer)[1:]}{t_peer / t_ours:>9.1f}"
              f" | {ms(t_fk):>11}{ms(t_sm)}{t_sm / t_fk:>9.1f} | {worst:>10.1e}")
    print(f"{'total':<20}{'':>9} | {ms(totals[0])} {ms(totals[1])[1:]}"
          f"{totals[1] / totals[0]:>9.1f} | {ms(totals[2]):>11}{ms(totals[3])}"
          f"{(totals[3] / totals[2]) if totals[3] else np.nan:>9.1f} |")


def all_at_once(title: str, ratings: Ratings, repeat: int) -> None:
    """All findings in one call: time and peak memory."""
    print(f"\n## {title}: all {ratings.n_findings} findings at once "
          f"({ratings.n_units:,} units x {ratings.n_readers} readers)\n")
    print(f"{'what':<58}{'seconds':>9}{'peak MiB':>10}")

    def alpha():
        stat = sum_statistic("krippendorff_alpha", ratings)
        return stat.finalize(stat.sums(ratings.codes))

    def fleiss_with_se():
        stat = sum_statistic("fleiss_kappa", ratings)
        total = stat.sums(ratings.codes)
        return stat.finalize(total), stat.variance(ratings.codes, total), stat.null_se(total)

    def fleiss_clustered():
        stat = sum_statistic("fleiss_kappa", ratings)
        total = stat.sums(ratings.codes)
        return stat.variance(ratings.codes, total, np.arange(ratings.n_units) // 2)

    def table():
        return quiet(agreement_table, ratings, clusters="unit")

    cases = [("Krippendorff's alpha (nominal)", alpha),
             ("Fleiss' kappa + Gwet SE + null SE", fleiss_with_se),
             ("Fleiss' kappa, cluster-robust SE (2 units per cluster)", fleiss_clustered),
             ("agreement_table, 9 default statistics with SEs", table)]
    for label, fn in cases:
        seconds, _ = best_time(fn, repeat)
        print(f"{label:<58}{seconds:>9.3f}{peak_mib(fn):>10.0f}")


def quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kw)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=1_000_000, help="synthetic units")
    parser.add_argument("--repeat", type=int, default=3, help="timing repeats (best is kept)")
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument("--skip-bundled", action="store_true")
    args = parser.parse_args(argv)
    print(f"numpy {np.__version__}, pandas {pd.__version__}, krippendorff "
          f"{version('krippendorff')}, statsmodels {version('statsmodels')}, "
          f"python {sys.version.split()[0]}")
    if not args.skip_bundled:
        for which, title in (("all", "All-findings test set (810 x 5)"),
                             ("four", "Four-findings set (4,376 x 22, ~3 reads per image)")):
            ratings, arrays = bundled(which)
            per_finding(title, arrays, args.repeat)
            all_at_once(title, ratings, args.repeat)
    if not args.skip_synthetic:
        complete, with_missing = synthetic(args.units)
        items = {f"finding {j + 1}": partial(as_float, with_missing[:, :, j])
                 for j in range(with_missing.shape[2])}
        full = {f"finding {j + 1}": partial(as_float, complete[:, :, j])
                for j in range(complete.shape[2])}
        title = f"Synthetic {args.units:,} x 5 x 14, 10% missing"
        per_finding(title + " (Fleiss: complete matrix)", items, args.repeat, complete_items=full)
        del full, complete
        ratings = Ratings(codes=with_missing, categories=("NO", "YES"),
                          units=pd.RangeIndex(args.units), readers=pd.RangeIndex(5),
                          findings=pd.RangeIndex(14))
        all_at_once(title, ratings, args.repeat)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    print(f"\nmaximum resident set size of this process: {rss:,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
