"""Start-up: ``import adjudicate`` against ``import numpy, pandas``, and the CLI's start-up.

Each command runs in a fresh interpreter, ``--repeat`` times, interleaved (so a busy machine
slows all of them alike), and the best wall time is kept; the goal of issue 12 is the ratio
``import adjudicate`` / ``import numpy, pandas`` <= 1.3 measured in the same run. Then
``python -X importtime -c "import adjudicate"`` lists the modules that cost the most
(cumulative), and the heavy ones the package must import only where they are used
(statsmodels, scipy.stats, scipy.special, scipy.sparse, matplotlib, sklearn) are checked
absent after ``import adjudicate``.

Writes ``benchmarks/results/import.csv``.

Run:  python benchmarks/bench_import.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
HEAVY = ("statsmodels", "scipy.stats", "scipy.special", "scipy.sparse", "matplotlib", "sklearn")
COMMANDS = {
    "python -c 'import numpy, pandas'": [PY, "-c", "import numpy, pandas"],
    "python -c 'import adjudicate'": [PY, "-c", "import adjudicate"],
    "adjudicate --help": [PY, "-m", "adjudicate.cli", "--help"],
    "adjudicate reproduce all-findings": [PY, "-m", "adjudicate.cli", "reproduce",
                                          "all-findings"],
}


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def import_profile(top: int) -> pd.DataFrame:
    out = subprocess.run([PY, "-X", "importtime", "-c", "import adjudicate"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stderr
    rows = []
    for line in out.splitlines():
        if not line.startswith("import time:") or "|" not in line or "self" in line:
            continue
        _, self_us, cumulative_us, name = (part.strip() for part in
                                           line.replace("import time:", "|").split("|"))
        rows.append({"module": name, "self_ms": int(self_us) / 1e3,
                     "cumulative_ms": int(cumulative_us) / 1e3})
    frame = pd.DataFrame(rows)
    return frame.sort_values("cumulative_ms", ascending=False).head(top)


def heavy_modules_loaded() -> list[str]:
    code = f"import sys, adjudicate; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([PY, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.split()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.repeat):
        for name, cmd in COMMANDS.items():
            times[name].append(wall(cmd))
    base = min(times["python -c 'import numpy, pandas'"])
    frame = pd.DataFrame([{"command": name, "best_s": min(t), "median_s": sorted(t)[len(t) // 2],
                           "ratio_to_numpy_pandas": min(t) / base}
                          for name, t in times.items()])
    out = ROOT / "benchmarks" / "results" / "import.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out, index=False)
    with pd.option_context("display.width", 140):
        print(frame.to_string(index=False))
        print(f"\nheavy modules loaded by 'import adjudicate': {heavy_modules_loaded() or 'none'}")
        print(f"\npython -X importtime -c 'import adjudicate' (top {args.top}, cumulative):")
        print(import_profile(args.top).to_string(index=False))
    ratio = frame.loc[frame["command"] == "python -c 'import adjudicate'",
                      "ratio_to_numpy_pandas"].iloc[0]
    print(f"\ngoal: import adjudicate / import numpy, pandas = {ratio:.2f} (target <= 1.3)")


if __name__ == "__main__":
    main()
