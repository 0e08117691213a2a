"""Any reader study in: the long and wide layouts, round trips, the new user's story, errors.

Independent sources: the bundled NIH files as parsed by the NIH parser (the round trips must
give back exactly those Ratings and statistics), pandas group-bys for majority votes and
counts, and the ``krippendorff`` package for alpha with missing reads.
"""

from __future__ import annotations

import json

import krippendorff
import numpy as np
import pandas as pd
import pytest

import adjudicate as adj
from adjudicate import InputError, Ratings, read_ratings
from adjudicate.agreement import agreement_table
from adjudicate.cli import main

# ------------------------------------------------------------------ helpers


def assert_same_ratings(a: Ratings, b: Ratings, *, meta=True):
    """Identical data: codes, vocabulary, axes (values and order), design, clusters, meta."""
    np.testing.assert_array_equal(a.codes, b.codes)
    assert a.categories == b.categories and a.positive == b.positive
    assert list(a.units) == list(b.units)
    assert list(a.readers) == list(b.readers)
    assert list(a.findings) == list(b.findings)
    np.testing.assert_array_equal(a.allowed, b.allowed)
    if a.clusters is None:
        assert b.clusters is None
    else:
        assert list(a.clusters) == list(b.clusters)
    if meta:
        assert list(a.meta.columns) == list(b.meta.columns)
        for c in a.meta.columns:
            assert list(a.meta[c]) == list(b.meta[c])


def stats(r: Ratings) -> pd.DataFrame:
    """Every agreement statistic with its analytic (cluster-robust) interval, and three with
    a patient-clustered bootstrap interval (small B; the full set is slow on 22 readers)."""
    cols = ["finding", "statistic", "estimate", "ci_low", "ci_high", "n_units"]
    analytic = agreement_table(r, hedge="category").table[cols]
    boot = agreement_table(r, statistics=["fleiss_kappa", "gwet_ac1", "krippendorff_alpha"],
                           ci="bootstrap", n_resamples=200, seed=7, hedge="category").table[cols]
    return pd.concat([analytic, boot], ignore_index=True)


def wide_with_units(r: Ratings) -> pd.DataFrame:
    """The wide layout of a Ratings: unit, reader, cluster, per-unit columns, findings."""
    wide = r.labels().reset_index()
    pos = pd.Index(r.units).get_indexer(wide["unit"])
    wide.insert(2, "cluster", r.clusters[pos])
    for c in r.meta.columns:
        wide.insert(3, c, r.meta[c].to_numpy()[pos])
    return wide


@pytest.fixture(scope="module", params=["all_findings", "four_findings"])
def nih(request):
    return adj.load_dataset(request.param).ratings


# ------------------------------------------------------------------ round trips


def test_to_frame_from_frame_is_exact(nih):
    frame = nih.to_frame()
    # one row per read: 810 x 5 x 16 all-findings reads; four-findings: every read but the
    # 4 conflicting duplicate cells the NIH parser made missing
    assert len(frame) == int(nih.observed.sum())
    assert_same_ratings(nih, Ratings.from_frame(frame))


def test_long_and_wide_csv_round_trips_give_the_same_ratings_and_statistics(nih, tmp_path):
    reference = stats(nih)
    long_csv = tmp_path / "long.csv"
    nih.to_frame().to_csv(long_csv, index=False)
    # a CSV cannot carry which categories each finding allows (HEDGE only for two of the
    # four findings): allowed="observed" reads it from the labels used, as designed here
    from_long = read_ratings(long_csv, allowed="observed")
    assert_same_ratings(nih, from_long)
    pd.testing.assert_frame_equal(stats(from_long), reference)

    wide_csv = tmp_path / "wide.csv"
    wide_with_units(from_long).to_csv(wide_csv, index=False)
    from_wide = read_ratings(wide_csv, allowed="observed")
    assert_same_ratings(nih, from_wide)   # identical Ratings: every statistic is identical too

    # and back to long from the wide-read Ratings
    assert_same_ratings(nih, Ratings.from_frame(from_wide.to_frame()))


def test_round_trip_keeps_units_nobody_read_and_unused_categories():
    r = Ratings.from_array([[1, 2], [None, None], [3, None]], categories=[1, 2, 3, 4],
                           units=["a", "b", "c"], readers=["x", "y"], clusters=["p", "p", "q"])
    back = Ratings.from_frame(r.to_frame())
    assert_same_ratings(r, back)
    assert back.categories == (1, 2, 3, 4) and back.n_units == 3


# ------------------------------------------------------------------ the user story

