"""The HTML report: self-contained, rendered from the results, rerunnable from its settings.

In a real browser: headless Chromium (Debian package ``chromium``) loads the report with a
probe script prepended that records JavaScript errors and ``console.error`` calls and, once
the page has loaded, counts images that failed to decode; ``--dump-dom`` returns the DOM with
the probe's findings. A page with a broken image and a script error checks that the probe does
catch them. A screenshot of the report goes to ``$ADJUDICATE_SCREENSHOT_DIR`` (default: the
test's tmp dir). Skipped, saying why, where Chromium is absent.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import adjudicate as adj
from adjudicate.cli import main
from adjudicate.report.html import (
    ReportResults,
    _collect_sensitivity,
    collect_results,
    report_settings,
    write_report,
)


def _boom(*args, **kwargs):
    raise AssertionError("the report recomputed a statistic while rendering")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    results = collect_results(report_settings("all-findings", n_resamples=40,
                                              method="percentile"))
    with pytest.MonkeyPatch.context() as mp:  # rendering only renders: no statistic is called
        for name in ("agreement_table", "compare_nlp", "pairwise_kappa", "accuracy_table",
                     "audit", "compare_label_tables", "load_dataset", "majority_vote",
                     "sensitivity_analysis"):
            mp.setattr(adj, name, _boom)
        path = write_report(results, out)
    return results, path


def test_self_contained_page_with_every_section(report):
    _results, path = report
    page = path.read_text(encoding="utf-8")
    # no network: no external scripts, stylesheets or images; figures are data: URIs
    assert not re.search(r'(src|href)="(https?:)?//', page)
    imgs = re.findall(r'<img [^>]*src="([^"]+)"', page)
    assert len(imgs) == 5 and all(s.startswith("data:image/png;base64,") for s in imgs)
    for title in ("Settings and reproducibility", "Data audit", "Reproduction of the published",
                  "Agreement with intervals", "Readers and NLP labels", "Model",
                  "Reporting checklist",
                  "How much the conclusions depend on the reference standard"):
        assert title in page
    # the published all-findings standard is rebuilt exactly (the dataset's documentation)
    assert "identical to the published test_labels.csv" in page


def test_seed_drawn_recorded_and_rerun_gives_the_same_numbers(report, tmp_path, monkeypatch):
    results, path = report
    saved = json.loads((path.parent / "settings.json").read_text())
    assert isinstance(saved["seed"], int) and saved["seed_given"] is False
    assert f"seed {saved['seed']}" in path.read_text()
    rerun = {}
    monkeypatch.setattr("adjudicate.report.html.write_report",  # skip drawing the figures
                        lambda res, out: rerun.setdefault("results", res) and tmp_path)
    assert main(["report", "--settings", str(path.parent / "settings.json"), "--out",
                 str(tmp_path)]) == 0
    again = rerun["results"]
    assert again.settings["seed"] == saved["seed"]
    pd.testing.assert_frame_equal(again.comparison.to_frame(), results.comparison.to_frame())
    pd.testing.assert_frame_equal(getattr(again.agreement, "table", again.agreement),
                                  getattr(results.agreement, "table", results.agreement))


def test_reference_definition_section_renders_the_sensitivity_analysis(report):
    results, path = report
    s = results.settings
    # the settings record the section's options, and the result was made with them
    assert s["sensitivity"] is True
    assert s["sensitivity_options"] == {"rater": "nlp", "n_resamples": 40,
                                        "dawid_skene": {"n_starts": 1}}
    assert results.sensitivity.settings["n_resamples"] == 40
    assert results.sensitivity.settings["seed"] == s["seed"]
    assert results.sensitivity.settings["dawid_skene"]["n_starts"] == 1
    csv = pd.read_csv(path.parent / "reference_sensitivity.csv")
    pd.testing.assert_frame_equal(csv, results.sensitivity.table.reset_index(drop=True),
                                  check_dtype=False)
    # the published definition reproduces the published labels, so the NLP labels'
    # sensitivity under it is the one of compare_nlp against the published labels (the
    # all-findings documentation: 810 images, the ground-truth majority with the Other rule)
    pub = csv[(csv.reference == "published") & (csv.statistic == "sensitivity")]
    comp = results.comparison.to_frame()
    nlp = comp[(comp.rater == "nlp") & (comp.statistic == "sensitivity")]
    merged = pub.merge(nlp, on="finding", suffixes=("", "_compare"))
    assert len(merged) == len(pub) >= 15
    np.testing.assert_allclose(merged.estimate, merged.estimate_compare, atol=1e-12)
    page = path.read_text(encoding="utf-8")
    sec = page[page.index('id="reference"'):page.index('id="checklist"')]
    assert "dawid-skene-soft" in sec and "unanimous" in sec
    assert "40 patient resamples" in sec and 'src="data:image/png;base64,' in sec


def test_sensitivity_section_can_be_left_out():
    s = report_settings("all-findings", seed=1, n_resamples=40, sensitivity=False)
    res = ReportResults(settings=s, notes={"sensitivity": []})
    _collect_sensitivity(res, s, object())
    assert res.sensitivity is None and "left out on request" in res.notes["sensitivity"][0]
    assert s["sensitivity"] is False


def test_tables_in_the_page_are_the_csv_numbers(report):
    _results, path = report
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
    _results, path = report
    page = path.read_text()
    assert "5 readers, 810 images" in page  # the dataset README: 810 images, 5 readers
    assert "532 patients" in page
    assert page.count("to be completed by the authors") >= 15
    assert "STARD 23" in page and "GRRAS 13" in page


def test_settings_record_versions_and_hashes():
    s = report_settings("four-findings", seed=5)
    assert s["versions"]["adjudicate"] == adj.__version__
    # exactly the runtime dependencies pyproject.toml declares (read here with tomllib):
    # not the test-only peers (scikit-learn, krippendorff)
    import tomllib
    from pathlib import Path

    with open(Path(__file__).resolve().parents[1] / "pyproject.toml", "rb") as f:
        declared = tomllib.load(f)["project"]["dependencies"]
    names = [re.match(r"[A-Za-z0-9._-]+", d).group(0) for d in declared]
    assert list(s["versions"]) == ["adjudicate", "python", *names]
    assert "scikit-learn" not in s["versions"] and "krippendorff" not in s["versions"]
    assert len(s["input_sha256"]) == 3
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in s["input_sha256"].values())


def test_changed_input_is_refused(tmp_path):
    src = tmp_path / "readers.csv"
    src.write_bytes(adj.dataset_path("all_findings", "readers").read_bytes())
    s = report_settings(str(src), seed=1, n_resamples=40)
    src.write_bytes(src.read_bytes() + b"\n")
    with pytest.raises(ValueError, match="changed since the settings"):
        collect_results(s)


def test_own_file_and_scores_without_evaluate(tmp_path, capsys):
    lines = adj.dataset_path("four_findings", "readers").read_text().splitlines(keepends=True)
    path = tmp_path / "readers.csv"
    path.write_text("".join(lines[:1500]))  # a small study in the NIH layout
    assert main(["report", str(path), "--out", str(tmp_path), "--bootstrap", "40", "--seed",
                 "1", "--method", "percentile", "--scores", str(path)]) == 0
    page = (tmp_path / "report.html").read_text()
    assert "nothing to reproduce" in page and "leave-one-out" in page
    # --method percentile, but the comparison takes each statistic's default (kappa: BCa),
    # and the note says so, as the method column does
    comp = pd.read_csv(tmp_path / "comparison.csv")
    assert set(comp.loc[comp.statistic == "kappa", "method"]) == {"bootstrap bca (patients)"}
    assert "BCa bootstrap for kappa" in page and "percentile bootstrap for kappa" not in page
    if not hasattr(adj, "evaluate_model"):
        assert "no evaluate_model: model section skipped" in page
    else:  # an individual-readers file carries no reference labels to evaluate against
        assert "the model section needs reference labels" in page


def test_own_study_in_the_long_layout_is_read_by_the_generic_reader(tmp_path):
    # a reader study of one's own, one row per read (unit, reader, finding, category,
    # cluster): the report reads it as adjudicate.read_ratings does (an NIH-only reader
    # refused it: "not a known readers file"), and audits what was read
    ds = adj.load_dataset("four_findings")
    own = ds.ratings.select(units=list(ds.ratings.units[:300])).to_frame()
    path = tmp_path / "study.csv"
    own.to_csv(path, index=False)
    out = tmp_path / "out"
    assert main(["report", str(path), "--out", str(out), "--bootstrap", "40", "--seed", "1",
                 "--no-sensitivity"]) == 0
    summary = pd.read_csv(out / "audit_study_summary.csv").set_index("item")["value"]
    assert summary["format"] == "generic long (CSV)"
    # counted here with pandas from the file itself
    assert int(summary["units"]) == own["unit"].nunique() == 300
    assert int(summary["patients"]) == own["cluster"].nunique()
    assert int(summary["readers"]) == own["reader"].nunique()
    assert (out / "agreement.csv").is_file() and (out / "comparison.csv").is_file()


def test_cli_bad_source_is_one_line(capsys, tmp_path):
    assert main(["report", str(tmp_path / "nope.csv"), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope.csv" in err


# --------------------------------------------------------------------------- in Chromium
CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(n)), None)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium; "
                             ".ci/run installs it when running as root)")

PROBE = """<script>
window.__errors = [];
window.addEventListener("error", e => window.__errors.push(
  e.message || ("failed to load " + (e.target && (e.target.src || e.target.href)))), true);
