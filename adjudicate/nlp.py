"""The NIH NLP labels (``Finding Labels``) as a rater: the vocabulary mapping, and the study.

The NIH ChestX-ray14 ``Finding Labels`` were mined from radiology reports by NLP (Wang et al.
2017). Their parser lives with the other parsers (:mod:`adjudicate.io.nlp_labels`); this
module

- maps the NIH vocabulary onto each expert-label dataset's findings with a mapping kept as data
  (``data_schemas/mappings/nlp_mapping.json``, :func:`load_nlp_mapping`), overridable by a dict
  or a JSON file: spelling differences, findings split in two, ``Abnormal`` = not
  ``No Finding``, and findings with *no* NLP counterpart (missing, never NO);
- turns them into a one-reader :class:`~adjudicate.Ratings` named ``"nlp"``
  (:func:`nlp_ratings`);
- runs the NIH study (:func:`compare_nlp`): the generic "rater vs reference, readers vs
  leave-one-out, paired difference" workflow of :func:`adjudicate.compare.compare_raters`
  with the NLP labels as the rater and a published or majority reference.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from .compare import ComparisonResult, compare_raters, format_comparison
from .datasets import Dataset, load_dataset
from .io.nlp_labels import NIH_LABELS, NO_FINDING, parse_finding_labels
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


@cache
def _mapping_document() -> dict:
    """The bundled mapping, read on first use (so ``import adjudicate`` never needs it)."""
    from .io.schemas import schemas_dir

    path = schemas_dir()
    for part in _MAPPING_FILE:  # one part at a time: a namespace package's path takes one
        path = path.joinpath(part)
    try:
        doc = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"the bundled NLP mapping {'/'.join(_MAPPING_FILE)} is missing "
                                "from data_schemas/ (package data not installed?); "
                                "pass mapping= explicitly") from None
    if tuple(doc["nih_vocabulary"]) != NIH_LABELS or doc["no_finding"] != NO_FINDING:
        raise ValueError(f"{'/'.join(_MAPPING_FILE)}: its nih_vocabulary differs from the NIH "
                         f"vocabulary {NIH_LABELS}")
    return doc


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
    source = "data_schemas/" + "/".join(_MAPPING_FILE)
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


@dataclass(frozen=True, eq=False)
class NLPComparison(ComparisonResult):
    """NLP labels and readers against a reference standard (:func:`compare_nlp`).

    A :class:`~adjudicate.compare.ComparisonResult` (``table``, ``differences``,
    ``settings`` with the seed used, ``notes``, ``bootstrap``) that also keeps the NIH
    mapping used.

    Attributes
    ----------
    mapping : NLPMapping
        The NIH-to-dataset mapping used.
    """

    mapping: NLPMapping = field(default=None, repr=False)

    @property
    def dataset(self) -> str:
        return self.settings["dataset"]

    @property
    def reference(self) -> str:
        return self.settings["reference"]

    @property
    def no_counterpart(self) -> tuple:
        """Findings the NLP labels cannot express: reported as such, never as zeros."""
        return tuple(f for f in self.mapping.no_counterpart if f in set(self.table.finding))


def _reference_standard(ds: Dataset, readers: Ratings, reference: str, hedge: str, ties: str,
                        seed):
    """(Ratings, note) of the reference standard."""
    if reference == "published":
        ref = Ratings.from_labels(ds.labels, reader="published", clusters=ds.ratings.clusters)
        note = ("reference 'published': the released labels"
                + (" (majority of the ground-truth readers + the Other rule)"
                   if ds.name == "all_findings" else " (iterative adjudication of 3 reads)"))
        return ref, note
    if ds.name == "all_findings":
        vote = majority_vote(ds.ratings, readers=list(GROUND_TRUTH_READERS), hedge=hedge,
                             ties=ties, seed=seed)
        note = ("reference 'majority': plain majority of the 3 ground-truth readers, WITHOUT "
                "the Other rule; it equals the published labels except for 'Other', which "
                "has no NLP counterpart, so it changes only the readers' 'Other' rows")
    else:
        vote = majority_vote(readers, hedge=hedge, ties=ties, seed=seed)
        note = (f"reference 'majority': majority of every reader of each unit (hedge={hedge}, "
                f"ties={ties}); each reader's own read is part of it, so readers are graded "
                "only against the leave-one-out majority")
    n_none = int((vote.codes < 0).sum())
    if n_none:
        note += f"; {n_none} (unit, finding) without a majority label, excluded"
    return vote.to_ratings("majority"), note


def compare_nlp(dataset: str | Dataset = "all_findings", *,
                reference: Literal["published", "majority"] = "published",
                readers=None, findings=None,
                n_resamples: int = 9999, seed=None, confidence_level: float = 0.95,
                method: Literal["bca", "percentile"] | None = None,
                hedge: Literal["negative", "positive", "missing"] = "negative",
                ties: Literal["random", "negative", "positive", "missing"] = "random",
                p_adjust: str = "holm", mapping=None, clusters=None,
                progress: bool | None = None) -> NLPComparison:
    """The NIH NLP labels and the individual readers against a reference standard.

    For every finding with an NLP counterpart: sensitivity, specificity, PPV, NPV, Cohen's
    kappa, percent agreement and prevalence, with patient-clustered intervals, of

    - the NLP labels against the reference;
    - all-findings only: the two readers outside the ground-truth panel against the reference
      (the ground-truth readers are part of it);
    - every reader against the majority of the *other* readers of each unit (leave-one-out, so
      no reader grades themselves) -- the only reader comparison for four-findings, whose
      published labels were adjudicated from these readers' reads;

    and the paired difference reader minus NLP against the same reference (the reader's
    leave-one-out reference for the second kind), on the units both have labels for, with
    p-values that invert the reported intervals, adjusted across findings. The workflow is
    :func:`adjudicate.compare.compare_raters`; every part uses the same seed.

    Parameters
    ----------
    dataset : {"all_findings", "four_findings"} or Dataset
        ``"all-findings"``/``"four-findings"`` are accepted too.
    reference : {"published", "majority"}
        ``"published"``: the released labels. ``"majority"``: the majority vote of the
        ground-truth readers without the Other rule (all-findings; equal to the published
        labels but for ``Other``) or of all (chosen) readers of each unit (four-findings).
    readers : sequence, optional
        Reader ids of the panel graded (default: all).
    findings : sequence, optional
        Findings to compare (default: all).
    n_resamples : int, default 9999
        Bootstrap replicates (the CLI's ``--bootstrap``).
    seed : int, optional
        The CLI's ``--seed``. Without one, a seed is drawn and recorded in ``settings``.
    confidence_level : float, default 0.95
    method : {None, "bca", "percentile"}
        Interval method (None: cluster-adjusted Wilson for proportions, BCa for kappa).
    hedge : {"negative", "positive", "missing"}
        What a four-findings HEDGE read counts as (readers and votes).
    ties : {"random", "negative", "positive", "missing"}
        Ties of the majority votes (the leave-one-out vote of four-findings readers, with two
        other readers, ties often): a seeded coin flip by default, so the reader graded is
        not favoured (see :func:`~adjudicate.compare.leave_one_out_reference`).
    p_adjust : str, default "holm"
        :func:`statsmodels.stats.multitest.multipletests` method across findings.
    mapping : dict, str or Path, optional
        Override of the NIH mapping (:func:`load_nlp_mapping`).
    clusters : None, "unit", str or array_like
        What is resampled (default: the patients).
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
    from .resample import _fresh_seed

    seed = _fresh_seed(seed)
    panel = ds.ratings
    m = load_nlp_mapping(ds.name, mapping, findings=list(panel.findings))
    nlp = nlp_ratings(ds, mapping)
    if readers is not None or findings is not None:
        panel = panel.select(readers=readers, findings=findings)
        nlp = nlp.select(findings=list(panel.findings))
    ref, ref_note = _reference_standard(ds, panel, reference, hedge, ties, seed)
    if findings is not None:
        ref = ref.select(findings=list(panel.findings))
    outside = None
    if ds.name == "all_findings":
        outside = [r for r in panel.readers if r not in GROUND_TRUTH_READERS]
    res = compare_raters(
        nlp, ref, readers=panel, readers_vs_reference=outside, reference_name=reference,
        hedge=hedge, ties=ties, n_resamples=n_resamples, seed=seed,
        confidence_level=confidence_level, method=method, clusters=clusters,
        p_adjust=p_adjust, no_label_note="no NLP counterpart", progress=progress)
    no_counterpart = [f for f in m.no_counterpart if f in set(panel.findings)]
    notes = (ref_note, *res.notes,
             *(f"{f!r} has no NLP counterpart: its NLP rows are empty (NaN), not zeros. "
               + m.descriptions.get(f, "").removeprefix("No counterpart: ")
               for f in no_counterpart))
    settings = {"dataset": ds.name, **res.settings, "rater_label": "NLP labels",
                "mapping": m.source,
                "readers": [str(r) for r in panel.readers], "findings": list(panel.findings)}
    return NLPComparison(res.table, settings=settings, notes=notes, bootstrap=res.bootstrap,
                         differences=res.differences, mapping=m)