def story_frame() -> pd.DataFrame:
    """50 cases, 4 readers, 2 findings, 0/1 labels, some empty cells, string case ids."""
    rng = np.random.default_rng(20261127)
    rows = []
    for i in range(50):
        truth = rng.random() < 0.35
        for reader in ("R1", "R2", "R3", "R4"):
            for finding in ("nodule", "effusion"):
                label = int(truth) if rng.random() < 0.85 else int(not truth)
                rows.append({"case_id": f"case-{i + 1:03d}", "reader": reader,
                             "finding": finding, "label": label if rng.random() > 0.06 else "",
                             "view": "PA" if i % 3 else "AP"})
    return pd.DataFrame(rows)


@pytest.fixture()
def story_csv(tmp_path):
    path = tmp_path / "my_study.csv"
    story_frame().to_csv(path, index=False)
    return path


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_user_story_by_cli_and_python(story_csv, tmp_path, capsys):
    df = pd.read_csv(story_csv, dtype=str, keep_default_na=False)
    filled = df[df["label"] != ""]
    n_empty = int((df["label"] == "").sum())

    # audit: what the file holds, nothing dropped silently
    code, out, _ = run(capsys, "audit", story_csv, "--format", "json")
    assert code == 0
    (rep,) = json.loads(out)
    assert rep["summary"]["units"] == 50 and rep["summary"]["readers"] == 4
    assert rep["summary"]["categories"] == ["0", "1"] and rep["summary"]["positive"] == "1"
    assert rep["summary"]["rows"] == 400
    assert any(f"{n_empty} rows not used: label empty" in n for n in rep["parse_notes"])
    counts = filled.groupby(["finding", "label"]).size()
    by_finding = {c["finding"]: c for c in rep["category_counts"]}
    assert by_finding["nodule"]["1"] == counts[("nodule", "1")]
    assert by_finding["effusion"]["0"] == counts[("effusion", "0")]
    assert rep["metadata"]["view"] == {"PA": 33, "AP": 17}

    # vote: the majority of the non-empty labels, ties (2-2) without a label
    out_csv, dec_csv = tmp_path / "standard.csv", tmp_path / "decisions.csv"
    code, out, _ = run(capsys, "vote", story_csv, "--out", out_csv, "--decisions", dec_csv)
    assert code == 0 and "ties=missing" in out
    standard = pd.read_csv(out_csv, dtype=str, keep_default_na=False).set_index("case_id")
    votes = filled.assign(y=filled["label"].astype(int)).groupby(["case_id", "finding"])["y"]
    yes, n = votes.sum(), votes.size()
    expected = np.where(2 * yes > n, "1", np.where(2 * yes < n, "0", ""))
    expected = pd.Series(expected, index=yes.index)
    for (case, finding), label in expected.items():
        assert standard.loc[case, finding] == label, (case, finding)
    decisions = pd.read_csv(dec_csv)
    assert len(decisions) == 100 and set(decisions.columns) >= {"unit", "finding", "rule"}
    # the standard reads back as one reader's labels (a reference for compare/evaluate)
    back = read_ratings(out_csv)
    assert back.shape == (50, 1, 2) and list(back.readers) == ["standard"]
    assert int((back.codes == -1).sum()) == int((expected == "").sum())

    # agreement with intervals: Krippendorff's alpha against the krippendorff package
    code, out, _ = run(capsys, "agreement", story_csv, "--bootstrap", 300, "--seed", 3,
                       "--format", "json")
    assert code == 0
    rows = pd.DataFrame(json.loads(out)["rows"])
    alpha = rows.query("statistic == 'krippendorff_alpha'").set_index("finding")
    for finding in ("nodule", "effusion"):
        part = filled[filled["finding"] == finding]
        matrix = (part.pivot(index="reader", columns="case_id", values="label")
                  .astype(float).to_numpy())
        want = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
        assert alpha.loc[finding, "estimate"] == pytest.approx(want, abs=1e-12)
        assert alpha.loc[finding, "ci_low"] < want < alpha.loc[finding, "ci_high"]

    # compare: reader R1's labels (a label file of their own) against the vote's standard
    r1_csv = tmp_path / "r1.csv"
    (filled[filled["reader"] == "R1"].pivot(index="case_id", columns="finding", values="label")
     .reset_index().to_csv(r1_csv, index=False))
    code, out, _ = run(capsys, "compare", r1_csv, story_csv, "--reference", out_csv,
                       "--bootstrap", 200, "--seed", 3, "--cluster", "unit", "--format", "json")
    assert code == 0
    cmp_rows = pd.DataFrame(json.loads(out)["rows"])
    sens = cmp_rows.query("rater == 'r1' and statistic == 'sensitivity' and "
                          "finding == 'nodule'").iloc[0]
    # by hand: cases the standard calls 1 that R1 labelled, and how many R1 called 1
    both = (filled[filled["reader"] == "R1"].query("finding == 'nodule'")
            .set_index("case_id")["label"].to_frame("r1")
            .join(standard["nodule"].rename("ref")).query("ref != ''"))
    positives = both[both["ref"] == "1"]
    assert (sens["tp"], sens["fn"]) == ((positives["r1"] == "1").sum(),
                                        (positives["r1"] == "0").sum())
    assert sens["estimate"] == pytest.approx((positives["r1"] == "1").mean(), abs=1e-12)
    assert sens["ci_low"] <= sens["estimate"] <= sens["ci_high"]

    # the same by Python
    r = read_ratings(story_csv)
    assert r.categories == (0, 1) and r.positive == 1 and r.units[0] == "case-001"
    assert list(r.meta.columns) == ["view"]
    vote = adj.majority_vote(r)
    assert vote.labels.loc["case-001"].tolist() == [
        None if v == "" else int(v) for v in expected.loc["case-001"].reindex(
            ["nodule", "effusion"])]
    res = adj.krippendorff_alpha(r.select(findings="nodule"), clusters="unit")
    assert res.statistic == pytest.approx(alpha.loc["nodule", "estimate"], abs=1e-12)
    py = adj.compare_raters(read_ratings(r1_csv), read_ratings(out_csv), readers=r,
                            n_resamples=200, seed=3, clusters="unit").table
    py_sens = py.query("rater == 'r1' and statistic == 'sensitivity' and finding == 'nodule'")
    assert py_sens["estimate"].iloc[0] == pytest.approx(sens["estimate"], abs=1e-12)

    # a subset by per-unit metadata, from the command line and from Python
    code, out, _ = run(capsys, "agreement", story_csv, "--where", "view=AP", "--format", "csv")
    assert code == 0
    ap = pd.read_csv(__import__("io").StringIO(out))
    assert ap["n_units"].max() == 17 == r.where(view="AP").n_units


