"""One self-contained HTML report of a reader study, and the same tables as CSV.

Three steps, kept apart so that the report renders results and never recomputes them:

1. :func:`report_settings` -- every option that changes a number (reader panel, HEDGE and tie
   policies, resamples, the seed -- drawn and recorded when not given --, confidence level,
   clustering), plus the package and dependency versions and the SHA-256 of every input file.
   Saved as ``settings.json``; ``adjudicate report --settings settings.json`` reruns it.
2. :func:`collect_results` -- calls the public API once per section (audit, reproduction,
   agreement, pairwise kappa, readers and NLP labels against the reference, the model when
   scores are given and the package can evaluate them) and keeps what comes back.
3. :func:`render_html` / :func:`write_report` -- tables and figures from those results: one
   HTML file (figures embedded as base64 PNG; no network needed), the CSVs and the settings.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import html
import inspect
import io
import json
import platform
import warnings
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from . import figures as _figures
from .tables import _frame, audit_frames, format_frame, wide_table

__all__ = ["DEFAULT_RESAMPLES", "ReportResults", "build_report", "collect_results",
           "render_html", "report_settings", "write_report"]

DEFAULT_RESAMPLES = 500
"""Bootstrap replicates of the report by default: enough for a first look in seconds; use
``n_resamples=2000`` or more (CLI ``--bootstrap``) for the numbers of a paper."""

DATASETS = ("all-findings", "four-findings")
_AGREEMENT_FIGURE = ("fleiss_kappa", "gwet_ac1", "krippendorff_alpha")
SENSITIVITY_RESAMPLES = 40
"""Bootstrap replicates of the reference-definition section by default. Every replicate refits
the latent-class reference (one EM start): 40 replicates take about 9 s on the all-findings
data (5 s on four-findings), the report's 500 would take about 80 s. Rough intervals, said so
in the section; ``sensitivity_resamples`` (CLI ``--sensitivity-bootstrap``) asks for more."""


# --------------------------------------------------------------------------- settings
def _sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _dependencies() -> list[str]:
    """The runtime dependencies adjudicate declares (``[project] dependencies`` of
    pyproject.toml, as its package metadata holds them), names only: extras (test, docs,
    parquet) left out."""
    import re

    try:
        requires = metadata.requires("adjudicate") or []
    except metadata.PackageNotFoundError:  # a checkout that was never installed
        import tomllib

        pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
        if not pyproject.is_file():
            return []
        with open(pyproject, "rb") as f:
            requires = tomllib.load(f)["project"]["dependencies"]
    return [re.match(r"[A-Za-z0-9._-]+", r.strip()).group(0) for r in requires
            if "extra" not in r.partition(";")[2]]


def _versions() -> dict:
    import adjudicate

    out = {"adjudicate": adjudicate.__version__, "python": platform.python_version()}
    for name in _dependencies():
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _input_files(source: str, scores) -> dict:
    """Every file the numbers come from -> its SHA-256."""
    import adjudicate as adj

    if source in DATASETS:
        name = source.replace("-", "_")
        roles = ("readers", "labels") if name == "all_findings" else (
            "readers", "test_labels", "validation_labels")
        paths = [adj.dataset_path(name, r) for r in roles]
        if name == "all_findings":  # the NIH metadata and NLP labels come from here
            paths.append(adj.dataset_path("four_findings", "test_labels"))
    else:
        paths = [Path(source)]
    paths += [Path(s) for s in scores]
    return {str(p): _sha256(p) for p in paths}


def _draw_seed() -> int:
    from ..resample import _fresh_seed

    return int(_fresh_seed(None) % (2**32))


def report_settings(source: str = "all-findings", *, scores=(), readers=None,
                    hedge: str = "category", vote_hedge: str = "negative",
                    ties: str | None = None, n_resamples: int = DEFAULT_RESAMPLES,
                    seed: int | None = None, confidence_level: float = 0.95,
                    method: str = "bca", clusters: str = "patient", sensitivity: bool = True,
                    sensitivity_resamples: int = SENSITIVITY_RESAMPLES) -> dict:
    """Every option of a report, the seed drawn when none is given, versions and file hashes.

    Parameters
    ----------
    source : {"all-findings", "four-findings"} or path
        A bundled dataset, or a reader-study file of your own: an NIH individual-readers
        file or any long or wide table of reads (:func:`adjudicate.read_ratings`).
    scores : sequence of path, optional
        Model score files (the model section).
    readers : sequence of str, optional
        The reader panel (default: every reader).
    hedge : {"category", "negative", "positive", "missing"}
        HEDGE in the agreement statistics.
    vote_hedge : str
        HEDGE in votes and in the comparison with the reference.
    ties : str, optional
        Tie policy of the votes. Default: each function's own default (recorded in
        ``ties_defaults``; e.g. leave-one-out ties broken at random, with the seed).
    n_resamples : int
        Bootstrap replicates.
    seed : int, optional
        Drawn, and recorded, when not given.
    confidence_level : float
    method : {"bca", "percentile"}
    clusters : {"patient", "unit"}
        Resample patients (images of one patient together) or images.
    sensitivity : bool, default True
        The section "How much the conclusions depend on the reference standard"
        (:func:`adjudicate.sensitivity_analysis` of the NLP labels; bundled datasets only).
        CLI ``--no-sensitivity`` leaves it out.
    sensitivity_resamples : int, default :data:`SENSITIVITY_RESAMPLES`
        Its bootstrap replicates (the latent-class reference is refitted on each, with one
        EM start); 0 = point estimates only.

    Returns
    -------
    dict
        JSON-able; :func:`collect_results` takes it, ``settings.json`` holds it.

    Examples
    --------
    >>> s = report_settings("all-findings", seed=3)
    >>> s["seed"], s["n_resamples"], s["clusters"], len(s["input_sha256"])
    (3, 500, 'patient', 3)
    >>> isinstance(report_settings()["seed"], int)   # drawn and recorded
    True
    """
    import adjudicate as adj

    if source not in DATASETS and not Path(source).is_file():
        raise FileNotFoundError(f"{source}: no such file (or a dataset: {', '.join(DATASETS)})")
    if clusters not in ("patient", "unit"):
        raise ValueError(f"clusters must be 'patient' or 'unit', got {clusters!r}")
    if not 0 < confidence_level < 1:
        raise ValueError(f"confidence_level must lie in (0, 1), got {confidence_level}")
    if int(n_resamples) < 1:
        raise ValueError("n_resamples must be a positive number of replicates")
    defaults = {fn.__name__: inspect.signature(fn).parameters["ties"].default
                for fn in (adj.compare_four_findings, adj.compare_nlp, adj.accuracy_table)
                if "ties" in inspect.signature(fn).parameters}
    return {
        "source": str(source), "scores": [str(s) for s in scores],
        "readers": None if readers is None else [str(r) for r in readers],
        "hedge": hedge, "vote_hedge": vote_hedge, "ties": ties,
        "ties_defaults": None if ties is not None else defaults,
        "n_resamples": int(n_resamples),
        "seed": _draw_seed() if seed is None else int(seed),
        "seed_given": seed is not None,
        "confidence_level": float(confidence_level), "method": method, "clusters": clusters,
        "sensitivity": bool(sensitivity),
        "sensitivity_options": {"rater": "nlp", "n_resamples": int(sensitivity_resamples),
                                "dawid_skene": {"n_starts": 1}},
        "versions": _versions(), "input_sha256": _input_files(str(source), scores),
        "created": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


# --------------------------------------------------------------------------- results
def _call(fn, *args, _notes: list | None = None, **kwargs):
    """Call a public function with the options it takes (names changed between versions:
    ``level`` -> ``confidence_level``; ``clusters`` "patient" -> None = the data's own)."""
    params = inspect.signature(fn).parameters
    if "confidence_level" in kwargs and "confidence_level" not in params and "level" in params:
        kwargs["level"] = kwargs.pop("confidence_level")
    if "clusters" in kwargs and "clusters" in params:
        default = params["clusters"].default
        if kwargs["clusters"] == "patient" and default in (None, "patients"):
            kwargs["clusters"] = default  # None = the clusters the data carry (patients)
        elif kwargs["clusters"] == "unit" and default == "patients":
            kwargs["clusters"] = None  # the older spelling of independent units
    # (every function resamples patients when it takes no clusters option: not worth a note)
    dropped = {k: v for k, v in kwargs.items() if k not in params
               and not (k == "clusters" and v == "patient")}
    if _notes is not None and dropped:  # said, not silently ignored
        _notes.append(f"{fn.__name__} takes no option "
                      + ", ".join(f"{k}={v!r}" for k, v in dropped.items())
                      + ": its own behaviour applies (see its documentation)")
    return fn(*args, **{k: v for k, v in kwargs.items() if k in params})


def _ties(s: dict, fn) -> dict:
    """``ties=`` of ``fn``: the settings' policy, else the default recorded for ``fn`` (so a
    rerun from settings.json uses the same policy even if a default changed since)."""
    ties = s.get("ties") or (s.get("ties_defaults") or {}).get(fn.__name__)
    return {} if ties is None else {"ties": ties}


@dataclass
class ReportResults:
    """What the report shows, as the public API returned it (nothing recomputed later).

    Attributes
    ----------
    settings : dict
        :func:`report_settings`.
    audits : list of AuditReport
    reproduction : DataFrame or None
        The published-vs-rebuilt comparison (bundled datasets).
    agreement : TableResult or DataFrame
    pairs : DataFrame
        Pairwise Cohen's kappa (tidy).
    comparison : object or None
        Readers (and NLP labels) against the reference: an ``NLPComparison`` for the
        bundled data, a tidy accuracy table against the leave-one-out majority otherwise.
    model : list of ModelResults or None
    sensitivity : TableResult or None
        :func:`adjudicate.sensitivity_analysis` of the NLP labels across reference
        definitions (bundled datasets, unless ``settings["sensitivity"]`` is False).
    notes : dict of str to list of str
        Per section, what the reader of the report must know (what was skipped and why).
    """

    settings: dict
    audits: list = field(default_factory=list)
    reproduction: pd.DataFrame | None = None
    reproduction_text: str = ""
    agreement: object = None
    pairs: pd.DataFrame | None = None
    comparison: object = None
    model: object = None
    sensitivity: object = None
    notes: dict = field(default_factory=dict)


def collect_results(settings: dict) -> ReportResults:
    """Run every analysis of the report with exactly ``settings``, through the public API.

    Examples
    --------
    >>> s = report_settings("all-findings", seed=1, n_resamples=40)
    >>> res = collect_results(s)
    >>> int(res.reproduction["n_mismatch"].sum()), sorted(set(res.pairs["finding"]))[:2]
    (0, ['Abnormal', 'Atelectasis'])
    """
    import adjudicate as adj

    s = settings
    res = ReportResults(settings=s, notes={k: [] for k in
                                           ("audit", "reproduction", "agreement",
                                            "comparison", "model", "sensitivity")})
    now = {k: v for k, v in _input_files(s["source"], s["scores"]).items()}
    changed = [p for p, h in s["input_sha256"].items() if now.get(p) != h]
    if changed:
        raise ValueError(f"input files changed since the settings were written: {changed}")
    boot = {"n_resamples": s["n_resamples"], "seed": s["seed"], "method": s["method"],
                "confidence_level": s["confidence_level"], "clusters": s["clusters"]}
    bundled = s["source"] in DATASETS
    name = s["source"].replace("-", "_")
    if bundled:
        ds = adj.load_dataset(name)
        ratings, readers_file = ds.ratings, adj.dataset_path(name, "readers")
    else:  # any reader study (long or wide, CSV or Parquet; NIH files by their format)
        ds = None
        ratings = adj.read_ratings(s["source"], require_reader=True)
        nih = str(getattr(ratings.report, "format", "")).startswith("nih_")
        readers_file = s["source"] if nih else ratings  # the NIH audit checks the file
    res.audits = [adj.audit(readers_file)]
    if s["readers"]:
        ratings = ratings.select(readers=s["readers"])
        res.notes["agreement"].append(f"reader panel: {', '.join(s['readers'])}")

    # reproduction of the published reference standard
    if name == "all_findings":
        published = adj.io.read_labels(adj.dataset_path(name, "labels")).labels
        ours = adj.reproduce_all_findings(ds)
        from ..io import read_table
        pub = read_table(adj.dataset_path(name, "labels"), kind="labels").data
        res.reproduction = adj.compare_label_tables(ours, pub)
        total = int(res.reproduction["n_mismatch"].fillna(0).sum())
        res.reproduction_text = (
            f"Majority vote of the ground-truth readers {', '.join(adj.GROUND_TRUTH_READERS)} "
            f"with the Other rule, {len(ours)} images x {published.shape[1]} columns: "
            + ("identical to the published test_labels.csv, cell for cell." if total == 0
               else f"{total} cells differ from the published labels."))
    elif name == "four_findings":
        c = _call(adj.compare_four_findings, ds, _notes=res.notes["reproduction"],
                  hedge=s["vote_hedge"], **_ties(s, adj.compare_four_findings),
                  seed=s["seed"])
        res.reproduction = c.table
        res.reproduction_text = (
            "Majority vote of the initial reads against the adjudicated labels (the published "
            f"labels were adjudicated, so they are not expected to equal a vote); policies "
            f"{json.dumps({k: v for k, v in c.policy.items() if k != 'readers'})}.")
    else:
        res.notes["reproduction"].append("no published reference standard for this file: "
                                         "nothing to reproduce")

    # agreement with intervals; the pairwise matrix of the same HEDGE view
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res.agreement = _call(adj.agreement_table, ratings, _notes=res.notes["agreement"],
                              hedge=s["hedge"],
                              ci="bootstrap", **boot)
        view, _ = adj.agreement.hedge_view(ratings, s["hedge"])
        res.pairs = adj.pairwise_kappa(view, tidy=True).dropna(subset=["kappa"])
    res.notes["agreement"] += sorted({str(w.message) for w in caught})

    # readers (and the NLP labels) against the reference: proportions keep the package's
    # default interval (cluster-adjusted Wilson; the bootstrap under-covers at small counts,
    # docs/coverage.md), kappa the BCa bootstrap: each statistic's default (method=None)
    compare_boot = {**boot, "method": None}
    res.notes["comparison"].append(
        "intervals: cluster-adjusted Wilson for proportions (sensitivity, specificity, PPV, "
        "NPV, agreement, prevalence), BCa bootstrap for kappa (each statistic's default, "
        "method=None; the method column of comparison.csv says which each row got)")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if bundled:
            if s["readers"]:
                res.notes["comparison"].append(
                    "the reader panel applies to agreement; compare_nlp grades every reader "
                    "of the dataset")
            res.comparison = _call(adj.compare_nlp, name, _notes=res.notes["comparison"],
                                   hedge=s["vote_hedge"],
                                   **_ties(s, adj.compare_nlp), **compare_boot)
        else:
            res.comparison = _call(adj.accuracy_table, ratings, "leave-one-out",
                                   _notes=res.notes["comparison"],
                                   hedge=s["vote_hedge"], **_ties(s, adj.accuracy_table),
                                   **compare_boot)
            res.notes["comparison"].append(
                "no reference standard given with the file: every reader against the "
                "majority of the other readers of each image (leave-one-out)")
    res.notes["comparison"] += sorted({str(w.message) for w in caught})

    # the NLP labels under every reference definition
    _collect_sensitivity(res, s, ds if bundled else None)

    # the model (when scores are given and the package can evaluate them)
    if s["scores"]:
        _collect_model(res, s, ds if bundled else None, compare_boot)
    return res


def _collect_sensitivity(res: ReportResults, s: dict, ds) -> None:
    """The reference-definition section: sensitivity_analysis of the NLP labels."""
    import adjudicate as adj

    if not s.get("sensitivity", True):
        res.notes["sensitivity"].append("left out on request (--no-sensitivity)")
        return
    if ds is None:
        res.notes["sensitivity"].append(
            "needs the published labels and the NLP labels of a bundled dataset; for your "
            "own data run adjudicate sensitivity FILE --rater READER_ID")
        return
    opts = s.get("sensitivity_options") or {"rater": "nlp", "n_resamples": SENSITIVITY_RESAMPLES,
                                            "dawid_skene": {"n_starts": 1}}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res.sensitivity = _call(adj.sensitivity_analysis, ds, _notes=res.notes["sensitivity"],
                                seed=s["seed"], confidence_level=s["confidence_level"],
                                clusters=s["clusters"], **opts)
    res.notes["sensitivity"] += sorted({str(w.message) for w in caught})


@dataclass
class ModelResults:
    """One model's evaluation (:func:`adjudicate.evaluate_model`) and its ROC curves.

    ``curves``: ``model, finding, fpr, tpr, auc`` (from :func:`adjudicate.roc_curve` on the
    same scores and reference labels), in the layout :func:`~adjudicate.report.roc_plot`
    takes.
    """

    evaluation: object
    curves: pd.DataFrame | None = None
    name: str = "model"


def _collect_model(res: ReportResults, s: dict, ds, boot: dict) -> None:
    """The model section: evaluate_model against the published labels, readers matched."""
    import adjudicate as adj

    evaluate = getattr(adj, "evaluate_model", None)
    if evaluate is None:
        res.notes["model"].append("scores given, but this version of adjudicate has no "
                                  "evaluate_model: model section skipped")
        return
    if not ds:
        res.notes["model"].append("the model section needs reference labels: it runs on a "
                                  "bundled dataset (for your own data: adjudicate evaluate)")
        return
    res.model = []
    res.notes["model"].append(
        "intervals: each statistic's default (evaluate_model, method=None): cluster-adjusted "
        "Wilson for the readers' and the model's sensitivity and specificity, BCa bootstrap "
        "for the AUC and the model-minus-reader differences")
    for path in s["scores"]:
        try:
            evaluation = _call(evaluate, path, "published", _notes=res.notes["model"],
                               dataset=ds.name,
                               match_readers=True, **boot)
        except (TypeError, ValueError, KeyError) as e:
            res.notes["model"].append(f"{path}: evaluate_model failed: {e}")
            continue
        curves, name = None, Path(path).stem
        try:
            scores = adj.read_scores(path)
            name = getattr(scores, "name", name)
            table = getattr(evaluation, "table", evaluation)
            auc = table[(table["statistic"] == "auc")
                        & (table.get("rater", name) == name)].set_index("finding")["estimate"]
            parts = []
            for finding in scores.findings:
                frame = scores.scores[finding]
                labels = ds.labels[finding].reindex(frame.index)
                c = adj.roc_curve(frame.to_numpy(float), labels.to_numpy(object))
                parts.append(c[["fpr", "tpr"]].assign(model=name, finding=finding,
                                                      auc=auc.get(finding, np.nan)))
            curves = pd.concat(parts, ignore_index=True)
        except (AttributeError, TypeError, ValueError, KeyError) as e:
            res.notes["model"].append(f"{path}: no ROC curves ({e})")
        res.model.append(ModelResults(evaluation, curves, name))


# --------------------------------------------------------------------------- rendering
_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:62rem;
margin:2rem auto;padding:0 1rem;color:#222;line-height:1.45;font-size:15px}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;border-bottom:1px solid #ddd;
padding-bottom:.2rem;margin-top:2.2rem}h3{font-size:1.05rem;margin-top:1.4rem}
.wrap{overflow-x:auto;margin:.5rem 0 1rem}
table{border-collapse:collapse;font-size:12.5px;font-variant-numeric:tabular-nums}
th,td{padding:.2rem .55rem;border-bottom:1px solid #e5e5e5;text-align:left;white-space:nowrap}
th{background:#f6f6f6}
figure{margin:1rem 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:13px;color:#555}.note{color:#555;font-size:13px}
.todo{color:#a33}.done{color:#262}nav ol{columns:2;font-size:14px}
code,pre{background:#f4f4f4;padding:.1rem .3rem;border-radius:3px;font-size:13px}
pre{padding:.6rem;overflow-x:auto}.text td{white-space:normal;min-width:9rem}
summary{cursor:pointer;color:#225;margin:.4rem 0}
"""


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, bbox_inches="tight", pad_inches=0.05)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _figure(fig, caption: str, alt: str) -> str:
    return (f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{_png(fig)}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def _table(frame: pd.DataFrame, index: bool = False, *, text: bool = False,
           fold: int = 40) -> str:
    """A table; ``text``: cells wrap (prose); longer than ``fold`` rows: folded (click)."""
    body = (f'<div class="wrap{" text" if text else ""}">'
            f'{format_frame(frame, "html", index=index)}</div>')
    if len(frame) > fold:
        body = (f"<details><summary>{len(frame)} rows (click to show; the same table is "
                f"in the CSV files)</summary>{body}</details>")
    return body


def _notes(notes) -> str:
    return "".join(f'<p class="note">Note: {html.escape(str(n))}</p>' for n in notes)


def _p(text: str) -> str:
    return f"<p>{html.escape(text)}</p>"


def _settings_rows(s: dict) -> pd.DataFrame:
    rows = [("source", s["source"]), ("reader panel", ", ".join(s["readers"]) if s["readers"]
                                      else "all readers"),
            ("HEDGE in agreement", s["hedge"]), ("HEDGE in votes and comparisons",
                                                  s["vote_hedge"]),
            ("ties of votes", s["ties"] or "each function's default: " + ", ".join(
                f"{k} {v}" for k, v in (s.get("ties_defaults") or {}).items())),
            ("bootstrap resamples", s["n_resamples"]),
            ("seed", f"{s['seed']}" + ("" if s["seed_given"] else " (drawn, not given)")),
            ("confidence level", s["confidence_level"]), ("interval method", s["method"]),
            ("resampled (clusters)", "patients" if s["clusters"] == "patient" else "images"),
            ("reference-definition section",
             (f"NLP labels, {s['sensitivity_options']['n_resamples']} resamples, Dawid-Skene "
              f"{json.dumps(s['sensitivity_options']['dawid_skene'])}"
              if s.get("sensitivity", True) and s.get("sensitivity_options") else
              "left out" if not s.get("sensitivity", True) else "default options")),
            ("model score files", ", ".join(s["scores"]) or "none"),
            ("created", s["created"])]
    rows += [(f"version of {k}", v) for k, v in s["versions"].items()]
    rows += [(f"SHA-256 of {Path(p).parent.name}/{Path(p).name}", h)
             for p, h in s["input_sha256"].items()]
    return pd.DataFrame(rows, columns=["setting", "value"])


def _comparison_frames(results: ReportResults):
    """(tidy accuracy rows, reference name) of the comparison section."""
    comp = results.comparison
    table = _frame(comp)
    ref = comp.reference if isinstance(getattr(comp, "reference", None), str) else (
        str(table["reference"].iloc[0]) if "reference" in table and len(table) else "")
    return table, ref


def _checklist(results: ReportResults) -> pd.DataFrame:
    """GRRAS (Kottner et al. 2011) and STARD 2015 items: what the software can fill."""
    s = results.settings
    a = _frame(results.agreement)
    au = results.audits[0].summary if results.audits else {}
    n_units, n_readers = au.get("units"), au.get("readers")
    clusters = "patients" if s["clusters"] == "patient" else "images"
    stats = ", ".join(pd.unique(a["statistic"])) if len(a) else "none"
    ci = (f"{s['confidence_level']:.0%} {s['method']} bootstrap intervals, {s['n_resamples']} "
          f"resamples of {clusters}, seed {s['seed']}")
    todo = "to be completed by the authors"
    table, ref = _comparison_frames(results)
    cells = {c for c in ("tp", "fp", "fn", "tn") if c in table}
    grras = [
        ("GRRAS 1", "Title/abstract: reliability or agreement investigated", todo),
        ("GRRAS 2", "Measurement device of interest", f"findings rated: "
         f"{', '.join(pd.unique(a['finding']))}; " + todo),
        ("GRRAS 3", "Subject population", f"{n_units} images of {au.get('patients')} "
         "patients in the file; population: " + todo),
        ("GRRAS 4", "Rater population", f"{n_readers} readers in the file; who they are: "
         + todo),
        ("GRRAS 5", "What is known about reliability", todo),
        ("GRRAS 6", "Sample size: raters, subjects, replicates",
         f"{n_readers} readers, {n_units} images, reads per image "
         f"{results.audits[0].reads_per_unit if results.audits else '?'} (distinct readers: "
         "images); how it was chosen: " + todo),
        ("GRRAS 7", "Sampling method", todo),
        ("GRRAS 8", "Rating process (blinding, information available)", todo),
        ("GRRAS 9", "Ratings made independently?", todo),
        ("GRRAS 10", "Statistical analysis", f"statistics: {stats}; HEDGE: {s['hedge']}; "
         + ci),
        ("GRRAS 11", "Actual numbers of raters, subjects, replicates",
         "per finding in the agreement table (n_units: images read at least twice)"),
        ("GRRAS 12", "Sample characteristics of raters and subjects", todo),
        ("GRRAS 13", "Estimates with their uncertainty", "Agreement section: " + ci),
        ("GRRAS 14", "Practical relevance", todo),
        ("GRRAS 15", "Detailed results", "every table as CSV beside this report"),
    ]
    stard = [
        ("STARD 1-9", "Title, abstract, background, design, participants, setting", todo),
        ("STARD 10a", "Index test", "readers' reads and NLP labels as given; " + todo),
        ("STARD 10b", "Reference standard", f"reference '{ref}' (see the notes of the "
         "comparison section); " + todo),
        ("STARD 11", "Rationale for the reference standard", todo),
        ("STARD 12a/b", "Positivity: definition and cut-off",
         f"a read is positive when YES; HEDGE in votes and comparisons: {s['vote_hedge']}; "
         "model thresholds: " + todo),
        ("STARD 13a/b", "Information available to index test and reference readers", todo),
        ("STARD 14", "Methods for estimating accuracy", "sensitivity, specificity, PPV, NPV, "
         "kappa, agreement, prevalence; " + ci + "; Wilson intervals in the CSV"),
        ("STARD 15", "Indeterminate results", (f"HEDGE reads: {s['vote_hedge']}; tied votes: "
         f"{s['ties'] or s.get('ties_defaults')} (counted in n_excluded)")),
        ("STARD 16", "Missing data", ("reads not made are missing, never NO; images without "
         "a label on one side are excluded and counted (n_excluded); see the audit")),
        ("STARD 17", "Analyses of variability", "per finding and per reader, leave-one-out; "
         "pre-specified or exploratory: " + todo),
        ("STARD 18", "Intended sample size", todo),
        ("STARD 19", "Flow of participants", f"{n_units} images in the file; counts per "
         "finding (n_units, n_excluded) in the comparison CSV; a diagram: " + todo),
        ("STARD 20-22", "Characteristics, severity, interval between tests", todo),
        ("STARD 23", "Cross tabulation of index test by reference",
         "tp, fp, fn, tn per rater and finding in comparison.csv" if cells == {"tp", "fp",
                                                                              "fn", "tn"}
         else todo),
        ("STARD 24", "Estimates of accuracy with 95% CIs", "Comparison section: " + ci),
        ("STARD 25-30", ("Adverse events, limitations, implications, registration, protocol, "
         "funding"), todo),
    ]
    return pd.DataFrame(grras + stard, columns=["item", "what", "filled by adjudicate"])


def _roc_grid(m: ModelResults, table: pd.DataFrame, most: int = 4):
    """ROC curves of up to ``most`` findings (those with reader points first), 2 per row."""
    findings = list(pd.unique(m.curves["finding"]))
    readers = table[(table.get("rater", m.name) != m.name)
                    & table["statistic"].isin(["sensitivity", "specificity"])]
    with_readers = [f for f in findings if f in set(readers["finding"])]
    chosen = (with_readers + [f for f in findings if f not in with_readers])[:most]
    ncols = min(2, len(chosen))
    nrows = -(-len(chosen) // ncols)
    fig = _figures._figure(_figures.PAGE_WIDTH * ncols / 2, _figures.PAGE_WIDTH / 2 * nrows)
    axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    for ax, finding in zip(axes, chosen):
        pts = readers[readers["finding"] == finding]
        _figures.roc_plot(m.curves[m.curves["finding"] == finding],
                          pts if len(pts) else None, title=finding, ax=ax)
    for ax in axes[len(chosen):]:
        ax.set_visible(False)
    return fig


def _sections(results: ReportResults) -> list[tuple[str, str, str]]:
    """(anchor, title, body HTML) of each section."""
    s = results.settings
    level = f"{s['confidence_level']:.0%}"
    out = []
    # settings
    rerun = "adjudicate report --settings settings.json --out DIR"
    body = (_p("Every number below was produced with exactly these settings; settings.json "
               "beside this file holds them, and rerunning") + f"<pre>{html.escape(rerun)}</pre>"
            + _p("gives the same numbers (the input files are checked against their "
                 "SHA-256 first).") + _table(_settings_rows(s)))
    out.append(("settings", "Settings and reproducibility", body))
    # audit
    body = ""
    for rep in results.audits:
        body += f"<h3>{html.escape(str(rep.file))}</h3>"
        for title, frame in audit_frames(rep).items():
            body += f"<h4>{html.escape(title)}</h4>" + _table(frame)
    out.append(("audit", "Data audit", body + _notes(results.notes.get("audit", []))))
    # reproduction
    body = _p(results.reproduction_text) if results.reproduction_text else ""
    if results.reproduction is not None:
        body += _table(results.reproduction.round(4))
    out.append(("reproduction", "Reproduction of the published reference standard",
                body + _notes(results.notes.get("reproduction", []))))
    # agreement
    a = _frame(results.agreement)
    method = ", ".join(pd.unique(a["method"])) if len(a) else ""
    body = _p(f"Cells: estimate ({level} interval: {method}). n = images read at least "
              "twice.") + _table(wide_table(a, n_units=True, digits=3), index=True)
    shown = [st for st in _AGREEMENT_FIGURE if st in set(a["statistic"])]
    if shown:
        fig = _figures.forest_plot(a, statistic=shown)
        body += _figure(fig, f"Agreement with {level} intervals, per finding.",
                        "forest plot of agreement statistics")
    if results.pairs is not None and len(results.pairs):
        readers = pd.unique(pd.concat([results.pairs["rater_1"], results.pairs["rater_2"]]))
        labels = dict(zip(readers, _figures._short_labels(readers)))
        fig = _figures.kappa_heatmap(results.pairs)
        key = "; ".join(f"{v} = {k}" for k, v in labels.items() if v != k)
        shared = ("and the images both read (above)." if len(readers) <= 8 else
                  "(blank: pairs that read no image in common; the images each pair shared "
                  "are in pairwise_kappa.csv).")
        body += _figure(fig, "Cohen's kappa of every pair of readers (below the diagonal) "
                        + shared + (f" Readers: {key}." if key else ""),
                        "reader by reader kappa heatmaps")
    out.append(("agreement", "Agreement with intervals",
                body + _notes(results.notes.get("agreement", []))))
    # comparison
    table, ref = _comparison_frames(results)
    comp = results.comparison
    body = ""
    for n in getattr(comp, "notes", ()):
        body += _notes([n])
    if "rater" in table:
        nlp = table[table["rater"] == "nlp"]
        if len(nlp):
            body += "<h3>NLP labels against the reference</h3>" + _table(
                wide_table(nlp, index="finding", columns="statistic", n_units=True),
                index=True)
            fig = _figures.forest_plot(nlp, statistic=["sensitivity", "specificity"],
                                       by="statistic", xlabel="estimate")
            body += _figure(fig, f"NLP labels against the {ref} reference: sensitivity and "
                            f"specificity with {level} intervals.", "forest plot of NLP accuracy")
        readers = table[(table["rater"] != "nlp") & (table["rater"] != ref)]
        if len(readers):
            body += "<h3>Readers against the reference</h3>" + _table(
                wide_table(readers, index=["reference", "rater", "finding"],
                           columns="statistic", n_units=True), index=True)
        if "prevalence" in set(table["statistic"]):
            body += _figure(_figures.prevalence_plot(table),
                            "Share of images called positive by each reader (grey), the "
                            f"reference and the NLP labels, with {level} intervals.",
                            "prevalence by source")
        diffs = getattr(comp, "differences", None)
        if diffs is not None and len(diffs):
            body += "<h3>Reader minus NLP (paired)</h3>" + _table(
                wide_table(diffs, index=["reference", "rater", "finding"],
                           columns="statistic"), index=True)
    out.append(("comparison", "Readers and NLP labels against the reference",
                body + _notes(results.notes.get("comparison", []))))
    # model
    body = ""
    for m in results.model or []:
        t = getattr(m.evaluation, "table", m.evaluation)
        if not isinstance(t, pd.DataFrame) or not len(t):
            continue
        own = t[t["rater"] == m.name] if "rater" in t else t
        body += f"<h3>{html.escape(m.name)}</h3>" + _table(
            wide_table(own, index="finding", columns="statistic", n_units=True, digits=3),
            index=True)
        if "auc" in set(own["statistic"]):
            body += _figure(_figures.forest_plot(own, statistic="auc", by="rater",
                                                 xlabel="ROC AUC"),
                            f"{m.name}: ROC AUC per finding with {level} intervals.",
                            "forest plot of the AUC")
        if m.curves is not None and len(m.curves):
            body += _figure(_roc_grid(m, t), f"{m.name}: ROC curves; circles: each reader "
                            f"against the reference (leave-one-out for readers in its panel) "
                            f"with {level} intervals of sensitivity and 1 - specificity.",
                            "ROC curves with reader operating points")
        others = t[(t["rater"] != m.name)] if "rater" in t else t.iloc[:0]
        if len(others):
            body += "<h3>Readers and comparisons</h3>" + _table(
                wide_table(others, index=["rater", "finding"], columns="statistic",
                           n_units=True, digits=3), index=True)
        body += _notes(getattr(m.evaluation, "notes", ()))
    if not s["scores"]:
        body += _p("No model scores given (adjudicate report --scores FILE adds this section).")
    out.append(("model", "Model", body + _notes(results.notes.get("model", []))))
    # reference definitions
    out.append(("reference", "How much the conclusions depend on the reference standard",
                _sensitivity_body(results, level)
                + _notes(results.notes.get("sensitivity", []))))
    # checklist
    body = (_p("What the software can fill of GRRAS (Kottner et al., J Clin Epidemiol 2011) "
               "and STARD 2015 (Bossuyt et al., BMJ 2015); the rest is marked to be completed "
               "by the authors.") + _table(_checklist(results), text=True))
    out.append(("checklist", "Reporting checklist", body))
    return out


def _sensitivity_body(results: ReportResults, level: str) -> str:
    """The NLP labels' accuracy under every reference definition, from the stored result."""
    res = results.sensitivity
    if res is None:
        return ""
    t = _frame(res)
    b = (res.settings or {}).get("n_resamples")
    body = _p("A reference standard is a choice: which readers vote, how HEDGE counts, how "
              "ties break, or a latent-class (Dawid-Skene) estimate of the truth from all "
              "reads. The NLP labels graded under every definition "
              "(adjudicate.sensitivity_analysis; adjudicate sensitivity on the command line, "
              "with its documentation of each definition). Cells: estimate "
              f"({level} percentile interval over {b} patient resamples, the latent-class "
              "reference refitted on each; rough at this number of resamples, rerun the "
              "command with --bootstrap 2000 for a paper). Share unlabelled: images a "
              "definition leaves without a reference label.")
    body += _table(wide_table(t, index=["finding", "reference"], columns="statistic",
                              n_units=True, digits=3), index=True)
    unlabelled = (t.groupby("reference", sort=False)["unlabelled_share"].max().round(3)
                  .rename("share unlabelled (max over findings)").reset_index())
    body += _table(unlabelled)
    stat = "sensitivity" if "sensitivity" in set(t["statistic"]) else t["statistic"].iloc[0]
    fig = _figures.reference_forest_plot(t, statistic=stat)
    body += _figure(fig, f"NLP labels: {stat} with {level} intervals under each reference "
                    "definition, per finding (dashed: the published labels; diamonds: the "
                    "soft Dawid-Skene reference, an expected value).",
                    "forest plot across reference definitions")
    return body


def render_html(results: ReportResults) -> str:
    """The report as one self-contained HTML page (figures embedded; no network).

    Examples
    --------
    Rendering draws every figure (a few seconds; :func:`build_report` runs it end to end):

    >>> res = collect_results(report_settings("all-findings", seed=1))  # doctest: +SKIP
    >>> page = render_html(res)  # doctest: +SKIP
    >>> page.startswith("<!DOCTYPE html>"), 'src="http' in page  # doctest: +SKIP
    (True, False)
    """
    s = results.settings
    sections = _sections(results)
    nav = "".join(f'<li><a href="#{a}">{html.escape(t)}</a></li>' for a, t, _ in sections)
    body = "".join(f'<section id="{a}"><h2>{html.escape(t)}</h2>{b}</section>'
                   for a, t, b in sections)
    title = f"adjudicate report: {s['source']}"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f"<p class=\"note\">adjudicate {html.escape(str(s['versions']['adjudicate']))}, "
        f"{html.escape(s['created'])}; seed {s['seed']}, {s['n_resamples']} resamples.</p>"
        f"<nav><ol>{nav}</ol></nav>{body}</body></html>\n")


def write_report(results: ReportResults, out) -> Path:
    """Write ``report.html``, ``settings.json`` and every table as CSV into ``out``.

    Returns
    -------
    Path
        The HTML file.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    page = render_html(results)
    (out / "settings.json").write_text(json.dumps(results.settings, indent=2) + "\n",
                                       encoding="utf-8")
    for rep in results.audits:
        stem = Path(str(rep.file)).stem
        for title, frame in audit_frames(rep).items():
            slug = "".join(c if c.isalnum() else "_" for c in title).strip("_")
            frame.to_csv(out / f"audit_{stem}_{slug}.csv", index=False)
    if results.reproduction is not None:
        results.reproduction.to_csv(out / "reproduction.csv", index=False)
    _frame(results.agreement).to_csv(out / "agreement.csv", index=False)
    if results.pairs is not None:
        results.pairs.to_csv(out / "pairwise_kappa.csv", index=False)
    comp = results.comparison
    if comp is not None:
        frame = comp.to_frame() if hasattr(comp, "to_frame") else _frame(comp)
        frame.to_csv(out / "comparison.csv", index=False)
    if results.sensitivity is not None:
        _frame(results.sensitivity).to_csv(out / "reference_sensitivity.csv", index=False)
    for i, m in enumerate(results.model or []):
        t = getattr(m.evaluation, "table", m.evaluation)
        if isinstance(t, pd.DataFrame):
            t.to_csv(out / f"model_{i + 1}.csv", index=False)
        if m.curves is not None:
            m.curves.to_csv(out / f"model_{i + 1}_roc.csv", index=False)
    path = out / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


def build_report(source: str = "all-findings", out="report", **options) -> Path:
    """Settings, results and files in one call: ``write_report(collect_results(...), out)``.

    Parameters
    ----------
    source : str
        A bundled dataset or an individual-readers file (see :func:`report_settings`).
    out : path
        Output directory.
    **options
        Options of :func:`report_settings`.

    Returns
    -------
    Path
        The HTML file.

    Examples
    --------
    Drawing the figures takes a few seconds (the test suite runs this end to end):

    >>> page = build_report("all-findings", "report", n_resamples=2000, seed=1)  # doctest: +SKIP
    >>> page.name  # doctest: +SKIP
    'report.html'
    """
    return write_report(collect_results(report_settings(source, **options)), out)

