"""
Prevalence by source
====================

The share of images each reader (grey), the published reference and the NIH NLP labels call
positive, per finding. The NLP labels call fewer images positive than the radiologists for
most findings.
"""

import adjudicate as adj
from adjudicate.report import prevalence_plot

cmp = adj.compare_nlp("all_findings", n_resamples=100, seed=1, method="percentile")
fig = prevalence_plot(cmp)