def test_string_vocabulary_categories_and_positive_given(tmp_path, capsys):
    df = pd.DataFrame({"Image ID": ["i1", "i1", "i2", "i2"], "annotator": ["a", "b", "a", "b"],
                       "grade": ["mild", "severe", "moderate", "mild"]})
    path = tmp_path / "grades.csv"
    df.to_csv(path, index=False)
    r = read_ratings(path)           # no finding column: one finding named after the labels
    assert list(r.findings) == ["grade"] and r.positive is None
    assert r.categories == ("mild", "moderate", "severe")          # sorted as text
    r = read_ratings(path, categories=["mild", "moderate", "severe"], positive="severe")
    assert r.codes[:, :, 0].tolist() == [[0, 2], [1, 0]] and r.positive == "severe"
    assert any("as given" in n for n in r.notes)
    code, out, _ = run(capsys, "vote", path, "--categories", "mild,moderate,severe",
                       "--ties", "positive")
    assert code == 0 and out.splitlines()[1:] == ["i1,severe", "i2,moderate"]


def test_wide_layout_true_false_and_meta_columns():
    wide = pd.DataFrame({"study": ["s1", "s1", "s2", "s2"], "rater_id": [3, 4, 3, 4],
                         "Effusion": [True, False, True, True],
                         "Mass": [False, None, False, True], "age_band": ["40-60"] * 2 + ["60+"] * 2})
    r = read_ratings(wide)
    assert r.categories == (False, True) and r.positive is True
    assert list(r.findings) == ["Effusion", "Mass"] and list(r.meta.columns) == ["age_band"]
    assert r.codes[:, :, 1].tolist() == [[0, -1], [0, 1]]
    assert r.where(age_band="60+").units.tolist() == ["s2"]


def test_duplicates_policy_and_report():
    df = pd.DataFrame({"unit": ["a", "a", "a", "b"], "reader": ["x", "x", "y", "x"],
                       "finding": "f", "label": ["YES", "NO", "YES", "NO"]})
    r = read_ratings(df)            # x read a twice, differently: that read becomes missing
    assert r.codes[:, :, 0].tolist() == [[-1, 1], [0, -1]]
    assert r.report.duplicates[["unit", "reader", "lines", "conflicting"]].values.tolist() == [
        ["a", "x", "1,2", True]]
    assert r.report.unused_rows == {
        "duplicate (unit, reader, finding) rows merged by policy missing": 1}
    assert read_ratings(df, duplicates="last").codes[0, 0, 0] == 0


