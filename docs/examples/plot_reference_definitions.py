"""
How much the NLP labels' accuracy depends on the reference standard
===================================================================

The NIH NLP labels graded against every reference definition of the all-findings images
(:func:`adjudicate.sensitivity_analysis`): the published labels, majority votes of the
ground-truth or of all readers, HEDGE and tie policies, images where all readers agree, and
the latent-class (Dawid-Skene) reference, hard and soft. Intervals from 40 patient resamples
with the latent-class model refitted on each (one EM start) to keep the page fast; use
``n_resamples=2000`` for a paper.

The published labels and the ground-truth majority coincide (the published standard is that
vote); "unanimous" keeps only the images all readers agree on -- the easy ones -- so the
sensitivity it gives is the highest, with a share of images left without a label beside it.
"""

import adjudicate as adj
from adjudicate.report import reference_forest_plot

result = adj.sensitivity_analysis("all_findings", rater="nlp", n_resamples=40, seed=1,
                                  dawid_skene={"n_starts": 1})
fig = reference_forest_plot(result, statistic="sensitivity",
                            findings=["Abnormal", "Atelectasis", "Cardiomegaly", "Nodule"])

# %%
# The table behind the figure, one row per definition (Cardiomegaly):

t = result.table
print(t[(t.finding == "Cardiomegaly") & (t.statistic == "sensitivity")]
      [["reference", "estimate", "ci_low", "ci_high", "n_units", "unlabelled_share"]]
      .round(3).to_string(index=False))
