"""adjudicate: label adjudication and reader-agreement statistics.

The public API, re-exported from the modules that hold each idea; see the README for a tour.
"""

from ._errors import InputError
from .ratings import MISSING, Ratings, as_ratings

__all__ = ["MISSING", "InputError", "Ratings", "as_ratings"]

# --- parsers, bundled datasets, reference standards by vote ---
from . import io
from .audit import AuditReport, audit
from .datasets import CITATIONS, Dataset, dataset_path, load_dataset
from .io import ParseReport, PublishedLabels, read_labels, read_readers, write_labels
from .reproduce import (
    GROUND_TRUTH_READERS,
    compare_four_findings,
    compare_label_tables,
    reproduce_all_findings,
)
from .vote import OtherRule, VoteResult, majority_vote

__all__ += [
    "CITATIONS",
    "GROUND_TRUTH_READERS",
    "AuditReport",
    "Dataset",
    "OtherRule",
    "ParseReport",
    "PublishedLabels",
    "VoteResult",
    "audit",
    "compare_four_findings",
    "compare_label_tables",
    "dataset_path",
    "io",
    "load_dataset",
    "majority_vote",
    "read_labels",
    "read_readers",
    "reproduce_all_findings",
    "write_labels",
]

# --- agreement coefficients ---
from .agreement import (
    AgreementResult,
    UndefinedAgreementWarning,
    agreement_table,
    brennan_prediger,
    cohen_kappa,
    conger_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    light_kappa,
    pairwise_kappa,
    percent_agreement,
    specific_agreement,
)

__all__ += [
    "AgreementResult", "UndefinedAgreementWarning", "agreement_table", "brennan_prediger",
    "cohen_kappa", "conger_kappa", "fleiss_kappa", "gwet_ac1", "krippendorff_alpha",
    "light_kappa", "pairwise_kappa", "percent_agreement", "specific_agreement",
]

# --- bootstrap engine ---
from .resample import (
    BootstrapResult,
    ClusterDesign,
    ClusterJackknife,
    ConfidenceInterval,
    IndependentUnitsWarning,
    bootstrap_sums,
    bootstrap_weights,
    paired_difference,
    resolve_clusters,
    stack_statistics,
)
from .results import TableResult

__all__ += [
    "BootstrapResult", "ClusterDesign", "ClusterJackknife", "ConfidenceInterval",
    "IndependentUnitsWarning",
    "TableResult", "bootstrap_sums", "bootstrap_weights", "paired_difference",
    "resolve_clusters", "stack_statistics",
]

# --- any rater (readers, NLP labels, a model's calls) against a reference standard ---
from .compare import (
    STATISTICS,
    ComparisonResult,
    UndefinedStatisticWarning,
    accuracy_statistics,
    accuracy_table,
    bootstrap_p_value,
    compare_raters,
    confusion_cells,
    format_comparison,
    leave_one_out_reference,
    paired_accuracy_difference,
)
from .nlp import (
    NIH_LABELS,
    NLPComparison,
    NLPMapping,
    compare_nlp,
    load_nlp_mapping,
    nlp_ratings,
    parse_finding_labels,
)
from .ratings import positive_category
from .results import format_cell, wide_view

__all__ += [
    "NIH_LABELS",
    "STATISTICS",
    "ComparisonResult",
    "NLPComparison",
    "NLPMapping",
    "UndefinedStatisticWarning",
    "accuracy_statistics",
    "accuracy_table",
    "bootstrap_p_value",
    "compare_nlp",
    "compare_raters",
    "confusion_cells",
    "format_cell",
    "format_comparison",
    "leave_one_out_reference",
    "load_nlp_mapping",
    "nlp_ratings",
    "paired_accuracy_difference",
    "parse_finding_labels",
    "positive_category",
    "wide_view",
]

# --- input validation (bad-input checks Python users get too) ---
from .resample import check_n_resamples, min_resamples

__all__ += ["check_n_resamples", "min_resamples"]

# --- reference standards beyond one vote: latent class, definitions, sensitivity ---
from . import reference
from .reference import (
    DawidSkene,
    ReferenceDefinition,
    build_definitions,
    dawid_skene,
    reference_agreement,
    sensitivity_analysis,
    soft_auc,
    soft_confusion_cells,
)

__all__ += [
    "DawidSkene",
    "ReferenceDefinition",
    "build_definitions",
    "dawid_skene",
    "reference",
    "reference_agreement",
    "sensitivity_analysis",
    "soft_auc",
    "soft_confusion_cells",
]

# --- any reader study in (long/wide layouts, CSV/Parquet/DataFrame) ---
from .io import infer_categories, read_ratings

__all__ += ["infer_categories", "read_ratings"]

# --- a model's scores against a reference: ROC/AUC, operating points, readers (evaluate) ---
from .datasets import example_scores_path
from .evaluate import (
    AUCDifferenceResult,
    AUCResult,
    auc_difference,
    evaluate_model,
    roc_auc,
    roc_curve,
)
from .io.scores import ModelScores, read_label_table, read_scores

__all__ += [
    "AUCDifferenceResult", "AUCResult", "ModelScores", "auc_difference", "evaluate_model",
    "example_scores_path", "read_label_table", "read_scores", "roc_auc", "roc_curve",
]

__version__ = "0.1.0"
