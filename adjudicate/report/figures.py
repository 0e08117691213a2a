"""Figures of agreement, accuracy and model results, drawn from the package's tidy results.

Every function takes a result of the public API (a :class:`~adjudicate.results.TableResult`
or the tidy DataFrame inside it, :func:`adjudicate.pairwise_kappa`'s table, a
:func:`adjudicate.compare_nlp` comparison), draws it with matplotlib's object API (no pyplot
state, so any backend works and nothing is left open) and returns the
:class:`matplotlib.figure.Figure`. Sizes and fonts are for a printed page: 7 in wide (a
two-column paper's full width), 8 pt text.

Tidy input, whatever produced it: one row per (finding, statistic[, rater, reference]) with
``estimate``, ``ci_low``, ``ci_high`` (see :data:`adjudicate.results.TIDY_COLUMNS`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .tables import _frame

__all__ = ["PAGE_WIDTH", "forest_plot", "kappa_heatmap", "prevalence_plot",
           "reference_forest_plot", "roc_plot"]

MEAN_READER = "mean reader"
"""A reader point with this ``rater`` name is drawn apart (filled diamond), not as a reader."""

PAGE_WIDTH = 7.0
"""Width of every figure, in inches (full width of a two-column page)."""

_STYLE = {
    "font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "xtick.labelsize": 7,
    "ytick.labelsize": 7, "legend.fontsize": 7, "axes.spines.top": False,
    "axes.spines.right": False, "savefig.dpi": 200, "figure.dpi": 100,
}
_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
           "#F0E442")  # Okabe-Ito: distinguishable with colour-vision deficiency
_MARKERS = ("o", "s", "D", "^", "v", "P", "X", "<", ">")


def _figure(width: float, height: float) -> Figure:
    import matplotlib as mpl

    with mpl.rc_context(_STYLE):
        return Figure(figsize=(width, height), layout="constrained")


def _axes(ax, width: float, height: float):
    """(figure, axes): a new figure of this size, or the figure of the axes given."""
    if ax is not None:
        return ax.figure, ax
    fig = _figure(width, height)
    return fig, fig.add_subplot()


def _styled(fn):
    """Run a drawing function with the package's paper style."""
    import functools

    import matplotlib as mpl

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with mpl.rc_context(_STYLE):
            return fn(*args, **kwargs)
    return wrapper


def _short_labels(ids: Sequence) -> list[str]:
    """Readable tick labels: the shortest unique suffix (2-4 characters) of long ids.

    >>> _short_labels(["4343880271", "4343882583"])
    ['..71', '..83']
    >>> _short_labels(["r1", "r2"])
    ['r1', 'r2']
    """
    ids = [str(i) for i in ids]
    if max(map(len, ids), default=0) <= 5:
        return ids
    for k in (2, 3, 4):
        tails = [i[-k:] for i in ids]
        if len(set(tails)) == len(ids):
            return [".." + t for t in tails]
    return [f"R{i + 1}" for i in range(len(ids))]


def _ordered(values: pd.Series, order: Sequence | None = None) -> list:
    """Unique values in first-seen order (or in ``order``, where given)."""
    seen = list(pd.unique(values))
    if order is None:
        return seen
    missing = [o for o in order if o not in seen]
    if missing:
        raise KeyError(f"not in the data: {missing}; available: {seen}")
    return list(order)


# --------------------------------------------------------------------------- kappa heatmap
_BAR_ROOM = 0.95
"""Inches right of the panels: the colour bar (0.1), its ticks and tick labels, its label."""

