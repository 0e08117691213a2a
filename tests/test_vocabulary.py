"""One vocabulary across the API (issue 9) and the defaults that flattered readers (issue 10).

Expected values are computed independently in each test: by bisection on the reported
interval (p-values), from the closed-form Wilson interval, from hand counts, or by running the
same call again with the seed a result reports.
"""

import io
import json
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

import adjudicate as adj
from adjudicate import Ratings
from adjudicate.cli import main
from adjudicate.resample import IndependentUnitsWarning, bootstrap_sums, resolve_clusters


def quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kw)


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


# ------------------------------------------------------------------ p-values invert intervals
@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_p_value_is_the_smallest_alpha_whose_interval_excludes_the_null(method):
    """Bisection on confidence_interval itself: an independent route to the same number."""
    rng = np.random.default_rng(5)
    x = rng.normal(0.35, 1.0, size=(30, 3)) * [1, 2, 0.5]
    res = bootstrap_sums(np.concatenate([x, np.ones((30, 1))], 1),
                         lambda s: s[..., :3] / s[..., 3:], n_resamples=3000, seed=2,
                         method=method)
    p = res.p_value()
    for j in range(3):
        lo_alpha, hi_alpha = 1e-6, 1 - 1e-6   # excluded at hi_alpha? find the boundary
        for _ in range(60):
            mid = (lo_alpha + hi_alpha) / 2
            low, high = (v[j] for v in res.confidence_interval(1 - mid))
            if low > 0 or high < 0:
                hi_alpha = mid
            else:
                lo_alpha = mid
        assert p[j] == pytest.approx(hi_alpha, abs=1e-6)


@pytest.mark.parametrize("name, method, level", [("all_findings", "bca", 0.95),
                                                 ("four_findings", "bca", 0.9),
                                                 ("all_findings", "percentile", 0.95)])
def test_p_value_below_alpha_exactly_when_the_interval_excludes_zero(name, method, level):
    res = quiet(adj.compare_nlp, name, n_resamples=300, seed=11, method=method,
                confidence_level=level)
    d = res.differences
    d = d[d.p_value.notna() & d.ci_low.notna()]
    assert len(d) > 50
    excludes = (d.ci_low > 0) | (d.ci_high < 0)
    significant = d.p_value < 1 - level
    assert excludes.any() and (~excludes).any()
    assert (excludes == significant).all(), d[excludes != significant][
        ["rater", "finding", "statistic", "estimate", "ci_low", "ci_high", "p_value"]]


# ------------------------------------------------------------------ seeds
def test_a_drawn_seed_is_reported_and_repeats_the_run():
    r = adj.load_dataset("all_findings").ratings.select(findings=["Mass", "Effusion"])
    kw = {"statistics": ["fleiss_kappa"], "ci": "bootstrap", "n_resamples": 50}
    first = adj.agreement_table(r, **kw)
    seed = first.settings["seed"]
    assert isinstance(seed, int) and (first.table["seed"] == seed).all()
    again = adj.agreement_table(r, seed=seed, **kw)
    pd.testing.assert_frame_equal(first.table, again.table)
    acc = quiet(adj.accuracy_table, adj.nlp_ratings(adj.load_dataset("four_findings")).select(
        findings=["Pneumothorax"]), adj.load_dataset("four_findings").labels, n_resamples=40)
    assert isinstance(acc.seed, int) and (acc.table["seed"] == acc.seed).all()
    vote = adj.majority_vote([["YES", "NO"], ["NO", "YES"]], ties="random")
    assert isinstance(vote.policy["seed"], int)


