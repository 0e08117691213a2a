"""``adjudicate agreement``: agreement statistics for every finding."""

from __future__ import annotations

import json

import pandas as pd

from ..vote import HEDGE_POLICIES
from ._common import (
    PAPER_FORMATS,
    bootstrap_options,
    emit,
    format_option,
    input_options,
    load_ratings,
    paper_frame,
    paper_table,
    parser_notes,
    split_ids,
)
from ._common import note as stderr_note


def register(sub) -> None:
    g = sub.add_parser("agreement", help="agreement statistics for every finding")
    g.add_argument("source", nargs="?", default="all-findings", metavar="DATASET|FILE",
                   help="all-findings (default), four-findings, an NIH individual-readers "
                        "CSV, or your own study (long or wide layout, CSV or Parquet)")
    g.add_argument("--readers", metavar="IDS",
                   help="comma-separated reader ids (default: all readers)")
    g.add_argument("--findings", metavar="NAMES", help="comma-separated findings (default: all)")
    g.add_argument("--statistics", nargs="+", metavar="NAME",
                   help="statistics to report (names as in the output; default: the standard set)")
    g.add_argument("--hedge", choices=HEDGE_POLICIES,
                   default="category",
                   help="HEDGE as the middle category NO < HEDGE < YES (default), recoded to "
                        "NO or YES, or treated as missing")
    g.add_argument("--pairwise", action="store_true",
                   help="add the reader x reader Cohen's kappa matrix of every finding")
    bootstrap_options(g, default_b=None)
    g.add_argument("--cluster", default=None, metavar="patient|unit|COLUMN",
                   help="what to resample and compute standard errors over: the patients the "
                        "data carry (default; independent units, with a note, when they carry "
                        "none), 'unit' (independent images), or a per-unit metadata column")
    format_option(g)
    input_options(g, readers=False, findings=False)
    g.set_defaults(run=run)


def run(args) -> int:
    import warnings

    from ..agreement import agreement_table, hedge_view, pairwise_kappa
    from ..resample import _fresh_seed

    ratings = load_ratings(args.source, args)
    readers, findings = split_ids(args.readers, "--readers"), split_ids(args.findings, "--findings")
    if args.statistics:
        stats = [s for item in args.statistics for s in item.split(",") if s]
    else:
        stats = None
    boot = args.bootstrap is not None
    if boot and args.bootstrap < 1:
        raise ValueError("--bootstrap must be a positive number of replicates")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = agreement_table(
            ratings, statistics=stats, hedge=args.hedge, readers=readers, findings=findings,
            confidence_level=args.level, ci="bootstrap" if boot else None,
            n_resamples=args.bootstrap or 9999, seed=_fresh_seed(args.seed) if boot else None,
            method=args.method or "bca", clusters=args.cluster)
        pairs = None
        if args.pairwise:
            view, _ = hedge_view(ratings.select(readers=readers, findings=findings), args.hedge)
            pairs = pairwise_kappa(view, tidy=True).dropna(subset="kappa")
    warned = sorted({str(w.message) for w in caught})
    table, settings = result.table, result.settings
    notes = parser_notes(ratings) + list(result.notes) + [w for w in warned
                                                          if w not in result.notes]
    if args.format in PAPER_FORMATS:
        text = paper_table(result, args.format, n_units=True)
        if pairs is not None:
            text += "\n" + paper_frame(pairs.round(3), args.format)
        emit(text)
        for line in notes:  # the table stays a table: notes go to stderr
            stderr_note(line)
        return 0
    if args.format in ("csv", "json"):
        out = table.copy()
        if pairs is not None:
            p = pairs.rename(columns={"kappa": "estimate"}).assign(statistic="cohen_kappa")
            out = pd.concat([out, p], ignore_index=True)
        if args.format == "csv":
            emit(out.to_csv(index=False))
            for text in notes:  # CSV stays machine-readable: notes go to stderr
                stderr_note(text)
        else:
            emit(json.dumps({"settings": _plain(settings), "notes": notes,
                             "rows": json.loads(out.to_json(orient="records",
                                                            double_precision=15))}, indent=2))
        return 0
    src = ratings.source or args.source
    how = (f"{settings['method']} bootstrap, {args.bootstrap} resamples of {settings['clusters']}, "
           f"seed {settings['seed']}") if boot else \
        ("Wald intervals from analytic standard errors"
         + (f" (cluster-robust over {settings['clusters']})"
            if settings["clusters"] != "units" else " (independent units)"))
    lines = [(f"Agreement: {src} ({ratings.n_units} units, "
              f"{len(readers) if readers else ratings.n_readers} readers)"),
             f"HEDGE: {settings['hedge_note']}",
             f"cells: estimate [{args.level:.0%} CI]; {how}; NaN = undefined", ""]
    wide = result.wide()
    labels = settings.get("labels", {})
    if wide.shape[0] > wide.shape[1]:  # many findings: one row each, statistics as columns
        lines.append(wide.to_string())
        lines += ["", "statistics: " + "; ".join(f"{s} = {labels.get(s, s)}"
                                               for s in wide.columns)]
    else:
        lines.append(wide.T.rename(index=lambda s: labels.get(s, s)).to_string())
    units = table.groupby("finding", sort=False)["n_units"].max()
    lines += ["", "units read at least twice: "
              + ", ".join(f"{f} {n}" for f, n in units.items())]
    lines += [f"note: {note}" for note in notes if note != settings.get("hedge_note")]
    if pairs is not None:
        lines += ["", "Pairwise Cohen's kappa (reader x reader)"]
        for f, block in pairs.groupby("finding", sort=False):
            ids = pd.unique(pd.concat([block["rater_1"], block["rater_2"]]))
            m = pd.DataFrame(index=ids, columns=ids, dtype=float)
            for r1, r2, k in zip(block["rater_1"], block["rater_2"], block["kappa"]):
                m.loc[r1, r2] = m.loc[r2, r1] = k
            lines += ["", f"{f}:", m.to_string(float_format="{:.3f}".format, na_rep="")]
    emit("\n".join(lines))
    return 0


def _plain(settings: dict) -> dict:
    from ..results import _plain as plain

    return plain(settings)
