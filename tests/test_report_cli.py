"""``--format markdown|latex`` on every command: paper tables holding the command's numbers."""

import json

import pytest

from adjudicate.cli import main


def _run(capsys, *argv):
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_agreement_markdown_holds_the_csv_numbers(capsys):
    args = ["agreement", "--statistics", "fleiss_kappa", "--findings", "Mass,Nodule"]
    rows = {r["finding"]: r for r in json.loads(_run(capsys, *args, "--format", "json"))["rows"]}
    md = _run(capsys, *args, "--format", "markdown")
    lines = md.splitlines()
    assert [c.strip() for c in lines[0].split("|")[1:4]] == ["finding", "n", "fleiss_kappa"]
    mass = next(ln for ln in lines if ln.startswith("| Mass"))
    r = rows["Mass"]
    assert f"{r['estimate']:.2f} ({r['ci_low']:.2f}-{r['ci_high']:.2f})" in mass
    assert f"| {r['n_units']} |" in mass


def test_latex_tables(capsys):
    tex = _run(capsys, "agreement", "four-findings", "--statistics", "gwet_ac1", "--format",
               "latex")
    assert tex.startswith("\\begin{tabular}") and "gwet\\_ac1" in tex and "Nodule/mass" in tex
    tex = _run(capsys, "reproduce", "four-findings", "--format", "latex")
    assert "prevalence\\_published" in tex


@pytest.mark.parametrize("fmt", ["markdown", "latex", "csv", "json", "table"])
def test_audit_and_reproduce_all_findings_take_format(capsys, fmt):
    from adjudicate.datasets import dataset_path

    path = str(dataset_path("all_findings", "readers"))
    out = _run(capsys, "audit", path, "--format", fmt)
    assert "810" in out
    out = _run(capsys, "reproduce", "all-findings", "--compare", "published", "--format", fmt)
    assert "Pneumothorax" in out
    if fmt == "markdown":
        assert "| Pneumothorax " in out


def test_compare_nlp_markdown_rows_are_reference_rater_finding(capsys):
    md = _run(capsys, "compare-nlp", "four-findings", "--bootstrap", "40", "--seed", "1",
              "--method", "percentile", "--format", "markdown")
    head = [c.strip() for c in md.splitlines()[0].split("|")[1:5]]
    assert head == ["reference", "rater", "finding", "n"]
    assert any(ln.split("|")[1:3] and [c.strip() for c in ln.split("|")[1:3]]
               == ["published", "nlp"] for ln in md.splitlines())
