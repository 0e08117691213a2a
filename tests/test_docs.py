"""Every Python block of the documentation runs as written (docs that rot are worse than none).

The blocks of one page run in order in one namespace, in a temporary working directory (some
write files), with a non-interactive matplotlib backend. The Sphinx build itself (warnings as
errors) is a separate step of ``.ci/run``.
"""

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = sorted(p for p in DOCS.glob("*.md") if "```python" in p.read_text(encoding="utf-8"))


def test_the_tutorials_have_code():
    names = {p.stem for p in PAGES}
    assert {"agreement", "nlp", "report", "reproduce"} <= names


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_python_blocks_run(page, tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"^```python\n(.*?)^```", page.read_text(encoding="utf-8"),
                        flags=re.DOTALL | re.MULTILINE)
    namespace: dict = {"__name__": f"docs.{page.stem}"}
    for i, block in enumerate(blocks):
        exec(compile(block, f"{page.name} (python block {i + 1})", "exec"), namespace)  # noqa: S102
