"""Rebuild the published NIH reference standards from the individual reads.

* all findings: majority vote of the three ground-truth readers plus the Other rule gives the
  published ``test_labels.csv`` exactly (:func:`reproduce_all_findings`);
* four findings: the published labels came from iterative adjudication, so a majority vote of
  the initial reads cannot match them exactly; :func:`compare_four_findings` measures how
  close it comes, per finding and split, and lists the units that differ.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .datasets import Dataset, load_dataset
from .io.labels import format_labels
from .io.schemas import load_schema
from .vote import OtherRule, majority_vote

__all__ = [
    "GROUND_TRUTH_READERS",
    "FourFindingsComparison",
    "compare_four_findings",
    "compare_label_tables",
    "reproduce_all_findings",
]

GROUND_TRUTH_READERS = tuple(
    load_schema("nih_all_findings_readers").documented["ground_truth_readers"])
"""The three all-findings readers chosen at random as ground truth (dataset README)."""


def reproduce_all_findings(dataset: Dataset | None = None, *,
                           readers=GROUND_TRUTH_READERS) -> pd.DataFrame:
    """Rebuild the all-findings reference standard in the published file's layout.

    Majority vote of ``readers`` for Abnormal and each of the 14 findings, and the Other
    rule. With the default ground-truth readers the result equals the published
    ``test_labels.csv`` cell for cell, row for row.

    Parameters
    ----------
    dataset : Dataset, optional
        Default: the bundled all-findings data.
    readers : sequence of str
        The voting panel.

    Returns
    -------
    DataFrame
        Columns, order, spelling and row order of the published file; write it with
        :func:`adjudicate.io.write_labels`.

    Examples
    --------
    >>> from adjudicate.io import write_labels
    >>> from adjudicate.datasets import dataset_path
    >>> text = write_labels(reproduce_all_findings())
    >>> text == dataset_path("all_findings", "labels").read_text()
    True
    """
    ds = dataset or load_dataset("all_findings")
    vote = majority_vote(ds.ratings, readers=list(readers), other_rule=OtherRule())
    return format_labels(vote.labels, ds.ratings.clusters, format="nih_all_findings_labels")


def compare_label_tables(ours: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Per-column mismatch table of two label tables with the same layout.

    Rows are aligned on the first column (the unit id); rows present in only one table
    are counted, not dropped.

    Returns
    -------
    DataFrame
        One row per column: ``n_compared``, ``n_mismatch``, ``n_only_ours``,
        ``n_only_published``, and ``first_mismatch`` (a unit id).

    Examples
    --------
    >>> a = pd.DataFrame({"id": ["u1", "u2"], "X": ["YES", "NO"]})
    >>> b = pd.DataFrame({"id": ["u1", "u2"], "X": ["YES", "YES"]})
    >>> compare_label_tables(a, b)[["column", "n_mismatch", "first_mismatch"]].to_dict("records")
    [{'column': 'X', 'n_mismatch': 1, 'first_mismatch': 'u2'}]
    """
    key = ours.columns[0]
    if key != published.columns[0]:
        raise ValueError(f"tables are keyed differently: {key!r} vs {published.columns[0]!r}")
    a = ours.set_index(key).astype(str)
    b = published.set_index(key).astype(str)
    both = a.index.intersection(b.index)
    rows = []
    for col in [c for c in b.columns] + [c for c in a.columns if c not in b.columns]:
        if col not in a.columns or col not in b.columns:
            rows.append({"column": col, "n_compared": 0, "n_mismatch": np.nan,
                         "n_only_ours": len(a) - len(both), "n_only_published": len(b) - len(both),
                         "first_mismatch": "column missing in " + ("ours" if col not in a.columns
                                                                  else "published")})
            continue
        diff = a.loc[both, col] != b.loc[both, col]
        rows.append({"column": col, "n_compared": len(both), "n_mismatch": int(diff.sum()),
                     "n_only_ours": len(a) - len(both), "n_only_published": len(b) - len(both),
                     "first_mismatch": diff.index[diff.to_numpy()][0] if diff.any() else ""})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class FourFindingsComparison:
    """Majority vote of initial reads vs the adjudicated four-findings labels.

    Attributes
    ----------
    table : DataFrame
        One row per (split, finding): units, labels decided, agreement with the published
        label, YES/NO disagreements, ties and units without a label, and prevalence of each.
    differences : DataFrame
        One row per (unit, finding) where the vote differs from the published label or
        gave no label: the split, vote, published label, rule and the vote counts.
    decisions : DataFrame
        The vote's per-unit record for every unit and finding.
    policy : dict
        Hedge and tie policies used.
    """

    table: pd.DataFrame
    differences: pd.DataFrame
    decisions: pd.DataFrame
    policy: dict


