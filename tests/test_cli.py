"""The command line: audit, reproduce; errors are one line and a non-zero exit."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from adjudicate.cli import main
from adjudicate.datasets import dataset_path


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_reproduce_all_findings_stdout_equals_published(capsys):
    code, out, _ = run(capsys, "reproduce", "all-findings")
    assert code == 0
    assert out == dataset_path("all_findings", "labels").read_text()


def test_reproduce_all_findings_out_file(tmp_path, capsys):
    out = tmp_path / "labels.csv"
    code, _, err = run(capsys, "reproduce", "all-findings", "--out", str(out))
    assert code == 0 and "wrote 810 rows" in err
    assert out.read_bytes() == dataset_path("all_findings", "labels").read_bytes()


def test_reproduce_all_findings_compare(tmp_path, capsys):
    code, out, _ = run(capsys, "reproduce", "all-findings", "--compare", "published")
    assert code == 0 and "identical" in out
    # a published file with one cell changed: exit 1 (like diff), the table shows the mismatch
    lines = dataset_path("all_findings", "labels").read_text().splitlines()
    assert lines[5].endswith(",NO")  # Other = NO for 00030409_000.png
    lines[5] = lines[5][:-2] + "YES"
    edited = tmp_path / "edited.csv"
    edited.write_text("\n".join(lines) + "\n")
    code, out, _ = run(capsys, "reproduce", "all-findings", "--compare", str(edited))
    assert code == 1
    assert "1 mismatching cells" in out
    other = next(ln for ln in out.splitlines() if ln.strip().startswith("Other"))
    assert other.split()[2] == "1"


def test_reproduce_four_findings_outputs(tmp_path, capsys):
    out, dec = tmp_path / "vote.csv", tmp_path / "decisions.csv"
    code, text, _ = run(capsys, "reproduce", "four-findings", "--hedge", "missing",
                        "--ties", "random", "--seed", "7", "--out", str(out),
                        "--decisions", str(dec))
    assert code == 0
    assert "hedge=missing, ties=random (seed 7)" in text
    vote = pd.read_csv(out, dtype=str)
    assert vote.shape == (4376, 6) and list(vote.columns[:2]) == ["Image ID", "Set"]
    d = pd.read_csv(dec)
    assert len(d) == 4376 * 4
    assert {"unanimous", "majority"} <= set(d["rule"])
    code, text, _ = run(capsys, "reproduce", "four-findings", "--format", "json")
    payload = json.loads(text)
    assert payload["policy"]["hedge"] == "negative"
    assert len(payload["table"]) == 12


def test_audit_text_and_json(capsys):
    code, out, _ = run(capsys, "audit")
    assert code == 0
    assert "Abnormal: values ['0', '1'] where other finding columns use ['NO', 'YES']" in out
    assert "DIFFERS  units in set val: documented 2412, found 2414" in out
    code, out, _ = run(capsys, "audit", str(dataset_path("four_findings")), "--format", "json")
    (rep,) = json.loads(out)
    assert rep["summary"]["units"] == 4376 and rep["summary"]["patients"] == 1695
    assert rep["readers_per_set"] == {"test": 11, "val": 13}
    assert len(rep["duplicates"]) == 4 and all(d["conflicting"] for d in rep["duplicates"])
    assert rep["rows_per_unit"] == {"1": 2, "2": 47, "3": 4324, "4": 2, "5": 1}


@pytest.mark.parametrize("content, fragment", [
    (b"", "the file is empty"),
    (b"Image ID;Reader ID\n1;2\n", "wrong delimiter"),
    (b"\xe9t\xe9,x\n", "not UTF-8 text"),
    (b"I\x00D\x00", "NUL byte"),  # UTF-16 without a byte-order mark
])
def test_errors_are_one_line_exit_2(tmp_path, capsys, content, fragment):
    p = tmp_path / "bad.csv"
    p.write_bytes(content)
    code, out, err = run(capsys, "audit", str(p))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("adjudicate: error: ") and fragment in err
    assert "Traceback" not in err


def test_missing_file_and_wrong_kind(capsys):
    code, _, err = run(capsys, "audit", "does-not-exist.csv")
    assert code == 2 and "does-not-exist.csv: no such file" in err
    code, _, err = run(capsys, "audit", str(dataset_path("all_findings", "labels")))
    assert code == 2 and "this is a labels file" in err


def test_console_script_no_traceback(tmp_path):
    exe = shutil.which("adjudicate")
    cmd = [exe] if exe else [sys.executable, "-m", "adjudicate.cli"]
    bad = tmp_path / "r.csv"
    bad.write_text("Patient ID,Image ID,Reader ID,Fracture,Pneumothorax,Airspace opacity,"
                   "Nodule/mass,Set ID\n1,00000001_000.png,7,MAYBE,NO,NO,NO,test\n")
    res = subprocess.run([*cmd, "audit", str(bad)], capture_output=True, text=True, check=False)
    assert res.returncode == 2
    assert res.stderr.strip() == (f"adjudicate: error: {bad}, row 2, column 'Fracture': unknown "
                                  "value 'MAYBE' (allowed: YES, NO)")


def test_compare_nlp_csv_tidy_and_seeded(capsys):
    argv = ["compare-nlp", "all-findings", "--bootstrap", "200", "--seed", "5", "--format", "csv"]
    code, out, _ = run(capsys, *argv)
    assert code == 0
    again = run(capsys, *argv)[1]
    assert out == again  # same seed, same numbers
    import io
    t = pd.read_csv(io.StringIO(out))
    acc = t[t["comparison"] == "accuracy"]
    assert set(acc["statistic"]) == {"sensitivity", "specificity", "ppv", "npv", "kappa",
                                     "percent_agreement", "prevalence"}
    assert "nlp" in set(acc["rater"])
    # NLP vs published, Pneumothorax: 2x2 cells from pandas on the raw files
    raw_lab = pd.read_csv(dataset_path("all_findings", "labels"), dtype=str)
    meta = pd.read_csv(dataset_path("four_findings", "test_labels"), dtype=str)
    nlp = meta.set_index("Image Index").loc[raw_lab["Image ID"], "Finding Labels"]
    nlp_pos = nlp.str.split("|").apply(lambda xs: "Pneumothorax" in xs).to_numpy()
    ref_pos = (raw_lab["Pneumothorax"] == "YES").to_numpy()
    row = acc.query("rater == 'nlp' and finding == 'Pneumothorax' and "
                    "statistic == 'sensitivity'").iloc[0]
    assert (row["tp"], row["fn"]) == ((nlp_pos & ref_pos).sum(), (~nlp_pos & ref_pos).sum())
    assert row["estimate"] == pytest.approx((nlp_pos & ref_pos).sum() / ref_pos.sum())
    assert row["ci_low"] < row["estimate"] < row["ci_high"]


def test_compare_nlp_bad_options(capsys):
    code, _, err = run(capsys, "compare-nlp", "--bootstrap", "0")
    assert code == 2 and "argument --bootstrap: expected a positive integer" in err
    code, _, err = run(capsys, "compare-nlp", "--level", "95")
    assert code == 2 and "argument --level" in err


def test_agreement_csv_matches_statsmodels(capsys):
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

    code, out, _ = run(capsys, "agreement", "all-findings", "--statistics", "fleiss_kappa",
                       "--format", "csv")
    assert code == 0
    import io
    t = pd.read_csv(io.StringIO(out)).set_index("finding")
    raw = pd.read_csv(dataset_path("all_findings", "readers"), dtype=str)
    wide = raw.pivot(index="Image ID", columns="Reader ID", values="Effusion")
    expected = fleiss_kappa(aggregate_raters(wide.to_numpy())[0])
    assert t.loc["Effusion", "estimate"] == pytest.approx(expected, abs=1e-12)
    assert (t["statistic"] == "fleiss_kappa").all() and len(t) == 16


def test_agreement_table_says_hedge_view_and_bootstrap(capsys):
    argv = ["agreement", "four-findings", "--hedge", "negative", "--statistics", "gwet_ac1",
            "--bootstrap", "200", "--seed", "4", "--cluster", "unit"]
    code, out, _ = run(capsys, *argv)
    assert code == 0
    assert "HEDGE" in out and "NO" in out.splitlines()[1]
    assert "bca bootstrap, 200 resamples of units, seed 4" in out
    assert run(capsys, *argv)[1] == out


def test_agreement_pairwise_and_readers(capsys):
    code, out, _ = run(capsys, "agreement", "--readers", "4343882785,4343883593",
                       "--findings", "Mass", "--statistics", "percent_agreement",
                       "--pairwise", "--format", "json")
    assert code == 0
    payload = json.loads(out)
    pair = [r for r in payload["rows"] if r["statistic"] == "cohen_kappa"]
    assert len(pair) == 1
    from sklearn.metrics import cohen_kappa_score
    raw = pd.read_csv(dataset_path("all_findings", "readers"), dtype=str)
    wide = raw.pivot(index="Image ID", columns="Reader ID", values="Mass")
    assert pair[0]["estimate"] == pytest.approx(
        cohen_kappa_score(wide["4343882785"], wide["4343883593"]), abs=1e-12)


def test_agreement_errors(capsys):
    code, _, err = run(capsys, "agreement", "--readers", "123")
    assert code == 2 and "unknown reader" in err
    code, _, err = run(capsys, "agreement", "--statistics", "magic")
    assert code == 2 and "unknown statistics ['magic']" in err
    code, _, err = run(capsys, "agreement", "nofile.csv")
    assert code == 2 and "nofile.csv: no such file" in err
