"""How much a rater's accuracy depends on the reference standard.

:func:`sensitivity_analysis` grades one rater (the NIH NLP labels, a reader, a label table)
against every definition of :mod:`adjudicate.reference.definitions` and returns one tidy
table; :func:`reference_agreement` says how far the definitions are from the published
labels (Cohen's kappa with its interval), and for the all-findings images also how the two
published standards of the same images agree.

One set of bootstrap replicates serves every definition: unit weights ``W`` from
:func:`adjudicate.reference.dawid_skene.replicate_weights` (patients resampled), the 2x2 cells
of every vote-based definition summed as ``W @ cells``, and the latent-class definitions
refitted on the same ``W`` (so their intervals carry the uncertainty of the fit).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ..compare import STATISTICS, accuracy_statistics, confusion_cells
from ..datasets import Dataset, load_dataset
from ..ratings import Ratings, as_ratings
from ..resample import BootstrapResult, _fresh_seed, resolve_clusters
from ..results import TableResult
from ..vote import OtherRule
from .dawid_skene import DawidSkene, replicate_weights
from .definitions import build_definitions
from .soft import soft_auc

__all__ = ["reference_agreement", "sensitivity_analysis"]

_STAT_INDEX = {s: i for i, s in enumerate(STATISTICS)}


# --------------------------------------------------------------------------- inputs
def _dataset(data):
    if isinstance(data, Dataset):
        return data, data.ratings
    if isinstance(data, str):
        ds = load_dataset(data)
        return ds, ds.ratings
    return None, as_ratings(data)


def _rater(rater, ds, ratings: Ratings) -> tuple[Ratings, str, list]:
    """(rater Ratings aligned to the units, its name, readers to exclude from panels)."""
    if isinstance(rater, str) and rater == "nlp":
        if ds is None:
            raise ValueError("rater='nlp' needs a bundled dataset (its NIH Finding Labels)")
        from ..nlp import nlp_ratings

        return nlp_ratings(ds), "nlp", []
    if isinstance(rater, pd.DataFrame):
        table = rater.reindex(index=ratings.units, columns=ratings.findings)
        return Ratings.from_labels(table, reader="rater", categories=("NO", "YES")), "rater", []
    if isinstance(rater, Ratings):
        if rater.n_readers != 1:
            raise ValueError(f"the rater must be one reader, got {rater.n_readers}")
        return rater, str(rater.readers[0]), []
    known = [str(r) for r in ratings.readers]
    if str(rater) not in known:
        raise KeyError(f"rater {rater!r} is neither 'nlp' nor a reader; readers: {known}")
    one = ratings.select(readers=[ratings.readers[known.index(str(rater))]])
    return one, str(rater), [str(rater)]


def _cells(rater: Ratings, reference: Ratings) -> np.ndarray:
    """Hard cells ``(U, F, 4)`` of a one-reader rater against one reference."""
    return confusion_cells(rater, reference, positive="YES")[:, :, 0, :]


def _sides(rater: Ratings, units, findings) -> tuple[np.ndarray, np.ndarray]:
    """Where the rater says YES and NO (U, F), from its cells against an all-YES reference."""
    yes = pd.DataFrame("YES", index=units, columns=findings)
    c = _cells(rater, Ratings.from_labels(yes, categories=("NO", "YES")))
    return c[..., 0].astype(float), c[..., 2].astype(float)


def _soft_cells(says_yes, says_no, p) -> np.ndarray:
    """Expected cells ``(..., 4)`` from the rater's sides and P(YES) (NaN -> no reference)."""
    known = ~np.isnan(p)
    q = np.where(known, p, 0.0)
    r = np.where(known, 1 - p, 0.0)
    return np.stack([says_yes * q, says_yes * r, says_no * q, says_no * r], axis=-1)


