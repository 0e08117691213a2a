"""The ``adjudicate`` command: a thin layer over the public API.

Every error the user can cause (a bad file, an unknown reader, a bad option) ends as one
readable line on stderr and exit status 2; no traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from . import __version__

DATASET_CHOICES = ("all-findings", "four-findings")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="adjudicate",
        description="Label adjudication and reader-agreement statistics "
                    "(bundled: NIH ChestX-ray14 expert labels).")
    p.add_argument("--version", action="version", version=f"adjudicate {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    a = sub.add_parser("audit", help="data-quality report of individual-readers files")
    a.add_argument("files", nargs="*", metavar="FILE",
                   help="individual-readers CSV files (default: each bundled one)")
    a.add_argument("--format", choices=("text", "json"), default="text")
    a.set_defaults(run=_cmd_audit)

    r = sub.add_parser("reproduce", help="rebuild a published reference standard")
    rs = r.add_subparsers(dest="which", required=True, metavar="DATASET")
    ra = rs.add_parser("all-findings", help="majority vote of the 3 ground-truth readers + "
                                            "the Other rule -> test_labels.csv")
    ra.add_argument("--out", metavar="FILE", help="write the CSV here (default: stdout)")
    ra.add_argument("--compare", metavar="PUBLISHED",
                    help="print a per-column mismatch table against this labels file "
                         "('published' = the bundled test_labels.csv) instead of the CSV")
    ra.set_defaults(run=_cmd_reproduce_all)
    rf = rs.add_parser("four-findings", help="majority vote of the initial reads vs the "
                                             "adjudicated labels")
    rf.add_argument("--hedge", choices=("negative", "positive", "abstain"), default="negative",
                    help="what a HEDGE read counts as (default: negative)")
    rf.add_argument("--ties", choices=("abstain", "negative", "positive", "random"),
                    default="abstain", help="tie policy (default: abstain = no label)")
    rf.add_argument("--seed", type=int, default=None, help="seed for --ties random")
    rf.add_argument("--min-reads", type=int, default=1)
    rf.add_argument("--out", metavar="FILE",
                    help="write the majority-vote standard (one row per image) as CSV")
    rf.add_argument("--decisions", metavar="FILE",
                    help="write the per-unit record of how each label was decided as CSV")
    rf.add_argument("--format", choices=("table", "csv", "json"), default="table")
    rf.set_defaults(run=_cmd_reproduce_four)

    n = sub.add_parser("compare-nlp", help="NIH NLP labels and readers against a reference "
                                           "standard, with bootstrap CIs")
    n.add_argument("dataset", nargs="?", choices=DATASET_CHOICES, default="all-findings")
    n.add_argument("--reference", choices=("published", "majority"), default="published",
                   help="published labels (default) or a fresh majority vote")
    _bootstrap_options(n, default_b=2000)
    n.add_argument("--format", choices=("table", "csv", "json"), default="table")
    n.set_defaults(run=_cmd_compare_nlp)
    return p


def _bootstrap_options(p: argparse.ArgumentParser, *, default_b: int | None) -> None:
    p.add_argument("--bootstrap", type=int, default=default_b, metavar="B",
                   help="bootstrap replicates" + (f" (default {default_b})" if default_b
                                                  else " (default: no bootstrap)"))
    p.add_argument("--seed", type=int, default=None,
                   help="random seed (default: fresh; the output reports the seed used)")
    p.add_argument("--level", type=float, default=0.95, help="confidence level (default 0.95)")
    p.add_argument("--method", choices=("bca", "percentile"), default="bca",
                   help="bootstrap interval (default bca)")


def main(argv=None) -> int:
    """Entry point of the ``adjudicate`` console script."""
    from ._errors import InputError

    args = _parser().parse_args(argv)
    try:
        return args.run(args) or 0
    except InputError as e:
        return _fail(str(e))
    except (ValueError, KeyError, OSError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
        if isinstance(e, OSError) and e.filename:
            msg = f"{e.filename}: {e.strerror}"
        return _fail(msg)
    except BrokenPipeError:  # e.g. piped into `head`
        return 0


def _fail(msg: str) -> int:
    print(f"adjudicate: error: {msg}", file=sys.stderr)
    return 2


def _emit(text: str, out: str | None = None) -> None:
    if out:
        Path(out).write_text(text, encoding="utf-8", newline="")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _table(df: pd.DataFrame, fmt: str, floatfmt: str = "{:.4f}") -> str:
    if fmt == "csv":
        return df.to_csv(index=False)
    if fmt == "json":
        return df.to_json(orient="records", indent=2)
    return df.to_string(index=False, float_format=floatfmt.format)


# ------------------------------------------------------------------ commands
def _cmd_audit(args) -> int:
    from .audit import audit
    from .datasets import dataset_path

    files = args.files or [dataset_path(n, "readers") for n in ("all_findings", "four_findings")]
    reports = [audit(f) for f in files]
    if args.format == "json":
        _emit(json.dumps([r.to_dict() for r in reports], indent=2))
    else:
        _emit("\n\n".join(r.to_text() for r in reports))
    return 0


def _cmd_reproduce_all(args) -> int:
    from .datasets import dataset_path
    from .io import read_table, write_labels
    from .reproduce import compare_label_tables, reproduce_all_findings

    ours = reproduce_all_findings()
    if args.compare:
        path = dataset_path("all_findings", "labels") if args.compare == "published" \
            else args.compare
        published = read_table(path, kind="labels").data
        table = compare_label_tables(ours, published)
        total = int(table["n_mismatch"].fillna(0).sum())
        head = (f"reproduced {len(ours)} units x {ours.shape[1] - 2} label columns; compared with "
                f"{path}: {'identical' if total == 0 else f'{total} mismatching cells'}")
        _emit(head + "\n" + table.to_string(index=False))
        return 0
    text = write_labels(ours, format="nih_all_findings_labels")
    _emit(text, args.out)
    if args.out:
        print(f"wrote {len(ours)} rows to {args.out}", file=sys.stderr)
    return 0


def _cmd_reproduce_four(args) -> int:
    from .reproduce import compare_four_findings

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
        _emit(json.dumps({"policy": c.policy | {"readers": len(c.policy["readers"])},
                          "table": json.loads(c.table.to_json(orient="records")),
                          "differences": json.loads(c.differences.to_json(orient="records"))},
                         indent=2))
        return 0
    if args.format == "csv":
        _emit(c.table.to_csv(index=False))
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
    _emit("\n".join(lines))
    return 0


def _cmd_compare_nlp(args) -> int:
    import warnings

    from .accuracy import UndefinedStatisticWarning
    from .nlp import compare_nlp, format_comparison

    if not args.bootstrap or args.bootstrap < 1:
        raise ValueError("--bootstrap must be a positive number of replicates")
    with warnings.catch_warnings():  # the notes of the table say what is undefined
        warnings.simplefilter("ignore", UndefinedStatisticWarning)
        result = compare_nlp(args.dataset.replace("-", "_"), reference=args.reference,
                             n_resamples=args.bootstrap, seed=args.seed,
                             confidence_level=args.level, method=args.method)
    _emit(format_comparison(result, args.format))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
