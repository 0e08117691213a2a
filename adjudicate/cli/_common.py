"""What several commands share: dataset names, bootstrap options, loading, output."""

from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path

from ..resample import BOOTSTRAP_METHODS
from ..vote import HEDGE_POLICIES, TIE_POLICIES

DATASET_CHOICES = ("all-findings", "four-findings")


def bootstrap_options(p: argparse.ArgumentParser, *, default_b: int | None) -> None:
    """``--bootstrap B --seed S --level L --method M``, the same for every command."""
    p.add_argument("--bootstrap", type=positive_int, default=default_b, metavar="B",
                   help="bootstrap replicates" + (f" (default {default_b})" if default_b
                                                  else " (default: no bootstrap)")
                   + "; at least 2/(1-L) for a level-L interval (40 at 95%%), 10/(1-L) or "
                     "more recommended")
    p.add_argument("--seed", type=seed_int, default=None,
                   help="random seed (default: fresh; the output reports the seed used)")
    p.add_argument("--level", type=level_float, default=0.95,
                   help="confidence level (default 0.95)")
    p.add_argument("--method", choices=BOOTSTRAP_METHODS, default=None,
                   help="bootstrap interval method for every statistic (default: bca; "
                        "proportions of a rater or model against a reference, e.g. "
                        "sensitivity: cluster-adjusted Wilson)")



def vote_options(p: argparse.ArgumentParser, *, hedge: tuple = HEDGE_POLICIES) -> None:
    """``--hedge --ties --seed --min-reads --decisions``: the majority vote's policies, the
    same for every command that votes (``hedge``: the HEDGE policies that apply)."""
    meaning = {"negative": "NO (default)", "positive": "YES", "missing": "no read",
               "category": "its own category (only when the data have HEDGE)"}
    p.add_argument("--hedge", choices=hedge, default="negative",
                   help="a HEDGE read counts as: " + ", ".join(f"{h} = {meaning[h]}"
                                                               for h in hedge))
    p.add_argument("--ties", choices=TIE_POLICIES, default="missing",
                   help="a tie gives: missing = no label (default), negative = the lowest "
                        "category (NO), positive = the highest (YES), random = a seeded pick")
    p.add_argument("--seed", type=seed_int, default=None,
                   help="seed for --ties random (default: fresh; the output reports it)")
    p.add_argument("--min-reads", type=positive_int, default=1,
                   help="units with fewer reads get no label (default 1)")
    p.add_argument("--decisions", metavar="FILE",
                   help="write the per-unit record of how each label was decided as CSV")

# ------------------------------------------------------------------ option value types
def _typed(convert, valid, expected: str):
    """An argparse type: ``convert`` the text, refuse it unless ``valid``; argparse puts the
    option's name in front of the message (``argument --seed: expected ...``)."""
    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not valid(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {value}")
        return value
    parse.__name__ = convert.__name__  # argparse names the type in some messages
    return parse


positive_int = _typed(int, lambda n: n >= 1, "a positive integer")
"""argparse type: an integer >= 1 (replicates, minimum reads)."""

seed_int = _typed(int, lambda n: n >= 0, "a non-negative integer")
"""argparse type: a seed, an integer >= 0."""

level_float = _typed(float, lambda x: 0 < x < 1, "a number strictly between 0 and 1")
"""argparse type: a confidence level strictly between 0 and 1."""


# ---------------------------------------------------------------------------- output
def fail(msg: str, status: int = 2) -> int:
    """Print one error line on stderr (control and undecodable characters escaped, so raw
    binary never reaches the terminal); the exit status of a user error."""
    print(f"adjudicate: error: {printable(msg)}", file=sys.stderr)
    return status


def printable(text: str, limit: int = 2000) -> str:
    """One line of printable text: anything unprintable becomes a backslash escape."""
    text = str(text)
    if len(text) > limit:
        text = text[:limit] + "..."
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else
                   c.encode("unicode_escape", "backslashreplace").decode("ascii")
                   if ord(c) < 0xD800 or ord(c) > 0xDFFF else f"\\x{ord(c) - 0xDC00:02x}"
                   for c in text)


def note(text: str) -> None:
    """A note for the user on stderr (for machine-readable stdout such as CSV)."""
    print(f"adjudicate: note: {printable(text)}", file=sys.stderr)


