"""NIH NLP labels: parsing, the mapping, NLP-vs-reference counts on the bundled files.

The expected numbers come from an independent pandas computation on the raw CSV files (read
here with ``pandas.read_csv``, not through adjudicate's parsers) and from scikit-learn.
"""

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score, confusion_matrix

import adjudicate as adj
from adjudicate import MISSING
from adjudicate._errors import InputError
from adjudicate.datasets import dataset_path
from adjudicate.nlp import (
    NIH_LABELS,
    compare_nlp,
    format_comparison,
    load_nlp_mapping,
    nlp_ratings,
    parse_finding_labels,
)

ALL_FINDINGS_14 = ["Atelectasis", "Cardiomegaly", "Effusion", "Infiltration", "Mass", "Nodule",
                   "Pneumonia", "Pneumothorax", "Consolidation", "Edema", "Emphysema", "Fibrosis",
                   "Pleural Thickening", "Hernia"]


# ------------------------------------------------------------------ raw files, read by hand
def raw_nih_labels() -> pd.DataFrame:
    """Image Index + Finding Labels of all 4,376 images, straight from the CSVs."""
    frames = [pd.read_csv(dataset_path("four_findings", which), dtype=str)
              for which in ("test_labels", "validation_labels")]
    raw = pd.concat(frames)[["Image Index", "Finding Labels"]]
    return raw.set_index("Image Index")["Finding Labels"]


def raw_all_findings_reference() -> pd.DataFrame:
    return pd.read_csv(dataset_path("all_findings", "labels"), dtype=str).set_index("Image ID")


def raw_four_findings_reference() -> pd.DataFrame:
    frames = [pd.read_csv(dataset_path("four_findings", which), dtype=str)
              for which in ("test_labels", "validation_labels")]
    ref = pd.concat(frames).set_index("Image Index")
    return ref.rename(columns={"Nodule or mass": "Nodule/mass"})


def pandas_cells(nlp_positive: pd.Series, reference_yes: pd.Series) -> dict:
    """TP/FP/FN/TN with pandas.crosstab: the independent computation."""
    tab = pd.crosstab(nlp_positive.astype(bool), reference_yes.astype(bool))
    tab = tab.reindex(index=[True, False], columns=[True, False], fill_value=0)
    return {"tp": tab.loc[True, True], "fp": tab.loc[True, False],
            "fn": tab.loc[False, True], "tn": tab.loc[False, False]}


@pytest.fixture(scope="module")
def all_findings():
    return adj.load_dataset("all_findings")


@pytest.fixture(scope="module")
def four_findings():
    return adj.load_dataset("four_findings")


@pytest.fixture(scope="module")
def comparison_all(all_findings):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compare_nlp(all_findings, n_resamples=300, seed=4, method="percentile")


# ------------------------------------------------------------------ parsing
def test_parse_matches_pandas_get_dummies_on_the_bundled_labels():
    raw = raw_nih_labels()
    ours = parse_finding_labels(raw)
    expected = raw.str.get_dummies("|").astype(bool)
    assert list(ours.columns) == list(NIH_LABELS)
    assert set(expected.columns) == set(NIH_LABELS)          # all 15 names occur
    pd.testing.assert_frame_equal(ours[expected.columns].astype(bool), expected,
                                  check_names=False)
    assert ours.notna().all().all()


def test_unknown_label_is_an_error_naming_the_unit():
    s = pd.Series(["Mass", "Effusion|Lung Opacity", "No Finding"], index=["a", "bad_unit", "c"])
    with pytest.raises(InputError, match=r"unit bad_unit: unknown NIH label 'Lung Opacity'"):
        parse_finding_labels(s)
    with pytest.raises(InputError, match="did you mean 'Pleural_Thickening'"):
        parse_finding_labels(pd.Series(["Pleural Thickening"], index=["u"]))


def test_no_finding_with_a_finding_is_reported():
    s = pd.Series(["No Finding|Mass", "No Finding"], index=["u1", "u2"])
    with pytest.raises(InputError, match="'No Finding' together with a finding in 1 unit.*u1"):
        parse_finding_labels(s)
    with pytest.warns(UserWarning, match="u1"):
        t = parse_finding_labels(s, conflicts="warn")
    assert bool(t.loc["u1", "Mass"]) and bool(t.loc["u1", "No Finding"])


def test_missing_labels_are_missing_not_no_finding():
    s = pd.Series(["Mass | Nodule", None, ""], index=["u1", "u2", "u3"])
    t = parse_finding_labels(s)
    assert t.loc["u1", ["Mass", "Nodule"]].tolist() == [True, True]   # blanks stripped
    assert t.loc[["u2", "u3"]].isna().all().all()
    r = nlp_ratings(s, dataset="four_findings")
    assert (r.codes[1:, 0, :] == MISSING).all()


