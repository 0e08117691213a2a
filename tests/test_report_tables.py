"""Paper tables: the wide view holds the result's numbers, rounded, in every format."""

import numpy as np
import pandas as pd
import pytest

from adjudicate.report.tables import estimate_cell, format_table, wide_table
from adjudicate.results import TableResult


def _tidy():
    return pd.DataFrame({
        "finding": ["Mass", "Mass", "Nodule/mass", "Nodule/mass"],
        "statistic": ["fleiss_kappa", "gwet_ac1"] * 2,
        "estimate": [0.61234, 0.8, -0.0512, np.nan],
        "ci_low": [0.5, 0.7, -0.2049, np.nan],
        "ci_high": [0.7049, 0.9, 0.1, np.nan],
        "n_units": [40, 40, 38, 38], "method": "wald"})


def test_cells_round_and_say_undefined():
    w = wide_table(_tidy(), digits=3)
    assert list(w.columns) == ["fleiss_kappa", "gwet_ac1"]
    assert list(w.index) == ["Mass", "Nodule/mass"]
    assert w.loc["Mass", "fleiss_kappa"] == "0.612 (0.500-0.705)"
    assert w.loc["Nodule/mass", "fleiss_kappa"] == "-0.051 (-0.205 to 0.100)"
    assert w.loc["Nodule/mass", "gwet_ac1"] == "-"
    assert estimate_cell(0.125, 0.1, 0.2, digits=1) == "0.1 (0.1-0.2)"  # Python rounding


def test_table_result_and_raters_as_columns():
    t = pd.DataFrame({"finding": ["A", "A", "B", "B"], "rater": ["r1", "r2"] * 2,
                      "statistic": "sensitivity", "estimate": [.5, .6, .7, .8],
                      "ci_low": [.4, .5, .6, .7], "ci_high": [.6, .7, .8, .9]})
    w = wide_table(TableResult(t))
    assert list(w.columns) == ["r1", "r2"]
    assert w.loc["B", "r2"] == "0.80 (0.70-0.90)"
    w2 = wide_table(t, index=["rater", "finding"], columns="statistic")
    assert w2.loc[("r1", "B"), "sensitivity"] == "0.70 (0.60-0.80)"


def test_markdown_latex_html():
    md = format_table(_tidy(), "markdown")
    assert "| Mass " in md and "0.61 (0.50-0.70)" in md
    tex = format_table(_tidy(), "latex", caption="Agreement")
    assert r"fleiss\_kappa" in tex and r"\toprule" in tex and r"\caption{Agreement}" in tex
    html = format_table(_tidy(), "html")
    assert "<table" in html and "0.80 (0.70-0.90)" in html
    with pytest.raises(ValueError, match="format"):
        format_table(_tidy(), "docx")


def test_missing_columns_are_named():
    with pytest.raises(KeyError, match="rater"):
        wide_table(_tidy(), index="rater")
