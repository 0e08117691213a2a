"""The bundled NIH ChestX-ray14 expert labels, parsed and ready.

The CSV files ship unchanged with their LICENSE and README files (research and educational
use; citation required). See ``CITATIONS`` and the README of each folder.

Data: Google Health, "ChestX-ray14 Expert Labels", released with
Majkowska et al., Radiology 2019 (four findings) and Nabulsi et al., Scientific Reports 2021
(all findings). Images and NIH metadata: Wang et al., CVPR 2017 (NIH Clinical Center).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pandas as pd

from ..io.labels import PublishedLabels, read_labels
from ..io.readers import read_readers
from ..ratings import Ratings

__all__ = ["CITATIONS", "DATASETS", "Dataset", "dataset_path", "example_scores_path",
           "load_dataset"]

_ROOT = "nih_expert_labels"
_FILES = {
    "all_findings": {
        "folder": "all_findings_expert_labels",
        "readers": "test_individual_readers.csv",
        "labels": "test_labels.csv",
    },
    "four_findings": {
        "folder": "four_findings_expert_labels",
        "readers": "individual_readers.csv",
        "test_labels": "test_labels.csv",
        "validation_labels": "validation_labels.csv",
    },
}
DATASETS = tuple(_FILES)

CITATIONS = {
    "four_findings": (
        "Majkowska A, Mittal S, Steiner DF, Reicher JJ, McKinney SM, Duggan GE, Eswaran K, "
        "Chen PC, Liu Y, Kalidindi SR, Ding A, Corrado GS, Tse D, Shetty S. Chest Radiograph "
        "Interpretation Using Deep Learning Models: Assessment Using Radiologist Adjudicated "
        "Reference Standards and Population-Adjusted Evaluation. Radiology. 2019."
    ),
    "all_findings": (
        "Nabulsi Z, Sellergren A, Jamshy S, Lau C, Santos E, Kiraly AP, Ye W, Yang J, "
        "Kazemzadeh S, Yu J, Kalidindi R, Etemadi M, Garcia Vicente F, Melnick D, Corrado GS, "
        "Peng L, Eswaran K, Tse D, Beladia N, Liu Y, Chen PC, Shetty S. Deep Learning for "
        "Distinguishing Normal versus Abnormal Chest Radiographs and Generalization to Two "
        "Unseen Diseases Tuberculosis and COVID-19. Scientific Reports. 2021."
    ),
    "nih_chestxray14": (
        "Wang X, Peng Y, Lu L, Lu Z, Bagheri M, Summers RM. ChestX-ray8: Hospital-scale Chest "
        "X-ray Database and Benchmarks on Weakly-Supervised Classification and Localization of "
        "Common Thorax Diseases. CVPR 2017."
    ),
}

_ALIASES = {"all-findings": "all_findings", "four-findings": "four_findings"}


def _canonical(name: str) -> str:
    name = _ALIASES.get(name, name)
    if name not in _FILES:
        raise KeyError(f"unknown dataset {name!r}; choose one of "
                       + ", ".join(n.replace("_", "-") for n in _FILES))
    return name


def dataset_path(name: str, which: str = "readers") -> Path:
    """Path of a bundled file.

    Parameters
    ----------
    name : {"all_findings", "four_findings"}
    which : str
        ``"readers"``, ``"labels"`` (all_findings), ``"test_labels"`` or
        ``"validation_labels"`` (four_findings), ``"README"`` or ``"LICENSE"``.

    Examples
    --------
    >>> dataset_path("all_findings").name
    'test_individual_readers.csv'
    """
    name = _canonical(name)
    files = _FILES[name]
    fname = {"README": "README.md", "LICENSE": "LICENSE", "folder": None}.get(which,
                                                                           files.get(which))
    if fname is None:
        raise KeyError(f"dataset {name} has no {which!r} file; it has "
                       + ", ".join(k for k in files if k != "folder"))
    root = resources.files("adjudicate.datasets").joinpath(_ROOT, files["folder"], fname)
    return Path(str(root))


def example_scores_path() -> Path:
    """Path of the bundled *synthetic* model scores for the all-findings images.

    Made-up scores (the published labels plus noise; see the file's header and
    ``examples/README.md``), not a model's output: for trying ``adjudicate evaluate``.

    Examples
    --------
    >>> example_scores_path().name
    'synthetic_model_scores.csv'
    """
    root = resources.files("adjudicate.datasets").joinpath("examples",
                                                          "synthetic_model_scores.csv")
    return Path(str(root))


@dataclass(frozen=True)
class Dataset:
    """A bundled dataset: the parsed readers, the published labels and the NIH metadata.

    Attributes
    ----------
    name : str
    ratings : Ratings
        The individual reads (units x readers x findings); ``ratings.report`` says what the
        parser did.
    labels : DataFrame
        The published reference standard, units x findings (``YES``/``NO``), in the order of
        ``ratings.units``. For four_findings: test and validation files together (their
        split is ``metadata["set"]``).
    metadata : DataFrame
        NIH ChestX-ray14 metadata of each unit, including ``Finding Labels`` (the NIH labels
        mined from reports by NLP). For all_findings it is taken from the four-findings test
        file, which holds all 810 images.
    published : dict of PublishedLabels
        The parsed label files, by file role.
    citation : str
    """

    name: str
    ratings: Ratings
    labels: pd.DataFrame
    metadata: pd.DataFrame
    published: dict = field(repr=False)
    citation: str = ""

    @property
    def nlp(self) -> pd.Series:
        """The NIH ``Finding Labels`` of each unit (pipe-separated strings)."""
        return self.metadata["Finding Labels"]


def load_dataset(name: str, *, duplicates: str = "missing") -> Dataset:
    """Load a bundled NIH expert-label dataset.

    Parameters
    ----------
    name : {"all_findings", "four_findings"}
        ``"all-findings"`` / ``"four-findings"`` are accepted too.
    duplicates : str
        Policy for a reader with several rows for one unit (see
        :func:`adjudicate.read_readers`).

    Returns
    -------
    Dataset

    Examples
    --------
    >>> ds = load_dataset("all_findings")
    >>> ds.ratings.shape, ds.labels.shape, len(set(ds.ratings.clusters))
    ((810, 5, 16), (810, 16), 532)
    >>> ds.metadata.loc["00029560_000.png", "Finding Labels"]
    'No Finding'
    """
    name = _canonical(name)
    ratings = read_readers(dataset_path(name, "readers"), duplicates=duplicates)
    units = ratings.units
    four_test = read_labels(dataset_path("four_findings", "test_labels"))
    if name == "all_findings":
        published = {"labels": read_labels(dataset_path(name, "labels"))}
        meta_sources = [four_test]
    else:
        four_val = read_labels(dataset_path("four_findings", "validation_labels"))
        published = {"test_labels": four_test, "validation_labels": four_val}
        meta_sources = [four_test, four_val]
    labels = pd.concat([p.labels for p in published.values()]).reindex(units)
    metadata = pd.concat([_metadata(p) for p in meta_sources]).reindex(units)
    return Dataset(name=name, ratings=ratings, labels=labels, metadata=metadata,
                   published=published, citation=CITATIONS[name])


def _metadata(p: PublishedLabels) -> pd.DataFrame:
    meta = p.meta.copy()
    meta.insert(0, "Patient ID", p.clusters)
    meta.insert(0, "Finding Labels", p.nlp)
    return meta
