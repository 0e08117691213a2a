"""
ROC curve with reader operating points
======================================

A model's ROC curve with a pointwise band, and each radiologist's operating point against
the majority of the other readers, with its interval as a cross. The model here is
simulated (scores from a binormal model on the published Pneumothorax labels); the readers
are the real all-findings readers.
"""

import numpy as np
import pandas as pd

import adjudicate as adj
from adjudicate.report import roc_plot

cmp = adj.compare_nlp("all_findings", n_resamples=100, seed=1, method="percentile")
t = cmp.table
readers = t[(t.reference == "leave-one-out") & (t.finding == "Pneumothorax")]

# a simulated model: binormal scores, separation 2 SD, on the published labels
ds = adj.load_dataset("all_findings")
positive = (ds.labels["Pneumothorax"] == "YES").to_numpy()
rng = np.random.default_rng(0)
scores = rng.normal(size=positive.size) + 2.0 * positive

thresholds = np.r_[np.inf, np.sort(scores)[::-1]]
tpr = np.array([(scores[positive] >= c).mean() for c in thresholds])
fpr = np.array([(scores[~positive] >= c).mean() for c in thresholds])
n1 = positive.sum()
half = 1.96 * np.sqrt(tpr * (1 - tpr) / n1)  # pointwise binomial band, for illustration
curve = pd.DataFrame({"model": "simulated model", "fpr": fpr, "tpr": tpr,
                      "tpr_low": np.clip(tpr - half, 0, 1),
                      "tpr_high": np.clip(tpr + half, 0, 1),
                      "auc": np.trapezoid(tpr, fpr)})
fig = roc_plot(curve, readers, title="Pneumothorax")