# ------------------------------------------------------------------ bad generic files

def write(tmp_path, text, name="bad.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_errors_name_file_row_and_column(tmp_path):
    p = write(tmp_path, "case_id,reader,finding,label\nc1,r1,f,1\n")
    with pytest.raises(InputError) as e:
        read_ratings(p, unit="caseid")
    assert (e.value.file, e.value.row, e.value.column) == (str(p), 1, "caseid")
    assert "unknown column 'caseid'" in str(e.value)

    p = write(tmp_path, "case_id,reader,finding,label\nc1,r1,f,YES\nc1,r2,f,MAYBE\n")
    with pytest.raises(InputError, match=r"bad.csv, row 3, column 'label': label 'MAYBE' is "
                                         r"not one of the categories \('NO', 'YES'\)"):
        read_ratings(p, categories=["NO", "YES"])

    p = write(tmp_path, "case_id,reader,finding,label\nc1,r1,f,1\nc2,r1,f,0\nc1,r1,f,0\n")
    with pytest.raises(InputError, match=r"row 4, column 'label': \(unit, reader, finding\) "
                                         r"read repeated: reader 'r1', unit 'c1' on rows 2,4 "
                                         "with conflicting labels"):
        read_ratings(p, duplicates="error")

    p = write(tmp_path, "case_id,reader,finding,label,patient\nc1,r1,f,1,p1\nc1,r2,f,0,p2\n")
    with pytest.raises(InputError, match=r"row 3, column 'patient': unit 'c1' has cluster id "
                                         r"'p2' here but 'p1' on row 2"):
        read_ratings(p)

    p = write(tmp_path, "case_id,reader,finding,label\n,r1,f,1\n")
    with pytest.raises(InputError, match=r"row 2, column 'case_id': a label without a unit"):
        read_ratings(p)

    p = write(tmp_path, "case_id,reader,finding,label\nc1,r1,f,1\n", name="nodata.parquet")
    with pytest.raises(InputError, match="nodata.parquet"):
        read_ratings(p)


def test_cli_errors_are_one_line(tmp_path, capsys):
    p = write(tmp_path, "case_id,reader,finding,label\nc1,r1,f,1\nc1,r2,f,7\n")
    code, out, err = run(capsys, "vote", p, "--categories", "0,1")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith(f"adjudicate: error: {p}, row 3, column 'label': label '7'")
    code, _, err = run(capsys, "agreement", p, "--where", "view=PA")
    assert code == 2 and "no per-unit column 'view'" in err
    code, _, err = run(capsys, "audit", p, "--label-column", "rating")
    assert code == 2 and "unknown column 'rating'" in err
    code, _, err = run(capsys, "vote", "four-findings", "--unit-column", "x")
    assert code == 2 and "not the bundled dataset" in err


def test_split_selects_a_reader_pool(capsys):
    r = adj.load_dataset("four_findings").ratings
    val = r.where(set="val")
    # the four-findings README: 13 validation readers; the file has 2414 validation images
    assert (val.n_units, val.n_readers) == (2414, 13)
    code, out, _ = run(capsys, "audit", "four-findings", "--split", "validation", "--format",
                       "json")
    assert code == 0
    (rep,) = json.loads(out)
    assert rep["summary"]["units"] == 2414 and rep["readers_per_set"] == {"val": 13}


def test_schemas_ship_from_the_top_level_folder():
    from pathlib import Path

    from adjudicate.io.schemas import load_schema, schemas_dir

    root = Path(__file__).resolve().parents[1]
    assert (root / "data_schemas" / "generic_long.json").is_file()
    assert not (root / "adjudicate" / "data_schemas").exists()
    assert schemas_dir().joinpath("generic_long.json").is_file()
    pyproject = (root / "pyproject.toml").read_text()
    assert '"adjudicate.data_schemas" = "data_schemas"' in pyproject
    assert '"adjudicate.data_schemas"' in (root / "setup.py").read_text()
    # the schema's column names are those to_frame writes
    names = [f["name"] for f in load_schema("generic_long").fields]
    assert names[:3] == ["unit", "reader", "finding"]


def test_parquet_reads_like_csv(tmp_path, story_csv):
    pytest.importorskip("pyarrow")
    frame = story_frame()
    frame["label"] = pd.to_numeric(frame["label"]).astype("Int64")  # typed, with <NA>
    path = tmp_path / "my_study.parquet"
    frame.to_parquet(path)
    assert_same_ratings(read_ratings(story_csv), read_ratings(path))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_row_order_does_not_change_the_data(seed, tmp_path):
    """Shuffled rows give the same reads: only the order of first appearance of units moves."""
    frame = story_frame()
    a = read_ratings(frame)
    b = read_ratings(frame.sample(frac=1, random_state=seed))
    assert_same_ratings(a, b.select(units=list(a.units)), meta=True)


def test_where_and_split_on_your_own_columns(tmp_path, capsys):
    df = pd.DataFrame({"unit": list("aabbcc"), "reader": ["x", "y"] * 3, "label": [1, 0] * 3,
                       "Split": ["test"] * 2 + ["validation"] * 4, "view": list("PPAAPP")})
    p = tmp_path / "s.csv"
    df.to_csv(p, index=False)
    r = read_ratings(p)
    assert r.where(view=["A", "P"]).n_units == 3 and r.where(view="P", Split="test").n_units == 1
    code, out, _ = run(capsys, "audit", p, "--split", "val", "--where", "view=P",
                       "--format", "json")
    (rep,) = json.loads(out)
    assert code == 0 and rep["summary"]["units"] == 1          # unit c
    code, _, err = run(capsys, "audit", p, "--where", "view=Q")
    assert code == 2 and "no unit has view=['Q']; view holds: A, P" in err


def test_label_column_that_is_not_categorical():
    df = pd.DataFrame({"unit": range(300), "reader": "x", "score": np.linspace(0, 1, 300)})
    with pytest.raises(InputError, match=r"column 'score': 300 distinct labels"):
        read_ratings(df)


@pytest.mark.parametrize("seed", range(5))
def test_from_frame_inverts_to_frame_on_random_ratings(seed):
    """Random shapes, vocabularies, missing reads, unread units, clusters and metadata."""
    rng = np.random.default_rng(seed)
    n_u, n_r, n_f = rng.integers(1, 12), rng.integers(1, 5), rng.integers(1, 4)
    vocab = [["NO", "HEDGE", "YES"], [0, 1], [1, 2, 3, 4, 5], ["b", "a"]][seed % 4]
    codes = rng.integers(-1, len(vocab), size=(n_u, n_r, n_f))
    codes[rng.integers(n_u)] = -1                       # a unit nobody read
    r = Ratings(codes=codes, categories=tuple(vocab), units=[f"u{i}" for i in range(n_u)],
                readers=[f"r{i}" for i in range(n_r)][::-1],        # not sorted on purpose
                findings=[f"f{i}" for i in range(n_f)], clusters=rng.integers(0, 3, n_u),
                meta=pd.DataFrame({"site": rng.choice(["x", "y"], n_u)}),
                positive=vocab[-1] if seed % 2 else None)
    assert_same_ratings(r, Ratings.from_frame(r.to_frame()))


def test_load_labels_reads_nih_and_generic_label_files(story_csv, tmp_path, capsys):
    from adjudicate.cli._common import load_labels
    from adjudicate.datasets import dataset_path

    published = load_labels(str(dataset_path("all_findings", "labels")))
    assert published.shape == (810, 1, 16) and list(published.readers) == ["test_labels"]
    out_csv = tmp_path / "standard.csv"
    assert run(capsys, "vote", story_csv, "--out", out_csv)[0] == 0
    standard = load_labels(str(out_csv))
    # the story has no patient column, so the standard has no cluster column either
    assert standard.shape == (50, 1, 2) and standard.clusters is None
    assert list(standard.readers) == ["standard"] and standard.categories == (0, 1)


def test_vote_command_matches_reproduce_on_the_four_findings(tmp_path, capsys):
    """The same majority vote through two commands: `reproduce four-findings --out` (the
    NIH-specific path) and `vote four-findings --out` (any study) write the same labels."""
    a, b = tmp_path / "reproduce.csv", tmp_path / "vote.csv"
    assert run(capsys, "reproduce", "four-findings", "--out", a)[0] == 0
    assert run(capsys, "vote", "four-findings", "--out", b)[0] == 0
    ours = pd.read_csv(b, dtype=str, keep_default_na=False).set_index("Image ID")
    theirs = pd.read_csv(a, dtype=str, keep_default_na=False).set_index("Image ID")
    findings = ["Fracture", "Pneumothorax", "Airspace opacity", "Nodule/mass"]
    pd.testing.assert_frame_equal(ours.loc[theirs.index, findings], theirs[findings])
    assert (ours["cluster"] != "").all()                  # the patient of every image
