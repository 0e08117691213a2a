"""A model's scores, and label tables a user supplies, read from CSV files or DataFrames.

Two layouts of scores are read:

- **wide**: an image column and one column per finding, named as in the labels
  (``Image ID,Abnormal,Atelectasis,...``);
- **long**: one row per (image, finding): columns ``image``, ``finding``, ``score``.

The image column is recognised under the usual spellings (``Image ID``, the NIH
``Image Index``, ``image_id``, ``image``; any case, spaces or underscores) or named by the
user. Scores are probabilities, any real-valued score, or 0/1 calls; an empty cell is a
missing score (counted and reported). Lines starting with ``#`` before the header are
comments (the bundled example file says there how it was made).

Every problem is an :class:`~adjudicate.InputError` naming the file, the 1-based line (the
header is the first line after the comments) and the column: non-numeric or infinite scores,
duplicated images, a missing image id, no image column. Nothing here computes a statistic.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import InputError
from ..ratings import _binary_value
from .schemas import read_text

__all__ = ["ModelScores", "read_label_table", "read_scores"]

_IMAGE_SPELLINGS = ("imageid", "imageindex", "image", "imagename", "unit", "unitid")
_FINDING_SPELLINGS = ("finding", "label", "findingname")
_SCORE_SPELLINGS = ("score", "probability", "prob", "prediction", "value")


@dataclass(frozen=True)
class ModelScores:
    """One model's scores: images x findings, NaN where the model gave no score.

    Attributes
    ----------
    scores : DataFrame
        Float scores, index = image ids (sorted), columns = findings in file order.
    name : str
        The model's name (the file name without extension, unless given).
    kind : {"probability", "score", "binary"}
        Scores in [0, 1], any real values, or 0/1 calls only.
    layout : {"wide", "long"}
    source : str or None
        The file read, if any.
    notes : tuple of str
        What the parser did (missing scores counted, columns recognised).
    """

    scores: pd.DataFrame
    name: str
    kind: str
    layout: str
    source: str | None = None
    notes: tuple = ()

    @property
    def findings(self) -> list:
        return list(self.scores.columns)


def _key(name) -> str:
    return "".join(ch for ch in str(name).lower() if ch.isalnum())


def _find_column(columns, given, spellings, what, file):
    if given is not None:
        if given not in columns:
            raise InputError(f"no {what} column {given!r}; columns are {list(columns)}",
                             file=file, row=None)
        return given
    hits = [c for c in columns if _key(c) in spellings]
    return hits[0] if hits else None


def _read_text(source) -> tuple[pd.DataFrame, str | None, int]:
    """A CSV (all cells as text) and the number of comment lines before its header."""
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
        if frame.index.name is not None or not isinstance(frame.index, pd.RangeIndex):
            frame = frame.rename_axis(frame.index.name or "image").reset_index()
        return frame, None, 0
    name = str(Path(source))
    text, _ = read_text(source)  # the one safe entry point of every parser
    lines = text.splitlines(keepends=True)
    skip = 0
    while skip < len(lines) and (lines[skip].startswith("#") or not lines[skip].strip()):
        skip += 1
    body = "".join(lines[skip:])
    if not body.strip():
        raise InputError("the file has no header and no rows", file=name)
    try:
        frame = pd.read_csv(io.StringIO(body), dtype=str, keep_default_na=False,
                            skipinitialspace=True)
    except pd.errors.ParserError as e:
        raise InputError(f"not a well-formed CSV file ({e})", file=name) from None
    return frame, name, skip


def _open(source, image_column):
    """The table, its file name, a function from data row to file line, and the image column."""
    frame, file, skip = _read_text(source)
    row_of = (lambda i: skip + i + 2) if file is not None else (lambda i: i + 1)
    columns = list(frame.columns)
    img = _find_column(columns, image_column, _IMAGE_SPELLINGS, "image", file)
    if img is None:
        raise InputError(f"no image column: expected one of 'Image ID', 'Image Index', "
                         f"'image_id' (or pass image_column); columns are {columns}",
                         file=file, row=1 if file else None)
    return frame, file, row_of, img


def _numeric(frame: pd.DataFrame, columns, file, row_of) -> pd.DataFrame:
    """Cells to floats: empty = NaN; text or infinity is an error naming row and column."""
    out = {}
    for col in columns:
        raw = frame[col]
        if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
            values = raw.astype(float)
            bad = pd.Series(False, index=raw.index)
        else:
            text = raw.astype(object).where(raw.notna(), "").map(lambda v: str(v).strip())
            empty = (text == "") | text.str.upper().isin(["NA", "NAN"])
            values = pd.to_numeric(text.where(~empty, None), errors="coerce").astype(float)
            bad = values.isna() & ~empty
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(f"score {raw.iloc[i]!r} is not a number", file=file,
                             row=row_of(i), column=col)
        inf = np.isinf(values.to_numpy(dtype=float))
        if inf.any():
            i = int(np.flatnonzero(inf)[0])
            raise InputError(f"score {raw.iloc[i]!r} is not finite", file=file,
                             row=row_of(i), column=col)
        out[col] = values.to_numpy(dtype=float)
    return pd.DataFrame(out, index=frame.index)


def read_scores(source, *, image_column: str | None = None, finding_column: str | None = None,
                score_column: str | None = None, layout: str | None = None,
                name: str | None = None) -> ModelScores:
    """Read a model's scores (wide or long layout) from a CSV file or a DataFrame.

    Parameters
    ----------
    source : str, Path or DataFrame
        A CSV file, or a DataFrame (its index is used as the image column when named or not
        a plain range).
    image_column : str, optional
        The image id column. Default: recognised (``Image ID``, ``Image Index``,
        ``image_id``, ``image``, ...).
    finding_column, score_column : str, optional
        Columns of the long layout. Default: recognised (``finding``; ``score``,
        ``probability``).
    layout : {"wide", "long"}, optional
        Default: long when a finding and a score column are present, else wide.
    name : str, optional
        The model's name; default the file name without extension (``"model"`` for a frame).

    Returns
    -------
    ModelScores

    Raises
    ------
    InputError
        Naming the file, row and column: no image column, a missing image id, a duplicated
        image (or image and finding), a score that is not a number or not finite.

    Examples
    --------
    >>> df = pd.DataFrame({"Image Index": ["b.png", "a.png"], "Mass": [0.9, 0.1],
    ...                    "Nodule": [0.2, None]})
    >>> s = read_scores(df)
    >>> s.scores
           Mass  Nodule
    a.png   0.1     NaN
    b.png   0.9     0.2
    >>> s.kind, s.notes
    ('probability', ('1 missing score (empty cells) left out: Nodule 1',))
    >>> long = pd.DataFrame({"image_id": ["a", "a", "b"], "finding": ["Mass", "Nodule", "Mass"],
    ...                      "score": [1, 0, 1]})
    >>> read_scores(long).kind
    'binary'
    """
    frame, file, row_of, img = _open(source, image_column)
    columns = list(frame.columns)
    fcol = _find_column(columns, finding_column, _FINDING_SPELLINGS, "finding", file)
    scol = _find_column(columns, score_column, _SCORE_SPELLINGS, "score", file)
    if layout is None:
        layout = "long" if fcol is not None and scol is not None else "wide"
    if layout not in ("wide", "long"):
        raise ValueError(f"layout must be 'wide' or 'long', got {layout!r}")
    ids = frame[img].astype(object)
    ids = ids.where(ids.notna(), "").map(lambda v: str(v).strip())
    if (ids == "").any():
        i = int(np.flatnonzero((ids == "").to_numpy())[0])
        raise InputError("missing image id", file=file, row=row_of(i), column=img)
    notes = []
    if layout == "long":
        if fcol is None or scol is None:
            raise InputError("the long layout needs a finding and a score column "
                             f"(columns are {columns})", file=file, row=1 if file else None)
        finding = frame[fcol].astype(str).str.strip()
        key = pd.MultiIndex.from_arrays([ids, finding])
        dup = key.duplicated()
        if dup.any():
            i = int(np.flatnonzero(dup)[0])
            first = int(np.flatnonzero(key == key[i])[0])
            raise InputError(f"image {ids.iloc[i]!r} has a second score for {finding.iloc[i]!r} "
                             f"(first on row {row_of(first)})", file=file, row=row_of(i),
                             column=img)
        values = _numeric(frame, [scol], file, row_of)[scol]
        wide = pd.Series(values.to_numpy(), index=key).unstack()
        wide = wide.reindex(columns=pd.unique(finding))
        n_absent = int(wide.isna().sum().sum() - values.isna().sum())
        if n_absent:
            notes.append(f"{n_absent} (image, finding) pairs without a row: missing scores")
    else:
        dup = ids.duplicated()
        if dup.any():
            i = int(np.flatnonzero(dup.to_numpy())[0])
            first = int(np.flatnonzero((ids == ids.iloc[i]).to_numpy())[0])
            raise InputError(f"image {ids.iloc[i]!r} appears twice (first on row "
                             f"{row_of(first)})", file=file, row=row_of(i), column=img)
        findings = [c for c in columns if c != img]
        if not findings:
            raise InputError("no score columns: expected one column per finding",
                             file=file, row=1 if file else None)
        wide = _numeric(frame, findings, file, row_of)
        wide.index = pd.Index(ids.to_numpy(), name=None)
    wide = wide.sort_index()
    wide.index.name = None
    wide.columns.name = None
    missing = wide.isna().sum()
    if layout == "wide" and missing.any():
        notes.append(f"{int(missing.sum())} missing score{'s' * int(missing.sum() > 1)} (empty "
                     "cells) left out: " + ", ".join(f"{f} {n}" for f, n in missing.items()
                                                     if n))
    values = wide.to_numpy()
    finite = values[~np.isnan(values)]
    kind = ("binary" if np.isin(finite, (0.0, 1.0)).all() else
            "probability" if ((finite >= 0) & (finite <= 1)).all() else "score")
    if name is None:
        name = Path(file).stem if file is not None else "model"
    return ModelScores(scores=wide, name=name, kind=kind, layout=layout, source=file,
                       notes=tuple(notes))


def read_label_table(source, *, image_column: str | None = None) -> pd.DataFrame:
    """A user's reference labels: one row per image, one column per finding.

    Cells ``YES``/``NO``, ``1``/``0``, ``TRUE``/``FALSE`` (any case); empty = no label.

    Parameters
    ----------
    source : str, Path or DataFrame
    image_column : str, optional
        Default: recognised as in :func:`read_scores`.

    Returns
    -------
    DataFrame
        Images (sorted) x findings, ``"YES"``/``"NO"`` or None.

    Examples
    --------
    >>> t = pd.DataFrame({"image": ["x", "y"], "Mass": [1, 0], "Nodule": ["yes", ""]})
    >>> read_label_table(t).to_dict("list")
    {'Mass': ['YES', 'NO'], 'Nodule': ['YES', None]}
    """
    frame, file, row_of, img = _open(source, image_column)
    columns = list(frame.columns)
    ids = frame[img].astype(object).where(frame[img].notna(), "").map(lambda v: str(v).strip())
    dup = ids.duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(f"image {ids.iloc[i]!r} appears twice", file=file, row=row_of(i),
                         column=img)
    out = {}
    for col in columns:
        if col == img:
            continue
        text = frame[col].astype(object).where(frame[col].notna(), "").map(
            lambda v: str(v).strip().upper())
        code = text.map(lambda v: None if v in ("", "NA", "NAN", "NONE") else
                        _binary_value(v))
        bad = (code == -1.0).to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(f"label {frame[col].iloc[i]!r} is not YES/NO or 1/0",
                             file=file, row=row_of(i), column=col)
        out[col] = code.map(lambda v: None if pd.isna(v) else ("YES" if v == 1.0 else "NO"))
    table = pd.DataFrame(out).astype(object)
    table = table.where(table.notna(), None)
    table.index = pd.Index(ids.to_numpy())
    return table.sort_index()
