"""Agreement coefficients against independent sources.

Every expected value comes from outside this package:

- published numbers: Fleiss (1971) kappa 0.430 on his diagnoses table (R irr ``kappam.fleiss``:
  0.4302445, z = 17.65183); Krippendorff's (2011) worked example with missing values (nominal
  0.743, ordinal 0.815, interval 0.849); the SAS PROC FREQ printout of Cohen's kappa and its
  standard errors quoted in statsmodels' test suite;
- peer libraries on the bundled NIH data, every finding: scikit-learn ``cohen_kappa_score``
  (unweighted, linear, quadratic) and ``accuracy_score``/``confusion_matrix``, statsmodels
  ``fleiss_kappa`` (methods "fleiss" and "randolph" = Brennan-Prediger) and ``cohens_kappa``
  (Fleiss-Cohen-Everitt standard errors), the ``krippendorff`` package (nominal, ordinal,
  interval, from value counts), and -- if installed -- Gwet's irrCAC (Fleiss, AC1/AC2, Conger,
  Brennan-Prediger, Krippendorff, with their standard errors, on data with missing reads);
- hand calculations written out in the tests (comments show the arithmetic), exact
  enumeration of the multinomial null distribution, and brute-force loops over rater pairs.

The bundled CSVs are turned into Ratings by a small pandas pivot defined here, independent of
``adjudicate.io``.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import replace
from functools import cache
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pytest
import scipy.stats as st
from sklearn.metrics import accuracy_score, cohen_kappa_score, confusion_matrix
from statsmodels.stats.inter_rater import cohens_kappa as sm_cohens_kappa
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

import adjudicate
from adjudicate import (
    AgreementResult,
    Ratings,
    UndefinedAgreementWarning,
    agreement_table,
    brennan_prediger,
    cohen_kappa,
    conger_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    light_kappa,
    pairwise_kappa,
    percent_agreement,
    specific_agreement,
)
from adjudicate.agreement import STATISTICS, hedge_view, sum_statistic
from adjudicate.agreement.registry import _SUM_STATISTICS

DATA = Path(adjudicate.__file__).parent / "datasets" / "nih_expert_labels"
ALL_FINDINGS = DATA / "all_findings_expert_labels" / "test_individual_readers.csv"
FOUR_FINDINGS = DATA / "four_findings_expert_labels" / "individual_readers.csv"
CODE = {"NO": 0, "HEDGE": 1, "YES": 2}
EXACT = {"rtol": 1e-10, "atol": 1e-12}      # for numpy.testing.assert_allclose
APPROX = {"rel": 1e-10, "abs": 1e-12}      # the same tolerance for pytest.approx


# ============================================================================ data
@cache
def bundled(which: str):
    """(Ratings, {finding: wide DataFrame of labels}) from a pandas pivot of the CSV.

    The four-findings file has 4 duplicated (image, reader) rows: the first read is kept.
    """
    path = ALL_FINDINGS if which == "all" else FOUR_FINDINGS
    df = pd.read_csv(path)
    df = df.drop_duplicates(["Image ID", "Reader ID"], keep="first")
    skip = {"Image ID", "Patient ID", "Reader ID", "Abnormal", "Set ID"}
    findings = [c for c in df.columns if c not in skip]
    units = pd.Index(sorted(df["Image ID"].unique()))
    readers = pd.Index(sorted(df["Reader ID"].unique()))
    wide = {f: df.pivot(index="Image ID", columns="Reader ID", values=f)
            .reindex(index=units, columns=readers) for f in findings}
    arr = np.stack([wide[f].to_numpy(object) for f in findings], axis=2)
    arr = np.where(pd.isna(arr), None, arr)
    patients = df.groupby("Image ID")["Patient ID"].first().reindex(units).to_numpy()
    cats = ("NO", "HEDGE", "YES") if which == "four" else ("NO", "YES")
    r = Ratings.from_array(arr, categories=cats, units=units, readers=readers,
                           findings=findings, clusters=patients)
    if which == "four":  # HEDGE is allowed for Pneumothorax and Nodule/mass only (README)
        allowed = np.array([[True, f in ("Pneumothorax", "Nodule/mass"), True] for f in findings])
        r = replace(r, allowed=allowed)
    return r, wide


def numeric(frame: pd.DataFrame) -> np.ndarray:
    """Labels -> 0/1/2 (NO/HEDGE/YES), NaN where missing: the input peers take."""
    return frame.apply(lambda col: col.map(CODE)).to_numpy(dtype=float)


def value_counts(x: np.ndarray, values) -> np.ndarray:
    """units x values counts, the krippendorff package's ``value_counts`` input."""
    return np.stack([(x == v).sum(1) for v in values], axis=1)


def findings_of(which):
    r, wide = bundled(which)
    return [(f, wide[f]) for f in r.findings]


def q_values(which, finding):
    """The numeric codes of the categories a finding allows."""
    return [0, 1, 2] if which == "four" and finding in ("Pneumothorax", "Nodule/mass") else [0, 2]


def take(r: Ratings, positions) -> Ratings:
    """Units by position (repeats allowed), as a resampled data set."""
    return replace(r, codes=r.codes[positions], units=pd.RangeIndex(len(positions)),
                   clusters=None, meta=None)


def quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kw)