def _all_cells(rater, definitions, weights):
    """Point cells ``(D, F, 4)`` and replicate cell sums ``(B, D, F, 4)`` of every definition.

    Vote-based definitions: ``W @ cells``. Latent-class ones: the replicate's own refitted
    posterior (hard: > 0.5), weighted by ``W``; without replicates of the fit (no
    ``replicate_probability_``), the fitted reference is held fixed.
    """
    names = list(definitions)
    first = definitions[names[0]]
    units, findings = first.labels.index, first.labels.columns
    says_yes, says_no = _sides(rater, units, findings)
    point, reps = [], []
    for name in names:
        d = definitions[name]
        if d.model is not None:
            p = d.model.probability_.reindex(index=units, columns=findings).to_numpy()
            if not d.soft:
                p = np.where(np.isnan(p), np.nan, (d.labels.to_numpy() == "YES").astype(float))
            point.append(_soft_cells(says_yes, says_no, p).sum(0))
            if weights is None:
                continue
            rep = d.model.replicate_probability_
            if rep is None:
                reps.append(np.einsum("bu,ufk->bfk", weights, _soft_cells(says_yes, says_no, p)))
                continue
            rep = np.where(np.isnan(p)[None], np.nan, rep.astype(float))
            if not d.soft:
                rep = np.where(np.isnan(rep), np.nan, (rep > 0.5).astype(float))
            known = ~np.isnan(rep)
            q = np.where(known, rep, 0.0)
            wq, wr = np.einsum("bu,buf->buf", weights, q), weights[..., None] * known - 0
            wr = wr - wq  # W * (1 - p) where known
            reps.append(np.stack([
                np.einsum("buf,uf->bf", wq, says_yes), np.einsum("buf,uf->bf", wr, says_yes),
                np.einsum("buf,uf->bf", wq, says_no), np.einsum("buf,uf->bf", wr, says_no),
            ], axis=-1))
        else:
            c = _cells(rater, d.to_ratings()).astype(float)
            point.append(c.sum(0))
            if weights is not None:
                reps.append(np.einsum("bu,ufk->bfk", weights, c))
    point = np.stack(point)
    return point, (np.stack(reps, axis=1) if weights is not None else None)


def _bootstrap(point, reps, seed, design, confidence_level, n_resamples):
    estimate = accuracy_statistics(point, warn=False)
    if reps is None:
        return estimate, None
    dist = accuracy_statistics(reps, warn=False)
    dist.setflags(write=False)
    return estimate, BootstrapResult(
        estimate=estimate, distribution=dist, jackknife=None, method="percentile",
        confidence_level=confidence_level, n_resamples=n_resamples,
        n_clusters=design.n_clusters, seed=seed, clustered=design.clustered)


def _method(n_resamples, design) -> str:
    if not n_resamples:
        return "none"
    return (f"percentile bootstrap, {n_resamples} resamples of {design.label} "
            "(Dawid-Skene refit per replicate)")


def _replicates(ratings, clusters, n_resamples, seed, dawid_skene):
    """The shared bootstrap: (cluster design, unit weights or None, a refitting DS model)."""
    design = resolve_clusters(clusters, ratings, warn=bool(n_resamples), stacklevel=3)
    # the seed's own stream: the replicates of bootstrap_sums, accuracy_table and roc_auc
    # for the same seed and clusters (the package's rule), so their intervals can be compared
    weights = (replicate_weights(design, n_resamples, seed).astype(float)
               if n_resamples else None)
    model = DawidSkene(**{"seed": seed, "clusters": clusters, **(dawid_skene or {}),
                          "keep_replicates": weights is not None})
    return design, weights, model


