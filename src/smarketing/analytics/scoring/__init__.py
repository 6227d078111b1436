"""Lead scoring core (pure, no Django): definitions, rule scoring, backtests, predictive models.

- :mod:`.definition` -- the YAML scoring definition ("scoring as code") and its validation;
- :mod:`.rules` -- fit / engagement / total / hand-raiser / MQL, in bulk and for one contact;
- :mod:`.backtest` -- replaying a definition over past data and comparing two definitions;
- :mod:`.features` -- the predictive feature table from contacts and touchpoints;
- :mod:`.predictive` -- training, evaluation, persistence, prediction and explanations;
- :mod:`.monitoring` -- the promotion rule and the score-drift check (PSI).

The public API is re-exported here and documented in ``docs/scoring.md``.
"""

from smarketing.analytics.scoring.definition import (
    DEFAULT_FREE_EMAIL_DOMAINS,
    EVENT_KINDS,
    FIT_FIELDS,
    OPERATORS,
    EngagementRule,
    FitRule,
    MqlThreshold,
    ScoringDefinition,
    default_definition_text,
    load_default_definition,
    load_definition,
)
from smarketing.analytics.scoring.errors import (
    DefinitionError,
    LocatedError,
    ModelInputError,
    ScoringError,
    ScoringInputError,
    TargetError,
)
from smarketing.analytics.scoring.rules import ContactScore, score_contact, score_contacts

__all__ = [
    "DEFAULT_FREE_EMAIL_DOMAINS",
    "EVENT_KINDS",
    "FIT_FIELDS",
    "OPERATORS",
    "ContactScore",
    "DefinitionError",
    "EngagementRule",
    "FitRule",
    "LocatedError",
    "ModelInputError",
    "MqlThreshold",
    "ScoringDefinition",
    "ScoringError",
    "ScoringInputError",
    "TargetError",
    "default_definition_text",
    "load_default_definition",
    "load_definition",
    "score_contact",
    "score_contacts",
]
