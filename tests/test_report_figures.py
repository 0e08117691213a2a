"""The figures draw the data they are given: labels, counts of points, plotted values."""

import numpy as np
import pandas as pd
import pytest

import adjudicate as adj
from adjudicate.report import forest_plot, kappa_heatmap, prevalence_plot, roc_plot


def _reads(fig):
    """Render once, as saving would: catches errors raised only at draw time."""
    fig.canvas.draw()
    return fig


def test_kappa_heatmap_cells_are_the_pairwise_kappas():
    # Two findings, three readers; pairwise_kappa's documented 4 x 3 example is finding "A"
    # (kappas .5, .5, .2 by hand: 2x2 tables of 4 units), its mirror image finding "B".
    a = np.array([[0, 0, 1], [1, 1, 1], [0, 0, 0], [1, 0, 1]])
    data = np.stack([a, 1 - a], axis=2).astype(str)
    r = adj.Ratings.from_array(data, readers=["r1", "r2", "r3"], findings=["A", "B"])
    pairs = adj.pairwise_kappa(r)
    fig = _reads(kappa_heatmap(pairs))
    panels = [ax for ax in fig.axes if ax.get_title() in ("A", "B")]
    assert [ax.get_title() for ax in panels] == ["A", "B"]
    m = panels[0].images[0].get_array().filled(np.nan)
    # below the diagonal: (r2, r1) = .5, (r3, r1) = .5, (r3, r2) = .2; above: blank
    np.testing.assert_allclose(m[[1, 2, 2], [0, 0, 1]], [0.5, 0.5, 0.2])
    assert np.isnan(m[np.triu_indices(3)]).all()
    texts = sorted(t.get_text() for t in panels[0].texts)
    # 3 kappas and 3 shared-image counts (every pair read all 4 units)
    assert texts == sorted([".50", ".50", ".20", "4", "4", "4"])
    assert [t.get_text() for t in panels[0].get_xticklabels()] == ["r1", "r2", "r3"]


def test_kappa_heatmap_of_one_item_matrix():
    m = adj.pairwise_kappa([[0, 0, 1], [1, 1, 1], [0, 0, 0], [1, 0, 1]])  # .5, .5, .2
    ax = kappa_heatmap(m).axes[0]
    np.testing.assert_allclose(ax.images[0].get_array()[[1, 2, 2], [0, 0, 1]], [.5, .5, .2])


def test_kappa_heatmap_accepts_estimate_column_and_long_ids():
    pairs = pd.DataFrame({"finding": "X", "rater_1": ["4343880271"], "rater_2": ["4343882583"],
                          "estimate": [0.4], "n_units": [10]})
    ax = kappa_heatmap(pairs).axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["..71", "..83"]
    assert ax.images[0].get_array()[1, 0] == pytest.approx(0.4)


def _tidy():
    return pd.DataFrame({
        "finding": ["Mass"] * 3 + ["Nodule"] * 3,
        "statistic": "sensitivity",
        "rater": ["nlp", "r1", "r2"] * 2,
        "estimate": [.5, .6, .7, .3, .4, .45],
        "ci_low": [.4, .5, .6, .2, .3, np.nan],
        "ci_high": [.6, .7, .8, .4, .5, np.nan]})


def test_forest_plot_points_and_intervals_equal_the_data():
    t = _tidy()
    fig = _reads(forest_plot(t))
    ax = fig.axes[0]
    assert ax.get_xlabel() == "sensitivity"
    assert [x.get_text() for x in ax.get_yticklabels()] == ["Mass", "Nodule"]
    assert [x.get_text() for x in ax.get_legend().get_texts()] == ["nlp", "r1", "r2"]
    markers = [ln for ln in ax.lines if ln.get_marker() not in ("None", None, "")]
    assert len(markers) == 3  # one series per rater, one point per finding
    for ln, rater in zip(markers, ["nlp", "r1", "r2"]):
        np.testing.assert_allclose(ln.get_xdata(), t[t.rater == rater].estimate)
    segments = [s for c in ax.collections for s in c.get_segments()]
    # 5 finite intervals (r2/Nodule has none), each from ci_low to ci_high
    assert sorted((s[0, 0], s[1, 0]) for s in segments) == sorted(
        zip(t.ci_low.dropna(), t.ci_high.dropna()))


