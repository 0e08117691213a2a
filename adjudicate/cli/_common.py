"""What several commands share: dataset names, bootstrap options, loading, output."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DATASET_CHOICES = ("all-findings", "four-findings")


def bootstrap_options(p: argparse.ArgumentParser, *, default_b: int | None) -> None:
    """``--bootstrap B --seed S --level L --method M``, the same for every command."""
    p.add_argument("--bootstrap", type=int, default=default_b, metavar="B",
                   help="bootstrap replicates" + (f" (default {default_b})" if default_b
                                                  else " (default: no bootstrap)"))
    p.add_argument("--seed", type=int, default=None,
                   help="random seed (default: fresh; the output reports the seed used)")
    p.add_argument("--level", type=float, default=0.95, help="confidence level (default 0.95)")
    p.add_argument("--method", choices=("bca", "percentile"), default=None,
                   help="bootstrap interval method (default: bca; for comparisons, Wilson "
                        "for proportions with few events and bca otherwise)")


def fail(msg: str) -> int:
    """Print one error line on stderr; the exit status of a user error."""
    print(f"adjudicate: error: {msg}", file=sys.stderr)
    return 2


def emit(text: str, out: str | None = None) -> None:
    """Write ``text`` to the file ``out``, or to stdout (with a final newline)."""
    if out:
        Path(out).write_text(text, encoding="utf-8", newline="")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def split_ids(text: str | None) -> list[str] | None:
    """``"a, b,c"`` -> ``["a", "b", "c"]``; None stays None."""
    if text is None:
        return None
    ids = [t.strip() for t in text.split(",") if t.strip()]
    if not ids:
        raise ValueError("an empty list was given")
    return ids


def load_ratings(source: str):
    """A bundled dataset name or an individual-readers file, as :class:`Ratings`."""
    from ..datasets import load_dataset
    from ..io import read_readers

    if source in DATASET_CHOICES:
        return load_dataset(source).ratings
    return read_readers(source)


def num(x: float) -> str:
    """0.599 -> '.599', -0.01 -> '-.010': compact cells for wide terminal tables."""
    from ..results import format_cell

    return format_cell(x)


def cell(est, lo, hi) -> str:
    """``estimate [low, high]`` for a terminal table (:func:`adjudicate.results.format_cell`)."""
    from ..results import format_cell

    return format_cell(est, lo, hi)