def _tidy(rater, defs, findings, statistics, weights, *, seed, design, confidence_level,
          n_units=None):
    """Estimates, intervals and the tidy rows (reference, finding, statistic) of a rater."""
    point, reps = _all_cells(rater, defs, weights)
    n_resamples = 0 if weights is None else len(weights)
    estimate, boot = _bootstrap(point, reps, seed, design, confidence_level, n_resamples)
    if boot is not None:
        low, high = (np.asarray(a) for a in boot.confidence_interval())
    else:
        low = high = np.full(estimate.shape, np.nan)
    names = list(defs)
    d, f, s = (a.ravel() for a in np.indices((len(names), len(findings), len(statistics))))
    k = np.asarray([_STAT_INDEX[x] for x in statistics])[s]
    if n_units is None:
        n_units = np.round(point.sum(-1)).astype(int)
    unl = np.array([[defs[n].unlabelled_share().get(fi, np.nan) for fi in findings]
                    for n in names])
    rated = rater.observed[:, 0, :].sum(0)  # units the rater labelled, per finding
    with np.errstate(invalid="ignore", divide="ignore"):
        excluded = np.where(rated > 0, 1 - n_units / rated, np.nan)
    table = pd.DataFrame({
        "finding": np.asarray(findings, dtype=object)[f],
        "rater": str(rater.readers[0]),
        "reference": np.asarray(names, dtype=object)[d],
        "statistic": np.asarray(statistics, dtype=object)[s],
        "estimate": estimate[d, f, k], "ci_low": low[d, f, k], "ci_high": high[d, f, k],
        "n_units": n_units[d, f], "unlabelled_share": unl[d, f],
        "excluded_share": excluded[d, f],
        "method": _method(n_resamples, design), "seed": seed,
    })
    return table, boot


# --------------------------------------------------------------------------- the analysis
def sensitivity_analysis(data, *, rater="nlp", definitions=None,
                         statistics=("sensitivity", "specificity", "kappa"), scores=None,
                         n_resamples: int = 500, seed=None, confidence_level: float = 0.95,
                         clusters=None, dawid_skene: dict | None = None) -> TableResult:
    """A rater's accuracy under every reference definition, in one tidy table.

    Parameters
    ----------
    data : str, Dataset or Ratings
        ``"four_findings"``/``"all_findings"`` (or their dash spellings), a loaded
        :class:`~adjudicate.Dataset` (published labels and NLP labels available), or reads
        of your own (:class:`~adjudicate.Ratings`; no ``"published"`` definition).
    rater : "nlp", reader id, DataFrame or Ratings
        Who is graded: the NIH NLP labels (:func:`adjudicate.nlp_ratings`), one of the
        readers (then left out of every panel and of the latent-class fit, so no reference
        holds the rater's own read; the published labels cannot be rebuilt without them and
        keep them, which the notes say), a units x findings label table, or a one-reader
        ``Ratings``.
    definitions : sequence of str, optional
        Names from :data:`adjudicate.reference.definitions.DEFINITIONS` (default: all that
        apply to the data).
    statistics : sequence of str
        Any of :data:`adjudicate.compare.STATISTICS`.
    scores : DataFrame or ModelScores, optional
        Hook for a model: units x findings scores (``adjudicate.io.scores.read_scores``). Adds ``auc`` rows (expected AUC against
        every definition, :func:`~adjudicate.reference.soft.soft_auc`), with the percentile
        interval of :mod:`adjudicate.evaluate`'s AUC bootstrap on the same replicates for
        every definition but the refitted Dawid-Skene ones (point estimates).
    n_resamples : int, default 500
        Bootstrap replicates (0 = no intervals); the latent-class definitions are refitted
        on every replicate.
    seed : int, optional
        Bootstrap weights, random tie-breaking and the EM starts; drawn and recorded if None.
    confidence_level : float, default 0.95
    clusters : None, "unit", str or array_like
        What the bootstrap resamples (:func:`adjudicate.resample.resolve_clusters`; default the
        patients).
    dawid_skene : dict, optional
        Options of :class:`~adjudicate.reference.DawidSkene` (e.g. ``{"n_starts": 3}``).

    Returns
    -------
    TableResult
        ``.table``: one row per (reference, finding, statistic): ``finding, rater,
        reference, statistic, estimate, ci_low, ci_high, n_units`` (units with both a rater
        label and a reference; for the soft reference, units with reads), ``unlabelled_share``
        (share of all units the definition leaves without a label), ``excluded_share`` (share
        of the units the rater labelled that are left out for want of a reference label: for
        a reader graded against the majority of the two other readers with ties left
        unlabelled, the images where those two disagree), ``method``, ``seed``.
        ``.settings``, ``.notes`` (definitions and what they hold), ``.bootstrap``
        (distribution of shape (n_resamples, definitions, findings, statistics)).
        ``.definitions`` is not kept; build them with
        :func:`~adjudicate.reference.definitions.build_definitions` to inspect decisions.

    Examples
    --------
    >>> r = Ratings.from_array([["YES", "YES", "NO"], ["NO", "YES", "NO"], ["NO", "NO", "NO"],
    ...                         ["YES", "YES", "YES"], ["NO", "YES", "YES"], ["NO", "NO", "YES"]],
    ...                        readers=["a", "b", "c"])
    >>> res = sensitivity_analysis(r, rater="c", n_resamples=0, clusters="unit",
    ...                            definitions=["majority", "ties-positive", "unanimous"])
    >>> res.table.query("statistic == 'sensitivity'")[["reference", "estimate", "n_units"]]
           reference  estimate  n_units
    0       majority       0.5        4
    3  ties-positive       0.5        6
    6      unanimous       0.5        4
    """
    ds, ratings = _dataset(data)
    one, rater_name, exclude = _rater(rater, ds, ratings)
    bad = [s for s in statistics if s not in _STAT_INDEX]
    if bad:
        raise ValueError(f"unknown statistic(s) {bad}; choose from {STATISTICS}")
    seed = _fresh_seed(seed)
    design, weights, model = _replicates(ratings, clusters, n_resamples, seed, dawid_skene)
    all_findings = ds is not None and ds.name == "all_findings"
    defs = build_definitions(
        ratings, published=ds.labels if ds is not None else None, names=definitions,
        exclude_readers=exclude, seed=seed,
        ground_truth_readers=_gt_readers() if all_findings else None,
        other_rule=OtherRule() if all_findings else None, dawid_skene=_Fitter(model, weights))
    names, findings = list(defs), list(ratings.findings)
    one = replace(one, readers=pd.Index([rater_name]))
    table, boot = _tidy(one, defs, findings, list(statistics), weights, seed=seed,
                        design=design, confidence_level=confidence_level,
                        n_units=_n_units(one, defs, ratings))
    if scores is not None:
        scores = getattr(scores, "scores", scores)  # a ModelScores (io.scores) or a DataFrame
        table = pd.concat([table, _auc_rows(scores, defs, findings, rater_name, seed,
                                            design=design, n_resamples=n_resamples,
                                            confidence_level=confidence_level)],
                          ignore_index=True)
    notes = [f"{n}: {defs[n].description}" for n in names]
    if exclude:
        notes.append(f"reader {rater_name} is left out of every panel and of the Dawid-Skene "
                     "fit; the published labels cannot be rebuilt without it"
                     + (" (four findings: it was one of the adjudicating readers)"
                        if ds is not None and ds.name == "four_findings" else ""))
    if ds is not None and rater_name == "nlp":
        notes.extend(one.notes)
    notes.extend(f"reads: {n}" for n in ratings.notes)  # what the parser did
    settings = {"seed": seed, "confidence_level": confidence_level,
                "clusters": design.label, "n_resamples": n_resamples, "method": "percentile",
                "rater": rater_name, "definitions": names,
                "dawid_skene": {"n_starts": model.n_starts, "smoothing": model.smoothing,
                                "hedge": model.hedge}}
    return TableResult(table, settings=settings, notes=tuple(notes), bootstrap=boot)


