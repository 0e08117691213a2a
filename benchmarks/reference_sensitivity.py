"""The evidence of docs/reference-sensitivity.md: the bundled four-findings data graded under
every reference definition -- the NIH NLP labels and every reader -- and how far each
definition is from the published labels (both datasets).

Run from the repository root::

    python benchmarks/reference_sensitivity.py [--bootstrap 200] [--seed 2026]

Writes ``benchmarks/results/reference_sensitivity_four_findings.csv`` (one row per rater,
reference, finding, statistic), ``benchmarks/results/reference_agreement.csv`` and the figures
``docs/figures/reference_sensitivity_nlp.png`` and ``docs/figures/reference_sensitivity_readers.png``,
and rewrites the tables of ``docs/reference-sensitivity.md`` (its ``<!-- tables: ... -->``
blocks) from the two CSVs (``--tables-only``: only that, from the CSVs already written).
Every reader is left out of the references it is graded against (panels and Dawid-Skene fit).
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import adjudicate as adj
from adjudicate.reference import reference_agreement, sensitivity_analysis
from adjudicate.report import reference_forest_plot

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
FIGURES = ROOT / "docs" / "figures"
STATS = ("sensitivity", "specificity", "kappa")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bootstrap", type=int, default=200)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--readers", type=int, default=None, help="only the first N readers")
    p.add_argument("--tables-only", action="store_true",
                   help="only rewrite the page's tables from the CSVs already written")
    args = p.parse_args(argv)
    if args.tables_only:
        update_doc(markdown_tables(pd.read_csv(RESULTS / "reference_sensitivity_four_findings.csv"),
                                   pd.read_csv(RESULTS / "reference_agreement.csv")))
        return
    ds = adj.load_dataset("four_findings")
    raters = ["nlp"] + [str(r) for r in ds.ratings.readers][: args.readers]
    parts, times = [], {}
    for rater in raters:
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = sensitivity_analysis(ds, rater=rater, statistics=STATS,
                                       n_resamples=args.bootstrap, seed=args.seed)
        times[rater] = time.perf_counter() - t0
        parts.append(res.table)
        print(f"{rater:>12}: {times[rater]:6.1f} s", flush=True)
        if rater == "nlp":
            fig = reference_forest_plot(
                res, statistic="sensitivity",
                title="NIH NLP labels, four-findings data: sensitivity under each reference "
                      "definition (95% CI, patients resampled)")
            fig.savefig(FIGURES / "reference_sensitivity_nlp.png", dpi=110)
    table = pd.concat(parts, ignore_index=True)
    RESULTS.mkdir(exist_ok=True)
    table.to_csv(RESULTS / "reference_sensitivity_four_findings.csv", index=False)
    readers_figure(table)
    agree = []
    for name in ("four_findings", "all_findings"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a = reference_agreement(name, n_resamples=args.bootstrap, seed=args.seed).table
        agree.append(a.assign(dataset=name))
    agreement = pd.concat(agree, ignore_index=True)
    agreement.to_csv(RESULTS / "reference_agreement.csv", index=False)
    update_doc(markdown_tables(table, agreement))
    print(f"total {sum(times.values()):.0f} s for {len(raters)} raters, B = {args.bootstrap}")


# ------------------------------------------------------------------ the page's tables
DOC = ROOT / "docs" / "reference-sensitivity.md"


def _cell(row, unlabelled: bool) -> str:
    """``est (low-high)``, and (``unlabelled``) ``[x% unl.]`` when the definition leaves
    images unlabelled."""
    if pd.isna(row.estimate):
        return ""
    text = f"{row.estimate:.3f} ({row.ci_low:.3f}-{row.ci_high:.3f})"
    share = row.unlabelled_share
    return text + (f" [{share:.0%} unl.]" if unlabelled and share >= 0.005 else "")


def _markdown(title: str, frame: pd.DataFrame) -> str:
    """A bold title and a pipe table of ``frame`` (rows: its index, named "reference")."""
    lines = [f"**{title}**", "", "| reference | " + " | ".join(map(str, frame.columns)) + " |",
             "|---|" + "---|" * len(frame.columns)]
    lines += [f"| {ref} | " + " | ".join(frame.loc[ref]) + " |" for ref in frame.index]
    return "\n".join(lines)


def _wide(part: pd.DataFrame, unlabelled: bool = True) -> pd.DataFrame:
    """Cells (:func:`_cell`) of definitions x findings, both in order of first appearance;
    findings with no value at all (Fracture for the NLP labels) left out."""
    part = part.assign(cell=[_cell(row, unlabelled) for row in part.itertuples()])
    wide = part.pivot(index="reference", columns="finding", values="cell")
    wide = wide.reindex(index=pd.unique(part.reference), columns=pd.unique(part.finding))
    keep = [f for f in wide.columns if part[part.finding == f].estimate.notna().any()]
    return wide[keep].fillna("")


def markdown_tables(table: pd.DataFrame, agreement: pd.DataFrame) -> dict[str, str]:
    """The page's tables from the two CSVs, by the name of their marked block in the page."""
    out = {}
    nlp = table[table.rater == "nlp"]
    out["nlp"] = "\n\n".join(
        _markdown(f"NLP labels, {stat}", _wide(nlp[nlp.statistic == stat]))
        for stat in ("sensitivity", "specificity", "kappa"))
    kappa = table[(table.rater != "nlp") & (table.statistic == "kappa")].dropna(
        subset=["estimate"])
    mean = kappa.groupby(["reference", "finding"], sort=False).apply(
        lambda d: np.average(d.estimate, weights=d.n_units), include_groups=False).unstack()
    mean = mean.reindex(index=pd.unique(kappa.reference), columns=pd.unique(kappa.finding))
    spread = (kappa.groupby(["rater", "finding"]).estimate.agg(lambda v: v.max() - v.min())
              .groupby("finding").median().reindex(mean.columns))
    readers = mean.map(lambda v: f"{v:.3f}")
    readers.loc["median range across definitions"] = spread.map(lambda v: f"{v:.3f}")
    out["readers"] = _markdown(
        f"Readers: Cohen's kappa against each reference (mean over the "
        f"{kappa.rater.nunique()} readers, weighted by images read), and the median range "
        "across definitions", readers)
    for name in ("four_findings", "all_findings"):
        part = agreement[(agreement.dataset == name) & (agreement.statistic == "kappa")]
        wide = _wide(part, unlabelled=False)
        if name == "all_findings":
            wide = wide[ALL_FINDINGS_SHOWN]
        out[name] = _markdown(f"{name}: kappa of each definition with the published labels",
                              wide)
    return out


