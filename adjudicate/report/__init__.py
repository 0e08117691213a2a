"""Figures, paper tables and the HTML report, rendered from the package's results.

Nothing here computes a statistic: every function takes what the public API returns (a
:class:`~adjudicate.results.TableResult`, a tidy DataFrame, :func:`adjudicate.pairwise_kappa`'s
table, :func:`adjudicate.compare_nlp`'s comparison) and draws or formats it.

- :mod:`adjudicate.report.figures` -- matplotlib figures (each returns its ``Figure``);
- :mod:`adjudicate.report.tables` -- wide "estimate (low-high)" tables as Markdown, LaTeX, HTML.
"""

from .figures import forest_plot, kappa_heatmap, prevalence_plot, reference_forest_plot, roc_plot
from .tables import format_table, wide_table

__all__ = ["forest_plot", "format_table", "kappa_heatmap", "prevalence_plot",
           "reference_forest_plot", "roc_plot", "wide_table"]
