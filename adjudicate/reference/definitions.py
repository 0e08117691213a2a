"""Named reference definitions: the same images, different reference standards.

A reference standard is a choice: which readers vote, what HEDGE counts as, how ties break,
whether only unanimous images count, or whether the truth is estimated from all reads by a
latent-class model. Each definition here produces one label per unit and finding (``None``
where it decides nothing) and a per-unit decision record, so the analyses of
:mod:`adjudicate.reference.sensitivity` can set them side by side.

The vote-based definitions are :func:`adjudicate.majority_vote` with the policies named in
the definition; the baseline ``majority`` counts HEDGE as NO and leaves ties without a label
(so it is also "HEDGE as NO" and "ties excluded"), and each variant changes one policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..ratings import Ratings
from ..vote import OtherRule, majority_vote
from .dawid_skene import DawidSkene

__all__ = ["DEFINITIONS", "ReferenceDefinition", "build_definitions", "definition"]


@dataclass(frozen=True)
class ReferenceDefinition:
    """One reference standard: labels, how each was decided, and what it is.

    Attributes
    ----------
    name : str
        Short name (the ``reference`` column of tables), e.g. ``"majority"``.
    description : str
        One sentence: what the definition does.
    labels : DataFrame
        Units x findings, ``"YES"``/``"NO"`` or ``None`` where the definition gives no label.
    decisions : DataFrame
        One row per (unit, finding): ``label``, ``rule`` (how it was decided), ``n_reads`` and,
        for the latent-class definitions, ``probability`` (posterior of YES).
    probability : DataFrame or None
        Units x findings probability of YES for a soft reference (Dawid-Skene soft), else None.
    policy : dict
        The options (panel, HEDGE and tie policies, seed...).
    model : DawidSkene or None
        The fitted latent-class model of the Dawid-Skene definitions.
    """

    name: str
    description: str
    labels: pd.DataFrame
    decisions: pd.DataFrame
    probability: pd.DataFrame | None = None
    policy: dict = field(default_factory=dict)
    model: DawidSkene | None = field(default=None, repr=False)

    @property
    def soft(self) -> bool:
        """Whether the reference is a probability per unit rather than a label."""
        return self.probability is not None

    def unlabelled_share(self) -> pd.Series:
        """Share of units without a label, per finding."""
        if self.soft:
            return self.probability.isna().mean()
        return self.labels.isna().mean()

    def to_ratings(self) -> Ratings:
        """The labels as a one-reader :class:`~adjudicate.Ratings` named after the definition."""
        return Ratings.from_labels(self.labels, reader=self.name, categories=("NO", "YES"))


def _from_vote(name, description, vote, **policy) -> ReferenceDefinition:
    return ReferenceDefinition(name=name, description=description, labels=vote.labels,
                               decisions=vote.decisions, policy={**vote.policy, **policy})


def _vote(ratings, name, description, *, readers=None, hedge="negative", ties="missing",
          seed=None, other_rule=None):
    vote = majority_vote(ratings, readers=readers, hedge=hedge,
                         ties=ties, seed=seed, other_rule=other_rule)
    policy = {"hedge": hedge, "ties": ties}
    return _from_vote(name, description, vote, **policy)


def _unanimous(ratings, name, description, *, readers=None, hedge="negative"):
    vote = majority_vote(ratings, readers=readers, hedge=hedge,
                         ties="missing")
    keep = (vote.decisions["rule"] == "unanimous").to_numpy().reshape(vote.labels.shape)
    labels = vote.labels.where(keep, None)
    dec = vote.decisions.copy()
    dec.loc[~keep.ravel(), "label"] = None
    dec.loc[~keep.ravel() & dec["rule"].ne("no reads"), "rule"] = "not unanimous"
    return ReferenceDefinition(name=name, description=description, labels=labels,
                               decisions=dec, policy={**vote.policy, "hedge": hedge,
                                                      "unanimous": True})


def _dawid_skene(model: DawidSkene, name, description, *, soft: bool):
    labels = model.labels_
    prob = model.probability_
    dec = pd.DataFrame({
        "unit": np.repeat(labels.index.to_numpy(), labels.shape[1]),
        "finding": np.tile(labels.columns.to_numpy(dtype=object), labels.shape[0]),
        "label": labels.to_numpy().ravel(),
        "probability": prob.to_numpy().ravel(),
        "n_reads": model.ratings_.n_reads().ravel(),
    })
    dec.insert(3, "rule", np.where(dec["n_reads"] == 0, "no reads",
                                   "posterior probability" if soft else "most probable class"))
    policy = {"hedge": model.hedge, "n_starts": model.n_starts, "seed": model.seed_,
              "smoothing": model.smoothing, "readers": [str(r) for r in model.reader_ids_]}
    return ReferenceDefinition(name=name, description=description, labels=labels,
                               decisions=dec, probability=prob if soft else None,
                               policy=policy, model=model)


DEFINITIONS = {
    "published": "The published reference standard (four findings: adjudicated by three "
                 "readers; all findings: majority of the ground-truth readers + Other rule).",
    "majority-ground-truth": "Majority of the three ground-truth readers with the Other rule "
                             "(all findings; reproduces the published labels).",
    "majority": "Majority of all readers of each image; HEDGE counts as NO, ties give no "
                "label (so also 'HEDGE as NO' and 'ties excluded').",
    "hedge-positive": "Majority of all readers, HEDGE counts as YES (ties: no label).",
    "hedge-missing": "Majority of all readers, HEDGE reads dropped (ties: no label).",
    "ties-negative": "Majority of all readers (HEDGE as NO), ties broken to NO.",
    "ties-positive": "Majority of all readers (HEDGE as NO), ties broken to YES.",
    "ties-random": "Majority of all readers (HEDGE as NO), ties broken by a seeded coin.",
    "unanimous": "Only images where every reader agrees (HEDGE as NO); others unlabelled.",
    "dawid-skene-hard": "Dawid-Skene latent class fitted to all reads; the most probable "
                        "class (HEDGE as NO).",
    "dawid-skene-soft": "Dawid-Skene latent class fitted to all reads; the posterior "
                        "probability of YES as an expected-value reference (HEDGE as NO).",
}
"""Every definition's name and description, in table order."""