def parser_notes(*sources) -> list[str]:
    """What the parsers did, one line each, prefixed with the file: the notes of
    :class:`~adjudicate.Ratings` and the quirks and extra columns of published label files
    (a :class:`~adjudicate.datasets.Dataset` contributes both). Every output shows them:
    a ``notes`` key in JSON, ``note:`` lines in text, stderr next to CSV."""
    out: list[str] = []
    for src in sources:
        if src is None:
            continue
        if hasattr(src, "ratings") and hasattr(src, "published"):  # a bundled Dataset
            out += parser_notes(src.ratings, *src.published.values())
            continue
        if hasattr(src, "codes"):  # Ratings
            name = src.source or "ratings"
            lines = [n.strip().removeprefix("note: ") for n in src.notes]
        else:  # PublishedLabels
            name = Path(src.file).name
            lines = list(src.quirks) + [f"column {c!r} is not part of format {src.format}; not "
                                        "used" for c in src.extra_columns]
        out += [f"{name}: {n}" for n in lines if n]
    return list(dict.fromkeys(out))


def emit_comparison(result, fmt: str, parsed: list[str]) -> None:
    """Print a comparison result with the parsers' notes: among its notes (table, JSON), or
    on stderr next to CSV and the paper tables (Markdown, LaTeX), which stay clean."""
    import dataclasses

    from ..compare import format_comparison

    if fmt in ("csv", *PAPER_FORMATS):
        emit(format_comparison(result, fmt) if fmt == "csv" else paper_table(
            result.table, fmt, index=["reference", "rater", "finding"], columns="statistic",
            n_units=True))
        for text in parsed:
            note(text)
        return
    emit(format_comparison(dataclasses.replace(result, notes=tuple(parsed)
                                               + tuple(result.notes)), fmt))


def _bundled_dirs() -> list[Path]:
    from ..io.schemas import schemas_dir

    here = Path(__file__).resolve().parent.parent  # the adjudicate package
    return [here / "datasets", schemas_dir()]  # the schemas: top level in a checkout


def check_outputs(outputs: dict, inputs=()) -> dict:
    """Refuse outputs that would destroy data, before any work is done.

    ``outputs`` maps option names (``"--out"``) to paths (None or ``"-"`` = stdout). Refused:
    two options naming one file, an output that is an input (given in ``inputs``, or any file
    the parsers have read in this process), anything inside the bundled data, a directory, a
    missing parent directory. Returns the given ``{option: Path}``.
    """
    from ..io.schemas import FILES_READ

    inputs = [*inputs, *FILES_READ]  # whatever this run has read so far
    given = {opt: Path(p) for opt, p in outputs.items() if p not in (None, "", "-")}
    seen: list = []
    for opt, path in given.items():
        for other, other_path in seen:
            if _same_file(path, other_path):
                raise ValueError(f"{other} and {opt} name the same file {str(path)!r}; "
                                 "give each output its own file")
        seen.append((opt, path))
        for inp in inputs:
            if inp is not None and _same_file(path, Path(inp)):
                raise ValueError(f"{opt} {str(path)!r} is an input file of this command; "
                                 "refusing to overwrite it")
        resolved = path.resolve()
        for d in _bundled_dirs():
            if resolved == d or d in resolved.parents:
                raise ValueError(f"{opt} {str(path)!r} is inside the bundled data "
                                 f"({d}); refusing to overwrite it")
        if path.is_dir():
            raise ValueError(f"{opt} {str(path)!r} is a directory; give a file name")
        if path.exists() and not path.is_file():
            raise ValueError(f"{opt} {str(path)!r} is not a regular file")
        if not resolved.parent.is_dir():
            raise ValueError(f"{opt} {str(path)!r}: the directory {str(path.parent)!r} does "
                             "not exist")
    return given


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file: the same inode when both exist (hard links,
    symlinks), else the same absolute path once ``..`` and links are resolved."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def write_outputs(outputs: dict, *, inputs=()) -> None:
    """Write ``{path: text}`` all or nothing.

    Each text goes to a temporary file in its target's directory; only when all are
    written (and flushed to disk) are they renamed over their targets (``os.replace``,
    atomic on POSIX). A failure or Ctrl-C midway removes the temporary files and leaves
    every target as it was; concurrent runs never interleave.
    """
    import tempfile

    check_outputs({("output" if len(outputs) == 1 else f"output {i + 1}"): p
                   for i, p in enumerate(outputs)}, inputs)
    mask = os.umask(0)
    os.umask(mask)
    temps: list[tuple[str, Path]] = []
    try:
        for path, text in outputs.items():
            path = Path(path)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                       dir=path.resolve().parent)
            temps.append((tmp, path))
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o666 & ~mask)
        for tmp, path in temps:
            os.replace(tmp, path)
    finally:
        for tmp, _ in temps:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass


def emit(text: str, out: str | None = None, *, inputs=()) -> None:
    """Write ``text`` to the file ``out`` (atomically), or to stdout (with a final newline)."""
    if out and out != "-":
        write_outputs({out: text}, inputs=inputs)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def split_ids(text: str | None, option: str = "the list") -> list[str] | None:
    """``"a, b,c"`` -> ``["a", "b", "c"]``; None stays None. An empty list or a repeated id
    is an error naming ``option`` (a repeated reader would be compared with itself)."""
    if text is None:
        return None
    ids = [t.strip() for t in text.split(",") if t.strip()]
    if not ids:
        raise ValueError(f"{option}: an empty list was given")
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise ValueError(f"{option}: {', '.join(repeated)} given more than once; list each "
                         "once")
    return ids


