"""The NIH NLP labels (``Finding Labels``) as a rater, and how they compare with the experts.

The NIH ChestX-ray14 ``Finding Labels`` were mined from radiology reports by NLP (Wang et al.
2017): pipe-separated names from a vocabulary of 14 findings, or ``No Finding``. This module

- parses them (:func:`parse_finding_labels`), strictly: an unknown name is an error naming the
  unit, ``No Finding`` together with a finding is reported;
- maps the NIH vocabulary onto each expert-label dataset's findings with a mapping kept as data
  (``data_schemas/mappings/nlp_mapping.json``, :func:`load_nlp_mapping`), overridable by a dict
  or a JSON file: spelling differences, findings split in two, ``Abnormal`` = not
  ``No Finding``, and findings with *no* NLP counterpart (missing, never NO);
- turns them into a one-reader :class:`~adjudicate.Ratings` named ``"nlp"``
  (:func:`nlp_ratings`);
- compares NLP and readers with a reference standard (:func:`compare_nlp`), with the tidy table
  and the paired reader-minus-NLP differences, and renders the result
  (:func:`format_comparison`) as a terminal table, CSV or JSON.
"""

from __future__ import annotations

import difflib
import json
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from ._errors import InputError
from .accuracy import (
    CELLS,
    STATISTICS,
    UndefinedStatisticWarning,
    accuracy_table,
    leave_one_out_reference,
    paired_accuracy_difference,
)
from .datasets import Dataset, load_dataset
from .ratings import MISSING, Ratings
from .reproduce import GROUND_TRUTH_READERS
from .vote import majority_vote

__all__ = [
    "NIH_LABELS",
    "NLPComparison",
    "NLPMapping",
    "compare_nlp",
    "format_comparison",
    "load_nlp_mapping",
    "nlp_ratings",
    "parse_finding_labels",
]

_MAPPING_FILE = ("mappings", "nlp_mapping.json")


NIH_LABELS: tuple[str, ...] = (
    "Atelectasis", "Cardiomegaly", "Effusion", "Infiltration", "Mass", "Nodule", "Pneumonia",
    "Pneumothorax", "Consolidation", "Edema", "Emphysema", "Fibrosis", "Pleural_Thickening",
    "Hernia", "No Finding",
)
"""The NIH ``Finding Labels`` vocabulary: 14 findings and ``No Finding``, NIH spelling.

A fact of the NIH release (Wang et al. 2017), not a choice; the mapping file repeats it and is
checked against it when read."""
NO_FINDING = "No Finding"


@cache
def _mapping_document() -> dict:
    """The bundled mapping, read on first use (so ``import adjudicate`` never needs it)."""
    path = resources.files("adjudicate.data_schemas")
    for part in _MAPPING_FILE:  # one part at a time: a namespace package's path takes one
        path = path.joinpath(part)
    try:
        doc = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"the bundled NLP mapping {'/'.join(_MAPPING_FILE)} is missing "
                                "from adjudicate/data_schemas (package data not installed?); "
                                "pass mapping= explicitly") from None
    if tuple(doc["nih_vocabulary"]) != NIH_LABELS or doc["no_finding"] != NO_FINDING:
        raise ValueError(f"{'/'.join(_MAPPING_FILE)}: its nih_vocabulary differs from the NIH "
                         f"vocabulary {NIH_LABELS}")
    return doc


# --------------------------------------------------------------------------- parsing
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


