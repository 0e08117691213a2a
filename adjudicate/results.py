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

__all__ = ["TIDY_COLUMNS", "TableResult", "format_cell", "wide_view"]

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

    def wide(self, index="finding", columns="statistic", **options) -> pd.DataFrame:
        """The ``estimate [low, high]`` view: one row per ``index``, one column per ``columns``.

        See :func:`wide_view` (options ``digits``, ``signed``, ``mark``).

        Examples
        --------
        >>> t = pd.DataFrame({"finding": ["Mass", "Mass"], "statistic": ["kappa", "ac1"],
        ...                   "estimate": [0.61, 0.7], "ci_low": [0.5, 0.6],
        ...                   "ci_high": [0.72, 0.8], "n_units": [40, 40],
        ...                   "method": ["wald", "wald"]})
        >>> TableResult(t).wide()
                          kappa                ac1
        Mass  .610 [.500, .720]  .700 [.600, .800]
        """
        return wide_view(self.table, index=index, columns=columns, **options)


def _number(x: float, digits: int, signed: bool) -> str:
    text = f"{x:+.{digits}f}" if signed else f"{x:.{digits}f}"
    return text.replace("0.", ".", 1)


def format_cell(estimate, low=np.nan, high=np.nan, *, digits: int = 3, signed: bool = False,
                mark: str = "") -> str:
    """``estimate [low, high]`` with leading zeros dropped; ``NaN`` when undefined.

    The one renderer of a table cell, for the terminal tables of every command.

    Examples
    --------
    >>> format_cell(0.5991, 0.51, 0.68)
    '.599 [.510, .680]'
    >>> format_cell(-0.05, -0.1, 0.01, digits=2, signed=True, mark="*")
    '-.05 [-.10, +.01]*'
    >>> format_cell(float("nan")), format_cell(0.25)
    ('NaN', '.250')
    """
    if pd.isna(estimate):
        return "NaN"
    text = _number(estimate, digits, signed)
    if not (pd.isna(low) or pd.isna(high)):
        text += f" [{_number(low, digits, signed)}, {_number(high, digits, signed)}]"
    return text + mark


def wide_view(table: pd.DataFrame, index="finding", columns="statistic", *, digits: int = 3,
              signed: bool = False, mark: str | None = None, cell=None) -> pd.DataFrame:
    """A tidy table as ``estimate [low, high]`` strings: rows ``index``, columns ``columns``.

    Parameters
    ----------
    table : DataFrame
        Tidy rows with ``estimate``, ``ci_low``, ``ci_high`` and the ``index`` and
        ``columns`` columns (one row per combination).
    index : str or list of str
    columns : str
    digits : int, default 3
    signed : bool
        Show the sign (for differences).
    mark : str, optional
        A boolean column (e.g. ``reject``) whose true rows get a ``*``.
    cell : callable, optional
        The cell renderer, called like :func:`format_cell` (default); e.g.
        :func:`adjudicate.report.tables.estimate_cell` for a paper's ``0.61 (0.50-0.72)``.

    Returns
    -------
    DataFrame
        Rows and columns in order of first appearance; ``NaN`` cells are undefined estimates.
    """
    index = [index] if isinstance(index, str) else list(index)
    marks = table[mark].fillna(False).astype(bool) if mark else pd.Series(False, table.index)
    cell = cell or format_cell
    cells = [cell(e, lo, hi, digits=digits, signed=signed, mark="*" if m else "")
             for e, lo, hi, m in zip(table["estimate"], table["ci_low"], table["ci_high"],
                                     marks)]
    frame = table[index + [columns]].assign(_cell=cells)
    wide = frame.pivot_table(index=index, columns=columns, values="_cell", aggfunc="first",
                             sort=False)
    wide = wide.reindex(columns=pd.unique(table[columns]))
    keys = table[index].drop_duplicates()
    wide = wide.reindex(pd.MultiIndex.from_frame(keys) if len(index) > 1
                        else pd.Index(keys[index[0]]))
    wide.columns.name = None
    wide.index.name = None if len(index) == 1 else wide.index.name
    return wide
