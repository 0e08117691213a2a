"""``adjudicate compare-nlp``: NIH NLP labels and readers against a reference standard."""

from __future__ import annotations

from ._common import DATASET_CHOICES, emit_comparison, parser_notes, split_ids
from .compare import comparison_options


def register(sub) -> None:
    n = sub.add_parser("compare-nlp", help="NIH NLP labels and readers against a reference "
                                           "standard, with bootstrap CIs")
    n.add_argument("dataset", nargs="?", choices=DATASET_CHOICES, default="all-findings")
    n.add_argument("--reference", choices=("published", "majority"), default="published",
                   help="published labels (default) or a fresh majority vote")
    n.add_argument("--mapping", metavar="FILE",
                   help="JSON file overriding the NIH-to-dataset mapping (see "
                        "data_schemas/mappings/nlp_mapping.json)")
    comparison_options(n)
    n.set_defaults(run=run)


def run(args) -> int:
    import warnings

    from ..compare import UndefinedStatisticWarning
    from ..nlp import compare_nlp

    if not args.bootstrap or args.bootstrap < 1:
        raise ValueError("--bootstrap must be a positive number of replicates")
    with warnings.catch_warnings():  # the notes of the table say what is undefined
        warnings.simplefilter("ignore", UndefinedStatisticWarning)
        result = compare_nlp(args.dataset.replace("-", "_"), reference=args.reference,
                             readers=split_ids(args.readers, "--readers"),
                             findings=split_ids(args.findings, "--findings"),
                             mapping=args.mapping, hedge=args.hedge, ties=args.ties,
                             n_resamples=args.bootstrap, seed=args.seed,
                             confidence_level=args.level, method=args.method,
                             clusters=args.cluster)
    from ..datasets import load_dataset

    emit_comparison(result, args.format, parser_notes(load_dataset(args.dataset)))
    return 0
