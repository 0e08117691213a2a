"""Parsers: golden tests on the bundled NIH files, and error tests on hand-made bad files.

Expected numbers come from the datasets' README files (documented counts) and from
independent pandas reads of the raw CSVs written out in each test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import adjudicate as adj
from adjudicate import InputError
from adjudicate.datasets import dataset_path, load_dataset
from adjudicate.io import read_labels, read_readers, read_table, schema_names

ALL_READERS = dataset_path("all_findings", "readers")
FOUR_READERS = dataset_path("four_findings", "readers")


def raw(path) -> pd.DataFrame:
    """Independent read of a raw file: every cell as text, nothing interpreted."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


# ----------------------------------------------------------------- golden files
def test_all_findings_readers_golden():
    r = read_readers(ALL_READERS)
    # README: 4,050 rows, 810 unique image IDs, five readers, five rows per image
    assert r.shape == (810, 5, 16)
    assert r.observed.all()
    assert r.report.n_rows == 4050 and r.report.n_rows_used == 4050
    assert r.report.unused_rows == {}
    assert list(r.findings[:2]) == ["Abnormal", "Atelectasis"] and r.findings[-1] == "Other"
    assert r.categories == ("NO", "YES")
    # patients: 532 (issue text: 810 images from 532 patients)
    assert len(set(r.clusters)) == 532
    # units keep file order
    df = raw(ALL_READERS)
    assert list(r.units) == list(dict.fromkeys(df["Image ID"]))
    # every cell: the 0/1 Abnormal column read as NO/YES, the rest as written
    labels = r.labels()
    flat = df.set_index(["Image ID", "Reader ID"])[list(r.findings)]
    flat["Abnormal"] = flat["Abnormal"].map({"0": "NO", "1": "YES"})
    got = labels.loc[flat.index]
    assert (got.to_numpy() == flat.to_numpy()).all()
    # category counts per finding against the raw file, e.g. Abnormal: 2731 ones
    counts = r.counts().sum(axis=0)
    assert counts[0].tolist() == [1319, 2731]
    assert counts[list(r.findings).index("Hernia")].tolist() == [4020, 30]
    assert any("Abnormal" in n and "1/0" in n for n in r.notes)


def test_four_findings_readers_golden():
    r = read_readers(FOUR_READERS)
    df = raw(FOUR_READERS)
    assert len(df) == 13081
    assert r.shape == (4376, 22, 4)
    # HEDGE only where the design allows it (README: nodule/mass and pneumothorax)
    assert r.categories == ("NO", "HEDGE", "YES")
    assert r.categories_of("Fracture") == ("NO", "YES")
    assert r.categories_of("Airspace opacity") == ("NO", "YES")
    assert r.categories_of("Nodule/mass") == ("NO", "HEDGE", "YES")
    # readers identified across units: 22 distinct ids, 11 in test, 13 in val, 2 in both
    test_readers = set(df.loc[df["Set ID"] == "test", "Reader ID"])
    val_readers = set(df.loc[df["Set ID"] == "val", "Reader ID"])
    assert (len(test_readers), len(val_readers), len(test_readers & val_readers)) == (11, 13, 2)
    read_any = r.observed.any(axis=2)
    is_test = (r.meta["set"] == "test").to_numpy()
    readers_in_test = set(r.readers[read_any[is_test].any(axis=0)])
    assert readers_in_test == test_readers
    # reads per unit: pandas says 2 units with 1 row, 47 with 2 (short of the 3-read design)
    rows = df.groupby("Image ID").size()
    assert rows.value_counts().sort_index().to_dict() == {1: 2, 2: 47, 3: 4324, 4: 2, 5: 1}
    n_readers = read_any.sum(axis=1)
    assert np.bincount(n_readers).tolist() == [0, 2, 47, 4327]
    assert r.meta["set"].value_counts().to_dict() == {"val": 2414, "test": 1962}


def test_four_findings_duplicates_policies():
    df = raw(FOUR_READERS)
    dup = df[df.duplicated(["Image ID", "Reader ID"], keep=False)]
    # pandas: 4 (image, reader) pairs with 2 rows each, all differing in Airspace opacity only
    assert len(dup) == 8
    pairs = dup.groupby(["Image ID", "Reader ID"])
    assert pairs["Airspace opacity"].nunique().eq(2).all()
    assert pairs[["Fracture", "Pneumothorax", "Nodule/mass"]].nunique().eq(1).all().all()

    j = 2  # Airspace opacity
    u, rd = "00030636_018.png", "4325222456"   # rows: YES then NO
    missing = read_readers(FOUR_READERS)
    rep = missing.report
    assert len(rep.duplicates) == 4 and rep.duplicates["conflicting"].all()
    assert set(rep.duplicates["conflicting_findings"]) == {"Airspace opacity"}
    assert rep.conflicting_cells == 4
    assert rep.n_rows_used == 13081 - 4
    ui, ri = missing.units.get_loc(u), missing.readers.get_loc(rd)
    assert missing.codes[ui, ri, j] == adj.MISSING       # conflict -> missing
    assert missing.codes[ui, ri, 0] == 0                 # agreed NO kept
    first = read_readers(FOUR_READERS, duplicates="first")
    last = read_readers(FOUR_READERS, duplicates="last")
    assert first.categories[first.codes[ui, ri, j]] == "YES"
    assert last.categories[last.codes[ui, ri, j]] == "NO"
    assert first.report.unused_rows == {
        "duplicate (unit, reader) rows dropped (kept the first) by policy first": 4}
    with pytest.raises(InputError, match=r"row 13028.*4295376896.*4 such pairs, 4 conflicting"):
        read_readers(FOUR_READERS, duplicates="error")


