"""``adjudicate evaluate``: a model's scores against a reference standard, with the readers."""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd

from ._common import DATASET_CHOICES, bootstrap_options, cell, emit, num


def register(sub) -> None:
    e = sub.add_parser("evaluate", help="ROC AUC, operating points and the readers: a model's "
                                        "scores against a reference standard")
    e.add_argument("--scores", action="append", metavar="FILE",
                   help="the model's scores (CSV, wide: image column + one column per finding, "
                        "or long: image, finding, score); give twice to compare two models. "
                        "Default: the bundled SYNTHETIC example scores")
    e.add_argument("--image-column", metavar="NAME",
                   help="the image id column of the scores files (default: recognised: "
                        "'Image ID', 'Image Index', 'image_id', ...)")
    e.add_argument("--dataset", choices=DATASET_CHOICES, default="all-findings",
                   help="the bundled dataset the images come from (patients, readers, "
                        "published labels; default all-findings)")
    e.add_argument("--reference", default="published", metavar="published|majority|FILE",
                   help="published labels (default), the majority vote of all readers, or a "
                        "label table CSV (image column + one YES/NO or 1/0 column per finding)")
    point = e.add_mutually_exclusive_group()
    point.add_argument("--threshold", type=float, metavar="T",
                       help="operating point: score >= T is positive")
    point.add_argument("--match-readers", action="store_true",
                       help="each reader against the reference (leave-one-out for panel "
                            "readers), the model at each reader's and the mean reader's "
                            "specificity, model minus reader with paired intervals")
    e.add_argument("--prevalence", nargs="+", action="extend", metavar="FINDING=P",
                   help="PPV, NPV and accuracy at this prevalence (needs --threshold or "
                        "--match-readers)")
    e.add_argument("--margin", type=float, default=0.0,
                   help="non-inferiority margin of model-vs-reader tests (default 0: "
                        "superiority)")
    e.add_argument("--cluster", choices=("patient", "unit"), default="patient",
                   help="intervals over patients (default; Obuchowski / patient bootstrap) or "
                        "images (DeLong / image bootstrap)")
    bootstrap_options(e, default_b=None)
    e.add_argument("--format", choices=("table", "csv", "json"), default="table")
    e.set_defaults(run=run)


def _prevalence(items) -> dict | None:
    if not items:
        return None
    out = {}
    for item in items:
        finding, sep, value = item.rpartition("=")
        if not sep or not finding:
            raise ValueError(f"--prevalence takes FINDING=P, got {item!r}")
        try:
            out[finding.strip()] = float(value)
        except ValueError:
            raise ValueError(f"--prevalence {item!r}: {value!r} is not a number") from None
    return out


def run(args) -> int:
    import warnings

    from ..datasets import example_scores_path, load_dataset
    from ..evaluate import evaluate_model
    from ..io.scores import read_label_table, read_scores

    files = args.scores or [str(example_scores_path())]
    if len(files) > 2:
        raise ValueError("--scores takes one file, or two to compare two models")
    models = [read_scores(f, image_column=args.image_column) for f in files]
    if args.bootstrap is not None and args.bootstrap < 1:
        raise ValueError("--bootstrap must be a positive number of replicates")
    if args.method and not args.bootstrap:
        raise ValueError(f"--method {args.method} is a bootstrap interval: give --bootstrap B "
                         "(without --method: Wilson for proportions, Obuchowski/DeLong or "
                         "BCa for the AUC)")
    dataset = load_dataset(args.dataset)
    reference = args.reference
    if reference not in ("published", "majority"):
        reference = read_label_table(reference)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = evaluate_model(
            models[0], reference, dataset=dataset,
            other_scores=models[1] if len(models) == 2 else None,
            clusters=None if args.cluster == "patient" else "unit",
            threshold=args.threshold, match_readers=args.match_readers,
            prevalence=_prevalence(args.prevalence), margin=args.margin,
            n_resamples=args.bootstrap or 0, seed=args.seed, method=args.method,
            confidence_level=args.level)
    notes = list(res.notes) + sorted({str(w.message) for w in caught})
    if not args.scores:
        notes.insert(0, "scores: the bundled SYNTHETIC example (made-up scores, not a model; "
                        "see its header)")
    if args.reference not in ("published", "majority"):
        notes.append(f"reference: {args.reference}")
    t = res.table
    if args.format == "csv":
        emit(t.to_csv(index=False))
        for note in notes:  # the table is for machines; what was left out goes beside it
            print(f"note: {note}", file=sys.stderr)
        return 0
    if args.format == "json":
        out = res.to_dict()
        out["notes"] = notes
        emit(json.dumps(out, indent=2))
        return 0
    emit(_text(res, notes, args))
    return 0