# ------------------------------------------------------------------ mapping
def test_mapping_file_covers_every_finding_with_a_description(all_findings, four_findings):
    for ds in (all_findings, four_findings):
        m = load_nlp_mapping(ds.name, findings=list(ds.ratings.findings))
        assert list(m.rules) == list(ds.ratings.findings)
        assert all(m.descriptions[f] for f in m.rules)
    assert load_nlp_mapping("all_findings").no_counterpart == ("Other",)
    assert load_nlp_mapping("four_findings").no_counterpart == ("Fracture",)
    assert load_nlp_mapping("all_findings").rules["Pleural Thickening"] == (
        "any_of", ("Pleural_Thickening",))


def test_no_counterpart_is_missing_never_no(all_findings, four_findings):
    r = nlp_ratings(all_findings)
    other = r.findings.get_loc("Other")
    assert (r.codes[:, 0, other] == MISSING).all()
    assert (r.codes[:, 0, np.arange(r.n_findings) != other] != MISSING).all()
    assert "'Other'" in r.notes[0]
    r4 = nlp_ratings(four_findings)
    assert (r4.codes[:, 0, 0] == MISSING).all() and r4.findings[0] == "Fracture"


def test_nlp_ratings_against_the_raw_strings(four_findings):
    raw = raw_nih_labels().reindex(four_findings.ratings.units)
    r = nlp_ratings(four_findings)
    yes = r.labels().xs("nlp", level="reader") == "YES"
    has = lambda *names: raw.str.split("|").apply(lambda xs: any(x in names for x in xs))
    assert (yes["Pneumothorax"] == has("Pneumothorax")).all()
    assert (yes["Nodule/mass"] == has("Nodule", "Mass")).all()
    assert (yes["Airspace opacity"]
            == has("Consolidation", "Infiltration", "Pneumonia", "Edema")).all()


def test_override_by_dict_and_by_json_file(tmp_path, four_findings):
    r = nlp_ratings(four_findings, {"Airspace opacity": ["Consolidation", "Atelectasis"]})
    raw = raw_nih_labels().reindex(four_findings.ratings.units)
    expected = raw.str.contains("Consolidation|Atelectasis", regex=True)
    got = r.labels().xs("nlp", level="reader")["Airspace opacity"] == "YES"
    assert (got == expected).all()
    # a JSON file with a whole mapping document, as the bundled one
    doc = {"datasets": {"four_findings": {"Fracture": {"any_of": ["Emphysema"],
                                                        "description": "a silly test"}}}}
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(doc))
    m = load_nlp_mapping("four_findings", path, findings=list(four_findings.ratings.findings))
    assert m.no_counterpart == () and m.rules["Fracture"] == ("any_of", ("Emphysema",))
    assert "mine.json" in m.source
    r2 = nlp_ratings(four_findings, str(path))
    assert (r2.codes[:, 0, 0] != MISSING).all()
    # an entry can also declare "no counterpart"
    assert nlp_ratings(four_findings, {"Pneumothorax": None}).observed[:, 0, 1].sum() == 0


def test_bad_overrides_are_errors(four_findings):
    findings = list(four_findings.ratings.findings)
    with pytest.raises(ValueError, match="did you mean 'Pleural_Thickening'"):
        load_nlp_mapping("four_findings", {"Pneumothorax": ["Pleural Thickening"]})
    with pytest.raises(KeyError, match="does not have"):
        load_nlp_mapping("four_findings", {"Pneumothorax ": ["Pneumothorax"]}, findings=findings)
    with pytest.raises(KeyError, match="no NLP mapping"):
        load_nlp_mapping(None, {"Pneumothorax": ["Pneumothorax"]}, findings=findings)


# ------------------------------------------------------------------ counts vs pandas
def test_all_findings_cells_match_pandas_on_the_raw_files(comparison_all):
    ref = raw_all_findings_reference()
    nih = raw_nih_labels().reindex(ref.index)
    flags = nih.str.get_dummies("|").astype(bool)
    t = comparison_all.table
    nlp = t[(t.rater == "nlp") & (t.statistic == "sensitivity")].set_index("finding")
    for finding in ALL_FINDINGS_14:
        nih_name = finding.replace(" ", "_")
        expected = pandas_cells(flags[nih_name], ref[finding] == "YES")
        got = nlp.loc[finding, ["tp", "fp", "fn", "tn"]].astype(int).to_dict()
        assert got == expected, finding
    expected = pandas_cells(nih != "No Finding", ref["Abnormal"] == "YES")
    assert nlp.loc["Abnormal", ["tp", "fp", "fn", "tn"]].astype(int).to_dict() == expected
    # 'Other': reported as no counterpart, not as zeros
    other = t[(t.rater == "nlp") & (t.finding == "Other")]
    assert len(other) == 7 and other.estimate.isna().all()
    assert other.tp.isna().all() and (other.note == "no NLP counterpart").all()