ALL_FINDINGS_SHOWN = ["Pneumothorax", "Nodule or Mass", "Abnormal", "Atelectasis", "Effusion",
                      "Mass", "Nodule"]
"""The all-findings columns the page shows: the two the four-findings labels also grade,
then five of the others (every finding is in ``reference_agreement.csv``)."""


def update_doc(tables: dict[str, str], path: Path = DOC) -> None:
    """Replace each ``<!-- tables: NAME -->`` ... ``<!-- /tables -->`` block of the page."""
    import re
    text = path.read_text()
    for name, body in tables.items():
        pattern = re.compile(rf"(<!-- tables: {name} -->\n).*?(\n<!-- /tables -->)", re.DOTALL)
        if not pattern.search(text):
            raise SystemExit(f"{path}: no '<!-- tables: {name} -->' block")
        text = pattern.sub(lambda m, body=body: m.group(1) + body + m.group(2), text)
    path.write_text(text)


def readers_figure(table: pd.DataFrame) -> None:
    """Each reader's kappa under every definition: one column per finding, readers on y."""
    from matplotlib.figure import Figure

    t = table[(table.rater != "nlp") & (table.statistic == "kappa")]
    findings = list(dict.fromkeys(t.finding))
    refs = list(dict.fromkeys(t.reference))
    order = (t[t.reference == "published"].groupby("rater").n_units.sum()
             .sort_values(ascending=False).index.tolist())
    fig = Figure(figsize=(3.4 * len(findings) + 1.5, 0.28 * len(order) + 1.6),
                 layout="constrained")
    axes = fig.subplots(1, len(findings), sharey=True)
    y = np.arange(len(order))[::-1]
    markers = dict(zip(refs, "osv^<>pPXD*h"))
    for ax, f in zip(axes, findings):
        part = t[t.finding == f]
        for k, ref in enumerate(refs):
            v = part[part.reference == ref].set_index("rater").reindex(order).estimate
            ax.scatter(v, y, s=14, marker=markers[ref], color=f"C{k % 10}",
                       label=ref, alpha=0.85, zorder=3)
        span = part.groupby("rater").estimate.agg(["min", "max"]).reindex(order)
        ax.hlines(y, span["min"], span["max"], color="0.75", lw=2, zorder=1)
        ax.set_title(f)
        ax.set_xlabel("Cohen's kappa of the reader vs the reference")
        ax.grid(axis="x", color="0.92")
    n_reads = (t[t.reference == "published"].groupby("rater").n_units.max().reindex(order))
    axes[0].set_yticks(y, [f"{r} ({n})" for r, n in n_reads.items()], fontsize=7)
    axes[-1].legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=7, frameon=False)
    fig.suptitle("Every four-findings reader under every reference definition (reader left "
                 "out of each reference); grey bar = range across definitions; "
                 "(n) = images read")
    fig.savefig(FIGURES / "reference_sensitivity_readers.png", dpi=110)


if __name__ == "__main__":
    main()
