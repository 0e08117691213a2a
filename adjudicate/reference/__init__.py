"""Reference standards beyond a single vote: the Dawid-Skene latent-class reference, named
reference definitions, and the sensitivity of a rater's accuracy to the choice among them."""

from .dawid_skene import DawidSkene, dawid_skene

__all__ = ["DawidSkene", "dawid_skene"]
