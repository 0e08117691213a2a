"""
Agreement across findings
=========================

Fleiss' kappa, Krippendorff's alpha and Gwet's AC1 for each all-findings column, with
patient-clustered bootstrap intervals (200 resamples here; use 2,000 or more for a paper).
Kappa and alpha are low for rare findings although AC1 is high: chance agreement on NO is
already high when few images are positive.
"""

import adjudicate as adj
from adjudicate.report import forest_plot

ds = adj.load_dataset("all_findings")
table = adj.agreement_table(ds.ratings, statistics=["fleiss_kappa", "krippendorff_alpha",
                                                    "gwet_ac1"],
                            ci="bootstrap", n_resamples=200, seed=1)
fig = forest_plot(table)
