"""``adjudicate audit``: data-quality report of individual-readers files."""

from __future__ import annotations

import json

from ._common import emit


def register(sub) -> None:
    a = sub.add_parser("audit", help="data-quality report of individual-readers files")
    a.add_argument("files", nargs="*", metavar="FILE",
                   help="individual-readers CSV files (default: each bundled one)")
    a.add_argument("--format", choices=("text", "json"), default="text")
    a.set_defaults(run=run)


def run(args) -> int:
    from ..audit import audit
    from ..datasets import dataset_path

    files = args.files or [dataset_path(n, "readers") for n in ("all_findings", "four_findings")]
    reports = [audit(f) for f in files]
    if args.format == "json":
        emit(json.dumps([r.to_dict() for r in reports], indent=2))
    else:
        emit("\n\n".join(r.to_text() for r in reports))
    return 0