# --------------------------------------------------------------------------- the mapping
@dataclass(frozen=True)
class NLPMapping:
    """How NIH labels map onto one dataset's findings.

    Attributes
    ----------
    dataset : str or None
    rules : dict
        Finding -> ``("any_of" | "none_of", tuple of NIH labels)``, or ``None`` when the NIH
        vocabulary has no counterpart.
    descriptions : dict
        Finding -> the reason for its rule.
    source : str
        Where the mapping came from (the bundled file, and any override).
    """

    dataset: str | None
    rules: dict
    descriptions: dict = field(default_factory=dict)
    source: str = ""

    @property
    def findings(self) -> tuple:
        return tuple(self.rules)

    @property
    def no_counterpart(self) -> tuple:
        """Findings the NLP labels cannot express (their NLP labels are missing)."""
        return tuple(f for f, rule in self.rules.items() if rule is None)

    def to_frame(self) -> pd.DataFrame:
        """One row per finding: ``rule``, ``nih_labels``, ``description``.

        Examples
        --------
        >>> load_nlp_mapping("four_findings").to_frame().loc["Nodule/mass", "nih_labels"]
        'Nodule|Mass'
        """
        rows = []
        for f, rule in self.rules.items():
            rows.append({"finding": f,
                         "rule": "no counterpart" if rule is None else rule[0].replace("_", " "),
                         "nih_labels": "" if rule is None else "|".join(rule[1]),
                         "description": self.descriptions.get(f, "")})
        return pd.DataFrame(rows).set_index("finding")


def _entry(finding, value) -> tuple[tuple | None, str]:
    """One mapping entry in any accepted form -> (rule, description)."""
    description = ""
    if isinstance(value, Mapping):
        description = str(value.get("description", ""))
        kinds = [k for k in ("any_of", "none_of") if k in value]
        if len(kinds) != 1:
            raise ValueError(f"mapping entry for {finding!r} needs exactly one of 'any_of' or "
                             f"'none_of' (null any_of = no counterpart), got {sorted(value)}")
        kind, labels = kinds[0], value[kinds[0]]
        if labels is None:
            if kind == "none_of":
                raise ValueError(f"mapping entry for {finding!r}: 'none_of' needs labels")
            return None, description
    elif value is None:
        return None, description
    elif isinstance(value, str):
        kind, labels = "any_of", [value]
    else:
        kind, labels = "any_of", list(value)
    labels = tuple(labels)
    if not labels:
        raise ValueError(f"mapping entry for {finding!r} lists no NIH label; use null for "
                         "'no counterpart'")
    for lab in labels:
        if lab not in NIH_LABELS:
            close = difflib.get_close_matches(lab, NIH_LABELS, n=1)
            raise ValueError(f"mapping entry for {finding!r}: {lab!r} is not an NIH label"
                             + (f" (did you mean {close[0]!r}?)" if close else "")
                             + f"; known: {', '.join(NIH_LABELS)}")
    return (kind, labels), description


def _read_override(mapping, dataset):
    if isinstance(mapping, (str, Path)):
        source = str(mapping)
        mapping = json.loads(Path(mapping).read_text("utf-8"))
    else:
        source = "override"
    if not isinstance(mapping, Mapping):
        raise TypeError(f"mapping must be a dict or a JSON path, got {type(mapping).__name__}")
    if "datasets" in mapping:  # a whole mapping document
        datasets = mapping["datasets"]
        if dataset not in datasets:
            raise KeyError(f"mapping {source} has no entry for dataset {dataset!r}; it has "
                           f"{list(datasets)}")
        mapping = datasets[dataset]
    return dict(mapping), source


