"""The bad-input and fault matrix (issue 11): every odd file or option a user can give.

Each case builds its input from the real bundled files (``adjudicate.dataset_path``), runs the
command in-process (``adjudicate.cli.main``) and asserts the exact outcome:

- a refusal: exit status 2, nothing on stdout, ONE line on stderr that names the file, row,
  column or option (the fragments listed with the case), no traceback;
- an accepted variant (compressed, UTF-16 with BOM, CR-only line endings, ...): the same
  ratings as the original file, and the output says what the parser did;
- and in every case no file changed or left behind: the temporary directory and the bundled
  data are hashed before and after.

Then faults (a failure or Ctrl-C midway through writing outputs), the Python API's argument
checks, and a hypothesis fuzz of the parsers: random mutations of real rows give a clean
:class:`~adjudicate.InputError` or a correct parse (checked against the csv module), never
another exception.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import hashlib
import io
import lzma
import math
import os
import signal
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

import adjudicate
from adjudicate import InputError, Ratings, dataset_path
from adjudicate.cli import main
from adjudicate.cli._common import printable, write_outputs

ROOT = Path(__file__).resolve().parent.parent
READERS_ALL = dataset_path("all_findings", "readers")
READERS_FOUR = dataset_path("four_findings", "readers")
LABELS_ALL = dataset_path("all_findings", "labels")
LABELS_FOUR = dataset_path("four_findings", "test_labels")
BUNDLED = Path(adjudicate.__file__).resolve().parent / "datasets"


def _lines(path: Path, n: int | None = None) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return lines if n is None else lines[:n]


def _text(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


def _cells(line: str) -> list[str]:
    return next(csv.reader([line]))


def _join(cells: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(cells)
    return buf.getvalue()


def _set_cell(lines: list[str], row: int, column: str, value: str) -> list[str]:
    """``lines`` with the cell (1-based file ``row``, header ``column``) replaced."""
    header = _cells(lines[0])
    out = list(lines)
    cells = _cells(out[row - 1])
    cells[header.index(column)] = value
    out[row - 1] = _join(cells)
    return out


def _drop_column(lines: list[str], column: str) -> list[str]:
    j = _cells(lines[0]).index(column)
    return [_join([c for i, c in enumerate(_cells(ln)) if i != j]) for ln in lines]


def _rename_column(lines: list[str], column: str, new: str) -> list[str]:
    header = [new if c == column else c for c in _cells(lines[0])]
    return [_join(header)] + lines[1:]


def _add_column(lines: list[str], name: str, value: str) -> list[str]:
    return [lines[0] + "," + name] + [ln + "," + value for ln in lines[1:]]


def snapshot(*dirs: Path) -> dict:
    """Path -> sha256 of every file (and the names of other entries) under ``dirs``."""
    out = {}
    for d in dirs:
        for p in sorted(Path(d).rglob("*")):
            if p.is_file() and not p.is_symlink():
                out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
            else:
                out[str(p)] = "entry"
    return out


@pytest.fixture(scope="module")
def bundled_hash():
    return snapshot(BUNDLED)


def run(capsys, argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_refused(code, out, err, fragments):
    assert code == 2, (code, err)
    assert out == "", out[:300]
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert err.startswith("adjudicate"), err
    assert "Traceback" not in err
    assert err.isprintable() or err[:-1].isprintable(), repr(err)
    for f in fragments:
        assert f in err, (f, err)


# ===================================================================== bad files
def _readers_all(n=40):
    return _lines(READERS_ALL, n)


def _readers_four(n=40):
    return _lines(READERS_FOUR, n)


# name -> (bytes of the file, command, fragments of the one-line error). "{f}" = the file.
FILE_CASES = {
    "empty": (b"", "agreement", ["{f}", "the file is empty"]),
    "blank lines only": (b"\n \n\r\n", "agreement", ["{f}", "the file is empty"]),
    "header only": (_text(_readers_all(1)).encode(), "agreement",
                    ["{f}", "row 2", "header but no data rows"]),
    "semicolon delimiter": (_text(_readers_all()).replace(",", ";").encode(), "agreement",
                            ["{f}", "row 1", "wrong delimiter", "semicolons"]),
    "tab delimiter": (_text(_readers_all()).replace(",", "\t").encode(), "agreement",
                      ["{f}", "row 1", "wrong delimiter", "tabs"]),
    "latin-1 text": (_text(_set_cell(_readers_all(), 5, "Image ID", "00029560_0é0.png"))
                     .encode("latin-1"), "agreement",
                     ["{f}", "row 5", "column 'Image ID'", "not UTF-8", "0xe9"]),
    "UTF-16 without BOM": (_text(_readers_all()).encode("utf-16-le"), "agreement",
                           ["{f}", "row 1", "binary file", "NUL byte"]),
    "binary garbage": (bytes(range(256)) * 8, "agreement", ["{f}", "binary file"]),
    "missing finding column": (_text(_drop_column(_readers_all(), "Nodule")).encode(),
                               "agreement", ["{f}", "row 1", "column 'Nodule'", "missing"]),
    "missing reader column": (_text(_drop_column(_readers_four(), "Reader ID")).encode(),
                              "agreement", ["{f}", "row 1", "column 'Reader ID'",
                                            "missing column", "readers"]),
    "renamed column": (_text(_rename_column(_readers_all(), "Nodule", "Nodules")).encode(),
                       "agreement", ["{f}", "row 1", "column 'Nodule'", "missing"]),
    "header with stray spaces": (_text(_rename_column(_readers_all(), "Reader ID",
                                                      " Reader ID")).encode(), "agreement",
                                 ["{f}", "row 1", "column ' Reader ID'", "readers file",
                                  "header problem", "stray spaces"]),
    "header in other case": (_text(_rename_column(_readers_four(), "Reader ID",
                                                  "READER ID")).encode(), "agreement",
                             ["{f}", "row 1", "column 'READER ID'", "readers file",
                              "header problem", "case"]),
    "repeated header column": (_text(_add_column(_readers_all(), "Nodule", "NO")).encode(),
                               "agreement", ["{f}", "row 1", "column 'Nodule'", "repeated"]),
    "unknown code": (_text(_set_cell(_readers_all(), 7, "Effusion", "MAYBE")).encode(),
                     "agreement", ["{f}", "row 7", "column 'Effusion'", "'MAYBE'"]),
    "lower-case code": (_text(_set_cell(_readers_all(), 9, "Mass", "yes")).encode(),
                        "agreement", ["{f}", "row 9", "column 'Mass'", "'yes'"]),
    "code with spaces": (_text(_set_cell(_readers_all(), 9, "Mass", " YES")).encode(),
                         "agreement", ["{f}", "row 9", "column 'Mass'", "' YES'"]),
    "empty code": (_text(_set_cell(_readers_all(), 4, "Hernia", "")).encode(),
                   "agreement", ["{f}", "row 4", "column 'Hernia'", "empty cell"]),
    "Abnormal coded as text": (_text(_set_cell(_readers_all(), 3, "Abnormal", "YES")).encode(),
                               "agreement", ["{f}", "row 3", "column 'Abnormal'", "'YES'"]),
    "HEDGE where the design forbids it": (
        _text(_set_cell(_readers_four(), 6, "Fracture", "HEDGE")).encode(), "agreement",
        ["{f}", "row 6", "column 'Fracture'", "HEDGE", "study design"]),
    "bad image id": (_text(_set_cell(_readers_all(), 8, "Image ID", "not-an-image")).encode(),
                     "agreement", ["{f}", "row 8", "column 'Image ID'", "'not-an-image'"]),
    "empty reader id": (_text(_set_cell(_readers_all(), 8, "Reader ID", "")).encode(),
                        "agreement", ["{f}", "row 8", "column 'Reader ID'", "empty cell"]),
    "patient differs within an image": (
        _text(_set_cell(_readers_all(), 3, "Patient ID", "12345")).encode(), "agreement",
        ["{f}", "row 3", "column 'Patient ID'", "must be the same"]),
    "row with an extra field": (_text(_readers_all()[:10] + [_readers_all()[10] + ",NO"]
                                      + _readers_all()[11:]).encode(), "agreement",
                                ["{f}", "row 11", "more fields than the header"]),
    "row with a missing field": (_text(_readers_all()[:12] + [_readers_all()[12]
                                                              .rsplit(",", 1)[0]]
                                       + _readers_all()[13:]).encode(), "agreement",
                                 ["{f}", "row 13", "column 'Other'", "fewer fields"]),
    "duplicate rows refused by audit? no: counted": None,  # see test_duplicates_are_reported
    "unclosed quote": (_text(_readers_all()[:5] + ['"' + _readers_all()[5]]
                             + _readers_all()[6:]).encode(), "agreement",
                       ["{f}", "row 6"]),
    "huge field": (_text(_readers_all(3) + ["x" * 200_000]).encode(), "agreement",
                   ["{f}", "row 4", "longer than 131072 characters"]),
    "labels file where readers expected": (LABELS_ALL.read_bytes(), "agreement",
                                           ["{f}", "row 1", "this is a labels file",
                                            "expected a readers file"]),
    "readers file where labels expected": (READERS_ALL.read_bytes(), "compare",
                                           ["{f}", "row 1", "this is a readers file",
                                            "expected a labels file"]),
    "labels file with a duplicated image": (_text(_lines(LABELS_ALL, 20) + _lines(LABELS_ALL)[5:6])
                                            .encode(), "compare",
                                            ["{f}", "row 21", "column 'Image ID'",
                                             "appears on 2 rows"]),
    "zip archive": (None, "agreement", ["{f}", "zip archive", "extract"]),
    "damaged gzip": (gzip.compress(READERS_ALL.read_bytes())[:500], "agreement",
                     ["{f}", "damaged gzip"]),
    "not CSV at all": (b"\x89PNG\r\n\x1a\n" + bytes(200), "agreement", ["{f}", "binary file"]),
}
FILE_CASES = {k: v for k, v in FILE_CASES.items() if v is not None}


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readers.csv", READERS_ALL.read_bytes())
    return buf.getvalue()


def _argv(command: str, path: Path) -> list:
    if command == "agreement":
        return ["agreement", path, "--format", "csv"]
    if command == "compare":
        return ["reproduce", "all-findings", "--compare", path]
    return [command, path]


@pytest.mark.parametrize("name", list(FILE_CASES))
def test_bad_file_is_refused_in_one_line(name, tmp_path, capsys, bundled_hash):
    content, command, fragments = FILE_CASES[name]
    if content is None:
        content = _zip_bytes()
    path = tmp_path / "input.csv"
    path.write_bytes(content)
    before = snapshot(tmp_path)
    code, out, err = run(capsys, _argv(command, path))
    assert_refused(code, out, err, [f.replace("{f}", str(path)) for f in fragments])
    assert snapshot(tmp_path) == before
    assert snapshot(BUNDLED) == bundled_hash


@pytest.mark.parametrize("command", ["agreement", "audit"])
def test_bad_file_is_refused_by_every_command(command, tmp_path, capsys):
    path = tmp_path / "input.csv"
    path.write_bytes(_text(_set_cell(_readers_all(), 7, "Effusion", "MAYBE")).encode())
    code, out, err = run(capsys, _argv(command, path))
    assert_refused(code, out, err, [str(path), "row 7", "column 'Effusion'", "'MAYBE'"])


# ----------------------------------------------------------------- odd paths
def test_directory_missing_and_special_paths(tmp_path, capsys):
    cases = [
        (tmp_path, ["is a directory"]),
        (tmp_path / "nope.csv", ["nope.csv", "no such file"]),
        (tmp_path / "nodir" / "nope.csv", ["no such file"]),
        ("/dev/zero", ["/dev/zero", "character device", "not a regular file"]),
        ("/dev/null", ["/dev/null", "character device"]),
    ]
    before = snapshot(tmp_path)
    for path, fragments in cases:
        code, out, err = run(capsys, ["agreement", path])
        assert_refused(code, out, err, fragments)
    assert snapshot(tmp_path) == before


def test_fifo_is_refused_without_hanging(tmp_path, capsys):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)  # nobody writes to it: reading would block forever
    code, out, err = run(capsys, ["agreement", fifo])
    assert_refused(code, out, err, [str(fifo), "FIFO", "not a regular file"])


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode (the "
                                              "suite runs as root here)")
def test_unreadable_file(tmp_path, capsys):  # pragma: no cover - not run as root
    path = tmp_path / "secret.csv"
    path.write_bytes(READERS_ALL.read_bytes())
    path.chmod(0)
    code, out, err = run(capsys, ["agreement", path])
    assert_refused(code, out, err, [str(path), "permission denied"])


def test_binary_bytes_are_never_echoed(tmp_path, capsys):
    """A file name and a header holding control bytes: the message escapes them."""
    path = tmp_path / "bad\x1b[31mname.csv"
    path.write_bytes(b"Image ID,\x07\x1b[2J\n1,2\n")
    code, out, err = run(capsys, ["agreement", path])
    assert_refused(code, out, err, ["\\x1b[31m"])
    assert "\x1b" not in err and "\x07" not in err
    assert printable("a\udcffb\nc") == "a\\xffb\\nc"


# ------------------------------------------------------------ accepted variants
def _ratings_equal(a: Ratings, b: Ratings) -> bool:
    return (np.array_equal(a.codes, b.codes) and list(a.units) == list(b.units)
            and list(a.readers) == list(b.readers) and a.categories == b.categories)


VARIANTS = {
    "gzip": (lambda b: gzip.compress(b), "gzip-compressed"),
    "bzip2": (lambda b: bz2.compress(b), "bzip2-compressed"),
    "xz": (lambda b: lzma.compress(b), "xz-compressed"),
    "UTF-8 BOM": (lambda b: b"\xef\xbb\xbf" + b, "byte-order mark"),
    "UTF-16 with BOM": (lambda b: b.decode().encode("utf-16"), "UTF-16"),
    "CRLF": (lambda b: b.replace(b"\n", b"\r\n"), None),
    "CR only": (lambda b: b.replace(b"\n", b"\r"), "CR only"),
    "blank lines": (lambda b: b.replace(b"\n", b"\n\n", 3), None),
}


@pytest.mark.parametrize("name", list(VARIANTS))
def test_accepted_variants_parse_the_same_and_say_so(name, tmp_path, capsys):
    transform, said = VARIANTS[name]
    original = READERS_FOUR.read_bytes()
    path = tmp_path / "readers.csv"
    path.write_bytes(transform(original))
    got = adjudicate.read_readers(path)
    assert _ratings_equal(got, adjudicate.read_readers(READERS_FOUR))
    code, out, err = run(capsys, ["agreement", path, "--findings", "Fracture",
                                  "--statistics", "fleiss_kappa", "--format", "json"])
    assert code == 0, err
    import json
    notes = json.loads(out)["notes"]
    assert any("4 duplicated (unit, reader) pairs, 4 with conflicting" in n for n in notes)
    if said:
        assert any(said in n for n in notes), notes


def test_extra_columns_are_used_nowhere_and_reported(tmp_path, capsys):
    path = tmp_path / "readers.csv"
    path.write_text(_text(_add_column(_lines(READERS_FOUR), "Comment", "ok")), "utf-8")
    assert _ratings_equal(adjudicate.read_readers(path), adjudicate.read_readers(READERS_FOUR))
    code, out, err = run(capsys, ["agreement", path, "--findings", "Fracture",
                                  "--statistics", "fleiss_kappa", "--format", "csv"])
    assert code == 0
    # CSV stays machine readable; what the parser did goes to stderr
    assert out.splitlines()[0].startswith("finding,")
    assert "note:" in err and "Comment" in err


def test_parser_notes_in_every_output(capsys):
    """The 4 merged conflicting duplicate rows of the four-findings file, everywhere."""
    import json
    dup = "4 duplicated (unit, reader) pairs, 4 with conflicting values"
    for fmt in ("table", "json", "csv"):
        code, out, err = run(capsys, ["agreement", "four-findings", "--findings", "Fracture",
                                      "--statistics", "fleiss_kappa", "--format", fmt])
        assert code == 0
        where = {"table": out, "json": json.dumps(json.loads(out).get("notes")) if fmt == "json"
                 else "", "csv": err}[fmt]
        assert dup in where, fmt
        code, out, err = run(capsys, ["compare-nlp", "four-findings", "--bootstrap", "40",
                                      "--seed", "1", "--format", fmt])
        assert code == 0
        where = {"table": out, "json": json.dumps(json.loads(out).get("notes")) if fmt == "json"
                 else "", "csv": err}[fmt]
        assert dup in where, fmt
        code, out, err = run(capsys, ["reproduce", "four-findings", "--format", fmt])
        assert code == 0
        where = {"table": out, "json": json.dumps(json.loads(out).get("notes")) if fmt == "json"
                 else "", "csv": err}[fmt]
        assert dup in where, fmt
    code, out, err = run(capsys, ["agreement", "--findings", "Nodule", "--format", "json"])
    assert any("'Abnormal' is coded 1/0" in n for n in json.loads(out)["notes"])


# ===================================================================== bad options
OPTION_CASES = {
    "--readers repeated": (["agreement", "--readers", "4343880271,4343880271",
                            "--findings", "Nodule"], ["--readers", "4343880271",
                                                      "more than once"]),
    "--findings repeated": (["agreement", "--findings", "Nodule,Mass,Nodule"],
                            ["--findings", "Nodule", "more than once"]),
    "--readers empty": (["agreement", "--readers", ","], ["--readers", "empty list"]),
    "--readers unknown": (["agreement", "--readers", "1,2"], ["unknown reader", "1"]),
    "--findings unknown": (["agreement", "--findings", "Nodules"],
                           ["unknown finding", "Nodules"]),
    "--seed negative": (["agreement", "--seed", "-1", "--bootstrap", "100"],
                        ["argument --seed", "-1"]),
    "--seed text": (["agreement", "--seed", "abc"], ["argument --seed", "'abc'"]),
    "--seed float": (["agreement", "--seed", "1.5"], ["argument --seed", "'1.5'"]),
    "--bootstrap 0": (["agreement", "--bootstrap", "0"], ["argument --bootstrap", "0"]),
    "--bootstrap negative": (["agreement", "--bootstrap", "-5"], ["argument --bootstrap"]),
    "--bootstrap text": (["agreement", "--bootstrap", "many"], ["argument --bootstrap"]),
    "--bootstrap 1": (["agreement", "--findings", "Nodule", "--bootstrap", "1"],
                      ["--bootstrap", "n_resamples=1", "too few", "at least 40"]),
    "--bootstrap 2": (["agreement", "--findings", "Nodule", "--bootstrap", "2"],
                      ["--bootstrap", "n_resamples=2", "at least 40"]),
    "--bootstrap 39": (["agreement", "--findings", "Nodule", "--bootstrap", "39"],
                       ["--bootstrap", "at least 40"]),
    "--bootstrap 150 at 99%": (["agreement", "--findings", "Nodule", "--bootstrap", "150",
                                "--level", "0.99"], ["--bootstrap", "99% interval",
                                                     "at least 200"]),
    "--bootstrap 10**12": (["agreement", "--findings", "Nodule", "--bootstrap",
                            str(10 ** 12)], ["--bootstrap", "memory"]),
    "compare-nlp --bootstrap 2": (["compare-nlp", "--bootstrap", "2"],
                                  ["--bootstrap", "at least 40"]),
    "--level 0": (["agreement", "--level", "0"], ["argument --level"]),
    "--level 1": (["agreement", "--level", "1"], ["argument --level"]),
    "--level 95": (["agreement", "--level", "95"], ["argument --level", "95"]),
    "--level text": (["compare-nlp", "--level", "high"], ["argument --level"]),
    "--method": (["agreement", "--method", "basic"], ["argument --method", "basic"]),
    "--hedge retired name": (["agreement", "--hedge", "abstain"], ["argument --hedge"]),
    "--cluster": (["agreement", "--cluster", "hospital"], ["--cluster", "'hospital'"]),
    "--format": (["agreement", "--format", "xml"], ["argument --format", "xml"]),
    "--statistics unknown": (["agreement", "--statistics", "cronbach"], ["cronbach"]),
    "unknown command": (["agree"], ["agree"]),
    "unknown option": (["agreement", "--colour"], ["--colour"]),
    "--min-reads 0": (["reproduce", "four-findings", "--min-reads", "0"],
                      ["argument --min-reads"]),
    "four-findings --seed -3": (["reproduce", "four-findings", "--ties", "random", "--seed",
                                 "-3"], ["argument --seed"]),
    "--ties": (["reproduce", "four-findings", "--ties", "coin"], ["argument --ties"]),
    "--compare missing file": (["reproduce", "all-findings", "--compare", "nope.csv"],
                               ["nope.csv", "no such file"]),
    "compare-nlp dataset": (["compare-nlp", "five-findings"], ["five-findings"]),
    "compare --readers repeated": (["compare", LABELS_ALL, "--readers",
                                    "4343880271,4343880271"], ["--readers", "more than once"]),
    "compare missing rater file": (["compare", "nope.csv"], ["nope.csv", "no such file"]),
    "compare readers file as rater": (["compare", READERS_FOUR],
                                      ["individual_readers.csv", "this is a readers file"]),
}


@pytest.mark.parametrize("name", list(OPTION_CASES))
def test_bad_option_is_refused_in_one_line(name, tmp_path, capsys, monkeypatch):
    argv, fragments = OPTION_CASES[name]
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, argv)
    assert_refused(code, out, err, fragments)
    assert snapshot(tmp_path) == {}


# ===================================================================== outputs
def test_out_onto_an_input_or_bundled_file_is_refused(tmp_path, capsys, bundled_hash):
    labels = tmp_path / "labels.csv"
    labels.write_bytes(LABELS_ALL.read_bytes())
    before = snapshot(tmp_path)
    cases = [
        (["reproduce", "all-findings", "--out", LABELS_ALL], ["--out", "input file"]),
        (["reproduce", "all-findings", "--out", READERS_ALL], ["--out", "input file"]),
        (["reproduce", "four-findings", "--out", LABELS_FOUR], ["--out", "input file"]),
        (["reproduce", "four-findings", "--decisions", READERS_FOUR],
         ["--decisions", "input file"]),
        (["reproduce", "four-findings", "--out", BUNDLED / "new.csv"],
         ["--out", "bundled data"]),
        (["reproduce", "all-findings", "--compare", labels, "--out", labels],
         ["--out", "input file"]),
        (["reproduce", "four-findings", "--out", tmp_path / "x.csv", "--decisions",
          tmp_path / "x.csv"], ["--out and --decisions", "same file"]),
        (["reproduce", "four-findings", "--out", tmp_path / "x.csv", "--decisions",
          tmp_path / "sub" / ".." / "x.csv"], ["same file"]),
        (["reproduce", "all-findings", "--out", tmp_path], ["--out", "directory"]),
        (["reproduce", "all-findings", "--out", tmp_path / "no" / "x.csv"],
         ["--out", "does not exist"]),
    ]
    (tmp_path / "sub").mkdir()
    before = snapshot(tmp_path)
    for argv, fragments in cases:
        code, out, err = run(capsys, argv)
        assert_refused(code, out, err, fragments)
        assert snapshot(tmp_path) == before
    assert snapshot(BUNDLED) == bundled_hash


def test_compare_with_missing_images_or_columns_is_a_mismatch(tmp_path, capsys):
    # only 99 of the 810 images: printed "identical" and exit 0 before
    part = tmp_path / "part.csv"
    part.write_text(_text(_lines(LABELS_ALL, 100)), "utf-8")
    code, out, err = run(capsys, ["reproduce", "all-findings", "--compare", part])
    assert code == 1 and "identical" not in out
    assert "images missing: 711 of ours not in" in out.splitlines()[0]
    # a column the reproduction does not have: counted, named
    extra = tmp_path / "extra.csv"
    extra.write_text(_text(_add_column(_lines(LABELS_ALL), "Comment", "x")), "utf-8")
    code, out, err = run(capsys, ["reproduce", "all-findings", "--compare", extra])
    assert code == 1
    assert "columns missing: 0 of ours not in" in out and "1 of" in out and "(Comment)" in out
    # the four-findings labels are keyed by another column: refused, naming the file
    code, out, err = run(capsys, ["reproduce", "all-findings", "--compare", LABELS_FOUR])
    assert_refused(code, out, err, [str(LABELS_FOUR), "keyed differently"])
    # honoured --out: the comparison goes to the file, atomically
    dest = tmp_path / "cmp.txt"
    code, out, err = run(capsys, ["reproduce", "all-findings", "--compare", "published",
                                  "--out", dest])
    assert code == 0 and out == "" and "identical" in dest.read_text()


def test_two_outputs_written_together(tmp_path, capsys):
    out, dec = tmp_path / "out.csv", tmp_path / "dec.csv"
    code, _, _err = run(capsys, ["reproduce", "four-findings", "--out", out, "--decisions", dec,
                                "--format", "csv"])
    assert code == 0
    assert out.read_text().startswith("Image ID,Set,") and dec.stat().st_size > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dec.csv", "out.csv"]


@pytest.mark.parametrize("fault", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_failure_midway_leaves_neither_output(fault, tmp_path, capsys, monkeypatch):
    out, dec = tmp_path / "out.csv", tmp_path / "dec.csv"
    out.write_text("old out\n")  # existing files stay as they were
    before = snapshot(tmp_path)
    calls = []
    real = os.fsync

    def failing_fsync(fd):  # the second output fails after the first was written
        calls.append(fd)
        if len(calls) == 2:
            raise fault
        return real(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    code, stdout, err = run(capsys, ["reproduce", "four-findings", "--out", out,
                                     "--decisions", dec])
    assert len(calls) == 2
    assert stdout == "" and err.count("\n") == 1 and "Traceback" not in err
    if isinstance(fault, KeyboardInterrupt):
        assert code == 130 and err == "adjudicate: interrupted\n"
    else:
        assert code == 2 and "No space left on device" in err
    assert snapshot(tmp_path) == before  # no partial file, no temporary file


def test_write_outputs_is_all_or_nothing(tmp_path, monkeypatch):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    write_outputs({a: "A\n", b: "B\n"})
    assert a.read_text() == "A\n" and b.read_text() == "B\n"
    assert oct(a.stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    real = os.replace
    monkeypatch.setattr(os, "replace", lambda *x: (_ for _ in ()).throw(OSError(5, "I/O")))
    with pytest.raises(OSError):
        write_outputs({a: "new A\n", b: "new B\n"})
    monkeypatch.setattr(os, "replace", real)
    assert a.read_text() == "A\n" and b.read_text() == "B\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]


def test_an_output_never_overwrites_a_file_read_in_this_run(tmp_path):
    path = tmp_path / "readers.csv"
    path.write_bytes(READERS_FOUR.read_bytes())
    adjudicate.read_readers(path)
    (tmp_path / "sub").mkdir()
    with pytest.raises(ValueError, match="is an input file of this command"):
        write_outputs({tmp_path / "sub" / ".." / "readers.csv": "oops\n"})
    with pytest.raises(ValueError, match="is an input file of this command"):
        write_outputs({tmp_path / "nosub" / ".." / "readers.csv": "oops\n"})
    assert path.read_bytes() == READERS_FOUR.read_bytes()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.parametrize("fault, status, fragment", [
    (MemoryError(), 2, "out of memory"),
    (RuntimeError("boom"), 1, "internal error (please report it"),
    (KeyboardInterrupt(), 130, "interrupted"),
])
def test_unexpected_failures_are_one_line(fault, status, fragment, capsys, monkeypatch):
    from adjudicate import agreement

    def explode(*args, **kwargs):
        raise fault

    monkeypatch.setattr(agreement, "agreement_table", explode)
    code, out, err = run(capsys, ["agreement", "--findings", "Nodule"])
    assert code == status and out == ""
    assert err.count("\n") == 1 and fragment in err and "Traceback" not in err


def test_warnings_are_one_line_each_once(capsys):
    code, _out, err = run(capsys, ["compare-nlp", "four-findings", "--bootstrap", "40",
                                   "--seed", "1", "--format", "csv"])
    assert code == 0 and "Traceback" not in err
    warned = [ln for ln in err.splitlines() if ln.startswith("adjudicate: warning:")]
    expected = ("adjudicate: warning: n_resamples=40 leaves fewer than 5 replicates beyond "
                "each end of the 95% interval, so its endpoints are rough; 200 or more are "
                "advised")
    assert warned == [expected]
    assert all(ln.startswith("adjudicate: ") for ln in err.splitlines())


def test_broken_pipe_is_quiet(capsys, monkeypatch):
    def closed(text):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys.stdout, "write", closed)
    code = main(["reproduce", "all-findings"])
    monkeypatch.undo()
    assert code == 0
    assert "Traceback" not in capsys.readouterr().err


def test_duplicates_are_counted_and_reported(tmp_path, capsys):
    """A conflicting duplicate read is merged by the documented policy and reported; with
    duplicates='error' it is refused naming the rows."""
    lines = _lines(READERS_ALL)
    twin = _set_cell([lines[0], lines[1]], 2, "Effusion", "YES")[1]  # same unit and reader
    assert _cells(lines[1])[_cells(lines[0]).index("Effusion")] == "NO"
    path = tmp_path / "readers.csv"
    path.write_text(_text(lines + [twin]), "utf-8")
    r = adjudicate.read_readers(path)
    assert r.report.unused_rows == {"duplicate (unit, reader) rows merged by policy missing": 1}
    assert r.report.conflicting_cells == 1
    assert r.codes[0, r.readers.get_loc(_cells(lines[1])[2]), 3] == -1  # Effusion: missing
    n = len(lines) + 1  # the file line of the twin
    with pytest.raises(InputError, match=rf"row {n}: .*has 2 rows for unit "
                                         rf"00029560_000.png \(lines 2,{n}\)"):
        adjudicate.read_readers(path, duplicates="error")
    code, _out, err = run(capsys, ["agreement", path, "--findings", "Effusion", "--format",
                                  "csv"])
    assert code == 0 and "1 duplicated (unit, reader) pairs, 1 with conflicting" in err


# ============================================================ subprocess cases
def _env():
    return {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH",
                                                                               "")}


def test_console_entry_point_exit_2_one_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_text(_set_cell(_readers_all(), 7, "Effusion", "MAYBE")).encode())
    p = subprocess.run([sys.executable, "-m", "adjudicate.cli", "agreement", str(bad)],
                       capture_output=True, text=True, env=_env(), cwd=tmp_path, timeout=120,
                       check=False)
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.count("\n") == 1 and "row 7" in p.stderr and "Traceback" not in p.stderr


def test_ctrl_c_exit_130_and_no_partial_file(tmp_path):
    """SIGINT while the outputs are being written: one line, status 130, no file left."""
    script = (
        "import os, sys, time\n"
        "real = os.fsync\n"
        "def slow(fd):\n"
        "    print('writing', file=sys.stderr, flush=True)\n"
        "    time.sleep(60)\n"
        "os.fsync = slow\n"
        "from adjudicate.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n")
    p = subprocess.Popen([sys.executable, "-c", script, "reproduce", "four-findings", "--out",
                          "out.csv", "--decisions", "dec.csv"], cwd=tmp_path, env=_env(),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert p.stderr.readline() == "writing\n"  # inside write_outputs, a temp file open
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 130
    assert err == "adjudicate: interrupted\n" and out == ""
    assert list(tmp_path.iterdir()) == []


# ====================================================================== Python API
API_CASES = {
    "ragged rows": (lambda: Ratings.from_array([[1, 0], [1]]), ValueError, "data is ragged"),
    "ragged rows, coefficient": (lambda: adjudicate.fleiss_kappa([[1, 0, 1], [1, 1]]),
                                 ValueError, "ragged"),
    "nested cell": (lambda: Ratings.from_array([[1, [0]], [1, 1]]), ValueError, "nested"),
    "infinite value": (lambda: Ratings.from_array([[1.0, math.inf], [0.0, 1.0]]), ValueError,
                       "infinite"),
    "infinite value, coefficient": (lambda: adjudicate.fleiss_kappa([[1, np.inf], [0, 1]]),
                                    ValueError, "infinite"),
    "empty string": (lambda: Ratings.from_array([["YES", ""], ["NO", "NO"]]), ValueError,
                     "empty string"),
    "'nan' string": (lambda: Ratings.from_array([["YES", "nan"], ["NO", "NO"]]), ValueError,
                     "'nan'"),
    "'NA' string, coefficient": (lambda: adjudicate.cohen_kappa([["YES", "NA"], ["NO", "NO"]]),
                                 ValueError, "'NA'"),
    "value outside categories": (lambda: Ratings.from_array([[1, 3]], categories=[0, 1]),
                                 ValueError, "categories"),
    "more than 127 categories": (lambda: Ratings.from_array(np.arange(256).reshape(128, 2)),
                                 ValueError, "categories: too many (256)"),
    "select repeated readers": (lambda: Ratings.from_array([[1, 0, 1]]).select(readers=[0, 0]),
                                ValueError, "readers: '0' given more than once"),
    "select repeated findings": (
        lambda: adjudicate.load_dataset("four_findings").ratings.select(
            findings=["Fracture", "Fracture"]), ValueError, "findings: 'Fracture'"),
    "string seed": (lambda: adjudicate.fleiss_kappa([[1, 1], [0, 1], [0, 0]] * 5,
                                                    ci="bootstrap", n_resamples=100,
                                                    seed="abc"), TypeError, "seed must be"),
    "negative seed": (lambda: adjudicate.bootstrap_sums(np.ones((5, 1)), lambda s: s,
                                                        n_resamples=100, seed=-1),
                      ValueError, "seed must be a non-negative integer"),
    "bool seed": (lambda: adjudicate.bootstrap_sums(np.ones((5, 1)), lambda s: s,
                                                    n_resamples=100, seed=True),
                  TypeError, "seed"),
    "tie seed": (lambda: adjudicate.majority_vote(
        adjudicate.load_dataset("four_findings").ratings, ties="random", seed="x"),
        TypeError, "seed"),
    "missing cluster id": (lambda: adjudicate.fleiss_kappa(
        [[1, 1], [0, 1], [0, 0], [1, 1]], ci="bootstrap", n_resamples=100, seed=1,
        clusters=["a", None, "b", "b"]), ValueError, "clusters must not be missing"),
    "cluster ids of the wrong length": (lambda: adjudicate.fleiss_kappa(
        [[1, 1], [0, 1], [0, 0]], ci="bootstrap", n_resamples=100, seed=1, clusters=["a"]),
        ValueError, "clusters must hold one id per unit"),
    "too few resamples": (lambda: adjudicate.bootstrap_sums(np.ones((5, 1)), lambda s: s,
                                                            n_resamples=2, seed=1),
                          ValueError, "n_resamples=2 is too few"),
    "too few resamples for another level": (
        lambda: adjudicate.bootstrap_sums(np.arange(10.0)[:, None], lambda s: s,
                                          n_resamples=100, seed=1).confidence_interval(0.99),
        ValueError, "at least 200"),
    "weights beyond memory": (lambda: adjudicate.bootstrap_weights(10, n_resamples=10 ** 15),
                              ValueError, "n_resamples=1000000000000000 needs about"),
    "resamples beyond memory": (lambda: adjudicate.check_n_resamples(10 ** 15, n_values=10),
                                ValueError, "n_resamples=1000000000000000 needs about"),
}


@pytest.mark.parametrize("name", list(API_CASES))
def test_python_api_names_the_argument(name):
    call, kind, fragment = API_CASES[name]
    with pytest.raises(kind) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        call()
    assert fragment in str(info.value)
    assert info.type is kind or issubclass(info.type, kind)


def test_missing_is_none_or_nan_only():
    r = Ratings.from_array([["YES", None], ["NO", float("nan")]])
    assert r.codes[:, :, 0].tolist() == [[1, -1], [0, -1]]
    # text that spells a missing value is a category only when declared as one
    r = Ratings.from_array([["", "x"]], categories=["", "x"])
    assert r.codes.ravel().tolist() == [0, 1]


def test_cohen_kappa_without_a_common_unit_is_nan_with_a_warning():
    # raters 0 and 1 never read the same unit (rater 2 reads both): kappa is 0/0, not 0
    data = [[1, None, 1], [None, 0, 0], [0, None, 0], [None, 1, 1]]
    with pytest.warns(adjudicate.UndefinedAgreementWarning, match="undefined"):
        res = adjudicate.cohen_kappa(data, raters=(0, 1), ci="analytic")
    assert math.isnan(res.statistic) and math.isnan(res.standard_error)
    assert res.n_units == 0
    assert all(math.isnan(x) for x in res.confidence_interval())


def test_min_resamples_rule():
    # each tail of a two-sided level-L interval holds (1 - L)/2 of the replicates: at least
    # one replicate needs B >= 2/(1 - L): 40 at 95%, 20 at 90%, 200 at 99%
    assert [adjudicate.min_resamples(x) for x in (0.9, 0.95, 0.99)] == [20, 40, 200]
    with pytest.raises(ValueError, match="at least 40"):
        adjudicate.check_n_resamples(39)
    # below 10/(1 - L) (fewer than 5 replicates beyond each endpoint): allowed, with a warning
    with pytest.warns(RuntimeWarning, match="200 or more are advised"):
        assert adjudicate.check_n_resamples(40) == 40
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert adjudicate.check_n_resamples(200) == 200
        assert adjudicate.check_n_resamples(1000, 0.99) == 1000


# ========================================================================== fuzz
hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies

_SEED_LINES = _lines(READERS_FOUR, 31)  # header + 30 real rows
_FINDINGS = ["Fracture", "Pneumothorax", "Airspace opacity", "Nodule/mass"]
_ODD = ["", " ", "YES", "NO", "HEDGE", "yes", " NO", "NO ", "nan", "NA", "\x00", "é", "\ufeff",
        '"', '""', ",", ";", "\t", "\r", "\n", "x" * 300, "-1", "1e309", "00000013_008.png",
        "4295367682", "test", "val", "TEST"]


@st.composite
def mutated_file(draw, seed_lines=tuple(_SEED_LINES)):
    lines = list(seed_lines)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["cell", "drop row", "dup row", "swap", "byte", "truncate",
                                     "drop cell", "add cell", "header cell"]))
        i = draw(st.integers(1, len(lines) - 1)) if len(lines) > 1 else 0
        if kind == "cell" and len(lines) > 1:
            cells = _cells(lines[i]) if lines[i] else [""]
            j = draw(st.integers(0, len(cells) - 1))
            cells[j] = draw(st.sampled_from(_ODD) | st.text(max_size=8))
            lines[i] = _join(cells)
        elif kind == "drop row" and len(lines) > 2:
            del lines[i]
        elif kind == "dup row":
            lines.insert(i, lines[i])
        elif kind == "swap" and len(lines) > 2:
            k = draw(st.integers(1, len(lines) - 1))
            lines[i], lines[k] = lines[k], lines[i]
        elif kind == "byte":
            pos = draw(st.integers(0, max(len(lines[i]), 0)))
            ch = draw(st.sampled_from(_ODD[8:18]))
            lines[i] = lines[i][:pos] + ch + lines[i][pos:]
        elif kind == "truncate":
            lines[i] = lines[i][:draw(st.integers(0, len(lines[i])))]
        elif kind == "drop cell":
            lines[i] = lines[i].rsplit(",", 1)[0]
        elif kind == "add cell":
            lines[i] = lines[i] + ",NO"
        elif kind == "header cell":
            cells = _cells(lines[0])
            j = draw(st.integers(0, len(cells) - 1))
            cells[j] = draw(st.sampled_from([cells[j].lower(), cells[j] + " ", "",
                                             cells[j].upper(), "Extra"]))
            lines[0] = _join(cells)
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return (eol.join(lines) + eol).encode("utf-8", "surrogatepass")


def _csv_rows(text: str) -> tuple[dict, list]:
    """The file read independently with the csv module: column positions and data rows."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    rows = [row for row in csv.reader(io.StringIO(text)) if row]
    return {h: k for k, h in enumerate(rows[0])}, rows[1:]


