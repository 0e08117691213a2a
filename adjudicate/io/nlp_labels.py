"""The NIH ChestX-ray14 ``Finding Labels`` column: NLP-mined labels, parsed strictly.

The NIH ``Finding Labels`` were mined from radiology reports by NLP (Wang et al. 2017):
pipe-separated names from a vocabulary of 14 findings, or ``No Finding``. This parser turns
them into a units x names table of booleans; the mapping of those names onto a dataset's
findings is :mod:`adjudicate.nlp`.
"""

from __future__ import annotations

import difflib
import warnings
from typing import Literal

import numpy as np
import pandas as pd

from .._errors import InputError

__all__ = ["NIH_LABELS", "NO_FINDING", "parse_finding_labels"]

NIH_LABELS: tuple[str, ...] = (
    "Atelectasis", "Cardiomegaly", "Effusion", "Infiltration", "Mass", "Nodule", "Pneumonia",
    "Pneumothorax", "Consolidation", "Edema", "Emphysema", "Fibrosis", "Pleural_Thickening",
    "Hernia", "No Finding",
)
"""The NIH ``Finding Labels`` vocabulary: 14 findings and ``No Finding``, NIH spelling.

A fact of the NIH release (Wang et al. 2017), not a choice; the mapping file repeats it and is
checked against it when read."""
NO_FINDING = "No Finding"


def parse_finding_labels(labels, *, vocabulary=NIH_LABELS,
                         conflicts: Literal["raise", "warn"] = "raise") -> pd.DataFrame:
    """Parse NIH ``Finding Labels`` strings into a units x labels table of booleans.

    Parameters
    ----------
    labels : Series or sequence of str
        One pipe-separated string per unit (``"Effusion|Mass"``, ``"No Finding"``); the index
        names the units. Blanks around names are ignored; a missing or empty string gives the
        unit no labels at all (``<NA>`` in every column), not ``No Finding``.
    vocabulary : sequence of str
        The known names (default: :data:`NIH_LABELS`). Any other name is an error.
    conflicts : {"raise", "warn"}
        ``No Finding`` excludes every other label; a unit breaking that is an error (default)
        or a warning (both flags are kept).

    Returns
    -------
    DataFrame
        Index of ``labels``, one nullable-boolean column per vocabulary name in vocabulary
        order.

    Raises
    ------
    InputError
        Naming the first unit with an unknown name (and how many units have one), or the units
        where ``No Finding`` comes with a finding.

    Examples
    --------
    >>> s = pd.Series(["No Finding", "Effusion|Mass", "Pleural_Thickening"], index=["a", "b", "c"])
    >>> t = parse_finding_labels(s)
    >>> t.loc["b"][t.loc["b"]].index.tolist()
    ['Effusion', 'Mass']
    >>> int(t["No Finding"].sum())
    1
    >>> parse_finding_labels(pd.Series(["Mass|Pleural Thickening"], index=["u7"]))
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    adjudicate._errors.InputError: column 'Finding Labels': unit u7: unknown NIH label 'Pleural Thickening' (did you mean 'Pleural_Thickening'?); 1 unit(s) ...
    """
    if conflicts not in ("raise", "warn"):
        raise ValueError(f"conflicts must be 'raise' or 'warn', got {conflicts!r}")
    series = labels if isinstance(labels, pd.Series) else pd.Series(list(labels))
    vocabulary = list(vocabulary)
    text = series.astype("string").str.strip()
    missing = (text.isna() | (text == "")).to_numpy()
    # explode on positions, so duplicated unit ids cannot mix rows
    names = (text.reset_index(drop=True).str.split("|").explode().str.strip())
    names = names[names.notna() & (names != "")]
    unknown = ~names.isin(vocabulary)
    if unknown.any():
        pos = int(names.index[unknown.to_numpy()][0])
        bad = names[unknown].iloc[0]
        close = difflib.get_close_matches(bad, vocabulary, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        n_units = names.index[unknown.to_numpy()].nunique()
        raise InputError(f"unit {series.index[pos]}: unknown NIH label {bad!r}{hint}; "
                         f"{n_units} unit(s) have unknown labels; known: "
                         + ", ".join(vocabulary), column="Finding Labels")
    flags = np.zeros((len(series), len(vocabulary)), dtype=bool)
    flags[names.index.to_numpy(dtype=np.intp),
          pd.Index(vocabulary).get_indexer(names.to_numpy())] = True
    if NO_FINDING in vocabulary:
        j = vocabulary.index(NO_FINDING)
        clash = flags[:, j] & (flags.sum(axis=1) > 1)
        if clash.any():
            units = list(series.index[clash])
            message = (f"'{NO_FINDING}' together with a finding in {len(units)} unit(s): "
                       + ", ".join(map(str, units[:5])) + (" ..." if len(units) > 5 else ""))
            if conflicts == "raise":
                raise InputError(message, column="Finding Labels")
            warnings.warn(message, UserWarning, stacklevel=2)
    table = pd.DataFrame(flags, index=series.index, columns=vocabulary).astype("boolean")
    table.loc[missing] = pd.NA
    return table