# Fleiss (1971), Table 1: 30 patients x 5 diagnoses (depression, personality disorder,
# schizophrenia, neurosis, other); each cell the number of the 6 psychiatrists choosing it.
# The same table as R irr's `diagnoses` and statsmodels' test data.
FLEISS_1971 = np.array([
    [0, 0, 0, 6, 0], [0, 3, 0, 0, 3], [0, 1, 4, 0, 1], [0, 0, 0, 0, 6], [0, 3, 0, 3, 0],
    [2, 0, 4, 0, 0], [0, 0, 4, 0, 2], [2, 0, 3, 1, 0], [2, 0, 0, 4, 0], [0, 0, 0, 0, 6],
    [1, 0, 0, 5, 0], [1, 1, 0, 4, 0], [0, 3, 3, 0, 0], [1, 0, 0, 5, 0], [0, 2, 0, 3, 1],
    [0, 0, 5, 0, 1], [3, 0, 0, 1, 2], [5, 1, 0, 0, 0], [0, 2, 0, 4, 0], [1, 0, 2, 0, 3],
    [0, 0, 0, 0, 6], [0, 1, 0, 5, 0], [0, 2, 0, 1, 3], [2, 0, 0, 4, 0], [1, 0, 0, 4, 1],
    [0, 5, 0, 1, 0], [4, 0, 0, 0, 2], [0, 2, 0, 4, 0], [1, 0, 5, 0, 0], [0, 0, 0, 0, 6],
])

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", p. 3: observers A-D
# (columns) x 12 units (rows), values 1-5, None where an observer gave no value.
KRIPPENDORFF_2011 = [
    [1, 1, None, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3], [2, 2, 2, 2], [1, 2, 3, 4],
    [4, 4, 4, 4], [1, 1, 2, 1], [2, 2, 2, 2], [None, 5, 5, 5], [None, None, 1, 1],
    [None, 3, None, None],
]


def expand_counts(table: np.ndarray) -> np.ndarray:
    """Counts table (units x categories) -> units x raters labels (category index)."""
    return np.array([np.repeat(np.arange(table.shape[1]), row) for row in table])


# ============================================================================ published
def test_fleiss_1971_diagnoses_published_value_and_irr_z():
    data = expand_counts(FLEISS_1971)
    res = fleiss_kappa(data)
    # Fleiss (1971): kappa = .430; R irr kappam.fleiss(diagnoses): 0.4302445, z = 17.65183
    assert round(res.statistic, 3) == 0.430
    assert res.statistic == pytest.approx(0.4302445, abs=5e-8)
    assert res.statistic / res.standard_error_null == pytest.approx(17.65183, abs=5e-5)
    assert res.statistic == pytest.approx(sm_fleiss_kappa(FLEISS_1971), **APPROX)
    assert res.pvalue < 1e-60 and res.n_units == 30 and res.n_raters == 6
    # Brennan-Prediger on the same table = statsmodels' Randolph free-marginal kappa
    assert brennan_prediger(data).statistic == pytest.approx(
        sm_fleiss_kappa(FLEISS_1971, method="randolph"), **APPROX)