def load_nlp_mapping(dataset: str | None = None, mapping=None, *, findings=None) -> NLPMapping:
    """The NIH-to-dataset mapping: the bundled one, with any override applied.

    Parameters
    ----------
    dataset : {"all_findings", "four_findings"}, optional
        Which bundled mapping to start from; None starts from nothing (``mapping`` must then
        cover every finding).
    mapping : dict, str or Path, optional
        Entries replacing the bundled ones for the findings they name (others are kept). A
        value is a list of NIH labels (positive if any is present), one label, ``None`` (no
        counterpart), or ``{"any_of": [...] | None, "description": ...}`` /
        ``{"none_of": [...]}`` (positive if none is present). A path is a JSON file holding
        such a dict, or a whole mapping document with a ``"datasets"`` key like the bundled
        ``data_schemas/mappings/nlp_mapping.json``.
    findings : sequence of str, optional
        The dataset's findings: every one must have an entry (an error otherwise), and an
        override may not name others (a typo guard). Result in this order.

    Returns
    -------
    NLPMapping

    Examples
    --------
    >>> m = load_nlp_mapping("four_findings")
    >>> m.rules["Airspace opacity"]
    ('any_of', ('Consolidation', 'Infiltration', 'Pneumonia', 'Edema'))
    >>> m.no_counterpart
    ('Fracture',)
    >>> load_nlp_mapping("four_findings", {"Airspace opacity": ["Consolidation"]}).rules[
    ...     "Airspace opacity"]
    ('any_of', ('Consolidation',))
    >>> load_nlp_mapping("all_findings").rules["Abnormal"]
    ('none_of', ('No Finding',))
    """
    base: dict = {}
    source = "adjudicate/data_schemas/" + "/".join(_MAPPING_FILE)
    if dataset is not None:
        from .datasets import _canonical
        dataset = _canonical(dataset)
        base = dict(_mapping_document()["datasets"][dataset])
    else:
        source = ""
    if mapping is not None:
        override, where = _read_override(mapping, dataset)
        if findings is not None:
            unknown = [f for f in override if f not in list(findings)]
            if unknown:
                raise KeyError(f"mapping names finding(s) {unknown} that the dataset does not "
                               f"have; its findings: {list(findings)}")
        base.update(override)
        source = f"{source} + {where}" if source else where
    order = list(findings) if findings is not None else list(base)
    missing = [f for f in order if f not in base]
    if missing:
        raise KeyError(f"no NLP mapping for finding(s) {missing}: give each a list of NIH "
                       "labels or None (no counterpart)")
    rules, descriptions = {}, {}
    for f in order:
        rules[f], descriptions[f] = _entry(f, base[f])
    return NLPMapping(dataset=dataset, rules=rules, descriptions=descriptions, source=source)


