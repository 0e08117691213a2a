"""``adjudicate sensitivity``: a rater's accuracy under every reference definition."""

from __future__ import annotations

from ._common import DATASET_CHOICES, cell, emit


def register(sub) -> None:
    p = sub.add_parser(
        "sensitivity",
        help="how a rater's accuracy depends on the reference standard (published, votes "
             "with HEDGE/tie policies, unanimous, Dawid-Skene hard and soft)")
    p.add_argument("source", nargs="?", default="four-findings",
                   help=f"{' | '.join(DATASET_CHOICES)} | an individual-readers FILE "
                        "(default four-findings)")
    p.add_argument("--rater", default="nlp",
                   help="'nlp' (NIH NLP labels; bundled data only) or a READER_ID, who is "
                        "then left out of every reference (default nlp)")
    p.add_argument("--scores", metavar="FILE", default=None,
                   help="a model's scores per image and finding: adds the expected AUC "
                        "against every definition")
    p.add_argument("--definitions", default=None,
                   help="comma-separated definition names (default: all that apply)")
    p.add_argument("--statistics", default="sensitivity,specificity,kappa",
                   help="comma-separated 2x2 statistics (default sensitivity,specificity,kappa)")
    p.add_argument("--agreement", action="store_true",
                   help="instead: kappa of every definition with the published labels")
    p.add_argument("--bootstrap", type=int, default=200, metavar="B",
                   help="bootstrap replicates, Dawid-Skene refit on each (default 200; 0 = "
                        "no intervals)")
    p.add_argument("--seed", type=int, default=None,
                   help="random seed (default: fresh; the output reports the seed used)")
    p.add_argument("--level", type=float, default=0.95, help="confidence level (default 0.95)")
    p.add_argument("--cluster", choices=("patient", "unit"), default="patient",
                   help="resample patients (default) or images")
    p.add_argument("--figure", metavar="PNG", default=None,
                   help="also write a forest plot of the first statistic")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(run=run)


def _source(name: str):
    if name in DATASET_CHOICES:
        return name.replace("-", "_")
    from ._common import load_ratings

    return load_ratings(name)


def _scores(path):
    if path is None:
        return None
    try:
        from ..io.scores import read_scores
    except ImportError:
        raise ValueError("--scores needs the model-score parser (adjudicate.io.scores), which "
                         "this version does not have") from None
    return read_scores(path)


def run(args) -> int:
    from ..reference import reference_agreement, sensitivity_analysis
    from ._common import split_ids

    if args.bootstrap < 0:
        raise ValueError("--bootstrap must be 0 or a positive number of replicates")
    data = _source(args.source)
    definitions = split_ids(args.definitions)
    clusters = None if args.cluster == "patient" else "unit"
    if args.agreement:
        if not isinstance(data, str):
            raise ValueError("--agreement needs a bundled dataset (published labels)")
        result = reference_agreement(data, definitions=definitions,
                                     n_resamples=args.bootstrap, seed=args.seed,
                                     confidence_level=args.level, clusters=clusters)
        stats = ["kappa", "percent_agreement"]
    else:
        stats = split_ids(args.statistics)
        result = sensitivity_analysis(data, rater=args.rater, definitions=definitions,
                                      statistics=stats, scores=_scores(args.scores),
                                      n_resamples=args.bootstrap, seed=args.seed,
                                      confidence_level=args.level, clusters=clusters)
    if args.figure:
        from ..report import reference_forest_plot

        reference_forest_plot(result, statistic=stats[0]).savefig(args.figure, dpi=130)
    if args.format == "csv":
        emit(result.table.to_csv(index=False))
    elif args.format == "json":
        emit(result.to_json())
    else:
        emit(format_table(result, args))
    return 0


def format_table(result, args) -> str:
    """Terminal layout: per statistic, definitions x findings cells, then unlabelled shares."""
    t = result.table
    s = result.settings
    who = "published labels" if args.agreement else s.get("rater")
    lines = [f"Reference sensitivity: {who} on {args.source}",
             f"cells: estimate [{s['confidence_level']:.0%} CI]; "
             + (f"percentile bootstrap, {s['n_resamples']} resamples of {s['clusters']} "
                f"(Dawid-Skene refit per replicate), seed {s['seed']}" if s["n_resamples"]
                else "no intervals") + "; NaN = undefined"]
    refs = list(dict.fromkeys(t["reference"]))
    findings = list(dict.fromkeys(t["finding"]))
    for stat in dict.fromkeys(t["statistic"]):
        part = t[t["statistic"] == stat]
        wide = (part.assign(c=[cell(e, lo, hi) for e, lo, hi in
                               zip(part["estimate"], part["ci_low"], part["ci_high"])])
                .pivot(index="reference", columns="finding", values="c")
                .reindex(index=refs, columns=findings))
        wide.columns.name = wide.index.name = None
        if len(findings) > len(refs):  # many findings: one row each
            wide = wide.T
        lines += ["", f"{stat}:", wide.fillna("").to_string()]
    share = (t.drop_duplicates(["reference", "finding"])
             .pivot(index="reference", columns="finding", values="unlabelled_share")
             .reindex(index=refs, columns=findings))
    share.columns.name = share.index.name = None
    if len(findings) > len(refs):
        share = share.T
    lines += ["", "share of images without a reference label:",
              share.to_string(float_format=lambda x: f"{x:.1%}", na_rep="")]
    lines += [f"note: {n}" for n in result.notes]
    return "\n".join(lines)
