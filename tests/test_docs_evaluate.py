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
    d = ns["d"]
    assert d.rater.iloc[-1].endswith("mean reader")
    d = d.iloc[:-1]
    loo = d.reference.str.startswith("leave-one-out")
    assert loo.sum() == 3 and (~loo).sum() == 2     # 3 panel readers, 2 others
    assert np.isfinite(d.p_value).all()
