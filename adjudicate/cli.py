"""The ``adjudicate`` command: a thin layer over the public API.

Every error the user can cause (a bad file, an unknown reader, a bad option) ends as one
readable line on stderr and exit status 2; no traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
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

    g = sub.add_parser("agreement", help="agreement statistics for every finding")
    g.add_argument("source", nargs="?", default="all-findings", metavar="DATASET|FILE",
                   help="all-findings (default), four-findings, or an individual-readers CSV")
    g.add_argument("--readers", metavar="IDS",
                   help="comma-separated reader ids (default: all readers)")
    g.add_argument("--findings", metavar="NAMES", help="comma-separated findings (default: all)")
    g.add_argument("--statistics", nargs="+", metavar="NAME",
                   help="statistics to report (names as in the output; default: the standard set)")
    g.add_argument("--hedge", choices=("category", "negative", "positive", "missing"),
                   default="category",
                   help="HEDGE as the middle category NO < HEDGE < YES (default), recoded to "
                        "NO or YES, or treated as missing")
    g.add_argument("--pairwise", action="store_true",
                   help="add the reader x reader Cohen's kappa matrix of every finding")
    _bootstrap_options(g, default_b=None)
    g.add_argument("--cluster", choices=("patient", "unit"), default="patient",
                   help="resample (and compute standard errors over) patients (default) or "
                        "images")
    g.add_argument("--format", choices=("table", "csv", "json"), default="table")
    g.set_defaults(run=_cmd_agreement)

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
                          "table": json.loads(c.table.to_json(orient="records", double_precision=15)),
                          "differences": json.loads(c.differences.to_json(orient="records", double_precision=15))},
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


def _split_ids(text: str | None) -> list[str] | None:
    if text is None:
        return None
    ids = [t.strip() for t in text.split(",") if t.strip()]
    if not ids:
        raise ValueError("an empty list was given")
    return ids


def _load_ratings(source: str):
    from .datasets import load_dataset
    from .io import read_readers

    if source in DATASET_CHOICES:
        return load_dataset(source).ratings
    return read_readers(source)


def _num(x: float) -> str:
    """0.599 -> '.599', -0.01 -> '-.010': compact cells for wide terminal tables."""
    return f"{x:.3f}".replace("0.", ".", 1)


def _cell(est, lo, hi) -> str:
    if pd.isna(est):
        return "NaN"
    if pd.isna(lo) or pd.isna(hi):
        return _num(est)
    return f"{_num(est)} [{_num(lo)},{_num(hi)}]"


def _cmd_agreement(args) -> int:
    import warnings

    from .agreement import agreement_table, pairwise_kappa

    ratings = _load_ratings(args.source)
    readers, findings = _split_ids(args.readers), _split_ids(args.findings)
    if args.statistics:
        stats = [s for item in args.statistics for s in item.split(",") if s]
    else:
        stats = None
    boot = args.bootstrap is not None
    if boot and args.bootstrap < 1:
        raise ValueError("--bootstrap must be a positive number of replicates")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = agreement_table(
            ratings, statistics=stats, hedge=args.hedge, readers=readers, findings=findings,
            level=args.level, ci="bootstrap" if boot else None,
            n_resamples=args.bootstrap or 9999, seed=args.seed, method=args.method,
            clusters=args.cluster)
        pairs = None
        if args.pairwise:
            view = ratings.select(readers=readers, findings=findings)
            from .agreement import hedge_view
            view, _ = hedge_view(view, args.hedge)
            pairs = pairwise_kappa(view)
            if "finding" not in pairs.columns:  # one finding: the reader x reader matrix
                i, j = np.triu_indices(len(pairs), k=1)
                pairs = pd.DataFrame({"finding": view.findings[0], "rater_1": pairs.index[i],
                                      "rater_2": pairs.columns[j],
                                      "kappa": pairs.to_numpy()[i, j]}).dropna(subset="kappa")
    warned = sorted({str(w.message) for w in caught})
    attrs = table.attrs
    if args.format in ("csv", "json"):
        out = table.copy()
        if pairs is not None:
            p = pairs.rename(columns={"kappa": "estimate"}).assign(statistic="cohen_kappa")
            out = pd.concat([out, p], ignore_index=True)
        if args.format == "csv":
            _emit(out.to_csv(index=False))
        else:
            _emit(json.dumps({"hedge": attrs.get("hedge_note"), "level": attrs.get("level"),
                              "clusters": attrs.get("clusters"), "seed": args.seed,
                              "notes": list(attrs.get("notes", [])) + warned,
                              "rows": json.loads(out.to_json(orient="records", double_precision=15))}, indent=2))
        return 0
    n_units = ratings.n_units
    src = ratings.source or args.source
    how = (f"{args.method} bootstrap, {args.bootstrap} resamples of "
           f"{'patients' if args.cluster == 'patient' else 'images'}"
           + (f", seed {args.seed}" if args.seed is not None else "")) if boot else \
        ("Wald intervals from analytic standard errors"
         + (" (cluster-robust over patients)" if args.cluster == "patient" else ""))
    lines = [f"Agreement: {src} ({n_units} units, "
             f"{len(readers) if readers else ratings.n_readers} readers)",
             f"HEDGE: {attrs.get('hedge_note', args.hedge)}",
             f"cells: estimate [{args.level:.0%} CI]; {how}; NaN = undefined", ""]
    wide = (table.assign(cell=[_cell(e, lo, hi) for e, lo, hi in
                                zip(table["estimate"], table["ci_low"], table["ci_high"])])
            .pivot(index="finding", columns="statistic", values="cell"))
    wide = wide.reindex(index=table["finding"].unique(), columns=table["statistic"].unique())
    wide.columns.name = None
    labels = attrs.get("labels", {})
    if wide.shape[0] > wide.shape[1]:  # many findings: one row each, statistics as columns
        lines.append(wide.to_string())
        lines += ["", "statistics: " + "; ".join(f"{s} = {labels.get(s, s)}"
                                               for s in wide.columns)]
    else:
        lines.append(wide.T.rename(index=lambda s: labels.get(s, s)).to_string())
    units = table.groupby("finding", sort=False)["n_units"].max()
    lines += ["", "units read at least twice: "
              + ", ".join(f"{f} {n}" for f, n in units.items())]
    for note in list(attrs.get("notes", [])) + warned:
        if note != attrs.get("hedge_note"):
            lines.append(f"note: {note}")
    if pairs is not None:
        lines += ["", "Pairwise Cohen's kappa (reader x reader)"]
        for f, block in pairs.groupby("finding", sort=False):
            ids = pd.unique(pd.concat([block["rater_1"], block["rater_2"]]))
            m = pd.DataFrame(index=ids, columns=ids, dtype=float)
            for r1, r2, k in zip(block["rater_1"], block["rater_2"], block["kappa"]):
                m.loc[r1, r2] = m.loc[r2, r1] = k
            lines += ["", f"{f}:", m.to_string(float_format="{:.3f}".format, na_rep="")]
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
