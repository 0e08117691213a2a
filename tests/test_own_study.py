"""docs/own-study.md runs as written: its Python blocks in order, its `adjudicate` commands
through the CLI entry point, in a scratch directory (the page writes my_study.csv there)."""

import re
import shlex
from pathlib import Path

import pandas as pd

from adjudicate.cli import main

PAGE = Path(__file__).resolve().parents[1] / "docs" / "own-study.md"


def test_own_study_page_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```(python|sh)\n(.*?)```", PAGE.read_text(), flags=re.DOTALL)
    kinds = [k for k, _ in blocks]
    assert kinds.count("python") >= 6 and kinds.count("sh") >= 4
    namespace: dict = {}
    for kind, code in blocks:
        if kind == "python":
            exec(compile(code, str(PAGE), "exec"), namespace)  # noqa: S102
            continue
        for line in code.strip().splitlines():
            argv = shlex.split(line)
            assert argv[0] == "adjudicate", line
            argv = [("200" if a == "2000" else a) for a in argv[1:]]  # fewer replicates here
            assert main(argv) == 0, line
    out = capsys.readouterr().out
    # what the page says about its own study holds
    ratings = namespace["ratings"]
    assert ratings.shape == (50, 4, 2) and ratings.categories == (0, 1)
    assert ratings.positive == 1 and ratings.clusters is not None
    assert any("25 rows not used: label empty" in n for n in ratings.notes)
    assert namespace["graded"].categories == ("mild", "moderate", "severe")
    assert namespace["pa"].n_units == 37               # cases 1, 5, 9, ..., 49 are AP
    assert "resamples of patients" in out or "bootstrap bca (patients)" in out
    assert "r4" in out and "standard_3" in out           # the compare section ran
    standard = pd.read_csv(tmp_path / "standard.csv")
    assert list(standard.columns) == ["case_id", "cluster", "nodule", "effusion"]
    assert re.search(r"my_study.csv, row 2, column 'label': label '[01]' is not one of the "
                     r"categories \('NO', 'YES'\)", out)