@_styled
def kappa_heatmap(pairs, *, findings: Sequence[str] | None = None, ncols: int | None = None,
                  annotate: bool | None = None, reader_labels: dict | None = None) -> Figure:
    """Reader x reader Cohen's kappa of every finding, with the number of shared images.

    One panel per finding. Below the diagonal: each pair's kappa (colour, and the value when
    ``annotate``); above it: the number of units both readers read (the kappa's sample size).
    Pairs that read no unit in common are blank.

    Parameters
    ----------
    pairs : DataFrame or TableResult
        The tidy pairwise table of :func:`adjudicate.pairwise_kappa` on a Ratings with several
        findings: columns ``finding, rater_1, rater_2, n_units`` and the kappa as ``kappa``
        or ``estimate``; or its square reader x reader matrix of one item (no shared-image
        counts then).
    findings : sequence of str, optional
        Findings to draw, in this order (default: all, in the table's order).
    ncols : int, optional
        Panels per row (default: up to 4; 2 when more than 8 readers).
    annotate : bool, optional
        Write the kappas and shared-image counts in the cells (default: when at most 8
        readers, where the numbers stay legible at 7 in wide).
    reader_labels : dict, optional
        Reader id -> tick label. Default: the shortest unique suffix of long ids ("..71").

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import adjudicate as adj
    >>> from adjudicate.report import kappa_heatmap
    >>> r = adj.Ratings.from_array([[["YES", "NO"], ["YES", "NO"], ["NO", "NO"]],
    ...                             [["NO", "YES"], ["NO", "YES"], ["NO", "YES"]],
    ...                             [["YES", "YES"], ["NO", "NO"], ["YES", "YES"]]],
    ...                            readers=["a", "b", "c"], findings=["Mass", "Nodule"])
    >>> fig = kappa_heatmap(adj.pairwise_kappa(r))
    >>> [ax.get_title() for ax in fig.axes[:2]]
    ['Mass', 'Nodule']
    """
    table = _frame(pairs)
    if table.index.equals(table.columns) and len(table):  # one finding: the square matrix
        i, j = np.triu_indices(len(table), 1)
        table = pd.DataFrame({"finding": "", "rater_1": table.index[i],
                              "rater_2": table.columns[j],
                              "kappa": table.to_numpy(dtype=float)[i, j]}).dropna()
    value = "kappa" if "kappa" in table.columns else "estimate"
    need = {"finding", "rater_1", "rater_2", value}
    if not need <= set(table.columns):
        raise ValueError(f"pairs needs columns {sorted(need)}; got {list(table.columns)}")
    findings = _ordered(table["finding"], findings)
    readers = list(pd.unique(pd.concat([table["rater_1"], table["rater_2"]])))
    index = {r: i for i, r in enumerate(readers)}
    n_r = len(readers)
    annotate = n_r <= 8 if annotate is None else annotate
    labels = [(reader_labels or {}).get(r, s) for r, s in zip(readers, _short_labels(readers))]
    ncols = ncols or min(4 if n_r <= 8 else 2, len(findings))
    nrows = -(-len(findings) // ncols)
    panel = (PAGE_WIDTH - 1.2) / ncols  # 1.2 in for the tick labels and the colour bar
    width, height = PAGE_WIDTH, panel * nrows + 0.5
    fig = _figure(width, height)
    fig.set_layout_engine("none")  # a fixed grid: constrained layout costs seconds here
    axes = fig.subplots(nrows, ncols, squeeze=False, gridspec_kw={
        "left": 0.4 / width, "right": 1 - _BAR_ROOM / width, "bottom": 0.3 / height,
        "top": 1 - 0.45 / height, "wspace": 0.3, "hspace": 0.5})
    vals = table[value].to_numpy(dtype=float)
    vmin = min(0.0, np.nanmin(vals)) if np.isfinite(vals).any() else 0.0
    image = None
    for ax, finding in zip(axes.ravel(), findings):
        block = table[table["finding"] == finding]
        i = block["rater_1"].map(index).to_numpy()
        j = block["rater_2"].map(index).to_numpy()
        lo, hi = np.maximum(i, j), np.minimum(i, j)
        kappa = np.full((n_r, n_r), np.nan)
        kappa[lo, hi] = block[value].to_numpy(dtype=float)  # below the diagonal
        image = ax.imshow(kappa, vmin=vmin, vmax=1.0, cmap="viridis")
        ax.set_title(finding)
        size = 7 if n_r <= 8 else 5.5
        ax.set_xticks(range(n_r), labels, rotation=90 if n_r > 5 else 0, fontsize=size)
        ax.set_yticks(range(n_r), labels, fontsize=size)
        ax.tick_params(length=0)
        for side in ax.spines.values():
            side.set_visible(False)
        if annotate:
            for a, b, k in zip(lo, hi, kappa[lo, hi]):
                if np.isfinite(k):
                    ax.text(b, a, f"{k:.2f}".replace("0.", ".", 1), ha="center",
                            va="center", fontsize=6, color="white" if k < 0.6 else "black")
            if "n_units" in block:
                for a, b, n in zip(lo, hi, block["n_units"].to_numpy()):
                    ax.text(a, b, f"{int(n)}", ha="center", va="center", fontsize=5.5,
                            color="0.35")
    for ax in axes.ravel()[len(findings):]:
        ax.set_visible(False)
    if image is not None:
        # the bar, its tick labels (up to "-0.75") and its label fit in _BAR_ROOM inches
        cax = fig.add_axes((1 - (_BAR_ROOM - 0.1) / width, 0.2, 0.1 / width, 0.6))
        bar = fig.colorbar(image, cax=cax)
        bar.set_label("Cohen's kappa (below diagonal)")
    if annotate and "n_units" in table:
        fig.suptitle("above the diagonal: images read by both readers", fontsize=7,
                     color="0.35", y=1 - 0.08 / height, va="top")
    return fig


# --------------------------------------------------------------------------- forest plot
def _series_column(table: pd.DataFrame, by: str | None) -> str | None:
    if by is not None:
        if by not in table.columns:
            raise KeyError(f"by={by!r} is not a column; columns: {list(table.columns)}")
        return by
    for col in ("rater", "reference", "statistic"):
        if col in table.columns and table[col].nunique(dropna=False) > 1:
            return col
    return None


@_styled
def forest_plot(result, *, statistic: str | Sequence[str] | None = None, by: str | None = None,
                findings: Sequence[str] | None = None, series: Sequence | None = None,
                xlabel: str | None = None, reference_line: float | str | None = None,
                panels: bool = False, annotate: str | None = None,
                marked: Sequence | None = None, marked_label: str = "marked",
                title: str | None = None, ax=None) -> Figure:
    """Estimates with their intervals across findings, several series side by side.

    Two layouts of the same marks (a point, a horizontal interval):

    - rows (default): one row per finding; each series (a rater, a reference definition, a
      statistic) a marker with a horizontal interval, offset vertically within the
      finding's row;
    - ``panels=True``: one small panel per finding, one row per series (its name on the
      y axis) -- for many series of one rater, e.g. the reference definitions of
      :func:`adjudicate.sensitivity_analysis` (see :func:`reference_forest_plot`).

    Parameters
    ----------
    result : TableResult or DataFrame
        Tidy rows with ``finding, estimate, ci_low, ci_high`` (and ``statistic``, ``rater``,
        ``reference`` as apply), e.g. :func:`adjudicate.agreement_table` or
        ``compare_nlp(...).table``.
    statistic : str or sequence of str, optional
        Keep these statistics (default: all rows).
    by : str, optional
        Column whose values are the series (default: the first of ``rater``, ``reference``,
        ``statistic`` that varies).
    findings : sequence of str, optional
        Findings to show, top to bottom (default: the table's order; with ``panels``, those
        with a defined estimate).
    series : sequence, optional
        Series to show, in this order (default: all, first seen first).
    xlabel : str, optional
        Default: the statistic's name (or "estimate").
    reference_line : float or str, optional
        A dashed vertical line: at this value (e.g. 0 for a difference), or, given a series
        name, at that series' estimate of each finding (e.g. ``"published"``).
    panels : bool, default False
        One panel per finding (up to 4 a row), the series as rows.
    annotate : str, optional
        A column of shares (0-1), e.g. ``"unlabelled_share"``, written as a percentage at
        the right edge of each point's row ("12% unl."; left out below 0.5%).
    marked : sequence, optional
        Series drawn apart (diamonds; with ``panels``, in a second colour with the legend
        entry ``marked_label``), e.g. the soft, expected-value references.
    marked_label : str
        Legend entry of the ``marked`` series (``panels``).
    title : str, optional
        Figure title.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes (its figure is returned; not with ``panels``).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from adjudicate.report import forest_plot
    >>> t = pd.DataFrame({"finding": ["Mass", "Mass", "Nodule", "Nodule"],
    ...                   "statistic": ["fleiss_kappa", "gwet_ac1"] * 2,
    ...                   "estimate": [.6, .8, .4, .7], "ci_low": [.5, .7, .3, .6],
    ...                   "ci_high": [.7, .9, .5, .8]})
    >>> fig = forest_plot(t)
    >>> ax = fig.axes[0]
    >>> [t.get_text() for t in ax.get_yticklabels()], ax.get_legend().get_title().get_text()
    (['Mass', 'Nodule'], 'statistic')
    >>> fig = forest_plot(t, panels=True, reference_line="fleiss_kappa")
    >>> [ax.get_title() for ax in fig.axes], [t.get_text() for t in fig.axes[0].get_yticklabels()]
    (['Mass', 'Nodule'], ['fleiss_kappa', 'gwet_ac1'])
    """
    table = _frame(result)
    if statistic is not None:
        keep = [statistic] if isinstance(statistic, str) else list(statistic)
        table = table[table["statistic"].isin(keep)]
        if table.empty:
            raise ValueError(f"no rows with statistic in {keep}")
    col = _series_column(table, by)
    if panels and findings is None:
        findings = [f for f in pd.unique(table["finding"])
                    if table.loc[table["finding"] == f, "estimate"].notna().any()]
    findings = _ordered(table["finding"], findings)
    names = _ordered(table[col], series) if col else [None]
    marked = set(marked or ())

    def values(rows: pd.DataFrame, key: str, index: list) -> np.ndarray:
        """One column of ``rows`` (indexed by finding or series), aligned to ``index``."""
        if key not in rows:
            return np.full(len(index), np.nan)
        return rows[key].reindex(index).to_numpy(dtype=float)

    def rows_of(name=None, finding=None) -> pd.DataFrame:
        rows = table
        if name is not None:
            rows = rows[rows[col] == name]
        if finding is not None:
            return rows[rows["finding"] == finding].drop_duplicates(col).set_index(col)
        return rows.drop_duplicates("finding").set_index("finding")

    def draw(ax, est, lo, hi, y, color, marker, label=None):
        ok = np.isfinite(lo) & np.isfinite(hi)
        ax.hlines(y[ok], lo[ok], hi[ok], color=color, lw=1.2)
        ax.plot(est, y, ls="none", marker=marker, ms=4, color=color, label=label)

    def shares(ax, rows, index, y, est):
        if annotate is None or annotate not in rows:
            return
        what = annotate.removesuffix("_share").split("_")[0]
        what = what[:3] + "." if len(what) > 4 else what   # "unlabelled_share" -> "unl."
        for yi, s, e in zip(y, values(rows, annotate, index), est):
            if s >= 0.005 and not np.isnan(e):  # at the right edge, in axes coordinates
                ax.annotate(f"{s:.0%} {what}", (1.0, yi), xycoords=("axes fraction", "data"),
                            xytext=(-2, 0), textcoords="offset points", va="center",
                            ha="right", fontsize=6, color="0.35")
        low, high = ax.get_xlim()
        ax.set_xlim(low, high + 0.45 * (high - low))

    stats = list(pd.unique(table["statistic"])) if "statistic" in table else []
    xlabel = xlabel or (stats[0].replace("_", " ") if len(stats) == 1 and col != "statistic"
                        else "estimate")
    line_series = isinstance(reference_line, str)
    if panels:
        if ax is not None:
            raise ValueError("panels=True draws a figure of its own: leave ax out")
        if col is None:
            raise ValueError("panels=True needs series: give by=")
        n_cols = min(len(findings), 4)
        n_rows = -(-len(findings) // n_cols)
        fig = _figure(PAGE_WIDTH, min((0.16 * len(names) + 0.7) * n_rows + 0.4, 9.0))
        grid = fig.subplots(n_rows, n_cols, sharey=True, squeeze=False)
        for extra in grid.ravel()[len(findings):]:
            extra.set_visible(False)
        y = np.arange(len(names), dtype=float)
        apart = np.array([n in marked for n in names])
        for panel, finding in zip(grid.ravel(), findings):
            rows = rows_of(finding=finding)
            est, lo, hi = (values(rows, k, names) for k in ("estimate", "ci_low", "ci_high"))
            for keep, color, marker, label in ((~apart, _COLORS[0], "o", None),
                                               (apart, _COLORS[1], "D", marked_label)):
                if keep.any():
                    draw(panel, est[keep], lo[keep], hi[keep], y[keep], color, marker,
                         label if apart.any() else None)
            if line_series and reference_line in names:
                value = est[names.index(reference_line)]
                if np.isfinite(value):
                    panel.axvline(value, color="0.5", lw=0.8, ls="--")
            elif reference_line is not None and not line_series:
                panel.axvline(reference_line, color="0.5", lw=0.8, ls="--")
            shares(panel, rows, names, y, est)
            panel.set_title(str(finding))
            panel.set_xlabel(xlabel)
            panel.grid(axis="x", color="0.9", lw=0.6)
            panel.set_axisbelow(True)
        for row in grid:
            row[0].set_yticks(y, [str(n) for n in names])
            row[0].set_ylim(len(names) - 0.5, -0.5)
        if apart.any():
            fig.legend(*grid[0, 0].get_legend_handles_labels(), loc="outside lower right",
                       frameon=False)
    else:
        height = 0.6 + 0.22 * len(findings) * max(1.0, 0.45 * len(names))
        fig, ax = _axes(ax, PAGE_WIDTH * 0.6, min(height, 9.0))
        band = 0.8
        step = band / len(names)
        y0 = np.arange(len(findings))
        for k, name in enumerate(names):
            rows = rows_of(name)
            y = y0 - band / 2 + step * (k + 0.5)
            est = values(rows, "estimate", findings)
            draw(ax, est, values(rows, "ci_low", findings), values(rows, "ci_high", findings),
                 y, _COLORS[k % len(_COLORS)], "D" if name in marked else
                 _MARKERS[k % len(_MARKERS)], None if name is None else str(name))
            shares(ax, rows, findings, y, est)
        if line_series and reference_line in names:
            x = values(rows_of(reference_line), "estimate", findings)
            ok = np.isfinite(x)
            ax.vlines(x[ok], y0[ok] - band / 2, y0[ok] + band / 2, color="0.5", lw=0.8, ls="--")
        elif reference_line is not None and not line_series:
            ax.axvline(reference_line, color="0.5", lw=0.8, ls="--")
        ax.set_yticks(y0, findings)
        ax.set_ylim(len(findings) - 0.5, -0.5)
        ax.set_xlabel(xlabel)
        ax.grid(axis="x", color="0.9", lw=0.6)
        ax.set_axisbelow(True)
        if col is not None:
            ax.legend(title=col, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    if title:
        fig.suptitle(title)
    return fig


def reference_forest_plot(result, *, statistic: str = "sensitivity", findings=None,
                          title: str | None = None, reference_line: str | None = "published"
                          ) -> Figure:
    """One statistic of a rater under every reference definition, one panel per finding.

    :func:`forest_plot` of :func:`adjudicate.sensitivity_analysis` (or
    :func:`adjudicate.reference.reference_agreement`) output with the definitions as rows:
    the soft (expected-value) references drawn apart, each definition's share of unlabelled
    images written beside it, a dashed line at the published labels' estimate.

    Parameters
    ----------
    result : TableResult or DataFrame
        Tidy rows with ``finding, reference, statistic, estimate, ci_low, ci_high`` (and
        optionally ``rater``, ``unlabelled_share``).
    statistic : str
        Which statistic to draw.
    findings : sequence of str, optional
        Panels, one per finding (default: those with a defined estimate).
    title : str, optional
        Default: "<Statistic> of <rater> under each reference definition (95% CI)".
    reference_line : str or None
        The definition whose estimate is drawn as a dashed line in each panel.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> t = pd.DataFrame({"finding": "Mass", "rater": "nlp",
    ...                   "reference": ["published", "majority", "dawid-skene-soft"],
    ...                   "statistic": "sensitivity", "estimate": [0.6, 0.7, 0.65],
    ...                   "ci_low": [0.5, 0.6, 0.55], "ci_high": [0.7, 0.8, 0.75]})
    >>> fig = reference_forest_plot(t)
    >>> [ax.get_title() for ax in fig.axes], fig.get_suptitle()
    (['Mass'], 'Sensitivity of nlp under each reference definition (95% CI)')
    """
    table = _frame(result)
    refs = pd.unique(table["reference"])
    rater = table["rater"].iloc[0] if "rater" in table and len(table) else None
    name = statistic.replace("_", " ")
    default = (f"{name.capitalize()} of {rater} under each reference definition (95% CI)"
               if rater else name)
    return forest_plot(table, statistic=statistic, by="reference", findings=findings,
                       panels=True, reference_line=reference_line,
                       annotate="unlabelled_share", marked=[r for r in refs if "soft" in r],
                       marked_label="soft reference (expected value)", title=title or default)


# --------------------------------------------------------------------------- ROC curve
def _column(frame: pd.DataFrame, *names):
    for n in names:
        if n in frame.columns:
            return frame[n].to_numpy(dtype=float)
    return None


def _operating_points(readers) -> pd.DataFrame:
    """Reader points as ``rater, fpr, tpr[, fpr_low, fpr_high, tpr_low, tpr_high]``.

    Accepts that layout directly, or a tidy accuracy table (``rater, statistic`` with
    ``sensitivity`` and ``specificity`` rows), which is turned into it: fpr = 1 - specificity,
    its interval (1 - high, 1 - low).
    """
    frame = _frame(readers)
    if {"fpr", "tpr"} <= set(frame.columns):
        if "rater" not in frame.columns:
            frame = frame.assign(rater=frame["reader"] if "reader" in frame else
                                 [f"reader {i + 1}" for i in range(len(frame))])
        return frame
    if not {"rater", "statistic", "estimate"} <= set(frame.columns):
        raise ValueError("readers needs columns rater, fpr, tpr (or a tidy accuracy table "
                         "with rater, statistic, estimate, ci_low, ci_high)")
    if frame["finding"].nunique() > 1 if "finding" in frame else False:
        raise ValueError("readers holds several findings; select one finding first")
    wide = frame.drop_duplicates(["rater", "statistic"]).set_index(["rater", "statistic"])
    raters = list(pd.unique(frame["rater"]))
    sens = wide.xs("sensitivity", level="statistic").reindex(raters)
    spec = wide.xs("specificity", level="statistic").reindex(raters)
    return pd.DataFrame({
        "rater": raters, "tpr": sens["estimate"].to_numpy(float),
        "tpr_low": sens["ci_low"].to_numpy(float), "tpr_high": sens["ci_high"].to_numpy(float),
        "fpr": 1 - spec["estimate"].to_numpy(float),
        "fpr_low": 1 - spec["ci_high"].to_numpy(float),
        "fpr_high": 1 - spec["ci_low"].to_numpy(float)})


@_styled
def roc_plot(curves=None, readers=None, *, title: str | None = None, ax=None) -> Figure:
    """ROC curves of one or more models with their bands, and the readers' operating points.

    Parameters
    ----------
    curves : DataFrame, optional
        Points of the curves, in order along each curve: ``fpr``, ``tpr``; optional
        ``model`` (one curve per value), ``tpr_low``/``tpr_high`` (or ``low``/``high``:
        a pointwise band, e.g. bootstrap, drawn shaded) and ``auc`` (added to the legend;
        with ``auc_low``/``auc_high``, its interval too). An object with a ``.roc``
        attribute holding such a frame is accepted.
    readers : DataFrame or TableResult, optional
        Operating points, one row per reader: ``rater``, ``fpr``, ``tpr`` and optional
        ``fpr_low, fpr_high, tpr_low, tpr_high`` (drawn as a cross); or a tidy accuracy
        table of one finding (``rater, statistic, estimate, ci_low, ci_high`` with
        ``sensitivity`` and ``specificity`` rows, e.g. from :func:`adjudicate.accuracy_table`
        or ``compare_nlp(...).table``), converted with fpr = 1 - specificity. A row whose
        ``rater`` is :data:`MEAN_READER` (``"mean reader"``) is drawn as a filled diamond.
    title : str, optional
    ax : matplotlib.axes.Axes, optional
        An axes to draw into, e.g. one panel of a grid of findings.

    Returns
    -------
    matplotlib.figure.Figure
        Square, half a page wide; the axes has equal aspect.

    Examples
    --------
    >>> import pandas as pd
    >>> from adjudicate.report import roc_plot
    >>> curve = pd.DataFrame({"fpr": [0, .1, .3, 1], "tpr": [0, .6, .85, 1],
    ...                       "tpr_low": [0, .5, .78, 1], "tpr_high": [0, .7, .9, 1]})
    >>> reads = pd.DataFrame({"rater": ["r1"], "fpr": [.12], "tpr": [.7],
    ...                       "fpr_low": [.08], "fpr_high": [.16],
    ...                       "tpr_low": [.6], "tpr_high": [.8]})
    >>> ax = roc_plot(curve, reads).axes[0]
    >>> ax.get_xlabel(), ax.lines[1].get_ydata().tolist()   # lines[0]: the chance diagonal
    ('1 - specificity (false-positive rate)', [0.0, 0.6, 0.85, 1.0])
    """
    if curves is None and readers is None:
        raise ValueError("give curves, readers or both")
    fig, ax = _axes(ax, PAGE_WIDTH * 0.5, PAGE_WIDTH * 0.5)
    ax.plot([0, 1], [0, 1], color="0.75", lw=0.8, ls=":")
    if curves is not None:
        frame = curves.roc if hasattr(curves, "roc") else _frame(curves)
        if not {"fpr", "tpr"} <= set(frame.columns):
            raise ValueError(f"curves needs columns fpr, tpr; got {list(frame.columns)}")
        models = list(pd.unique(frame["model"])) if "model" in frame else [None]
        for k, model in enumerate(models):
            c = frame if model is None else frame[frame["model"] == model]
            color = _COLORS[k % len(_COLORS)]
            label = "model" if model is None else str(model)
            auc = _column(c, "auc")
            if auc is not None:
                label += f", AUC {auc[0]:.3f}"
                a_lo, a_hi = _column(c, "auc_low"), _column(c, "auc_high")
                if a_lo is not None and a_hi is not None:
                    label += f" ({a_lo[0]:.3f}-{a_hi[0]:.3f})"
            fpr, tpr = _column(c, "fpr"), _column(c, "tpr")
            ax.plot(fpr, tpr, color=color, lw=1.4, label=label, drawstyle="default")
            low, high = _column(c, "tpr_low", "low"), _column(c, "tpr_high", "high")
            if low is not None and high is not None:
                ax.fill_between(fpr, low, high, color=color, alpha=0.2, lw=0)
    if readers is not None:
        pts = _operating_points(readers)
        mean = pts[pts["rater"].astype(str) == MEAN_READER]
        pts = pts[pts["rater"].astype(str) != MEAN_READER]
        for row in pd.concat([pts, mean]).itertuples(index=False):
            d = row._asdict()
            kw = {"color": "0.15", "lw": 0.8}
            if np.isfinite(d.get("fpr_low", np.nan)) and np.isfinite(d.get("fpr_high", np.nan)):
                ax.hlines(d["tpr"], d["fpr_low"], d["fpr_high"], **kw)
            if np.isfinite(d.get("tpr_low", np.nan)) and np.isfinite(d.get("tpr_high", np.nan)):
                ax.vlines(d["fpr"], d["tpr_low"], d["tpr_high"], **kw)
        ax.plot(pts["fpr"], pts["tpr"], ls="none", marker="o", ms=4, mfc="white",
                mec="0.15", mew=1.0, label=f"readers (n={len(pts)})", zorder=3)
        if len(mean):
            ax.plot(mean["fpr"], mean["tpr"], ls="none", marker="D", ms=4.5, color="0.15",
                    label=MEAN_READER, zorder=4)
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_aspect("equal")
    ax.set_xlabel("1 - specificity (false-positive rate)")
    ax.set_ylabel("sensitivity (true-positive rate)")
    if title:
        ax.set_title(title)
    ax.legend(loc="lower right", frameon=False)
    return fig


# --------------------------------------------------------------------------- prevalence
@_styled
def prevalence_plot(result, *, findings: Sequence[str] | None = None,
                    sources: Sequence[str] | None = None, highlight: Sequence[str] | None = None,
                    ax=None) -> Figure:
    """The share of positive calls of each source (readers, the reference, NLP) per finding.

    A dot plot: one row per finding, one marker per source; the sources named in
    ``highlight`` (default: the non-reader sources, e.g. the reference and ``nlp``) get
    distinct markers and their intervals, each reader a small grey dot, so the spread of the
    readers is seen against the reference and the NLP labels.

    Parameters
    ----------
    result : TableResult, NLPComparison or DataFrame
        Tidy rows with ``finding, rater, statistic, estimate`` (``ci_low, ci_high``
        optional); only ``statistic == "prevalence"`` rows are used. When a source appears
        with several references (a reader against the published labels and against the
        leave-one-out majority), the row over the most units is used.
    findings, sources : sequence of str, optional
        What to show, in this order.
    highlight : sequence of str, optional
        Sources drawn with their own marker and interval (default: sources whose name is
        not all digits, i.e. not a reader id).
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure, 60% of the page wide).

    Returns
    -------
    matplotlib.figure.Figure
        Findings top to bottom; the legend names the highlighted sources.

    Examples
    --------
    >>> import pandas as pd
    >>> from adjudicate.report import prevalence_plot
    >>> t = pd.DataFrame({"finding": ["Mass"] * 3 + ["Nodule"] * 3,
    ...                   "rater": ["101", "published", "nlp"] * 2,
    ...                   "statistic": "prevalence", "estimate": [.1, .12, .2, .05, .04, .1]})
    >>> ax = prevalence_plot(t).axes[0]
    >>> ax.get_xlabel(), [t.get_text() for t in ax.get_legend().get_texts()]
    ('share of images called positive', ['readers', 'published', 'nlp'])
    """
    table = _frame(result)
    if "statistic" in table:
        table = table[table["statistic"] == "prevalence"]
    if table.empty:
        raise ValueError("no prevalence rows")
    if "n_units" in table:
        table = table.sort_values("n_units", ascending=False, kind="stable")
    table = table.drop_duplicates(["finding", "rater"])
    findings = _ordered(table["finding"], findings)
    order = _ordered(table["rater"], sources)
    if highlight is None:
        highlight = [s for s in order if not str(s).isdigit()]
    plain = [s for s in order if s not in highlight]
    fig, ax = _axes(ax, PAGE_WIDTH * 0.6, 0.6 + 0.24 * len(findings))
    y0 = np.arange(len(findings))
    by_source = {s: g.set_index("finding").reindex(findings) for s, g in table.groupby("rater")}
    if plain:
        x = np.concatenate([by_source[s]["estimate"].to_numpy(float) for s in plain])
        y = np.tile(y0, len(plain))
        ax.plot(x, y, ls="none", marker="o", ms=3, color="0.6", alpha=0.8, label="readers")
    step = 0.5 / max(1, len(highlight))
    for k, s in enumerate(highlight):
        rows = by_source[s]
        y = y0 - 0.25 + step * (k + 0.5)
        color = _COLORS[k % len(_COLORS)]
        if {"ci_low", "ci_high"} <= set(rows.columns):
            lo, hi = rows["ci_low"].to_numpy(float), rows["ci_high"].to_numpy(float)
            ok = np.isfinite(lo) & np.isfinite(hi)
            ax.hlines(y[ok], lo[ok], hi[ok], color=color, lw=1.0)
        ax.plot(rows["estimate"].to_numpy(float), y, ls="none",
                marker=_MARKERS[(k + 1) % len(_MARKERS)], ms=4, color=color, label=str(s))
    ax.set_yticks(y0, findings)
    ax.set_ylim(len(findings) - 0.5, -0.5)
    ax.set_xlabel("share of images called positive")
    ax.set_xlim(left=0)
    ax.grid(axis="x", color="0.9", lw=0.6)
    ax.set_axisbelow(True)
    ax.legend(loc="lower right", frameon=False)
    return fig
