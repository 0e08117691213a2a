"""``adjudicate report``: one self-contained HTML report, its tables as CSV, its settings."""

from __future__ import annotations

import json
import sys

from ..vote import BINARY_HEDGE_POLICIES, HEDGE_POLICIES, TIE_POLICIES
from ._common import DATASET_CHOICES


def register(sub) -> None:
    r = sub.add_parser("report", help="a self-contained HTML report (audit, reproduction, "
                                      "agreement, readers and NLP vs the reference, model), "
                                      "its tables as CSV and its settings")
    r.add_argument("source", nargs="?", default=None, metavar="DATASET|FILE",
                   help=f"{' or '.join(DATASET_CHOICES)} (default all-findings), or your "
                        "own reader study (an NIH individual-readers CSV, or any long or wide "
                        "table of reads: CSV or Parquet)")
    r.add_argument("--scores", nargs="+", default=[], metavar="FILE",
                   help="model score files (the model section)")
    r.add_argument("--out", required=True, metavar="DIR",
                   help="output directory: report.html, settings.json, *.csv")
    r.add_argument("--settings", metavar="FILE",
                   help="rerun from a settings.json written by an earlier report (the same "
                        "seed and options; input files checked against their SHA-256)")
    r.add_argument("--readers", metavar="IDS", help="comma-separated reader panel")
    r.add_argument("--hedge", choices=HEDGE_POLICIES,
                   default="category", help="HEDGE in the agreement statistics")
    r.add_argument("--vote-hedge", choices=BINARY_HEDGE_POLICIES,
                   default="negative", help="HEDGE in votes and comparisons (default negative)")
    r.add_argument("--ties", default=None, choices=TIE_POLICIES,
                   help="tie policy of the votes (default: the package's default)")
    r.add_argument("--bootstrap", type=int, default=None, metavar="B",
                   help="bootstrap replicates (default 500: a quick look; use 2000+ for a paper)")
    r.add_argument("--seed", type=int, default=None,
                   help="random seed (default: drawn, and recorded in the report)")
    r.add_argument("--level", type=float, default=0.95, help="confidence level (default 0.95)")
    r.add_argument("--method", choices=("bca", "percentile"), default="bca")
    r.add_argument("--cluster", choices=("patient", "unit"), default="patient",
                   help="resample patients (default) or images")
    r.add_argument("--no-sensitivity", action="store_true",
                   help="leave out the section on how the NLP labels' accuracy depends on the "
                        "reference definition (it refits a latent-class model per resample)")
    r.add_argument("--sensitivity-bootstrap", type=int, default=None, metavar="B",
                   help="resamples of that section (default 40: about 10 s)")
    r.set_defaults(run=run)


def run(args) -> int:
    from ..report.html import (
        DEFAULT_RESAMPLES,
        SENSITIVITY_RESAMPLES,
        collect_results,
        report_settings,
        write_report,
    )
    from ._common import split_ids

    if args.settings:
        with open(args.settings, encoding="utf-8") as f:
            saved = json.load(f)
        options = {k: saved[k] for k in ("scores", "readers", "hedge", "vote_hedge", "ties",
                                         "n_resamples", "seed", "confidence_level", "method",
                                         "clusters", "sensitivity") if k in saved}
        if saved.get("sensitivity_options"):
            options["sensitivity_resamples"] = saved["sensitivity_options"]["n_resamples"]
        source = saved["source"]
        settings = report_settings(source, **options)
        settings["input_sha256"] = saved.get("input_sha256", settings["input_sha256"])
        settings["seed_given"] = saved.get("seed_given", True)
        if saved.get("ties_defaults"):  # the policies of the first run, not today's defaults
            settings["ties_defaults"] = saved["ties_defaults"]
    else:
        settings = report_settings(
            args.source or "all-findings", scores=args.scores, readers=split_ids(args.readers),
            hedge=args.hedge, vote_hedge=args.vote_hedge, ties=args.ties,
            n_resamples=args.bootstrap or DEFAULT_RESAMPLES, seed=args.seed,
            confidence_level=args.level, method=args.method, clusters=args.cluster,
            sensitivity=not args.no_sensitivity,
            sensitivity_resamples=(SENSITIVITY_RESAMPLES if args.sensitivity_bootstrap is None
                                   else args.sensitivity_bootstrap))
    path = write_report(collect_results(settings), args.out)
    print(f"wrote {path} (seed {settings['seed']}, {settings['n_resamples']} resamples); "
          f"tables as CSV and settings.json beside it", file=sys.stderr)
    return 0