def test_cli_reports_the_seed_it_drew(capsys):
    code, out, _ = run(capsys, "agreement", "--statistics", "fleiss_kappa", "--findings",
                       "Mass", "--bootstrap", "40", "--format", "json")
    assert code == 0 and isinstance(json.loads(out)["settings"]["seed"], int)
    code, out, _ = run(capsys, "agreement", "--statistics", "fleiss_kappa", "--findings",
                       "Mass", "--bootstrap", "40", "--format", "csv")
    assert pd.read_csv(io.StringIO(out))["seed"].notna().all()
    code, out, _ = run(capsys, "agreement", "--statistics", "fleiss_kappa", "--findings",
                       "Mass", "--bootstrap", "40")
    assert "seed " in out and "seed None" not in out


# ------------------------------------------------------------------ clusters
def test_clusters_mean_the_same_everywhere():
    r = adj.load_dataset("all_findings").ratings
    one = r.select(findings=["Effusion"])
    # None = the ratings' own patients; the ids themselves and "patient" say the same
    t_none = quiet(adj.agreement_table, r, statistics=["fleiss_kappa"]).table
    t_ids = quiet(adj.agreement_table, r, statistics=["fleiss_kappa"], clusters=r.clusters).table
    pd.testing.assert_series_equal(t_none["standard_error"], t_ids["standard_error"])
    assert t_none["method"].str.contains("patients").all()
    a = quiet(adj.fleiss_kappa, one)
    b = quiet(adj.fleiss_kappa, one, clusters=r.clusters)
    c = quiet(adj.fleiss_kappa, one, clusters="unit")
    assert a.standard_error == b.standard_error != c.standard_error
    assert (a.clusters, c.clusters) == ("patients", "units")
    # the bootstrap engine takes the design, or ids numbered the same way
    design = resolve_clusters(None, r)
    w1 = adj.bootstrap_weights(r.n_units, clusters=design, n_resamples=5, seed=1)
    w2 = adj.bootstrap_weights(r.n_units, clusters=r.clusters, n_resamples=5, seed=1)
    np.testing.assert_array_equal(w1, w2)
    np.testing.assert_array_equal(r.cluster_codes()[0], design.codes)


def test_no_clusters_known_is_said_with_a_warning_and_in_the_method_column():
    r = Ratings.from_array([["YES", "NO", "YES"], ["NO", "NO", "NO"], ["YES", "YES", "NO"],
                            ["NO", "YES", "NO"]])
    with pytest.warns(IndependentUnitsWarning):
        res = adj.agreement_table(r, statistics=["fleiss_kappa"])
    assert res.table["method"].iloc[0] == "wald (units)" and res.settings["clusters"] == "units"
    assert any("independent" in n for n in res.notes)
    with warnings.catch_warnings():
        warnings.simplefilter("error", IndependentUnitsWarning)  # "unit": on purpose, silent
        adj.agreement_table(r, statistics=["fleiss_kappa"], clusters="unit")


def test_confidence_level_and_policy_names():
    r = adj.load_dataset("four_findings").ratings.select(findings=["Pneumothorax"])
    t90 = quiet(adj.agreement_table, r, statistics=["fleiss_kappa"], confidence_level=0.9).table
    t95 = quiet(adj.agreement_table, r, statistics=["fleiss_kappa"]).table
    # Wald: the half-widths scale with the normal quantiles
    ratio = (t90.ci_high - t90.estimate) / (t95.ci_high - t95.estimate)
    assert ratio.iloc[0] == pytest.approx(norm.ppf(0.95) / norm.ppf(0.975))
    with pytest.raises(ValueError, match="renamed 'missing'"):
        adj.majority_vote(r, ties="abstain")
    with pytest.raises(ValueError, match="renamed 'missing'"):
        adj.majority_vote(r, hedge="abstain")
    assert adj.AgreementResult(0.5, standard_error=0.1).method == "wald"


def test_cli_policy_choices_retire_abstain(capsys):
    assert main(["compare-nlp", "--ties", "abstain"]) == 2  # argparse's error, one line
    assert "invalid choice: 'abstain'" in capsys.readouterr().err


