"""``import adjudicate`` stays light (issue 12): heavy modules load where they are used.

The start-up time itself is measured in benchmarks/bench_import.py (a ratio to
``import numpy, pandas``); this checks the cause that time depends on, in a fresh interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("scipy.special", "scipy.stats", "scipy.sparse", "statsmodels", "matplotlib",
         "sklearn", "krippendorff")


def test_import_loads_no_heavy_module():
    code = ("import json, sys, adjudicate; "
            f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert json.loads(out.stdout) == []
