"""Agreement coefficients for reader studies, computed for every finding at once from sums.

Percent and specific agreement, Cohen's kappa (weighted), pairwise and Light's kappa, Fleiss'
kappa, Conger's kappa, Brennan-Prediger (PABAK), Gwet's AC1/AC2 and Krippendorff's alpha
(nominal, ordinal, interval). Every coefficient is ``finalize(S.sum(0))`` of a per-unit matrix
``S`` (:mod:`adjudicate.agreement.sums`), so that all findings are one pass and a bootstrap is
``finalize(W @ S)``.

Modules, top to bottom: :mod:`~adjudicate.agreement.terms` (the quantities of the papers, one
function each), :mod:`~adjudicate.agreement.sums` (each coefficient as unit statistics and
finalize; the registry), :mod:`~adjudicate.agreement.coefficients` (one item in, a result out),
:mod:`~adjudicate.agreement.table` (many statistics x all findings; HEDGE views).
"""

from .coefficients import (
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
from .results import AgreementResult, ConfidenceInterval, UndefinedAgreementWarning
from .sums import _SUM_STATISTICS as _SUM_STATISTICS
from .sums import STATISTICS, SumStatistic, sum_statistic
from .table import DEFAULT_STATISTICS, HEDGE_VIEWS, agreement_table, hedge_view

__all__ = [
    "DEFAULT_STATISTICS",
    "HEDGE_VIEWS",
    "STATISTICS",
    "AgreementResult",
    "ConfidenceInterval",
    "SumStatistic",
    "UndefinedAgreementWarning",
    "agreement_table",
    "brennan_prediger",
    "cohen_kappa",
    "conger_kappa",
    "fleiss_kappa",
    "gwet_ac1",
    "hedge_view",
    "krippendorff_alpha",
    "light_kappa",
    "pairwise_kappa",
    "percent_agreement",
    "specific_agreement",
    "sum_statistic",
]
