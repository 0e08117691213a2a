"""``adjudicate audit``: data-quality report of reader files (NIH or your own study)."""

from __future__ import annotations

import json

from ._common import (
    DATASET_CHOICES,
    PAPER_FORMATS,
    emit,
    format_option,
    input_options,
    load_ratings,
)


def register(sub) -> None:
    a = sub.add_parser("audit", help="data-quality report of reader files (NIH or your own)")
    a.add_argument("files", nargs="*", metavar="FILE|DATASET",
                   help="individual-readers files: NIH, or your own study in the long or wide "
                        "layout (CSV or Parquet), or a bundled dataset name (default: each "
                        "bundled readers file)")
    format_option(a, choices=("table", "text", "csv", "json", "markdown", "latex"))
    input_options(a)
    a.set_defaults(run=run)


def run(args) -> int:
    from ..audit import audit
    from ..datasets import dataset_path
    from ._common import _is_nih_readers

    files = args.files or [dataset_path(n, "readers") for n in ("all_findings", "four_findings")]
    generic = any(getattr(args, k) for k in (
        "unit_column", "reader_column", "finding_column", "label_column", "cluster_column",
        "categories", "positive", "layout", "split", "readers", "findings")) or args.where
    reports = []
    for f in files:
        f = str(f)
        if f in DATASET_CHOICES and not generic:
            f = str(dataset_path(f.replace("-", "_"), "readers"))
        if not generic and args.duplicates == "missing" and _is_nih_readers(f):
            reports.append(audit(f))  # the NIH file against its format and documentation
        else:
            reports.append(audit(load_ratings(f, args)))
    if args.format == "json":
        emit(json.dumps([r.to_dict() for r in reports], indent=2))
    elif args.format in PAPER_FORMATS or args.format == "csv":
        from ..report.tables import audit_frames, format_sections

        emit("\n".join(format_sections(audit_frames(r), args.format, title=f"Audit of {r.file}")
                       for r in reports))
    else:
        emit("\n\n".join(r.to_text() for r in reports))
    return 0