# --------------------------------------------------------------------------- NLP as a rater
def nlp_ratings(data, mapping=None, *, dataset: str | None = None) -> Ratings:
    """The NIH NLP labels as a one-reader :class:`~adjudicate.Ratings` named ``"nlp"``.

    Parameters
    ----------
    data : Dataset or Series
        A bundled dataset (its ``Finding Labels``, findings, units and patients are used), or
        a Series of ``Finding Labels`` strings indexed by unit.
    mapping : dict, str or Path, optional
        Override of the bundled mapping (see :func:`load_nlp_mapping`).
    dataset : str, optional
        For a Series: which bundled mapping to use. Without it, ``mapping`` must cover every
        finding (and defines them).

    Returns
    -------
    Ratings
        Shape (units, 1, findings), categories ``("NO", "YES")``. Findings without an NIH
        counterpart are MISSING for every unit (never NO); they are listed in ``notes`` and in
        ``load_nlp_mapping(...).no_counterpart``. A unit without ``Finding Labels`` is
        MISSING everywhere.

    Examples
    --------
    >>> from adjudicate import load_dataset
    >>> r = nlp_ratings(load_dataset("four_findings"))
    >>> r.shape, r.readers.tolist()
    ((4376, 1, 4), ['nlp'])
    >>> r.observed[:, 0, :].sum(axis=0).tolist()     # Fracture: no counterpart
    [0, 4376, 4376, 4376]
    >>> r.notes[0]
    "no NIH counterpart (NLP label missing, not NO): 'Fracture'"
    >>> s = pd.Series(["No Finding", "Mass|Effusion"], index=["u1", "u2"])
    >>> nlp_ratings(s, dataset="four_findings").labels().loc[("u2", "nlp")].tolist()
    [None, 'NO', 'NO', 'YES']
    """
    units = clusters = meta = None
    findings = None
    if isinstance(data, Dataset):
        series, dataset = data.nlp, data.name
        ratings = data.ratings
        units, clusters, findings = ratings.units, ratings.clusters, list(ratings.findings)
        meta = ratings.meta
        series = series.reindex(units)
    elif isinstance(data, pd.Series):
        series = data
    else:
        raise TypeError(f"data must be a Dataset or a Series of Finding Labels, got "
                        f"{type(data).__name__}")
    if dataset is None and mapping is None:
        raise ValueError("which mapping? pass dataset= (a bundled mapping) or mapping=")
    m = load_nlp_mapping(dataset, mapping, findings=findings)
    flags = parse_finding_labels(series)
    present = flags.fillna(False).to_numpy(dtype=bool)
    labelled = flags.notna().all(axis=1).to_numpy()
    col = {name: j for j, name in enumerate(flags.columns)}
    codes = np.full((len(series), 1, len(m.rules)), MISSING, dtype=np.int8)
    for k, rule in enumerate(m.rules.values()):  # a handful of findings: build, not compute
        if rule is None:
            continue
        kind, names = rule
        hit = present[:, [col[n] for n in names]].any(axis=1)
        positive = hit if kind == "any_of" else ~hit
        codes[:, 0, k] = np.where(labelled, positive.astype(np.int8), MISSING)
    notes = []
    if m.no_counterpart:
        notes.append("no NIH counterpart (NLP label missing, not NO): "
                     + ", ".join(repr(f) for f in m.no_counterpart))
    if (~labelled).any():
        notes.append(f"{int((~labelled).sum())} unit(s) without Finding Labels: missing")
    notes.append(f"mapping: {m.source}")
    return Ratings(codes=codes, categories=("NO", "YES"),
                   units=series.index if units is None else units,
                   readers=pd.Index(["nlp"], name="reader"), findings=pd.Index(list(m.rules)),
                   clusters=clusters, meta=meta, positive="YES",
                   source="NIH Finding Labels", notes=tuple(notes))


# --------------------------------------------------------------------------- the comparison
_REFERENCES = ("published", "majority")


@dataclass(frozen=True)
class NLPComparison:
    """NLP labels and readers against a reference standard (:func:`compare_nlp`).

    Attributes
    ----------
    dataset : str
    reference : {"published", "majority"}
    table : DataFrame
        Tidy, one row per (rater, reference, finding, statistic): ``finding``, ``rater``
        (``"nlp"``, a reader id, or the reference's own name for its ``prevalence`` rows),
        ``reference`` (``"published"``, ``"majority"`` or ``"leave-one-out"``), ``statistic``
        (one of :data:`~adjudicate.accuracy.STATISTICS`), ``estimate``, ``ci_low``,
        ``ci_high``, ``wilson_low``, ``wilson_high``, ``n_units``, ``n_excluded``, ``tp``,
        ``fp``, ``fn``, ``tn``, ``method``, ``note`` (e.g. "no NLP counterpart").
    differences : DataFrame
        Reader minus NLP, one row per (reader, reference, finding, statistic), on the units
        both have a label for, the same bootstrap replicates; ``p_value``, ``p_adjusted``
        (across findings, per reader, reference and statistic) and ``reject``.
    mapping : NLPMapping
        The NIH-to-dataset mapping used.
    policy : dict
        Every option, including the seed actually used (drawn when none was given).
    notes : tuple of str
        What the reference is, tie and exclusion counts, findings without NLP counterpart.
    """

    dataset: str
    reference: str
    table: pd.DataFrame = field(repr=False)
    differences: pd.DataFrame = field(repr=False)
    mapping: NLPMapping = field(repr=False)
    policy: dict = field(repr=False)
    notes: tuple = ()

    @property
    def no_counterpart(self) -> tuple:
        """Findings the NLP labels cannot express: reported as such, never as zeros."""
        return self.mapping.no_counterpart

    def to_frame(self) -> pd.DataFrame:
        """Both tables in one tidy frame, told apart by ``comparison``.

        ``comparison`` is ``"accuracy"`` (a rater against the reference) or ``"rater - nlp"``
        (the paired difference); columns that do not apply are empty.
        """
        acc = self.table.assign(comparison="accuracy")
        diff = self.differences.assign(comparison="rater - nlp")
        frame = pd.concat([acc, diff], ignore_index=True, sort=False)
        first = ["comparison", "finding", "rater", "reference", "statistic", "estimate",
                 "ci_low", "ci_high"]
        return frame[first + [c for c in frame.columns if c not in first]]


