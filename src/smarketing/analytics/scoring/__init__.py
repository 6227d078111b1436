"""Lead scoring core (pure, no Django): definitions, rule scoring, backtests, predictive models.

- :mod:`.definition` -- the YAML scoring definition ("scoring as code") and its validation;
- :mod:`.rules` -- fit / engagement / total / hand-raiser / MQL, in bulk and for one contact;
- :mod:`.backtest` -- replaying a definition over past data and comparing two definitions;
- :mod:`.features` -- the predictive feature table from contacts and touchpoints;
- :mod:`.predictive` -- training, evaluation, persistence, prediction and explanations;
- :mod:`.monitoring` -- the promotion rule and the score-drift check (PSI).

The public API is re-exported here and documented in ``docs/scoring.md``.
"""

from smarketing.analytics.scoring.backtest import (
    BacktestComparison,
    BacktestResult,
    backtest,
    compare,
)
from smarketing.analytics.scoring.columns import FeatureSpec, detect_features, parse_target
from smarketing.analytics.scoring.definition import (
    DEFAULT_FREE_EMAIL_DOMAINS,
    EVENT_KINDS,
    FIT_FIELDS,
    OPERATORS,
    EngagementRule,
    FitRule,
    MqlThreshold,
    ScoringDefinition,
)
from smarketing.analytics.scoring.errors import (
    DefinitionError,
    LocatedError,
    ModelInputError,
    ScoringError,
    ScoringInputError,
    TargetError,
)
from smarketing.analytics.scoring.features import build_features, describe
from smarketing.analytics.scoring.loader import (
    default_definition_text,
    load_default_definition,
    load_definition,
)
from smarketing.analytics.scoring.monitoring import (
    PSI_MODERATE,
    PSI_SIGNIFICANT,
    DriftResult,
    calibration_summary,
    drift_check,
    is_not_worse,
    lift_top_decile,
    population_stability_index,
)
from smarketing.analytics.scoring.rules import ContactScore, score_contact, score_contacts

#: Names of :mod:`.predictive`, loaded on first use: scikit-learn takes a second to import,
#: which ``smarketing score check`` and every rule-scoring reader need not pay.
_PREDICTIVE = (
    "MIN_MINORITY",
    "Factor",
    "TrainedModel",
    "TrainResult",
    "dump_model",
    "evaluate",
    "explain",
    "explain_frame",
    "load_model",
    "predict",
    "train",
)


def __getattr__(name: str):
    if name in _PREDICTIVE:
        from smarketing.analytics.scoring import predictive

        return getattr(predictive, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_FREE_EMAIL_DOMAINS",
    "EVENT_KINDS",
    "FIT_FIELDS",
    "MIN_MINORITY",
    "OPERATORS",
    "PSI_MODERATE",
    "PSI_SIGNIFICANT",
    "BacktestComparison",
    "BacktestResult",
    "ContactScore",
    "DefinitionError",
    "DriftResult",
    "EngagementRule",
    "Factor",
    "FeatureSpec",
    "FitRule",
    "LocatedError",
    "ModelInputError",
    "MqlThreshold",
    "ScoringDefinition",
    "ScoringError",
    "ScoringInputError",
    "TargetError",
    "TrainResult",
    "TrainedModel",
    "backtest",
    "build_features",
    "calibration_summary",
    "compare",
    "default_definition_text",
    "describe",
    "detect_features",
    "drift_check",
    "dump_model",
    "evaluate",
    "explain",
    "explain_frame",
    "is_not_worse",
    "lift_top_decile",
    "load_default_definition",
    "load_definition",
    "load_model",
    "parse_target",
    "population_stability_index",
    "predict",
    "score_contact",
    "score_contacts",
    "train",
]
