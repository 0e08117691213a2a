"""``adjudicate reproduce``: rebuild a published reference standard."""

from __future__ import annotations

import json
import sys

from ..vote import BINARY_HEDGE_POLICIES
from ._common import (
    PAPER_FORMATS,
    check_outputs,
    emit,
    format_option,
    note,
    paper_frame,
    parser_notes,
    vote_options,
    write_outputs,
)


def register(sub) -> None:
    r = sub.add_parser("reproduce", help="rebuild a published reference standard")
    rs = r.add_subparsers(dest="which", required=True, metavar="DATASET")
    ra = rs.add_parser("all-findings", help="majority vote of the 3 ground-truth readers + "
                                            "the Other rule -> test_labels.csv")
    ra.add_argument("--out", metavar="FILE", help="write the CSV (with --compare: the mismatch "
                                                  "table) here (default: stdout)")
    ra.add_argument("--compare", metavar="PUBLISHED",
                    help="print a per-column mismatch table against this labels file "
                         "('published' = the bundled test_labels.csv) instead of the CSV; "
                         "exit status 1 when anything differs (cells, or images or columns "
                         "present on one side only)")
    format_option(ra, default=None)
    ra.set_defaults(run=run_all)
    rf = rs.add_parser("four-findings", help="majority vote of the initial reads vs the "
                                             "adjudicated labels")
    vote_options(rf, hedge=BINARY_HEDGE_POLICIES)  # the labels are NO/YES
    rf.add_argument("--out", metavar="FILE",
                    help="write the majority-vote standard (one row per image) as CSV")
    format_option(rf)
    rf.set_defaults(run=run_four)


def run_all(args) -> int:
    from .._errors import InputError
    from ..datasets import dataset_path
    from ..io import read_labels, read_table, write_labels
    from ..reproduce import compare_label_tables, reproduce_all_findings

    path = None
    if args.compare:
        path = dataset_path("all_findings", "labels") if args.compare == "published" \
            else args.compare
    check_outputs({"--out": args.out}, inputs=[path, *_bundled_inputs()])
    ours = reproduce_all_findings()
    if args.compare:
        read_labels(path)  # validates: one row per image (a repeated image is an InputError)
        published = read_table(path, kind="labels").data
        try:
            table = compare_label_tables(ours, published)
        except ValueError as e:
            raise InputError(f"cannot compare: {e}", file=str(path)) from None
        cells = int(table["n_mismatch"].fillna(0).sum())
        only_ours = int(table["n_only_ours"].max()) if len(table) else 0
        only_pub = int(table["n_only_published"].max()) if len(table) else 0
        key = ours.columns[0]
        cols_ours = [c for c in ours.columns if c != key and c not in published.columns]
        cols_pub = [c for c in published.columns if c != key and c not in ours.columns]
        problems = []
        if cells:
            problems.append(f"{cells} mismatching cells")
        if only_ours or only_pub:
            problems.append(f"images missing: {only_ours} of ours not in {path}, "
                            f"{only_pub} of {path} not in ours")
        if cols_ours or cols_pub:
            problems.append(f"columns missing: {len(cols_ours)} of ours not in {path}"
                            + (f" ({', '.join(cols_ours[:5])}{', ...' if len(cols_ours) > 5 else ''})"
                               if cols_ours else "")
                            + f", {len(cols_pub)} of {path} not in ours"
                            + (f" ({', '.join(cols_pub[:5])}{', ...' if len(cols_pub) > 5 else ''})"
                               if cols_pub else ""))
        if args.format in ("csv", "json", *PAPER_FORMATS):
            emit(_frame_as(table, args.format), args.out)
            from ..datasets import load_dataset

            for line in parser_notes(load_dataset("all_findings").ratings):
                note(line)
            return 1 if problems else 0
        head = (f"reproduced {len(ours)} units x {ours.shape[1] - 2} label columns; compared with "
                f"{path}: {'identical' if not problems else '; '.join(problems)}")
        from ..datasets import load_dataset

        notes = parser_notes(load_dataset("all_findings").ratings)
        emit(head + "\n" + table.to_string(index=False)
             + "".join(f"\nnote: {line}" for line in notes), args.out)
        if args.out:
            print(f"wrote the comparison to {args.out}", file=sys.stderr)
        return 1 if problems else 0
    if args.format in ("json", *PAPER_FORMATS):  # default and csv: the published layout
        text = _frame_as(ours, args.format)
    else:
        text = write_labels(ours, format="nih_all_findings_labels")
    emit(text, args.out)
    from ..datasets import load_dataset

    for line in parser_notes(load_dataset("all_findings").ratings):  # the CSV is the
        note(line)                                                    # published layout
    if args.out:
        print(f"wrote {len(ours)} rows to {args.out}", file=sys.stderr)
    return 0


def _bundled_inputs() -> list:
    from ..datasets import DATASETS, dataset_path

    return [dataset_path(name, which) for name in DATASETS
            for which in (("readers", "labels") if name == "all_findings"
                          else ("readers", "test_labels", "validation_labels"))]


def run_four(args) -> int:
    from ..reproduce import compare_four_findings

    check_outputs({"--out": args.out, "--decisions": args.decisions},
                  inputs=_bundled_inputs())
    c = compare_four_findings(hedge=args.hedge, ties=args.ties, seed=args.seed,
                              min_reads=args.min_reads)
    outputs = {}
    if args.out:
        wide = (c.decisions.pivot(index="unit", columns="finding", values="label")
                .reindex(columns=c.decisions["finding"].unique()))
        wide = wide.reindex(c.decisions["unit"].unique())
        split = c.decisions.drop_duplicates("unit").set_index("unit")["split"]
        wide.insert(0, "Set", split.reindex(wide.index))
        wide.index.name = "Image ID"
        outputs[args.out] = wide.reset_index().to_csv(index=False)
    if args.decisions:
        outputs[args.decisions] = c.decisions.to_csv(index=False)
    if outputs:  # both or neither
        write_outputs(outputs)
    from ..datasets import load_dataset

    notes = parser_notes(load_dataset("four_findings"))
    if args.format == "json":
        emit(json.dumps({"policy": c.policy | {"readers": len(c.policy["readers"])},
                          "notes": notes,
                          "table": json.loads(c.table.to_json(orient="records", double_precision=15)),
                          "differences": json.loads(c.differences.to_json(orient="records", double_precision=15))},
                         indent=2))
        return 0
    if args.format == "csv":
        emit(c.table.to_csv(index=False))
        for text in notes:  # CSV stays machine-readable: notes go to stderr
            note(text)
        return 0
    if args.format in PAPER_FORMATS:
        emit(paper_frame(c.table.round(4), args.format))
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
    ] + [f"note: {text}" for text in notes]
    emit("\n".join(lines))
    return 0


def _frame_as(frame, fmt: str) -> str:
    """A plain table as CSV, JSON records or a Markdown/LaTeX table."""
    if fmt == "csv":
        return frame.to_csv(index=False)
    if fmt == "json":
        return frame.to_json(orient="records", indent=2)
    return paper_frame(frame, fmt)
