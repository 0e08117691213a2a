"""Majority vote, HEDGE and tie policies, the Other rule; reproduction of published standards."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import adjudicate as adj
from adjudicate import OtherRule, majority_vote
from adjudicate.datasets import dataset_path

N, H, Y = "NO", "HEDGE", "YES"
CATS = [N, H, Y]


def vote(rows, **kw):
    return majority_vote(adj.Ratings.from_array(rows, categories=CATS), **kw)


# -------------------------------------------------------------- hand-checked cases
def test_hedge_policies_hand_checked():
    rows = [[Y, H, N]]  # one YES, one HEDGE, one NO
    # HEDGE -> NO: 2 NO vs 1 YES -> NO by majority
    assert vote(rows, hedge="negative").labels[0].tolist() == [N]
    # HEDGE -> YES: 2 YES -> YES
    assert vote(rows, hedge="positive").labels[0].tolist() == [Y]
    # HEDGE dropped: 1 YES vs 1 NO -> tie -> no label by default
    v = vote(rows, hedge="missing")
    assert v.labels[0].tolist() == [None]
    assert v.decisions["rule"].tolist() == ["tie -> no label"]
    assert v.decisions["n_reads"].tolist() == [2]
    # HEDGE its own category: three-way tie, broken to the lowest (NO) or highest (YES)
    assert vote(rows, hedge="category", ties="negative").labels[0].tolist() == [N]
    assert vote(rows, hedge="category", ties="positive").labels[0].tolist() == [Y]
    assert vote([[H, H, N]], hedge="category").labels[0].tolist() == [H]


def test_rules_recorded():
    rows = [[Y, Y, Y], [Y, Y, N], [N, None, None], [None, None, None], [Y, N, None],
            [Y, Y, N, N, H][:3]]
    v = vote(rows)
    assert v.decisions["rule"].tolist() == [
        "unanimous", "majority", "single read", "no reads", "tie -> no label", "majority"]
    assert v.labels[0].tolist() == [Y, Y, N, None, None, Y]


def test_plurality_is_named_as_such():
    # 2 NO, 1 HEDGE, 1 YES with HEDGE as a category: NO wins with 2 of 4 (not a majority)
    v = vote([[N, N, H, Y]], hedge="category")
    assert v.labels[0].tolist() == [N]
    assert v.decisions["rule"].tolist() == ["plurality"]


def test_min_reads():
    v = vote([[Y, None, None], [Y, Y, None]], min_reads=2)
    assert v.labels[0].tolist() == [None, Y]
    assert v.decisions["rule"].tolist() == ["too few reads", "unanimous"]


def test_random_ties_are_seeded_and_fair():
    rows = [[Y, N]] * 2000
    a = vote(rows, ties="random", seed=1).labels[0]
    b = vote(rows, ties="random", seed=1).labels[0]
    assert a.tolist() == b.tolist()
    share = (a == Y).mean()
    # fair coin over 2000 ties: sd = sqrt(.25/2000) = 0.011; 4 sd band
    assert abs(share - 0.5) < 0.045
    assert set(vote(rows, ties="random", seed=1).decisions["rule"]) == {
        "tie -> YES (random)", "tie -> NO (random)"}


def test_reader_panel_selection():
    r = adj.Ratings.from_array([[Y, N, N]], readers=["a", "b", "c"])
    assert majority_vote(r).labels[0].tolist() == [N]
    assert majority_vote(r, readers=["a", "b"], ties="positive").labels[0].tolist() == [Y]
    with pytest.raises(KeyError, match="unknown reader"):
        majority_vote(r, readers=["z"])


def test_bad_policies():
    with pytest.raises(ValueError, match="hedge must be one of"):
        vote([[Y]], hedge="maybe")
    with pytest.raises(ValueError, match="ties must be one of"):
        vote([[Y]], ties="coin")


def test_other_rule_hand_checked():
    # findings: Abnormal, A, B, Other ; three readers
    def unit(*reads):  # reads: per reader (abnormal, a, b, other)
        return list(zip(*reads))

    r = adj.Ratings.from_array(
        np.array([
            # majority abnormal, no finding has a majority -> Other = YES by the rule
            unit((Y, Y, N, N), (Y, N, Y, N), (N, N, N, N)),
            # majority abnormal and finding A has a majority -> Other stays NO
            unit((Y, Y, N, N), (Y, Y, N, N), (N, N, N, N)),
            # majority marked Other -> YES by vote
            unit((Y, N, N, Y), (N, N, N, Y), (N, N, N, N)),
            # majority normal -> Other NO
            unit((N, N, N, N), (N, N, N, N), (Y, N, N, N)),
        ], dtype=object).transpose(0, 2, 1),
        findings=["Abnormal", "A", "B", "Other"], categories=[N, Y])
    v = majority_vote(r, other_rule=OtherRule())
    assert v.labels["Other"].tolist() == [Y, N, Y, N]
    rules = v.decisions.query("finding == 'Other'")["rule"].tolist()
    assert rules[0] == "other rule: abnormal, no finding with a majority"
    assert majority_vote(r).labels["Other"].tolist() == [N, N, Y, N]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from([N, Y, None]), min_size=3, max_size=3),
                min_size=1, max_size=30))
def test_binary_majority_matches_pandas_mode(rows):
    """With two categories the vote is the strict majority of non-missing reads."""
    v = vote(rows, ties="missing")
    for row, got in zip(rows, v.labels[0]):
        reads = [x for x in row if x is not None]
        yes, no = reads.count(Y), reads.count(N)
        expected = Y if yes > no else N if no > yes else None
        assert got == expected


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.sampled_from([N, H, Y, None]), min_size=4, max_size=4),
                min_size=1, max_size=20), st.randoms())
def test_vote_invariant_to_reader_order(rows, rnd):
    perm = list(range(4))
    rnd.shuffle(perm)
    a = vote(rows, hedge="category", ties="negative").labels
    b = vote([[row[p] for p in perm] for row in rows], hedge="category", ties="negative").labels
    assert a.equals(b)


# ------------------------------------------------------------------ reproduction
def test_all_findings_reproduction_is_byte_identical(tmp_path):
    out = tmp_path / "test_labels.csv"
    adj.write_labels(adj.reproduce_all_findings(), out)
    assert out.read_bytes() == dataset_path("all_findings", "labels").read_bytes()


def test_all_findings_needs_the_other_rule():
    """Without the Other rule, the plain vote misses the published Other labels."""
    ds = adj.load_dataset("all_findings")
    plain = majority_vote(ds.ratings, readers=adj.GROUND_TRUTH_READERS)
    diff = (plain.labels != ds.labels).sum()
    # pandas on the raw file: 45 images where a majority of the 3 ground-truth readers said
    # abnormal, fewer than 2 said Other, and no finding had 2 YES votes
    raw = pd.read_csv(dataset_path("all_findings", "readers"), dtype=str)
    gt = raw[raw["Reader ID"].isin(adj.GROUND_TRUTH_READERS)]
    yes = gt.iloc[:, 3:].replace({"1": "YES", "0": "NO"}).eq("YES").groupby(gt["Image ID"]).sum()
    findings = yes.columns[1:-1]
    rule = (yes["Abnormal"] >= 2) & (yes["Other"] < 2) & ~(yes[findings] >= 2).any(axis=1)
    assert int(rule.sum()) == 45
    assert diff["Other"] == 45 and diff.drop("Other").sum() == 0


def test_compare_label_tables_reports_mismatches():
    pub = pd.read_csv(dataset_path("all_findings", "labels"), dtype=str, keep_default_na=False)
    ours = adj.reproduce_all_findings()
    ours.loc[3, "Hernia"] = "YES" if ours.loc[3, "Hernia"] == "NO" else "NO"
    t = adj.compare_label_tables(ours, pub).set_index("column")
    assert t.loc["Hernia", "n_mismatch"] == 1
    assert t.loc["Hernia", "first_mismatch"] == pub.loc[3, "Image ID"]
    assert t["n_mismatch"].sum() == 1


def independent_four_findings_vote(hedge_as: str | None) -> pd.DataFrame:
    """Majority vote of the initial reads written with pandas alone (no adjudicate code)."""
    base = dataset_path("four_findings", "readers")
    df = pd.read_csv(base, dtype=str, keep_default_na=False)
    out = {}
    for f in ["Fracture", "Pneumothorax", "Airspace opacity", "Nodule/mass"]:
        x = df[["Image ID", "Reader ID", f]]
        # a reader with conflicting duplicate rows for an image counts as not having read it
        x = x.drop_duplicates()
        x = x[~x.duplicated(["Image ID", "Reader ID"], keep=False)]
        v = x[f].replace({"HEDGE": hedge_as}) if hedge_as else x[f].mask(x[f] == "HEDGE")
        yes = v.eq("YES").groupby(x["Image ID"]).sum()
        no = v.eq("NO").groupby(x["Image ID"]).sum()
        out[f] = np.where(yes > no, "YES", np.where(no > yes, "NO", None))
        out[f] = pd.Series(out[f], index=yes.index)
    return pd.DataFrame(out)


@pytest.mark.parametrize("hedge, hedge_as", [("negative", "NO"), ("positive", "YES"),
                                              ("missing", None)])
def test_four_findings_comparison_counts(hedge, hedge_as):
    c = adj.compare_four_findings(hedge=hedge)
    ours = independent_four_findings_vote(hedge_as)
    labels = pd.concat([
        pd.read_csv(dataset_path("four_findings", s), dtype=str).set_index("Image Index")
        for s in ("test_labels", "validation_labels")])
    labels = labels.rename(columns={"Nodule or mass": "Nodule/mass"})
    t = c.table.query("split == 'all'").set_index("finding")
    for f in ours.columns:
        pub = labels.loc[ours.index, f]
        labelled = ours[f].notna()
        assert t.loc[f, "n_units"] == 4376
        assert t.loc[f, "n_no_label"] == int((~labelled).sum())
        assert t.loc[f, "n_agree"] == int((ours[f][labelled] == pub[labelled]).sum())
        assert t.loc[f, "vote_no_published_yes"] == int(
            ((ours[f] == "NO") & (pub == "YES")).sum())
    assert c.policy["hedge"] == hedge


def test_four_findings_comparison_default_numbers():
    """Pinned from the independent pandas vote above (hedge -> NO, ties -> no label)."""
    t = adj.compare_four_findings().table.query("split == 'all'").set_index("finding")
    assert t["n_differ"].to_dict() == {"Fracture": 130, "Pneumothorax": 76,
                                       "Airspace opacity": 251, "Nodule/mass": 249}
    assert t["n_ties"].to_dict() == {"Fracture": 6, "Pneumothorax": 1,
                                     "Airspace opacity": 11, "Nodule/mass": 5}
    split = adj.compare_four_findings().table.groupby("split")["n_units"].first().to_dict()
    assert split == {"all": 4376, "test": 1962, "validation": 2414}


def test_four_findings_differences_listed():
    c = adj.compare_four_findings(ties="random", seed=3)
    d = c.differences
    assert set(d.columns) >= {"unit", "split", "finding", "vote", "published", "rule"}
    assert (d["vote"].fillna("none") != d["published"]).all()
    assert c.table["n_no_label"].sum() == 0  # random ties always give a label