def test_krippendorff_2011_worked_example():
    # Krippendorff (2011): alpha = 0.743 (nominal), 0.815 (ordinal), 0.849 (interval)
    for level, published in (("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)):
        res = krippendorff_alpha(KRIPPENDORFF_2011, level=level)
        assert round(res.statistic, 3) == published
        reference = krippendorff.alpha(
            reliability_data=np.array(KRIPPENDORFF_2011, dtype=float).T,
            level_of_measurement=level)
        assert res.statistic == pytest.approx(reference, **APPROX)
    # nominal by hand: pairable values per category n_k = (9, 13, 10, 5, 3), n = 40; the
    # off-diagonal coincidences sum to 8 -- unit 2 (2,2,3,2) gives 2 x 3/3, unit 6 (1,2,3,4)
    # 12 ordered pairs x 1/3, unit 8 (1,1,2,1) 2 -- so alpha = 1 - (n - 1) 8 / (n^2 - sum n_k^2)
    res = krippendorff_alpha(KRIPPENDORFF_2011)
    assert res.statistic == pytest.approx(1 - 39 * 8 / (40**2 - (9**2 + 13**2 + 10**2 + 5**2 + 3**2)))
    assert res.n_units == 11  # unit 12 has a single value: not pairable, does not count


def test_ordinal_alpha_uses_krippendorff_metric_not_ranks():
    # The point where implementations disagree: ordinal alpha uses the frequencies of the
    # values (rank sums), so it is not interval alpha on ranks 1..5 (0.849 here).
    ordinal = krippendorff_alpha(KRIPPENDORFF_2011, level="ordinal").statistic
    interval = krippendorff_alpha(KRIPPENDORFF_2011, level="interval").statistic
    assert round(ordinal, 3) == 0.815 and round(interval, 3) == 0.849
    # the order of `categories` is the scale: strings sort alphabetically unless declared
    words = {1: "very low", 2: "low", 3: "mid", 4: "high", 5: "very high"}
    labelled = [[None if v is None else words[v] for v in row] for row in KRIPPENDORFF_2011]
    scale = ["very low", "low", "mid", "high", "very high"]
    assert krippendorff_alpha(labelled, level="ordinal", categories=scale).statistic == \
        pytest.approx(ordinal, **APPROX)


def test_cohen_kappa_sas_printout():
    # SAS PROC FREQ example quoted in statsmodels' tests: joint table [[0,4,1],[0,8,0],[0,1,5]]
    table = np.array([[0, 4, 1], [0, 8, 0], [0, 1, 5]])
    i, j = np.nonzero(table)
    pairs = np.repeat(np.c_[i, j], table[i, j], axis=0)
    cats = [0, 1, 2]   # category 0 is never used by rater 2 but declared
    res = cohen_kappa(pairs, categories=cats)
    assert (round(res.statistic, 4), round(res.standard_error, 4),
            round(res.standard_error_null, 4)) == (0.4842, 0.1380, 0.1484)
    assert res.confidence_interval(method="analytic") == pytest.approx((0.2137, 0.7547), abs=1e-4)
    assert res.pvalue == pytest.approx(0.0011, abs=1e-4)     # two-sided Pr > |Z|
    w = cohen_kappa(pairs, categories=cats, weights="linear")
    assert (round(w.statistic, 4), round(w.standard_error, 4),
            round(w.standard_error_null, 4)) == (0.4701, 0.1457, 0.1426)


def test_gwet_handbook_example_against_irrcac():
    irr = pytest.importorskip("irrCAC.raw")
    from irrCAC.datasets import raw_4raters
    frame = raw_4raters()
    data = frame.to_numpy()
    cats = [1.0, 2.0, 3.0, 4.0, 5.0]  # irrCAC must be told: it counts NaN as a category
    for fn, name in ((fleiss_kappa, "fleiss"), (gwet_ac1, "gwet"), (conger_kappa, "conger"),
                     (brennan_prediger, "bp"), (krippendorff_alpha, "krippendorff")):
        ref = quiet(getattr(irr.CAC(frame, categories=cats, digits=15), name))["est"]
        res = fn(data)
        assert res.statistic == pytest.approx(ref["coefficient_value"], rel=1e-12)
        assert res.standard_error == pytest.approx(ref["se"], rel=1e-12)
    # published (Gwet 2014 / R irrCAC vignette): AC1 0.7754, BP 0.7727, Fleiss 0.7612
    assert round(gwet_ac1(data).statistic, 4) == 0.7754
    assert round(brennan_prediger(data).statistic, 4) == 0.7727
    assert round(fleiss_kappa(data).statistic, 4) == 0.7612


# ============================================================================ peers, real data
@pytest.mark.parametrize("which", ["all", "four"])
def test_krippendorff_alpha_every_finding(which):
    r, wide = bundled(which)
    table = agreement_table(r, statistics=["krippendorff_alpha", "krippendorff_alpha_ordinal",
                                           "krippendorff_alpha_interval"], clusters="unit").table
    est = table.set_index(["finding", "statistic"])["estimate"]
    for finding, frame in wide.items():
        x = numeric(frame)
        domain = [0, 1, 2] if which == "four" else [0, 2]
        counts = value_counts(x, domain)
        for level, name in (("nominal", "krippendorff_alpha"),
                            ("ordinal", "krippendorff_alpha_ordinal"),
                            ("interval", "krippendorff_alpha_interval")):
            ref = krippendorff.alpha(value_counts=counts, value_domain=domain,
                                     level_of_measurement=level)
            assert est[finding, name] == pytest.approx(ref, **APPROX), (finding, level)
            one = krippendorff_alpha(x, level=level, categories=domain).statistic
            assert one == pytest.approx(ref, **APPROX)


def test_fleiss_and_randolph_statsmodels_all_findings():
    r, wide = bundled("all")   # 810 images x 5 readers, every image read by all 5
    table = agreement_table(r, statistics=["fleiss_kappa", "brennan_prediger"], clusters="unit").table
    est = table.set_index(["finding", "statistic"])["estimate"]
    for finding, frame in wide.items():
        counts = value_counts(numeric(frame), [0, 2])
        assert est[finding, "fleiss_kappa"] == pytest.approx(sm_fleiss_kappa(counts), **APPROX)
        assert est[finding, "brennan_prediger"] == pytest.approx(
            sm_fleiss_kappa(counts, method="randolph"), **APPROX)


def test_fleiss_statsmodels_four_findings_units_with_three_reads():
    # statsmodels needs a constant number of reads: the 4,324 images read exactly 3 times
    r, wide = bundled("four")
    three = (r.codes != -1).sum(1)[:, 0] == 3
    sub = r.select(units=three)
    table = agreement_table(sub, statistics=["fleiss_kappa", "brennan_prediger"], clusters="unit").table
    est = table.set_index(["finding", "statistic"])["estimate"]
    for finding, frame in wide.items():
        domain = q_values("four", finding)
        counts = value_counts(numeric(frame)[three], domain)
        assert est[finding, "fleiss_kappa"] == pytest.approx(sm_fleiss_kappa(counts), **APPROX)
        assert est[finding, "brennan_prediger"] == pytest.approx(
            sm_fleiss_kappa(counts, method="randolph"), **APPROX)


@pytest.mark.parametrize("which", ["all", "four"])
def test_pairwise_kappa_sklearn_every_pair_and_finding(which):
    r, wide = bundled(which)
    for weights in (None, "linear", "quadratic"):
        long = pairwise_kappa(r, weights=weights).set_index(["finding", "rater_1", "rater_2"])
        checked = 0
        for finding, frame in wide.items():
            if which == "four" and weights and finding not in ("Pneumothorax", "Nodule/mass"):
                continue
            labels = q_values(which, finding)
            x = numeric(frame)
            for g, h in itertools.combinations(range(x.shape[1]), 2):
                both = ~np.isnan(x[:, g]) & ~np.isnan(x[:, h])
                if not both.any():
                    continue
                ref = quiet(cohen_kappa_score, x[both, g], x[both, h], labels=labels,
                            weights=weights)
                got = long.loc[(finding, frame.columns[g], frame.columns[h])]
                np.testing.assert_allclose(got["kappa"], ref, equal_nan=True, **EXACT)
                assert got["n_units"] == both.sum()
                checked += 1
        assert checked > (100 if which == "four" else 140)


def test_cohen_kappa_standard_errors_statsmodels():
    _r, wide = bundled("all")
    for finding in ["Atelectasis", "Effusion", "Hernia", "Pneumonia"]:
        x = numeric(wide[finding])
        for g, h in itertools.combinations(range(5), 2):
            res = cohen_kappa(x[:, [g, h]], categories=[0, 2])
            ref = sm_cohens_kappa(confusion_matrix(x[:, g], x[:, h], labels=[0, 2]))
            assert res.statistic == pytest.approx(ref.kappa, **APPROX)
            assert res.standard_error == pytest.approx(ref.std_kappa, **APPROX)
            assert res.standard_error_null == pytest.approx(ref.std_kappa0, **APPROX)
    # weighted, three categories, missing reads: two readers of the four-findings data
    _r4, wide4 = bundled("four")
    x = numeric(wide4["Nodule/mass"])
    both = ~np.isnan(x).any(1)
    g, h = np.argsort((~np.isnan(x)).sum(0))[-2:]   # the two busiest readers
    keep = ~np.isnan(x[:, g]) & ~np.isnan(x[:, h])
    for weights, wt in (("linear", "linear"), ("quadratic", "quadratic")):
        res = cohen_kappa(x[:, [g, h]], categories=[0, 1, 2], weights=weights)
        ref = sm_cohens_kappa(confusion_matrix(x[keep, g], x[keep, h], labels=[0, 1, 2]),
                              weights=np.arange(3), wt=wt)
        assert res.statistic == pytest.approx(ref.kappa, **APPROX)
        assert res.standard_error == pytest.approx(ref.std_kappa, **APPROX)
        assert res.standard_error_null == pytest.approx(ref.std_kappa0, **APPROX)
        assert res.n_units == keep.sum()
    assert both.sum() == 0  # nobody read every image: missing reads are the rule here


def test_light_kappa_is_mean_of_sklearn_pairs():
    r, wide = bundled("all")
    table = agreement_table(r, statistics=["light_kappa", "light_kappa_quadratic"], clusters="unit").table
    est = table.set_index(["finding", "statistic"])["estimate"]
    for finding, frame in wide.items():
        x = numeric(frame)
        kappas = [cohen_kappa_score(x[:, g], x[:, h]) for g, h in itertools.combinations(range(5), 2)]
        assert est[finding, "light_kappa"] == pytest.approx(np.mean(kappas), **APPROX)
        # binary: quadratic weights change nothing
        assert est[finding, "light_kappa_quadratic"] == pytest.approx(np.mean(kappas), **APPROX)


def test_percent_and_specific_agreement_brute_force_over_pairs():
    r, wide = bundled("all")
    table = agreement_table(r, statistics=["percent_agreement", "positive_agreement",
                                           "negative_agreement"], clusters="unit").table
    est = table.set_index(["finding", "statistic"])["estimate"]
    for finding, frame in wide.items():
        x = numeric(frame)
        pairs = list(itertools.combinations(range(5), 2))
        # complete data: mean pairwise agreement = mean over pairs of sklearn accuracy
        acc = np.mean([accuracy_score(x[:, g], x[:, h]) for g, h in pairs])
        assert est[finding, "percent_agreement"] == pytest.approx(acc, **APPROX)
        # pooled over pairs: PSA = sum 2a / sum (2a + b + c), NSA = sum 2d / sum (2d + b + c)
        cells = np.array([confusion_matrix(x[:, g], x[:, h], labels=[0, 2]).ravel()
                          for g, h in pairs]).sum(0)
        d, c, b, a = cells   # [[NO-NO, NO-YES], [YES-NO, YES-YES]]
        assert est[finding, "positive_agreement"] == pytest.approx(2 * a / (2 * a + b + c), **APPROX)
        assert est[finding, "negative_agreement"] == pytest.approx(2 * d / (2 * d + b + c), **APPROX)


def test_percent_agreement_missing_reads_and_its_standard_error():
    _r, wide = bundled("four")
    x = numeric(wide["Airspace opacity"])
    per_unit = []
    for row in x:  # brute force: the share of agreeing pairs of reads of each image
        v = row[~np.isnan(row)]
        if len(v) >= 2:
            per_unit.append(np.mean([a == b for a, b in itertools.combinations(v, 2)]))
    res = percent_agreement(x)
    assert res.statistic == pytest.approx(np.mean(per_unit), **APPROX)
    assert res.standard_error == pytest.approx(st.sem(per_unit), **APPROX)
    assert res.n_units == len(per_unit)


def test_irrcac_four_findings_every_finding_with_standard_errors():
    irr = pytest.importorskip("irrCAC.raw")
    r, wide = bundled("four")
    table = agreement_table(r, statistics=[
        "fleiss_kappa", "gwet_ac1", "gwet_ac2_linear", "gwet_ac2_quadratic", "conger_kappa",
        "brennan_prediger", "krippendorff_alpha", "krippendorff_alpha_interval"], clusters="unit").table
    t = table.set_index(["finding", "statistic"])
    for finding, frame in wide.items():
        x = pd.DataFrame(numeric(frame))
        cats = [float(v) for v in q_values("four", finding)]
        refs = {
            "fleiss_kappa": ("fleiss", "identity"), "gwet_ac1": ("gwet", "identity"),
            "gwet_ac2_linear": ("gwet", "linear"), "gwet_ac2_quadratic": ("gwet", "quadratic"),
            "conger_kappa": ("conger", "identity"), "brennan_prediger": ("bp", "identity"),
            "krippendorff_alpha": ("krippendorff", "identity"),
            "krippendorff_alpha_interval": ("krippendorff", "quadratic"),
        }
        for name, (method, weights) in refs.items():
            ref = quiet(getattr(irr.CAC(x, weights=weights, categories=cats, digits=15), method))
            row = t.loc[(finding, name)]
            assert row["estimate"] == pytest.approx(ref["est"]["coefficient_value"], rel=1e-11)
            assert row["standard_error"] == pytest.approx(ref["est"]["se"], rel=1e-9)


def test_conger_two_raters_is_cohen_and_multirater_by_hand():
    _r, wide = bundled("all")
    x = numeric(wide["Effusion"])
    assert conger_kappa(x[:, :2]).statistic == pytest.approx(
        cohen_kappa_score(x[:, 0], x[:, 1]), **APPROX)
    # Conger (1980): p_e = mean over pairs of raters of their Cohen chance agreement
    p = np.stack([(x == 0).mean(0), (x == 2).mean(0)], 1)      # raters x categories
    pe = np.mean([p[g] @ p[h] for g, h in itertools.combinations(range(5), 2)])
    pa = percent_agreement(x).statistic
    assert conger_kappa(x).statistic == pytest.approx((pa - pe) / (1 - pe), **APPROX)


# ============================================================================ hand checks
def test_pabak_and_ac1_two_raters_by_hand():
    # 2 raters, 10 units: 6 YES-YES, 2 NO-NO, 2 YES-NO -> p_o = 0.8
    data = [["YES", "YES"]] * 6 + [["NO", "NO"]] * 2 + [["YES", "NO"]] * 2
    assert brennan_prediger(data).statistic == pytest.approx(2 * 0.8 - 1)      # PABAK
    pi_yes = (6 + 6 + 1) / 20 * 0 + np.mean([1] * 6 + [0] * 2 + [0.5] * 2)     # 0.7
    pe = 2 * pi_yes * (1 - pi_yes) / (2 - 1)                                    # 0.42
    res = gwet_ac1(data)
    assert res.chance_agreement == pytest.approx(0.42)
    assert res.statistic == pytest.approx((0.8 - pe) / (1 - pe))
    # a declared but unused category changes AC1 and BP (q = 3), not Fleiss
    cats = ["NO", "MAYBE", "YES"]
    assert brennan_prediger(data, categories=cats).statistic == pytest.approx((0.8 - 1 / 3) / (2 / 3))
    pe3 = (0.7 * 0.3 + 0.3 * 0.7 + 0) / (3 - 1)
    assert gwet_ac1(data, categories=cats).statistic == pytest.approx((0.8 - pe3) / (1 - pe3))
    assert fleiss_kappa(data, categories=cats).statistic == pytest.approx(fleiss_kappa(data).statistic)


def test_specific_agreement_two_raters_and_other_categories():
    data = [[1, 1], [1, 0], [0, 0], [0, 0], [1, 1], [0, 1], [1, 1]]
    a, b, c, d = 3, 1, 1, 2
    assert specific_agreement(data).statistic == pytest.approx(2 * a / (2 * a + b + c))
    assert specific_agreement(data, category=0).statistic == pytest.approx(2 * d / (2 * d + b + c))
    with pytest.raises(ValueError, match="not one of"):
        specific_agreement(data, category=5)


NULL_DESIGN = [[0, 0, 1, None], [1, 1, 1, 2], [2, 2, None, None], [0, 1, 2, 0],
               [0, 0, 0, None], [1, None, None, None], [2, 2, 1, 1], [0, 1, None, None]]


def test_fleiss_null_se_varying_reads_is_the_exact_delta_method_variance():
    # Under H0 every read is an independent draw from pi. Linearized at kappa = 0, unit i
    # contributes l_i = a_i / n2 - 2 sum_k pi_k n_ik / (r_i n1) (a_i its pair agreement, only
    # for r_i >= 2), and Var0(kappa) = sum_i Var(l_i) / (1 - p_e)^2. Enumerate each unit's
    # multinomial law exactly (scipy) instead of using the closed form.
    res = fleiss_kappa(NULL_DESIGN)
    rows = [[v for v in row if v is not None] for row in NULL_DESIGN]
    pi = np.mean([np.bincount(v, minlength=3) / len(v) for v in rows], axis=0)
    n1, n2 = len(rows), sum(len(v) >= 2 for v in rows)

    def var_linear(r):
        outcomes = [n for n in itertools.product(range(r + 1), repeat=3) if sum(n) == r]
        prob = np.array([st.multinomial.pmf(n, r, pi) for n in outcomes])
        agree = [sum(x * (x - 1) for x in n) / (r * (r - 1)) / n2 if r >= 2 else 0.0
                 for n in outcomes]
        lin = np.array(agree) - 2 * np.array([pi @ n for n in outcomes]) / (r * n1)
        return prob @ lin**2 - (prob @ lin) ** 2

    expected = np.sqrt(sum(var_linear(len(v)) for v in rows)) / (1 - pi @ pi)
    assert res.standard_error_null == pytest.approx(expected, rel=1e-12)


def test_fleiss_null_se_varying_reads_matches_simulated_null_distribution():
    # 300 images, 1-5 reads each, every read an independent draw from p: the spread of
    # Fleiss' kappa over 2,000 simulated studies is the null SE (Monte Carlo error ~2%).
    rng = np.random.default_rng(2024)
    n_units, n_readers, n_sim = 300, 5, 2000
    reads = np.arange(n_units) % n_readers + 1
    codes = rng.choice(3, p=[0.5, 0.3, 0.2], size=(n_units, n_readers, n_sim)).astype(np.int8)
    codes[np.arange(n_readers)[None, :] >= reads[:, None]] = -1
    sims = Ratings(codes=codes, categories=(0, 1, 2), units=pd.RangeIndex(n_units),
                   readers=pd.RangeIndex(n_readers), findings=pd.RangeIndex(n_sim))
    stat = sum_statistic("fleiss_kappa", sims)
    total = stat.sums(sims.codes)
    kappas, se0 = stat.finalize(total), stat.null_se(total)
    assert np.std(kappas, ddof=1) == pytest.approx(np.mean(se0), rel=0.06)
    assert abs(np.mean(kappas)) < 3 * np.mean(se0) / np.sqrt(n_sim)  # unbiased under H0


# ============================================================================ degenerate
ALL_FUNCTIONS = [percent_agreement, specific_agreement, fleiss_kappa, conger_kappa,
                 light_kappa, brennan_prediger, gwet_ac1, krippendorff_alpha]


def test_one_category_only_is_nan_with_warning_not_zero_or_one():
    data = [["NO", "NO", "NO"]] * 5
    for fn in (fleiss_kappa, conger_kappa, light_kappa, krippendorff_alpha):
        with pytest.warns(UndefinedAgreementWarning, match="undefined"):
            res = fn(data)
        assert np.isnan(res.statistic)
        assert res.confidence_interval() == (pytest.approx(np.nan, nan_ok=True),) * 2
    with pytest.warns(UndefinedAgreementWarning, match="one category"):
        assert np.isnan(cohen_kappa([["NO", "NO"]] * 4).statistic)
    with pytest.warns(UndefinedAgreementWarning, match="fewer than two categories"):
        assert np.isnan(gwet_ac1(data).statistic)       # q = 1: nothing to agree on
    # declared two categories: AC1 and BP are defined (perfect agreement) as Gwet says
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gwet_ac1(data, categories=["NO", "YES"]).statistic == 1.0
        assert brennan_prediger(data, categories=["NO", "YES"]).statistic == 1.0
        assert percent_agreement(data).statistic == 1.0


def test_single_rater_all_missing_empty_never_crash():
    cases = {"single rater": [[1], [0], [1]],
             "all missing": [[None, None], [None, None]],
             "units read once": [[1, None], [None, 0], [1, None]],
             "empty": np.empty((0, 3)), "empty list": []}
    for label, data in cases.items():
        for fn in ALL_FUNCTIONS:
            with pytest.warns(UndefinedAgreementWarning):
                res = fn(data)
            assert isinstance(res, AgreementResult) and np.isnan(res.statistic), (label, fn)
            assert res.n_units == 0
    assert pairwise_kappa([[1], [0]]).shape == (1, 1)


def test_units_read_once_do_not_count_in_alpha_or_observed_agreement():
    base = [[1, 1, 2], [2, 2, 2], [1, 2, None], [3, 3, 3]]
    extra = base + [[None, 3, None], [1, None, None]]
    for level in ("nominal", "ordinal", "interval"):
        assert krippendorff_alpha(extra, level=level).statistic == pytest.approx(
            krippendorff_alpha(base, level=level).statistic, **APPROX)
    assert percent_agreement(extra).statistic == pytest.approx(percent_agreement(base).statistic)
    # Fleiss' p_e (Gwet's pi) does use them: compare the irrCAC definition by hand
    rows = [[v for v in row if v is not None] for row in extra]
    pi = np.mean([[np.mean(np.array(v) == c) for c in (1, 2, 3)] for v in rows], axis=0)
    assert fleiss_kappa(extra).chance_agreement == pytest.approx(pi @ pi)


def test_missing_read_is_never_a_category():
    with_missing = [["YES", None, "NO"], ["NO", "NO", None], [None, "YES", "YES"]]
    res = brennan_prediger(with_missing)
    assert res.chance_agreement == 0.5                    # q = 2, not 3
    nan_coded = [[1.0, np.nan, 0.0], [0.0, 0.0, np.nan], [np.nan, 1.0, 1.0]]
    assert gwet_ac1(nan_coded).chance_agreement == pytest.approx(gwet_ac1(with_missing).chance_agreement)
    frame = pd.DataFrame(nan_coded)
    assert fleiss_kappa(frame).statistic == pytest.approx(fleiss_kappa(with_missing).statistic)


def test_bad_input_messages():
    with pytest.raises(ValueError, match="not one of the categories"):
        fleiss_kappa([[1, 2], [3, 1]], categories=[1, 2])
    with pytest.raises(ValueError, match="two raters"):
        cohen_kappa([[1, 2, 1]])
    with pytest.raises(ValueError, match="level"):
        krippendorff_alpha([[1, 2]], level="ratio")
    with pytest.raises(ValueError, match="weights"):
        fleiss_kappa([[1, 2]], weights="cubic")
    r, _ = bundled("all")
    with pytest.raises(ValueError, match="findings"):
        fleiss_kappa(r)
    with pytest.raises(ValueError, match="unknown statistic"):
        agreement_table(r, statistics=["kappa"])


# ============================================================================ contract
@pytest.mark.parametrize("name", STATISTICS)
def test_finalize_of_weighted_sums_equals_statistic_of_resampled_data(name):
    # The bootstrap's contract: finalize(w @ S) is the statistic of the data in which unit i
    # appears w_i times. Integer weights let us build that data set and recompute.
    r, _ = bundled("four")
    sub = take(r, np.arange(300))
    stat = sum_statistic(name, sub)
    S = stat.unit_stats(sub.codes)
    assert S.ndim == 3 and S.shape[:2] == (300, sub.n_findings)
    np.testing.assert_allclose(stat.finalize(S.sum(0)), stat.finalize(stat.sums(sub.codes)),
                               equal_nan=True, **EXACT)
    w = np.random.default_rng(3).integers(0, 3, size=(2, 300))
    replicates = stat.finalize(np.tensordot(w, S, axes=1))
    for b in range(2):
        resampled = take(sub, np.repeat(np.arange(300), w[b]))
        direct = sum_statistic(name, resampled)   # the design (q, categories) is unchanged
        if name.startswith("light"):              # ... but some pairs may have vanished
            direct = stat
        np.testing.assert_allclose(replicates[b], direct.finalize(direct.sums(resampled.codes)),
                                   equal_nan=True, **EXACT)
    assert set(_SUM_STATISTICS) == set(STATISTICS)


def test_table_matches_single_item_functions():
    r, _ = bundled("four")
    table = quiet(agreement_table, r, clusters="unit").table.set_index(["finding", "statistic"])
    functions = {
        "percent_agreement": percent_agreement, "fleiss_kappa": fleiss_kappa,
        "conger_kappa": conger_kappa, "light_kappa": light_kappa,
        "brennan_prediger": brennan_prediger, "gwet_ac1": gwet_ac1,
        "krippendorff_alpha": krippendorff_alpha,
    }
    for finding in r.findings:
        one = r.select(findings=[finding])
        for name, fn in functions.items():
            res = quiet(fn, one, clusters="unit")
            row = table.loc[(finding, name)]
            np.testing.assert_allclose(row["estimate"], res.statistic, equal_nan=True, **EXACT)
            np.testing.assert_allclose(row["standard_error"], res.standard_error,
                                       equal_nan=True, **EXACT)
            assert row["n_units"] == res.n_units and row["n_raters"] == res.n_raters
        alpha_ord = krippendorff_alpha(one, level="ordinal").statistic
        assert table.loc[(finding, "krippendorff_alpha_ordinal"), "estimate"] == pytest.approx(alpha_ord)


def test_cluster_robust_se_on_duplicated_units_equals_plain_se():
    # Duplicating every unit inside its own cluster leaves the cluster-robust variance equal
    # to the independent-units variance of the original data (sum of psi doubles, n doubles).
    _r, wide = bundled("all")
    x = numeric(wide["Effusion"])
    doubled = np.repeat(x, 2, axis=0)
    ids = np.repeat(np.arange(len(x)), 2)
    # (not Krippendorff's alpha: its (n - 1) / n small-sample factor changes when n doubles)
    for fn in (fleiss_kappa, gwet_ac1, conger_kappa, brennan_prediger, percent_agreement):
        plain, clustered = fn(x), fn(doubled, clusters=ids)
        assert clustered.statistic == pytest.approx(plain.statistic, **APPROX)
        assert clustered.standard_error == pytest.approx(plain.standard_error, rel=1e-9)
    plain = cohen_kappa(x[:, :2])
    clustered = cohen_kappa(doubled[:, :2], clusters=ids)
    n = len(x)   # FCE divides by n^2; the sandwich adds the usual C / (C - 1)
    assert clustered.standard_error == pytest.approx(plain.standard_error * np.sqrt(n / (n - 1)),
                                                     rel=1e-9)


# ============================================================================ HEDGE
def test_hedge_views():
    r, wide = bundled("four")
    x = numeric(wide["Pneumothorax"])
    def alpha(table, name="krippendorff_alpha"):
        return table.set_index(["finding", "statistic"]).loc[("Pneumothorax", name), "estimate"]
    views = {h: agreement_table(r, statistics=["krippendorff_alpha",
                                                "krippendorff_alpha_ordinal"],
                                hedge=h, clusters="unit") for h in ("category", "negative",
                                                                    "positive", "missing")}
    for h, res in views.items():
        assert (res.table["hedge"] == h).all() and res.settings["hedge"] == h
    views = {h: res.table for h, res in views.items()}
    as_no = np.where(x == 1, 0, x)
    as_yes = np.where(x == 1, 2, x)
    as_missing = np.where(x == 1, np.nan, x)
    kr = lambda v, level="nominal", dom=(0, 1, 2): krippendorff.alpha(
        value_counts=value_counts(v, dom), value_domain=list(dom), level_of_measurement=level)
    assert alpha(views["category"]) == pytest.approx(kr(x), **APPROX)
    assert alpha(views["category"], "krippendorff_alpha_ordinal") == pytest.approx(
        kr(x, "ordinal"), **APPROX)
    assert alpha(views["negative"]) == pytest.approx(kr(as_no, dom=(0, 2)), **APPROX)
    assert alpha(views["positive"]) == pytest.approx(kr(as_yes, dom=(0, 2)), **APPROX)
    assert alpha(views["missing"]) == pytest.approx(kr(as_missing, dom=(0, 2)), **APPROX)
    # the default statistics add ordinal ones when HEDGE is a middle category
    default = quiet(agreement_table, r, clusters="unit").table
    assert "krippendorff_alpha_ordinal" in set(default["statistic"])
    assert "krippendorff_alpha_ordinal" not in set(
        quiet(agreement_table, r, hedge="negative", clusters="unit").table["statistic"])
    # no HEDGE in the all-findings data: the option is ignored and the table says so
    r_all, _ = bundled("all")
    t = agreement_table(r_all, statistics=["fleiss_kappa"], hedge="missing", clusters="unit")
    assert "ignored" in t.notes[0]
    # a vocabulary sorted alphabetically is put in scale order
    view, _ = hedge_view(Ratings.from_array([["YES", "HEDGE"], ["NO", "HEDGE"]]))
    assert view.categories == ("NO", "HEDGE", "YES")


def test_agreement_table_columns_and_clusters():
    r, _ = bundled("four")
    res = quiet(agreement_table, r, statistics=["fleiss_kappa", "krippendorff_alpha_ordinal"])
    t = res.table
    assert list(t.columns) == ["finding", "statistic", "estimate", "standard_error", "ci_low",
                               "ci_high", "n_units", "n_raters", "method", "hedge", "seed"]
    assert len(t) == 2 * r.n_findings and res.settings["clusters"] == "patients"
    fk = t[t["statistic"] == "fleiss_kappa"]
    assert (fk["method"] == "wald (cluster-robust, patients)").all()
    assert (fk["ci_low"] < fk["estimate"]).all() and (fk["estimate"] < fk["ci_high"]).all()
    # no analytic SE for ordinal alpha: no interval, and the method says so
    ko = t[t["statistic"] == "krippendorff_alpha_ordinal"]
    assert ko["ci_low"].isna().all() and (ko["method"] == "none").all()
    plain = quiet(agreement_table, r, statistics=["fleiss_kappa"], clusters="unit").table
    assert (plain["method"] == "wald (units)").all()
    # cluster-robust SEs are larger here: patients contribute several images
    assert (fk["standard_error"].to_numpy() > plain["standard_error"].to_numpy() * 0.95).all()


def test_undefined_findings_warn_in_table():
    r = Ratings.from_array(np.array([[["NO", "YES"], ["NO", "NO"]], [["NO", "YES"], ["NO", "YES"]]]),
                           findings=["rare", "common"])
    with pytest.warns(UndefinedAgreementWarning, match="rare: every read falls in one category"):
        t = agreement_table(r, statistics=["fleiss_kappa"], clusters="unit").table
    assert np.isnan(t["estimate"][0]) and np.isfinite(t["estimate"][1])


# ============================================================================ bootstrap
def test_bootstrap_interval_brackets_estimate_and_is_reproducible():
    r, wide = bundled("all")
    x = numeric(wide["Effusion"])
    patients = r.clusters
    a = fleiss_kappa(x, ci="bootstrap", n_resamples=400, seed=11, clusters=patients)
    b = fleiss_kappa(x, ci="bootstrap", n_resamples=400, seed=11, clusters=patients)
    low, high = a.confidence_interval()
    assert low < a.statistic < high
    assert (low, high) == b.confidence_interval()
    assert a.bootstrap.estimate == pytest.approx(a.statistic, **APPROX)
    assert a.bootstrap.clustered and a.bootstrap.n_clusters == len(set(patients))
    # the analytic interval is still there on demand, and close to the bootstrap one
    wald = a.confidence_interval(method="analytic")
    assert wald != (low, high) and abs(wald.low - low) < 0.05
    assert a.confidence_interval(0.5).high < high
    for fn in (krippendorff_alpha, light_kappa, specific_agreement, cohen_kappa):
        data = x[:, :2] if fn is cohen_kappa else x
        res = fn(data, ci="bootstrap", n_resamples=200, seed=1, method="percentile")
        lo, hi = res.confidence_interval()
        assert lo <= res.statistic <= hi


def test_table_bootstrap_uses_same_sums():
    r, _ = bundled("four")
    t = quiet(agreement_table, r, statistics=["gwet_ac1", "krippendorff_alpha_ordinal"],
              ci="bootstrap", n_resamples=200, seed=5).table
    point = quiet(agreement_table, r, statistics=["gwet_ac1", "krippendorff_alpha_ordinal"]).table
    np.testing.assert_allclose(t["estimate"], point["estimate"], **EXACT)
    assert t["method"].str.startswith("bootstrap bca (patients)").all()
    assert (t["ci_low"] <= t["estimate"]).all() and (t["estimate"] <= t["ci_high"]).all()
    assert t["standard_error"].notna().all()
    with pytest.raises(ValueError, match="ci must"):
        agreement_table(r, ci="jackknife")


# ============================================================================ internal paths
def test_numeric_fast_path_equals_as_ratings():
    from adjudicate.agreement.coefficients import item_ratings
    cases = [
        ([[1, 2], [3, None]], None), ([[1.0, 2.5], [np.nan, -1.0]], None),
        (np.array([[0, 1], [1, 1]]), [0, 1, 2]), (np.array([[2.0, np.nan], [0, 2]]), [2, 0]),
        (np.array([[True, False], [True, True]]), None), (np.array([[5, 7], [9, 5]]), None),
        # whole numbers 0..127 take the byte path: labels that are their codes, labels that
        # are not (1..5, gaps), declared unused categories, 0..40 (a bincount of bytes), a
        # label past a byte, all missing, -0.0
        ([[1, 2, None], [3, 5, 5], [None, 4, 1]], None), ([[0, 1], [1, None]], [0, 1]),
        ([[0, 1], [1, None]], [1, 0, 7]), ([[3, 9], [9, None]], None),
        (np.arange(41.0).reshape(-1, 1) * [1, 1], None), ([[0, 200], [1, None]], None),
        ([[None, None], [None, None]], None), ([[-0.0, 1.0], [1.0, 0.0]], None),
    ]
    for data, cats in cases:
        arr = np.array(data, dtype=float) if not isinstance(data, np.ndarray) else data
        fast = item_ratings(arr, cats)
        slow = adjudicate.as_ratings(np.where(np.isnan(arr.astype(float)), None, arr).astype(object)
                                     if arr.dtype.kind == "f" else arr.astype(object), categories=cats)
        assert fast.categories == slow.categories
        np.testing.assert_array_equal(fast.codes, slow.codes)
    with pytest.raises(ValueError, match="not one of the categories"):
        item_ratings(np.array([[1.0, 4.0]]), [1, 2])
    with pytest.raises(ValueError, match="not one of the categories"):
        item_ratings(np.array([[1.5, 4.0]]), [1.5, 2])
    with pytest.raises(ValueError, match=r"value np.float64\(3.0\) is not one of"):
        item_ratings(np.array([[1.0, np.nan], [3.0, 0.0]]), [0, 1])   # the first in row order


def test_pattern_and_block_paths_agree(monkeypatch):
    # Sums and variances via count patterns / reader-code patterns must equal the plain
    # per-unit blocks (forced by disabling the patterns), with and without clusters.
    from adjudicate.agreement import patterns as patterns_module
    r, _ = bundled("all")
    sub = take(r, np.arange(400))
    clusters = np.arange(400) // 3
    names = ["fleiss_kappa", "gwet_ac2_linear", "conger_kappa", "light_kappa",
             "krippendorff_alpha_interval", "percent_agreement", "positive_agreement"]

    def run():
        out = {}
        for name in names:
            stat = sum_statistic(name, sub)
            total = stat.sums(sub.codes)
            out[name] = (total, stat.variance(sub.codes, total),
                         stat.variance(sub.codes, total, clusters))
        return out

    with_patterns = run()
    assert patterns_module.code_patterns(sub.codes, 2) is not None
    monkeypatch.setattr(patterns_module, "_MAX_PATTERNS", 0)
    monkeypatch.setattr(patterns_module, "_MAX_CODE_PATTERNS", 0)
    patterns_module._PATTERN_CACHE.clear()
    assert patterns_module.count_patterns(sub.codes, 2) is None
    blocks = run()
    for name in names:
        for a, b in zip(with_patterns[name], blocks[name], strict=True):
            np.testing.assert_allclose(a, b, equal_nan=True, err_msg=name, **EXACT)


def test_dataframe_input_keeps_labels():
    _, wide = bundled("all")
    frame = wide["Effusion"]                       # strings, reader ids as columns
    m = pairwise_kappa(frame)
    assert list(m.columns) == list(frame.columns) and list(m.index) == list(frame.columns)
    g, h = frame.columns[:2]
    x = numeric(frame)
    assert cohen_kappa(frame, raters=(g, h)).statistic == pytest.approx(
        cohen_kappa_score(x[:, 0], x[:, 1]), **APPROX)
    numeric_frame = pd.DataFrame(x, columns=frame.columns)
    assert fleiss_kappa(numeric_frame).statistic == pytest.approx(fleiss_kappa(frame).statistic)


def test_table_bootstrap_is_one_resampling_for_all_statistics():
    """Every statistic of the table sees the same replicates: each row's interval equals the
    single-coefficient bootstrap with the same seed and patients (computed separately)."""
    import adjudicate as adj

    r = adj.load_dataset("all_findings").ratings.select(findings=["Effusion", "Hernia"])
    t = agreement_table(r, statistics=["fleiss_kappa", "gwet_ac1"], ci="bootstrap",
                        n_resamples=300, seed=11, method="percentile").table
    t = t.set_index(["finding", "statistic"])
    for finding in ("Effusion", "Hernia"):
        one = r.select(findings=finding)
        for fn, name in ((fleiss_kappa, "fleiss_kappa"), (gwet_ac1, "gwet_ac1")):
            res = fn(one, ci="bootstrap", n_resamples=300, seed=11, method="percentile",
                     clusters=one.clusters)
            lo, hi = res.confidence_interval()
            assert (t.loc[(finding, name), "ci_low"], t.loc[(finding, name), "ci_high"]) == \
                pytest.approx((lo, hi), rel=1e-12)
