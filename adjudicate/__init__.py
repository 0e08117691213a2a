"""adjudicate: label adjudication and reader-agreement statistics.

The public API, re-exported from the modules that hold each idea; see the README for a tour.
"""

from ._errors import InputError
from .ratings import MISSING, Ratings, as_ratings

__all__ = ["InputError", "MISSING", "Ratings", "as_ratings"]

# --- io, datasets, votes (issue 2) ---

# --- agreement (issue 3) ---

# --- resampling (issue 4) ---

# --- accuracy against a reference (issue 4) ---

__version__ = "0.1.0"
