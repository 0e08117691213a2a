"""Record Gwet's irrCAC results as a fixture for tests/test_agreement.py.

irrCAC 0.4.4 pins scipy==1.12 and pandas<3, so it cannot be a test dependency of a modern
environment; its numbers are recorded here once and the tests compare against the file (the
live comparisons in test_agreement.py still run where irrCAC is installed). Regenerate with

    pip install --no-deps irrCAC==0.4.4
    python tests/data/make_irrcac_reference.py

The input data are built by the same independent pandas pivot the tests use.
"""

import json
import sys
import warnings
from pathlib import Path

import irrCAC
import pandas as pd
from irrCAC.datasets import raw_4raters
from irrCAC.raw import CAC

here = Path(__file__).resolve().parent
sys.path.insert(0, str(here.parent))
import test_agreement as T

METHODS = {
    "fleiss_kappa": ("fleiss", "identity"), "gwet_ac1": ("gwet", "identity"),
    "gwet_ac2_linear": ("gwet", "linear"), "gwet_ac2_quadratic": ("gwet", "quadratic"),
    "conger_kappa": ("conger", "identity"), "brennan_prediger": ("bp", "identity"),
    "krippendorff_alpha": ("krippendorff", "identity"),
    "krippendorff_alpha_interval": ("krippendorff", "quadratic"),
}


def run(frame, cats):
    out = {}
    for name, (method, weights) in METHODS.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = getattr(CAC(frame, weights=weights, categories=cats, digits=15), method)()["est"]
        out[name] = {"estimate": float(est["coefficient_value"]), "se": float(est["se"])}
    return out


ref = {"irrCAC": getattr(irrCAC, "__version__", "0.4.4"),
       "gwet_raw_4raters": {"data": [[None if pd.isna(v) else v for v in row]
                                     for row in raw_4raters().to_numpy().tolist()],
                            "results": run(raw_4raters(), [1.0, 2.0, 3.0, 4.0, 5.0])},
       "four_findings": {}}
r, wide = T.bundled("four")
for finding, frame in wide.items():
    cats = [float(v) for v in T.q_values("four", finding)]
    ref["four_findings"][finding] = run(pd.DataFrame(T.numeric(frame)), cats)
(here / "irrcac_reference.json").write_text(json.dumps(ref, indent=1, allow_nan=False) + "\n")
print("wrote", here / "irrcac_reference.json")
