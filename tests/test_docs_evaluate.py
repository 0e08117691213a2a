"""docs/evaluate.md runs as written, and its prose matches what the code returns."""

import re
from pathlib import Path

import numpy as np

DOC = Path(__file__).resolve().parents[1] / "docs" / "evaluate.md"


def test_evaluate_tutorial_python_blocks_run():
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    assert len(blocks) >= 5
    ns: dict = {}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), ns)  # noqa: S102
    # the tutorial's claims
    assert ns["model"].scores.shape == (810, 16)
    auc = ns["auc"].set_index("finding")
    assert auc.loc["Pneumonia", "n_positive"] == 2 and auc.loc["Hernia", "n_positive"] == 5
    assert set(auc.method) == {"obuchowski, 532 patients"}
    lo, hi = ns["one"].confidence_interval()
    assert lo < ns["one"].statistic < hi
    assert (ns["diff"].p_adjusted >= ns["diff"].p_value).all()
    t = ns["ops"].table
    assert t.query("statistic == 'ppv_adjusted'").finding.tolist() == ["Effusion",
                                                                       "Pneumothorax"]
    # "the model finds 4 of Hernia's 5 positives, interval 0.375-0.964" (Wilson at the
    # effective n; tests/test_evaluate_model.py derives it with statsmodels)
    h = ns["hernia"]
    assert (h.estimate, h.n_positive) == (0.8, 5)
    assert (round(h.ci_low, 3), round(h.ci_high, 3)) == (0.375, 0.964)
    assert h.method == "wilson (design effect, patients)"
    d = ns["d"]
    assert d.rater.iloc[-1].endswith("mean reader")
    d = d.iloc[:-1]
    loo = d.reference.str.startswith("leave-one-out")
    assert loo.sum() == 3 and (~loo).sum() == 2     # 3 panel readers, 2 others
    assert np.isfinite(d.p_value).all()