def compare_four_findings(dataset: Dataset | None = None, *, hedge="negative",
                          ties="missing", seed=None, min_reads: int = 1
                          ) -> FourFindingsComparison:
    """Compare a majority vote of the four-findings initial reads with the adjudicated labels.

    Parameters
    ----------
    dataset : Dataset, optional
        Default: the bundled four-findings data.
    hedge, ties, seed, min_reads
        Vote policies; see :func:`adjudicate.majority_vote`.

    Returns
    -------
    FourFindingsComparison

    Examples
    --------
    >>> c = compare_four_findings()
    >>> row = c.table.query("split == 'all' and finding == 'Fracture'").iloc[0]
    >>> int(row["n_units"]), int(row["n_differ"])
    (4376, 130)
    """
    ds = dataset or load_dataset("four_findings")
    vote = majority_vote(ds.ratings, hedge=hedge, ties=ties, seed=seed, min_reads=min_reads)
    dec = vote.decisions.copy()
    split = ds.ratings.meta["set"].map({"test": "test", "val": "validation"})
    dec.insert(1, "split", np.repeat(split.to_numpy(), ds.ratings.n_findings))
    pub = ds.labels.stack(future_stack=True)
    dec["published"] = pub.reindex(pd.MultiIndex.from_arrays([dec["unit"], dec["finding"]])
                                   ).to_numpy()
    labelled = dec["label"].notna() & dec["published"].notna()
    dec["agree"] = labelled & (dec["label"] == dec["published"])
    dec["is_tie"] = dec["rule"].str.startswith("tie")
    dec["no_label"] = dec["label"].isna()
    dec["vote_yes"] = dec["label"] == "YES"
    dec["pub_yes"] = dec["published"] == "YES"
    dec["labelled"] = labelled
    dec["yes_no"] = labelled & (dec["label"] == "YES") & (dec["published"] == "NO")
    dec["no_yes"] = labelled & (dec["label"] == "NO") & (dec["published"] == "YES")

    parts = [dec, dec.assign(split="all")]
    g = pd.concat(parts).groupby(["split", "finding"], sort=False)
    table = pd.DataFrame({
        "n_units": g.size(),
        "n_labelled": g["labelled"].sum(),
        "n_agree": g["agree"].sum(),
        "n_differ": g["yes_no"].sum() + g["no_yes"].sum(),
        "vote_yes_published_no": g["yes_no"].sum(),
        "vote_no_published_yes": g["no_yes"].sum(),
        "n_ties": g["is_tie"].sum(),
        "n_no_label": g["no_label"].sum(),
        "prevalence_vote": g["vote_yes"].sum() / g["labelled"].sum(),
        "prevalence_published": g["pub_yes"].sum() / g.size(),
    }).reset_index()
    table.insert(5, "agreement", table["n_agree"] / table["n_labelled"])
    order = {"test": 0, "validation": 1, "all": 2}
    table = table.sort_values("split", key=lambda s: s.map(order), kind="stable")
    table = table.reset_index(drop=True)
    count_cols = [c for c in dec.columns if c.startswith("n_") and c != "n_reads"]
    differences = dec.loc[~dec["agree"], ["unit", "split", "finding", "label", "published",
                                          "rule", "n_reads", *count_cols]]
    differences = differences.rename(columns={"label": "vote"}).reset_index(drop=True)
    decisions = dec[vote.decisions.columns.insert(1, "split").tolist() + ["published"]]
    return FourFindingsComparison(table=table, differences=differences, decisions=decisions,
                                  policy=vote.policy)