class _Fitter:
    """A DawidSkene whose ``fit`` refits on the shared bootstrap weights."""

    def __init__(self, model: DawidSkene, weights):
        self.model, self.weights = model, weights

    def fit(self, ratings):
        return self.model.fit(ratings, weights=self.weights)

    def __getattr__(self, name):
        return getattr(self.model, name)


def _gt_readers():
    from ..reproduce import GROUND_TRUTH_READERS

    return GROUND_TRUTH_READERS


def _n_units(rater, defs, ratings) -> np.ndarray:
    """Units with a rater label and a reference (D, F)."""
    rated = rater.observed[:, 0, :]
    out = []
    for d in defs.values():
        ref = (d.probability.notna() if d.soft else d.labels.notna()).to_numpy()
        out.append((rated & ref).sum(0))
    return np.stack(out)


def _auc_rows(scores, defs, findings, rater_name, seed, *, design=None, n_resamples=0,
              confidence_level=0.95) -> pd.DataFrame:
    """AUC of the scores against every definition.

    Label definitions whose labels do not depend on a fit (every one but Dawid-Skene): the
    percentile interval of :mod:`adjudicate.evaluate`'s vectorised AUC bootstrap on the same
    replicates as the 2x2 rows (same seed, same cluster design). The Dawid-Skene references
    are refitted per replicate, which that bootstrap of fixed labels cannot follow: point
    estimates (the soft one the expected AUC, :func:`~adjudicate.reference.soft.soft_auc`).
    """
    from ..evaluate import _bootstrap_auc

    rows = []
    for name, d in defs.items():
        present = [f for f in findings if f in scores.columns]
        s = scores.reindex(index=d.labels.index, columns=present).to_numpy(dtype=float)
        if d.soft:
            p = d.probability[present].to_numpy(dtype=float)
        else:
            lab = d.labels[present]
            p = np.where(lab.isna(), np.nan, (lab == "YES").astype(float))
        low = high = np.full(len(present), np.nan)
        fitted = name.startswith("dawid-skene")
        method = "point estimate (expected AUC)" if d.soft else "point estimate"
        if n_resamples and design is not None and not fitted and len(present):
            boot, _ = _bootstrap_auc(s, p, design, n_resamples=n_resamples, seed=seed,
                                     method="percentile", confidence_level=confidence_level)
            low, high = (np.asarray(a, dtype=float) for a in
                         boot.confidence_interval(confidence_level, method="percentile"))
            method = (f"percentile bootstrap, {n_resamples} resamples of {design.label} "
                      "(the replicates of the other rows)")
        elif n_resamples and fitted:
            method += " (the latent-class reference is refitted per replicate: no AUC interval)"
        for j, f in enumerate(present):
            rows.append({"finding": f, "rater": rater_name, "reference": name,
                         "statistic": "auc", "estimate": soft_auc(s[:, j], p[:, j]),
                         "ci_low": low[j], "ci_high": high[j],
                         "n_units": int((~np.isnan(s[:, j]) & ~np.isnan(p[:, j])).sum()),
                         "unlabelled_share": float(np.isnan(p[:, j]).mean()),
                         "method": method, "seed": seed})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- agreement
