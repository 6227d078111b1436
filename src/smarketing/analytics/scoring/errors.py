"""The errors raised by the scoring core; all are ``ValueError`` subclasses."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DefinitionError",
    "LocatedError",
    "ModelInputError",
    "ScoringError",
    "ScoringInputError",
    "TargetError",
]


class ScoringError(ValueError):
    """Base class of every error raised by :mod:`smarketing.analytics.scoring`."""


@dataclass(frozen=True)
class LocatedError:
    """One problem in a scoring definition: where it is and what is wrong."""

    line: int | None
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        field = f"field '{self.field}': " if self.field else ""
        return f"{where}{field}{self.reason}"


class DefinitionError(ScoringError):
    """A scoring definition is invalid; ``errors`` lists every located problem."""

    def __init__(self, errors: list[LocatedError]):
        self.errors = list(errors)
        lines = "\n".join(f"  {e}" for e in self.errors)
        noun = "error" if len(self.errors) == 1 else "errors"
        super().__init__(f"invalid scoring definition ({len(self.errors)} {noun}):\n{lines}")


class ScoringInputError(ScoringError):
    """Contacts, touchpoints or stage history given to a scorer are malformed."""


class TargetError(ScoringError):
    """The outcome (target) column for predictive training cannot be read as 1/0."""


class ModelInputError(ScoringError):
    """Data given to train, predict or explain a predictive model is unusable."""