def test_every_cli_policy_option_offers_the_vocabulary_in_its_order():
    # every --hedge/--vote-hedge/--ties of every command (and sub-command) lists exactly the
    # names of adjudicate.vote, in their order: all four HEDGE policies, or the three that
    # leave NO/YES labels (all but "category"), and the four tie policies
    import argparse

    from adjudicate.cli import build_parser
    from adjudicate.vote import BINARY_HEDGE_POLICIES, HEDGE_POLICIES, TIE_POLICIES

    assert BINARY_HEDGE_POLICIES == ("negative", "positive", "missing")
    seen = []

    def walk(parser, path):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, path + [name])
            elif action.dest in ("hedge", "vote_hedge", "ties"):
                seen.append((" ".join(path), action.dest, tuple(action.choices)))

    walk(build_parser(), [])
    assert len(seen) >= 10 and {p for p, _, _ in seen} >= {"agreement", "compare", "report",
                                                           "reproduce four-findings", "vote"}
    for path, dest, choices in seen:
        allowed = (TIE_POLICIES,) if dest == "ties" else (HEDGE_POLICIES, BINARY_HEDGE_POLICIES)
        assert choices in allowed, (path, dest, choices)


# ------------------------------------------------------------------ one positive rule
def test_positive_category_rule_and_specific_agreement():
    assert adj.positive_category(("NO", "YES")) == "YES"
    assert adj.positive_category((0, 1)) == 1
    assert adj.positive_category(("absent", "present")) == "present"
    assert adj.positive_category((0,)) is None
    with pytest.raises(ValueError, match="positive="):
        adj.positive_category(("a", "b", "c"), required=True)
    # all NO, nothing declared: not "1.0 positive agreement" (that would be agreement on NO)
    with pytest.warns(adj.UndefinedAgreementWarning, match="which category is positive"):
        res = adj.specific_agreement([[0, 0], [0, 0], [0, 0]])
    assert np.isnan(res.statistic)
    # declared: agreement on 1 is undefined (no pair involves 1); on 0 it is 1 (6 of 6 pairs)
    assert adj.specific_agreement([[0, 0], [0, 0], [0, 0]], category=0).statistic == 1.0


def test_negative_agreement_is_on_the_vocabulary_s_negative_category():
    # lower-case no/hedge/yes sorts as (hedge, no, yes): the known vocabulary NO < HEDGE < YES
    # says "no" is the negative category, as "yes" is the positive one (adj.VOCABULARIES)
    # -- not the first category, "hedge". Two readers, five units:
    #   (no, no) (yes, yes) (no, hedge) (hedge, hedge) (yes, no)
    # agreement on "no": 2 * 1 agreeing pair / 4 "no" reads = 0.5 (on "hedge" it would be
    # 2 * 1 / 3 reads = 2/3)
    r = Ratings.from_array([["no", "no"], ["yes", "yes"], ["no", "hedge"], ["hedge", "hedge"],
                            ["yes", "no"]])
    assert r.categories == ("hedge", "no", "yes")
    t = adj.agreement_table(r, statistics=["positive_agreement", "negative_agreement"],
                            clusters="unit").table.set_index("statistic")["estimate"]
    assert t["negative_agreement"] == pytest.approx(0.5)
    # positive: 2 * 1 agreeing "yes" pair / 3 "yes" reads
    assert t["positive_agreement"] == pytest.approx(2 / 3)
    assert adj.specific_agreement(r, category="no", clusters="unit").statistic == \
        pytest.approx(0.5)


# Each vocabulary's positive, by hand from the documented rule (adj.positive_category): a
# known vocabulary's last category in any order or case, else the second of two, else none.
SAME_POSITIVE = [
    ([0, 1, 1, 0], 1),
    ([False, True, True, False], True),
    (["NO", "YES", "YES", "NO"], "YES"),
    (["NO", "HEDGE", "YES", "NO"], "YES"),
    (["no", "yes", "yes", "no"], "yes"),
    (["negative", "positive", "positive", "negative"], "positive"),
    (["absent", "present", "present", "absent"], "present"),
    (["normal", "abnormal", "abnormal", "normal"], "abnormal"),  # sorts abnormal first
    (["mild", "severe", "severe", "mild"], "severe"),
    (["mild", "moderate", "severe", "mild"], None),
]