_FOUR_FINDINGS_ON_ALL = {"Pneumothorax": "Pneumothorax", "Nodule or Mass": "Nodule/mass"}


def _with_nodule_or_mass(labels: pd.DataFrame) -> pd.DataFrame:
    """Add "Nodule or Mass" (YES if either is YES, NO if both are NO) to all-findings labels."""
    if not {"Nodule", "Mass"} <= set(labels.columns):
        return labels
    n, m = labels["Nodule"], labels["Mass"]
    either = np.where((n == "YES") | (m == "YES"), "YES",
                      np.where((n == "NO") & (m == "NO"), "NO", None))
    return labels.assign(**{"Nodule or Mass": either})


def reference_agreement(data="four_findings", *, definitions=None, n_resamples: int = 500,
                        seed=None, confidence_level: float = 0.95, clusters=None,
                        dawid_skene: dict | None = None) -> TableResult:
    """Agreement of every reference definition with the published labels (Cohen's kappa).

    Parameters
    ----------
    data : str or Dataset
        A bundled dataset (it has published labels).
    definitions, n_resamples, seed, confidence_level, clusters, dawid_skene
        As in :func:`sensitivity_analysis`.

    Returns
    -------
    TableResult
        One row per (reference, finding, statistic) for ``kappa`` and ``percent_agreement``
        of the definition against the published labels, with ``n_units`` (units both
        label), ``unlabelled_share``. For the all-findings images, also the finding
        ``"Nodule or Mass"`` (YES if Nodule or Mass is YES) and the reference
        ``"four-findings-adjudicated"``: the adjudicated four-findings labels of the same
        810 images (Pneumothorax, and Nodule/mass against Nodule or Mass), so the two
        published standards of the same images are compared.

    Examples
    --------
    >>> res = reference_agreement("all_findings", definitions=["majority-ground-truth"],
    ...                           n_resamples=0)
    >>> k = res.table.query("statistic == 'kappa'").set_index(["reference", "finding"]).estimate
    >>> float(k["majority-ground-truth"].min())      # reproduces the published labels
    1.0
    >>> k["four-findings-adjudicated"].round(3).to_dict()   # two standards, same images
    {'Pneumothorax': 0.743, 'Nodule or Mass': 0.704}
    """
    ds, ratings = _dataset(data)
    if ds is None:
        raise ValueError("reference_agreement needs a bundled dataset (published labels)")
    seed = _fresh_seed(seed)
    all_findings = ds.name == "all_findings"
    design, weights, model = _replicates(ratings, clusters, n_resamples, seed, dawid_skene)
    names = definitions if definitions is not None else None
    defs = build_definitions(
        ratings, published=ds.labels, names=names, seed=seed,
        ground_truth_readers=_gt_readers() if all_findings else None,
        other_rule=OtherRule() if all_findings else None, dawid_skene=_Fitter(model, weights))
    defs.pop("published", None)
    published = ds.labels
    if all_findings:
        published = _with_nodule_or_mass(published)
        four = load_dataset("four_findings").labels
        shared = ratings.units.intersection(four.index)
        if len(shared) != ratings.n_units:
            raise ValueError(f"only {len(shared)} of {ratings.n_units} all-findings images "
                             "are in the four-findings data")
        ff = pd.DataFrame(None, index=ratings.units, columns=published.columns, dtype=object)
        for mine, theirs in _FOUR_FINDINGS_ON_ALL.items():
            ff[mine] = four.loc[ratings.units, theirs].to_numpy()
        from .definitions import ReferenceDefinition

        dec = ff.stack(future_stack=True).rename("label").reset_index()
        dec.columns = ["unit", "finding", "label"]
        dec["rule"] = np.where(dec["label"].isna(), "no four-findings counterpart",
                               "four-findings adjudicated")
        defs = {k: _extend(v) for k, v in defs.items()}
        defs["four-findings-adjudicated"] = ReferenceDefinition(
            "four-findings-adjudicated", "The adjudicated four-findings labels of the same "
            "images (Majkowska et al. 2019): Pneumothorax, and Nodule/mass as Nodule or Mass.",
            ff, dec, policy={"source": "four-findings test_labels.csv"})
    findings = pd.Index(published.columns)
    pub = Ratings.from_labels(published.reindex(ratings.units).astype(object)
                              .where(published.reindex(ratings.units).notna(), None),
                              reader="published", categories=("NO", "YES"))
    names = list(defs)
    table, boot = _tidy(pub, defs, findings, ["kappa", "percent_agreement"], weights,
                        seed=seed, design=design, confidence_level=confidence_level)
    table = table[table["n_units"] > 0].reset_index(drop=True)
    notes = [f"{n}: {defs[n].description}" for n in names]
    notes.extend(f"reads: {n}" for n in ratings.notes)  # what the parser did
    settings = {"seed": seed, "confidence_level": confidence_level, "clusters": design.label,
                "n_resamples": n_resamples, "method": "percentile", "definitions": names}
    return TableResult(table, settings=settings, notes=tuple(notes), bootstrap=boot)


def _extend(d):
    """A definition of the all-findings data with the derived "Nodule or Mass" column."""
    labels = _with_nodule_or_mass(d.labels)
    prob = d.probability
    if prob is not None:
        # P(Nodule or Mass) is not a function of the two marginals: no soft value
        prob = prob.assign(**{"Nodule or Mass": np.nan})
    model = d.model
    if model is not None:
        model = _Extended(model)
    return replace(d, labels=labels, probability=prob, model=model)


class _Extended:
    """A fitted model seen with one more (unknown) finding column, "Nodule or Mass"."""

    def __init__(self, model):
        self._m = model
        self.probability_ = model.probability_.assign(**{"Nodule or Mass": np.nan})
        rep = model.replicate_probability_
        self.replicate_probability_ = None if rep is None else np.concatenate(
            [rep, np.full(rep.shape[:2] + (1,), np.nan, rep.dtype)], axis=2)

    def __getattr__(self, name):
        return getattr(self._m, name)
