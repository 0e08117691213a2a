"""``adjudicate vote``: the majority-vote reference standard of any reader panel."""

from __future__ import annotations

import json
import sys

from ._common import emit, input_options, load_ratings, split_ids, vote_options


def register(sub) -> None:
    v = sub.add_parser("vote", help="majority-vote reference standard of any reader panel, "
                                    "with the per-unit decision record")
    v.add_argument("source", metavar="FILE|DATASET",
                   help="your own study (long or wide layout, CSV or Parquet), an NIH "
                        "individual-readers CSV, or all-findings / four-findings")
    vote_options(v)
    v.add_argument("--out", metavar="FILE",
                   help="write the reference standard as CSV (unit, [cluster], one column per "
                        "finding; empty = no label); default: to stdout, without the summary")
    v.add_argument("--format", choices=("table", "csv", "json"), default="table",
                   help="format of the summary printed with --out")
    input_options(v)
    v.set_defaults(run=run)


def run(args) -> int:
    from ..vote import majority_vote

    ratings = load_ratings(args.source, args)
    result = majority_vote(ratings, split_ids(args.readers), hedge=args.hedge, ties=args.ties,
                           seed=args.seed, min_reads=args.min_reads)
    seed = result.policy["seed"]  # drawn by the vote when --ties random has no --seed
    policy = {"source": ratings.source or args.source, "units": ratings.n_units,
              "readers": [str(r) for r in ratings.readers], "hedge": args.hedge,
              "ties": args.ties, "seed": seed if args.ties == "random" else None,
              "min_reads": args.min_reads}
    standard = result.labels.copy()
    standard.index.name = ratings.units.name or "unit"
    if ratings.clusters is not None and "cluster" not in standard.columns:
        standard.insert(0, "cluster", ratings.clusters)
    if args.decisions:
        emit(result.decisions.to_csv(index=False), args.decisions)
    if not args.out:
        emit(standard.reset_index().to_csv(index=False))
        return 0
    emit(standard.reset_index().to_csv(index=False), args.out)
    summary = _summary(result)
    if args.format == "csv":
        emit(summary.to_csv(index=False))
    elif args.format == "json":
        emit(json.dumps({"policy": policy, "out": args.out, "decisions": args.decisions,
                         "summary": json.loads(summary.to_json(orient="records"))}, indent=2))
    else:
        emit("\n".join([
            f"Majority vote: {policy['source']} ({ratings.n_units} units, panel of "
            f"{len(policy['readers'])} readers: {', '.join(policy['readers'][:12])}"
            + (" ..." if len(policy["readers"]) > 12 else "") + ")",
            f"policies: hedge={args.hedge}, ties={args.ties}"
            + (f" (seed {seed})" if args.ties == "random" else "")
            + f", min_reads={args.min_reads}",
            "", summary.to_string(index=False), "",
            f"wrote the reference standard to {args.out}"
            + (f" and the per-unit record to {args.decisions}" if args.decisions else
               "; --decisions FILE writes the per-unit record"),
        ]))
    print(f"wrote {len(standard)} rows to {args.out}", file=sys.stderr)
    return 0


def _summary(result):
    """Per finding: the labels in each category, then how many each rule decided
    (:meth:`VoteResult.summary`)."""
    import pandas as pd

    labels = result.labels
    counts = pd.DataFrame({f"label {c}": (labels == c).sum() for c in result.categories})
    counts["no label"] = labels.isna().sum()
    out = pd.concat([counts, result.summary().reindex(labels.columns)], axis=1)
    return out.fillna(0).astype(int).rename_axis("finding").reset_index()