def _check_parse(text: str, r: Ratings) -> None:
    """A parse that succeeded is correct: every read of a (unit, reader) pair that occurs
    once equals its cell, read independently with the csv module."""
    col, rows = _csv_rows(text)
    pairs: dict = {}
    for row in rows:
        pairs.setdefault((row[col["Image ID"]], row[col["Reader ID"]]), []).append(row)
    assert r.n_units == len({u for u, _ in pairs})
    assert r.report.n_rows == len(rows)
    for (u, rd), group in pairs.items():
        if len(group) != 1:
            continue
        i, k = r.units.get_loc(u), r.readers.get_loc(rd)
        for j, f in enumerate(_FINDINGS):
            assert r.categories[r.codes[i, k, j]] == group[0][col[f]]


def _parse_or_refuse(parse, content: bytes, folder: Path):
    """``parse`` the bytes as a file: its result, or None after a clean one-line InputError
    naming the file. Any other exception fails the test."""
    path = folder / "input.csv"
    path.write_bytes(content)
    try:
        return parse(path)
    except InputError as e:
        assert str(e).count("\n") == 0 and str(path) in str(e)
        return None


@hypothesis.settings(max_examples=150, deadline=None, database=None,
                     suppress_health_check=list(hypothesis.HealthCheck))
@hypothesis.given(content=mutated_file())
def test_fuzz_readers_parser_clean_error_or_correct_parse(tmp_path_factory, content):
    r = _parse_or_refuse(adjudicate.read_readers, content, tmp_path_factory.mktemp("fuzz"))
    if r is not None:
        _check_parse(content.decode("utf-8"), r)


