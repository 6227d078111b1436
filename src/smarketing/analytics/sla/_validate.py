"""Located validation for YAML documents: line numbers per field, typed checks, issues.

Used by :mod:`smarketing.analytics.sla.document`; kept apart so the document module holds only
the schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import yaml

__all__ = ["SlaError", "SlaIssue"]


@dataclass(frozen=True)
class SlaIssue:
    """One problem in an SLA document."""

    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}, " if self.line else ""
        return (
            f"{where}field '{self.field}': {self.message}"
            if self.field
            else (f"{where}{self.message}")
        )


class SlaError(ValueError):
    """An invalid SLA document; :attr:`errors` lists every :class:`SlaIssue` found."""

    def __init__(self, errors: list[SlaIssue]) -> None:
        self.errors = errors
        super().__init__("invalid SLA document:\n" + "\n".join(f"  {e}" for e in errors))


class _Validator:
    def __init__(self, lines: dict[tuple[str, ...], int]) -> None:
        self.lines = lines
        self.issues: list[SlaIssue] = []

    def line(self, path: tuple[str, ...]) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)

    def err(self, path: tuple[str, ...], message: str) -> None:
        name = ""
        for part in path:
            name += f"[{part}]" if part.isdigit() else (f".{part}" if name else part)
        self.issues.append(SlaIssue(self.line(path), name, message))

    def mapping(
        self,
        value: Any,
        path: tuple[str, ...],
        allowed: tuple[str, ...] | None,
        required: tuple[str, ...] = (),
    ) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.err(path, f"must be a mapping, got {_kind(value)}")
            return None
        for key in value:
            if not isinstance(key, str):
                self.err(path, f"keys must be text, got {key!r}")
            elif allowed is not None and key not in allowed:
                self.err((*path, key), f"unknown field (allowed: {', '.join(allowed)})")
        for key in required:
            if key not in value:
                self.err(path, f"missing required field '{key}'")
        return value

    def number(
        self,
        value: Any,
        path: tuple[str, ...],
        *,
        integer: bool = False,
        minimum: float = 0,
        maximum: float | None = None,
        nullable: bool = False,
    ) -> Any:
        if value is None:
            if not nullable:
                self.err(path, "is required (got null)")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.err(path, f"must be {'an integer' if integer else 'a number'}, got {_kind(value)}")
            return None
        if integer and not isinstance(value, int):
            self.err(path, f"must be an integer, got {value!r}")
            return None
        if value != value or value in (float("inf"), float("-inf")):
            self.err(path, "must be a finite number")
            return None
        if value < minimum:
            self.err(path, f"must be >= {minimum:g}, got {value!r}")
            return None
        if maximum is not None and value > maximum:
            self.err(path, f"must be <= {maximum:g}, got {value!r}")
            return None
        return value

    def boolean(self, value: Any, path: tuple[str, ...]) -> bool | None:
        if not isinstance(value, bool):
            self.err(path, f"must be true or false, got {_kind(value)}")
            return None
        return value

    def text(self, value: Any, path: tuple[str, ...]) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.err(path, f"must be non-empty text, got {_kind(value)}")
            return None
        return value

    def a_date(self, value: Any, path: tuple[str, ...]) -> date | None:
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.err(path, f"must be a date like 2026-01-01, got {value!r}")
        return None


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def _compose(text: str) -> tuple[Any, dict[tuple[str, ...], int], list[SlaIssue]]:
    lines: dict[tuple[str, ...], int] = {}
    issues: list[SlaIssue] = []

    def walk(node: yaml.Node, path: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = str(key_node.value)
                sub = (*path, key)
                if key in seen:
                    issues.append(
                        SlaIssue(key_node.start_mark.line + 1, ".".join(sub), "duplicate key")
                    )
                seen.add(key)
                lines[sub] = key_node.start_mark.line + 1
                walk(value_node, sub)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[(*path, str(i))] = item.start_mark.line + 1
                walk(item, (*path, str(i)))

    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, lines, [SlaIssue(1, "", "the document is empty")]
        lines[()] = node.start_mark.line + 1
        walk(node, ())
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        return None, lines, [SlaIssue(line, "", f"not valid YAML: {exc.problem or exc}")]
    except yaml.YAMLError as exc:
        return None, lines, [SlaIssue(None, "", f"not valid YAML: {exc}")]
    finally:
        loader.dispose()
    return data, lines, issues
