"""Agreement coefficients for reader studies, computed for every finding at once from sums.

Percent and specific agreement, Cohen's kappa (weighted), pairwise and Light's kappa, Fleiss'
kappa, Conger's kappa, Brennan-Prediger (PABAK), Gwet's AC1/AC2 and Krippendorff's alpha
(nominal, ordinal, interval). Every coefficient is ``finalize(S.sum(0))`` of a per-unit matrix
``S`` (:mod:`adjudicate.agreement.statistic`), so that all findings are one pass and a bootstrap is
``finalize(W @ S)``.

Modules, top to bottom: :mod:`~adjudicate.agreement.terms` (the quantities of the papers, one
function each), :mod:`~adjudicate.agreement.patterns` (sums over units as sums over the
patterns that occur), :mod:`~adjudicate.agreement.statistic` (a coefficient as unit statistics
and finalize), :mod:`~adjudicate.agreement.variance` (the cluster-robust sandwich),
:mod:`~adjudicate.agreement.design`, one module per family (:mod:`~adjudicate.agreement.gwet`:
Fleiss, Brennan-Prediger, AC1/AC2; :mod:`~adjudicate.agreement.percent`: percent and specific
agreement; :mod:`~adjudicate.agreement.conger`; :mod:`~adjudicate.agreement.cohen`: Cohen,
pairwise, Light; :mod:`~adjudicate.agreement.krippendorff`), :mod:`~adjudicate.agreement.registry`
(names -> statistics), :mod:`~adjudicate.agreement.bootstrap` (one bootstrap of several
statistics from sums reduced by cluster, streamed), :mod:`~adjudicate.agreement.coefficients` (one item in, a result out),
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
from .registry import _SUM_STATISTICS as _SUM_STATISTICS
from .registry import STATISTICS, sum_statistic
from .results import AgreementResult, ConfidenceInterval, UndefinedAgreementWarning
from .statistic import SumStatistic
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