def test_forest_plot_accepts_a_table_result_and_filters_statistics():
    from adjudicate.results import TableResult

    t = pd.concat([_tidy(), _tidy().assign(statistic="specificity", estimate=.9)])
    fig = forest_plot(TableResult(t), statistic="specificity", by="rater")
    markers = [ln for ln in fig.axes[0].lines if ln.get_marker() not in ("None", None, "")]
    assert all(np.allclose(ln.get_xdata(), 0.9) for ln in markers)
    with pytest.raises(ValueError, match="no rows"):
        forest_plot(t, statistic="ppv")


def test_roc_plot_draws_curves_band_and_reader_crosses():
    curve = pd.DataFrame({"model": ["m"] * 4, "fpr": [0, .1, .3, 1], "tpr": [0, .6, .85, 1],
                          "tpr_low": [0, .5, .8, 1], "tpr_high": [0, .7, .9, 1],
                          "auc": .85})
    # readers as a tidy accuracy table: fpr = 1 - specificity, its interval flipped
    reads = pd.DataFrame({"rater": ["r1", "r1"], "statistic": ["sensitivity", "specificity"],
                          "estimate": [.7, .9], "ci_low": [.6, .85], "ci_high": [.8, .95]})
    fig = _reads(roc_plot(curve, reads))
    ax = fig.axes[0]
    assert ax.get_ylabel() == "sensitivity (true-positive rate)"
    np.testing.assert_allclose(ax.lines[1].get_xydata(), curve[["fpr", "tpr"]])
    assert [x.get_text() for x in ax.get_legend().get_texts()] == ["m, AUC 0.850",
                                                                   "readers (n=1)"]
    point = ax.lines[-1].get_xydata()
    np.testing.assert_allclose(point, [[0.1, 0.7]])
    segs = {tuple(np.round(s.ravel(), 6)) for c in ax.collections[1:] for s in c.get_segments()}
    # horizontal: fpr from 1 - .95 to 1 - .85 at tpr .7; vertical: tpr .6 to .8 at fpr .1
    assert segs == {(0.05, 0.7, 0.15, 0.7), (0.1, 0.6, 0.1, 0.8)}
    band = ax.collections[0].get_paths()[0].vertices
    assert band[:, 1].max() == pytest.approx(1.0) and band[:, 1].min() == pytest.approx(0.0)


def test_roc_plot_mean_reader_drawn_apart():
    reads = pd.DataFrame({"rater": ["r1", "r2", "mean reader"], "fpr": [.1, .2, .15],
                          "tpr": [.7, .8, .75]})
    ax = roc_plot(readers=reads).axes[0]
    assert [x.get_text() for x in ax.get_legend().get_texts()] == ["readers (n=2)",
                                                                   "mean reader"]
    np.testing.assert_allclose(ax.lines[-1].get_xydata(), [[.15, .75]])
    np.testing.assert_allclose(ax.lines[-2].get_xydata(), [[.1, .7], [.2, .8]])


def test_roc_plot_needs_fpr_tpr():
    with pytest.raises(ValueError, match="fpr, tpr"):
        roc_plot(pd.DataFrame({"x": [0]}))


def test_prevalence_plot_one_dot_per_reader_and_finding():
    t = pd.DataFrame({"finding": ["Mass"] * 4 + ["Nodule"] * 4,
                      "rater": ["101", "102", "published", "nlp"] * 2,
                      "statistic": "prevalence",
                      "estimate": [.1, .14, .12, .2, .05, .06, .04, .1],
                      "ci_low": [np.nan, np.nan, .1, .15] * 2,
                      "ci_high": [np.nan, np.nan, .14, .25] * 2,
                      "n_units": 50})
    # the same reader against a second reference over fewer units: not drawn
    t = pd.concat([t, t.iloc[[0]].assign(estimate=.9, n_units=10)])
    ax = _reads(prevalence_plot(t)).axes[0]
    assert [x.get_text() for x in ax.get_legend().get_texts()] == ["readers", "published",
                                                                    "nlp"]
    readers, published, nlp = ax.lines
    assert sorted(readers.get_xdata()) == sorted([.1, .14, .05, .06])
    np.testing.assert_allclose(published.get_xdata(), [.12, .04])
    np.testing.assert_allclose(nlp.get_xdata(), [.2, .1])
    assert [x.get_text() for x in ax.get_yticklabels()] == ["Mass", "Nodule"]