@pytest.mark.parametrize(("labels", "expected"), SAME_POSITIVE)
def test_every_entry_point_gives_the_same_positive(labels, expected, tmp_path):
    # two readers x two units, so that read_ratings sees a long table (unit, reader, label)
    wide = [[labels[0], labels[1]], [labels[2], labels[3]]]
    long = pd.DataFrame({"unit": ["u1", "u1", "u2", "u2"], "reader": ["a", "b", "a", "b"],
                         "finding": "F", "label": labels})
    long.to_csv(tmp_path / "reads.csv", index=False)
    positives = {
        "from_array": Ratings.from_array(wide).positive,
        "from_frame": Ratings.from_frame(long).positive,
        "read_ratings": adj.read_ratings(tmp_path / "reads.csv").positive,
        "from_labels": Ratings.from_labels(pd.DataFrame({"F": labels})).positive,
        "positive_category": adj.positive_category(sorted(set(labels), key=str)),
    }
    # read_ratings reads text: "1" and "True" are the same labels as 1 and True
    as_text = {k: None if v is None else str(v) for k, v in positives.items()}
    assert as_text == dict.fromkeys(positives, None if expected is None else str(expected))


def test_read_readers_gives_the_rule_s_positive_for_the_nih_vocabulary():
    r = adj.read_readers(adj.datasets.dataset_path("four_findings"))
    assert r.categories == ("NO", "HEDGE", "YES") and r.positive == "YES"
    assert Ratings.from_array([["HEDGE", "NO"], ["YES", "NO"]]).positive == r.positive


def test_binary_reference_labels_use_the_same_positive(tmp_path):
    # evaluate's and read_label_table's 1/0 coding of reference labels follows the same known
    # vocabularies: the positive_category of each two-category vocabulary is 1, the other 0
    from adjudicate.io.scores import read_label_table
    from adjudicate.ratings import VOCABULARIES, _binary_value

    for vocab in (v for v in VOCABULARIES if len(v) == 2):
        pos = adj.positive_category(vocab)
        neg = next(c for c in vocab if c != pos)
        assert (_binary_value(pos), _binary_value(neg)) == (1.0, 0.0), vocab
    f = tmp_path / "ref.csv"
    f.write_text("Image ID,Mass\na,present\nb,absent\nc,1.0\nd,\n")
    assert read_label_table(f)["Mass"].tolist() == ["YES", "NO", "YES", None]


# ------------------------------------------------------------------ leave-one-out defaults
def test_leave_one_out_breaks_ties_at_random_and_reports_single_reader_majorities():
    # b's others are a (YES) and c (NO) on every unit: a tie everywhere
    r = Ratings.from_array([["YES", "NO", "NO"]] * 10 + [["YES", "YES", None]] * 2,
                           readers=["a", "b", "c"])
    res = quiet(adj.accuracy_table, r, "leave-one-out", ci=None, seed=4)
    t = res.table
    b = t[t.rater == "b"]
    assert (b.n_units == 12).all() and (b.n_excluded == 0).all()   # no unit dropped
    # units 10, 11 were read by a and b only: each is graded against the other's read alone
    assert any("4 reads graded against one other reader's read" in n for n in res.notes)
    assert "seed 4" in res.notes[0]
    single = t.groupby("rater")["n_single_other"].first().to_dict()
    assert single == {"a": 2, "b": 2, "c": 0}
    old = quiet(adj.accuracy_table, r, "leave-one-out", ci=None, ties="missing").table
    ob = old[old.rater == "b"]
    assert (ob.n_excluded == 10).all()
    assert ob.excluded_share.iloc[0] == pytest.approx(10 / 12)