def test_published_labels_golden():
    lab = read_labels(dataset_path("all_findings", "labels"))
    df = raw(dataset_path("all_findings", "labels"))
    assert lab.labels.shape == (810, 16)
    assert (lab.labels.to_numpy() == df.iloc[:, 2:].to_numpy()).all()
    assert lab.nlp is None

    test = read_labels(dataset_path("four_findings", "test_labels"))
    val = read_labels(dataset_path("four_findings", "validation_labels"))
    assert len(test.labels) == 1962 and len(val.labels) == 2414
    # the NIH header 'OriginalImage[Width,Height]' holds a comma: pandas sees two columns
    raw_test = raw(dataset_path("four_findings", "test_labels"))
    assert "OriginalImage[Width" in raw_test.columns and "Height]" in raw_test.columns
    assert test.meta["width"].iloc[0] == 3056 and test.meta["height"].iloc[0] == 2544
    assert test.meta["pixel_spacing_x"].iloc[0] == pytest.approx(0.139)
    assert any("OriginalImage[Width" in q for q in test.quirks)
    # 'Nodule or mass' in the labels file is read as 'Nodule/mass' (the readers' spelling)
    assert list(test.labels.columns) == ["Fracture", "Pneumothorax", "Airspace opacity",
                                         "Nodule/mass"]
    assert (test.labels["Nodule/mass"].to_numpy() == raw_test["Nodule or mass"].to_numpy()).all()
    assert test.nlp.iloc[1] == "Cardiomegaly|Emphysema"
    assert test.meta["set"].unique().tolist() == ["test"]
    assert val.meta["set"].unique().tolist() == ["val"]


def test_load_dataset_aligns_files():
    ds = load_dataset("four_findings")
    assert list(ds.labels.index) == list(ds.ratings.units)
    assert ds.labels.notna().all().all()
    assert ds.metadata["Finding Labels"].notna().all()
    # patient ids in the metadata agree with the readers file for every image
    assert (ds.metadata["Patient ID"].to_numpy() == ds.ratings.clusters).all()
    af = adj.load_dataset("all-findings")
    # all-findings images are the PA subset of the four-findings test split (README)
    assert (af.metadata["view"] == "PA").all() and (af.metadata["set"] == "test").all()
    assert "Nabulsi" in af.citation and "Majkowska" in ds.citation


def test_bundled_license_and_readme_ship_with_the_data():
    for name in ("all_findings", "four_findings"):
        lic = dataset_path(name, "LICENSE").read_text()
        assert "citation" in lic
        assert dataset_path(name, "README").exists()


def test_bundled_files_identical_to_shared_data():
    from pathlib import Path
    shared = Path(__file__).resolve().parents[2] / "shared" / "data" / "nih_expert_labels"
    if not shared.exists():
        pytest.skip("shared data folder not present beside this checkout")
    for p in shared.rglob("*"):
        if p.is_file():
            rel = p.relative_to(shared)
            ours = Path(str(dataset_path("all_findings"))).parents[1] / rel
            assert ours.read_bytes() == p.read_bytes(), rel


def test_schemas_are_valid_table_schemas():
    for name in schema_names():
        s = adj.io.load_schema(name)
        names = [f["name"] for f in s.fields]
        assert len(set(names)) == len(names)
        assert set(s.primary_key) <= set(names)
        assert all(f["type"] in ("string", "integer", "number") for f in s.fields)
        assert s.kind in ("readers", "labels")


# ------------------------------------------------------------------ bad input
HEADER = "Patient ID,Image ID,Reader ID,Fracture,Pneumothorax,Airspace opacity,Nodule/mass,Set ID"
GOOD = ["13,00000013_008.png,4295367682,NO,YES,YES,NO,test",
        "13,00000013_008.png,4295232296,NO,NO,YES,NO,test"]


def write(tmp_path, text: str | bytes, name="bad.csv"):
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    return p