const _err = console.error;
console.error = (...a) => { window.__errors.push(a.join(" ")); _err(...a); };
window.addEventListener("load", () => {
  const imgs = [...document.images];
  const broken = imgs.filter(i => !(i.complete && i.naturalWidth > 0)).length;
  const probe = document.createElement("pre");
  probe.id = "probe";
  probe.textContent = JSON.stringify({images: imgs.length, broken: broken,
                                      errors: window.__errors});
  document.body.appendChild(probe);
});
</script>"""


def _chromium(*args, tmp_path):
    cmd = [CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars",
           f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
           *args]
    return subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=120)


def _probe(page: Path, tmp_path) -> dict:
    """Load ``page`` (a copy with the probe prepended) and return the probe's findings."""
    probed = tmp_path / f"probed_{page.name}"
    text = page.read_text(encoding="utf-8")
    probed.write_text(text.replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    run = _chromium("--virtual-time-budget=5000", "--dump-dom", probed.as_uri(),
                    tmp_path=tmp_path)
    found = re.search(r'<pre id="probe">(.*?)</pre>', run.stdout, re.DOTALL)
    assert found, f"the page did not load in Chromium: {run.stderr[-2000:]}"
    result = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    # console messages Chromium itself logs (e.g. a script error before the probe ran)
    result["errors"] += [m for m in re.findall(r'CONSOLE\(\d+\)\] "([^"]*)"', run.stderr)
                         if "error" in m.lower()]
    return result


@needs_chromium
def test_probe_catches_broken_images_and_script_errors(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><head><title>x</title></head><body>'
                   '<img src="data:image/png;base64,AAAA"><img src="missing.png">'
                   '<script>undefinedFunction()</script></body></html>')
    result = _probe(bad, tmp_path)
    assert result["images"] == 2 and result["broken"] == 2
    assert any("undefinedFunction" in e for e in result["errors"])


@needs_chromium
def test_report_renders_in_chromium(report, tmp_path):
    """Headless Chromium loads the report: no console error, no broken image; a screenshot."""
    page = report[1]
    result = _probe(page, tmp_path)
    assert result == {"images": 5, "broken": 0, "errors": []}
    shots = Path(os.environ.get("ADJUDICATE_SCREENSHOT_DIR", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    shot = shots / "report.png"
    run = _chromium("--window-size=1280,7000", f"--screenshot={shot}", page.as_uri(),
                    tmp_path=tmp_path)
    assert shot.is_file() and shot.stat().st_size > 50_000, run.stderr[-2000:]


# --------------------------------------------------------------------------- model hook
def test_model_section_calls_evaluate_model_and_draws_its_roc(monkeypatch):
    """The hook's contract with adjudicate.evaluate_model (issue 7), on stand-ins."""
    from types import SimpleNamespace

    import numpy as np

    from adjudicate.report.html import ReportResults, _collect_model, _roc_grid
    from adjudicate.results import TableResult

    ds = adj.load_dataset("all_findings")
    calls = {}

    def evaluate_model(scores, reference="published", *, dataset=None, match_readers=False,
                       n_resamples=0, seed=None, method="bca", confidence_level=0.95):
        calls.update(scores=scores, reference=reference, dataset=dataset,
                     match_readers=match_readers, seed=seed)
        rows = [("m", "auc", .9, .85, .95), ("r1", "sensitivity", .7, .6, .8),
                ("r1", "specificity", .9, .85, .95), ("mean reader", "sensitivity", .7, .6, .8),
                ("mean reader", "specificity", .9, .85, .95)]
        return TableResult(pd.DataFrame(
            [{"finding": "Pneumothorax", "rater": r, "statistic": st, "estimate": e,
              "ci_low": lo, "ci_high": hi, "n_units": 810, "method": "x"}
             for r, st, e, lo, hi in rows]))

    scores = pd.DataFrame({"Pneumothorax": np.linspace(0, 1, ds.ratings.n_units)},
                          index=ds.labels.index)
    monkeypatch.setattr(adj, "evaluate_model", evaluate_model, raising=False)
    monkeypatch.setattr(adj, "read_scores", lambda p: SimpleNamespace(
        name="m", findings=["Pneumothorax"], scores=scores), raising=False)
    monkeypatch.setattr(adj, "roc_curve", lambda s, y: pd.DataFrame(
        {"fpr": [0, .2, 1], "tpr": [0, .8, 1]}), raising=False)
    settings = {"scores": ["m.csv"]}
    res = ReportResults(settings=settings, notes={"model": []})
    _collect_model(res, settings, ds, {"n_resamples": 10, "seed": 3, "method": "bca",
                                       "confidence_level": 0.95, "clusters": "patient"})
    assert calls == {"scores": "m.csv", "reference": "published", "dataset": "all_findings",
                     "match_readers": True, "seed": 3}
    (m,) = res.model
    assert list(m.curves.columns) == ["fpr", "tpr", "model", "finding", "auc"]
    assert m.curves["auc"].tolist() == [.9, .9, .9]
    ax = _roc_grid(m, m.evaluation.table).axes[0]
    assert ax.get_title() == "Pneumothorax"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "m, AUC 0.900", "readers (n=1)", "mean reader"]


def test_cli_no_sensitivity_and_its_resamples_are_recorded(monkeypatch, tmp_path):
    seen = []
    monkeypatch.setattr("adjudicate.report.html.collect_results", lambda s: seen.append(s) or s)
    monkeypatch.setattr("adjudicate.report.html.write_report", lambda res, out: tmp_path / "r")
    assert main(["report", "all-findings", "--out", str(tmp_path), "--seed", "1",
                 "--no-sensitivity"]) == 0
    assert main(["report", "all-findings", "--out", str(tmp_path), "--seed", "1",
                 "--sensitivity-bootstrap", "0"]) == 0
    assert seen[0]["sensitivity"] is False
    assert seen[1]["sensitivity"] is True and seen[1]["sensitivity_options"]["n_resamples"] == 0
