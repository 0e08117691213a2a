"""A forest plot of one statistic across reference definitions (matplotlib).

Small and self-contained: it draws from a tidy table (:func:`sensitivity_analysis` or
:func:`reference_agreement` output) and returns the Figure; the report package owns the
shared figure style.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["forest_plot"]


def forest_plot(table, *, statistic: str = "sensitivity", findings=None, title: str | None = None,
                reference_line: str | None = "published"):
    """Estimate and interval of one statistic under every reference definition, per finding.

    Parameters
    ----------
    table : TableResult or DataFrame
        Tidy rows with ``finding, reference, statistic, estimate, ci_low, ci_high`` (and
        optionally ``rater``, ``unlabelled_share``).
    statistic : str
        Which statistic to draw.
    findings : sequence of str, optional
        Panels, one per finding (default: those with a defined estimate).
    title : str, optional
    reference_line : str or None
        A definition whose estimate is drawn as a dashed vertical line in each panel.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> t = pd.DataFrame({"finding": "Mass", "reference": ["published", "majority"],
    ...                   "statistic": "sensitivity", "estimate": [0.6, 0.7],
    ...                   "ci_low": [0.5, 0.6], "ci_high": [0.7, 0.8]})
    >>> fig = forest_plot(t)
    >>> [ax.get_title() for ax in fig.axes]
    ['Mass']
    """
    from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global state

    t = table.table if hasattr(table, "table") else table
    t = t[t["statistic"] == statistic]
    if t.empty:
        raise ValueError(f"no rows with statistic {statistic!r}")
    if findings is None:
        findings = [f for f in pd.unique(t["finding"])
                    if t.loc[t["finding"] == f, "estimate"].notna().any()]
    refs = list(pd.unique(t["reference"]))
    n = len(findings)
    n_cols = min(n, 4)
    n_rows = -(-n // n_cols)
    fig = Figure(figsize=(3.3 * n_cols + 1.8, (0.3 * len(refs) + 1.0) * n_rows + 0.6),
                 layout="constrained")
    grid = fig.subplots(n_rows, n_cols, sharey=True, squeeze=False)
    axes = grid.ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    y = np.arange(len(refs))[::-1]
    for ax, finding in zip(axes, findings):
        part = t[t["finding"] == finding].set_index("reference").reindex(refs)
        est = part["estimate"].to_numpy(float)
        lo, hi = part["ci_low"].to_numpy(float), part["ci_high"].to_numpy(float)
        soft = np.array(["soft" in r for r in refs])
        err = np.vstack([est - lo, hi - est])
        ok = ~np.isnan(err).any(axis=0)
        ax.errorbar(est[ok], y[ok], xerr=err[:, ok], fmt="none", ecolor="0.4", lw=1.2,
                    capsize=2)
        ax.scatter(est[~soft], y[~soft], color="C0", zorder=3, s=22, label="label reference")
        ax.scatter(est[soft], y[soft], color="C3", marker="D", zorder=3, s=22,
                   label="soft (expected value)")
        if reference_line in refs:
            ref_value = est[refs.index(reference_line)]
            if not np.isnan(ref_value):
                ax.axvline(ref_value, color="0.5", ls="--", lw=0.8)
        if "unlabelled_share" in part:
            share = part["unlabelled_share"].to_numpy(float)
            for yi, s, e in zip(y, share, est):
                if s >= 0.005 and not np.isnan(e):  # in axes coordinates: at the right edge
                    ax.annotate(f"{s:.0%} unl.", (1.0, yi), xycoords=("axes fraction", "data"),
                                xytext=(-2, 0), textcoords="offset points", va="center",
                                ha="right", fontsize=7, color="0.35")
            lo_x, hi_x = ax.get_xlim()
            ax.set_xlim(lo_x, hi_x + 0.3 * (hi_x - lo_x))
        ax.set_title(str(finding))
        ax.set_xlabel(statistic.replace("_", " "))
        ax.grid(axis="x", color="0.9")
    for row in grid:
        row[0].set_yticks(y, refs)
        row[0].set_ylim(-0.7, len(refs) - 0.3)
    rater = t["rater"].iloc[0] if "rater" in t else None
    fig.suptitle(title or (f"{statistic.replace('_', ' ').capitalize()} of {rater} under each "
                           "reference definition (95% CI)" if rater else statistic))
    return fig
