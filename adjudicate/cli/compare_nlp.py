"""``adjudicate compare-nlp``: NIH NLP labels and readers against a reference standard."""

from __future__ import annotations

from ._common import DATASET_CHOICES, bootstrap_options, emit


def register(sub) -> None:
    n = sub.add_parser("compare-nlp", help="NIH NLP labels and readers against a reference "
                                           "standard, with bootstrap CIs")
    n.add_argument("dataset", nargs="?", choices=DATASET_CHOICES, default="all-findings")
    n.add_argument("--reference", choices=("published", "majority"), default="published",
                   help="published labels (default) or a fresh majority vote")
    bootstrap_options(n, default_b=2000)
    n.add_argument("--format", choices=("table", "csv", "json"), default="table")
    n.set_defaults(run=run)


def run(args) -> int:
    import warnings

    from ..accuracy import UndefinedStatisticWarning
    from ..nlp import compare_nlp, format_comparison

    if not args.bootstrap or args.bootstrap < 1:
        raise ValueError("--bootstrap must be a positive number of replicates")
    with warnings.catch_warnings():  # the notes of the table say what is undefined
        warnings.simplefilter("ignore", UndefinedStatisticWarning)
        result = compare_nlp(args.dataset.replace("-", "_"), reference=args.reference,
                             n_resamples=args.bootstrap, seed=args.seed,
                             confidence_level=args.level, method=args.method)
    emit(format_comparison(result, args.format))
    return 0