def _reference_standard(ds: Dataset, reference: str, hedge: str, ties: str):
    """(Ratings, note) of the reference standard."""
    if reference == "published":
        ref = Ratings.from_labels(ds.labels, reader="published", clusters=ds.ratings.clusters)
        note = ("reference 'published': the released labels"
                + (" (majority of the ground-truth readers + the Other rule)"
                   if ds.name == "all_findings" else " (iterative adjudication of 3 reads)"))
        return ref, note
    if ds.name == "all_findings":
        vote = majority_vote(ds.ratings, readers=list(GROUND_TRUTH_READERS), hedge=hedge,
                             ties=ties)
        note = ("reference 'majority': plain majority of the 3 ground-truth readers, WITHOUT "
                "the Other rule; it equals the published labels except for 'Other', which "
                "has no NLP counterpart, so it changes only the readers' 'Other' rows")
    else:
        vote = majority_vote(ds.ratings, hedge=hedge, ties=ties)
        note = (f"reference 'majority': majority of every reader of each unit (hedge={hedge}, "
                f"ties={ties}); each reader's own read is part of it, so readers are graded "
                "only against the leave-one-out majority")
    n_none = int((vote.codes < 0).sum())
    if n_none:
        note += f"; {n_none} (unit, finding) without a majority label, excluded"
    return vote.to_ratings("majority"), note


def _placeholder_rows(findings, rater: str, reference: str, note: str) -> pd.DataFrame:
    n = len(findings) * len(STATISTICS)
    return pd.DataFrame({
        "finding": np.repeat(np.asarray(findings, dtype=object), len(STATISTICS)),
        "rater": rater, "reference": reference,
        "statistic": np.tile(np.asarray(STATISTICS, dtype=object), len(findings)),
        "estimate": np.full(n, np.nan), "n_units": 0, "note": note,
    })