@hypothesis.settings(max_examples=60, deadline=None, database=None,
                     suppress_health_check=list(hypothesis.HealthCheck))
@hypothesis.given(data=st.data())
def test_fuzz_cli_never_shows_a_traceback(tmp_path_factory, data):
    content = data.draw(mutated_file())
    path = tmp_path_factory.mktemp("fuzzcli") / "readers.csv"
    path.write_bytes(content)
    stdout, stderr = io.StringIO(), io.StringIO()
    old = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = stdout, stderr
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            code = main(["agreement", str(path), "--statistics", "fleiss_kappa",
                         "--format", "csv"])
    finally:
        sys.stdout, sys.stderr = old
    err = stderr.getvalue()
    assert "Traceback" not in err and "internal error" not in err, err
    if code != 0:
        assert code == 2 and err.count("\n") == 1 and stdout.getvalue() == ""


_LABEL_LINES = tuple(_lines(LABELS_FOUR, 31))


@hypothesis.settings(max_examples=100, deadline=None, database=None,
                     suppress_health_check=list(hypothesis.HealthCheck))
@hypothesis.given(content=mutated_file(_LABEL_LINES))
def test_fuzz_labels_parser_clean_error_or_correct_parse(tmp_path_factory, content):
    lab = _parse_or_refuse(adjudicate.read_labels, content, tmp_path_factory.mktemp("fuzz"))
    if lab is None:
        return
    col, rows = _csv_rows(content.decode("utf-8"))
    assert list(lab.labels.index) == [row[col["Image Index"]] for row in rows]
    for finding in ("Fracture", "Pneumothorax", "Airspace opacity"):
        got = lab.labels[finding].fillna("").tolist()
        assert got == [row[col[finding]] for row in rows]
