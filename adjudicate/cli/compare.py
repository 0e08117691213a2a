"""``adjudicate compare``: any rater (a label file, the NLP labels) against any reference."""

from __future__ import annotations

from pathlib import Path

from ..vote import BINARY_HEDGE_POLICIES, TIE_POLICIES
from ._common import (
    DATASET_CHOICES,
    bootstrap_options,
    emit_comparison,
    format_option,
    input_options,
    load_labels,
    load_ratings,
    parser_notes,
    split_ids,
)


def policy_options(p) -> None:
    """``--hedge``, ``--ties`` and ``--cluster``: the vocabulary of every comparison."""
    p.add_argument("--hedge", choices=BINARY_HEDGE_POLICIES, default="negative",
                   help="what a HEDGE read counts as (default: negative)")
    p.add_argument("--ties", choices=TIE_POLICIES,
                   default="random",
                   help="ties of majority votes: a seeded coin flip (default, the seed is "
                        "reported), NO, YES, or no label")
    p.add_argument("--cluster", default=None, metavar="patient|unit|COLUMN",
                   help="what to resample: the patients the data carry (default), 'unit', or "
                        "a per-unit metadata column")


def comparison_options(p, *, findings: str = "all") -> None:
    """``--readers --findings``, the policies, the bootstrap options and ``--format``."""
    p.add_argument("--readers", metavar="IDS",
                   help="comma-separated reader ids of the panel (default: all readers)")
    p.add_argument("--findings", metavar="NAMES",
                   help=f"comma-separated findings (default: {findings})")
    policy_options(p)
    bootstrap_options(p, default_b=2000)
    format_option(p)


def register(sub) -> None:
    c = sub.add_parser("compare", help="a rater's labels (a labels file, or 'nlp') against a "
                                       "reference, beside the readers")
    c.add_argument("rater", metavar="RATER_FILE|nlp",
                   help="a labels CSV (one row per unit, one column per finding, e.g. written "
                        "by 'adjudicate reproduce --out'), or 'nlp' for the NIH NLP labels")
    c.add_argument("source", nargs="?", default="all-findings", metavar="DATASET|FILE",
                   help="the reader panel: all-findings (default), four-findings, or an "
                        "individual-readers CSV")
    c.add_argument("--reference", default="published", metavar="published|majority|FILE",
                   help="the bundled published labels (default), the majority vote of the "
                        "readers, or a labels CSV")
    comparison_options(c, findings="those of the rater file")
    input_options(c, readers=False, findings=False)
    c.set_defaults(run=run)


def run(args) -> int:
    import warnings

    from ..compare import UndefinedStatisticWarning, compare_raters
    from ..datasets import load_dataset
    from ..reproduce import GROUND_TRUTH_READERS
    from ..vote import majority_vote

    if not args.bootstrap or args.bootstrap < 1:
        raise ValueError("--bootstrap must be a positive number of replicates")
    from ..resample import _fresh_seed

    args.seed = _fresh_seed(args.seed)  # one seed for the vote and the bootstrap, reported
    findings = split_ids(args.findings, "--findings")
    bundled = args.source in DATASET_CHOICES
    if args.rater == "nlp":
        if not bundled:
            raise ValueError("'nlp' needs a bundled dataset (all-findings or four-findings) "
                             "as DATASET")
        if args.reference not in ("published", "majority"):
            raise ValueError("with 'nlp' the reference is 'published' or 'majority'")
        from .compare_nlp import run as run_nlp

        args.dataset, args.mapping = args.source, None
        return run_nlp(args)
    rater = rater_file = load_labels(args.rater)  # NIH labels, or any long/wide file
    if findings is not None:
        rater = rater.select(findings=findings)
    panel = load_ratings(args.source, args)  # with the subsets (--readers, --where, ...)
    outside = None
    reference_file = None
    if args.reference == "published":
        if not bundled:
            raise ValueError("--reference published needs a bundled dataset as DATASET; give "
                             "a labels FILE or 'majority' for your own readers")
        ds = load_dataset(args.source)
        reference, name = ds.labels, "published"
        reference_file = ds
        if ds.name == "all_findings":  # the ground-truth readers are part of it
            outside = [r for r in panel.readers if r not in GROUND_TRUTH_READERS]
    elif args.reference == "majority":
        vote = majority_vote(panel, hedge=args.hedge, ties=args.ties, seed=args.seed)
        reference, name = vote.to_ratings("majority"), "majority"
    else:
        reference = reference_file = load_labels(args.reference)
        name = Path(args.reference).stem
    with warnings.catch_warnings():  # the notes of the table say what is undefined
        warnings.simplefilter("ignore", UndefinedStatisticWarning)
        result = compare_raters(rater, reference, readers=panel, readers_vs_reference=outside,
                                reference_name=name, hedge=args.hedge, ties=args.ties,
                                n_resamples=args.bootstrap, seed=args.seed,
                                confidence_level=args.level, method=args.method,
                                clusters=args.cluster)
    emit_comparison(result, args.format, parser_notes(rater_file, panel, reference_file))
    return 0
