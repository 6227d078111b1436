"""Reading a training table: the outcome (target) column and which columns are features.

:func:`parse_target` turns an outcome column of 1/0, true/false or yes/no (any case) into 0/1
and names every value it cannot read. :func:`detect_features` sorts the other columns into
numeric and categorical features and says why it drops the rest (identifiers, free text,
constants, dates), so an analyst can see what the model learned from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from smarketing.analytics.scoring.errors import ModelInputError, TargetError

__all__ = ["FeatureSpec", "detect_features", "parse_target", "prepare_features"]

_POSITIVE = frozenset({"1", "1.0", "true", "yes"})
_NEGATIVE = frozenset({"0", "0.0", "false", "no"})
_ID_NAME = re.compile(
    r"(^|_)(id|uuid|guid|pk|key)$|^(id|uuid)_|e_?mail|phone|^(first_|last_|full_)?name$|url$",
    re.IGNORECASE,
)
#: A text column with more distinct values than this (and than 20% of rows) is free text.
MAX_CATEGORIES = 50
#: A text column is numeric when at least this share of its non-blank values parse as numbers.
NUMERIC_SHARE = 0.95
MISSING = "(missing)"


def parse_target(values: Any, *, name: str = "target") -> np.ndarray:
    """Read an outcome column as 0/1.

    Accepts booleans, the numbers 1 and 0, and the words true/false, yes/no (any case,
    surrounding spaces ignored). Anything else, blanks included, is an error naming the rows.

    Examples
    --------
    >>> parse_target(pd.Series(["Yes", "no", "TRUE", "0", 1]), name="won").tolist()
    [1, 0, 1, 0, 1]
    >>> parse_target(pd.Series(["yes", "maybe", None]), name="won")
    Traceback (most recent call last):
    ...
    smarketing.analytics.scoring.errors.TargetError: target column 'won' must hold 1/0, \
true/false or yes/no; 2 values are not: 'maybe' (row 2), blank (row 3)
    """
    series = pd.Series(values)
    out = np.zeros(len(series), dtype=np.int64)
    bad: list[str] = []
    n_bad = 0
    for position, value in enumerate(series.tolist()):
        text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else value
        text = str(text).strip().casefold()
        if text in _POSITIVE:
            out[position] = 1
        elif text not in _NEGATIVE:
            n_bad += 1
            if len(bad) < 5:
                shown = "blank" if text == "" else repr(value)
                bad.append(f"{shown} (row {position + 1})")
    if n_bad:
        noun = "value is" if n_bad == 1 else "values are"
        raise TargetError(
            f"target column '{name}' must hold 1/0, true/false or yes/no; "
            f"{n_bad} {noun} not: {', '.join(bad)}"
        )
    return out


@dataclass(frozen=True)
class FeatureSpec:
    """The columns a model uses (``numeric``, ``categorical``) and the ``dropped`` ones, why."""

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    dropped: dict[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every feature column, numeric first."""
        return self.numeric + self.categorical

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "numeric": list(self.numeric),
            "categorical": list(self.categorical),
            "dropped": dict(self.dropped),
        }


def _as_numbers(series: pd.Series) -> pd.Series | None:
    """The column as floats when it is numeric (or numeric text), else ``None``."""
    if pd.api.types.is_bool_dtype(series):
        return series.astype(float)
    if pd.api.types.is_numeric_dtype(series):
        return series.astype(float)
    text = series.dropna().astype(str).str.strip()
    text = text[text != ""]
    if text.empty:
        return None
    parsed = pd.to_numeric(text, errors="coerce")
    if parsed.notna().mean() >= NUMERIC_SHARE:
        return pd.to_numeric(series.astype(object).where(series.notna(), None), errors="coerce")
    return None


def detect_features(
    frame: pd.DataFrame, *, target: str, exclude: tuple[str, ...] = ()
) -> FeatureSpec:
    """Sort a training table's columns into numeric and categorical features.

    Dropped: identifier-like names (``*_id``, ``email``, ``name``, ``url``…), columns unique on
    every row, text with too many distinct values (free text), constants, empty columns and
    date-times; ``exclude`` drops more by name.

    Examples
    --------
    >>> frame = pd.DataFrame({"lead_id": range(40), "visits": [1, 2] * 20,
    ...                       "industry": ["saas", "retail"] * 20, "won": [0, 1] * 20})
    >>> spec = detect_features(frame, target="won")
    >>> spec.numeric, spec.categorical, spec.dropped
    (('visits',), ('industry',), {'lead_id': 'identifier-like name'})
    """
    numeric: list[str] = []
    categorical: list[str] = []
    dropped: dict[str, str] = {}
    n = len(frame)
    for column in frame.columns:
        if column == target:
            continue
        name = str(column)
        series = frame[column]
        non_null = series.dropna()
        if pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series):
            non_null = non_null[non_null.astype(str).str.strip() != ""]
        distinct = non_null.nunique()
        if column in exclude:
            dropped[name] = "excluded"
        elif _ID_NAME.search(name):
            dropped[name] = "identifier-like name"
        elif non_null.empty:
            dropped[name] = "empty"
        elif distinct == 1:
            dropped[name] = "constant"
        elif pd.api.types.is_datetime64_any_dtype(series):
            dropped[name] = "date-time (derive a number such as days since)"
        elif (numbers := _as_numbers(series)) is not None:
            if distinct == len(non_null) > 20 and (numbers.dropna() % 1 == 0).all():
                dropped[name] = "unique whole number on every row (an id?)"
            else:
                numeric.append(name)
        elif distinct == len(non_null) > 20:
            dropped[name] = "unique on every row (an id or free text?)"
        elif distinct > MAX_CATEGORIES and distinct > 0.2 * n:
            dropped[name] = f"free text or too many distinct values ({distinct})"
        else:
            categorical.append(name)
    if not numeric and not categorical:
        raise ModelInputError(
            "no usable feature columns: "
            + (", ".join(f"{k} ({v})" for k, v in dropped.items()) or "the table has none")
        )
    return FeatureSpec(tuple(numeric), tuple(categorical), dropped)


def prepare_features(frame: pd.DataFrame, spec: FeatureSpec) -> pd.DataFrame:
    """The feature columns in the form the model pipeline takes (floats; text or ``(missing)``).

    Raises :class:`ModelInputError` naming columns the model needs that ``frame`` lacks.
    """
    missing = [c for c in spec.columns if c not in frame.columns]
    if missing:
        raise ModelInputError(f"the data has no column(s) {', '.join(missing)} the model needs")
    out = pd.DataFrame(index=range(len(frame)))
    for column in spec.numeric:
        series = frame[column]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            values = series.astype(float).to_numpy()
        else:
            text = series.astype(object).where(series.notna(), None)
            text = text.map(lambda v: v.strip() if isinstance(v, str) else v).replace("", None)
            values = pd.to_numeric(text, errors="coerce").astype(float).to_numpy()
        out[column] = values
    for column in spec.categorical:
        series = frame[column].astype(object)
        text = series.map(lambda v: MISSING if _blank(v) else str(v).strip())
        out[column] = text.to_numpy(dtype=object)
    return out


def _blank(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()
