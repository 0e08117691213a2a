"""Functions of heavy modules, imported on their first call, so ``import adjudicate`` stays light.

``scipy.special`` costs about half a second to import (it pulls in parts of ``scipy.stats``);
the package needs only the standard normal CDF and quantile from it, and only once a
statistic is computed. Same functions, same numbers: these wrappers call scipy's.
"""

from __future__ import annotations

__all__ = ["ndtr", "ndtri"]


def ndtr(x):
    """Standard normal CDF, :func:`scipy.special.ndtr` (imported on first use).

    Examples
    --------
    >>> float(ndtr(0.0))
    0.5
    """
    from scipy.special import ndtr as function
    return function(x)


def ndtri(p):
    """Standard normal quantile, :func:`scipy.special.ndtri` (imported on first use).

    Examples
    --------
    >>> round(float(ndtri(0.975)), 6)
    1.959964
    """
    from scipy.special import ndtri as function
    return function(p)