# ------------------------------------------------------------------ intervals for proportions
def wilson(k, n, level=0.95):
    """Closed-form Wilson (1927) score interval, for non-integer k and n too."""
    z = norm.ppf((1 + level) / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def test_small_counts_get_wilson_with_the_design_effect():
    # 9 reference positives, 8 found (issue 10's example); 40 negatives, 36 right
    ref = ["YES"] * 9 + ["NO"] * 40
    rater = ["YES"] * 8 + ["NO"] + ["NO"] * 36 + ["YES"] * 4
    r = Ratings.from_array(np.array(rater)[:, None], readers=["r"])
    t = quiet(adj.accuracy_table, r, ref, n_resamples=200, seed=1, clusters="unit")
    sens = t.table.set_index("statistic").loc["sensitivity"]
    assert sens.method == "wilson"
    assert (sens.ci_low, sens.ci_high) == pytest.approx(wilson(8, 9), abs=1e-12)
    spec = t.table.set_index("statistic").loc["specificity"]     # 36 of 40, 4 errors: small
    assert spec.method == "wilson"
    kappa = t.table.set_index("statistic").loc["kappa"]
    assert kappa.method == "bootstrap bca (units)"
    # every unit twice, each pair a cluster (C = 49 clusters): the cluster-robust variance
    # of p = 16/18 is C/(C-1) * sum_c (2 y_c - 2 p)^2 / 18^2 over the 9 positive pairs,
    # = C/(C-1) * 4 * 9 p(1-p) / 324; over p(1-p)/18 that is deff = 2 C/(C-1), so the
    # effective n is 18 / deff = 9 (C-1)/C
    r2 = Ratings.from_array(np.repeat(np.array(rater), 2)[:, None], readers=["r"])
    ids = np.repeat(np.arange(49), 2)
    t2 = quiet(adj.accuracy_table, r2, list(np.repeat(ref, 2)), n_resamples=200, seed=1,
               clusters=ids).table.set_index("statistic").loc["sensitivity"]
    assert t2.method == "wilson (design effect, clusters)"
    n_eff = 9 * 48 / 49
    assert (t2.ci_low, t2.ci_high) == pytest.approx(wilson(8 / 9 * n_eff, n_eff), abs=1e-9)
    # asked for: the bootstrap for every statistic
    t3 = quiet(adj.accuracy_table, r, ref, n_resamples=200, seed=1, clusters="unit",
               method="percentile").table
    assert t3["method"].eq("bootstrap percentile (units)").all()


def test_large_counts_get_wilson_too_by_default():
    # The coverage study (docs/coverage.md) found the cluster-adjusted Wilson interval at
    # 0.94-0.98 at every count and the bootstrap short up to 10-19 events, so the default
    # has no switch to the bootstrap: 60 of 80 positives and 150 of 160 negatives (far
    # above the old switch at 10 events) still get Wilson (1927), checked in closed form.
    ref = ["YES"] * 80 + ["NO"] * 160
    rater = ["YES"] * 60 + ["NO"] * 20 + ["NO"] * 150 + ["YES"] * 10
    r = Ratings.from_array(np.array(rater)[:, None], readers=["r"])
    res = quiet(adj.accuracy_table, r, ref, n_resamples=200, seed=1, clusters="unit")
    t = res.table.set_index("statistic")
    assert t.loc["sensitivity", "method"] == "wilson"
    assert (t.loc["sensitivity", "ci_low"], t.loc["sensitivity", "ci_high"]) == pytest.approx(
        wilson(60, 80), abs=1e-12)
    assert (t.loc["specificity", "ci_low"], t.loc["specificity", "ci_high"]) == pytest.approx(
        wilson(150, 160), abs=1e-12)
    assert t.loc["kappa", "method"] == "bootstrap bca (units)"
    assert res.settings["method"] == "wilson"
    boot = quiet(adj.accuracy_table, r, ref, n_resamples=200, seed=1, clusters="unit",
                 method="bca").table.set_index("statistic")
    assert boot.loc["sensitivity", "method"] == "bootstrap bca (units)"


# ------------------------------------------------------------------ result objects
def test_tables_are_result_objects_not_attrs():
    r = adj.load_dataset("all_findings").ratings.select(findings=["Mass"])
    res = quiet(adj.agreement_table, r, statistics=["fleiss_kappa"], ci="bootstrap",
                n_resamples=40, seed=1)
    assert isinstance(res, adj.TableResult) and res.bootstrap.distribution.shape == (40, 1, 1)
    assert res.table.attrs == {}
    wide = res.wide()
    assert wide.loc["Mass", "fleiss_kappa"] == adj.format_cell(
        *res.table[["estimate", "ci_low", "ci_high"]].iloc[0])
    assert json.loads(res.to_json())["settings"]["seed"] == 1


def test_compare_raters_serves_any_rater(tmp_path, capsys):
    ds = adj.load_dataset("all_findings")
    published = ds.labels[["Mass", "Nodule"]]
    reader = ds.ratings.select(readers=["4343880271"], findings=["Mass", "Nodule"])
    res = quiet(adj.compare_raters, reader, published, readers=ds.ratings.select(
        readers=["4343882583", "4343882785", "4343883593"], findings=["Mass", "Nodule"]),
        n_resamples=50, seed=2, reference_name="published")
    t = res.table
    sens = t[(t.rater == "4343880271") & (t.statistic == "sensitivity")].set_index("finding")
    y = ds.labels["Mass"] == "YES"
    x = reader.labels()["Mass"].droplevel("reader").reindex(ds.labels.index) == "YES"
    assert sens.loc["Mass", "estimate"] == pytest.approx((x & y).sum() / y.sum())
    assert set(res.differences.reference) == {"leave-one-out"}
    # the same through the CLI, with a labels file written by `reproduce --out`
    out = tmp_path / "ours.csv"
    assert run(capsys, "reproduce", "all-findings", "--out", str(out))[0] == 0
    code, text, _ = run(capsys, "compare", str(out), "all-findings", "--findings", "Mass",
                        "--bootstrap", "40", "--seed", "3", "--format", "csv")
    assert code == 0
    frame = pd.read_csv(io.StringIO(text))
    row = frame.query("comparison == 'accuracy' and rater == 'ours' and "
                      "statistic == 'kappa'").iloc[0]
    assert row.estimate == 1.0 and (frame.seed == 3).all()   # reproduced = published


def test_compare_nlp_cli_takes_mapping_readers_and_findings(tmp_path, capsys):
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"Airspace opacity": ["Consolidation"]}))
    code, out, _ = run(capsys, "compare-nlp", "four-findings", "--mapping", str(mapping),
                       "--readers", "4295194124,4295206903", "--findings",
                       "Airspace opacity,Pneumothorax", "--bootstrap", "40", "--seed", "1",
                       "--format", "csv")
    assert code == 0
    t = pd.read_csv(io.StringIO(out))
    assert set(t.finding) == {"Airspace opacity", "Pneumothorax"}
    assert set(t.rater) == {"nlp", "published", "4295194124", "4295206903"}
    # NLP Airspace opacity = Consolidation alone: its positives are the raw Consolidation flags
    raw = pd.concat([pd.read_csv(adj.dataset_path("four_findings", w), dtype=str)
                     for w in ("test_labels", "validation_labels")])
    consolidation = raw["Finding Labels"].str.split("|").apply(lambda x: "Consolidation" in x)
    row = t.query("rater == 'nlp' and finding == 'Airspace opacity' and "
                  "statistic == 'prevalence'").iloc[0]
    assert row.tp + row.fp == consolidation.sum()
