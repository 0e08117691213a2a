"""Reference standards beyond a single vote: the Dawid-Skene latent-class reference, named
reference definitions, soft-reference metrics, and the sensitivity of a rater's accuracy to
the choice among them."""

from .dawid_skene import DawidSkene, dawid_skene, replicate_weights
from .definitions import DEFINITIONS, ReferenceDefinition, build_definitions
from .sensitivity import reference_agreement, sensitivity_analysis
from .soft import soft_auc, soft_confusion_cells

__all__ = [
    "DEFINITIONS",
    "DawidSkene",
    "ReferenceDefinition",
    "build_definitions",
    "dawid_skene",
    "reference_agreement",
    "replicate_weights",
    "sensitivity_analysis",
    "soft_auc",
    "soft_confusion_cells",
]