def input_options(p: argparse.ArgumentParser, *, readers: bool = True,
                  findings: bool = True) -> None:
    """How to read a reader-study file, and which part of it to use: the same for every command.

    ``--unit-column --reader-column --finding-column --label-column --cluster-column
    --categories --positive --layout --duplicates`` (see :func:`adjudicate.io.read_ratings`)
    and the subsets ``--split --where --readers --findings``. ``readers``/``findings``:
    whether to add those two here (a command that defines its own passes False).
    """
    g = p.add_argument_group("your own reader-study file (long: unit, reader, finding, label; "
                             "wide: unit, reader, one column per finding)")
    for role, example in (("unit", "case_id"), ("reader", "rater"), ("finding", "finding"),
                          ("label", "rating"), ("cluster", "patient_id")):
        g.add_argument(f"--{role}-column", metavar="NAME",
                       help=f"the {role} column (default: recognised, e.g. {example})")
    g.add_argument("--categories", metavar="C1,C2,...",
                   help="the ordered categories, e.g. NO,YES or 1,2,3,4,5 (default: inferred "
                        "and reported)")
    g.add_argument("--positive", metavar="CATEGORY",
                   help="the category meaning 'present' (default: inferred for 0/1, NO/YES, ...)")
    g.add_argument("--layout", choices=("long", "wide"),
                   help="default: long when finding and label columns are found, else wide")
    g.add_argument("--duplicates", choices=("missing", "first", "last", "error"),
                   default="missing",
                   help="a read given twice: conflicting labels become missing (default), "
                        "keep the first or last row, or refuse the file")
    s = p.add_argument_group("subsets")
    s.add_argument("--split", choices=("test", "validation", "val"),
                   help="one split of the data (the per-unit 'set' column, e.g. the "
                        "four-findings test and validation sets)")
    s.add_argument("--where", action="append", default=[], metavar="COLUMN=VALUE",
                   help="keep units whose per-unit column has this value (repeatable; "
                        "e.g. --where view=PA --where age_band=40-60)")
    if readers:
        s.add_argument("--readers", metavar="IDS",
                       help="comma-separated reader ids (default: all readers)")
    if findings:
        s.add_argument("--findings", metavar="NAMES",
                       help="comma-separated findings (default: all)")


def load_ratings(source: str, args=None, *, require_reader: bool = True):
    """A bundled dataset name, an NIH individual-readers file or any reader-study file
    (long or wide layout; CSV or Parquet), as :class:`Ratings`, with the subset asked for.

    ``args`` holds the options of :func:`input_options` (absent options are defaults).
    A file without a reader column is refused (``require_reader``): reads are needed here.
    """
    from ..datasets import load_dataset
    from ..io import read_ratings, read_readers

    opt = {k: getattr(args, k, None) for k in _GENERIC}
    duplicates = getattr(args, "duplicates", None) or "missing"
    generic = _generic_options(args)
    if source in DATASET_CHOICES:
        if generic:
            raise ValueError(f"--{next(iter(generic)).replace('_', '-')} is for your own files, "
                             f"not the bundled dataset {source}")
        ratings = load_dataset(source, duplicates=duplicates).ratings
    elif not generic and _is_nih_readers(source):
        ratings = read_readers(source, duplicates=duplicates)
    else:
        ratings = read_ratings(
            source, layout=opt["layout"], unit=opt["unit_column"], reader=opt["reader_column"],
            finding=opt["finding_column"], label=opt["label_column"],
            cluster=opt["cluster_column"], categories=_categories(opt["categories"]),
            positive=opt["positive"], duplicates=duplicates, require_reader=require_reader)
    return subset(ratings, args)


def _categories(text: str | None) -> list | None:
    """``--categories``: ``"1,2,3"`` -> ``[1, 2, 3]`` (integers stay integers), else text."""
    items = split_ids(text)
    if items and all(i.lstrip("+-").isdigit() for i in items):
        return [int(i) for i in items]
    return items


