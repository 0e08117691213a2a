"""Tables for a paper: any tidy result as a wide "estimate (low-high)" table.

:func:`wide_table` turns the tidy rows of any result (one row per finding, statistic, rater,
reference) into one row per finding (or rater, ...) and one column per statistic (or rater),
each cell ``estimate (low-high)`` rounded to a chosen number of digits; :func:`format_table`
renders it, or any plain DataFrame, as Markdown (needs ``tabulate``), LaTeX (needs ``jinja2``),
HTML or CSV. The numbers are the result's, rounded; nothing is recomputed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from ..results import wide_view

__all__ = ["FORMATS", "audit_frames", "estimate_cell", "format_frame", "format_sections",
           "format_table", "wide_table"]

FORMATS = ("markdown", "latex", "html", "csv")
"""Formats :func:`format_table` renders."""

_SERIES = ("statistic", "rater", "reference")


def _frame(result) -> pd.DataFrame:
    """The tidy rows of a result: ``.table`` of a TableResult/comparison, or the frame itself."""
    table = getattr(result, "table", result)
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"expected a tidy DataFrame or a result with .table, got "
                        f"{type(result).__name__}")
    return table


def estimate_cell(estimate, low=np.nan, high=np.nan, *, digits: int = 2, signed: bool = False,
                  mark: str = "") -> str:
    """``estimate (low-high)``, rounded; ``to`` between negative bounds; ``-`` when undefined.

    The paper's cell (the terminal's is :func:`adjudicate.results.format_cell`).

    Examples
    --------
    >>> estimate_cell(0.6234, 0.55, 0.701)
    '0.62 (0.55-0.70)'
    >>> estimate_cell(-0.05, -0.21, 0.1, digits=3)
    '-0.050 (-0.210 to 0.100)'
    >>> estimate_cell(0.5), estimate_cell(float("nan")), estimate_cell(0.1, signed=True, mark="*")
    ('0.50', '-', '+0.10*')
    """
    if pd.isna(estimate):
        return "-"
    sign = "+" if signed else ""
    text = f"{estimate:{sign}.{digits}f}"
    if not (pd.isna(low) or pd.isna(high)):
        sep = " to " if min(low, high) < 0 else "-"
        text += f" ({low:{sign}.{digits}f}{sep}{high:{sign}.{digits}f})"
    return text + mark


def wide_table(result, *, index: str | Sequence[str] = "finding",
               columns: str | Sequence[str] | None = None, digits: int = 2,
               statistic: str | Sequence[str] | None = None, n_units: bool = False
               ) -> pd.DataFrame:
    """One row per finding (or ``index``), one column per statistic (or ``columns``).

    Parameters
    ----------
    result : TableResult, NLPComparison or DataFrame
        Tidy rows with ``finding, estimate, ci_low, ci_high`` and the columns named in
        ``index`` and ``columns``.
    index : str or sequence of str, default "finding"
        Row keys.
    columns : str or sequence of str, optional
        Column keys (their values joined by " / " when several). Default: every one of
        ``statistic, rater, reference`` that is not in ``index`` and takes more than one
        value (``statistic`` alone when none varies).
    digits : int, default 2
        Decimals of estimates and bounds.
    statistic : str or sequence of str, optional
        Keep only these statistics.
    n_units : bool, default False
        Add an ``n`` column: the units behind each row (the largest ``n_units`` of the row).

    Returns
    -------
    DataFrame
        Strings ``estimate (low-high)``, ``-`` where undefined or absent, rows and columns in
        the order they first appear in the result.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"finding": ["Mass", "Mass", "Nodule", "Nodule"],
    ...                   "statistic": ["fleiss_kappa", "gwet_ac1"] * 2,
    ...                   "estimate": [.6, .81, .4, .7], "ci_low": [.5, .7, .3, .6],
    ...                   "ci_high": [.7, .9, .5, .8], "n_units": [50, 50, 48, 48]})
    >>> wide_table(t, n_units=True).reset_index()
      finding   n      fleiss_kappa          gwet_ac1
    0    Mass  50  0.60 (0.50-0.70)  0.81 (0.70-0.90)
    1  Nodule  48  0.40 (0.30-0.50)  0.70 (0.60-0.80)
    """
    table = _frame(result)
    if statistic is not None:
        keep = [statistic] if isinstance(statistic, str) else list(statistic)
        table = table[table["statistic"].isin(keep)]
    index = [index] if isinstance(index, str) else list(index)
    if columns is None:
        columns = [c for c in _SERIES if c in table.columns and c not in index
                   and table[c].nunique(dropna=False) > 1] or (
            ["statistic"] if "statistic" in table.columns and "statistic" not in index else [])
    columns = [columns] if isinstance(columns, str) else list(columns)
    missing = [c for c in index + columns + ["estimate"] if c not in table.columns]
    if missing:
        raise KeyError(f"columns {missing} are not in the result; it has {list(table.columns)}")
    key = (table[columns].astype(str).agg(" / ".join, axis=1) if columns
           else pd.Series("estimate", index=table.index))
    long = table.assign(_col=key.to_numpy())
    for bound in ("ci_low", "ci_high"):
        if bound not in long:
            long[bound] = np.nan
    wide = wide_view(long, index=index if len(index) > 1 else index[0], columns="_col",
                     digits=digits, cell=estimate_cell).fillna("-")
    if len(index) == 1:
        wide.index.name = index[0]
    if n_units and "n_units" in table:
        n = table.groupby(index, sort=False)["n_units"].max()
        wide.insert(0, "n", n.reindex(wide.index).to_numpy())
    return wide


def format_frame(frame: pd.DataFrame, format: Literal["markdown", "latex", "html", "csv"]
                 = "markdown", *, index: bool = True, caption: str | None = None) -> str:
    """Render a DataFrame as Markdown, LaTeX (booktabs), HTML or CSV.

    Examples
    --------
    >>> import pandas as pd
    >>> print(format_frame(pd.DataFrame({"a_b": [1]}), "markdown", index=False))
    |   a_b |
    |------:|
    |     1 |
    <BLANKLINE>
    >>> "a\\\\_b" in format_frame(pd.DataFrame({"a_b": [1]}), "latex")
    True
    """
    if index and any(n is not None for n in frame.index.names):
        frame, index = frame.reset_index(), False  # named keys as ordinary, headed columns
    if format == "markdown":
        return frame.to_markdown(index=index) + "\n"
    if format == "latex":
        return frame.to_latex(index=index, escape=True, caption=caption,
                              column_format=None)
    if format == "html":
        return frame.to_html(index=index, na_rep="-", border=0, classes="adjudicate-table",
                             escape=True)
    if format == "csv":
        return frame.to_csv(index=index)
    raise ValueError(f"format must be one of {FORMATS}, got {format!r}")


def format_table(result, format: Literal["markdown", "latex", "html", "csv"] = "markdown", *,
                 caption: str | None = None, **wide) -> str:
    """A tidy result as a paper table: :func:`wide_table` rendered by :func:`format_frame`.

    Parameters
    ----------
    result : TableResult, NLPComparison or DataFrame
        Tidy rows (see :func:`wide_table`).
    format : {"markdown", "latex", "html", "csv"}
    caption : str, optional
        LaTeX caption.
    **wide
        Options of :func:`wide_table` (``index``, ``columns``, ``digits``, ``statistic``,
        ``n_units``).

    Returns
    -------
    str

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"finding": ["Mass"], "statistic": ["gwet_ac1"], "estimate": [.812],
    ...                   "ci_low": [.7], "ci_high": [.9]})
    >>> print(format_table(t, "markdown"))
    | finding   | gwet_ac1         |
    |:----------|:-----------------|
    | Mass      | 0.81 (0.70-0.90) |
    <BLANKLINE>
    """
    return format_frame(wide_table(result, **wide), format, caption=caption)


def audit_frames(report) -> dict[str, pd.DataFrame]:
    """The tables of an :func:`adjudicate.audit` report, by section title.

    Parameters
    ----------
    report : AuditReport

    Returns
    -------
    dict of str to DataFrame
        ``summary`` (item, value), ``reads per unit``, ``category counts``, ``against the
        documentation`` and, when there are any, ``duplicated (unit, reader) pairs`` and
        ``units off the design``.

    Examples
    --------
    >>> import adjudicate as adj
    >>> frames = audit_frames(adj.audit(adj.dataset_path("all_findings", "readers")))
    >>> list(frames)[:3]
    ['summary', 'reads per unit', 'category counts']
    >>> frames["summary"].set_index("item").loc["units", "value"]
    '810'
    """
    d = report.to_dict()
    summary = {"file": str(report.file), "format": report.format}
    for k, v in d["summary"].items():
        if isinstance(v, dict):
            summary.update({f"{k}: {kk}": vv for kk, vv in v.items()})
        else:
            summary[k] = v
    if d["design_reads_per_unit"]:
        summary["design: reads per unit"] = d["design_reads_per_unit"]
    summary.update({f"readers in set {k}": v for k, v in d["readers_per_set"].items()})
    for e in d["encodings"]:
        summary[f"encoding of {e['column']}"] = f"{e['values']} (others: {e['majority']})"
    for i, note in enumerate(d["parse_notes"]):
        summary[f"parser note {i + 1}"] = note
    frames = {
        "summary": pd.DataFrame({"item": list(summary), "value": [str(v) for v in
                                                                  summary.values()]}),
        "reads per unit": pd.DataFrame({"distinct readers": list(report.reads_per_unit),
                                        "units": list(report.reads_per_unit.values())}),
        "category counts": report.category_counts,
        "against the documentation": report.documentation,
    }
    if len(report.duplicates):
        frames["duplicated (unit, reader) pairs"] = report.duplicates
    if len(report.off_design_units):
        frames["units off the design"] = report.off_design_units
    return frames


def format_sections(sections: dict, format: Literal["markdown", "latex", "html", "csv"]
                    = "markdown", *, title: str | None = None) -> str:
    """Several titled DataFrames as one document (e.g. :func:`audit_frames`).

    Markdown: ``## title`` headings; LaTeX: one ``table`` environment each, the title as its
    caption; HTML: ``<h3>`` headings; CSV: one block per section after a ``# title`` line.

    Examples
    --------
    >>> import pandas as pd
    >>> print(format_sections({"counts": pd.DataFrame({"n": [3]})}, title="Audit"))
    # Audit
    <BLANKLINE>
    ## counts
    <BLANKLINE>
    |   n |
    |----:|
    |   3 |
    <BLANKLINE>
    """
    out = []
    if title:
        out.append({"markdown": f"# {title}\n", "html": f"<h2>{title}</h2>",
                    "latex": f"% {title}", "csv": f"# {title}"}.get(format, title))
    for name, frame in sections.items():
        if format == "markdown":
            out += [f"## {name}\n", format_frame(frame, format, index=False)]
        elif format == "latex":
            out.append(format_frame(frame, format, index=False, caption=name))
        elif format == "html":
            out += [f"<h3>{name}</h3>", format_frame(frame, format, index=False)]
        else:
            out += [f"# {name}", format_frame(frame, format, index=False)]
    return "\n".join(out)