def compare_nlp(dataset: str | Dataset = "all_findings", *,
                reference: Literal["published", "majority"] = "published",
                n_resamples: int = 9999, seed=None, confidence_level: float = 0.95,
                method: Literal["bca", "percentile"] = "bca",
                hedge: Literal["negative", "positive", "abstain"] = "negative",
                ties: Literal["abstain", "negative", "positive", "random"] = "abstain",
                p_adjust: str = "holm", mapping=None, progress: bool | None = None
                ) -> NLPComparison:
    """The NIH NLP labels and the individual readers against a reference standard.

    For every finding with an NLP counterpart: sensitivity, specificity, PPV, NPV, Cohen's
    kappa, percent agreement and prevalence, with patient-clustered bootstrap intervals and
    Wilson intervals, of

    - the NLP labels against the reference;
    - all-findings only: the two readers outside the ground-truth panel against the reference
      (the ground-truth readers are part of it);
    - every reader against the majority of the *other* readers of each unit (leave-one-out, so
      no reader grades themselves) -- the only reader comparison for four-findings, whose
      published labels were adjudicated from these readers' reads;

    and the paired difference reader minus NLP against the same reference (the reader's
    leave-one-out reference for the second kind), on the units both have labels for, with
    bootstrap p-values adjusted across findings. Every bootstrap uses the same seed, so all
    rows see the same resampled patients.

    Parameters
    ----------
    dataset : {"all_findings", "four_findings"} or Dataset
        ``"all-findings"``/``"four-findings"`` are accepted too.
    reference : {"published", "majority"}
        ``"published"``: the released labels. ``"majority"``: the majority vote of the
        ground-truth readers without the Other rule (all-findings; equal to the published
        labels but for ``Other``) or of all readers of each unit (four-findings).
    n_resamples : int, default 9999
        Bootstrap replicates (the CLI's ``--bootstrap``).
    seed : int, optional
        The CLI's ``--seed``. Without one, a seed is drawn and recorded in ``policy``.
    confidence_level : float, default 0.95
    method : {"bca", "percentile"}
        Bootstrap interval method.
    hedge : {"negative", "positive", "abstain"}
        What a four-findings HEDGE read counts as (readers and votes).
    ties : {"abstain", "negative", "positive", "random"}
        Ties of the majority votes (the leave-one-out vote of four-findings readers, with two
        other readers, ties often): "abstain" leaves the unit out, counted in ``n_excluded``.
    p_adjust : str, default "holm"
        :func:`statsmodels.stats.multitest.multipletests` method across findings.
    mapping : dict, str or Path, optional
        Override of the NIH mapping (:func:`load_nlp_mapping`).
    progress : bool, optional
        Bootstrap progress bars on stderr.

    Returns
    -------
    NLPComparison
        ``.table`` and ``.differences`` (tidy), ``.to_frame()`` for CSV/JSON, and
        :func:`format_comparison` for a terminal table.

    Examples
    --------
    >>> res = compare_nlp("all_findings", n_resamples=200, seed=1, method="percentile")
    >>> t = res.table
    >>> row = t[(t.rater == "nlp") & (t.finding == "Pneumothorax") & (t.statistic == "sensitivity")]
    >>> row[["estimate", "tp", "fn", "n_units"]].round(3).to_dict("records")
    [{'estimate': 0.559, 'tp': 76, 'fn': 60, 'n_units': 810}]
    >>> res.no_counterpart
    ('Other',)
    >>> sorted(set(res.differences.reference))
    ['leave-one-out', 'published']
    """
    ds = dataset if isinstance(dataset, Dataset) else load_dataset(dataset)
    if reference not in _REFERENCES:
        raise ValueError(f"reference must be one of {_REFERENCES}, got {reference!r}")
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**63))
    readers = ds.ratings
    m = load_nlp_mapping(ds.name, mapping, findings=list(readers.findings))
    nlp = nlp_ratings(ds, mapping)
    with_nlp = [f for f in readers.findings if f not in m.no_counterpart]
    ref, ref_note = _reference_standard(ds, reference, hedge, ties)
    opts = dict(hedge=hedge, n_resamples=n_resamples, seed=seed, method=method,
                confidence_level=confidence_level, progress=progress)

    parts, diffs = [], []
    nlp_sel = nlp.select(findings=with_nlp)
    with warnings.catch_warnings():
        # undefined statistics are expected here (rare findings, readers with few units):
        # they are counted into the notes and one summary warning below, not one per table
        warnings.simplefilter("ignore", UndefinedStatisticWarning)
        own = accuracy_table(ref, ref, reference_name=reference, **opts)  # its prevalence
        parts.append(own[own.statistic == "prevalence"].assign(rater=reference))
        parts.append(accuracy_table(nlp_sel, ref, reference_name=reference, **opts))
        if m.no_counterpart:
            parts.append(_placeholder_rows(m.no_counterpart, "nlp", reference,
                                           "no NLP counterpart"))
        if ds.name == "all_findings":
            outside = [r for r in readers.readers if r not in GROUND_TRUTH_READERS]
            panel = readers.select(readers=outside)
            parts.append(accuracy_table(panel, ref, reference_name=reference, **opts))
            diffs.append(paired_accuracy_difference(
                panel.select(findings=with_nlp), nlp_sel, ref, reference_name=reference,
                p_adjust=p_adjust, **opts))
        loo = leave_one_out_reference(readers, hedge=hedge, ties=ties, seed=seed)
        parts.append(accuracy_table(readers, loo, reference_name="leave-one-out", **opts))
        diffs.append(paired_accuracy_difference(
            readers.select(findings=with_nlp), nlp_sel, loo.select(findings=with_nlp),
            reference_name="leave-one-out", p_adjust=p_adjust, **opts))
    table = pd.concat(parts, ignore_index=True, sort=False)
    table["note"] = table["note"].fillna("") if "note" in table else ""
    table["n_units"] = table["n_units"].astype("int64")
    counts = [*CELLS, "n_excluded", "n_undefined"]
    table[counts] = table[counts].astype("Int64")  # NA where no NLP counterpart
    differences = pd.concat(diffs, ignore_index=True)
    nan_rows = table[(table.note == "") & table.estimate.isna()]
    n_undefined = (len(nan_rows), int(differences["estimate"].isna().sum()))
    notes = (ref_note, *loo.notes,
             *(f"{f!r} has no NLP counterpart: its NLP rows are empty (NaN), not zeros. "
               + m.descriptions.get(f, "").removeprefix("No counterpart: ")
               for f in m.no_counterpart))
    if any(n_undefined):
        by_stat = nan_rows.groupby("statistic", sort=False).size()
        notes += (f"undefined (0/0, reported as NaN): {n_undefined[0]} estimates ("
                  + ", ".join(f"{k} {v}" for k, v in by_stat.items())
                  + f") and {n_undefined[1]} differences; e.g. sensitivity where a reference "
                  "has no positive among the units compared",)
        warnings.warn(f"compare_nlp: {n_undefined[0]} estimates and {n_undefined[1]} "
                      "differences are undefined (0/0) and reported as NaN; see the notes",
                      UndefinedStatisticWarning, stacklevel=2)
    policy = {"dataset": ds.name, "reference": reference, "n_resamples": n_resamples,
              "seed": seed, "confidence_level": confidence_level, "method": method,
              "hedge": hedge, "ties": ties, "p_adjust": p_adjust, "clusters": "patients",
              "mapping": m.source}
    return NLPComparison(dataset=ds.name, reference=reference, table=table,
                         differences=differences, mapping=m, policy=policy, notes=notes)


