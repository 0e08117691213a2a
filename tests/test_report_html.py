"""The HTML report: self-contained, rendered from the results, rerunnable from its settings."""

import json
import re

import pandas as pd
import pytest

import adjudicate as adj
from adjudicate.cli import main
from adjudicate.report.html import collect_results, render_html, report_settings, write_report


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    results = collect_results(report_settings("all-findings", n_resamples=30,
                                              method="percentile"))
    return results, write_report(results, out)


def test_self_contained_page_with_every_section(report):
    results, path = report
    page = path.read_text(encoding="utf-8")
    # no network: no external scripts, stylesheets or images; figures are data: URIs
    assert not re.search(r'(src|href)="(https?:)?//', page)
    imgs = re.findall(r'<img [^>]*src="([^"]+)"', page)
    assert len(imgs) == 4 and all(s.startswith("data:image/png;base64,") for s in imgs)
    for title in ("Settings and reproducibility", "Data audit", "Reproduction of the published",
                  "Agreement with intervals", "Readers and NLP labels", "Model",
                  "Reporting checklist"):
        assert title in page
    # the published all-findings standard is rebuilt exactly (the dataset's documentation)
    assert "identical to the published test_labels.csv" in page


def test_seed_drawn_recorded_and_rerun_gives_the_same_numbers(report, tmp_path):
    results, path = report
    saved = json.loads((path.parent / "settings.json").read_text())
    assert isinstance(saved["seed"], int) and saved["seed_given"] is False
    assert f"seed {saved['seed']}" in path.read_text()
    assert main(["report", "--settings", str(path.parent / "settings.json"), "--out",
                 str(tmp_path)]) == 0
    for name in ("agreement.csv", "comparison.csv", "pairwise_kappa.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(path.parent / name),
                                      pd.read_csv(tmp_path / name))


def test_tables_in_the_page_are_the_csv_numbers(report):
    results, path = report
    page = path.read_text()
    agreement = pd.read_csv(path.parent / "agreement.csv")
    row = agreement[(agreement.finding == "Pneumothorax")
                    & (agreement.statistic == "fleiss_kappa")].iloc[0]
    assert f"{row.estimate:.3f} ({row.ci_low:.3f}-{row.ci_high:.3f})" in page
    comp = pd.read_csv(path.parent / "comparison.csv")
    # NIH NLP sensitivity for pneumothorax: 76 of 136 reference positives (compare_nlp docs)
    nlp = comp[(comp.rater == "nlp") & (comp.finding == "Pneumothorax")
               & (comp.statistic == "sensitivity") & (comp.comparison == "accuracy")].iloc[0]
    assert (nlp.tp, nlp.fn) == (76, 60)
    assert f"{nlp.estimate:.2f} ({nlp.ci_low:.2f}-{nlp.ci_high:.2f})" in page
    assert (pd.read_csv(path.parent / "reproduction.csv")["n_mismatch"] == 0).all()


def test_checklist_fills_counts_and_marks_the_rest(report):
    results, path = report
    page = path.read_text()
    assert "5 readers, 810 images" in page  # the dataset README: 810 images, 5 readers
    assert "532 patients" in page
    assert page.count("to be completed by the authors") >= 15
    assert "STARD 23" in page and "GRRAS 13" in page


def test_settings_record_versions_and_hashes():
    s = report_settings("four-findings", seed=5)
    assert s["versions"]["adjudicate"] == adj.__version__
    assert len(s["input_sha256"]) == 3
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in s["input_sha256"].values())


def test_changed_input_is_refused(tmp_path):
    src = tmp_path / "readers.csv"
    src.write_bytes(adj.dataset_path("all_findings", "readers").read_bytes())
    s = report_settings(str(src), seed=1, n_resamples=10)
    src.write_bytes(src.read_bytes() + b"\n")
    with pytest.raises(ValueError, match="changed since the settings"):
        collect_results(s)


def test_own_file_and_scores_without_evaluate(tmp_path, capsys):
    path = adj.dataset_path("four_findings", "readers")
    assert main(["report", str(path), "--out", str(tmp_path), "--bootstrap", "10", "--seed",
                 "1", "--method", "percentile", "--scores", str(path)]) == 0
    page = (tmp_path / "report.html").read_text()
    assert "nothing to reproduce" in page and "leave-one-out" in page
    if not hasattr(adj, "evaluate_model"):
        assert "no evaluate_model: model section skipped" in page


def test_cli_bad_source_is_one_line(capsys, tmp_path):
    assert main(["report", str(tmp_path / "nope.csv"), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope.csv" in err


def test_render_never_recomputes(report, monkeypatch):
    results, _ = report

    def boom(*a, **k):
        raise AssertionError("the report recomputed a statistic")

    for name in ("agreement_table", "compare_nlp", "pairwise_kappa", "accuracy_table",
                 "audit", "compare_label_tables"):
        monkeypatch.setattr(adj, name, boom)
    assert render_html(results).count("<img") == 4