def definition(name: str) -> str:
    """The description of a named definition.

    Examples
    --------
    >>> definition("ties-random")
    'Majority of all readers (HEDGE as NO), ties broken by a seeded coin.'
    """
    if name not in DEFINITIONS:
        raise KeyError(f"unknown reference definition {name!r}; known: {list(DEFINITIONS)}")
    return DEFINITIONS[name]


def build_definitions(ratings: Ratings, *, published: pd.DataFrame | None = None,
                      names=None, exclude_readers=(), ground_truth_readers=None,
                      other_rule: OtherRule | bool | None = None, seed=None,
                      dawid_skene: DawidSkene | None = None) -> dict[str, ReferenceDefinition]:
    """Build the named reference definitions of one set of reads.

    Parameters
    ----------
    ratings : Ratings
        All reads (units x readers x findings).
    published : DataFrame, optional
        The published labels (units x findings); without them there is no ``"published"``.
    names : sequence of str, optional
        Which definitions (default: every one of :data:`DEFINITIONS` that applies: the HEDGE
        variants only when reads can be HEDGE, ``"majority-ground-truth"`` only with
        ``ground_truth_readers``).
    exclude_readers : sequence
        Readers left out of every panel and of the latent-class fit -- the reader being
        graded, so that no reference holds the rater's own read.
    ground_truth_readers : sequence, optional
        The panel of ``"majority-ground-truth"`` (e.g. :data:`adjudicate.GROUND_TRUTH_READERS`).
    other_rule : OtherRule or bool, optional
        The all-findings Other rule, applied in ``"majority-ground-truth"``.
    seed : int, optional
        For ``"ties-random"`` and the Dawid-Skene starts.
    dawid_skene : DawidSkene, optional
        An unfitted model with the options to use (default: ``DawidSkene(seed=seed)``); it is
        fitted here on the panel.

    Returns
    -------
    dict of name -> ReferenceDefinition

    Examples
    --------
    >>> r = Ratings.from_array([["YES", "YES", "NO"], ["NO", "YES", None], ["NO", "NO", "NO"],
    ...                         ["YES", "YES", "YES"]])
    >>> defs = build_definitions(r, names=["majority", "ties-positive", "unanimous"])
    >>> {k: d.labels[0].tolist() for k, d in defs.items()}     # doctest: +NORMALIZE_WHITESPACE
    {'majority': ['YES', None, 'NO', 'YES'], 'ties-positive': ['YES', 'YES', 'NO', 'YES'],
     'unanimous': [None, None, 'NO', 'YES']}
    """
    has_hedge = "HEDGE" in ratings.categories and bool(
        (ratings.codes == ratings.categories.index("HEDGE")).any())
    if names is None:
        names = [n for n in DEFINITIONS
                 if not (n == "published" and published is None)
                 and not (n == "majority-ground-truth" and ground_truth_readers is None)
                 and not (n.startswith("hedge-") and not has_hedge)]
    unknown = [n for n in names if n not in DEFINITIONS]
    if unknown:
        raise KeyError(f"unknown reference definition(s) {unknown}; known: {list(DEFINITIONS)}")
    excluded = {str(x) for x in exclude_readers}
    panel = [r for r in ratings.readers if str(r) not in excluded]
    if len(panel) == 0:
        raise ValueError("no reader is left to build a reference from")
    readers = panel if excluded else None
    out = {}
    model = None
    for name in names:
        text = DEFINITIONS[name]
        if name == "published":
            if published is None:
                raise ValueError("the 'published' definition needs the published labels")
            labels = published.reindex(index=ratings.units, columns=ratings.findings)
            labels = labels.astype(object).where(labels.notna(), None)
            dec = labels.stack(future_stack=True).rename("label").reset_index()
            dec.columns = ["unit", "finding", "label"]
            dec["rule"] = np.where(dec["label"].isna(), "not in the published file", "published")
            out[name] = ReferenceDefinition(name, text, labels, dec, policy={"source": "file"})
        elif name == "majority-ground-truth":
            gt = [r for r in ground_truth_readers if str(r) not in excluded]
            out[name] = _vote(ratings, name, text, readers=gt, other_rule=other_rule)
        elif name == "majority":
            out[name] = _vote(ratings, name, text, readers=readers)
        elif name.startswith("hedge-"):
            out[name] = _vote(ratings, name, text, readers=readers, hedge=name[6:])
        elif name.startswith("ties-"):
            out[name] = _vote(ratings, name, text, readers=readers, ties=name[5:], seed=seed)
        elif name == "unanimous":
            out[name] = _unanimous(ratings, name, text, readers=readers)
        else:  # dawid-skene-hard / -soft share one fit
            if model is None:
                model = dawid_skene if dawid_skene is not None else DawidSkene(seed=seed)
                model.fit(ratings.select(readers=panel) if excluded else ratings)
            out[name] = _dawid_skene(model, name, text, soft=name.endswith("soft"))
    return out
