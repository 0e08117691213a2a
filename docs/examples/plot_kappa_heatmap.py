"""
Reader x reader kappa
=====================

Cohen's kappa of every pair of the five all-findings readers, per finding (below the
diagonal), and the number of images each pair read (above it).
"""

import adjudicate as adj
from adjudicate.report import kappa_heatmap

ds = adj.load_dataset("all_findings")
fig = kappa_heatmap(adj.pairwise_kappa(ds.ratings))
