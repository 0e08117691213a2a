"""Reference standards by vote: majority vote over a reader panel, HEDGE and tie policies,
and the all-findings "Other" rule.

Every label comes with a record of how it was decided (``VoteResult.decisions``), so a
reference standard can be audited unit by unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from .ratings import Ratings, as_ratings, positive_category
from .resample import _check_seed, _fresh_seed, _sorted_codes

__all__ = [
    "BINARY_HEDGE_POLICIES",
    "HEDGE_POLICIES",
    "TIE_POLICIES",
    "OtherRule",
    "VoteResult",
    "apply_hedge",
    "check_policy",
    "decide",
    "majority_vote",
]

HEDGE_POLICIES = ("negative", "positive", "missing", "category")
"""What a HEDGE read counts as: NO, YES, not read at all, or its own middle category."""
BINARY_HEDGE_POLICIES = tuple(p for p in HEDGE_POLICIES if p != "category")
"""The HEDGE policies that leave two categories (NO/YES): 2x2 statistics, binary labels."""
TIE_POLICIES = ("negative", "positive", "missing", "random")
"""What a tied vote gives: NO (lowest category), YES (highest), no label, a seeded pick."""
HedgePolicy = Literal["negative", "positive", "missing", "category"]
TiePolicy = Literal["negative", "positive", "missing", "random"]


def check_policy(value, kind: Literal["hedge", "ties"]) -> str:
    """Validate a HEDGE or tie policy name (the one vocabulary of every function and the CLI).

    Examples
    --------
    >>> check_policy("missing", "ties")
    'missing'
    >>> check_policy("abstain", "hedge")
    Traceback (most recent call last):
    ...
    ValueError: hedge must be one of ('negative', 'positive', 'missing', 'category'), got 'abstain' (renamed 'missing')
    """
    allowed = HEDGE_POLICIES if kind == "hedge" else TIE_POLICIES
    if value not in allowed:
        hint = " (renamed 'missing')" if value == "abstain" else ""
        raise ValueError(f"{kind} must be one of {allowed}, got {value!r}{hint}")
    return value

NO_LABEL = -1


@dataclass(frozen=True)
class OtherRule:
    """The all-findings rule for ``Other`` (Nabulsi et al. 2021, dataset README).

    ``Other`` is positive if a majority marked Other, or if a majority marked the image
    abnormal but no single finding has a majority.

    Parameters
    ----------
    other : str
        The finding the rule decides.
    abnormal : str
        The normal/abnormal finding.
    findings : sequence of str, optional
        The specific findings; default: every finding except ``other`` and ``abnormal``.
    """

    other: str = "Other"
    abnormal: str = "Abnormal"
    findings: tuple | None = None


@dataclass(frozen=True)
class VoteResult:
    """A reference standard built by vote.

    Attributes
    ----------
    labels : DataFrame
        Units x findings, the category label or ``None`` where no label was decided.
    decisions : DataFrame
        One row per (unit, finding): ``label``, ``rule`` (how it was decided: unanimous,
        majority, plurality, single read, tie -> ..., too few reads, no reads, other rule),
        ``n_reads`` and the count of votes per category.
    policy : dict
        The options used (readers, hedge, ties, seed, min_reads, other rule).
    codes : ndarray
        Units x findings category codes of ``labels`` (-1 = no label).
    """

    labels: pd.DataFrame
    decisions: pd.DataFrame
    policy: dict
    codes: np.ndarray = field(repr=False)
    categories: tuple = ()
    clusters: np.ndarray | None = field(default=None, repr=False)

    def to_ratings(self, reader: str = "majority") -> Ratings:
        """The labels as a one-reader :class:`~adjudicate.Ratings` (no label = missing)."""
        return Ratings(
            codes=self.codes[:, None, :], categories=self.categories, units=self.labels.index,
            readers=pd.Index([reader]), findings=self.labels.columns, clusters=self.clusters,
            positive=positive_category(self.categories),
        )

    def summary(self) -> pd.DataFrame:
        """How many labels each rule decided, per finding (findings x rules)."""
        return (self.decisions.groupby(["finding", "rule"], sort=False).size()
                .unstack(fill_value=0))


def majority_vote(ratings, readers=None, *, hedge: HedgePolicy = "negative",
                  ties: TiePolicy = "missing", seed=None, min_reads: int = 1,
                  other_rule: OtherRule | bool | None = None) -> VoteResult:
    """Majority (plurality) vote of a reader panel, for every unit and finding at once.

    The label of a unit is the category with the most votes among the panel's reads; with two
    categories that is the majority. A rule column records how each label was decided.

    Parameters
    ----------
    ratings : Ratings or array-like
        A :class:`~adjudicate.Ratings`, or a units x raters array (one finding).
    readers : sequence, optional
        The panel: reader ids to vote (default: all readers).
    hedge : {"negative", "positive", "missing", "category"}
        What a HEDGE read counts as: NO (default: a reference standard asks for positive
        evidence), YES, no vote at all (the read is dropped, as if missing), or a category of
        its own that can win the vote. Ignored when there is no HEDGE category.
    ties : {"missing", "negative", "positive", "random"}
        When categories share the top count: no label (default), the lowest-ordered tied
        category (NO), the highest-ordered (YES), or a uniform seeded pick among the tied.
    seed : int or numpy Generator, optional
        For ``ties="random"``; the same seed gives the same labels, whatever the order of the
        units (each unit's draw is keyed by the sorted order of the unit ids). Without one a
        seed is drawn and recorded in ``policy["seed"]``.
    min_reads : int
        Units with fewer (non-abstaining) reads than this get no label ("too few reads").
    other_rule : OtherRule or bool, optional
        Apply the all-findings Other rule after the vote (``True`` = default column names).

    Returns
    -------
    VoteResult

    References
    ----------
    Nabulsi Z. et al. (2021), Scientific Reports; the all-findings dataset README describes the
    majority vote of three ground-truth readers and the Other rule.

    Examples
    --------
    >>> v = majority_vote([["YES", "YES", "NO"], ["NO", "YES", None], ["NO", "NO", "NO"]])
    >>> v.labels[0].tolist()
    ['YES', None, 'NO']
    >>> v.decisions["rule"].tolist()
    ['majority', 'tie -> no label', 'unanimous']
    >>> majority_vote([["NO", "YES"]], ties="positive").labels[0].tolist()
    ['YES']
    """
    r = as_ratings(ratings)
    check_policy(ties, "ties")
    if ties == "random":
        seed = _fresh_seed(seed)
    if min_reads < 1:
        raise ValueError("min_reads must be at least 1")
    if readers is not None:
        r = r.select(readers=readers)
    r = apply_hedge(r, hedge)
    counts = r.counts()  # (U, F, K)
    n_reads = counts.sum(axis=2)
    top = counts.max(axis=2)
    label, tie = decide(counts, ties=ties, seed=seed, units=r.units)
    too_few = (n_reads < min_reads) & (n_reads > 0)
    label = np.where(too_few, NO_LABEL, label)

    cats = np.asarray(r.categories, dtype=object)
    rule = np.select(
        [n_reads == 0, too_few, tie, n_reads == 1, top == n_reads, 2 * top > n_reads],
        ["no reads", "too few reads", "tie", "single read", "unanimous", "majority"],
        default="plurality",
    ).astype(object)
    if tie.any():
        picked = np.where(label >= 0, cats[np.maximum(label, 0)], "no label")
        how = {"missing": "", "negative": " (lowest)", "positive": " (highest)",
               "random": " (random)"}[ties]
        rule[tie] = [f"tie -> {p}{how}" for p in picked[tie]]  # only the tied cells

    label, rule = _apply_other_rule(other_rule, r, label, rule)

    labels_obj = np.where(label >= 0, cats[np.maximum(label, 0)], None)
    labels = pd.DataFrame(labels_obj, index=r.units, columns=r.findings, dtype=object)
    u, f = np.indices(label.shape)
    decisions = pd.DataFrame({
        "unit": r.units[u.ravel()], "finding": r.findings[f.ravel()],
        "label": labels_obj.ravel(), "rule": rule.ravel(), "n_reads": n_reads.ravel(),
    })
    for j, c in enumerate(r.categories):
        decisions[f"n_{c}"] = counts[..., j].ravel()
    policy = {"readers": [str(x) for x in r.readers], "hedge": hedge, "ties": ties,
              "seed": _recordable(seed) if ties == "random" else None, "min_reads": min_reads,
              "other_rule": None if not other_rule else _rule_of(other_rule).__dict__}
    return VoteResult(labels=labels, decisions=decisions, policy=policy, codes=label.astype(np.int8),
                      categories=r.categories, clusters=r.clusters)


def apply_hedge(ratings: Ratings, hedge: HedgePolicy, *, keep_category: bool = True) -> Ratings:
    """Recode HEDGE reads by a policy before a vote.

    The one home of HEDGE recoding (votes, agreement views, 2x2 comparisons):
    ``"negative"`` -> NO, ``"positive"`` -> YES, ``"missing"`` -> missing (the read is not a
    vote), ``"category"`` -> unchanged. With ``keep_category=False`` the recoded vocabulary
    drops HEDGE. Ratings without a HEDGE category are returned as they are.

    Examples
    --------
    >>> r = Ratings.from_array([["YES", "HEDGE"]], categories=["NO", "HEDGE", "YES"])
    >>> apply_hedge(r, "positive").counts()[0, 0].tolist()    # NO, HEDGE, YES
    [0, 0, 2]
    >>> apply_hedge(r, "missing", keep_category=False).categories
    ('NO', 'YES')
    """
    check_policy(hedge, "hedge")
    if "HEDGE" not in ratings.categories or hedge == "category":
        return ratings
    target = {"negative": "NO", "positive": "YES", "missing": None}[hedge]
    if target is not None and target not in ratings.categories:
        raise ValueError(f"hedge={hedge!r} needs a {target!r} category; categories are "
                         f"{ratings.categories}")
    return ratings.recode({"HEDGE": target}, drop_unused=not keep_category)


def decide(counts: np.ndarray, *, ties: TiePolicy = "missing", seed=None, units=None
           ) -> tuple[np.ndarray, np.ndarray]:
    """The label a vote gives, from category counts ``(..., n_categories)``.

    The category with the most votes wins (with two categories, the majority). When two or
    more share the top count, ``ties`` decides: no label (``"missing"``), the lowest-ordered
    tied category (``"negative"``), the highest (``"positive"``), or a uniform seeded pick
    among the tied (``"random"``). Vectorized over all leading axes.

    ``units`` (one id per entry of the first axis) keys the random draws by the sorted order
    of the ids, so the same seed breaks the same ties whatever the order of the rows.

    Returns
    -------
    label : ndarray of int
        Winning category index, -1 where nobody voted or a tie was left without a label.
    tie : ndarray of bool
        Where the top count was shared.

    Examples
    --------
    >>> label, tie = decide(np.array([[2, 1], [1, 1], [0, 0]]))
    >>> label.tolist(), tie.tolist()
    ([0, -1, -1], [False, True, False])
    >>> decide(np.array([[1, 1]]), ties="positive")[0].tolist()
    [1]
    """
    check_policy(ties, "ties")
    counts = np.asarray(counts)
    top = counts.max(axis=-1, keepdims=True)
    is_top = (counts == top) & (top > 0)
    n_top = is_top.sum(axis=-1)
    tie = n_top > 1
    label = np.where(n_top == 1, counts.argmax(axis=-1), NO_LABEL)
    if ties == "negative":
        pick = is_top.argmax(axis=-1)
    elif ties == "positive":
        pick = counts.shape[-1] - 1 - is_top[..., ::-1].argmax(axis=-1)
    elif ties == "random":
        draw = np.random.default_rng(_check_seed(seed)).random(counts.shape)  # seed named
        if units is not None:  # row i takes the draw of its id's rank: order-free
            ranks, _ = _sorted_codes(units)
            draw = draw[ranks]
        pick = np.where(is_top, draw, -1.0).argmax(axis=-1)
    else:
        pick = NO_LABEL
    return np.where(tie, pick, label), tie


def _recordable(seed):
    """A seed as it can be written down (a Generator cannot be: None)."""
    return None if isinstance(seed, np.random.Generator) else seed


def _rule_of(other_rule) -> OtherRule:
    return OtherRule() if other_rule is True else other_rule


def _apply_other_rule(other_rule, r: Ratings, label: np.ndarray, rule: np.ndarray):
    if not other_rule:
        return label, rule
    spec = _rule_of(other_rule)
    if r.positive is None:
        raise ValueError("the Other rule needs a positive category (YES)")
    pos = r.categories.index(r.positive)
    names = list(r.findings)
    for col in (spec.other, spec.abnormal):
        if col not in names:
            raise KeyError(f"the Other rule needs a finding {col!r}; findings are {names}")
    specific = spec.findings or [n for n in names if n not in (spec.other, spec.abnormal)]
    fi = r.findings.get_indexer(list(specific))
    if (fi < 0).any():
        raise KeyError(f"unknown findings in the Other rule: {list(np.asarray(specific)[fi < 0])}")
    o, a = names.index(spec.other), names.index(spec.abnormal)
    abnormal_only = (label[:, a] == pos) & ~(label[:, fi] == pos).any(axis=1)
    label = label.copy()
    rule = rule.copy()
    newly = abnormal_only & (label[:, o] != pos)
    label[abnormal_only, o] = pos
    rule[newly, o] = "other rule: abnormal, no finding with a majority"
    return label, rule
