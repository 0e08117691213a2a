"""Moved: the 2x2 statistics of a rater against a reference live in :mod:`adjudicate.compare`.

This module only re-exports them so that ``from adjudicate.accuracy import ...`` keeps
working while other code moves to ``adjudicate.compare``.
"""

from .compare import (
    CELLS,
    STATISTICS,
    UndefinedStatisticWarning,
    accuracy_statistics,
    accuracy_table,
    bootstrap_p_value,
    confusion_cells,
    leave_one_out_reference,
    paired_accuracy_difference,
)

__all__ = [
    "CELLS",
    "STATISTICS",
    "UndefinedStatisticWarning",
    "accuracy_statistics",
    "accuracy_table",
    "bootstrap_p_value",
    "confusion_cells",
    "leave_one_out_reference",
    "paired_accuracy_difference",
]
