"""Multi-touch attribution engine (pure: Ibis tables in, typed results out, no Django).

Models: first_touch, last_touch, last_non_direct, linear, time_decay, position_based
(alias u_shaped), w_shaped, full_path, custom, markov (order 1-4, exact removal effects)
and shapley (exact closed form of Zhao et al. 2018). See docs/attribution.md.
"""

from .api import (
    ALIASES,
    MODELS,
    attribute,
    attribute_paths,
    build_result,
    compare_models,
    compare_paths,
    normalize_model,
    read_input,
)
from .errors import AttributionError
from .result import NO_TOUCH, AttributionResult, ComparisonRow, Credit, Interval, ModelComparison

__all__ = [
    "ALIASES",
    "MODELS",
    "NO_TOUCH",
    "AttributionError",
    "AttributionResult",
    "ComparisonRow",
    "Credit",
    "Interval",
    "ModelComparison",
    "attribute",
    "attribute_paths",
    "build_result",
    "compare_models",
    "compare_paths",
    "normalize_model",
    "read_input",
]
