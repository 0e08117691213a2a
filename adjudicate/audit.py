"""Data-quality audit of a reader study: every quirk surfaced, nothing fixed.

An NIH individual-readers file is audited against its format and documentation; any other
study, read into :class:`~adjudicate.Ratings` (e.g. by :func:`adjudicate.read_ratings`), is
audited from the Ratings and the parser's report.

Counts units, readers, patients and reads; the reads-per-unit histogram against the design;
readers per set; category counts per finding as written in the file; duplicated
(unit, reader) rows and whether they conflict; columns whose encoding differs from the
others; and every count that differs from what the dataset's documentation states.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .io.readers import ratings_from_table
from .io.schemas import read_table
from .ratings import Ratings

__all__ = ["AuditReport", "audit"]


@dataclass(frozen=True)
class AuditReport:
    """The audit of one file; ``to_dict()`` for machines, ``to_text()`` for people."""

    file: str
    format: str
    title: str
    summary: dict
    reads_per_unit: dict
    rows_per_unit: dict
    design_reads_per_unit: int | None
    off_design_units: pd.DataFrame
    readers_per_set: dict
    category_counts: pd.DataFrame
    duplicates: pd.DataFrame
    encodings: list
    documentation: pd.DataFrame
    parse_notes: list
    metadata: dict = field(default_factory=dict)
    """Per-unit column -> {value: number of units} (at most 12 values shown)."""

    def to_dict(self) -> dict:
        """Plain, JSON-ready data."""
        return {
            "file": self.file, "format": self.format, "title": self.title,
            "summary": self.summary,
            "reads_per_unit": {str(k): v for k, v in self.reads_per_unit.items()},
            "rows_per_unit": {str(k): v for k, v in self.rows_per_unit.items()},
            "design_reads_per_unit": self.design_reads_per_unit,
            "off_design_units": _records(self.off_design_units),
            "readers_per_set": self.readers_per_set,
            "category_counts": _records(self.category_counts),
            "duplicates": _records(self.duplicates),
            "encodings": self.encodings,
            "documentation": _records(self.documentation),
            "parse_notes": self.parse_notes,
            "metadata": self.metadata,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def to_text(self) -> str:
        """A terminal-readable report."""
        s = self.summary
        out = [f"Audit of {self.file}", f"  format: {self.format} ({self.title})", ""]
        clusters = (f"patients {s['patients']}" if s["patients"] is not None else
                    "no clusters (units independent)")
        out.append(f"rows {s['rows']}, units {s['units']}, readers {s['readers']}, {clusters}, "
                   f"reads {s['reads']}")
        if "categories" in s:
            out.append(f"findings {s['findings']}; categories {s['categories']} (positive "
                       f"{s['positive']!r}); missing reads {s['missing_reads']} (a reader "
                       "who read the unit gave no label for a finding)")
        hist = ", ".join(f"{k}: {v}" for k, v in self.reads_per_unit.items())
        out.append(f"distinct readers per unit (readers: units): {hist}"
                   + (f"   [design: {self.design_reads_per_unit}]"
                      if self.design_reads_per_unit else ""))
        if self.rows_per_unit != self.reads_per_unit:
            rows = ", ".join(f"{k}: {v}" for k, v in self.rows_per_unit.items())
            out.append(f"rows per unit (rows: units): {rows}")
        if len(self.off_design_units):
            out.append(f"units with fewer or more reads than the design: "
                       f"{len(self.off_design_units)}")
            out += ["  " + line for line in
                    self.off_design_units.head(12).to_string(index=False).splitlines()]
            if len(self.off_design_units) > 12:
                out.append(f"  ... and {len(self.off_design_units) - 12} more")
        if self.readers_per_set:
            out.append("readers per set: " + ", ".join(f"{k}: {v}" for k, v in
                                                        self.readers_per_set.items()))
        out += ["", "labels per finding and category (missing: a reader who read the unit gave "
                    "none):" if "categories" in s else
                "category counts per finding (values as written in the file):"]
        out += ["  " + line for line in self.category_counts.to_string(index=False).splitlines()]
        out.append("")
        if len(self.duplicates):
            n_conf = int(self.duplicates["conflicting"].sum())
            what = "(unit, reader, finding) reads" if "finding" in self.duplicates else \
                "(unit, reader) pairs"
            out.append(f"duplicated {what}: {len(self.duplicates)} "
                       f"({n_conf} conflicting)")
            out += ["  " + line for line in self.duplicates.to_string(index=False).splitlines()]
        else:
            out.append("duplicated (unit, reader) pairs: none")
        out.append("")
        if self.encodings:
            out.append("encodings that differ between columns:")
            out += [f"  {e['column']}: values {e['values']} where other finding columns use "
                    f"{e['majority']}" for e in self.encodings]
        else:
            out.append("encodings that differ between columns: none")
        out.append("")
        doc = self.documentation
        if len(doc):
            bad = doc[~doc["matches"]]
            out.append(f"counts against the documentation: {len(doc) - len(bad)} of {len(doc)} "
                       "match")
            out += [f"  DIFFERS  {r.item}: documented {r.documented}, found {r.found}"
                    for r in bad.itertuples()]
        for col, values in self.metadata.items():
            out.append(f"per-unit {col}: " + ", ".join(f"{k}: {v}" for k, v in values.items()))
        if self.parse_notes:
            out += ["", "parser notes:"] + ["  " + n.strip() for n in self.parse_notes]
        return "\n".join(out)


def _records(df: pd.DataFrame) -> list:
    return json.loads(df.to_json(orient="records"))


def audit(path, *, format: str | None = None) -> AuditReport:
    """Audit an individual-readers file, or any reader study read as Ratings.

    Parameters
    ----------
    path : str, Path or Ratings
        An NIH individual-readers CSV file, or :class:`~adjudicate.Ratings` (e.g. your own
        study, from :func:`adjudicate.read_ratings`): units, readers, reads per unit,
        categories per finding with missing reads, duplicates, per-unit metadata and what the
        parser did.
    format : str, optional
        Force a format; detected from the header by default.

    Returns
    -------
    AuditReport

    Examples
    --------
    >>> from adjudicate.datasets import dataset_path
    >>> rep = audit(dataset_path("four_findings", "readers"))
    >>> rep.reads_per_unit        # distinct readers per unit: number of units
    {1: 2, 2: 47, 3: 4327}
    >>> rep.rows_per_unit         # rows per unit (duplicated rows make 4 and 5)
    {1: 2, 2: 47, 3: 4324, 4: 2, 5: 1}
    >>> rep.documentation.query("not matches")[["item", "documented", "found"]].values.tolist()
    [['units', 4374, 4376], ['units read by 3 readers (documented: every unit)', 4376, 4327], ['units in set val', 2412, 2414]]
    >>> import pandas as pd
    >>> from adjudicate import read_ratings
    >>> own = read_ratings(pd.DataFrame({"case": ["a", "a", "b", "b", "b"],
    ...                                  "rater": [1, 2, 1, 1, 2],
    ...                                  "finding": ["Mass", "Mass", "Mass", "Nodule", "Mass"],
    ...                                  "label": ["YES", "NO", "NO", "YES", None]}))
    >>> rep = audit(own)    # b: rater 2 gave no label; both raters of a left Nodule empty
    >>> rep.reads_per_unit, rep.summary["missing_reads"]
    ({2: 1, 1: 1}, 2)
    >>> rep.category_counts.values.tolist()     # finding, NO, YES, missing
    [['Mass', 2, 1, 0], ['Nodule', 0, 1, 2]]
    """
    if isinstance(path, Ratings):
        return _audit_ratings(path)
    table = read_table(path, schema=format, kind=None if format else "readers")
    s = table.schema
    df = table.data
    unit_col, reader_col = s.field_named("unit"), s.field_named("reader")
    ratings = ratings_from_table(table, duplicates="first")  # any policy: counts of pairs
    report = ratings.report
    reads = ratings.observed.any(axis=2).sum(axis=1)  # distinct readers per unit
    hist = {int(k): int(v) for k, v in zip(*np.unique(reads, return_counts=True))}
    rows_per_unit = df.groupby(unit_col, sort=False).size().reindex(ratings.units)
    rows_hist = {int(k): int(v) for k, v in rows_per_unit.value_counts().sort_index().items()}
    design = s.design.get("reads_per_unit")
    off = pd.DataFrame(columns=["unit", "rows", "distinct_readers"])
    if design:
        mask = (rows_per_unit.to_numpy() != design) | (reads != design)
        off = pd.DataFrame({"unit": ratings.units[mask], "rows": rows_per_unit.to_numpy()[mask],
                            "distinct_readers": reads[mask]})
    set_col = next((f["name"] for f in s.fields_with("meta") if f.get("meta") == "set"), None)
    readers_per_set = ({str(k): int(v) for k, v in df.groupby(set_col)[reader_col].nunique()
                        .items()} if set_col else {})
    units_per_set = ({str(k): int(v) for k, v in df.groupby(set_col)[unit_col].nunique()
                      .items()} if set_col else {})
    findings = [f["name"] for f in s.fields_with("finding")]
    long = df[findings].melt(var_name="finding", value_name="value")
    counts = (long.groupby(["finding", "value"], sort=False).size().unstack(fill_value=0)
              .reindex(findings))
    counts = counts.reset_index()
    counts.columns.name = None
    encodings = _encodings(df, findings)
    summary = {"rows": len(df), "columns": len(table.data.columns), "units": ratings.n_units,
               "readers": ratings.n_readers,
               "patients": int(pd.Series(ratings.clusters).nunique())
               if ratings.clusters is not None else None,
               "reads": int(ratings.observed.any(axis=2).sum()),
               "units_per_set": units_per_set}
    documentation = _against_documentation(s.documented, summary, hist, units_per_set,
                                           readers_per_set, ratings)
    return AuditReport(
        file=table.path, format=s.name, title=s.title, summary=summary, reads_per_unit=hist,
        rows_per_unit=rows_hist,
        design_reads_per_unit=design, off_design_units=off.reset_index(drop=True),
        readers_per_set=readers_per_set, category_counts=counts,
        duplicates=report.duplicates.drop(columns=["action"]), encodings=encodings,
        documentation=documentation, parse_notes=list(report.quirks),
    )


def _audit_ratings(r: Ratings) -> AuditReport:
    """The audit of any Ratings: what the data hold, and what the parser reported."""
    rep = r.report
    read_pair = r.observed.any(axis=2)  # (units, readers): the reader read the unit
    reads = read_pair.sum(axis=1)
    hist = {int(k): int(v) for k, v in
            sorted(zip(*np.unique(reads, return_counts=True)), key=lambda kv: -kv[0])}
    counts = r.counts().sum(axis=0)  # (findings, categories)
    missing = (read_pair[:, :, None] & ~r.observed).sum(axis=(0, 1))
    table = pd.DataFrame(counts, columns=[str(c) for c in r.categories])
    table.insert(0, "finding", list(r.findings))
    table["missing"] = missing
    readers_per_set = {}
    units_per_set = {}
    if "set" in r.meta.columns:
        sets = r.meta["set"].astype(str).to_numpy()
        for k in sorted(set(sets)):
            readers_per_set[k] = int(read_pair[sets == k].any(axis=0).sum())
            units_per_set[k] = int((sets == k).sum())
    metadata = {}
    for col in r.meta.columns:
        vc = r.meta[col].astype(object).where(r.meta[col].notna(), "(empty)").value_counts()
        metadata[str(col)] = ({str(k): int(v) for k, v in vc.items()} if len(vc) <= 12 else
                              {"distinct values": len(vc), "units": int(vc.sum())})
    summary = {
        "rows": getattr(rep, "n_rows", None), "columns": None, "units": r.n_units,
        "readers": r.n_readers, "findings": r.n_findings,
        "patients": int(pd.Series(r.clusters).nunique()) if r.clusters is not None else None,
        "reads": int(read_pair.sum()), "categories": [str(c) for c in r.categories],
        "positive": None if r.positive is None else str(r.positive),
        "missing_reads": int(missing.sum()), "units_per_set": units_per_set,
    }
    dups = getattr(rep, "duplicates", None)
    dups = (pd.DataFrame(columns=["unit", "reader", "n_rows", "lines", "conflicting"])
            if dups is None else dups.drop(columns=["action"], errors="ignore"))
    return AuditReport(
        file=getattr(rep, "file", None) or r.source or "ratings",
        format=getattr(rep, "format", "ratings"), title="reader study", summary=summary,
        reads_per_unit=hist, rows_per_unit=hist, design_reads_per_unit=None,
        off_design_units=pd.DataFrame(columns=["unit", "rows", "distinct_readers"]),
        readers_per_set=readers_per_set, category_counts=table, duplicates=dups, encodings=[],
        documentation=pd.DataFrame(columns=["item", "documented", "found", "matches"]),
        parse_notes=[n.strip() for n in r.notes], metadata=metadata)


def _encodings(df: pd.DataFrame, findings: list) -> list:
    """Finding columns whose set of values differs from the most common set."""
    vocab = {c: tuple(sorted(df[c].unique())) for c in findings}
    # compare vocabularies as "families": a column is odd if it shares no value with the
    # vocabulary most columns use (e.g. 0/1 among YES/NO; YES/NO/HEDGE is the same family)
    values = pd.Series([v for vs in vocab.values() for v in set(vs)]).value_counts()
    common = set(values[values >= len(findings) / 2].index)
    odd = []
    for c, vs in vocab.items():
        if not set(vs) & common:
            odd.append({"column": c, "values": list(vs), "majority": sorted(common)})
    return odd


def _against_documentation(doc: dict, summary: dict, hist: dict, units_per_set: dict,
                           readers_per_set: dict, ratings) -> pd.DataFrame:
    rows = []

    def check(item, documented, found):
        rows.append({"item": item, "documented": documented, "found": found,
                     "matches": bool(documented == found)})

    for key in ("rows", "columns", "units", "readers"):
        if key in doc:
            check(key, doc[key], summary[key])
    if "reads_per_unit" in doc:
        n_all = hist.get(doc["reads_per_unit"], 0)
        check(f"units read by {doc['reads_per_unit']} readers (documented: every unit)",
              summary["units"], n_all)
    for k, v in doc.get("units_by_set", {}).items():
        check(f"units in set {k}", v, units_per_set.get(k, 0))
    for k, v in doc.get("readers_by_set", {}).items():
        check(f"readers in set {k}", v, readers_per_set.get(k, 0))
    if "ground_truth_readers" in doc:
        known = set(map(str, ratings.readers))
        found = [r for r in doc["ground_truth_readers"] if r in known]
        check("ground-truth readers present", len(doc["ground_truth_readers"]), len(found))
    return pd.DataFrame(rows, columns=["item", "documented", "found", "matches"])
