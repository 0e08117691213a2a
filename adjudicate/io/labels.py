"""Published reference-standard files and the NIH metadata that comes with them.

``read_labels`` parses a labels file (all-findings ``test_labels.csv``, four-findings
``test_labels.csv``/``validation_labels.csv``) into :class:`PublishedLabels`;
``write_labels`` writes a label table in a published format, byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import InputError
from ..ratings import Ratings
from .schemas import Schema, load_schema, read_table

__all__ = ["PublishedLabels", "format_labels", "read_labels", "write_labels"]


@dataclass(frozen=True)
class PublishedLabels:
    """A reference-standard file: one label per unit and finding, plus per-unit metadata.

    Attributes
    ----------
    labels : DataFrame
        Units x findings, category strings (``"YES"``/``"NO"``), ``<NA>`` where the file
        leaves a label empty (the image was not in the adjudicated set).
    clusters : Series
        Patient id of each unit.
    meta : DataFrame
        Per-unit metadata the file carries (for NIH metadata files: set, view, age, sex,
        width, height, pixel spacing, follow-up number).
    nlp : Series or None
        The NIH ``Finding Labels`` (mined from reports by NLP), raw pipe-separated strings.
    format, file : str
    quirks : tuple of str
    extra_columns : tuple of str
    """

    labels: pd.DataFrame
    clusters: pd.Series
    meta: pd.DataFrame
    nlp: pd.Series | None
    format: str
    file: str
    categories: tuple = ("NO", "YES")
    positive: str | None = "YES"
    quirks: tuple = ()
    extra_columns: tuple = field(default=())

    def to_ratings(self, reader: str = "published") -> Ratings:
        """The labels as a one-reader :class:`~adjudicate.Ratings` (missing where empty).

        Examples
        --------
        >>> from adjudicate.datasets import dataset_path
        >>> read_labels(dataset_path("all_findings", "labels")).to_ratings().shape
        (810, 1, 16)
        """
        return Ratings.from_labels(self.labels, reader=reader, categories=self.categories,
                                   clusters=self.clusters, positive=self.positive)


def read_labels(path, *, format: str | None = None) -> PublishedLabels:
    """Parse a published labels file.

    Parameters
    ----------
    path : str or Path
    format : str, optional
        Force a format; detected from the header by default. Passing an individual-readers
        file is an error that says so.

    Returns
    -------
    PublishedLabels

    Examples
    --------
    >>> from adjudicate.datasets import dataset_path
    >>> lab = read_labels(dataset_path("four_findings", "test_labels"))
    >>> lab.labels.columns.tolist()
    ['Fracture', 'Pneumothorax', 'Airspace opacity', 'Nodule/mass']
    >>> lab.labels["Pneumothorax"].value_counts().to_dict()
    {'NO': 1767, 'YES': 195}
    >>> lab.nlp.iloc[1]
    'Cardiomegaly|Emphysema'
    """
    table = read_table(path, schema=format, kind=None if format else "labels")
    s = table.schema
    if s.kind != "labels":
        raise InputError(f"format {s.name} is a {s.kind} format, not a labels format",
                         file=table.path)
    df = table.data
    unit_col = s.field_named("unit")
    dup = df[unit_col].duplicated(keep=False).to_numpy()
    if dup.any():
        i = np.flatnonzero(dup)
        raise InputError(f"unit {df[unit_col].iloc[i[0]]} appears on {len(i)} rows (lines "
                         f"{', '.join(map(str, table.rows[i][:5]))}); a labels file has one "
                         "row per unit", file=table.path, row=int(table.rows[i[1]]),
                         column=unit_col)
    index = pd.Index(df[unit_col].to_numpy(), name=unit_col)
    findings = s.findings
    labels = df[findings].set_axis(index).replace("", pd.NA)
    meta_fields = s.fields_with("meta")
    meta = pd.DataFrame({f.get("meta", f["name"]): _typed(df[f["name"]], f) for f in meta_fields})
    meta.index = index
    nlp_col = [f["name"] for f in s.fields_with("nlp")]
    nlp = df[nlp_col[0]].set_axis(index).rename("Finding Labels") if nlp_col else None
    return PublishedLabels(
        labels=labels, clusters=df[s.field_named("cluster")].set_axis(index), meta=meta,
        nlp=nlp, format=s.name, file=table.path, categories=s.categories, positive=s.positive,
        quirks=tuple(table.quirks), extra_columns=tuple(table.extra_columns),
    )


def _typed(col: pd.Series, f: dict) -> pd.Series:
    if f.get("type") == "integer":
        return col.astype("int64").reset_index(drop=True)
    if f.get("type") == "number":
        return col.astype("float64").reset_index(drop=True)
    return col.reset_index(drop=True)


def format_labels(labels: pd.DataFrame, clusters, *, format: str = "nih_all_findings_labels"
                  ) -> pd.DataFrame:
    """Lay out a units x findings label table in a published file's columns and spelling.

    Parameters
    ----------
    labels : DataFrame
        Index = unit ids, one column per finding, values category strings.
    clusters : array-like
        Patient id of each unit.
    format : str
        A labels format; its unit, cluster and finding columns, in its order and spelling.

    Examples
    --------
    >>> from adjudicate.io import load_schema
    >>> findings = load_schema("nih_all_findings_labels").findings
    >>> lab = pd.DataFrame("NO", index=["00000001_000.png"], columns=findings[::-1])
    >>> format_labels(lab, ["1"]).columns[:4].tolist()
    ['Image ID', 'Patient ID', 'Abnormal', 'Atelectasis']
    """
    s: Schema = load_schema(format)
    out = {}
    for f in s.fields:
        role, name = f.get("role"), s.header_of(f)
        if role == "unit":
            out[name] = np.array(labels.index, dtype=object)  # copies: the result is editable
        elif role == "cluster":
            out[name] = np.array(clusters, dtype=object)
        elif role == "finding":
            if f["name"] not in labels.columns:
                raise KeyError(f"format {format} needs a label for {f['name']!r}")
            out[name] = np.array(labels[f["name"]], dtype=object)
        else:
            raise ValueError(f"format {format} has a {role} column ({name}) that labels alone "
                             "cannot fill")
    return pd.DataFrame(out)


def write_labels(table: pd.DataFrame, path=None, *, format: str = "nih_all_findings_labels"):
    """Write a table from :func:`format_labels` as the published file would be written.

    Uses the format's line terminator; returns the text when ``path`` is None.

    Examples
    --------
    >>> t = pd.DataFrame({"Image ID": ["a.png"], "Abnormal": ["NO"]})
    >>> write_labels(t)
    'Image ID,Abnormal\\na.png,NO\\n'
    """
    eol = load_schema(format).dialect.get("lineTerminator", "\n")
    text = table.to_csv(index=False, lineterminator=eol)
    if path is None:
        return text
    Path(path).write_text(text, encoding="utf-8", newline="")
    return None
