"""``adjudicate reproduce``: rebuild a published reference standard."""

from __future__ import annotations

import json
import sys

from ._common import emit


def register(sub) -> None:
    r = sub.add_parser("reproduce", help="rebuild a published reference standard")
    rs = r.add_subparsers(dest="which", required=True, metavar="DATASET")
    ra = rs.add_parser("all-findings", help="majority vote of the 3 ground-truth readers + "
                                            "the Other rule -> test_labels.csv")
    ra.add_argument("--out", metavar="FILE", help="write the CSV here (default: stdout)")
    ra.add_argument("--compare", metavar="PUBLISHED",
                    help="print a per-column mismatch table against this labels file "
                         "('published' = the bundled test_labels.csv) instead of the CSV")
    ra.set_defaults(run=run_all)
    rf = rs.add_parser("four-findings", help="majority vote of the initial reads vs the "
                                             "adjudicated labels")
    rf.add_argument("--hedge", choices=("negative", "positive", "missing"), default="negative",
                    help="what a HEDGE read counts as (default: negative)")
    rf.add_argument("--ties", choices=("missing", "negative", "positive", "random"),
                    default="missing", help="tie policy (default: missing = no label)")
    rf.add_argument("--seed", type=int, default=None, help="seed for --ties random")
    rf.add_argument("--min-reads", type=int, default=1)
    rf.add_argument("--out", metavar="FILE",
                    help="write the majority-vote standard (one row per image) as CSV")
    rf.add_argument("--decisions", metavar="FILE",
                    help="write the per-unit record of how each label was decided as CSV")
    rf.add_argument("--format", choices=("table", "csv", "json"), default="table")
    rf.set_defaults(run=run_four)


def run_all(args) -> int:
    from ..datasets import dataset_path
    from ..io import read_table, write_labels
    from ..reproduce import compare_label_tables, reproduce_all_findings

    ours = reproduce_all_findings()
    if args.compare:
        path = dataset_path("all_findings", "labels") if args.compare == "published" \
            else args.compare
        published = read_table(path, kind="labels").data
        table = compare_label_tables(ours, published)
        total = int(table["n_mismatch"].fillna(0).sum())
        head = (f"reproduced {len(ours)} units x {ours.shape[1] - 2} label columns; compared with "
                f"{path}: {'identical' if total == 0 else f'{total} mismatching cells'}")
        emit(head + "\n" + table.to_string(index=False))
        return 0
    text = write_labels(ours, format="nih_all_findings_labels")
    emit(text, args.out)
    if args.out:
        print(f"wrote {len(ours)} rows to {args.out}", file=sys.stderr)
    return 0


def run_four(args) -> int:
    from ..reproduce import compare_four_findings

    c = compare_four_findings(hedge=args.hedge, ties=args.ties, seed=args.seed,
                              min_reads=args.min_reads)
    if args.out:
        wide = (c.decisions.pivot(index="unit", columns="finding", values="label")
                .reindex(columns=c.decisions["finding"].unique()))
        wide = wide.reindex(c.decisions["unit"].unique())
        split = c.decisions.drop_duplicates("unit").set_index("unit")["split"]
        wide.insert(0, "Set", split.reindex(wide.index))
        wide.index.name = "Image ID"
        wide.reset_index().to_csv(args.out, index=False)
    if args.decisions:
        c.decisions.to_csv(args.decisions, index=False)
    if args.format == "json":
        emit(json.dumps({"policy": c.policy | {"readers": len(c.policy["readers"])},
                          "table": json.loads(c.table.to_json(orient="records", double_precision=15)),
                          "differences": json.loads(c.differences.to_json(orient="records", double_precision=15))},
                         indent=2))
        return 0
    if args.format == "csv":
        emit(c.table.to_csv(index=False))
        return 0
    pol = c.policy
    lines = [
        "Majority vote of the initial reads vs the adjudicated labels (four findings)",
        f"policies: hedge={pol['hedge']}, ties={pol['ties']}"
        + (f" (seed {pol['seed']})" if pol["seed"] is not None else "")
        + f", min_reads={pol['min_reads']}; panel: all {len(pol['readers'])} readers "
          "(each image's own readers)",
        "",
        c.table.to_string(index=False, float_format="{:.4f}".format),
        "",
        f"{len(c.differences)} (unit, finding) cells differ or have no label"
        + (f"; per-unit record written to {args.decisions}" if args.decisions else
           "; --decisions FILE writes the per-unit record"),
    ]
    emit("\n".join(lines))
    return 0