def test_every_figure_fits_the_page_with_legible_text():
    """7 in wide at most (a two-column page's full width), no text under 5.5 pt."""
    from matplotlib.text import Text

    ds = adj.load_dataset("all_findings")
    t = _tidy()
    figs = [kappa_heatmap(adj.pairwise_kappa(ds.ratings)), forest_plot(t),
            prevalence_plot(t.assign(statistic="prevalence")),
            roc_plot(pd.DataFrame({"fpr": [0, 1], "tpr": [0, 1]}))]
    for fig in figs:
        fig.canvas.draw()
        assert fig.get_figwidth() <= 7.0
        sizes = [x.get_fontsize() for x in fig.findobj(Text) if x.get_text()]
        assert min(sizes) >= 5.5


def test_forest_plot_panels_one_per_finding_series_as_rows():
    # the reference-definitions layout (reference_forest_plot): per finding a panel, one row
    # per definition, the soft one drawn apart, a dashed line at the published estimate and
    # the unlabelled share written beside its row
    from adjudicate.report import reference_forest_plot

    t = pd.DataFrame({
        "finding": ["Mass"] * 3 + ["Nodule"] * 3 + ["Hernia"] * 3,
        "rater": "nlp", "statistic": "sensitivity",
        "reference": ["published", "unanimous", "dawid-skene-soft"] * 3,
        "estimate": [.5, .7, .55, .3, .4, .35, np.nan, np.nan, np.nan],
        "ci_low": [.4, .6, .45, .2, .3, .25, np.nan, np.nan, np.nan],
        "ci_high": [.6, .8, .65, .4, .5, .45, np.nan, np.nan, np.nan],
        "unlabelled_share": [0, .12, 0] * 3})
    fig = _reads(reference_forest_plot(t))
    panels = [ax for ax in fig.axes if ax.get_visible()]
    # Hernia has no defined estimate: no panel
    assert [ax.get_title() for ax in panels] == ["Mass", "Nodule"]
    assert fig.get_suptitle() == "Sensitivity of nlp under each reference definition (95% CI)"
    mass = panels[0]
    assert [x.get_text() for x in mass.get_yticklabels()] == ["published", "unanimous",
                                                             "dawid-skene-soft"]
    points = [ln for ln in mass.lines if ln.get_marker() not in ("None", None, "")]
    hard, soft = points
    np.testing.assert_allclose(hard.get_xydata(), [[.5, 0], [.7, 1]])   # (estimate, row)
    assert soft.get_marker() == "D"
    np.testing.assert_allclose(soft.get_xydata(), [[.55, 2]])
    dashed = [ln for ln in mass.lines if ln.get_linestyle() == "--"]
    assert len(dashed) == 1 and dashed[0].get_xdata()[0] == .5          # the published .5
    assert [a.get_text() for a in mass.texts] == ["12% unl."]
    segments = sorted(tuple(s[:, 0]) for c in mass.collections for s in c.get_segments())
    assert segments == [(.4, .6), (.45, .65), (.6, .8)]
    assert [x.get_text() for x in fig.legends[0].get_texts()] == [
        "soft reference (expected value)"]


def test_forest_plot_reference_line_at_a_series_in_rows_layout():
    t = _tidy()
    ax = _reads(forest_plot(t, reference_line="r1")).axes[0]
    dashed = [c for c in ax.collections if c.get_linestyle()[0][1] is not None]
    (seg,) = dashed
    # one short dashed segment per finding, at r1's estimate (.6 Mass, .4 Nodule)
    np.testing.assert_allclose([s[0, 0] for s in seg.get_segments()], [.6, .4])


def test_kappa_heatmap_colour_bar_and_its_label_fit_the_figure():
    # the widest colour-bar tick labels come with kappas down to -1 ("-0.75", "-1.00"): the
    # bar, its labels and "Cohen's kappa (below diagonal)" must end inside the figure, with
    # room to spare (they ended 0.02 in from the edge, clipped in some renderings)
    pairs = pd.DataFrame({"finding": "X", "rater_1": ["a", "a", "b"],
                          "rater_2": ["b", "c", "c"], "kappa": [-1.0, 0.5, 0.9],
                          "n_units": 10})
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = kappa_heatmap(pairs)
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.canvas.draw()
    bar = fig.axes[-1]
    assert bar.get_ylabel() == "Cohen's kappa (below diagonal)"
    assert "\N{MINUS SIGN}0.75" in [t.get_text() for t in bar.get_yticklabels()]
    right = fig.get_tightbbox(renderer).x1            # inches
    assert right <= fig.get_figwidth() - 0.1, right