def test_small_good_file(tmp_path):
    r = read_readers(write(tmp_path, "\n".join([HEADER, *GOOD]) + "\n"))
    assert r.shape == (1, 2, 4)


@pytest.mark.parametrize("text, match", [
    ("", r"bad\.csv: the file is empty"),
    ("\n\n", r"bad\.csv: the file is empty"),
    (HEADER + "\n", r"bad\.csv, row 2: the file has a header but no data rows"),
    (HEADER.replace(",", ";") + "\n" + GOOD[0].replace(",", ";"),
     r"bad\.csv, row 1: wrong delimiter: the header is separated by semicolons"),
    (HEADER.replace(",", "\t") + "\n", r"row 1: wrong delimiter: .* tabs"),
    (HEADER.replace(",Fracture", "") + "\n" + GOOD[0].replace(",NO,YES,YES", ",YES,YES"),
     r"row 1, column 'Fracture': missing column 'Fracture'"),
    ("\n".join([HEADER, GOOD[0], GOOD[1].replace("YES,NO,test", "MAYBE,NO,test")]),
     r"bad\.csv, row 3, column 'Airspace opacity': unknown value 'MAYBE' \(allowed: YES, NO\)"),
    ("\n".join([HEADER, GOOD[0].replace("NO,YES,YES", "HEDGE,YES,YES")]),
     (r"row 2, column 'Fracture': unknown value 'HEDGE' .*not allowed for this column by the "
      r"study design")),
    ("\n".join([HEADER, GOOD[0], GOOD[1] + ",extra"]),
     r"row 3: a row has more fields than the header"),
    ("\n".join([HEADER, GOOD[0], GOOD[1].rsplit(",", 2)[0]]),
     r"row 3, column 'Nodule/mass': the row has fewer fields than the header"),
    ("\n".join([HEADER, GOOD[0], GOOD[1].replace(",test", ",")]),
     r"row 3, column 'Set ID': empty cell"),
    ("\n".join([HEADER, GOOD[0], GOOD[1].replace("13,", "14,", 1)]),
     (r"row 3, column 'Patient ID': unit 00000013_008.png has Patient ID '14' here but '13' on "
      r"line 2")),
    ("\n".join([HEADER, GOOD[0].replace("00000013_008.png", "img 8")]),
     r"row 2, column 'Image ID': value 'img 8' does not look like a valid Image ID"),
    ("a,b\n1,2\n", r"row 1: not a known readers file"),
])
def test_bad_readers_files(tmp_path, text, match):
    with pytest.raises(InputError, match=match):
        read_readers(write(tmp_path, text))


def test_non_utf8_names_row_and_column(tmp_path):
    text = ("\n".join([HEADER, GOOD[0], GOOD[1]]) + "\n").encode()
    # put a Latin-1 byte (0xe9, 'é') into the Set ID cell of line 3
    text = text.replace(b"NO,test\n13,", b"NO,test\n13,", 1)
    lines = text.split(b"\n")
    lines[2] = lines[2].replace(b",test", b",t\xe9st")
    with pytest.raises(InputError, match=r"row 3, column 'Set ID': not UTF-8 text: byte 0xe9"):
        read_readers(write(tmp_path, b"\n".join(lines)))


def test_utf8_bom_and_crlf_are_fine(tmp_path):
    text = "\ufeff" + "\r\n".join([HEADER, *GOOD]) + "\r\n"
    assert read_readers(write(tmp_path, text)).shape == (1, 2, 4)


def test_reader_file_where_labels_expected():
    with pytest.raises(InputError, match=r"this is a readers file .*expected a labels file"):
        read_labels(ALL_READERS)
    with pytest.raises(InputError, match=r"this is a labels file .*expected a readers file"):
        read_readers(dataset_path("four_findings", "test_labels"))


def test_labels_file_with_a_repeated_unit(tmp_path):
    src = dataset_path("all_findings", "labels").read_text().splitlines()
    p = write(tmp_path, "\n".join(src[:3] + [src[2]]) + "\n")
    with pytest.raises(InputError, match=r"row 4, column 'Image ID': unit 00009437_005.png "
                                         r"appears on 2 rows \(lines 3, 4\)"):
        read_labels(p)


def test_unknown_columns_are_reported_not_dropped(tmp_path):
    lines = [HEADER + ",Comment"] + [g + ",hello" for g in GOOD]
    r = read_readers(write(tmp_path, "\n".join(lines)))
    assert r.report.extra_columns == ("Comment",)
    assert any("Comment" in line for line in r.report.lines())


def test_read_table_forced_format_reports_missing_column(tmp_path):
    p = write(tmp_path, "\n".join([HEADER, *GOOD]))
    with pytest.raises(InputError, match=r"column 'Abnormal': missing column 'Abnormal' "
                                         r"\(required by format nih_all_findings_readers\)"):
        read_table(p, schema="nih_all_findings_readers")
