"""The README's Python tour runs as written (docs that rot are worse than none)."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    assert blocks, "the README has a Python tour"
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)  # noqa: S102
    # the tour's claims: the parser notes and the clustered interval exist
    lo, hi = namespace["res"].confidence_interval(0.95)
    assert lo < namespace["res"].statistic < hi


def test_readme_commands_match_ci():
    text = README.read_text()
    ci = (README.parent / ".ci" / "run").read_text()
    test_cmd = 'pip install ".[test]" && python -m pytest'
    assert test_cmd in text and test_cmd in ci
    assert "pip install . && adjudicate reproduce all-findings --compare published" in text
