"""Policy names of the brief (``"missing"``), mapped to the names :mod:`adjudicate.vote` takes.

The vocabulary renames the HEDGE/tie policy ``"abstain"`` to ``"missing"``; until that lands
in :mod:`adjudicate.vote`, the reference package speaks the new name and translates here (one
place to delete once vote.py accepts ``"missing"``).
"""

from __future__ import annotations

from .. import vote

HEDGE_POLICIES = ("negative", "positive", "missing", "category")
TIE_POLICIES = ("negative", "positive", "missing", "random")


def vote_name(policy: str) -> str:
    """The name :mod:`adjudicate.vote` accepts for a HEDGE or tie policy."""
    if policy == "missing" and "missing" not in vote.HEDGE_POLICIES:
        return "abstain"
    return policy


def check(policy: str, allowed: tuple, what: str) -> str:
    if policy not in allowed:
        raise ValueError(f"{what} must be one of {allowed}, got {policy!r}")
    return policy
