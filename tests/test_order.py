"""Results never depend on the order of the rows in an input file.

The bundled CSV files are shuffled line by line (header kept, bytes untouched) and read back
through the ordinary parsers; with the same seed every estimate, interval and p-value must be
unchanged. Clusters and independent units are numbered in sorted id order
(:func:`adjudicate.resample.resolve_clusters`) and random tie-breaking is keyed by unit ids,
so nothing may move -- a check that cannot pass by accident: before those rules, intervals
moved by up to 0.39 (issue 9).
"""

import warnings

import numpy as np
import pandas as pd
import pytest

import adjudicate as adj
from adjudicate import datasets

KEYS = {"agreement": ["finding", "statistic"]}
VALUES = ["estimate", "ci_low", "ci_high"]


def shuffled_copy(path, tmp_path, seed):
    """The file with its data lines in a random order (header first, line endings kept)."""
    raw = path.read_bytes()
    lines = raw.splitlines(keepends=True)
    head, body = lines[0], lines[1:]
    if body and not body[-1].endswith((b"\n", b"\r")):
        body[-1] += b"\r\n" if head.endswith(b"\r\n") else b"\n"
    order = np.random.default_rng(seed).permutation(len(body))
    out = tmp_path / f"shuffled_{seed}_{path.name}"
    out.write_bytes(head + b"".join(body[i] for i in order))
    return out


def assert_same(a: pd.DataFrame, b: pd.DataFrame, keys, values):
    a = a.set_index(keys).sort_index()
    b = b.set_index(keys).sort_index()
    assert a.index.equals(b.index)
    for col in values:
        np.testing.assert_allclose(a[col].to_numpy(float), b[col].to_numpy(float),
                                   rtol=1e-9, atol=1e-12, equal_nan=True, err_msg=col)


@pytest.mark.parametrize("name", ["all_findings", "four_findings"])
def test_agreement_table_does_not_depend_on_row_order(name, tmp_path):
    path = datasets.dataset_path(name, "readers")
    original = adj.read_readers(path)
    shuffled = adj.read_readers(shuffled_copy(path, tmp_path, 1))
    assert not original.units.equals(shuffled.units)  # the rows really moved
    kw = {"ci": "bootstrap", "n_resamples": 60, "seed": 7,
              "statistics": ["fleiss_kappa", "gwet_ac1", "krippendorff_alpha", "light_kappa"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = adj.agreement_table(original, **kw).table
        b = adj.agreement_table(shuffled, **kw).table
        # and the units bootstrap (no clusters): units numbered by their ids, too
        c = adj.agreement_table(original, clusters="unit", **kw).table
        d = adj.agreement_table(shuffled, clusters="unit", **kw).table
    assert_same(a, b, KEYS["agreement"], VALUES + ["standard_error"])
    assert_same(c, d, KEYS["agreement"], VALUES + ["standard_error"])


@pytest.mark.parametrize("name", ["all_findings", "four_findings"])
def test_compare_nlp_does_not_depend_on_row_order(name, tmp_path, monkeypatch):
    kw = {"n_resamples": 40, "seed": 3, "method": None}
    original = adj.load_dataset(name).ratings.units
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = adj.compare_nlp(name, **kw)
        real = datasets.dataset_path
        monkeypatch.setattr(datasets, "dataset_path",
                            lambda n, which="readers": shuffled_copy(real(n, which), tmp_path, 2))
        b = adj.compare_nlp(name, **kw)
        moved = adj.load_dataset(name).ratings.units
    assert not moved.equals(original) and set(moved) == set(original)  # the rows really moved
    keys = ["reference", "rater", "finding", "statistic"]
    assert_same(a.table, b.table, keys, VALUES + ["tp", "fp", "fn", "tn", "n_excluded"])
    assert_same(a.differences, b.differences, keys, VALUES + ["p_value", "p_adjusted"])