# --------------------------------------------------------------------------- rendering
_SHORT = {"sensitivity": "sens", "specificity": "spec", "ppv": "ppv", "npv": "npv",
          "kappa": "kappa", "percent_agreement": "agree", "prevalence": "prev"}


def _fmt(x: float, signed: bool = False) -> str:
    if pd.isna(x):
        return "-"
    text = f"{x:+.2f}" if signed else f"{x:.2f}"
    return text.replace("0.", ".", 1)


def _cell(est, lo, hi, signed=False, mark="") -> str:
    if pd.isna(est):
        return "-"
    inner = f" [{_fmt(lo, signed)},{_fmt(hi, signed)}]" if not pd.isna(lo) else ""
    return f"{_fmt(est, signed)}{inner}{mark}"


def _wide(rows: pd.DataFrame, index: list, signed=False, stars=False) -> pd.DataFrame:
    rows = rows.assign(cell=[
        _cell(e, lo, hi, signed, "*" if stars and rj else "")
        for e, lo, hi, rj in zip(rows.estimate, rows.ci_low, rows.ci_high,
                                 rows.get("reject", pd.Series(False, index=rows.index)))])
    wide = rows.pivot_table(index=index, columns="statistic", values="cell", aggfunc="first",
                            sort=False)
    wide = wide[[s for s in STATISTICS if s in wide.columns]].rename(columns=_SHORT)
    n = rows.groupby(index, sort=False)["n_units"].first()
    wide.insert(0, "n", n.reindex(wide.index))
    if "n_excluded" in rows:
        ex = rows.groupby(index, sort=False)["n_excluded"].first().reindex(wide.index)
        if (ex.fillna(0) > 0).any():
            wide.insert(1, "excl", ex.fillna(0).astype(int))
    wide.columns.name = None
    return wide


