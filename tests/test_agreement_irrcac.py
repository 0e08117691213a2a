"""Agreement coefficients and their standard errors against Gwet's irrCAC, recorded.

irrCAC 0.4.4 pins scipy==1.12 and pandas<3, so it is not installed by the test extra; its
results were recorded once into tests/data/irrcac_reference.json by
tests/data/make_irrcac_reference.py (which says how to regenerate them). These tests always
run; test_agreement.py repeats the comparison live where irrCAC is installed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from adjudicate import (
    agreement_table,
    brennan_prediger,
    conger_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
)

REF = json.loads((Path(__file__).parent / "data" / "irrcac_reference.json").read_text())


def test_gwet_handbook_example():
    data = np.array(REF["gwet_raw_4raters"]["data"], dtype=float)   # null -> NaN = missing
    res = REF["gwet_raw_4raters"]["results"]
    for fn, name in ((fleiss_kappa, "fleiss_kappa"), (gwet_ac1, "gwet_ac1"),
                     (conger_kappa, "conger_kappa"), (brennan_prediger, "brennan_prediger"),
                     (krippendorff_alpha, "krippendorff_alpha")):
        got = fn(data)
        assert got.statistic == pytest.approx(res[name]["estimate"], rel=1e-12), name
        assert got.standard_error == pytest.approx(res[name]["se"], rel=1e-12), name
    # published in Gwet (2014), Handbook of Inter-Rater Reliability, and the R irrCAC
    # vignette for this 12-unit, 4-rater table: AC1 0.7754, BP 0.7727, Fleiss 0.7612
    assert round(gwet_ac1(data).statistic, 4) == 0.7754
    assert round(brennan_prediger(data).statistic, 4) == 0.7727
    assert round(fleiss_kappa(data).statistic, 4) == 0.7612


def test_four_findings_every_finding_and_standard_error():
    """With missing reads (about 3 of 22 readers per image) and HEDGE as a middle category."""
    import adjudicate as adj

    # the recorded inputs kept the first of each duplicated (image, reader) row
    r = adj.load_dataset("four_findings", duplicates="first").ratings
    names = list(next(iter(REF["four_findings"].values())))
    t = agreement_table(r, statistics=names, clusters="unit").table.set_index(["finding", "statistic"])
    for finding, results in REF["four_findings"].items():
        for name, ref in results.items():
            row = t.loc[(finding, name)]
            assert row["estimate"] == pytest.approx(ref["estimate"], rel=1e-11), (finding, name)
            assert row["standard_error"] == pytest.approx(ref["se"], rel=1e-9), (finding, name)
