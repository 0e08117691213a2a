"""Moved: the 2x2 statistics of a rater against a reference live in :mod:`adjudicate.compare`.

This module only re-exports them so that ``from adjudicate.accuracy import ...`` keeps
working while other code moves to ``adjudicate.compare``.
"""

from .compare import *
from .compare import __all__  # noqa: F401
