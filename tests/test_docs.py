"""Every Python block of the documentation runs as written (docs that rot are worse than none).

Pages with a dedicated test (``tests/test_docs_<page>.py``) are left to it. The blocks of
one page run in order in one namespace, in a temporary working directory (some
write files), with a non-interactive matplotlib backend. The Sphinx build itself (warnings as
errors) is a separate step of ``.ci/run``.
"""

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
HERE = Path(__file__).resolve().parent
# pages with a test of their own (tests/test_docs_<page>.py, which also checks the prose's
# claims) run there, not twice
PAGES = sorted(p for p in DOCS.glob("*.md") if "```python" in p.read_text(encoding="utf-8")
               and not (HERE / f"test_docs_{p.stem.replace('-', '_')}.py").exists())


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