def format_comparison(result: NLPComparison, format: Literal["table", "csv", "json"] = "table"
                      ) -> str:
    """Render a :func:`compare_nlp` result: a terminal table, or the tidy rows as CSV/JSON.

    Parameters
    ----------
    result : NLPComparison
    format : {"table", "csv", "json"}
        ``"table"``: readable sections (NLP vs reference, readers vs reference, readers vs
        leave-one-out majority, reader minus NLP) with ``estimate [ci_low,ci_high]`` cells.
        ``"csv"``: :meth:`NLPComparison.to_frame` as CSV (tidy: one row per comparison,
        finding, rater, reference and statistic). ``"json"``: ``{"policy": ..., "notes":
        ..., "no_counterpart": ..., "rows": [one object per row of the CSV]}``.

    Returns
    -------
    str

    Examples
    --------
    >>> res = compare_nlp("four_findings", n_resamples=100, seed=0, method="percentile")
    >>> text = format_comparison(res)
    >>> "NLP labels vs published" in text and "Fracture" in text
    True
    >>> format_comparison(res, "csv").splitlines()[0].split(",")[:6]
    ['comparison', 'finding', 'rater', 'reference', 'statistic', 'estimate']
    """
    if format == "csv":
        return result.to_frame().to_csv(index=False)
    if format == "json":
        frame = result.to_frame()
        rows = json.loads(frame.to_json(orient="records", double_precision=15))
        return json.dumps({"policy": result.policy, "notes": list(result.notes),
                           "no_counterpart": list(result.no_counterpart), "rows": rows},
                          indent=1)
    if format != "table":
        raise ValueError(f"format must be 'table', 'csv' or 'json', got {format!r}")
    p = result.policy
    t, d = result.table, result.differences
    level = round(100 * p["confidence_level"])
    out = [f"NIH NLP labels and readers vs the {p['reference']} reference: {p['dataset']}",
           f"cells: estimate [{level}% {p['method']} bootstrap CI], {p['n_resamples']} "
           f"resamples of patients, seed {p['seed']}; n = units compared, excl = units with a "
           "label on one side only"]
    out += [f"- {n}" for n in result.notes]
    ref = p["reference"]
    nlp_rows = t[(t.rater == "nlp") & (t.note == "")]
    wide = _wide(nlp_rows, ["finding"])
    prev = t[(t.rater == ref) & (t.statistic == "prevalence")].set_index("finding")
    wide[f"prev {ref}"] = [_cell(*prev.loc[f, ["estimate", "ci_low", "ci_high"]])
                           if f in prev.index else "-" for f in wide.index]
    wide = wide.astype(object)
    for f in result.no_counterpart:
        wide.loc[f] = ["no NLP counterpart"] + [""] * (wide.shape[1] - 1)
    out += ["", f"NLP labels vs {ref}", wide.to_string()]
    vs_ref = t[(t.rater != "nlp") & (t.rater != ref) & (t.reference == ref)]
    if len(vs_ref):
        out += ["", f"Readers outside the ground-truth panel vs {ref}",
                _wide(vs_ref, ["rater", "finding"]).to_string()]
    loo = t[t.reference == "leave-one-out"]
    out += ["", "Readers vs the majority of the other readers (leave-one-out)",
            _wide(loo, ["rater", "finding"]).to_string()]
    for name, block in d.groupby("reference", sort=False):
        out += ["", f"Reader minus NLP vs {name} (same units, paired bootstrap; * = "
                    f"{p['p_adjust']}-adjusted p < {1 - p['confidence_level']:.2g} across "
                    "findings)",
                _wide(block, ["rater", "finding"], signed=True, stars=True).to_string()]
    return "\n".join(out) + "\n"
