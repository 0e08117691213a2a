"""The result of a function over many findings: a tidy table plus how it was made.

Functions that return one number return a scipy-style result (``statistic``,
``confidence_interval()``); functions over many findings, raters or statistics return a
:class:`TableResult`: the tidy rows, the exact settings that produced them (the seed used,
drawn when none was given; the confidence level; what was resampled), the notes of the parser
and of the statistics, and the bootstrap distributions, kept here rather than in
``DataFrame.attrs`` (which pandas copies on every operation).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["TIDY_COLUMNS", "TableResult"]

TIDY_COLUMNS = ("finding", "statistic", "estimate", "ci_low", "ci_high", "n_units", "method")
"""Columns every tidy table has (others, e.g. ``rater``, ``reference``, ``standard_error``,
``p_value``, ``seed``, may follow)."""


def _plain(value):
    """numpy scalars and arrays -> JSON-able Python values (NaN -> None)."""
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


@dataclass(frozen=True, eq=False)
class TableResult:
    """A tidy table of results and everything needed to reproduce it.

    Attributes
    ----------
    table : DataFrame
        One row per (finding, statistic[, rater, reference]) with at least the columns of
        :data:`TIDY_COLUMNS`.
    settings : dict
        The exact settings used: ``seed`` (the one drawn when none was given),
        ``confidence_level``, ``clusters`` (what was resampled), ``n_resamples``, ``method``,
        HEDGE and tie policies, ...
    notes : tuple of str
        What the parser and the statistics did that a reader of the table should know.
    bootstrap : object, optional
        The bootstrap result(s) behind the intervals (distributions kept for inspection).

    Examples
    --------
    >>> t = pd.DataFrame({"finding": ["Mass"], "statistic": ["fleiss_kappa"],
    ...                   "estimate": [0.61], "ci_low": [0.5], "ci_high": [0.7],
    ...                   "n_units": [40], "method": ["wald"]})
    >>> res = TableResult(t, settings={"seed": 7, "confidence_level": 0.95})
    >>> res.to_dict()["settings"]["seed"], len(res)
    (7, 1)
    """

    table: pd.DataFrame
    settings: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    bootstrap: Any = field(default=None, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "notes", tuple(self.notes))

    def __len__(self) -> int:
        return len(self.table)

    @property
    def seed(self):
        """The seed the resamples were drawn from (None when nothing was random)."""
        return self.settings.get("seed")

    def to_frame(self) -> pd.DataFrame:
        """A copy of the tidy table."""
        return self.table.copy()

    def to_dict(self) -> dict:
        """Settings, notes and rows as JSON-able Python values (full double precision)."""
        rows = json.loads(self.table.to_json(orient="records", double_precision=15))
        return {"settings": _plain(dict(self.settings)), "notes": list(self.notes),
                "rows": rows}

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as a JSON string."""
        return json.dumps(self.to_dict(), indent=indent)

    def __repr__(self) -> str:
        head = ", ".join(f"{k}={v!r}" for k, v in self.settings.items())
        body = self.table.to_string(max_rows=20)
        notes = "".join(f"\nnote: {n}" for n in self.notes)
        return f"TableResult({head})\n{body}{notes}"

    def _repr_html_(self) -> str:
        return self.table.to_html(max_rows=60)