def test_four_findings_cells_match_pandas_on_the_raw_files(four_findings):
    ref = raw_four_findings_reference()
    nih = raw_nih_labels().reindex(ref.index)
    flags = nih.str.get_dummies("|").astype(bool)
    t = adj.accuracy_table(nlp_ratings(four_findings).select(
        findings=["Pneumothorax", "Airspace opacity", "Nodule/mass"]), four_findings.labels,
        ci=None).table
    t = t[t.statistic == "specificity"].set_index("finding")
    rules = {"Pneumothorax": ["Pneumothorax"], "Nodule/mass": ["Nodule", "Mass"],
             "Airspace opacity": ["Consolidation", "Infiltration", "Pneumonia", "Edema"]}
    for finding, names in rules.items():
        expected = pandas_cells(flags[names].any(axis=1), ref[finding] == "YES")
        assert t.loc[finding, ["tp", "fp", "fn", "tn"]].astype(int).to_dict() == expected
        assert t.loc[finding, "n_units"] == 4376 and t.loc[finding, "n_excluded"] == 0


def test_nlp_statistics_match_sklearn_on_the_bundled_data(comparison_all):
    ref = raw_all_findings_reference()
    nih = raw_nih_labels().reindex(ref.index)
    t = comparison_all.table
    nlp = t[t.rater == "nlp"].set_index(["finding", "statistic"])["estimate"]
    for finding in ["Effusion", "Pneumothorax", "Cardiomegaly", "Pleural Thickening"]:
        y_ref = (ref[finding] == "YES").to_numpy()
        token = finding.replace(" ", "_")
        y_nlp = nih.str.split("|").apply(lambda xs, token=token: token in xs).to_numpy()
        tn, fp, fn, tp = confusion_matrix(y_ref, y_nlp, labels=[False, True]).ravel()
        assert nlp[finding, "sensitivity"] == pytest.approx(tp / (tp + fn))
        assert nlp[finding, "specificity"] == pytest.approx(tn / (tn + fp))
        assert nlp[finding, "ppv"] == pytest.approx(tp / (tp + fp))
        assert nlp[finding, "npv"] == pytest.approx(tn / (tn + fn))
        assert nlp[finding, "kappa"] == pytest.approx(cohen_kappa_score(y_ref, y_nlp))
        assert nlp[finding, "percent_agreement"] == pytest.approx((y_ref == y_nlp).mean())
        assert nlp[finding, "prevalence"] == pytest.approx(y_nlp.mean())
        prev_ref = t[(t.rater == "published") & (t.finding == finding)].estimate.item()
        assert prev_ref == pytest.approx(y_ref.mean())


# ------------------------------------------------------------------ compare_nlp
def test_tidy_layout_and_names(comparison_all):
    t = comparison_all.table
    assert set(t.statistic) == {"sensitivity", "specificity", "ppv", "npv", "kappa",
                                "percent_agreement", "prevalence"}
    for col in ["finding", "rater", "reference", "statistic", "estimate", "ci_low", "ci_high",
                "wilson_low", "wilson_high", "n_units", "n_excluded", "tp", "fp", "fn", "tn",
                "method"]:
        assert col in t.columns
    assert not t.duplicated(["finding", "rater", "reference", "statistic"]).any()
    raters = set(t.rater)
    assert {"nlp", "published", *adj.load_dataset("all_findings").ratings.readers} == raters
    # ground-truth readers are graded only against the leave-one-out majority
    gt = t[t.rater.isin(adj.GROUND_TRUTH_READERS)]
    assert set(gt.reference) == {"leave-one-out"}
    kappa_rows = t[t.statistic == "kappa"]
    assert kappa_rows.wilson_low.isna().all()
    prop = t[(t.statistic != "kappa") & t.estimate.notna() & (t.n_units > 0)]
    assert (prop.wilson_low <= prop.estimate + 1e-12).all()
    assert (prop.estimate <= prop.wilson_high + 1e-12).all()


def test_majority_reference_differs_from_published_only_in_other(all_findings):
    kw = {"n_resamples": 50, "seed": 0, "method": "percentile"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pub = compare_nlp(all_findings, reference="published", **kw).table
        maj = compare_nlp(all_findings, reference="majority", **kw).table
    cols = ["finding", "rater", "statistic", "estimate", "tp", "fp", "fn", "tn"]
    key = ["finding", "rater", "statistic"]
    a = pub[pub.reference == "published"][cols].set_index(key)
    b = maj[maj.reference == "majority"][cols].replace({"rater": {"majority": "published"}})
    b = b.set_index(key)
    assert a.index.equals(b.index)
    differ = (a.fillna(-9) != b.reindex(a.index).fillna(-9)).any(axis=1)
    assert set(differ[differ].index.get_level_values("finding")) == {"Other"}


def test_renderings(comparison_all):
    text = format_comparison(comparison_all)
    assert "NLP labels vs published" in text and "no NLP counterpart" in text
    assert "leave-one-out" in text
    from io import StringIO
    frame = pd.read_csv(StringIO(format_comparison(comparison_all, "csv")))
    assert len(frame) == len(comparison_all.table) + len(comparison_all.differences)
    assert set(frame.comparison) == {"accuracy", "rater - nlp"}
    doc = json.loads(format_comparison(comparison_all, "json"))
    assert doc["settings"]["no_labels"] == ["Other"] and doc["settings"]["seed"] == 4
    assert len(doc["rows"]) == len(frame)
    with pytest.raises(ValueError):
        format_comparison(comparison_all, "xml")