def subset(ratings, args=None):
    """The part of ``ratings`` the subset options ask for (``--split --where --readers
    --findings``), by :meth:`Ratings.where` and :meth:`Ratings.select`."""
    conditions: dict = {}
    split = getattr(args, "split", None)
    if split:
        names = {"set", "setid", "split"}
        column = next((c for c in ratings.meta.columns
                       if str(c).lower().replace(" ", "").replace("_", "") in names), None)
        if column is None:
            raise ValueError(f"--split needs a per-unit 'set' (or 'split') column; "
                             f"{ratings.source or 'the data'} has: "
                             f"{list(ratings.meta.columns) or 'none'}")
        conditions[column] = ["val", "validation"] if split != "test" else ["test"]
    for item in getattr(args, "where", None) or ():
        column, eq, value = item.partition("=")
        if not eq or not column.strip():
            raise ValueError(f"--where takes COLUMN=VALUE, got {item!r}")
        conditions.setdefault(column.strip(), []).append(value.strip())
    if conditions:
        ratings = ratings.where(**conditions)
    readers = split_ids(getattr(args, "readers", None), "--readers")
    findings = split_ids(getattr(args, "findings", None), "--findings")
    if readers or findings:
        ratings = ratings.select(readers=readers, findings=findings)
    return ratings


def _is_nih_readers(source: str) -> bool:
    """Whether a file is an NIH individual-readers file; an NIH labels file is an error here
    (a file of published labels where reads are needed)."""
    from ..io import detect_schema
    from ..io.generic import nih_kind

    kind = nih_kind(source)
    if kind == "labels":
        with Path(source).open(encoding="utf-8-sig", errors="replace", newline="") as fh:
            import csv
            header = next(csv.reader([fh.readline()]), [])
        detect_schema(header, str(source), kind="readers")  # says: a labels file
        return False
    return kind == "readers"


def load_labels(source: str, args=None):
    """A label file as one-reader :class:`Ratings`: a reference standard, a rater's or a
    model's calls. An NIH labels file (the reader named after the file), or any file in the
    long or wide layout read like :func:`load_ratings` (a table without a reader column is
    one reader's labels), with the same options and subsets."""
    from ..io import read_labels
    from ..io.generic import nih_kind

    kind = None if _generic_options(args) else nih_kind(source)
    if kind == "readers":  # an NIH readers file where one set of labels is expected
        from ..io import detect_schema

        with Path(source).open(encoding="utf-8-sig", errors="replace", newline="") as fh:
            header = next(csv.reader([fh.readline()]), [])
        detect_schema(header, str(source), kind="labels")  # says: a readers file
    if kind == "labels":
        from dataclasses import replace

        labels = read_labels(source)
        ratings = labels.to_ratings(reader=Path(source).stem)
        notes = list(labels.quirks) + [f"column {c!r} is not part of format {labels.format}; "
                                       "not used" for c in labels.extra_columns]
        return subset(replace(ratings, notes=tuple(ratings.notes) + tuple(notes),
                              source=Path(source).name), args)
    ratings = load_ratings(source, args, require_reader=False)
    if ratings.n_readers != 1:
        from .._errors import InputError

        raise InputError(f"a label file holds one set of labels; this one has "
                         f"{ratings.n_readers} readers ({', '.join(map(str, ratings.readers[:5]))}"
                         f"{' ...' if ratings.n_readers > 5 else ''})", file=str(source))
    return ratings


def _generic_options(args) -> dict:
    return {k: v for k in _GENERIC if (v := getattr(args, k, None)) is not None}


_GENERIC = ("unit_column", "reader_column", "finding_column", "label_column", "cluster_column",
            "categories", "positive", "layout")


def num(x: float) -> str:
    """0.599 -> '.599', -0.01 -> '-.010': compact cells for wide terminal tables."""
    from ..results import format_cell

    return format_cell(x)


def cell(est, lo, hi) -> str:
    """``estimate [low, high]`` for a terminal table (:func:`adjudicate.results.format_cell`)."""
    from ..results import format_cell

    return format_cell(est, lo, hi)


# --------------------------------------------------------------------------- output formats
FORMATS = ("table", "csv", "json", "markdown", "latex")
"""``--format`` of every command: a terminal table, tidy CSV/JSON, or a paper table."""

PAPER_FORMATS = ("markdown", "latex")


def format_option(p: argparse.ArgumentParser, *, choices=FORMATS, default: str = "table"
                  ) -> None:
    """``--format``, the same for every command (markdown/latex: a paper table)."""
    p.add_argument("--format", choices=choices, default=default,
                   help=f"output format (default {default}); markdown and latex give a wide "
                        "'estimate (low-high)' table for a paper")


def paper_table(result, fmt: str, **wide) -> str:
    """A tidy result as a wide Markdown/LaTeX table (:func:`adjudicate.report.format_table`)."""
    from ..report.tables import format_table

    return format_table(result, fmt, **wide)


def paper_frame(frame, fmt: str, *, index: bool = False) -> str:
    """A plain DataFrame (counts, mismatch tables) as Markdown/LaTeX."""
    from ..report.tables import format_frame

    return format_frame(frame, fmt, index=index)
