"""The streamed and blocked paths give the numbers of the plain ones (issue 12).

Every path that exists for scale -- sums reduced by cluster in blocks of units
(agreement.bootstrap), the jackknife evaluated once per distinct block of sums
(resample._jackknife), the cluster-robust variance from shared cluster-pattern counts
(agreement.variance) -- is checked against the plain computation on small data, with the
block sizes forced tiny through the module constants. The plain computation is the
per-unit matrix ``S`` stacked and bootstrapped by :func:`bootstrap_sums` (itself checked
against scipy.stats.bootstrap and a per-replicate loop in test_resample.py), and the
per-unit influence terms summed per cluster with pandas.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from adjudicate import Ratings, load_dataset
from adjudicate import resample as resample_module
from adjudicate.agreement import bootstrap as bootstrap_module
from adjudicate.agreement import patterns as patterns_module
from adjudicate.agreement import sum_statistic
from adjudicate.agreement.table import DEFAULT_STATISTICS
from adjudicate.resample import bootstrap_sums, stack_statistics

EXACT = {"rtol": 1e-10, "atol": 1e-12}


def synthetic(n_units: int, n_readers: int = 5, n_findings: int = 3, seed: int = 0) -> Ratings:
    rng = np.random.default_rng(seed)
    truth = rng.random((n_units, 1, n_findings)) < 0.3
    reads = np.where(rng.random((n_units, n_readers, n_findings)) < 0.8, truth, ~truth)
    codes = reads.astype(np.int8)
    codes[rng.random(codes.shape) < 0.15] = -1
    patients = rng.integers(0, n_units // 2, n_units)        # unsorted, about 2 per patient
    return Ratings(codes=codes, categories=("NO", "YES"), units=pd.RangeIndex(n_units),
                   readers=range(n_readers), findings=range(n_findings), clusters=patients)


LAYOUTS = ["units", "patients", "sorted patients", "unsorted singletons"]
"""How the clusters lie in the rows: each unit its own (no ids); patient ids unsorted, about 2
units each; the same with units sorted by patient (no sort needed: the engine skips it); one
distinct id per unit, unsorted (single-unit clusters that must be put in order)."""


def laid_out(r: Ratings, layout: str) -> tuple[Ratings, object]:
    """The ratings and the ``clusters`` to pass, for one of :data:`LAYOUTS`."""
    if layout == "units":
        return r, None
    ids = np.asarray(r.clusters)
    if layout == "unsorted singletons":
        return r, np.random.default_rng(2).permutation(r.n_units) * 3 + 1
    if layout == "sorted patients":
        order = np.argsort(ids, kind="stable")
        r = Ratings(codes=r.codes[order], categories=r.categories, units=r.units[order],
                    readers=r.readers, findings=r.findings, clusters=ids[order])
        ids = ids[order]
        assert (np.diff(ids) >= 0).all() and len(np.unique(ids)) < r.n_units
    return r, ids


@pytest.fixture(autouse=True)
def fresh_caches():
    patterns_module._PATTERN_CACHE.clear()
    yield
    patterns_module._PATTERN_CACHE.clear()


def plain(stats, codes, clusters, **options):
    unit_stats, finalize = stack_statistics(*[(s.unit_stats(codes), s.finalize) for s in stats])
    return bootstrap_sums(unit_stats, finalize, clusters=clusters, **options)


def assert_same(a, b):
    np.testing.assert_allclose(a.estimate, b.estimate, equal_nan=True, **EXACT)
    np.testing.assert_allclose(a.distribution, b.distribution, equal_nan=True, **EXACT)
    np.testing.assert_allclose(a.jackknife, b.jackknife, equal_nan=True, **EXACT)
    # BCa's bias correction counts the replicates below the estimate: a replicate equal to it
    # (percent agreement takes few values) is below or not by the last bit of an addition
    # order, so outputs with such a tie are compared by the percentile interval only
    ties = np.isclose(np.asarray(b.distribution), b.estimate, rtol=1e-12, atol=0).any(axis=0)
    for method in ("percentile", "bca"):
        for x, y in zip(a.confidence_interval(method=method), b.confidence_interval(method=method)):
            keep = ~ties if method == "bca" else np.ones_like(ties)
            np.testing.assert_allclose(np.asarray(x)[keep], np.asarray(y)[keep],
                                       equal_nan=True, **EXACT)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("by_patterns", [True, False])
def test_streamed_cluster_sums_equal_the_stacked_bootstrap(monkeypatch, layout, by_patterns):
    # blocks of 7 units (so clusters straddle blocks), equal columns kept once, and, with the
    # reader-code patterns disabled, each block's unit_stats streamed instead
    r, clusters = laid_out(synthetic(300), layout)
    clustered = clusters is not None
    if not by_patterns:
        monkeypatch.setattr(patterns_module, "_MAX_CODE_PATTERNS", 0)
    stats = [sum_statistic(name, r) for name in DEFAULT_STATISTICS]
    reference = plain(stats, r.codes, clusters, n_resamples=60, seed=4)
    monkeypatch.setattr(bootstrap_module, "_STREAM_UNITS", 7)
    streamed = bootstrap_module.bootstrap_statistics(stats, r.codes, clusters=clusters,
                                                     n_resamples=60, seed=4)
    assert streamed.distribution.shape == (60, r.n_findings, len(stats))
    assert streamed.clustered == clustered
    assert_same(streamed, reference)
    by_cluster, _ = bootstrap_module.cluster_sums(stats, r.codes, clusters)
    n_clusters = len(np.unique(clusters)) if clustered else r.n_units
    assert by_cluster.shape[0] == n_clusters
    if by_patterns:  # Fleiss, BP and AC1 share their columns: fewer columns than S has
        width = sum(s.unit_stats(r.codes[:1]).shape[-1] for s in stats) * r.n_findings
        assert by_cluster.shape[1] < width


def test_mixed_pattern_and_streamed_statistics(monkeypatch):
    # a statistic without count patterns next to ones with: both parts of cluster_sums
    r = synthetic(200, n_findings=2)
    stats = [sum_statistic(n, r) for n in ("fleiss_kappa", "light_kappa", "conger_kappa")]
    monkeypatch.setattr(bootstrap_module, "_STREAM_UNITS", 5)
    found = patterns_module.code_patterns(r.codes, 2)
    monkeypatch.setattr(bootstrap_module, "code_patterns", lambda codes, k: found)
    # pretend Light's kappa has other categories, so it goes through unit_stats blocks
    light = stats[1]
    odd = type(light)(**{**light.__dict__, "n_categories": light.n_categories + 1})
    mixed = [stats[0], odd, stats[2]]
    reference = plain(stats, r.codes, r.clusters, n_resamples=40, seed=2)
    a = bootstrap_module.bootstrap_statistics(mixed, r.codes, clusters=r.clusters,
                                              n_resamples=40, seed=2)
    assert_same(a, reference)
    monkeypatch.setattr(resample_module, "_DISTINCT_MIN_ROWS", 10)   # jackknife by block too
    b = bootstrap_module.bootstrap_statistics(mixed, r.codes, clusters=r.clusters,
                                              n_resamples=40, seed=2)
    assert_same(b, reference)


@pytest.mark.parametrize("clustered", [False, True])
def test_jackknife_once_per_distinct_block_equals_every_cluster(monkeypatch, clustered):
    # at scale most clusters share their sums; the jackknife is evaluated once per distinct
    # block (finding) of sums: force it on (threshold 10 rows) and off, blocks of 64 values
    r = synthetic(600, n_readers=3)
    clusters = np.r_[np.arange(500), np.arange(100)] if clustered else None   # 100 pairs
    stats = [sum_statistic(n, r) for n in ("fleiss_kappa", "krippendorff_alpha", "light_kappa")]
    monkeypatch.setattr(resample_module, "_DISTINCT_MIN_ROWS", 10**9)
    every = bootstrap_module.bootstrap_statistics(stats, r.codes, clusters=clusters,
                                                  n_resamples=60, seed=1)
    monkeypatch.setattr(resample_module, "_DISTINCT_MIN_ROWS", 10)
    monkeypatch.setattr(resample_module, "_BLOCK_ELEMENTS", 64)
    distinct = bootstrap_module.bootstrap_statistics(stats, r.codes, clusters=clusters,
                                                     n_resamples=60, seed=1)
    found = resample_module._distinct_blocks(
        bootstrap_module.cluster_sums(stats, r.codes, clusters)[0], r.n_findings)
    assert found is not None and len(found[0]) < r.n_findings * every.n_clusters / 2
    np.testing.assert_array_equal(distinct.jackknife, every.jackknife)
    np.testing.assert_allclose(distinct.distribution, every.distribution, **EXACT)  # BLAS blocks


def test_distinct_blocks_refuses_a_false_grouping(monkeypatch):
    # two different rows with the same projection must not be grouped: the exact check
    # catches it and every row is kept
    rows = np.array([[1.0, 0.0], [0.0, 1.0]] * 3000)
    monkeypatch.setattr(np.random, "default_rng", lambda seed: _Ones())
    assert resample_module._distinct_blocks(rows, 1) is None


class _Ones:
    def standard_normal(self, shape):
        return np.ones(shape)


def test_cluster_robust_variance_equals_per_unit_sums():
    # the sandwich from the shared cluster x pattern counts against psi summed per cluster
    # with pandas from the per-unit influence terms (string cluster ids, unsorted)
    r = synthetic(500)
    clusters = np.array([f"p{c}" for c in r.clusters], dtype=object)
    for name in ("fleiss_kappa", "gwet_ac1", "krippendorff_alpha", "conger_kappa",
                 "percent_agreement", "brennan_prediger_quadratic"):
        stat = sum_statistic(name, r)
        total = stat.sums(r.codes)
        with np.errstate(invalid="ignore", divide="ignore"):
            psi, counted = stat._unit_influence(r.codes, total)
        psi = np.where(counted, psi, 0.0)
        by_cluster = pd.DataFrame(psi).groupby(clusters).sum().to_numpy()
        c = pd.DataFrame(counted).groupby(clusters).any().sum().to_numpy()
        n = counted.sum(0)
        expected = c / (c - 1) * (by_cluster**2).sum(0) / n**2
        np.testing.assert_allclose(stat.variance(r.codes, total, clusters), expected,
                                   err_msg=name, **EXACT)


def test_cluster_counts_follow_the_clusters_given():
    # the shared counts are rebuilt when other clusters (or the same array, changed) come in
    r = synthetic(120)
    stat = sum_statistic("fleiss_kappa", r)
    total = stat.sums(r.codes)
    ids = r.clusters.copy()
    first = stat.variance(r.codes, total, ids)
    ids[:] = np.arange(len(ids))                        # every unit its own cluster
    as_units = stat.variance(r.codes, total, ids)
    fresh = stat.variance(r.codes, total, np.arange(len(ids)))
    np.testing.assert_allclose(as_units, fresh, **EXACT)
    assert not np.allclose(first, as_units)


def test_bundled_table_bootstrap_unchanged_by_streaming(monkeypatch):
    # the all-findings default table: streamed in blocks of 50 units = the stacked bootstrap
    from adjudicate import agreement_table
    r = load_dataset("all-findings").ratings.select(findings=["Effusion", "Pneumothorax"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        monkeypatch.setattr(bootstrap_module, "_STREAM_UNITS", 50)
        t = agreement_table(r, ci="bootstrap", n_resamples=50, seed=7).table
    stats = [sum_statistic(n, r) for n in DEFAULT_STATISTICS]
    ref = plain(stats, r.codes, r.clusters, n_resamples=50, seed=7)
    low, high = ref.confidence_interval()
    # table rows are finding-major, statistics in DEFAULT_STATISTICS order
    np.testing.assert_allclose(t["ci_low"], np.asarray(low).ravel(), equal_nan=True, **EXACT)
    np.testing.assert_allclose(t["ci_high"], np.asarray(high).ravel(), equal_nan=True, **EXACT)


def test_cluster_counts_are_the_per_cluster_pattern_counts():
    # the CSR laid out from units in cluster order = pandas' count of (cluster, pattern) per
    # finding, for unsorted patient ids; row f * C + c, columns f * P + p
    r = synthetic(150)
    found = patterns_module.code_patterns(r.codes, r.n_categories)
    design = resample_module.resolve_clusters("patient", r)
    members = found.cluster_counts(r.codes, design.codes).toarray()
    columns = found.unit_columns(r.codes)
    n_clusters, (f, p) = design.n_clusters, found.freq.shape
    assert members.shape == (f * n_clusters, f * p)
    for j in range(f):
        expected = pd.crosstab(design.codes, columns[:, j]).reindex(
            index=range(n_clusters), columns=range(p), fill_value=0).to_numpy()
        np.testing.assert_array_equal(members[j * n_clusters:(j + 1) * n_clusters,
                                              j * p:(j + 1) * p], expected)
        others = np.delete(members[j * n_clusters:(j + 1) * n_clusters], np.s_[j * p:(j + 1) * p], 1)
        assert not others.any()


@pytest.mark.parametrize("ids", [np.array([5, 3, 3, 9, 0]), np.array([7], np.uint8),
                                 np.random.default_rng(0).integers(0, 50, 200),
                                 np.array([2**40, 3]), pd.RangeIndex(3, 20, 4),
                                 pd.RangeIndex(10, 0, -3),
                                 np.sort(np.random.default_rng(1).integers(-2**40, 2**40, 300)),
                                 np.array([-4, -4, 0, 7, 7, 7, 2**62], np.int64),
                                 np.array([1, 1, 2, 2, 0], np.uint16)])
def test_cluster_numbering_by_counting_equals_factorize(ids):
    # small non-negative integer ids are numbered by counting, integer ids in sorted order
    # (negative or huge too) by where they change, an increasing RangeIndex (the unit ids of
    # a plain array) as it is; pandas' sorted factorize is the reference (and the path for
    # everything else)
    design = resample_module.resolve_clusters(ids, n_units=len(ids))
    codes, uniques = pd.factorize(ids, sort=True)
    np.testing.assert_array_equal(design.codes, codes)
    assert design.n_clusters == len(uniques)


def test_lazy_standard_error_equals_the_eager_one():
    # .standard_error is computed on first access: the same number as the variance computed
    # directly (the eager path before), with and without clusters; pickles hold the value
    import pickle

    from adjudicate import fleiss_kappa, gwet_ac1, krippendorff_alpha
    from adjudicate.agreement.coefficients import item_ratings
    r = synthetic(90).select(findings=[0])
    design = resample_module.resolve_clusters("patient", r)
    for fn, name in ((krippendorff_alpha, "krippendorff_alpha"), (fleiss_kappa, "fleiss_kappa"),
                     (gwet_ac1, "gwet_ac1")):
        stat = sum_statistic(name, r)
        total = stat.sums(r.codes)
        for clusters, ids in (("unit", None), ("patient", design.codes)):
            res = fn(r, clusters=clusters)
            expected = np.sqrt(stat.variance(r.codes, total, ids)[0])
            assert "_standard_error" in res.__dict__          # not yet computed ...
            low, high = res.confidence_interval()            # ... computed here
            assert res.standard_error == pytest.approx(expected, rel=1e-12)
            assert (high - low) == pytest.approx(2 * 1.959963984540054 * expected, rel=1e-9)
            again = pickle.loads(pickle.dumps(fn(r, clusters=clusters)))
            assert again.standard_error == pytest.approx(expected, rel=1e-12)
    x = r.codes[:, :, 0].astype(float)
    x[x < 0] = np.nan
    a, b = item_ratings(x), item_ratings(x)
    a.meta["note"] = 1                                       # the kept empty frame is not shared
    assert "note" not in b.meta.columns


def test_cluster_gram_equals_the_cluster_sums(monkeypatch):
    # psi' G psi (pairs of units within a cluster) = sum_c (sum_{i in c} psi_i)^2 through the
    # cluster x pattern counts (the path kept for many patterns or very large clusters)
    r = synthetic(200)
    names = ("fleiss_kappa", "krippendorff_alpha", "gwet_ac1", "conger_kappa", "light_kappa")
    ids = r.clusters.copy()
    ids[:70] = 0                                            # one cluster of 70+ units
    for clusters in (r.clusters, ids):
        by_gram = {}
        for name in names:
            stat = sum_statistic(name, r)
            by_gram[name] = stat.variance(r.codes, stat.sums(r.codes), clusters)
        patterns_module._PATTERN_CACHE.clear()
        monkeypatch.setattr(patterns_module.Patterns, "cluster_gram", lambda *a: None)
        for name in names:
            stat = sum_statistic(name, r)
            np.testing.assert_allclose(stat.variance(r.codes, stat.sums(r.codes), clusters),
                                       by_gram[name], err_msg=name, **EXACT)
        monkeypatch.undo()
        patterns_module._PATTERN_CACHE.clear()
    found = patterns_module.code_patterns(r.codes, r.n_categories)
    assert found.cluster_gram(r.codes, r.clusters) is not None
    assert found.cluster_gram(r.codes, ids) is None            # largest cluster > 64 units
    assert found.cluster_gram(r.codes, ids) is None            # (kept)
    for size, kept in ((64, True), (65, False)):
        ids = np.arange(r.n_units)
        ids[10:10 + size] = 10                                  # one cluster of 64, of 65
        assert (found.cluster_gram(r.codes, ids) is not None) == kept


@pytest.mark.parametrize("layout", LAYOUTS)
def test_grouped_cluster_sums_equal_the_stacked_bootstrap(monkeypatch, layout):
    # at scale the sums within clusters are held as each finding's distinct rows and every
    # cluster's row (resample.GroupedSums): forced on here (3 readers: few patterns), the
    # replicates, jackknife and intervals are those of the per-unit matrix S stacked
    r, clusters = laid_out(synthetic(3000, n_readers=3), layout)
    stats = [sum_statistic(name, r) for name in DEFAULT_STATISTICS]
    reference = plain(stats, r.codes, clusters, n_resamples=60, seed=4)
    dense, _ = bootstrap_module.cluster_sums(stats, r.codes, clusters)
    monkeypatch.setattr(bootstrap_module, "_DENSE_MAX_ELEMENTS", 0)
    grouped, _ = bootstrap_module.cluster_sums(stats, r.codes, clusters, grouped=True)
    assert isinstance(grouped, resample_module.GroupedSums)
    n_clusters = r.n_units if clusters is None else len(np.unique(clusters))
    assert grouped.group.shape == (n_clusters, r.n_findings)
    assert grouped.members.shape[1] < n_clusters * r.n_findings / 2   # far fewer groups
    np.testing.assert_allclose(grouped.dense(), dense, **EXACT)
    np.testing.assert_allclose(grouped.total(), dense.sum(0), **EXACT)
    result = bootstrap_module.bootstrap_statistics(stats, r.codes, clusters=clusters,
                                                   n_resamples=60, seed=4)
    assert_same(result, reference)


def test_grouping_falls_back_to_dense_sums_when_keys_collide(monkeypatch):
    # every row given the same key: clusters with different rows share a key, the exact check
    # finds it and the dense sums are used, with the same numbers
    r = synthetic(3000, n_readers=3)
    stats = [sum_statistic(n, r) for n in ("fleiss_kappa", "light_kappa")]
    reference = plain(stats, r.codes, r.clusters, n_resamples=40, seed=5)
    monkeypatch.setattr(bootstrap_module, "_DENSE_MAX_ELEMENTS", 0)
    monkeypatch.setattr(bootstrap_module, "_row_keys",
                        lambda n, which=0: np.zeros(n, np.uint64))
    sums, _ = bootstrap_module.cluster_sums(stats, r.codes, r.clusters, grouped=True)
    assert isinstance(sums, np.ndarray)
    result = bootstrap_module.bootstrap_statistics(stats, r.codes, clusters=r.clusters,
                                                   n_resamples=40, seed=5)
    assert_same(result, reference)


def test_acceleration_in_blocks_equals_the_textbook_formula(monkeypatch):
    # a = sum(d^3) / (6 (sum d^2)^1.5), d = mean - jackknife value (Efron & Tibshirani 14.15),
    # column by column, NaN values left out; computed in blocks of rows
    rng = np.random.default_rng(3)
    jack = rng.gamma(2.0, size=(5000, 3))
    jack[::7, 1] = np.nan
    jack[:, 2] = 1.0                                          # constant: a = 0
    expected = []
    for col in jack.T:
        d = np.nanmean(col) - col[~np.isnan(col)]
        den = (d**2).sum()
        expected.append((d**3).sum() / (6 * den**1.5) if den > 0 else 0.0)
    np.testing.assert_allclose(resample_module._acceleration(jack), expected, rtol=1e-10)


def test_cluster_jackknife_is_the_full_jackknife_held_once():
    # distinct values spread to clusters by index: the array, and the BCa acceleration from
    # the weighted distinct values equals the textbook formula on the full array (NaN left out)
    rng = np.random.default_rng(8)
    values = rng.gamma(2.0, size=(7, 3))
    values[2, 1] = np.nan
    block = np.array([0, 0, 0, 1, 1, 1, 1])
    index = np.c_[rng.integers(0, 3, 500), rng.integers(3, 7, 500)]
    jack = resample_module.ClusterJackknife(values, block, index, out_shape=(2, 3))
    full = np.asarray(jack)
    assert full.shape == jack.shape == (500, 2, 3)
    np.testing.assert_array_equal(full[:, 1], values[index[:, 1]])
    np.testing.assert_array_equal(jack[10], full[10])
    np.testing.assert_allclose(jack.acceleration(),
                               resample_module._acceleration(full.reshape(500, -1)), rtol=1e-10)


def test_grouped_bootstrap_does_not_depend_on_the_order_of_units(monkeypatch):
    # patients numbered in sorted id order, groups in cluster order, each group's sums added
    # by row: shuffling the units changes no number, not even in the last bit
    r = synthetic(3000, n_readers=3)
    monkeypatch.setattr(bootstrap_module, "_DENSE_MAX_ELEMENTS", 0)
    perm = np.random.default_rng(1).permutation(r.n_units)
    shuffled = Ratings(codes=r.codes[perm], categories=r.categories, units=r.units[perm],
                       readers=r.readers, findings=r.findings,
                       clusters=np.asarray(r.clusters)[perm])
    results = []
    for ratings in (r, shuffled):
        stats = [sum_statistic(n, ratings) for n in DEFAULT_STATISTICS]
        results.append(bootstrap_module.bootstrap_statistics(
            stats, ratings.codes, clusters=ratings.clusters, n_resamples=50, seed=6))
    a, b = results
    np.testing.assert_array_equal(a.estimate, b.estimate)
    np.testing.assert_array_equal(a.distribution, b.distribution)
    for x, y in zip(a.confidence_interval(), b.confidence_interval()):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("kind,block,shape", [("code", 1 << 17, (300, 5, 3)),
                                              ("count", 1 << 17, (300, 5, 3)),
                                              ("code", 7, (300, 5, 3)),
                                              ("code", 1 << 17, (2000, 6, 4)),
                                              ("code", 50, (300, 6, 1))])
def test_cluster_gram_and_clusters_with_equal_pandas(kind, block, shape, monkeypatch):
    # G_f = A_f' A_f with A_f the cluster x pattern counts (pandas crosstab), for unsorted
    # patient ids with clusters of 1 to ~8 units (pairs found offset by offset); the clusters
    # holding a flagged unit = pandas' any() per cluster, for flags that few units miss
    # (r >= 1, r >= 2: the counted units of every statistic) and many miss (random flags);
    # in one block of units and in blocks of a few clusters; a unit's columns taken as one
    # item of 6 bytes (3 findings, up to 256 patterns: two bytes each), of 16 (4 findings, 6
    # readers: more than 256 patterns, four bytes each) and of 2 (one finding)
    monkeypatch.setattr(patterns_module, "_GRAM_UNITS", block)
    monkeypatch.setattr(patterns_module, "_GRAM_KEYS", 4 * block)   # pairs counted per block
    n_units, n_readers, n_findings = shape
    r = synthetic(n_units, n_readers=n_readers, n_findings=n_findings)
    find = patterns_module.code_patterns if kind == "code" else patterns_module.count_patterns
    found = find(r.codes, r.n_categories)
    design = resample_module.resolve_clusters("patient", r)
    assert not design.codes.flags.writeable
    columns = found.unit_columns(r.codes)
    gram = found.cluster_gram(r.codes, design.codes)
    n_clusters, (f, p) = design.n_clusters, found.freq.shape
    reads = (found.codes >= 0).sum(1) if kind == "code" else found.counts.sum(1)
    for j in range(f):
        a = pd.crosstab(design.codes, columns[:, j]).reindex(
            index=range(n_clusters), columns=range(p), fill_value=0).to_numpy()
        np.testing.assert_array_equal(gram[j], a.T @ a)
    rng = np.random.default_rng(1)
    for present in (reads[:, None] >= np.array([1, 2, 3, 2])[:f], reads[:, None] >= 2,
                    rng.random((p, f)) < 0.5):
        present = np.broadcast_to(present, (p, f))
        flags = present[columns, np.arange(f)]
        expected = pd.DataFrame(flags).groupby(design.codes).any().sum().to_numpy()
        np.testing.assert_array_equal(found.clusters_with(r.codes, design.codes, present),
                                      expected)


@pytest.mark.parametrize("n_units", [40, 20000])
def test_count_patterns_from_code_patterns_equal_a_pass_over_units(n_units, monkeypatch):
    # count patterns summed from the reader-code patterns = found by encoding every unit's
    # counts (the path when code patterns are too many): frequencies, counts, lookup, and
    # each unit's column (20000 units: every code pattern occurs, ids serve as columns)
    from functools import partial
    monkeypatch.setattr(patterns_module, "_DERIVE_COUNTS", 0)     # derived at any size
    r = synthetic(n_units)
    k, n_raw = r.n_categories, (r.n_readers + 1) ** r.n_categories
    derived = patterns_module.count_patterns(r.codes, k)
    assert "derived" in derived._memo
    decode = partial(lambda ids, base: {"counts": (ids[:, None] // base ** np.arange(k)) % base},
                     base=r.n_readers + 1)
    direct = patterns_module._find_patterns(
        r.codes, n_raw, partial(patterns_module._count_ids, n_categories=k), decode)
    np.testing.assert_array_equal(derived.freq, direct.freq)
    np.testing.assert_array_equal(derived.counts, direct.counts)
    np.testing.assert_array_equal(derived.lookup, direct.lookup)
    np.testing.assert_array_equal(derived.unit_columns(r.codes), direct.unit_columns(r.codes))
    by_codes = patterns_module.code_patterns(r.codes, k)
    expected = by_codes.lookup[patterns_module._code_ids(r.codes, k)]
    np.testing.assert_array_equal(by_codes.unit_columns(r.codes), expected)


def test_reader_pairs_found_past_the_first_units():
    # the first 1024 units settle the reader pairs only if they hold every pair: here
    # readers 2 and 3 read a unit together only at unit 2000, and 0 and 3 never do
    from adjudicate.agreement.cohen import reader_pairs
    codes = np.full((3000, 4, 2), -1, np.int8)
    codes[:, :3, 0] = 1
    codes[2000, 2:, 1] = 0
    codes[2000, :2, 0] = -1                      # unit 2000: readers 2 and 3 only
    codes[2500, 3, 0] = 1                        # reader 3 with readers 0-2 on finding 0 ...
    codes[2500, 0, :] = -1                       # ... but not reader 0
    assert reader_pairs(codes).tolist() == [[0, 1], [0, 2], [1, 2], [1, 3], [2, 3]]
    assert reader_pairs(codes[:1024]).tolist() == [[0, 1], [0, 2], [1, 2]]