def _text(res, notes, args) -> str:
    t = res.table
    s = res.settings
    seed = f", seed {s['seed']}" if s.get("seed") is not None else ""
    design = ("images independent" if s["clusters"] == "units"
              else f"{s['n_clusters']} {s['clusters']}")
    lines = [(f"Evaluate: {', '.join(s['models'])} against {s['reference']} "
              f"({s['n_images']} images, {design})"),
             (f"cells: estimate [{args.level:.0%} CI]{seed}; score >= threshold is positive; "
              "NaN = undefined"), ""]
    auc = t[t.statistic == "auc"]
    wide = auc.assign(c=[cell(e, lo, hi) for e, lo, hi in
                         zip(auc.estimate, auc.ci_low, auc.ci_high)])
    table = wide.pivot(index="finding", columns="rater", values="c")
    table = table.reindex(index=pd.unique(auc.finding), columns=pd.unique(auc.rater))
    table.columns = [f"AUC {c}" for c in table.columns]
    first = auc[auc.rater == auc.rater.iloc[0]].set_index("finding")
    table.insert(0, "pos/neg", [f"{p}/{n}" for p, n in zip(first.n_positive,
                                                           first.n_negative)])
    diff = t[t.statistic == "auc_difference"].set_index("finding")
    if len(diff):
        table["difference"] = [cell(e, lo, hi) for e, lo, hi in
                               zip(diff.estimate, diff.ci_low, diff.ci_high)]
        table["p (Holm)"] = [f"{p:.3g} ({q:.3g})" for p, q in
                             zip(diff.p_value, diff.p_adjusted)]
    table.index.name = None
    lines += [f"ROC AUC ({auc.method.iloc[0]})", table.to_string(), ""]
    ops = t[t.statistic.isin(["sensitivity", "specificity", "ppv", "npv", "ppv_adjusted",
                              "npv_adjusted", "accuracy_adjusted"])
            & (t.rater == s["models"][0]) & ~t.matched_to.str.contains("of reader")]
    if len(ops):
        for matched, block in ops.groupby("matched_to", sort=False):
            w = block.assign(c=[cell(e, lo, hi) for e, lo, hi in
                                zip(block.estimate, block.ci_low, block.ci_high)])
            tab = w.pivot(index="finding", columns="statistic", values="c")
            tab = tab.reindex(index=pd.unique(block.finding),
                              columns=pd.unique(block.statistic))
            thr = block.groupby("finding", sort=False)["threshold"].first()
            tab.insert(0, "threshold", [f"{x:.4g}" for x in thr.reindex(tab.index)])
            tab.index.name = None
            tab.columns.name = None
            how = "; ".join(f"{', '.join(pd.unique(g.statistic))}: {m}"
                            for m, g in block.groupby("method", sort=False))
            lines += [f"Operating point: {matched} ({how})", tab.to_string(), ""]
    d = t[t.statistic.isin(["sensitivity_difference", "specificity_difference"])]
    if len(d):
        readers = t[(t.matched_to == "") & t.statistic.isin(["sensitivity", "specificity"])
                    & (t.rater != s["models"][0])]
        rd = readers.pivot_table(index=["finding", "rater"], columns="statistic",
                                 values="estimate", sort=False)
        out = []
        for (finding, rater, stat), row in d.set_index(["finding", "rater", "statistic"]).iterrows():
            reader = rater.split(" - ", 1)[1]
            out.append({"finding": finding, "reader": reader,
                        "reader sens/spec": f"{num(rd.loc[(finding, reader), 'sensitivity'])}"
                                            f"/{num(rd.loc[(finding, reader), 'specificity'])}",
                        "model - reader": f"{stat.split('_')[0][:4]} "
                                          + cell(row.estimate, row.ci_low, row.ci_high),
                        "p (Holm)": f"{row.p_value:.3g} ({row.p_adjusted:.3g})"})
        tab = pd.DataFrame(out).set_index(["finding", "reader"])
        tab["model - reader"] = tab["model - reader"]
        tab = (tab.groupby(level=[0, 1], sort=False)
               .agg({"reader sens/spec": "first", "model - reader": " | ".join,
                     "p (Holm)": " | ".join}))
        margin = s.get("margin", 0.0)
        lines += [("Model minus reader at matched specificity (sens) and sensitivity (spec); "
                   f"one-sided p of difference <= {-margin if margin else 0:g}"),
                  tab.to_string(), ""]
        mean = t[t.rater == "mean reader"]
        if len(mean):
            m = mean.pivot(index="finding", columns="statistic", values="estimate")
            lines += ["mean reader sensitivity/specificity: "
                      + "; ".join(f"{f} {num(r.sensitivity)}/{num(r.specificity)}"
                                  for f, r in m.reindex(pd.unique(mean.finding)).iterrows()),
                      ""]
    lines += [f"note: {n}" for n in notes]
    if np.isnan(auc.estimate).any():
        lines.append("note: " + "; ".join(f"{f}: {w}" for f, w in zip(auc.finding, auc.note)
                                          if w))
    return "\n".join(lines)
